"""Cable measures on synthetic traces with known answers (no simulator): an exact exponential
charging curve, attenuation that follows the sealed-end cable, a spike travelling at a known
speed, an EPSP of known height; and the Neo annotations they read."""

import math

import numpy as np
import pytest

import mnsim
from mnsim.analysis import Step, measure
from mnsim.backends.base import RawResults, RawSignal, _check_raw
from mnsim.errors import MnsimError
from mnsim.results import geometry, load, save, signal, to_block
from mnsim.validation import check_expectations

DT = 0.025
DURATION = 200.0
TAU = 5.0  # ms
LAMBDA = 500.0  # um
SPEED = 1.0  # m/s = 1000 um/ms
PATHS = (0.0, 510.0, 1010.0)  # soma(0.5) -> dend(0.5) -> dend(1)
D0 = 10.0  # mV at the soma, for 0.1 nA
ATT = (1.0, math.cosh((1010 - 510) / LAMBDA) / math.cosh(1010 / LAMBDA),
       1 / math.cosh(1010 / LAMBDA))

MODEL = {
    "name": "synthetic_cable",
    "simulation": {"duration": f"{DURATION} ms", "dt": f"{DT} ms"},
    "populations": {"cell": {"size": 1, "cell": {
        "type": "multicompartment",
        "sections": {"soma": {"length": "20 um", "diam": "20 um"},
                     "dend": {"length": "1000 um", "diam": "2 um", "parent": "soma(1)"}},
        "synapses": {"syn": {"type": "exp2syn", "location": "dend(0.5)", "tau1": "0.5 ms",
                             "tau2": "2 ms"}}}}},
    "stimuli": {"step": {"type": "step_current", "target": "cell", "amplitude": "0.1 nA",
                         "start": "20 ms", "stop": "120 ms"},
                "epsp": {"type": "spike_times", "target": "cell", "times": ["150 ms"],
                         "synapse": {"weight": "0.001 uS"}}},
    "record": {"cell": {"variables": ["spikes", "v"],
                        "locations": ["soma(0.5)", "dend", "dend(1)"]}},
    "expect": [
        {"measure": "deflection", "population": "cell", "value": "10 mV", "tolerance": "1e-6 mV"},
        {"measure": "input_resistance", "population": "cell", "value": "100 MOhm",
         "tolerance": "1e-5 MOhm"},
        {"measure": "membrane_time_constant", "population": "cell", "location": "dend(1)",
         "value": f"{TAU} ms", "tolerance": "1e-4 ms"},
        {"measure": "attenuation", "population": "cell", "location": "dend(1)",
         "value": ATT[2], "tolerance": "1e-9"},
        {"measure": "length_constant", "population": "cell", "location": "dend(1)",
         "value": f"{LAMBDA} um", "tolerance": "1e-6 um"},
        {"measure": "conduction_velocity", "population": "cell", "location": "dend(0.5)",
         "value": f"{SPEED} m/s", "tolerance": "1e-9 m/s"},
        {"measure": "conduction_velocity", "population": "cell", "location": "dend(1)",
         "window": ["0 ms", "10 ms"], "value": f"{SPEED} m/s", "tolerance": "1e-9 m/s"},
        {"measure": "epsp_peak", "population": "cell", "value": "0.5 mV", "tolerance": "1e-9 mV"},
        {"measure": "mean_v", "population": "cell", "window": ["10 ms", "20 ms"],
         "value": "-70 mV", "tolerance": "1e-9 mV"},
        {"measure": "peak_v", "population": "cell", "value": "70 mV", "tolerance": "1e-9 mV"},
    ],
}


def traces() -> np.ndarray:
    t = np.arange(round(DURATION / DT)) * DT
    v = np.full((t.size, 3), -70.0)
    on = (t >= 20) & (t < 120)
    for col, (att, path) in enumerate(zip(ATT, PATHS)):
        v[on, col] += D0 * att * (1 - np.exp(-(t[on] - 20) / TAU))  # exact charging curve
        peak = 2.0 + path / (SPEED * 1e3)  # a spike at 1 m/s, linear through 0 mV at `peak`
        v[:, col] += 140 * np.clip(1 - np.abs(t - peak), 0, None)
        v[:, col] += 0.5 * np.clip(np.minimum((t - 150.5) / 1.5, (160 - t) / 8), 0, None)
    return v


@pytest.fixture(scope="module")
def model():
    return mnsim.load(MODEL)


@pytest.fixture(scope="module")
def block(model):
    raw = RawResults(spikes={"cell": [np.array([2.0])]},
                     signals=[RawSignal("cell", "v", "mV", DT, traces(), (0,))],
                     integration="test",
                     geometry={"cell": {"area_um2": 7539.8, "length_um": 1020.0,
                                        "compartments": 37}})
    _check_raw(raw, model, "test")
    return to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                    run_time_s=0)


def test_channels_are_annotated_with_their_locations(block):
    ann = signal(block, "cell", "v").array_annotations
    assert list(ann["location"]) == ["soma(0.5)", "dend", "dend(1)"]
    assert list(ann["section"]) == ["soma", "dend", "dend"]
    np.testing.assert_allclose(ann["x"], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(ann["path_um"], PATHS)
    np.testing.assert_allclose(ann["distance_um"], PATHS)
    assert geometry(block, "cell") == {"area_um2": 7539.8, "length_um": 1020.0,
                                       "compartments": 37.0}
    with pytest.raises(MnsimError, match="no geometry recorded for population 'x'"):
        geometry(block, "x")


def test_every_expectation_passes(model, block):
    result = check_expectations(model, block)
    assert result.passed, result.table()
    assert [c.target for c in result.checks[:3]] == ["cell at soma(0.5)", "cell at soma(0.5)",
                                                     "cell at dend(1)"]
    assert "cell at dend(0.5)" not in result.table()  # the recorded label is reported
    assert "cell at dend " in result.table()


def test_measures_by_hand(block):
    step = Step(20.0, 120.0, 0.1)
    got = {name: float(measure(name, block, "cell", location="dend(1)", step=step)[0])
           for name in ("deflection", "input_resistance", "membrane_time_constant",
                        "attenuation", "length_constant")}
    assert got["deflection"] == pytest.approx(D0 * ATT[2], rel=1e-7)  # exp(-18) left
    assert got["input_resistance"] == pytest.approx(D0 * ATT[2] / 0.1, rel=1e-7)
    assert got["membrane_time_constant"] == pytest.approx(TAU, abs=1e-4)
    assert got["length_constant"] == pytest.approx(LAMBDA, rel=1e-12)
    assert float(measure("conduction_velocity", block, "cell", location="dend")[0]) == \
        pytest.approx(SPEED, rel=1e-9)
    # the EPSP window starts at the spike input (150 ms): v there is the baseline
    assert float(measure("epsp_peak", block, "cell", (150.0, 200.0))[0]) == pytest.approx(0.5)
    assert float(measure("mean_v", block, "cell", (10.0, 20.0))[0]) == -70.0


def test_undefined_and_wrong_uses(block):
    no_step = Step(20.0, 120.0, 0.0)
    assert np.isnan(measure("input_resistance", block, "cell", step=no_step)[0])
    assert np.isnan(measure("conduction_velocity", block, "cell", (50.0, 100.0),
                            location="dend")[0])  # no spike in the window
    with pytest.raises(MnsimError, match="needs the step current it refers to"):
        measure("deflection", block, "cell")
    with pytest.raises(MnsimError, match=r"location soma\(1\) of 'cell' is not recorded; "
                                         r"recorded: soma\(0.5\), dend, dend\(1\)"):
        measure("mean_v", block, "cell", location="soma(1)")


@pytest.mark.parametrize("suffix", [".nix", ".pkl"])
def test_annotations_survive_saving(block, tmp_path, suffix):
    again = load(save(block, tmp_path / f"r{suffix}"))
    ann = signal(again, "cell", "v").array_annotations
    assert [str(x) for x in ann["location"]] == ["soma(0.5)", "dend", "dend(1)"]
    assert geometry(again, "cell")["compartments"] == 37.0
    assert float(measure("length_constant", again, "cell", location="dend(1)",
                         step=Step(20.0, 120.0, 0.1))[0]) == pytest.approx(LAMBDA)
