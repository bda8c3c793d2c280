"""IF_cond_bw2001 (NEST's iaf_bw_2001) on NEST and Brian2 against numbers computed here, and
the Wang (2002) decision network: pool A wins at c = 51.2 %.

The NMDA jump constants are computed independently of both backends: by integrating Wang's
exact two-variable gating (ds/dt = -s/tau_d + alpha x (1 - s), dx/dt = -x/tau_r, x jumping by 1
at a spike) until x has vanished and reading off the jump that the catalogue's approximation
must reproduce long after the spike."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import mnsim
from mnsim.errors import CapabilityError, SpecError
from mnsim.results import signal, spiketrains

DT = 0.1
BACKENDS = [pytest.param("nest", marks=pytest.mark.requires_nest, id="nest"),
            pytest.param("brian2", marks=pytest.mark.requires_brian2, id="brian2")]
# Wang's excitatory cell (catalogue defaults otherwise: tau_AMPA 2, tau_GABA 5, NMDA rise 2 and
# decay 100 ms, alpha 0.5/ms, Mg 1 mM)
CELL = {"cm": "0.5 nF", "tau_m": "20 ms", "v_rest": "-70 mV", "v_reset": "-55 mV",
        "v_thresh": "-50 mV", "tau_refrac": "2 ms"}
TAU_RISE, TAU_DECAY, ALPHA = 2.0, 100.0, 0.5


def _model(populations, stimuli=None, projections=None, record=None, duration="300 ms"):
    return mnsim.load({
        "name": "bw", "simulation": {"duration": duration, "dt": f"{DT} ms", "seed": 3},
        "populations": populations, "projections": projections or {},
        "stimuli": stimuli or {}, "record": record or {}})


def _pop(size=1, **params):
    return {"size": size, "cell": {"type": "IF_cond_bw2001", "params": {**CELL, **params}}}


def exact_jump(s_before: float) -> float:
    """The NMDA jump of Wang's exact gating for a spike that finds s = ``s_before``: how much
    higher s is, long after the spike, than the trace without it (both decaying with tau_d)."""
    def rhs(_t, y):
        s, x = y
        return [-s / TAU_DECAY + ALPHA * x * (1.0 - s), -x / TAU_RISE]

    t_end = 200.0  # 100 rise times: x has vanished
    sol = solve_ivp(rhs, (0.0, t_end), [s_before, 1.0], method="DOP853", rtol=1e-12,
                    atol=1e-14)
    return sol.y[0, -1] * np.exp(t_end / TAU_DECAY) - s_before


def test_exact_jump_is_linear_in_the_trace():
    """The approximation J = k0 + k1 S is exact in the limit: J is linear in S."""
    k0, k1 = exact_jump(0.0), exact_jump(1.0) - exact_jump(0.0)
    assert exact_jump(0.4) == pytest.approx(k0 + 0.4 * k1, abs=1e-9)
    assert k1 == pytest.approx(np.exp(-ALPHA * TAU_RISE) - 1.0, abs=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ampa_and_gaba_jump_by_the_weight_and_decay(backend):
    model = _model({"c": _pop(v_thresh="0 mV", e_rev_I="-80 mV")}, stimuli={
        "a": {"type": "spike_times", "target": "c", "times": ["20 ms"], "receptor": "AMPA",
              "synapse": {"weight": "1.5 nS", "delay": "1 ms"}},
        "g": {"type": "spike_times", "target": "c", "times": ["50 ms"], "receptor": "GABA",
              "synapse": {"weight": "3 nS", "delay": "0.5 ms"}}},
        record={"c": ["gsyn_AMPA", "gsyn_GABA", "v"]}, duration="100 ms")
    block = mnsim.run(model, backend)
    t = np.arange(1000) * DT
    for var, w, t_on, tau in (("gsyn_AMPA", 1.5e-3, 21.0, 2.0), ("gsyn_GABA", 3e-3, 50.5, 5.0)):
        g = signal(block, "c", var).magnitude[:, 0]
        on = t >= t_on - 1e-9
        expected = np.where(on, w * np.exp(-(t - t_on) / tau), 0.0)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-12, err_msg=var)
    # the AMPA input depolarises, the GABA input (reversal below rest) hyperpolarises
    v = signal(block, "c", "v").magnitude[:, 0]
    assert v[round(25 / DT)] > -70.0 + 0.1
    assert v[round(56 / DT)] < -70.0 - 0.05


@pytest.mark.parametrize("backend", BACKENDS)
def test_nmda_jump_rule_and_voltage_dependence(backend):
    """A pre neuron fires a regular train; its NMDA jumps (k0 + k1 S, S its own trace) reach
    two post neurons held near -70 and -40 mV, whose v follows the Mg-blocked NMDA current."""
    w, delay = 2e-3, 0.5  # uS, ms
    model = _model(
        {"pre": _pop(v_thresh="-55 mV", v_reset="-60 mV"),
         "post": _pop(2, v_thresh="0 mV", v_reset="-60 mV",
                      v_rest=["-70 mV", "-40 mV"])},
        stimuli={"i": {"type": "step_current", "target": "pre", "amplitude": "0.6 nA",
                       "start": "10 ms", "stop": "100 ms"}},
        projections={"nmda": {"pre": "pre", "post": "post", "connector": {"rule": "all_to_all"},
                              "synapse": {"weight": "2 nS", "delay": f"{delay} ms"},
                              "receptor": "NMDA"}},
        record={"pre": ["spikes"], "post": ["v", "gsyn_NMDA"]})
    block = mnsim.run(model, backend)
    spikes = np.asarray(spiketrains(block, "pre")[0])
    assert spikes.size >= 5
    # jumps by hand: the trace S decays with tau_decay between the pre neuron's spikes
    k0, k1 = exact_jump(0.0), exact_jump(1.0) - exact_jump(0.0)
    trace, last, jumps = 0.0, 0.0, []
    for ts in spikes:
        trace *= np.exp(-(ts - last) / TAU_DECAY)
        jumps.append(k0 + k1 * trace)
        trace, last = trace + jumps[-1], ts
    arrivals = spikes + delay
    t = np.arange(3000) * DT

    def g_nmda(time, since=None):  # uS; only the jumps that arrived by `since` (default: time)
        time = np.atleast_1d(time)[:, None]
        since = time if since is None else since
        return np.sum(np.where(since >= arrivals - 1e-9,
                               w * np.asarray(jumps) * np.exp(-(time - arrivals) / TAU_DECAY),
                               0.0), axis=1)

    g = signal(block, "post", "gsyn_NMDA").magnitude
    np.testing.assert_allclose(g[:, 0], g_nmda(t), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g[:, 1], g_nmda(t), rtol=1e-6, atol=1e-12)
    # v by hand (uS, mV, nF, ms): cm dv/dt = g_L (E_L - v) + g (0 - v) / (1 + exp(-0.062 v)/3.57)
    v = signal(block, "post", "v").magnitude
    for k, e_l in enumerate((-70.0, -40.0)):
        pieces, y0, edges = [], [e_l], [0.0, *arrivals, 300.0]
        for a, b in zip(edges[:-1], edges[1:]):  # integrate between the jumps of g
            def rhs(time, y, e_l=e_l, a=a):
                block_mg = 1.0 / (1.0 + np.exp(-0.062 * y[0]) / 3.57)
                return [(0.025 * (e_l - y[0]) - g_nmda(time, a)[0] * y[0] * block_mg) / 0.5]

            inside = t[(t >= a - 1e-9) & (t < b - 1e-9)]
            sol = solve_ivp(rhs, (a, b), y0, t_eval=np.append(inside, b), method="DOP853",
                            rtol=1e-10, atol=1e-12)
            pieces.append(sol.y[0, :-1])
            y0 = [sol.y[0, -1]]
        np.testing.assert_allclose(v[:, k], np.concatenate(pieces), atol=1e-4)
    # the block is stronger at -70 mV: the same conductance moves v far less
    assert abs(v[1500, 0] + 70.0) < 0.5 * abs(v[1500, 1] + 40.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_step_current_spike_times(backend):
    """0.6 nA from 10 ms to 510 ms: v tends to v_rest + I / g_L = -46 mV. The first crossing
    of -50 mV is 20 ln(24/4) = 35.84 ms after the onset, stamped at the end of its step (45.9
    ms); then every tau_refrac + 20 ln(9/4) = 2 + 16.22 ms, i.e. 18.3 ms on the grid."""
    model = _model({"c": _pop()}, stimuli={
        "i": {"type": "step_current", "target": "c", "amplitude": "0.6 nA", "start": "10 ms",
              "stop": "510 ms"}}, record={"c": ["spikes"]}, duration="600 ms")
    first = 10.0 + 20.0 * np.log(24.0 / 4.0)
    isi = 20.0 * np.log(9.0 / 4.0)
    first_grid = np.ceil(first / DT) * DT
    isi_grid = 2.0 + np.ceil(isi / DT) * DT
    expected = first_grid + isi_grid * np.arange(int((510.0 - first_grid) // isi_grid) + 1)
    spikes = np.asarray(spiketrains(mnsim.run(model, backend), "c")[0])
    assert spikes.size == expected.size == 26
    np.testing.assert_allclose(spikes, expected, atol=1e-9)


# -- what the model checks refuse --------------------------------------------------------------
def test_nmda_only_from_bw2001_neurons():
    with pytest.raises(SpecError, match="takes spikes only from IF_cond_bw2001"):
        _model({"a": {"size": 1, "cell": {"type": "IF_cond_exp"}}, "b": _pop()},
               projections={"p": {"pre": "a", "post": "b", "connector": {"rule": "all_to_all"},
                                  "synapse": {"weight": "1 nS"}, "receptor": "NMDA"}})
    with pytest.raises(SpecError, match="not from a spike input"):
        _model({"b": _pop()}, stimuli={"s": {"type": "poisson", "target": "b", "rate": "10 Hz",
                                             "receptor": "NMDA", "synapse": {"weight": "1 nS"}}})
    model = _model({"a": _pop(), "b": _pop()}, stimuli={
        "s": {"type": "poisson", "target": "b", "rate": "10 Hz", "receptor": "AMPA",
              "synapse": {"weight": "1 nS"}}},
        projections={"p": {"pre": "a", "post": "b", "connector": {"rule": "all_to_all"},
                           "synapse": {"weight": "1 nS"}, "receptor": "NMDA"}})
    assert model.projections["p"].receptor == "NMDA"


def test_neuron_backend_refuses_and_names_the_others():
    from mnsim.backends import backend_class

    model = _model({"c": _pop()})
    with pytest.raises(CapabilityError, match="IF_cond_bw2001.*supported by: brian2, nest"):
        backend_class("neuron")().check(model)


def test_brian2_refuses_nmda_delays_beyond_the_refractory_period():
    from mnsim.backends import backend_class

    proj = {"pre": "a", "post": "a", "connector": {"rule": "all_to_all"},
            "synapse": {"weight": "1 nS", "delay": "2.2 ms"}, "receptor": "NMDA"}
    too_long = _model({"a": _pop(2)}, projections={"p": proj})
    with pytest.raises(CapabilityError, match="NMDA delays longer"):
        backend_class("brian2")().check(too_long)
    proj["synapse"]["delay"] = "2.1 ms"  # tau_refrac + dt: still exact
    backend_class("brian2")().check(_model({"a": _pop(2)}, projections={"p": proj}))


@pytest.mark.requires_nest
def test_nest_refuses_currents_before_its_generators_act():
    model = _model({"c": _pop()}, stimuli={
        "i": {"type": "step_current", "target": "c", "amplitude": "0.6 nA", "start": "0.5 ms"}})
    with pytest.raises(CapabilityError, match="has no I_e"):
        mnsim.run(model, "nest")


# -- the decision ---------------------------------------------------------------------------
def _rate(block, population, start_ms, stop_ms):
    trains = spiketrains(block, population)
    count = sum(int(np.sum((np.asarray(s) >= start_ms) & (np.asarray(s) < stop_ms)))
                for s in trains)
    return count / len(trains) / ((stop_ms - start_ms) / 1000.0)


# NEST runs the 1.2 s network in 5-15 s (2 threads); Brian2 in 5 s once compiled, but its first
# compile of the network takes about 2 minutes: slow there
@pytest.mark.parametrize("backend", [
    BACKENDS[0], pytest.param("brian2", marks=[pytest.mark.requires_brian2, pytest.mark.slow],
                              id="brian2")])
def test_decision_follows_the_coherence(backend):
    """c = 51.2 %: over the last 500 ms of the stimulus pool A fires at a high rate and pool B
    is suppressed."""
    block = mnsim.run("wang2002_decision:c51.2", backend, threads=2)
    rate_a = _rate(block, "pool_A", 700.0, 1200.0)
    rate_b = _rate(block, "pool_B", 700.0, 1200.0)
    assert 20.0 < rate_a < 60.0
    assert rate_b < 5.0
