"""Cells built from channel files on NEURON and Brian2, against independent references: the
library's hh_na + hh_k + hh_leak (and a model's own inline potassium channel) against NEURON's
built-in hh (its own hh.mod, compiled into NEURON), an existing .mod file as NEURON compiles it
against the analytic passive compartment, and a calcium cell (Ca_HVA, SK_E2, CaDynamics_E2:
eca by Nernst from cai) on NEURON, running the generated NMODL, against Brian2, running the
generated equations; and Brian2's code reused by cells with the same mechanisms."""

from __future__ import annotations

import copy
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import mnsim
from mnsim.errors import CapabilityError

DATA = Path(__file__).resolve().parent / "data"
HH = {"hh": {}}
HH_CHANNELS = {"hh_na": {}, "hh_k": {}, "hh_leak": {}}
# hh channels, a calcium current filling a calcium shell, and an SK current it opens
CALCIUM = {"hh_na": {}, "hh_k": {}, "hh_leak": {}, "Ca_HVA": {"gbar": "0.002 S/cm2"},
           "CaDynamics_E2": {"gamma": 0.05, "decay": "80 ms"}}


def model(soma: dict, dend: dict, amplitude: str = "0.3 nA", duration: str = "60 ms",
          top: dict | None = None, base: Path | None = None) -> mnsim.Model:
    """A 20 x 20 um soma and a 300 x 2 um dendrite (20 um segments), ``soma`` and ``dend``
    their mechanisms, a somatic step from 5 ms to 5 ms before the end; ``top``: more top-level
    fields; ``base``: load it from a file written there (files it names are relative to it)."""
    stop = float(duration.split()[0]) - 5
    cell = {"type": "multicompartment",
            "sections": {"soma": {"length": "20 um", "diam": "20 um"},
                         "dend": {"length": "300 um", "diam": "2 um", "parent": "soma(1)"}},
            "discretization": {"max_length": "20 um"},
            "regions": {"all": {"cm": "1 uF/cm2", "Ra": "100 ohm*cm"},
                        "soma": {"mechanisms": soma}, "dend": {"mechanisms": dend}},
            "initial": {"v": "-65 mV"}}
    raw = {"name": "channel_cell", "simulation": {"duration": duration, "dt": "0.025 ms"},
           "populations": {"cell": {"size": 1, "cell": cell}},
           "stimuli": {"step": {"type": "step_current", "target": "cell",
                                "amplitude": amplitude, "start": "5 ms",
                                "stop": f"{stop:g} ms"}},
           "record": {"cell": ["spikes", "v"]}, **(top or {})}
    if base is None:
        return mnsim.load(raw)
    path = base / "model.yaml"
    path.write_text(_yaml(raw))
    return mnsim.load(path)


def _yaml(raw: dict) -> str:
    from mnsim.spec.yamlio import dump_yaml

    return dump_yaml(raw)


def spikes(m: mnsim.Model, backend: str) -> np.ndarray:
    block = mnsim.run(m, backend=backend)
    return np.asarray(block.segments[0].spiketrains[0].magnitude)


@pytest.fixture(scope="module")
def hh_reference() -> np.ndarray:
    """Spike times of the cell with NEURON's built-in hh (its hh.mod, rates not tabulated)."""
    times = spikes(model(HH, HH), "neuron")
    assert len(times) == 4  # 6.7, 21.4, 35.825, 50.25 ms
    return times


@pytest.mark.requires_neuron
def test_library_hh_channels_are_neurons_hh_on_neuron(hh_reference):
    times = spikes(model(HH_CHANNELS, HH_CHANNELS), "neuron")
    assert len(times) == len(hh_reference)
    assert np.max(np.abs(times - hh_reference)) <= 0.01


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
def test_library_hh_channels_on_brian2_match_neurons_hh(hh_reference):
    times = spikes(model(HH_CHANNELS, HH_CHANNELS), "brian2")
    assert len(times) == len(hh_reference)
    assert np.max(np.abs(times - hh_reference)) <= 0.2


# hh's potassium current as a model's own channel, inline (its name: the key)
OWN_K = {"title": "delayed rectifier", "ion": "k", "conductance": {"gbar": "0.036 S/cm2"},
         "source": {"paper": "Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544"},
         "q10": {"factor": 3, "reference": "6.3 degC"},
         "gates": {"n": {"power": 4, "alpha": "0.01 * vtrap(-(v + 55), 10)",
                         "beta": "0.125 * exp(-(v + 65) / 80)"}}}


@pytest.mark.requires_neuron
@pytest.mark.parametrize("backend, within", [
    pytest.param("neuron", 0.01, id="neuron"),
    pytest.param("brian2", 0.2, id="brian2", marks=pytest.mark.requires_brian2)])
def test_a_models_own_channel_is_hh_k(hh_reference, backend, within):
    """On NEURON the inline channel is compiled into the model's own library."""
    own = {"hh_na": {}, "kdr_hh": {}, "hh_leak": {}}
    m = model(own, own, top={"channels": {"kdr_hh": OWN_K}})
    assert m.populations["cell"].cell.mechanisms["kdr_hh"].origin == "model"
    times = spikes(m, backend)
    assert len(times) == len(hh_reference)
    assert np.max(np.abs(times - hh_reference)) <= within


@pytest.mark.requires_neuron
def test_a_mod_file_runs_on_neuron_as_it_is(tmp_path):
    """leak_pS.mod (conductance in pS/um2) alone on a 10 x 10 um soma with 1e-4 S/cm2 set in
    the region: R_in = 1/(g area) = 3183.1 MOhm, tau = cm/g = 10 ms; -4 pA from 50 ms moves v
    from -70 mV to -70 - 4 pA * 3183.1 MOhm = -82.732 mV, with 1 - 1/e of it 10 ms later."""
    shutil.copy(DATA / "leak_pS.mod", tmp_path / "leak_pS.mod")
    cell = {"type": "multicompartment", "sections": {"soma": {"length": "10 um",
                                                              "diam": "10 um"}},
            "regions": {"all": {"cm": "1 uF/cm2", "mechanisms": {
                "leak_pS": {"gl": "1e-4 S/cm2", "el": "-70 mV"}}}},
            "initial": {"v": "-70 mV"}}
    raw = {"name": "mod_leak", "simulation": {"duration": "250 ms", "dt": "0.025 ms"},
           "mechanisms": ["leak_pS.mod"], "populations": {"cell": {"size": 1, "cell": cell}},
           "stimuli": {"step": {"type": "step_current", "target": "cell",
                                "amplitude": "-4 pA", "start": "50 ms", "stop": "250 ms"}},
           "record": {"cell": ["v"]}}
    (tmp_path / "model.yaml").write_text(_yaml(raw))
    block = mnsim.run(mnsim.load(tmp_path / "model.yaml"), backend="neuron")
    v = np.asarray(block.segments[0].analogsignals[0].magnitude)[:, 0]
    dv = -4e-12 / (1e-4 * math.pi * 10e-4 * 10e-4) * 1e3  # mV
    assert dv == pytest.approx(-12.732, abs=1e-3)
    assert v[int(49 / 0.025)] == pytest.approx(-70.0, abs=1e-9)
    assert v[-1] == pytest.approx(-70 + dv, abs=1e-4)
    assert v[int(60 / 0.025)] == pytest.approx(-70 + dv * (1 - math.exp(-1)), abs=0.01)


@pytest.mark.requires_brian2
def test_a_mod_file_on_brian2_says_to_write_a_channel_file(tmp_path):
    shutil.copy(DATA / "leak_pS.mod", tmp_path / "leak_pS.mod")
    m = model({"leak_pS": {}}, {}, top={"mechanisms": ["leak_pS.mod"]}, base=tmp_path)
    with pytest.raises(CapabilityError) as err:
        mnsim.run(m, backend="brian2")
    text = str(err.value)
    assert str((tmp_path / "leak_pS.mod").resolve()) in text
    assert "describe the channel as a channel file (docs/channels.md)" in text
    # refused by the backend's check, before anything is built: compare skips Brian2
    from mnsim.comparison import runnable_backends

    names, skipped = runnable_backends(m)
    assert "brian2" not in names and "only NEURON compiles .mod files" in skipped["brian2"]


# the dendrite: a leak, or calcium channels without calcium dynamics (there eca is the
# region's, 120 mV, and cai NEURON's default, 5e-5 mM)
DEND_CA = {"hh_leak": {}, "Ca_HVA": {"gbar": "0.0001 S/cm2"}, "SK_E2": {"gbar": "0.0004 S/cm2"}}


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
@pytest.mark.parametrize("sk, amplitude, dend, count", [
    ("0.0004 S/cm2", "0.5 nA", {"hh_leak": {}}, 15),
    ("0.0003 S/cm2", "0.3 nA", {"hh_leak": {}}, 2),
    ("0.0004 S/cm2", "0.5 nA", DEND_CA, 15)], ids=["adapting", "silenced", "dendritic_ca"])
def test_calcium_cell_agrees_between_neuron_and_brian2(sk, amplitude, dend, count):
    """Spike times within 0.2 ms. Measured: within one step (0.025 ms) for the adapting cell
    (0.5 nA: SK lengthens the intervals from 12.4-11.3 ms to 14.0-13.1 ms), equal for the one
    SK silences after two spikes (0.3 nA; 14 spikes without SK), equal with the dendrite's
    calcium channels (which move the second spike by 0.3 ms; 0.075 ms apart while NEURON still
    started that eca from Nernst, tests/backends/test_calcium_ion_style.py)."""
    m = model({**CALCIUM, "SK_E2": {"gbar": sk}}, dend, amplitude=amplitude,
              duration="200 ms")
    if dend is DEND_CA:
        raw = copy.deepcopy(dict(m.raw))
        raw["populations"]["cell"]["cell"]["regions"]["dend"]["reversal"] = {"ca": "120 mV"}
        m = mnsim.load(raw)
        assert not m.populations["cell"].cell.calcium_dynamics_on(1)
    on_neuron, on_brian2 = spikes(m, "neuron"), spikes(m, "brian2")
    assert len(on_neuron) == count and len(on_brian2) == count
    assert np.max(np.abs(on_neuron - on_brian2)) <= 0.2
    # SK matters: without it the cell fires more (through cai, which its gate reads)
    without = model({**CALCIUM, "SK_E2": {"gbar": "0 S/cm2"}}, {"hh_leak": {}},
                    amplitude=amplitude, duration="200 ms")
    assert len(spikes(without, "neuron")) > count


@pytest.mark.requires_brian2
def test_cells_with_the_same_mechanisms_reuse_brian2s_code():
    """The equations depend on the set of mechanisms only: another geometry, other values and
    another layout of the same set compile nothing new."""
    from mnsim.backends.brian2.backend import codegen_target

    if codegen_target() != "cython":
        pytest.skip("Brian2 compiles nothing here (numpy code generation)")
    from brian2.codegen.runtime.cython_rt.extension_manager import get_cython_cache_dir

    first = model(CALCIUM, {"hh_leak": {}}, amplitude="0.5 nA", duration="20 ms")
    spikes(first, "brian2")
    built = set(Path(get_cython_cache_dir()).glob("*.so"))
    again = model({"hh_na": {"gbar": "0.1 S/cm2"}, "hh_k": {}, "hh_leak": {}},
                  {**CALCIUM, "Ca_HVA": {"gbar": "0.001 S/cm2"}}, amplitude="1 nA",
                  duration="20 ms")
    assert set(again.populations["cell"].cell.mechanisms) == set(
        first.populations["cell"].cell.mechanisms)
    spikes(again, "brian2")
    assert set(Path(get_cython_cache_dir()).glob("*.so")) == built
