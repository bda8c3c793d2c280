import numpy as np
import pytest

import mnsim
from mnsim.spec import load, shipped_models

HH = {
    "name": "hh_py",
    "simulation": {"duration": "50 ms", "dt": "0.01 ms"},
    "populations": {"m": {"size": 2, "cell": {"type": "HH_squid", "area": "1000 um2"}}},
    "stimuli": {"s": {"type": "step_current", "target": "m",
                      "amplitude": ["5 uA/cm2", "0.2 nA"], "start": "5 ms"}},
    "record": {"m": ["spikes", "v"]},
}


def test_every_shipped_model_loads():
    names = shipped_models()
    assert {"hh_squid", "lif_fi", "izhikevich_patterns", "adex_patterns"} <= set(names)
    for name in names:
        assert load(name).name == name


def test_hh_squid_as_specified_in_the_issue():
    m = mnsim.load("hh_squid")
    assert m.simulation.duration_ms == 120.0 and m.simulation.dt_ms == 0.01
    assert m.simulation.temperature_degC == 6.3
    cell = m.populations["membrane"].cell
    assert cell.area_um2 == 1000.0 and cell.params["e_rev_leak"] == -54.3
    # 10 uA/cm2 on 1000 um2 = 1e-5 A/cm2 * 1e-5 cm2 = 0.1 nA
    assert m.stimuli["step"].values["amplitude"] == pytest.approx([0.1])
    assert (m.stimuli["step"].values["start"], m.stimuli["step"].values["stop"]) == (10, 110)
    assert m.record["membrane"].variables == ("spikes", "v")


def test_lif_fi_per_neuron_amplitudes_and_defaults():
    m = load("lif_fi")
    assert list(m.stimuli["drive"].values["amplitude"]) == [0.3, 0.5, 1.0]
    params = m.populations["cells"].cell.params
    assert params["cm"] == 0.25 and params["i_offset"] == 0.0  # default filled in
    assert m.populations["cells"].cell.initial["v"] == -70.0  # v starts at v_rest


def test_current_density_is_scaled_by_area_and_current_used_as_is():
    m = load(HH)
    assert m.stimuli["s"].values["amplitude"] == pytest.approx([0.05, 0.2])
    assert m.stimuli["s"].values["stop"] == 50.0  # default: end of the run


def test_overrides_take_yaml_values():
    m = load("hh_squid", set={"stimuli.step.amplitude": "6.5 uA/cm2"})
    assert m.stimuli["step"].values["amplitude"] == pytest.approx([0.065])
    m = load("lif_fi", set={"stimuli.drive.amplitude": "[1 nA, 2 nA, 3 nA]",
                            "populations.cells.cell.params.tau_m": "10 ms"})
    assert list(m.stimuli["drive"].values["amplitude"]) == [1.0, 2.0, 3.0]
    assert m.populations["cells"].cell.params["tau_m"] == 10.0


def test_override_changes_the_hash_and_nothing_else_does():
    a, b = load("hh_squid"), load("hh_squid")
    assert a.sha256 == b.sha256
    assert load("hh_squid", set={"simulation.dt": "0.02 ms"}).sha256 != a.sha256


def test_python_model_round_trips_through_yaml(tmp_path):
    model = load(HH)
    path = model.save(tmp_path / "m.yaml")
    again = load(path)
    assert again == model and again.raw == model.raw
    assert again.to_yaml() == model.to_yaml()
    assert np.array_equal(again.stimuli["s"].values["amplitude"],
                          model.stimuli["s"].values["amplitude"])


def test_shipped_model_round_trips(tmp_path):
    for name in shipped_models():
        model = load(name)
        assert load(model.save(tmp_path / f"{name}.yaml")) == model


def test_variants_apply_named_overrides(tmp_path):
    raw = {**HH, "variants": {"strong": {"stimuli.s.amplitude": "20 uA/cm2"}}}
    path = load(raw).save(tmp_path / "v.yaml")
    m = load(f"{path}:strong")
    assert m.stimuli["s"].values["amplitude"] == pytest.approx([0.2, 0.2])


def test_recording_subsets():
    raw = {**HH, "record": {"m": {"variables": ["v"], "first": 1, "interval": "0.1 ms"}}}
    rec = load(raw).record["m"]
    assert rec.indices == (0,) and rec.interval_ms == 0.1 and rec.signals == ("v",)
