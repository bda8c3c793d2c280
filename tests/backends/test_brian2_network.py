"""Brian2 networks against numbers computed here by hand: delta jumps and refractoriness,
Tsodyks-Markram and STDP rules of the catalogue, the drawn connections and trains, the
played and native noise currents, HH_cond_exp's peak rule.

Brian2 compiles each distinct model once (20-60 s cold, cached under ~/.cython): the tests
share a few small models."""

from __future__ import annotations

import numpy as np
import pytest

import mnsim
from mnsim import draw
from mnsim.results import final_weights, signal, spiketrains

pytestmark = pytest.mark.requires_brian2

DT = 0.1


def _model(populations, stimuli=None, projections=None, record=None, duration="50 ms",
           connectivity="shared", seed=1):
    return mnsim.load({
        "name": "t", "simulation": {"duration": duration, "dt": f"{DT} ms", "seed": seed},
        "populations": populations, "projections": projections or {},
        "stimuli": stimuli or {}, "record": record or {},
        "compare": {"connectivity": connectivity}})


def _delta(size=1, **params):
    base = {"v_rest": "-65 mV", "v_reset": "-70 mV", "v_thresh": "-50 mV",
            "tau_m": "20 ms", "cm": "0.25 nF", "tau_refrac": "2 ms"}
    base.update(params)
    return {"size": size, "cell": {"type": "IF_curr_delta", "params": base}}


def _brian2_objects(model):
    from mnsim.backends.brian2.backend import Brian2Backend

    backend = Brian2Backend()
    backend._build(model)
    objects = {obj.name: obj for obj in backend._net.objects}
    objects["backend"] = backend  # Brian2 objects hold weak references to their network
    return objects


def _v(block, pop):
    return signal(block, pop, "v").magnitude


# -- IF_curr_delta ----------------------------------------------------------------------------
def test_delta_jump_threshold_in_step_and_inputs_lost_while_refractory():
    model = _model({"c": _delta()}, stimuli={
        "a": {"type": "spike_times", "target": "c", "times": ["10 ms"], "receptor": "excitatory",
              "synapse": {"weight": "2 mV", "delay": "1 ms"}},
        "b": {"type": "spike_times", "target": "c", "times": ["20 ms"], "receptor": "excitatory",
              "synapse": {"weight": "20 mV", "delay": "1 ms"}},
        "c": {"type": "spike_times", "target": "c", "times": ["22 ms", "22.1 ms"],
              "receptor": "excitatory", "synapse": {"weight": "3 mV", "delay": "1 ms"}}},
        record={"c": {"variables": ["spikes", "v"], "interval": f"{DT} ms"}})
    block = mnsim.run(model, "brian2")
    v = _v(block, "c")[:, 0]
    decay = np.exp(-DT / 20.0)
    # the jump of w at t_spike + delay, exactly
    assert v[109] == pytest.approx(-65.0, abs=1e-12)
    assert v[110] == pytest.approx(-63.0, abs=1e-12)
    assert v[111] == pytest.approx(-65.0 + 2.0 * decay, abs=1e-12)
    # a jump that reaches threshold fires in the step it arrives: at 21 ms
    assert list(spiketrains(block, "c")[0].magnitude) == [21.0]
    # v held at v_reset for tau_refrac = 2 ms after 21 ms; the input arriving at 23.0 ms is
    # lost (NEST: 20 refractory steps), the one at 23.1 ms lands after a free step
    assert v[210:231] == pytest.approx(np.full(21, -70.0), abs=1e-12)
    assert v[231] == pytest.approx(-65.0 - 5.0 * decay + 3.0, abs=1e-12)


def test_poisson_trains_deliver_their_multiplicity():
    model = _model({"c": _delta(3, v_thresh="100 mV")}, stimuli={
        "p": {"type": "poisson", "target": "c", "rate": "4000 Hz", "stop": "20 ms",
              "receptor": "excitatory", "synapse": {"weight": "0.5 mV", "delay": "0.3 ms"}}},
        record={"c": {"variables": ["v"], "interval": f"{DT} ms"}}, duration="25 ms")
    trains = draw.poisson_trains(model, model.stimuli["p"])
    n = 250
    counts = np.zeros((n, 3))
    for k, train in enumerate(trains):
        steps = np.rint(train / DT).astype(int) + 3  # arrival = spike + delay
        np.add.at(counts[:, k], steps[steps < n], 1)
    assert counts.max() >= 2  # some steps carry two spikes of one train
    expected = np.empty((n, 3))
    v, decay = np.full(3, -65.0), np.exp(-DT / 20.0)
    for k in range(n):
        if k:
            v = -65.0 + (v + 65.0) * decay + 0.5 * counts[k]
        expected[k] = v
    assert np.max(np.abs(_v(mnsim.run(model, "brian2"), "c") - expected)) < 1e-9


# -- Tsodyks-Markram ------------------------------------------------------------------------
def _tm_weights(times, w, U, tau_rec, tau_facil):
    """The catalogue's rule, step by step."""
    x, u, last, out = 1.0, 0.0, None, []
    for t in times:
        h = 0.0 if last is None else t - last
        x = 1 + (x - x * u - 1) * np.exp(-h / tau_rec)
        u = U + u * (1 - U) * (np.exp(-h / tau_facil) if tau_facil > 0 else 0.0)
        out.append(w * u * x)
        last = t
    return np.array(out)


def test_tsodyks_markram_jumps_follow_the_catalogue_rule():
    times = [5.0, 8.0, 10.0, 20.0, 45.0]
    cond = {"size": 1, "cell": {"type": "IF_cond_exp", "params": {"tau_syn_E": "3 ms",
                                                                   "tau_syn_I": "4 ms"}}}
    dep = {"type": "tsodyks_markram", "U": 0.5, "tau_rec": "100 ms", "weight": "0.01 uS",
           "delay": "2 ms"}
    fac = {"type": "tsodyks_markram", "U": 0.1, "tau_rec": "50 ms", "tau_facil": "200 ms",
           "weight": "0.02 uS", "delay": "1 ms"}
    model = _model({"c": cond}, stimuli={
        "dep": {"type": "spike_times", "target": "c", "times": [f"{t} ms" for t in times],
                "receptor": "excitatory", "synapse": dep},
        "fac": {"type": "spike_times", "target": "c", "times": [f"{t} ms" for t in times],
                "receptor": "inhibitory", "synapse": fac}},
        record={"c": {"variables": ["gsyn_exc", "gsyn_inh"], "interval": f"{DT} ms"}},
        duration="60 ms")
    block = mnsim.run(model, "brian2")
    for var, tau, delay, expected in (
            ("gsyn_exc", 3.0, 2.0, _tm_weights(times, 0.01, 0.5, 100.0, 0.0)),
            ("gsyn_inh", 4.0, 1.0, _tm_weights(times, 0.02, 0.1, 50.0, 200.0))):
        g = signal(block, "c", var).magnitude[:, 0]
        steps = np.rint((np.array(times) + delay) / DT).astype(int)
        jumps = g[steps] - g[steps - 1] * np.exp(-DT / tau)
        assert jumps == pytest.approx(expected, rel=1e-9, abs=1e-15)


# -- STDP -----------------------------------------------------------------------------------
def test_stdp_pair_rules_dendritic_delay_and_delivered_weight():
    # pre neuron 0 fires at 10 ms, the post neuron at 20 ms, pre neuron 1 at 30 ms (each by a
    # 20 mV jump arriving then); delay d = 1 ms: post events meet pre spikes at 21 ms
    tau_plus, tau_minus, a_plus, a_minus, w0, w_max = 15.0, 25.0, 0.1, 0.12, 0.5, 1.0
    stdp = {"type": "stdp", "weight": f"{w0} mV", "delay": "1 ms", "tau_plus": f"{tau_plus} ms",
            "tau_minus": f"{tau_minus} ms", "A_plus": a_plus, "A_minus": a_minus,
            "w_max": f"{w_max} mV"}
    kick = {"weight": "20 mV", "delay": "1 ms"}
    model = _model({"pre": _delta(2, tau_refrac="0.1 ms"), "post": _delta(tau_refrac="0.1 ms")},
                   stimuli={
        "kp": {"type": "spike_times", "target": "pre", "times": [["9 ms"], ["29 ms"]],
               "receptor": "excitatory", "synapse": kick},
        "kq": {"type": "spike_times", "target": "post", "times": ["19 ms"],
               "receptor": "excitatory", "synapse": kick}},
        projections={
        "add": {"pre": "pre", "post": "post", "connector": {"rule": "all_to_all"},
                "synapse": {**stdp, "weight_dependence": "additive"}, "receptor": "excitatory"},
        "mul": {"pre": "pre", "post": "post", "connector": {"rule": "all_to_all"},
                "synapse": {**stdp, "weight_dependence": "multiplicative"},
                "receptor": "excitatory"}},
        record={"pre": ["spikes"], "post": {"variables": ["spikes", "v"],
                                              "interval": f"{DT} ms"}})
    block = mnsim.run(model, "brian2")
    assert [list(st.magnitude) for st in spiketrains(block, "pre")] == [[10.0], [30.0]]
    assert list(spiketrains(block, "post")[0].magnitude) == [20.0]
    potentiate = np.exp(-(20.0 + 1.0 - 10.0) / tau_plus)  # K+ of pre 0 at 21 ms
    depress = np.exp(-(30.0 - 21.0) / tau_minus)  # K- of the post event at pre 1's spike
    expected = {"add": [w0 + a_plus * w_max * potentiate, w0 - a_minus * w_max * depress],
                "mul": [w0 + a_plus * (w_max - w0) * potentiate,
                        w0 - a_minus * (w0 - 0.0) * depress]}
    for name, weights in expected.items():
        found = final_weights(block, name)
        assert list(found["pre"]) == [0, 1] and list(found["post"]) == [0, 0]
        assert found["weight"] == pytest.approx(weights, rel=1e-12)
    # the PSP of pre 1 arrives at 31 ms with the depressed weights
    v = _v(block, "post")[:, 0]
    jump = v[310] - (-65.0 + (v[309] + 65.0) * np.exp(-DT / 20.0))
    assert jump == pytest.approx(expected["add"][1] + expected["mul"][1], abs=1e-9)


# -- connectivity ---------------------------------------------------------------------------
def test_shared_synapses_are_the_drawn_connections():
    model = _model({"a": _delta(30), "b": _delta(20)}, projections={
        "p": {"pre": "a[5:25]", "post": "b[2:18]",
              "connector": {"rule": "fixed_probability", "p": 0.3},
              "synapse": {"weight": {"distribution": "normal", "mu": "1 mV", "sigma": "0.5 mV",
                                     "min": "0 mV"},
                          "delay": {"distribution": "uniform", "low": "0.1 ms", "high": "2 ms"}},
              "receptor": "excitatory"}})
    objects = _brian2_objects(model)
    S = objects["mnsim_p0"]
    c = draw.connections(model, "p")
    assert len(c) > 50
    assert np.array_equal(np.asarray(S.i[:]) + 5, c.pre)
    assert np.array_equal(np.asarray(S.j[:]) + 2, c.post)
    assert np.array_equal(np.asarray(S.w_[:]), c.weight)
    # IF_curr_delta pathways push the previous step's spikes: one step less in Brian2
    assert np.allclose(np.asarray(S.delay_[:]) * 1e3, c.delay_ms - DT, rtol=0, atol=1e-12)


def test_native_fixed_degrees_and_autapses():
    model = _model({"a": _delta(40), "b": _delta(30)}, connectivity="native", projections={
        "ind": {"pre": "a", "post": "a", "connector": {"rule": "fixed_indegree", "k": 7,
                                                      "allow_autapses": False},
                "synapse": {"weight": "0.1 mV"}, "receptor": "excitatory"},
        "out": {"pre": "a[0:20]", "post": "b", "connector": {"rule": "fixed_outdegree", "k": 5},
                "synapse": {"weight": {"distribution": "normal", "mu": "-1 mV",
                                       "sigma": "1 mV", "max": "-0.5 mV"}},
                "receptor": "inhibitory"}})
    objects = _brian2_objects(model)
    ind, out = objects["mnsim_p0"], objects["mnsim_p1"]
    i, j = np.asarray(ind.i[:]), np.asarray(ind.j[:])
    assert np.all(np.bincount(j, minlength=40) == 7) and not np.any(i == j)
    assert all(len(set(i[j == k])) == 7 for k in range(40))  # distinct partners
    assert np.all(np.bincount(np.asarray(out.i[:]), minlength=20) == 5)
    w = np.asarray(out.w_[:])
    assert np.all(w <= -0.5) and np.unique(w).size == w.size  # drawn by Brian2, redrawn


# -- currents -------------------------------------------------------------------------------
def _currents_model(connectivity):
    return _model({"c": _delta(201, v_thresh="1000 mV")}, stimuli={
        "sine": {"type": "sine_current", "target": "c[0:1]", "amplitude": "0.3 nA",
                 "frequency": "100 Hz", "phase": "30 deg", "offset": "0.1 nA",
                 "start": "5 ms", "stop": "15 ms"},
        "ou": {"type": "ou_current", "target": "c[1:101]", "mean": "0.2 nA",
               "sigma": "0.1 nA", "tau": "5 ms", "start": "2 ms"},
        "noise": {"type": "noise_current", "target": "c[101:201]", "mean": "-0.1 nA",
                  "std": "0.2 nA", "interval": "1 ms", "start": "3 ms"}},
        record={"c": {"variables": ["v"], "interval": f"{DT} ms"}}, duration="400 ms",
        connectivity=connectivity, seed=3)


def _injected(block):
    """The current during each step, recovered exactly from v (exact integration):
    v' = v_rest + (v - v_rest) e + R I (1 - e)."""
    v = _v(block, "c")
    e = np.exp(-DT / 20.0)
    return (v[1:] + 65.0 - (v[:-1] + 65.0) * e) / (80.0 * (1 - e))  # R = 20 ms / 0.25 nF


@pytest.mark.parametrize("connectivity", ["shared", "native"])
def test_current_stimuli(connectivity):
    model = _currents_model(connectivity)
    current = _injected(mnsim.run(model, "brian2"))
    t = np.arange(current.shape[0]) * DT
    sine = np.where((t >= 5) & (t < 15),
                    0.1 + 0.3 * np.sin(2 * np.pi * 0.1 * t + np.pi / 6), 0.0)
    assert np.max(np.abs(current[:, 0] - sine)) < 1e-9
    ou, noise = current[:, 1:101], current[:, 101:]
    assert np.all(ou[:20] == pytest.approx(0, abs=1e-9))
    assert np.all(ou[20] == pytest.approx(0.2, abs=1e-9))  # starts at the mean
    assert np.all(noise[:30] == pytest.approx(0, abs=1e-9))
    if connectivity == "shared":
        for name, played, lo in (("ou", ou, 20), ("noise", noise, 30)):
            first, values = draw.noise_current(model, model.stimuli[name])
            assert first == lo
            assert np.max(np.abs(played[lo:] - values[:played.shape[0] - lo])) < 1e-9
        return
    # native: Brian2's randn(); statistics of 100 neurons x ~4000 steps
    x = ou[20:]
    assert x.mean() == pytest.approx(0.2, abs=0.01)
    assert x.std() == pytest.approx(0.1, rel=0.05)
    lag = 50  # tau = 5 ms
    centred = x - x.mean()
    corr = np.mean(centred[lag:] * centred[:-lag]) / x.var()
    assert corr == pytest.approx(np.exp(-1.0), abs=0.05)
    y = noise[30:]
    blocks = y[: (y.shape[0] // 10) * 10].reshape(-1, 10, 100)
    assert np.max(np.abs(blocks - blocks[:, :1])) < 1e-9  # held for interval = 10 steps
    assert blocks[:, 0].mean() == pytest.approx(-0.1, abs=0.01)
    assert blocks[:, 0].std() == pytest.approx(0.2, rel=0.05)


# -- HH_cond_exp ----------------------------------------------------------------------------
def test_hh_cond_exp_peak_rule_and_conductances():
    model = _model({"h": {"size": 1, "cell": {"type": "HH_cond_exp",
                                              "params": {"tau_refrac": "2 ms"}}}},
                   stimuli={
        "drive": {"type": "step_current", "target": "h", "amplitude": "0.6 nA",
                  "start": "10 ms", "stop": "80 ms"},
        "syn": {"type": "spike_times", "target": "h", "times": ["5 ms"],
                "receptor": "inhibitory", "synapse": {"weight": "0.01 uS", "delay": "1 ms"}}},
        record={"h": {"variables": ["spikes", "v", "gsyn_inh"], "interval": f"{DT} ms"}},
        duration="100 ms")
    block = mnsim.run(model, "brian2")
    v = _v(block, "h")[:, 0]
    g = signal(block, "h", "gsyn_inh").magnitude[:, 0]
    assert g[59] == 0.0 and g[60] == pytest.approx(0.01, rel=1e-12)
    assert g[61] == pytest.approx(0.01 * np.exp(-DT / 2.0), rel=1e-9)
    # NEST's rule applied to the recorded v: a spike at the end of step k when v_k >= -33 mV
    # and v_k < v_{k-1}, not within 20 steps (tau_refrac) after the previous spike
    expected, last = [], -10**9
    for k in range(1, v.size):
        if k - last > 20 and v[k] >= -63.0 + 30.0 and v[k] < v[k - 1]:
            expected.append(k * DT)
            last = k
    spikes = spiketrains(block, "h")[0].magnitude
    assert len(expected) >= 3
    assert spikes[: len(expected)] == pytest.approx(expected, abs=1e-9)


# -- native Poisson inputs ------------------------------------------------------------------
def test_native_poisson_inputs_have_poisson_statistics():
    # shot noise of rate r and jump J on tau_m = 20 ms: mean r J tau, variance per step
    # r dt J^2 / (1 - exp(-2 dt/tau)) (counts per step Poisson, exactly summed)
    rates = [5000.0] * 50 + [20000.0] * 50
    model = _model({"c": _delta(200, v_thresh="1000 mV", v_rest="0 mV", v_reset="0 mV")},
                   connectivity="native", duration="600 ms", stimuli={
        "fast": {"type": "poisson", "target": "c[0:100]", "rate": "10000 Hz",
                 "receptor": "excitatory", "synapse": {"weight": "0.1 mV", "delay": "1 ms"}},
        "counted": {"type": "poisson", "target": "c[100:200]",
                    "rate": [f"{r} Hz" for r in rates], "receptor": "excitatory",
                    "synapse": {"weight": "0.1 mV", "delay": "1 ms"}}},
        record={"c": {"variables": ["v"], "interval": f"{DT} ms"}})
    v = _v(mnsim.run(model, "brian2"), "c")[1500:]  # after 150 ms
    for cols, rate in ((slice(0, 100), 10000.0), (slice(100, 150), 5000.0),
                       (slice(150, 200), 20000.0)):
        x = v[:, cols]
        mean = rate * 1e-3 * 0.1 * 20.0
        std = np.sqrt(rate * DT * 1e-3 * 0.01 / (1 - np.exp(-2 * DT / 20.0)))
        assert x.mean() == pytest.approx(mean, rel=0.01)
        assert x.std() == pytest.approx(std, rel=0.06)
