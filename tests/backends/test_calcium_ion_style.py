"""A cell whose calcium channels read a fixed eca and whose SK channel reads cai, with no
calcium dynamics: eca is the region's value and cai constant on both backends. NEURON's
default ion style would start eca from Nernst (138.4 mV at 34 degC instead of 132.458 mV)
because SK_E2 reads cai; without mnsim fixing the style the two backends' spikes drift apart
(0.175 ms by the 26th spike, v RMSE 7.8 mV)."""

from __future__ import annotations

import pytest

import mnsim

MODEL = {
    "name": "sk_without_calcium_dynamics",
    "simulation": {"duration": "300 ms", "dt": "0.025 ms", "temperature": "34 degC"},
    "populations": {"cell": {"size": 1, "cell": {
        "type": "multicompartment",
        "sections": {"soma": {"length": "20 um", "diam": "20 um"}},
        "regions": {"all": {
            "mechanisms": {"pas": {"g": "3e-5 S/cm2", "e": "-75 mV"},
                           "NaTs2_t": {"gbar": "0.98 S/cm2"}, "SKv3_1": {"gbar": "0.3 S/cm2"},
                           "SK_E2": {"gbar": "0.05 S/cm2"}, "Ca_HVA": {"gbar": "0.002 S/cm2"}},
            "reversal": {"na": "50 mV", "k": "-85 mV"}}},
        "initial": {"v": "-75 mV"}}}},
    "stimuli": {"step": {"type": "step_current", "target": "cell", "amplitude": "0.3 nA",
                         "start": "50 ms", "stop": "250 ms"}},
    "record": {"cell": {"variables": ["spikes", "v"]}},
}


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
def test_fixed_eca_agrees_between_backends():
    result = mnsim.compare(MODEL, ["neuron", "brian2"])
    assert result.agree, result.table()
    rows = {r.backend: r for r in result.rows}
    assert rows["neuron"].spikes == rows["brian2"].spikes == 26
    assert rows["brian2"].max_spike_shift_ms < 0.01
    assert rows["brian2"].v_rmse_mV < 0.05
