"""``mnsim compare`` of a multicompartment cell (comparison_cable.py) on synthetic Blocks, no
simulator: one column per location measure of ``expect:``, with unique labels, each compared
with the reference backend's value."""

import numpy as np
import pytest

import mnsim
from mnsim.backends.base import RawResults, RawSignal, _check_raw
from mnsim.comparison import Comparison
from mnsim.comparison_cable import cable_rows, measure_labels
from mnsim.results import to_block

DT = 0.025
R_IN, TAU = 3183.1, 10.0  # MOhm, ms: passive_compartment's


@pytest.fixture(scope="module")
def model():
    return mnsim.load("passive_compartment")


def block(model, plateau_mV: float):
    """The charging curve of the -4 pA step (50-250 ms), settling at ``plateau_mV``."""
    t = np.arange(round(300.0 / DT)) * DT
    on = (t >= 50) & (t < 250)
    v = np.full((t.size, 1), -70.0)
    v[on, 0] += (plateau_mV + 70.0) * (1 - np.exp(-(t[on] - 50) / TAU))
    raw = RawResults(spikes={}, signals=[RawSignal("cell", "v", "mV", DT, v, (0,))],
                     integration="test",
                     geometry={"cell": {"area_um2": 314.159, "length_um": 10.0,
                                        "compartments": 1}})
    _check_raw(raw, model, "test")
    return to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                    run_time_s=0)


def test_every_location_measure_has_a_column_of_its_own(model):
    labels = measure_labels(model)
    assert labels == {0: "input_resistance @ soma(0.5) (MOhm)",
                      1: "membrane_time_constant @ soma(0.5) (ms)",
                      2: "mean_v @ soma(0.5) [230-250 ms] (mV)",
                      3: "mean_v @ soma(0.5) [0-50 ms] (mV)"}
    columns = Comparison(model, [], []).columns
    assert [c for c in columns if c in labels.values()] == list(labels.values())


def test_labels_alike_name_the_stimulus_then_the_entry(model):
    twice = mnsim.load("passive_compartment", set={
        "expect.3.window": ["230 ms", "250 ms"],
        "stimuli.other": {"type": "step_current", "target": "cell", "amplitude": "1 pA",
                          "start": "260 ms", "stop": "280 ms"},
        "expect.0.stimulus": "step",
        "expect.1.stimulus": "step"})
    labels = measure_labels(twice)
    assert labels[2] == "mean_v @ soma(0.5) [230-250 ms] expect[2] (mV)"
    assert labels[3] == "mean_v @ soma(0.5) [230-250 ms] expect[3] (mV)"
    assert labels[0] == "input_resistance @ soma(0.5) (MOhm)"  # alone: no stimulus needed


def test_each_measure_is_compared_with_the_reference(model):
    plateau = -70.0 - 0.004 * R_IN  # -82.73 mV
    blocks = {"a": block(model, plateau), "b": block(model, plateau - 5.0)}
    comparison = Comparison(model, ["a", "b"], [], blocks=blocks)
    ref, other = cable_rows(comparison)
    assert ref.status == "reference"
    assert ref.measures["mean_v @ soma(0.5) [0-50 ms] (mV)"] == pytest.approx(-70.0)
    assert ref.measures["mean_v @ soma(0.5) [230-250 ms] (mV)"] == pytest.approx(plateau,
                                                                                 abs=1e-3)
    assert ref.measures["input_resistance @ soma(0.5) (MOhm)"] == pytest.approx(R_IN, rel=1e-4)
    # a plateau 5 mV lower: R_in 39 % higher, the plateau 6 % lower (beyond 2 %); rest and
    # tau alike
    assert other.status.startswith("differs: input_resistance @ soma(0.5) (MOhm): 4433.1 vs "
                                   "3183.1; ")
    assert "mean_v @ soma(0.5) [230-250 ms] (mV): -87.732 vs -82.732" in other.status
    assert "[0-50 ms]" not in other.status and "membrane_time_constant" not in other.status
