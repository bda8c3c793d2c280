"""NEST networks against numbers computed by hand: voltage jumps of delta synapses, the
Tsodyks-Markram and STDP rules of the catalogue, the connections mnsim draws, NEST's own
connection rules, Poisson inputs and noise currents."""

import numpy as np
import pytest

import mnsim
from mnsim import draw
from mnsim.errors import CapabilityError
from mnsim.results import final_weights, signal, spiketrains

pytestmark = pytest.mark.requires_nest

DT = 0.1
LIF = {"tau_m": "10 ms", "v_rest": "-65 mV", "v_reset": "-65 mV", "v_thresh": "-50 mV",
       "tau_refrac": "2 ms"}
# a perfect integrator (leak negligible over the runs): v - v_rest = charge / cm
INTEGRATOR = {"tau_m": "1e6 ms", "cm": "1 nF", "v_rest": "0 mV", "v_reset": "0 mV",
              "v_thresh": "1e9 mV"}


def load(duration="50 ms", populations=None, projections=None, stimuli=None, record=None,
         native=False, seed=1):
    return mnsim.load({
        "name": "t", "simulation": {"duration": duration, "dt": f"{DT} ms", "seed": seed},
        "populations": populations, "projections": projections or {},
        "stimuli": stimuli or {}, "record": record or {},
        "compare": {"connectivity": "native" if native else "shared"}})


def delta_pop(size=1, **params):
    return {"size": size, "cell": {"type": "IF_curr_delta", "params": {**LIF, **params}}}


def kicks(target, times, weight, delay="0.1 ms", synapse=None, receptor="excitatory"):
    return {"type": "spike_times", "target": target, "times": times, "receptor": receptor,
            "synapse": {"weight": weight, "delay": delay, **(synapse or {})}}


def jumps(v, tau_m=10.0, v_rest=-65.0):
    """The input each step brought to a leaky delta neuron: v[k] minus v[k-1] decayed."""
    return v[1:] - v_rest - (v[:-1] - v_rest) * np.exp(-DT / tau_m)


def nest_connections(model):
    """Build ``model`` on NEST and return its connections (source, target, weight, delay)."""
    import nest

    from mnsim.backends import get_backend

    backend = get_backend("nest")
    backend.check(model)
    backend._build(model)
    conns = nest.GetConnections()
    got = conns.get(["source", "target", "weight", "delay", "synapse_model"])
    return {k: np.asarray(v) for k, v in got.items()}, backend._built.nodes


# -- delta synapses, receptors, refractoriness ------------------------------------------------

def test_a_spike_input_makes_v_jump_by_its_weight_after_its_delay():
    model = load("30 ms", {"p": delta_pop(4)}, stimuli={
        "exc": kicks("p[1:3]", ["10 ms", "10 ms", "20 ms"], "1.5 mV", delay="1.3 ms"),
        "inh": kicks("p[3:4]", ["5 ms"], "-2 mV", delay="0.4 ms", receptor="inhibitory")},
        record={"p": {"variables": ["v"], "interval": "0.1 ms"}})
    v = signal(mnsim.run(model, "nest"), "p", "v").magnitude
    got = jumps(v)
    expected = np.zeros_like(got)
    expected[round(11.3 / DT) - 1, 1:3] = 3.0  # two spikes at 10 ms, arriving at 11.3 ms
    expected[round(21.3 / DT) - 1, 1:3] = 1.5
    expected[round(5.4 / DT) - 1, 3] = -2.0
    assert np.max(np.abs(got - expected)) < 1e-9
    assert np.all(v[:, 0] == -65.0)


def test_delta_input_fires_in_its_arrival_step_and_is_lost_while_refractory():
    model = load("20 ms", {"p": delta_pop(1)}, stimuli={
        "fire": kicks("p", ["5 ms"], "16 mV", delay="0.3 ms"),
        "lost": kicks("p", ["6 ms"], "3 mV", delay="0.3 ms")},  # 1 ms into the 2 ms dead time
        record={"p": {"variables": ["spikes", "v"], "interval": "0.1 ms"}})
    block = mnsim.run(model, "nest")
    assert list(spiketrains(block, "p")[0].magnitude) == pytest.approx([5.3])
    v = signal(block, "p", "v").magnitude[:, 0]
    assert np.all(v[round(5.3 / DT):round(7.3 / DT)] == -65.0)  # clamped, input lost
    assert np.all(v[round(7.3 / DT):] == -65.0)  # at rest afterwards: nothing arrived late


def test_conductance_inputs_are_recorded_as_gsyn_in_uS():
    cond = {"tau_syn_E": "2 ms", "tau_syn_I": "5 ms"}
    model = load("20 ms", {"c": {"size": 1, "cell": {"type": "IF_cond_exp", "params": cond}},
                           "h": {"size": 1, "cell": {"type": "HH_cond_exp", "params": cond}}},
                 stimuli={f"{name}_{pop}": kicks(pop, ["5 ms"], w, delay="1 ms", receptor=rec)
                          for pop in ("c", "h")
                          for name, w, rec in (("e", "0.01 uS", "excitatory"),
                                               ("i", "0.02 uS", "inhibitory"))},
                 record={p: {"variables": ["gsyn_exc", "gsyn_inh"], "interval": "0.1 ms"}
                         for p in ("c", "h")})
    block = mnsim.run(model, "nest")
    t = np.arange(200) * DT
    after = np.clip(t - 6.0, 0, None)
    for pop in ("c", "h"):
        exc = signal(block, pop, "gsyn_exc").magnitude[:, 0]
        inh = signal(block, pop, "gsyn_inh").magnitude[:, 0]
        assert np.allclose(exc, np.where(t >= 6.0, 0.01 * np.exp(-after / 2.0), 0), atol=1e-7)
        assert np.allclose(inh, np.where(t >= 6.0, 0.02 * np.exp(-after / 5.0), 0), atol=1e-7)


def test_hh_cond_exp_spikes_follow_the_catalogue_peak_rule():
    model = load("100 ms", {"h": {"size": 1, "cell": {"type": "HH_cond_exp",
                                                      "params": {"i_offset": "0.5 nA"}}}},
                 record={"h": {"variables": ["spikes", "v"], "interval": "0.1 ms"}})
    block = mnsim.run(model, "nest")
    v = signal(block, "h", "v").magnitude[:, 0]
    assert v[0] == -65.0
    # the rule: the first step at whose end v >= v_offset + 30 mV and below its start value,
    # outside tau_refrac (2 ms) after the previous spike
    expected, dead_until = [], -1
    for k in range(1, v.size):
        if k > dead_until and v[k] >= -63.0 + 30.0 and v[k] < v[k - 1]:
            expected.append(k * DT)
            dead_until = k + round(2.0 / DT)
    spikes = spiketrains(block, "h")[0].magnitude
    assert len(expected) > 3
    assert spikes[spikes < 99.9] == pytest.approx(expected[:np.sum(spikes < 99.9)], abs=1e-9)


def test_hh_cond_exp_gates_start_at_the_steady_state_of_the_shifted_rates():
    # Traub's rates are functions of V = v - v_offset; at v = -65 mV (default parameters) the
    # steady-state gates give dv/dt = 0.0102 mV/ms (NEST's own initial gates, computed at v
    # unshifted, would give ~1e-22)
    def steady(u):
        am, bm = 0.32 * (13 - u) / np.expm1((13 - u) / 4), 0.28 * (u - 40) / np.expm1((u - 40) / 5)
        ah, bh = 0.128 * np.exp((17 - u) / 18), 4 / (1 + np.exp((40 - u) / 5))
        an, bn = 0.032 * (15 - u) / np.expm1((15 - u) / 5), 0.5 * np.exp((10 - u) / 40)
        return am / (am + bm), ah / (ah + bh), an / (an + bn)
    m, h, n = steady(-65.0 + 63.0)
    current = 20 * m**3 * h * (-65.0 - 50) + 6 * n**4 * (-65.0 + 90)  # uS x mV = nA; no leak
    model = mnsim.load({"name": "t", "simulation": {"duration": "0.1 ms", "dt": "0.01 ms"},
                        "populations": {"h": {"size": 1, "cell": {"type": "HH_cond_exp"}}},
                        "record": {"h": {"variables": ["v"], "interval": "0.01 ms"}}})
    v = signal(mnsim.run(model, "nest"), "h", "v").magnitude[:, 0]
    assert (v[1] - v[0]) / 0.01 == pytest.approx(-current / 0.2, rel=1e-3)


# -- synapse types ----------------------------------------------------------------------------

def tm_jumps(times, weight, U, tau_rec, tau_facil):
    """The catalogue's Tsodyks-Markram rule, spike by spike."""
    x, u, last, out = 1.0, 0.0, None, []
    for t in times:
        h = 0.0 if last is None else t - last
        x = 1.0 + (x - x * u - 1.0) * np.exp(-h / tau_rec)
        u = U + u * (1 - U) * (np.exp(-h / tau_facil) if tau_facil > 0 else 0.0)
        out.append(weight * u * x)
        last = t
    return np.array(out)


@pytest.mark.parametrize("U, tau_rec, tau_facil", [(0.5, 100.0, 0.0), (0.1, 50.0, 200.0)])
def test_tsodyks_markram_jumps_follow_the_catalogue_rule(U, tau_rec, tau_facil):
    times = [5.0, 15.0, 15.0, 25.0, 28.0, 60.0]  # a repeated time is two spikes
    syn = {"type": "tsodyks_markram", "U": U, "tau_rec": f"{tau_rec} ms",
           "tau_facil": f"{tau_facil} ms"}
    model = load("80 ms", {"src": delta_pop(1), "dst": delta_pop(2)},
                 projections={"tm": {"pre": "src", "post": "dst[1:2]",
                                     "connector": {"rule": "all_to_all"}, "receptor": "excitatory",
                                     "synapse": {"weight": "4 mV", "delay": "2 ms", **syn}}},
                 stimuli={"input": kicks("dst[0:1]", [f"{t} ms" for t in times], "4 mV",
                                         delay="1 ms", synapse=syn),
                          "drive": kicks("src", [f"{t} ms" for t in sorted(set(times))],
                                         "20 mV")},
                 record={"dst": {"variables": ["v"], "interval": "0.1 ms"},
                         "src": ["spikes"]})
    block = mnsim.run(model, "nest")
    got = jumps(signal(block, "dst", "v").magnitude)
    # spike input: the train itself, 1 ms delay
    expected = tm_jumps(times, 4.0, U, tau_rec, tau_facil)
    steps = np.round(np.array(times) / DT).astype(int) + round(1.0 / DT) - 1
    want = np.zeros(got.shape[0])
    np.add.at(want, steps, expected)
    assert np.max(np.abs(got[:, 0] - want)) < 1e-9
    # projection: the source neuron fires 0.1 ms after each kick (once per distinct time)
    fired = spiketrains(block, "src")[0].magnitude
    assert fired == pytest.approx(np.array(sorted(set(times))) + 0.1)
    want = np.zeros(got.shape[0])
    want[np.round(fired / DT).astype(int) + round(2.0 / DT) - 1] = tm_jumps(
        fired, 4.0, U, tau_rec, tau_facil)
    assert np.max(np.abs(got[:, 1] - want)) < 1e-9


def stdp_model(dependence, duration="100 ms", pre_kicks=("10 ms", "60 ms"),
               post_kicks=("20 ms", "80 ms"), late=None, conductance=False):
    """One pre and one post neuron made to fire by kicks (``late`` replaces the kicks); an
    STDP projection onto a delta neuron, or onto a conductance neuron's inhibitory receptor
    (weights in uS, negative in NEST)."""
    unit = "uS" if conductance else "mV"
    syn = {"type": "stdp", "weight": f"0.5 {unit}", "delay": "1 ms", "tau_plus": "20 ms",
           "tau_minus": "15 ms", "A_plus": 0.1, "A_minus": 0.12, "w_max": f"2 {unit}",
           "weight_dependence": dependence}
    post = ({"size": 1, "cell": {"type": "IF_cond_exp", "params": {"tau_refrac": "5 ms"}}}
            if conductance else delta_pop(1))
    return load(duration, {"pre": delta_pop(1), "post": post},
                projections={"p": {"pre": "pre", "post": "post",
                                   "connector": {"rule": "all_to_all"},
                                   "receptor": "inhibitory" if conductance else "excitatory",
                                   "synapse": syn}},
                stimuli=late or {"a": kicks("pre", list(pre_kicks), "20 mV"),
                                 "b": kicks("post", list(post_kicks),
                                            "0.4 uS" if conductance else "20 mV")},
                record={"pre": ["spikes"], "post": ["spikes"]})


def stdp_by_hand(pre, post, delay, dependence, w=0.5, t_end=np.inf):
    """The catalogue's rule event by event: pre spikes at t_pre, post spikes reaching the
    synapse at t_post + delay (before the end of the run)."""
    events = sorted([(t, "pre") for t in pre] + [(t + delay, "post") for t in post
                                                 if t + delay <= t_end])
    k_plus = k_minus = 0.0
    last = 0.0
    for t, kind in events:
        k_plus *= np.exp(-(t - last) / 20.0)
        k_minus *= np.exp(-(t - last) / 15.0)
        last = t
        if kind == "pre":
            w -= 0.12 * k_minus * (2.0 if dependence == "additive" else w)
            k_plus += 1.0
        else:
            w += 0.1 * k_plus * (2.0 if dependence == "additive" else 2.0 - w)
            k_minus += 1.0
        w = min(max(w, 0.0), 2.0)
    return w


@pytest.mark.parametrize("conductance", [False, True])
@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
def test_stdp_final_weight_follows_the_pair_rule(dependence, conductance):
    block = mnsim.run(stdp_model(dependence, conductance=conductance), "nest")
    pre = spiketrains(block, "pre")[0].magnitude
    post = spiketrains(block, "post")[0].magnitude
    assert list(pre) == pytest.approx([10.1, 60.1])
    if not conductance:
        assert list(post) == pytest.approx([20.1, 80.1])
    got = final_weights(block, "p")
    assert list(got["pre"]) == [0] and list(got["post"]) == [0]
    assert got["unit"] == ("uS" if conductance else "mV")
    assert got["weight"][0] == pytest.approx(stdp_by_hand(pre, post, 1.0, dependence), rel=1e-12)
    # post spikes after the last pre spike potentiate too: NEST alone would miss them
    assert np.any(post > 60.1)
    early = post[post < 60.1]
    assert got["weight"][0] != pytest.approx(stdp_by_hand(pre, early, 1.0, dependence))


def test_stdp_counts_only_spikes_before_the_end():
    # every delay is 2 steps or more, and the run (1001 steps) is not a multiple of 2: the pre
    # spike at 100.2 ms and the post spike at 100.1 ms (reaching the synapse at 101.1 ms) come
    # after the end (100.1 ms) and may not change the weight
    model = stdp_model("additive", duration="100.1 ms", pre_kicks=(), post_kicks=(),
                       late={"a": kicks("pre", ["10 ms", "100 ms"], "20 mV", delay="0.2 ms"),
                             "b": kicks("post", ["20 ms", "99.9 ms"], "20 mV", delay="0.2 ms")})
    block = mnsim.run(model, "nest")
    assert list(spiketrains(block, "post")[0].magnitude) == pytest.approx([20.2, 100.1])
    expected = stdp_by_hand([10.2], [20.2], 1.0, "additive")
    assert final_weights(block, "p")["weight"][0] == pytest.approx(expected, rel=1e-12)


def test_nest_refuses_stdp_it_cannot_express():
    model = stdp_model("additive")
    raw = dict(model.raw)
    raw["projections"]["p"]["synapse"]["w_min"] = "0.1 mV"
    with pytest.raises(CapabilityError, match="w_min"):
        mnsim.run(raw, "nest")
    raw = dict(stdp_model("additive").raw)
    raw["stimuli"]["b"]["synapse"] = {**raw["projections"]["p"]["synapse"], "tau_minus": "30 ms"}
    with pytest.raises(CapabilityError, match="tau_minus"):
        mnsim.run(raw, "nest")


# -- connections ------------------------------------------------------------------------------

def network(native):
    pops = {"e": {"size": 60, "cell": {"type": "IF_cond_exp"}},
            "i": {"size": 25, "cell": {"type": "IF_curr_exp"}}}
    normal = {"distribution": "normal", "mu": "0.004 uS", "sigma": "0.001 uS", "min": "0 uS"}
    delays = {"distribution": "uniform", "low": "0.5 ms", "high": "2 ms"}
    projs = {
        "ee": {"pre": "e", "post": "e", "receptor": "excitatory",
               "connector": {"rule": "fixed_probability", "p": 0.2, "allow_autapses": False},
               "synapse": {"weight": normal, "delay": delays}},
        "ie": {"pre": "i[5:20]", "post": "e[10:50]", "receptor": "inhibitory",
               "connector": {"rule": "fixed_indegree", "k": 7},
               "synapse": {"weight": "0.02 uS", "delay": "1.2 ms"}},
        "ei": {"pre": "e", "post": "i", "receptor": "inhibitory",
               "connector": {"rule": "fixed_outdegree", "k": 4},
               "synapse": {"weight": "-0.1 nA", "delay": "0.3 ms"}},
        "ii": {"pre": "i", "post": "i", "receptor": "excitatory",
               "connector": {"rule": "fixed_total_number", "n": 40},
               "synapse": {"type": "tsodyks_markram", "weight": "0.2 nA", "delay": "0.1 ms"}}}
    return load("10 ms", pops, projs, native=native)


def test_shared_connections_are_exactly_the_drawn_ones():
    model = network(native=False)
    got, nodes = nest_connections(model)
    first = {name: nc[0].global_id for name, nc in nodes.items()}
    scale = {"ee": 1000.0, "ie": -1000.0, "ei": 1000.0, "ii": 1000.0}  # NEST units and signs
    synapse = {"ee": "static_synapse", "ie": "static_synapse", "ei": "static_synapse",
               "ii": "mnsim_projection_3"}
    for name, proj in model.projections.items():
        conn = draw.connections(model, name)
        mine = ((got["synapse_model"] == synapse[name])
                & np.isin(got["source"] - first[proj.pre], np.arange(model.populations[
                    proj.pre].size)) & (got["source"] >= first[proj.pre])
                & (got["source"] < first[proj.pre] + model.populations[proj.pre].size)
                & (got["target"] >= first[proj.post])
                & (got["target"] < first[proj.post] + model.populations[proj.post].size))
        pre = got["source"][mine] - first[proj.pre]
        post = got["target"][mine] - first[proj.post]
        order = np.lexsort((got["weight"][mine], pre, post))
        expected = np.lexsort((conn.weight, conn.pre, conn.post))
        assert len(conn) > 0
        assert np.array_equal(pre[order], conn.pre[expected])
        assert np.array_equal(post[order], conn.post[expected])
        assert np.allclose(got["weight"][mine][order], conn.weight[expected] * scale[name],
                           rtol=1e-12, atol=0)
        assert np.allclose(got["delay"][mine][order], conn.delay_ms[expected], atol=1e-9)


def test_native_rules_give_exact_degrees_and_respect_bounds():
    model = network(native=True)
    got, nodes = nest_connections(model)
    first = {name: nc[0].global_id for name, nc in nodes.items()}
    e_to_e = (got["source"] < first["e"] + 60) & (got["target"] < first["e"] + 60)
    static = got["synapse_model"] == "static_synapse"
    # fixed_indegree onto e[10:50] from i[5:20]: exactly 7 distinct sources each
    ie = static & (got["source"] >= first["i"]) & (got["target"] < first["e"] + 60)
    targets, counts = np.unique(got["target"][ie], return_counts=True)
    assert list(targets - first["e"]) == list(range(10, 50)) and set(counts) == {7}
    assert np.all((got["source"][ie] >= first["i"] + 5) & (got["source"][ie] < first["i"] + 20))
    pairs = set(zip(got["source"][ie], got["target"][ie]))
    assert len(pairs) == ie.sum()  # no multapses
    assert np.all(got["weight"][ie] == -20.0) and np.allclose(got["delay"][ie], 1.2)
    # fixed_outdegree e -> i: exactly 4 targets per source
    ei = static & (got["source"] < first["e"] + 60) & (got["target"] >= first["i"])
    assert set(np.unique(got["source"][ei], return_counts=True)[1]) == {4}
    assert len(np.unique(got["source"][ei])) == 60
    # fixed_total_number without multapses is not a NEST rule: the draw, exactly
    ii = got["synapse_model"] == "mnsim_projection_3"
    assert ii.sum() == 40
    conn = draw.connections(model, "ii")
    assert sorted(zip(got["source"][ii] - first["i"], got["target"][ii] - first["i"])) == \
        sorted(zip(conn.pre, conn.post))
    # fixed_probability without autapses; weights normal(4, 1) nS above 0, delays in [0.5, 2]
    ee = static & e_to_e
    n = ee.sum()
    pairs = 60 * 59
    assert abs(n - 0.2 * pairs) < 4 * np.sqrt(pairs * 0.2 * 0.8)
    assert not np.any(got["source"][ee] == got["target"][ee])
    w = got["weight"][ee]
    assert np.all(w >= 0) and abs(w.mean() - 4.0) < 4 * 1.0 / np.sqrt(n)
    assert abs(w.std() - 1.0) < 0.15
    d = got["delay"][ee]
    assert np.all((d >= 0.5 - 1e-9) & (d <= 2.0 + 1e-9))
    assert np.allclose(d, np.round(d / DT) * DT)  # NEST rounds delays to the grid


# -- Poisson inputs ---------------------------------------------------------------------------

def poisson_model(native, start="0 ms", stop="40 ms", rate="300 Hz", size=200, synapse=None):
    return load("50 ms", {"p": {"size": size, "cell": {"type": "IF_curr_delta",
                                                       "params": INTEGRATOR}}},
                stimuli={"drive": {"type": "poisson", "target": "p", "rate": rate,
                                   "start": start, "stop": stop, "receptor": "excitatory",
                                   "synapse": {"weight": "1 mV", "delay": "0.5 ms",
                                               **(synapse or {})}}},
                record={"p": {"variables": ["v"], "interval": "0.1 ms"}}, native=native,
                seed=7)


def arrivals(model):
    """Spikes arriving per step and neuron (the jumps of v, 1 mV each); row k: arrivals at
    the end of step k (stamp (k + 1) dt)."""
    v = signal(mnsim.run(model, "nest"), "p", "v").magnitude
    return v[1:] - v[:-1] * np.exp(-DT / 1e6)


def test_shared_poisson_trains_arrive_exactly_with_their_multiplicity():
    model = poisson_model(native=False, rate="3000 Hz", size=20)
    got = arrivals(model)
    expected = np.zeros_like(got)
    for j, train in enumerate(draw.poisson_trains(model, model.stimuli["drive"])):
        np.add.at(expected[:, j], np.round((train + 0.5) / DT).astype(int) - 1, 1.0)
    assert expected.max() >= 2  # some steps hold two spikes
    assert np.max(np.abs(got - expected)) < 1e-6


@pytest.mark.parametrize("start, plastic", [("0 ms", False), ("10 ms", False),
                                            ("10 ms", True)])
def test_native_poisson_counts_and_window(start, plastic):
    # a plastic synapse that does not change: every spike delivers 1 mV through a parrot relay
    synapse = {"type": "stdp", "A_plus": 0.0, "A_minus": 0.0, "w_max": "2 mV"} if plastic else None
    model = poisson_model(native=True, start=start, rate="2000 Hz", synapse=synapse)
    got = np.rint(arrivals(model)).astype(int)
    t0 = float(start.split()[0])
    # spikes in [start, 40 ms) are stamped at the end of their step and arrive 0.5 ms later
    first, last = round((t0 + DT + 0.5) / DT) - 1, round((40.0 + 0.5) / DT) - 1
    assert not got[:first].any() and not got[last + 1:].any()
    per_step = got[first:last + 1].sum(axis=1)
    assert per_step.min() > 0  # 200 neurons x 0.2 spikes per step: every step has some
    counts = got.sum(axis=0)
    mean = 2000.0 * (40.0 - t0) * 1e-3
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / counts.size)
    assert abs(counts.var() / mean - 1.0) < 0.3  # Poisson: variance = mean
    assert len({tuple(np.flatnonzero(c)) for c in got.T[:20]}) == 20  # independent trains


# -- current noise ----------------------------------------------------------------------------

def currents(stimulus, native=False, duration="400 ms", size=3):
    model = load(duration, {"p": {"size": size, "cell": {"type": "IF_curr_delta",
                                                         "params": INTEGRATOR}}},
                 stimuli={"s": stimulus}, record={"p": {"variables": ["v"], "interval": "0.1 ms"}},
                 native=native, seed=11)
    v = signal(mnsim.run(model, "nest"), "p", "v").magnitude
    # nA during each step, from NEST's exact update v' = v d + I tau_m / cm (1 - d)
    decay = np.exp(-DT / 1e6)
    return model, (v[1:] - v[:-1] * decay) / (1e6 * -np.expm1(-DT / 1e6))


def test_step_currents_reach_only_their_slice_of_the_population():
    _, i = currents({"type": "step_current", "target": "p[1:3]", "amplitude": ["0.1 nA", "0.2 nA"],
                     "start": "0.5 ms", "stop": "7 ms"}, duration="10 ms", size=4)
    t = np.arange(i.shape[0]) * DT
    on = ((t >= 0.5 - 1e-9) & (t < 7.0 - 1e-9))[:, None]
    assert np.max(np.abs(i - np.where(on, [0.0, 0.1, 0.2, 0.0], 0.0))) < 1e-6


@pytest.mark.parametrize("start", ["0 ms", "0.5 ms", "5 ms"])
def test_sine_current_is_ac_generator_formula_from_its_first_step(start):
    _, i = currents({"type": "sine_current", "target": "p[1:3]", "amplitude": ["0.1 nA", "0.2 nA"],
                     "frequency": "50 Hz", "phase": "30 deg", "offset": "0.05 nA",
                     "start": start, "stop": "30 ms"}, duration="40 ms")
    t = np.arange(i.shape[0]) * DT
    on = (t >= float(start.split()[0]) - 1e-9) & (t < 30.0 - 1e-9)
    expected = 0.05 + np.array([0.1, 0.2]) * np.sin(2 * np.pi * 0.05 * t[:, None] + np.pi / 6)
    assert np.max(np.abs(i[:, 1:] - np.where(on[:, None], expected, 0.0))) < 1e-5
    assert np.all(i[:, 0] == 0.0)


@pytest.mark.parametrize("native", [False, True])
def test_ou_current_statistics_and_the_drawn_values(native):
    stim = {"type": "ou_current", "target": "p", "mean": "0.2 nA", "sigma": "0.05 nA",
            "tau": "5 ms"}
    model, i = currents(stim, native=native, duration="2000 ms", size=20)
    first, drawn = draw.noise_current(model, model.stimuli["s"])
    assert np.max(np.abs(i - drawn[:i.shape[0]])) < 1e-4  # NEST has no OU generator: played
    x = i[500:] - i[500:].mean()
    assert abs(i[500:].mean() - 0.2) < 0.005
    assert abs(i[500:].std() - 0.05) < 0.005
    lag = round(5.0 / DT)
    corr = np.mean(x[lag:] * x[:-lag]) / np.mean(x * x)
    assert abs(corr - np.exp(-1)) < 0.05


def test_native_noise_current_is_held_per_interval_with_the_right_statistics():
    stim = {"type": "noise_current", "target": "p", "mean": "0.1 nA", "std": "0.3 nA",
            "interval": "0.5 ms", "start": "0 ms", "stop": "300 ms"}
    model, i = currents(stim, native=True, size=20)
    on = i[:3000]
    blocks = on.reshape(-1, 5, 20)
    assert np.max(np.abs(blocks - blocks[:, :1])) < 1e-5  # held for 5 steps
    values = blocks[:, 0]
    assert abs(values.mean() - 0.1) < 4 * 0.3 / np.sqrt(values.size)
    assert abs(values.std() - 0.3) < 0.01
    assert abs(np.corrcoef(values[1:, 0], values[:-1, 0])[0, 1]) < 0.1  # white
    assert abs(np.corrcoef(values[:, 0], values[:, 1])[0, 1]) < 0.1  # independent targets
    assert np.max(np.abs(i[3000:])) < 1e-4  # off from stop


# -- threads ----------------------------------------------------------------------------------

def test_two_threads_build_and_run_the_same_shared_network():
    model = mnsim.load("vogels_abbott_cuba", set={
        "simulation.duration": "100 ms", "populations.exc.size": 200,
        "populations.inh.size": 50, "projections.e_e.connector.p": 0.1,
        "projections.e_i.connector.p": 0.1, "projections.i_e.connector.p": 0.1,
        "projections.i_i.connector.p": 0.1,
        "projections.e_e.synapse": {"type": "stdp", "weight": "0.0162 nA", "delay": "0.2 ms",
                                    "w_max": "0.05 nA", "A_plus": 0.01, "A_minus": 0.012}})
    one, two = (mnsim.run(model, "nest", threads=n) for n in (1, 2))
    assert two.annotations["backend"] == "nest"
    trains = [[st.magnitude for st in spiketrains(b, "exc")] for b in (one, two)]
    assert sum(len(t) for t in trains[0]) > 100
    assert all(np.array_equal(a, b) for a, b in zip(*trains))
    w1, w2 = final_weights(one, "e_e"), final_weights(two, "e_e")
    assert np.array_equal(w1["pre"], w2["pre"]) and np.array_equal(w1["post"], w2["post"])
    assert np.allclose(w1["weight"], w2["weight"], rtol=1e-12)
    assert not np.allclose(w1["weight"], 0.0162)  # the weights did change
