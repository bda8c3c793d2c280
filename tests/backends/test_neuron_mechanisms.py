"""NEURON's NMODL mechanisms compile once into a per-user cache keyed by their content; a second
run compiles nothing; a broken mechanism is a SimulationError carrying nrnivmodl's output."""

import os
import subprocess
import sys

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
