"""What mnsim draws from the seed: connections, random weights and delays, Poisson spike
trains and noise currents.

In the ``shared`` connectivity mode (the default) every backend builds exactly these arrays, so
two backends differ only by their simulators. Each projection and each stimulus has its own
random stream, derived from ``simulation.seed`` and its name: adding a projection does not
change the others, and the same seed gives the same network run after run.

All indices are within the whole population (the projection's slice offset applied); weights
are in the target receptor's unit; delays in ms, rounded to the time grid (as NEST does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnsim.spec.model import (
    Distribution,
    Model,
    Projection,
    Quantity,
    Stimulus,
    random_stream,
)

_BLOCK = 4_000_000  # random numbers drawn at once (32 MB)


@dataclass(frozen=True)
class Connections:
    """The drawn connections of one projection (or spike input), one entry per synapse."""

    pre: np.ndarray  # int64, index in the pre population (or the input's source = target)
    post: np.ndarray  # int64, index in the post population
    weight: np.ndarray  # float64, the receptor's weight unit
    delay_ms: np.ndarray  # float64, a whole number of time steps, >= dt

    def __len__(self) -> int:
        return int(self.pre.size)


def rng(model: Model, kind: str, name: str) -> np.random.Generator:
    """The random stream of one projection or stimulus (stable across Python runs)."""
    return random_stream(model.simulation.seed, f"{kind}:{name}")


def connections(model: Model, name: str) -> Connections:
    """Draw projection ``name``: who connects to whom, weights and delays."""
    proj = model.projections[name]
    gen = rng(model, "projection", name)
    pre, post = _pairs(proj, gen)
    table = proj.connector.table or {}
    weight = (np.asarray(table["weight"], float) if "weight" in table
              else draw(proj.synapse.weight, pre.size, gen))
    delay = (np.asarray(table["delay"], float) if "delay" in table
             else draw(proj.synapse.delay_ms, pre.size, gen))
    return Connections(pre + proj.pre_range[0], post + proj.post_range[0], weight,
                       on_grid(delay, model.simulation.dt_ms))


def input_connections(model: Model, stim: Stimulus) -> Connections:
    """The synapses of a spike input: source i (one per target) onto target neuron i."""
    gen = rng(model, "input-synapses", stim.name)
    targets = np.arange(stim.target_range[0], stim.target_range[1], dtype=np.int64)
    return Connections(targets - stim.target_range[0], targets,
                       draw(stim.synapse.weight, targets.size, gen),
                       on_grid(draw(stim.synapse.delay_ms, targets.size, gen),
                               model.simulation.dt_ms))


def on_grid(delay_ms: np.ndarray, dt_ms: float) -> np.ndarray:
    return np.maximum(np.round(delay_ms / dt_ms), 1.0) * dt_ms


def draw(value: Quantity, n: int, gen: np.random.Generator) -> np.ndarray:
    """``n`` values of a scalar or a :class:`Distribution`."""
    if isinstance(value, Distribution):
        return value.sample(n, gen)
    return np.full(n, float(value))


def _pairs(proj: Projection, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Local (pre, post) index pairs, sorted by post then pre."""
    c, n_pre, n_post = proj.connector, proj.n_pre, proj.n_post
    no_self = proj.same_neurons and not c.allow_autapses
    if c.rule == "from_list":
        return (np.asarray(c.table["pre"], np.int64), np.asarray(c.table["post"], np.int64))
    if c.rule == "one_to_one":
        idx = np.arange(n_pre, dtype=np.int64)
        return (idx, idx) if not no_self else (idx[:0], idx[:0])
    if c.rule == "all_to_all":
        pre = np.tile(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.repeat(np.arange(n_post, dtype=np.int64), n_pre)
        keep = pre != post if no_self else slice(None)
        return pre[keep], post[keep]
    if c.rule == "fixed_probability":
        return _bernoulli(n_pre, n_post, c.p, no_self, gen)
    if c.rule == "fixed_indegree":
        chosen, owner = _choose(n_post, n_pre, c.n, no_self, c.allow_multapses, gen)
        return chosen, owner
    if c.rule == "fixed_outdegree":
        chosen, owner = _choose(n_pre, n_post, c.n, no_self, c.allow_multapses, gen)
        order = np.lexsort((owner, chosen))
        return owner[order], chosen[order]
    if c.rule == "fixed_total_number":
        return _total(n_pre, n_post, c.n, no_self, c.allow_multapses, gen)
    raise ValueError(f"unknown connector rule {c.rule!r}")


def _rows(n_rows: int, width: int) -> int:
    return max(1, _BLOCK // max(width, 1))


def _bernoulli(n_pre: int, n_post: int, p: float, no_self: bool,
               gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pres, posts = [], []
    step = _rows(n_post, n_pre)
    for start in range(0, n_post, step):
        stop = min(start + step, n_post)
        mask = gen.random((stop - start, n_pre)) < p
        if no_self:
            rows = np.arange(start, stop)
            inside = rows < n_pre
            mask[np.flatnonzero(inside), rows[inside]] = False
        post, pre = np.nonzero(mask)
        pres.append(pre.astype(np.int64))
        posts.append(post.astype(np.int64) + start)
    return np.concatenate(pres), np.concatenate(posts)


def _choose(n_owners: int, n_pool: int, k: int, no_self: bool, multapses: bool,
            gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """For each owner, ``k`` members of the pool (distinct unless ``multapses``); returns
    (chosen, owner) sorted by owner then chosen."""
    chosen = []
    step = _rows(n_owners, n_pool)
    for start in range(0, n_owners, step):
        stop = min(start + step, n_owners)
        rows = np.arange(start, stop)
        if multapses:
            pick = gen.integers(0, n_pool - (1 if no_self else 0), (stop - start, k))
            if no_self:  # skip the owner's own index
                pick += pick >= rows[:, None]
        else:
            keys = gen.random((stop - start, n_pool))
            if no_self:
                inside = rows < n_pool
                keys[np.flatnonzero(inside), rows[inside]] = np.inf
            pick = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < n_pool else (
                np.broadcast_to(np.arange(n_pool), (stop - start, n_pool)))
        chosen.append(np.sort(pick, axis=1).astype(np.int64))
    picks = np.concatenate(chosen) if chosen else np.empty((0, k), np.int64)
    return picks.ravel(), np.repeat(np.arange(n_owners, dtype=np.int64), k)


def _total(n_pre: int, n_post: int, n: int, no_self: bool, multapses: bool,
           gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.empty(0, np.int64)
    while pairs.size < n:
        extra = gen.integers(0, n_pre * n_post, 2 * (n - pairs.size) + 16)
        if no_self:
            extra = extra[extra // n_pre != extra % n_pre]
        pairs = np.concatenate([pairs, extra])
        if not multapses:
            pairs = pairs[np.sort(np.unique(pairs, return_index=True)[1])]
    pairs = np.sort(pairs[:n])
    return pairs % n_pre, pairs // n_pre


def poisson_trains(model: Model, stim: Stimulus) -> list[np.ndarray]:
    """One train per target neuron of a ``poisson`` stimulus. Spikes are counted per time step
    and stamped at the end of their step (the spike convention of every cell), so a train can
    hold the same time twice when rate * dt is not small."""
    gen = rng(model, "poisson", stim.name)
    dt = model.simulation.dt_ms
    start, stop = stim.values["start"], stim.values["stop"]
    rates = np.broadcast_to(np.asarray(stim.values["rate"], float), (stim.size,))
    counts = gen.poisson(rates * (stop - start) * 1e-3)
    times = gen.uniform(start, stop, int(counts.sum()))
    times = (np.floor(times / dt + 1e-9) + 1.0) * dt
    return [np.sort(t) for t in np.split(times, np.cumsum(counts)[:-1])]


def noise_current(model: Model, stim: Stimulus) -> tuple[int, np.ndarray]:
    """The current of an ``ou_current`` or ``noise_current`` stimulus, one row per time step
    from its start: (first step, array (n_steps, n_targets) in nA, the value during each step).
    """
    gen = rng(model, "noise", stim.name)
    dt = model.simulation.dt_ms
    first = int(round(stim.values["start"] / dt))
    n_steps = int(round(stim.values["stop"] / dt)) - first
    v = stim.values
    if stim.type == "noise_current":
        per = max(1, int(round(v["interval"] / dt)))
        blocks = -(-n_steps // per)
        values = v["mean"] + v["std"] * gen.standard_normal((blocks, stim.size))
        return first, np.repeat(values, per, axis=0)[:n_steps]
    decay = np.exp(-dt / v["tau"])
    kick = np.sqrt(1.0 - decay**2) * np.broadcast_to(np.asarray(v["sigma"], float),
                                                      (stim.size,))
    mean = np.broadcast_to(np.asarray(v["mean"], float), (stim.size,))
    out = np.empty((n_steps, stim.size))
    x = mean.copy()
    noise = gen.standard_normal((n_steps, stim.size))
    for k in range(n_steps):  # a linear recursion: one vector operation per step
        out[k] = x
        x = x + (1.0 - decay) * (mean - x) + kick * noise[k]
    return first, out
