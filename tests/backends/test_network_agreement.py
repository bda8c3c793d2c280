"""Network scenarios written once and run on every backend (PyNN's system-test idea): each is
held to numbers computed here from the catalogue's definitions and the recorded spikes, or to
the other backends on the same drawn network."""

import numpy as np
import pytest

import mnsim
from conftest import backend_params
from mnsim.analysis import measure
from mnsim.results import final_weights, spiketrains

DT = 0.1


def pairing_model(dependence: str) -> dict:
    """Two delta neurons forced to fire by strong spike inputs; an stdp projection between
    them with a weight too small to matter (0.001 mV)."""
    cell = {"type": "IF_curr_delta", "params": {"v_rest": "0 mV", "v_reset": "0 mV",
                                                 "v_thresh": "10 mV", "tau_refrac": "2 ms"}}
    pre_times = ["20 ms", "60 ms", "100 ms", "150 ms", "200 ms"]
    post_times = ["25 ms", "55 ms", "108 ms", "140 ms", "230 ms"]
    kick = {"weight": "15 mV", "delay": "0.1 ms"}
    return {
        "name": "pairing", "simulation": {"duration": "300 ms", "dt": f"{DT} ms"},
        "populations": {"pre": {"size": 1, "cell": cell}, "post": {"size": 1, "cell": cell}},
        "projections": {"plastic": {
            "pre": "pre", "post": "post", "connector": {"rule": "all_to_all"},
            "receptor": "excitatory",
            "synapse": {"type": "stdp", "weight": "0.005 mV", "delay": "1.5 ms",
                        "tau_plus": "16.8 ms", "tau_minus": "33.7 ms", "A_plus": 0.1,
                        "A_minus": 0.12, "w_min": "0 mV", "w_max": "0.01 mV",
                        "weight_dependence": dependence}}},
        "stimuli": {
            "fire_pre": {"type": "spike_times", "target": "pre", "times": pre_times,
                         "synapse": kick},
            "fire_post": {"type": "spike_times", "target": "post", "times": post_times,
                          "synapse": kick}},
        "record": {"pre": ["spikes"], "post": ["spikes"]},
    }


def stdp_reference(pre, post, w0, delay, p):
    """The catalogue's pair rule, event by event: depression at each presynaptic spike (from
    the postsynaptic trace of spikes that reached the synapse before it), potentiation at each
    postsynaptic spike as seen at the synapse (t_post + delay)."""
    events = sorted([(t, "pre") for t in pre] + [(t + delay, "post") for t in post])
    w = w0
    for t, kind in events:
        if kind == "pre":
            k_minus = sum(np.exp(-(t - (s + delay)) / p["tau_minus"]) for s in post
                          if s + delay < t)
            scale = p["w_max"] if p["dep"] == "additive" else w - p["w_min"]
            w -= p["A_minus"] * k_minus * scale
        else:
            k_plus = sum(np.exp(-(t - s) / p["tau_plus"]) for s in pre if s < t)
            scale = p["w_max"] if p["dep"] == "additive" else p["w_max"] - w
            w += p["A_plus"] * k_plus * scale
        w = min(max(w, p["w_min"]), p["w_max"])
    return w


@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
@pytest.mark.parametrize("backend", backend_params())
def test_stdp_pairing_follows_the_pair_rule(backend, dependence):
    block = mnsim.run(mnsim.load(pairing_model(dependence)), backend)
    pre = spiketrains(block, "pre")[0].magnitude
    post = spiketrains(block, "post")[0].magnitude
    assert len(pre) == 5 and len(post) == 5, (pre, post)
    got = final_weights(block, "plastic")
    assert got["pre"].tolist() == [0] and got["post"].tolist() == [0]
    assert got["unit"] == "mV"
    expected = stdp_reference(pre, post, 0.005, 1.5, {
        "tau_plus": 16.8, "tau_minus": 33.7, "A_plus": 0.1, "A_minus": 0.12, "w_min": 0.0,
        "w_max": 0.01, "dep": dependence})
    assert abs(expected - 0.005) > 1e-4  # the protocol does change the weight
    assert got["weight"][0] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def shared_network():
    """400 current-based LIF neurons, sparse E/I connectivity and Poisson drive, all drawn
    once by mnsim (shared mode)."""
    cell = {"type": "IF_curr_exp", "params": {
        "cm": "0.25 nF", "tau_m": "20 ms", "v_rest": "-65 mV", "v_reset": "-65 mV",
        "v_thresh": "-50 mV", "tau_refrac": "2 ms", "tau_syn_E": "2 ms", "tau_syn_I": "4 ms"},
        "initial": {"v": {"distribution": "uniform", "low": "-65 mV", "high": "-50 mV"}}}
    return mnsim.load({
        "name": "shared", "simulation": {"duration": "300 ms", "dt": f"{DT} ms", "seed": 7},
        "populations": {"exc": {"size": 320, "cell": cell}, "inh": {"size": 80, "cell": cell}},
        "projections": {
            "e": {"pre": "exc", "post": "exc", "connector": {"rule": "fixed_probability",
                                                             "p": 0.1},
                  "synapse": {"weight": "0.05 nA", "delay": {"distribution": "uniform",
                                                             "low": "1 ms", "high": "3 ms"}},
                  "receptor": "excitatory"},
            "ei": {"pre": "exc", "post": "inh", "connector": {"rule": "fixed_indegree", "k": 30},
                   "synapse": {"weight": "0.05 nA", "delay": "1 ms"}, "receptor": "excitatory"},
            "i": {"pre": "inh", "post": "exc", "connector": {"rule": "fixed_outdegree",
                                                             "k": 40},
                  "synapse": {"weight": "-0.2 nA", "delay": "1 ms"}, "receptor": "inhibitory"}},
        "stimuli": {"drive": {"type": "poisson", "target": "exc", "rate": "1500 Hz",
                              "synapse": {"weight": "0.1 nA", "delay": "0.5 ms"}},
                    "drive_i": {"type": "poisson", "target": "inh", "rate": "1200 Hz",
                                "synapse": {"weight": "0.1 nA", "delay": "0.5 ms"}}},
        "record": {"exc": ["spikes"], "inh": ["spikes"]}})


@pytest.fixture(scope="module")
def shared_blocks():
    model = shared_network()
    blocks = {}
    for param in backend_params():
        name = param.values[0]
        try:
            blocks[name] = mnsim.run(model, name)
        except ImportError:  # reported by the backend-specific tests
            continue
    return model, blocks


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
@pytest.mark.requires_nest
def test_shared_network_same_spikes_on_every_backend(shared_blocks):
    """Same drawn network and inputs. NEST and Brian2 integrate the LIF exactly: the same
    spikes for the whole run. NEURON integrates v with Crank-Nicolson (second order): its
    spikes start the same, then a threshold is decided differently and the network's chaos
    takes over; the population rates stay within 5 %."""
    from mnsim.comparison import _identical_until

    model, blocks = shared_blocks
    ref = blocks["nest"]
    rate = measure("population_rate", ref, "exc")[0]
    assert 2 < rate < 60  # active, not saturated
    for name, identical_ms, rate_tol in (("brian2", 300.0, 1e-12), ("neuron", 10.0, 0.05)):
        other = blocks[name]
        for pop in ("exc", "inh"):
            same = _identical_until(ref, other, pop, 1e-6, 300.0)
            assert same >= identical_ms, f"{name} {pop}: spike trains differ from {same} ms"
            r_ref = measure("population_rate", ref, pop)[0]
            r = measure("population_rate", other, pop)[0]
            assert r == pytest.approx(r_ref, rel=rate_tol), (name, pop)


@pytest.mark.parametrize("backend", backend_params())
def test_adaptive_cells_can_drive_a_projection(backend):
    """Cells with an adaptation variable `w` (AdEx, IF_curr_exp_sfa) as presynaptic
    population: a strong spike input makes them fire, and the projection carries the spikes
    on, 1 ms later (Brian2 once refused: its synapses' weight is also called `w`)."""
    cells = {"adex": {"type": "EIF_cond_exp_isfa_ista"}, "sfa": {"type": "IF_curr_exp_sfa",
                                                                  "params": {"b": "0.01 nA"}}}
    for kind, cell in cells.items():
        weight = "0.5 uS" if kind == "adex" else "20 nA"
        model = mnsim.load({
            "name": "drive", "simulation": {"duration": "50 ms", "dt": f"{DT} ms"},
            "populations": {"pre": {"size": 2, "cell": cell},
                            "post": {"size": 1, "cell": {"type": "IF_curr_delta"}}},
            "projections": {"p": {"pre": "pre", "post": "post", "receptor": "excitatory",
                                  "connector": {"rule": "all_to_all"},
                                  "synapse": {"weight": "20 mV", "delay": "1 ms"}}},
            "stimuli": {"kick": {"type": "spike_times", "target": "pre", "times": ["10 ms"],
                                 "synapse": {"weight": weight}}},
            "record": {"pre": ["spikes"], "post": ["spikes"]}})
        block = mnsim.run(model, backend)
        pre = [t.magnitude for t in spiketrains(block, "pre")]
        post = spiketrains(block, "post")[0].magnitude
        assert all(len(t) >= 1 for t in pre), (kind, pre)
        # a 20 mV jump fires the delta cell; its refractory period (0.1 ms) never hides one
        assert post[0] == pytest.approx(pre[0][0] + 1.0, abs=1e-9), (kind, pre, post)
        assert len(post) == len(pre[0]), (kind, pre, post)
