"""IF_curr_exp_sfa on every backend: one neuron, a step current, intervals that grow with
adaptation, against the analytic solution between spikes.

Between spikes, with a constant current I from the step's onset and w(t) = w0 exp(-t/tau_w):

    v(t) = v_inf + A exp(-t/tau_w) + (v0 - v_inf - A) exp(-t/tau_m),
    v_inf = v_rest + I tau_m / cm,   A = -(w0 / cm) / (1/tau_m - 1/tau_w).

A spike is the end of the time step during which v reaches v_thresh (the root of v(t) =
v_thresh, found with brentq, rounded up to the grid); then w += b and v is held at v_reset for
tau_refrac while w decays.
"""

import numpy as np
import pytest
from scipy.optimize import brentq

import mnsim
from conftest import backend_params
from mnsim.results import signal, spiketrains

CM, TAU_M, V_REST, V_RESET, V_THRESH, TAU_REF = 0.25, 20.0, -70.0, -60.0, -50.0, 2.0
B, TAU_W, AMPLITUDE, ONSET, DURATION, DT = 0.02, 100.0, 0.5, 20.0, 300.0, 0.01


def free_v(t, v0, w0, current):
    """v at time t after a free start (v0, w0) with a constant current (catalogue units)."""
    v_inf = V_REST + current * TAU_M / CM
    a = -(w0 / CM) / (1.0 / TAU_M - 1.0 / TAU_W)
    return v_inf + a * np.exp(-t / TAU_W) + (v0 - v_inf - a) * np.exp(-t / TAU_M)


def above_threshold(t, v0, w0):
    return free_v(t, v0, w0, AMPLITUDE) - V_THRESH


def reference_spikes():
    """Spike times (ms) and the w jumps' times of the analytic solution."""
    spikes, t0, v0, w0 = [], ONSET, V_REST, 0.0
    while True:
        grid = np.arange(0.0, DURATION - t0, 0.001)
        above = np.flatnonzero(free_v(grid, v0, w0, AMPLITUDE) >= V_THRESH)
        if not above.size:
            return np.array(spikes)
        k = above[0]
        crossing = t0 + brentq(above_threshold, grid[k - 1], grid[k], args=(v0, w0))
        spike = np.ceil(crossing / DT - 1e-9) * DT
        if spike >= DURATION:
            return np.array(spikes)
        spikes.append(spike)
        w_spike = w0 * np.exp(-(spike - t0) / TAU_W) + B
        t0, v0, w0 = spike + TAU_REF, V_RESET, w_spike * np.exp(-TAU_REF / TAU_W)


def reference_w(times, spikes):
    """w (nA) at ``times``: a sum of decaying jumps b, one per spike before."""
    lag = times[:, None] - spikes[None, :]
    return np.where(lag >= 0, B * np.exp(-np.clip(lag, 0, None) / TAU_W), 0.0).sum(axis=1)


MODEL = {
    "name": "sfa_step",
    "simulation": {"duration": f"{DURATION} ms", "dt": f"{DT} ms"},
    "populations": {"cell": {"size": 1, "cell": {"type": "IF_curr_exp_sfa", "params": {
        "cm": f"{CM} nF", "tau_m": f"{TAU_M} ms", "v_rest": f"{V_REST} mV",
        "v_reset": f"{V_RESET} mV", "v_thresh": f"{V_THRESH} mV",
        "tau_refrac": f"{TAU_REF} ms", "b": f"{B} nA", "tau_w": f"{TAU_W} ms"}}}},
    "stimuli": {"step": {"type": "step_current", "target": "cell",
                         "amplitude": f"{AMPLITUDE} nA", "start": f"{ONSET} ms"}},
    "record": {"cell": {"variables": ["spikes", "v", "w"], "interval": "0.1 ms"}},
}


def test_reference_intervals_grow():
    spikes = reference_spikes()
    isi = np.diff(spikes)
    # without adaptation (RI = 40 mV): tau_refrac + tau_m ln((RI - 10 mV) / (RI - 20 mV))
    assert isi[0] > TAU_REF + TAU_M * np.log(30.0 / 20.0)
    assert np.all(np.diff(isi) > -DT - 1e-9) and isi[-1] > isi[0] + 4.0
    assert len(spikes) > 15


@pytest.mark.parametrize("backend", backend_params())
def test_adapting_intervals_match_the_analytic_solution(backend):
    model = mnsim.load(MODEL)  # every backend has the cell (test_capabilities.py)
    block = mnsim.run(model, backend)
    spikes = spiketrains(block, "cell")[0].rescale("ms").magnitude
    expected = reference_spikes()
    assert len(spikes) == len(expected)
    assert np.max(np.abs(spikes - expected)) < 0.1
    assert np.max(np.abs(np.diff(spikes) - np.diff(expected))) < 0.1
    w = signal(block, "cell", "w")
    times = w.times.rescale("ms").magnitude
    # away from spikes (a sample in a spike's step may hold w before or after the jump)
    clear = np.min(np.abs(times[:, None] - spikes[None, :]), axis=1) > 2 * DT
    assert np.max(np.abs(w.magnitude[clear, 0] - reference_w(times[clear], expected))) < 1e-4
