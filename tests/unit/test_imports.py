"""`import mnsim` and `mnsim list` must not import a simulator (or Neo, Elephant, matplotlib):
that is what keeps them under a second (timed in scripts/bench_startup.py)."""

import subprocess
import sys

HEAVY = ("neuron", "brian2", "nest", "neo", "elephant", "matplotlib", "quantities")

CODE = """
import sys, io, contextlib
import mnsim
mnsim.backends()
from mnsim.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["list"]) == 0
mnsim.load("hh_squid")
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_no_heavy_imports_on_import_list_and_load():
    out = subprocess.run([sys.executable, "-c", CODE.format(heavy=HEAVY)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def test_mnsim_backends_is_callable_after_the_backends_package_is_imported():
    import mnsim
    import mnsim.backends.base  # noqa: F401  (what every run does)

    assert [b.name for b in mnsim.backends()] == ["neuron", "brian2", "nest"]
