"""The Neo contract, save/load round trips, measures and validation on synthetic results
(no simulator): spike times and traces whose measures are known exactly."""

import numpy as np
import pytest

import mnsim
from mnsim.analysis import measure
from mnsim.backends.base import RawResults, RawSignal, _check_raw
from mnsim.errors import MnsimError, SimulationError
from mnsim.results import signal, spiketrains, to_block
from mnsim.validation import check_expectations

MODEL = {
    "name": "synthetic",
    "simulation": {"duration": "100 ms", "dt": "0.1 ms", "seed": 7},
    "populations": {"p": {"size": 3, "cell": {"type": "IF_curr_exp"}}},
    "stimuli": {"s": {"type": "step_current", "target": "p", "amplitude": "1 nA",
                      "start": "20 ms"}},
    "record": {"p": {"variables": ["spikes", "v"], "indices": [0, 2]}},
    "expect": [
        {"measure": "spike_count", "population": "p", "equals": [4, 0]},
        {"measure": "isi_rate", "population": "p", "index": 0, "value": "50 Hz",
         "tolerance": "1 %"},
        {"measure": "first_spike_time", "population": "p", "index": 0, "value": "30 ms",
         "tolerance": "0.1 ms"},
        {"measure": "mean_rate", "population": "p", "min": "0 Hz", "max": "40 Hz"},
        {"measure": "resting_potential", "population": "p", "value": "-65 mV",
         "tolerance": "0.01 mV"},
    ],
}


def synthetic(model, spikes0=(30.0, 50.0, 70.0, 90.0)):
    n = 1000
    v = np.full((n, 2), -65.0)
    v[200:, 0] = -60.0  # depolarised once the stimulus starts at 20 ms
    raw = RawResults(spikes={"p": [np.array(spikes0), np.array([])]},
                     signals=[RawSignal("p", "v", "mV", 0.1, v, (0, 2))], integration="test")
    _check_raw(raw, model, "test")
    return to_block(raw, model, backend="test", backend_version="0", build_time_s=0.5,
                    run_time_s=1.5)


@pytest.fixture
def model():
    return mnsim.load(MODEL)


def test_neo_contract(model):
    block = synthetic(model)
    ann = block.annotations
    assert ann["backend"] == "test" and ann["model"] == "synthetic"
    assert ann["model_sha256"] == model.sha256 and ann["dt_ms"] == 0.1 and ann["seed"] == 7
    assert ann["mnsim_version"] == mnsim.__version__ and ann["integration"] == "test"
    assert ann["build_time_s"] == 0.5 and ann["run_time_s"] == 1.5
    assert len(block.segments) == 1
    trains = spiketrains(block, "p")
    assert [st.annotations["index"] for st in trains] == [0, 2]
    assert all(str(st.units.dimensionality) == "ms" and float(st.t_stop) == 100.0
               for st in trains)
    sig = signal(block, "p", "v")
    assert sig.name == "p.v" and sig.shape == (1000, 2) and str(sig.units.dimensionality) == "mV"
    assert list(sig.array_annotations["index"]) == [0, 2]
    assert float(sig.t_start) == 0.0 and float(sig.sampling_period.rescale("ms")) == 0.1


def test_measures(model):
    block = synthetic(model)
    assert list(measure("spike_count", block, "p")) == [4, 0]
    assert measure("first_spike_time", block, "p")[0] == 30.0
    assert np.isnan(measure("first_spike_time", block, "p")[1])
    assert measure("mean_rate", block, "p") == pytest.approx([40.0, 0.0])
    assert measure("isi_rate", block, "p")[0] == pytest.approx(50.0)
    assert measure("resting_potential", block, "p", (0.0, 20.0)) == pytest.approx([-65, -65])
    assert measure("spike_count", block, "p", (40.0, 80.0))[0] == 2


def test_validation_passes_and_fails_on_real_differences(model):
    report = check_expectations(model, synthetic(model))
    assert report.passed, report.table()
    assert len(report.checks) == 2 + 1 + 1 + 2 + 2
    late = check_expectations(model, synthetic(model, spikes0=(30.2, 50.0, 70.0, 90.0)))
    failed = [c for c in late.checks if not c.passed]
    assert [(c.measure, c.index) for c in failed] == [("first_spike_time", 0)]
    assert "1 of 8 failed" in late.table() and "FAIL" in late.table()


def test_contract_violations_are_caught(model):
    raw = RawResults(spikes={"p": [np.array([1.0])]}, signals=[], integration="x")
    with pytest.raises(SimulationError, match="expected 2 spike trains for 'p'"):
        _check_raw(raw, model, "bad")
    raw = RawResults(spikes={"p": [np.array([]), np.array([])]},
                     signals=[RawSignal("p", "v", "mV", 0.1, np.zeros((1001, 2)), (0, 2))],
                     integration="x")
    with pytest.raises(SimulationError, match=r"shape \(1001, 2\), expected \(1000, 2\)"):
        _check_raw(raw, model, "bad")


@pytest.mark.parametrize("suffix", [".nix", ".pkl"])
def test_save_load_round_trip(model, tmp_path, suffix):
    block = synthetic(model)
    path = mnsim.save(block, tmp_path / f"run{suffix}")
    again = mnsim.load_results(path)
    assert again.annotations["model_sha256"] == model.sha256
    assert again.annotations["backend"] == "test" and again.annotations["seed"] == 7
    a, b = spiketrains(block, "p"), spiketrains(again, "p")
    assert [list(x.magnitude) for x in a] == [list(x.magnitude) for x in b]
    assert np.array_equal(signal(again, "p", "v").magnitude, signal(block, "p", "v").magnitude)
    assert list(signal(again, "p", "v").array_annotations["index"]) == [0, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"run{suffix}"]  # no temp files left


def test_save_refuses_unknown_format(model, tmp_path):
    with pytest.raises(MnsimError, match="unknown extension '.csv'; use one of .nix, .pkl"):
        mnsim.save(synthetic(model), tmp_path / "x.csv")
    assert not list(tmp_path.iterdir())


def test_gsyn_exc_increments_and_event_checks():
    """Exponentially decaying g with jumps of known size: the measure returns each jump (plus
    one step of decay of what was there), and validation checks them one by one."""
    model = mnsim.load("tsodyks_markram_synapse")
    dt, tau, n = 0.01, 5.0, 30000
    jumps = {3000: 0.005, 4000: 0.0025820, 5000: 0.0014126, 6000: 0.00084705, 23000: 0.0024032}
    g = np.zeros(n)
    for k in range(1, n):
        g[k] = g[k - 1] * np.exp(-dt / tau) + jumps.get(k, 0.0)
    raw = RawResults(spikes={}, integration="test", signals=[
        RawSignal("post", "v", "mV", dt, np.full((n, 1), -65.0), (0,)),
        RawSignal("post", "gsyn_exc", "uS", dt, g[:, None], (0,))])
    block = to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                     run_time_s=0)
    rises = measure("gsyn_exc_increments", block, "post")
    assert rises.size == 5
    before = np.array([g[k - 1] for k in jumps]) * (1 - np.exp(-dt / tau))
    assert rises == pytest.approx(np.array(list(jumps.values())) - before, rel=1e-12)
    result = check_expectations(model, block)
    assert result.passed and len(result.checks) == 5
    assert "post[0] event 5" in result.table()
    del jumps[23000]
    g2 = np.zeros(n)
    for k in range(1, n):
        g2[k] = g2[k - 1] * np.exp(-dt / tau) + jumps.get(k, 0.0)
    raw.signals[1] = RawSignal("post", "gsyn_exc", "uS", dt, g2[:, None], (0,))
    block = to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                     run_time_s=0)
    result = check_expectations(model, block)
    assert not result.passed and not result.checks[4].passed  # the missing fifth event
