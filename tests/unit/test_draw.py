"""What mnsim draws from the seed (no simulator): connectors give exactly what their rule
says, distributions respect their bounds, Poisson trains and OU currents have the right
statistics, and the same seed gives the same draw."""

import numpy as np
import pytest

from mnsim import draw
from mnsim.spec import load


def model(connector, n_pre=50, n_post=40, seed=1, same=False, stimuli=None,
          synapse=None):
    pops = {"a": {"size": n_pre, "cell": {"type": "IF_curr_exp"}},
            "b": {"size": n_post, "cell": {"type": "IF_curr_exp"}}}
    return load({"name": "d", "simulation": {"duration": "1000 ms", "dt": "0.1 ms", "seed": seed},
                 "populations": pops,
                 "projections": {"p": {"pre": "a", "post": "a" if same else "b",
                                       "connector": connector,
                                       "synapse": synapse or {"weight": "0.1 nA",
                                                              "delay": "1 ms"},
                                       "receptor": "excitatory"}},
                 "stimuli": stimuli or {}})


def test_fixed_indegree_exact_distinct_no_autapses():
    m = model({"rule": "fixed_indegree", "k": 7, "allow_autapses": False}, n_pre=50, same=True)
    c = draw.connections(m, "p")
    assert np.all(np.bincount(c.post, minlength=50) == 7)
    assert not np.any(c.pre == c.post)
    pairs = c.pre * 1000 + c.post
    assert np.unique(pairs).size == pairs.size


def test_fixed_outdegree_and_total_number():
    c = draw.connections(model({"rule": "fixed_outdegree", "k": 3}), "p")
    assert np.all(np.bincount(c.pre, minlength=50) == 3)
    c = draw.connections(model({"rule": "fixed_total_number", "n": 123}), "p")
    assert len(c) == 123 and np.unique(c.pre * 1000 + c.post).size == 123


def test_fixed_probability_count_is_binomial():
    c = draw.connections(model({"rule": "fixed_probability", "p": 0.1}, 400, 300), "p")
    n, p = 400 * 300, 0.1
    assert abs(len(c) - n * p) < 4 * np.sqrt(n * p * (1 - p))


def test_all_to_all_and_one_to_one():
    assert len(draw.connections(model({"rule": "all_to_all"}), "p")) == 50 * 40
    c = draw.connections(model({"rule": "all_to_all", "allow_autapses": False}, same=True), "p")
    assert len(c) == 50 * 49
    c = draw.connections(model({"rule": "one_to_one"}, 40, 40), "p")
    assert c.pre.tolist() == c.post.tolist() == list(range(40))


def test_same_seed_same_draw_other_seed_other():
    a = draw.connections(model({"rule": "fixed_probability", "p": 0.2}, seed=5), "p")
    b = draw.connections(model({"rule": "fixed_probability", "p": 0.2}, seed=5), "p")
    c = draw.connections(model({"rule": "fixed_probability", "p": 0.2}, seed=6), "p")
    assert np.array_equal(a.pre, b.pre) and np.array_equal(a.post, b.post)
    assert len(a) != len(c) or not np.array_equal(a.pre, c.pre)


def test_bounded_distributions_and_delays_on_grid():
    syn = {"weight": {"distribution": "normal", "mu": "0.1 nA", "sigma": "0.1 nA",
                      "min": "0 nA", "max": "0.15 nA"},
           "delay": {"distribution": "uniform", "low": "0.5 ms", "high": "2.8 ms"}}
    c = draw.connections(model({"rule": "all_to_all"}, synapse=syn), "p")
    assert c.weight.min() >= 0 and c.weight.max() <= 0.15
    steps = c.delay_ms / 0.1
    assert np.allclose(steps, np.round(steps)) and c.delay_ms.min() >= 0.5
    assert c.delay_ms.max() <= 2.8 + 1e-12 and abs(c.delay_ms.mean() - 1.65) < 0.05


def test_poisson_trains_rate_and_grid():
    stim = {"in": {"type": "poisson", "target": "b", "rate": "50 Hz", "start": "100 ms",
                   "stop": "900 ms", "receptor": "excitatory", "synapse": {"weight": "0.1 nA"}}}
    m = model({"rule": "one_to_one"}, 40, 40, stimuli=stim)
    trains = draw.poisson_trains(m, m.stimuli["in"])
    counts = np.array([t.size for t in trains])
    expected = 50 * 0.8  # per neuron
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / 40)
    times = np.concatenate(trains)
    assert times.min() > 100 and times.max() <= 900
    assert np.allclose(times / 0.1, np.round(times / 0.1))


def test_ou_current_statistics_follow_the_exact_update():
    stim = {"ou": {"type": "ou_current", "target": "b", "mean": "0.5 nA", "sigma": "0.2 nA",
                   "tau": "5 ms"}}
    m = model({"rule": "one_to_one"}, 40, 40, stimuli=stim)
    first, x = draw.noise_current(m, m.stimuli["ou"])
    assert first == 0 and x.shape == (10000, 40)
    assert np.allclose(x[0], 0.5)
    tail = x[2000:]
    assert tail.mean() == pytest.approx(0.5, abs=0.01)
    assert tail.std() == pytest.approx(0.2, rel=0.03)
    lag = 50  # tau / dt: correlation e^-1
    d = tail - tail.mean()
    r = np.mean(d[lag:] * d[:-lag]) / np.mean(d * d)
    assert r == pytest.approx(np.exp(-1), abs=0.03)
