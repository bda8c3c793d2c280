"""The NEURON backend's networks: synaptic events, synapse types, inputs and currents, against
numbers computed here by hand (analytic PSPs, the catalogue's synapse rules, mnsim.draw)."""

import numpy as np
import pytest

import mnsim
from mnsim import draw

pytestmark = pytest.mark.requires_neuron

DT = 0.1


def load(populations, stimuli=None, projections=None, record=None, duration="40 ms", dt=DT,
         seed=1, connectivity="shared"):
    return mnsim.load({
        "name": "t", "simulation": {"duration": duration, "dt": f"{dt} ms", "seed": seed},
        "populations": {name: {"size": size, "cell": {"type": cell, "params": params,
                                                      "initial": initial[0] if initial else {}}}
                        for name, (size, cell, params, *initial) in populations.items()},
        "stimuli": stimuli or {}, "projections": projections or {}, "record": record or {},
        "compare": {"connectivity": connectivity}})


def kick(target, times, weight, delay="1 ms", receptor="excitatory", **synapse):
    return {"type": "spike_times", "target": target, "times": [f"{t} ms" for t in times],
            "receptor": receptor, "synapse": {"weight": weight, "delay": delay, **synapse}}


def run(model):
    """(raw results, the backend holding the built model)."""
    from mnsim.backends.neuron.backend import NeuronBackend

    backend = NeuronBackend()
    backend.check(model)
    backend._build(model)
    return backend._simulate(model), backend


def trace(raw, variable="v", population="p"):
    (sig,) = [s for s in raw.signals if s.variable == variable and s.population == population]
    return sig.data


def objects(backend, kind):
    return [o for o in backend._net.objects if o.hname().startswith(kind)]


# -- events: when they arrive and what they do ------------------------------------------------
def test_delta_input_jumps_v_by_its_weight_at_spike_time_plus_delay():
    # spikes at 10 ms (twice: two events) and 25 ms, 2 mV, delay 1.5 ms: v jumps by 4 mV at
    # exactly 11.5 ms and 2 mV at 26.5 ms, and decays with tau_m in between
    model = load({"p": (1, "IF_curr_delta", {"tau_refrac": "2 ms"})},
                 {"k": kick("p", [10, 10, 25], "2 mV", delay="1.5 ms")}, record={"p": ["v"]})
    v = trace(run(model)[0])[:, 0] + 65.0
    t = np.arange(v.size) * DT
    expected = (4.0 * np.exp(-(t - 11.5) / 20.0) * (t >= 11.5 - 1e-9)
                + 2.0 * np.exp(-(t - 26.5) / 20.0) * (t >= 26.5 - 1e-9))
    assert np.all(v[t < 11.45] == 0.0)
    assert v[115] == pytest.approx(4.0, abs=1e-12)
    assert np.max(np.abs(v - expected)) < 1e-5


def alpha_psp(s, w, cm, tau_m, tau_s):
    """PSP (mV) of an alpha current w (s/tau_s) exp(1 - s/tau_s) (nA) on a passive membrane."""
    k = 1.0 / tau_s - 1.0 / tau_m
    s = np.maximum(s, 0.0)
    return w * np.e / (cm * tau_s) * np.exp(-s / tau_m) * (1 - np.exp(-k * s) * (1 + k * s)) / k**2


def exp_psp(s, w, cm, tau_m, tau_s):
    """PSP (mV) of a current w exp(-s/tau_s) (nA) on a passive membrane."""
    s = np.maximum(s, 0.0)
    return w / cm * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-s / tau_m) - np.exp(-s / tau_s))


@pytest.mark.parametrize("cell, psp", [("IF_curr_exp", exp_psp), ("IF_curr_alpha", alpha_psp)])
@pytest.mark.parametrize("receptor, weight", [("excitatory", 0.5), ("inhibitory", -0.5)])
def test_current_psp_starts_at_arrival_and_is_analytic(cell, psp, receptor, weight):
    # tau_syn_E 5 ms, tau_syn_I 2 ms: the receptor picks the kernel; a PSP one step early or
    # late would be off by ~0.1 mV at the first samples, far above the tolerance
    params = {"cm": "0.5 nF", "tau_m": "20 ms", "tau_syn_E": "5 ms", "tau_syn_I": "2 ms"}
    model = load({"p": (1, cell, params)},
                 {"k": kick("p", [10], f"{weight} nA", receptor=receptor)}, record={"p": ["v"]})
    v = trace(run(model)[0])[:, 0] + 65.0
    s = np.arange(v.size) * DT - 11.0
    expected = psp(s, weight, 0.5, 20.0, 5.0 if receptor == "excitatory" else 2.0)
    assert np.all(v[s <= 1e-9] == 0.0)
    assert np.max(np.abs(v - expected)) < 2e-4 * abs(weight)


@pytest.mark.parametrize("cell", ["IF_cond_exp", "HH_cond_exp"])
def test_conductance_jumps_by_the_weight_onto_its_receptor(cell):
    model = load({"p": (1, cell, {"tau_syn_E": "3 ms", "tau_syn_I": "7 ms"})},
                 {"e": kick("p", [5], "0.004 uS", delay="2 ms"),
                  "i": kick("p", [5], "0.01 uS", delay="1 ms", receptor="inhibitory")},
                 record={"p": ["gsyn_exc", "gsyn_inh"]}, duration="20 ms")
    raw, _ = run(model)
    t = np.arange(200) * DT
    g_exc, g_inh = trace(raw, "gsyn_exc")[:, 0], trace(raw, "gsyn_inh")[:, 0]
    np.testing.assert_allclose(g_exc, 0.004 * np.exp(-(t - 7) / 3) * (t > 6.95), atol=1e-15)
    np.testing.assert_allclose(g_inh, 0.01 * np.exp(-(t - 6) / 7) * (t > 5.95), atol=1e-15)


def test_delta_inputs_of_one_step_add_up_before_the_threshold_and_are_lost_when_refractory():
    # v_thresh - v_rest = 15 mV. At 11 ms +20 and -10 mV arrive together (sum 10: no spike, in
    # either order); at 21 ms two +8 mV (sum 16: a spike at 21 ms). tau_refrac 2 ms: an input
    # arriving at 23.0 ms (= spike + tau_refrac) is lost, one at 23.1 ms counts.
    stimuli = {"a": kick("p", [10], "20 mV"), "b": kick("p", [10], "-10 mV", receptor="inhibitory"),
               "c": kick("p", [20, 20], "8 mV"), "d": kick("p", [22], "5 mV"),
               "e": kick("p", [22.1], "3 mV")}
    for order in (list(stimuli), list(reversed(stimuli))):
        model = load({"p": (1, "IF_curr_delta", {"tau_refrac": "2 ms"})},
                     {k: stimuli[k] for k in order}, record={"p": ["spikes", "v"]})
        raw, _ = run(model)
        v = trace(raw)[:, 0]
        assert raw.spikes["p"][0].tolist() == [21.0]
        assert v[110] == pytest.approx(-55.0, abs=1e-12)
        assert v[210] == -65.0 and v[230] == -65.0  # the reset and clamp; 23.0 ms input lost
        assert v[231] == pytest.approx(-62.0, abs=1e-12)


# -- synapse types --------------------------------------------------------------------------
def tsodyks_markram(times, weight, U, tau_rec, tau_facil):
    """The catalogue's rule: the weight delivered by each spike."""
    x, u, last, out = 1.0, 0.0, None, []
    for t in times:
        h = np.inf if last is None else t - last
        x = 1 + (x - x * u - 1) * np.exp(-h / tau_rec)
        u = U + u * (1 - U) * (np.exp(-h / tau_facil) if tau_facil > 0 else 0.0)
        out.append(weight * u * x)
        last = t
    return np.array(out)


@pytest.mark.parametrize("cell", ["IF_cond_exp", "HH_cond_exp"])
@pytest.mark.parametrize("tau_facil", [0.0, 30.0])
def test_tsodyks_markram_delivers_the_catalogue_weights(cell, tau_facil):
    times = [10, 20, 20, 23, 35, 70]  # 20 ms twice: two events, two updates
    syn = {"type": "tsodyks_markram", "U": 0.3, "tau_rec": "50 ms", "tau_facil": f"{tau_facil} ms"}
    model = load({"p": (1, cell, {"tau_syn_E": "5 ms"})},
                 {"k": kick("p", times, "0.01 uS", **syn)},
                 record={"p": ["gsyn_exc"]}, duration="100 ms")
    g = trace(run(model)[0], "gsyn_exc")[:, 0]
    arrivals = np.unique(np.round((np.array(times) + 1.0) / DT).astype(int))
    jumps = g[arrivals] - g[arrivals - 1] * np.exp(-DT / 5.0)
    delivered = tsodyks_markram(times, 0.01, 0.3, 50.0, tau_facil)
    expected = [delivered[0], delivered[1] + delivered[2], *delivered[3:]]
    np.testing.assert_allclose(jumps, expected, rtol=1e-9, atol=1e-15)


def stdp_rule(pre, post, delay, w, p, t_end=np.inf):
    """The catalogue's stdp (NEST's convention): events at the synapse are presynaptic spikes
    t_pre and postsynaptic spikes t_post + delay, in time order, postsynaptic first at ties;
    those up to t_end count."""
    events = sorted([(t + delay, 0) for t in post] + [(t, 1) for t in pre])
    events = [(t, is_pre) for t, is_pre in events if t <= t_end + 1e-9]
    k_plus, t_plus = 0.0, -np.inf
    post_seen = []
    mult = p["weight_dependence"] == "multiplicative"
    for t, is_pre in events:
        if is_pre:
            k_minus = sum(np.exp(-(t - delay - s) / p["tau_minus"]) for s in post_seen
                          if s < t - delay - 1e-9)
            w -= p["A_minus"] * k_minus * ((w - p["w_min"]) if mult else p["w_max"])
            k_plus = k_plus * np.exp(-(t - t_plus) / p["tau_plus"]) + 1.0
            t_plus = t
        else:
            post_seen.append(t - delay)
            k = k_plus * np.exp(-(t - t_plus) / p["tau_plus"])
            w += p["A_plus"] * k * ((p["w_max"] - w) if mult else p["w_max"])
        w = min(max(w, p["w_min"]), p["w_max"])
    return w


STDP = {"tau_plus": 20.0, "tau_minus": 30.0, "A_plus": 0.1, "A_minus": 0.12, "w_min": 0.0,
        "w_max": 1.0}


def stdp_model(pre_times, post_times, delay, dependence, w0=0.5, w_min=0.0, pre_size=1,
               duration="100 ms"):
    # pre and post spike exactly when their kicks arrive (100 mV jumps, 0.1 ms delay); the
    # plastic synapse's own jumps (<= 1e-3 mV) move no spike
    syn = {"type": "stdp", "weight": f"{w0 * 1e-3} mV", "delay": f"{delay} ms",
           "tau_plus": "20 ms", "tau_minus": "30 ms", "A_plus": 0.1, "A_minus": 0.12,
           "w_min": f"{w_min * 1e-3} mV", "w_max": "0.001 mV", "weight_dependence": dependence}
    cell = (1, "IF_curr_delta", {"tau_refrac": "0 ms"})
    return load({"pre": (pre_size, *cell[1:]), "post": cell},
                {"a": kick("pre[0:1]", [t - 0.1 for t in pre_times], "100 mV", delay="0.1 ms"),
                 "b": kick("post", [t - 0.1 for t in post_times], "100 mV", delay="0.1 ms")},
                {"pp": {"pre": "pre", "post": "post", "connector": {"rule": "all_to_all"},
                        "synapse": syn, "receptor": "excitatory"}},
                record={"pre": ["spikes"], "post": ["spikes"]}, duration=duration)


@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
@pytest.mark.parametrize("t_pre, t_post, delay", [
    (10.0, 20.0, 2.0),  # post meets the synapse 12 ms after pre: potentiation
    (30.0, 20.0, 2.0),  # pre 8 ms after the post spike met it: depression
    (20.0, 18.0, 2.0),  # they meet at the same time: neither (NEST)
    (20.0, 17.9, 2.0),  # 0.1 ms before: depression by exp(-0.1/30)
])
def test_stdp_single_pair_follows_the_pair_formula(dependence, t_pre, t_post, delay):
    raw, _ = run(stdp_model([t_pre], [t_post], delay, dependence))
    assert raw.spikes["pre"][0].tolist() == [t_pre] and raw.spikes["post"][0].tolist() == [t_post]
    dt_meet = t_post + delay - t_pre
    if dt_meet > 0:
        change = 0.1 * np.exp(-dt_meet / 20.0) * (1.0 if dependence == "additive" else 0.5)
    elif dt_meet < 0:
        change = -0.12 * np.exp(dt_meet / 30.0) * (1.0 if dependence == "additive" else 0.5)
    else:
        change = 0.0
    pre, post, w = raw.weights["pp"]
    assert pre.tolist() == [0] and post.tolist() == [0]
    assert w[0] * 1e3 == pytest.approx(0.5 + change, rel=1e-9)


@pytest.mark.parametrize("dependence, w_min", [("additive", 0.0), ("multiplicative", 0.2)])
def test_stdp_spike_trains_follow_the_rule_to_the_end_of_the_run(dependence, w_min):
    # irregular trains, several pairings per spike, clipping, post spikes that meet the
    # synapse after its last pre spike, and the end of the run (200 ms): the pre spikes at
    # 199 and 200 ms count (they arrive after the end), the post spike at 197 ms meets the
    # synapse (delay 3 ms) at the end and counts, the one at 197.1 ms does not
    gen = np.random.default_rng(7)
    pre = np.round((50 + np.cumsum(gen.integers(1, 100, 25))) * DT, 1)
    post = np.round((50 + np.cumsum(gen.integers(1, 90, 30))) * DT, 1)
    assert pre[-1] < 190 and post[-1] < 190
    pre, post = np.append(pre, [199.0, 200.0]), np.append(post, [197.0, 197.1])
    raw, _ = run(stdp_model(pre.tolist(), post.tolist(), 3.0, dependence, w0=0.6, w_min=w_min,
                            duration="200 ms"))
    assert np.allclose(raw.spikes["post"][0], post) and np.allclose(raw.spikes["pre"][0], pre)
    params = {**STDP, "w_min": w_min, "weight_dependence": dependence}
    expected = stdp_rule(pre.tolist(), post.tolist(), 3.0, 0.6, params, t_end=200.0)
    assert raw.weights["pp"][2][0] * 1e3 == pytest.approx(expected, rel=1e-9)


def test_stdp_counts_many_post_spikes_between_two_pre_spikes():
    # 150 post spikes between the two pre spikes: more than the 64 a cell remembers, so the
    # synapse must count them as they age (at the cell's spikes), not at the next pre spike
    post = np.round(np.arange(20.0, 170.0, 1.0), 1)
    raw, _ = run(stdp_model([10.0, 190.0], post.tolist(), 2.0, "multiplicative",
                            duration="200 ms"))
    expected = stdp_rule([10.0, 190.0], post.tolist(), 2.0, 0.5,
                         {**STDP, "weight_dependence": "multiplicative"}, t_end=200.0)
    assert raw.weights["pp"][2][0] * 1e3 == pytest.approx(expected, rel=1e-9)


def test_stdp_refuses_more_post_spikes_than_it_keeps_within_two_delays():
    from mnsim.errors import SimulationError

    post = np.round(np.arange(20.0, 30.0, 0.1), 1)  # 100 spikes within 2 x 5 ms
    with pytest.raises(SimulationError, match="more than 64 spikes"):
        run(stdp_model([10.0, 40.0], post.tolist(), 5.0, "additive", duration="60 ms"))


def test_stdp_weights_are_sorted_by_post_then_pre_within_the_populations():
    model = stdp_model([10.0], [20.0], 2.0, "additive", pre_size=3)
    raw, _ = run(model)
    pre, post, w = raw.weights["pp"]
    assert pre.tolist() == [0, 1, 2] and post.tolist() == [0, 0, 0]
    # only pre neuron 0 spikes: it is potentiated, the silent ones keep their weight
    np.testing.assert_allclose(w * 1e3, [0.5 + 0.1 * np.exp(-12 / 20), 0.5, 0.5], rtol=1e-9)


# -- connections ----------------------------------------------------------------------------
def test_netcons_are_the_drawn_connections():
    populations = {"exc": (30, "IF_curr_delta", {}), "inh": (10, "IF_cond_exp", {})}
    projections = {
        "ee": {"pre": "exc", "post": "exc", "connector": {"rule": "fixed_probability", "p": 0.2},
               "synapse": {"weight": {"distribution": "normal", "mu": "1 mV", "sigma": "0.2 mV",
                                      "min": "0 mV"},
                           "delay": {"distribution": "uniform", "low": "0.5 ms", "high": "3 ms"}},
               "receptor": "excitatory"},
        "ie": {"pre": "inh[2:8]", "post": "exc[5:25]", "connector": {"rule": "fixed_indegree",
                                                                      "k": 3},
               "synapse": {"weight": "-0.5 mV", "delay": "1 ms"}, "receptor": "inhibitory"},
        "ei": {"pre": "exc", "post": "inh", "connector": {"rule": "fixed_total_number", "n": 40},
               "synapse": {"type": "tsodyks_markram", "U": 0.4, "tau_rec": "100 ms",
                           "weight": "0.002 uS", "delay": "0.3 ms"}, "receptor": "excitatory"}}
    model = load(populations, projections=projections)
    _, backend = run(model)
    net = backend._net
    index = {}
    for pop, pps in net.point_processes.items():
        index.update({pp.hname(): (pop, i) for i, pp in enumerate(pps)})
    built = {}
    for nc in objects(backend, "NetCon"):
        (pre_pop, pre), (post_pop, post) = index[nc.pre().hname()], index[nc.syn().hname()]
        built.setdefault((pre_pop, post_pop), []).append(
            (pre, post, nc.weight[0], nc.delay, nc.weight[1], nc.weight[2], nc.weight[3]))
    for name, proj in model.projections.items():
        conn = draw.connections(model, name)
        # IF_curr_delta cells emit their spikes 1e-6 steps late: their delays are that shorter
        shift = 1e-6 * DT if proj.pre == "exc" else 0.0
        code = {"static": 0.0, "tsodyks_markram": 1.0}[proj.synapse.type]
        expected = sorted(zip(conn.pre.tolist(), conn.post.tolist(), conn.weight.tolist(),
                              (conn.delay_ms - shift).tolist(),
                              [float(proj.receptor == "inhibitory")] * len(conn),
                              [code] * len(conn), [0.4 if code else 0.0] * len(conn)))
        got = sorted(built.pop((proj.pre, proj.post)))
        assert len(got) == len(expected) > 0
        np.testing.assert_allclose(np.array(got), np.array(expected), rtol=0, atol=1e-12)
    assert not built


# -- spike inputs ---------------------------------------------------------------------------
def test_shared_poisson_delivers_the_drawn_trains_with_their_multiplicity():
    # integrators (tau_m 1e9 ms, no threshold in reach): v counts the events of each step
    stim = {"type": "poisson", "target": "p[1:4]", "rate": "3000 Hz", "start": "5 ms",
            "stop": "45 ms", "receptor": "excitatory",
            "synapse": {"weight": "0.25 mV", "delay": "0.7 ms"}}
    model = load({"p": (4, "IF_curr_delta", {"tau_m": "1e9 ms", "v_thresh": "1000 mV"})},
                 {"drive": stim}, record={"p": ["v"]}, duration="50 ms")
    v = trace(run(model)[0])
    trains = draw.poisson_trains(model, model.stimuli["drive"])
    assert max(np.max(np.bincount(np.round(t / DT).astype(int))) for t in trains) >= 2
    steps = np.diff(v, axis=0) / 0.25  # events arriving at the end of each step
    assert np.all(steps[:, 0] == pytest.approx(0.0, abs=1e-9))
    for j, train in enumerate(trains):
        arrivals = np.round((train + 0.7) / DT).astype(int)
        expected = np.bincount(arrivals, minlength=500)[1:500]  # v[k] - v[k-1]: arrivals at k
        np.testing.assert_allclose(steps[:, j + 1], expected, atol=1e-6)


def test_native_poisson_trains_are_poisson_on_the_grid_and_reproducible():
    stim = {"type": "poisson", "target": "p", "rate": "500 Hz", "start": "10 ms",
            "stop": "1010 ms", "receptor": "excitatory", "synapse": {"weight": "0.001 mV"}}
    model = load({"p": (50, "IF_curr_delta", {})}, {"drive": stim}, duration="1100 ms",
                 connectivity="native")
    from neuron import h

    from mnsim.backends.neuron.backend import NeuronBackend

    out = []
    for _ in range(2):
        backend = NeuronBackend()
        backend._build(model)
        vecs = []
        for gen in objects(backend, "mnsim_Poisson"):
            vec = h.Vector()
            nc = h.NetCon(gen, None)
            nc.record(vec)
            vecs.append((vec, nc))
        backend._simulate(model)
        out.append([np.array(vec.as_numpy()) for vec, _ in vecs])
    first, second = out
    assert len(first) == 50
    assert all(np.array_equal(a, b) for a, b in zip(first, second))  # the seed fixes them
    times = np.concatenate(first)
    steps = times / DT
    assert np.max(np.abs(steps - np.round(steps))) < 1e-6  # at the ends of time steps
    assert times.min() > 10.0 - 1e-9 and times.max() <= 1010.0 + 1e-9
    counts = np.array([a.size for a in first])
    assert abs(counts.sum() - 25000) < 4 * np.sqrt(25000)  # 50 x 500 Hz x 1 s
    assert np.var(counts) == pytest.approx(500, rel=0.5)  # Poisson: variance = mean
    intervals = np.concatenate([np.diff(a) for a in first])
    assert np.mean(intervals) == pytest.approx(2.0, rel=0.05)
    assert len({a.size for a in first}) > 10  # independent streams


# -- currents ------------------------------------------------------------------------------
def played_currents(model):
    """The current (nA) each IClamp injected during each step (IClamp.i recorded after each
    step holds the value of the step that ended)."""
    from neuron import h

    from mnsim.backends.neuron.backend import NeuronBackend

    backend = NeuronBackend()
    backend._build(model)
    recs = []
    for clamp in objects(backend, "IClamp"):
        rec = h.Vector()
        rec.record(clamp._ref_i)
        recs.append(rec)
    raw = backend._simulate(model)
    n = round(model.simulation.duration_ms / model.simulation.dt_ms)
    return raw, np.column_stack([np.array(rec.as_numpy())[1:n + 1] for rec in recs])


def test_ou_current_is_the_drawn_one_step_by_step_with_its_statistics():
    stim = {"type": "ou_current", "target": "p[1:4]", "mean": "0.1 nA", "sigma": "0.05 nA",
            "tau": "5 ms", "start": "20 ms", "stop": "2020 ms"}
    model = load({"p": (4, "IF_curr_exp", {})}, {"ou": stim}, duration="2100 ms")
    _, current = played_currents(model)
    first, values = draw.noise_current(model, model.stimuli["ou"])
    assert first == 200 and current.shape[1] == 3
    assert np.all(current[:200] == 0.0) and np.all(current[20200:] == 0.0)
    np.testing.assert_array_equal(current[200:20200], values)  # value k acts during step k
    x = current[200:20200]
    assert np.mean(x) == pytest.approx(0.1, abs=0.01)
    assert np.std(x) == pytest.approx(0.05, rel=0.15)
    lag1 = np.mean([np.corrcoef(x[:-1, j], x[1:, j])[0, 1] for j in range(3)])
    assert lag1 == pytest.approx(np.exp(-DT / 5.0), abs=0.01)


def test_sine_current_follows_the_formula_at_the_start_of_each_step():
    stim = {"type": "sine_current", "target": "p", "amplitude": ["0.2 nA", "0.1 nA"],
            "frequency": "50 Hz", "phase": "30 deg", "offset": "0.05 nA", "start": "10 ms",
            "stop": "30 ms"}
    model = load({"p": (2, "IF_curr_exp", {})}, {"s": stim}, duration="40 ms")
    _, current = played_currents(model)
    t = np.arange(400) * DT
    on = (t >= 10 - 1e-9) & (t < 30 - 1e-9)
    for j, amp in enumerate([0.2, 0.1]):
        expected = (0.05 + amp * np.sin(2 * np.pi * 0.05 * t + np.pi / 6)) * on
        np.testing.assert_allclose(current[:, j], expected, atol=1e-12)


# -- HH_cond_exp ---------------------------------------------------------------------------
@pytest.mark.parametrize("tau_refrac", [2.0, 0.0])
def test_hh_cond_exp_spikes_at_the_peak_rule_on_v_sampled_every_step(tau_refrac):
    dt = 0.01
    model = load({"p": (1, "HH_cond_exp", {"tau_refrac": f"{tau_refrac} ms"})},
                 {"s": {"type": "step_current", "target": "p", "amplitude": "0.5 nA",
                        "start": "10 ms", "stop": "80 ms"}},
                 record={"p": {"variables": ["spikes", "v"], "interval": f"{dt} ms"}},
                 duration="100 ms", dt=dt)
    raw, _ = run(model)
    v = trace(raw)[:, 0]
    k = np.arange(1, v.size)
    peaks = k[(v[k] >= -63.0 + 30.0) & (v[k] < v[k - 1])] * dt  # v_offset + 30 mV, falling
    expected = []
    for t in peaks:
        if not expected or t - expected[-1] > tau_refrac + dt / 2:
            expected.append(t)
    spikes = raw.spikes["p"][0]
    assert len(spikes) >= 5 if tau_refrac else len(spikes) > 50
    np.testing.assert_allclose(spikes, expected, atol=1e-9)


def test_hh_cond_exp_gates_start_at_steady_state_of_the_initial_v():
    from neuron import h

    from mnsim.backends.neuron.backend import NeuronBackend

    model = load({"p": (2, "HH_cond_exp", {"v_offset": ["-63 mV", "-60 mV"]},
                        {"v": ["-70 mV", "-55 mV"]})}, duration="1 ms")
    backend = NeuronBackend()
    backend._build(model)
    h.finitialize()  # keeps the initial v set per section
    for pp, v0, vt in zip(backend._net.point_processes["p"], (-70.0, -55.0), (-63.0, -60.0)):
        u = v0 - vt  # NEST's hh_cond_exp_traub rates of V = v - V_T
        a_m, b_m = 0.32 * (13 - u) / (np.exp((13 - u) / 4) - 1), 0.28 * (u - 40) / (
            np.exp((u - 40) / 5) - 1)
        a_h, b_h = 0.128 * np.exp((17 - u) / 18), 4 / (1 + np.exp((40 - u) / 5))
        a_n, b_n = 0.032 * (15 - u) / (np.exp((15 - u) / 5) - 1), 0.5 * np.exp((10 - u) / 40)
        assert (pp.m, pp.h, pp.n) == pytest.approx(
            (a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n)), rel=1e-12)


def test_capabilities_declare_the_network_features():
    from mnsim.backends.neuron.backend import NeuronBackend

    caps = NeuronBackend.capabilities
    assert {"IF_curr_delta", "HH_cond_exp"} <= caps.cell_types
    assert caps.synapse_types == {"static", "tsodyks_markram", "stdp"}
    assert caps.stimulus_types == {"step_current", "sine_current", "noise_current",
                                   "ou_current", "poisson", "spike_times"}
