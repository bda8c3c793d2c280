"""Shared test set-up: backend markers that skip with a reason when a simulator is missing,
and fail instead in CI, where all three simulators must be installed; ``requires_mpi`` does the
same for ``mpiexec`` (which ``.ci/run`` installs)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SIMULATORS = {"neuron": "neuron", "brian2": "brian2", "nest": "nest"}
# ../shared/morphologies: real reconstructions, read in place (CI lays shared/ beside the clone)
SHARED_MORPHOLOGIES = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"

os.environ.setdefault("PYNEST_QUIET", "1")


def backend_params() -> list:
    """``pytest.param`` per backend, each with its ``requires_<name>`` marker."""
    return [pytest.param(name, marks=getattr(pytest.mark, f"requires_{name}"), id=name)
            for name in SIMULATORS]


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name, module in SIMULATORS.items():
        if item.get_closest_marker(f"requires_{name}") is None:
            continue
        if importlib.util.find_spec(module) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{name} is not installed, but CI must run every backend "
                            f"(the README's set-up installs it)")
            pytest.skip(f"{name} is not installed (./dev installs it); backend test skipped")
    if item.get_closest_marker("requires_mpi") is not None and shutil.which("mpiexec") is None:
        if os.environ.get("CI"):
            pytest.fail("mpiexec not found, but CI must run the MPI tests (.ci/run installs "
                        "openmpi-bin)")
        pytest.skip("mpiexec not found: apt-get install openmpi-bin")


def require_shared_morphologies() -> Path:
    """The shared morphologies: a test without them skips, but fails in CI, which must test
    them (as for a missing simulator)."""
    if not SHARED_MORPHOLOGIES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_MORPHOLOGIES} is not there, but CI must test the shared "
                        f"morphologies")
        pytest.skip(f"{SHARED_MORPHOLOGIES} is not there")
    return SHARED_MORPHOLOGIES


@pytest.fixture
def shared_dir() -> Path:
    return require_shared_morphologies()


# --- the test channels of tests/channels (here: a conftest.py there would shadow this one for
# the `from conftest import ...` of other test modules) ---------------------------------------
CHANNEL_DATA = Path(__file__).parent / "channels" / "data"


@pytest.fixture(scope="session")
def neuron_library(tmp_path_factory) -> tuple[Path, str]:
    """(libnrnmech.so of the generated NMODL of every test channel in tests/channels/data,
    compiled by ONE nrnivmodl call per session, nrnivmodl's output)."""
    from mnsim.backends.neuron.mechanisms import find_nrnivmodl
    from mnsim.channels import read_channel, to_nmodl

    build = tmp_path_factory.mktemp("nrnmech")
    for path in sorted(CHANNEL_DATA.glob("*.yaml")):
        mech = read_channel(path)
        (build / f"{mech.name}.mod").write_text(to_nmodl(mech))
    done = subprocess.run([find_nrnivmodl(), "."], cwd=build, capture_output=True, text=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    library = next(build.glob("*/libnrnmech.so"), None) or next(build.glob("*/.libs/libnrnmech.so"))
    return library, output


_RUNS: dict[str, dict] = {}


@pytest.fixture(scope="session")
def neuron_run(neuron_library):
    """``neuron_run(scenario)`` -> the JSON result of tests/channels/run_neuron.py run in a
    subprocess with those channels (each scenario once per session)."""

    def run(scenario: str) -> dict:
        if scenario not in _RUNS:
            done = subprocess.run(
                [sys.executable, str(CHANNEL_DATA.parent / "run_neuron.py"), str(neuron_library[0]),
                 scenario],
                capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
            assert done.returncode == 0, done.stdout + done.stderr
            _RUNS[scenario] = json.loads(done.stdout.strip().splitlines()[-1])
        return _RUNS[scenario]

    return run
