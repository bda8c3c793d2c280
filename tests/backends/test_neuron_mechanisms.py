"""NEURON's NMODL mechanisms (mnsim's own with the channel library's, or a model's own .mod
files and channels) compile once into a per-user cache keyed by their content; a second run
compiles nothing; a broken mechanism is a SimulationError carrying nrnivmodl's output; a
mechanism name cannot be redefined within one process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnsim.errors import SimulationError

pytestmark = pytest.mark.requires_neuron

RUN = "import mnsim; b = mnsim.run('lif_fi', 'neuron'); print(len(b.segments[0].spiketrains))"


def test_compiled_once_then_reused(tmp_path):
    env = {**os.environ, "MNSIM_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True,
                           text=True, check=True)
    assert first.stdout.strip() == "3"
    built = sorted(p for p in (tmp_path / "nrnmech").rglob("*") if p.is_file())
    libraries = [p for p in built if p.name.startswith("libnrnmech")]
    assert len(libraries) == 1
    stamps = {p: p.stat().st_mtime_ns for p in built}
    second = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True,
                            text=True, check=True)
    assert second.stdout.strip() == "3"
    again = sorted(p for p in (tmp_path / "nrnmech").rglob("*") if p.is_file())
    assert again == built and {p: p.stat().st_mtime_ns for p in again} == stamps
    assert not [p for p in (tmp_path / "nrnmech").iterdir() if p.name.startswith(".tmp")]


def test_broken_mechanism_reports_nrnivmodl_output(tmp_path, monkeypatch):
    from mnsim.backends.neuron import mechanisms

    broken = tmp_path / "mnsim_broken.mod"
    broken.write_text("NEURON { POINT_PROCESS mnsim_broken }\nBREAKPOINT { x = }\n")
    monkeypatch.setenv("MNSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(mechanisms, "mod_files", lambda: [broken])
    with pytest.raises(SimulationError, match="nrnivmodl .* failed to compile"):
        mechanisms.library_path("test")
    leftovers = list((tmp_path / "cache" / "nrnmech").iterdir())
    assert leftovers == []  # no half-built cache entry


def test_the_key_follows_every_source_and_not_their_order():
    from mnsim.backends.neuron.mechanisms import NmodlSource, cache_key, mnsim_sources

    sources = mnsim_sources()
    names = {src.filename for src in sources}
    assert "mnsim_IF_curr_exp.mod" in names and "hh_na.mod" in names  # mod/ and the library
    key = cache_key("9", sources)
    assert cache_key("9", sources[::-1]) == key
    edited = [NmodlSource(s.filename, s.text + b"\n" if s.filename == "hh_na.mod" else s.text,
                          s.defines) for s in sources]
    assert cache_key("9", edited) != key
    assert cache_key("9.1", sources) != key


REDEFINE = """
import shutil, sys
from pathlib import Path
import mnsim
from mnsim.errors import SimulationError
from mnsim.spec.yamlio import dump_yaml

src, work = Path(sys.argv[1]), Path(sys.argv[2])
def run(el):
    (work / "leak_pS.mod").write_text(src.read_text().replace("el = -70", f"el = {el}"))
    cell = {"type": "multicompartment", "sections": {"soma": {"length": "10 um",
            "diam": "10 um"}}, "regions": {"all": {"mechanisms": {"leak_pS": {}}}},
            "initial": {"v": "-60 mV"}}
    raw = {"name": "m", "simulation": {"duration": "1 ms", "dt": "0.025 ms"},
           "mechanisms": ["leak_pS.mod"], "populations": {"c": {"size": 1, "cell": cell}},
           "record": {"c": ["v"]}}
    (work / "m.yaml").write_text(dump_yaml(raw))
    block = mnsim.run(mnsim.load(work / "m.yaml"), backend="neuron")
    return len(block.segments[0].analogsignals[0])
print(run(-70), run(-70))  # the same file twice: loaded once
try:
    run(-65)
except SimulationError as exc:
    print("refused:", exc)
"""


def test_a_mechanism_redefined_in_one_process_is_refused(tmp_path):
    """A model's own .mod compiles into a library of its own; the same file again reuses it;
    another file defining the same SUFFIX cannot load into the same process."""
    data = Path(__file__).parent / "data" / "leak_pS.mod"
    out = subprocess.run([sys.executable, "-c", REDEFINE, str(data), str(tmp_path)],
                         env={**os.environ, "MNSIM_CACHE_DIR": str(tmp_path / "cache")},
                         capture_output=True, text=True, check=True).stdout
    assert "40 40" in out
    assert ("refused: mechanism 'leak_pS' is already loaded in this process from "
            f"{tmp_path / 'leak_pS.mod'}") in out
    assert "run this model in a fresh process" in out
