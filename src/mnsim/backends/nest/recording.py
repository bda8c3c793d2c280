"""Turning NEST recorder events into contract arrays (pure numpy; no NEST import).

A multimeter's events arrive in batches (the backend simulates in chunks and empties the
recorders after each, so memory stays bounded), unordered across threads; every sink scatters
them by time stamp and sender. NEST stamps a sample with the end of the step it follows, i.e.
the sample stamped ``t`` is the state at ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Events = Mapping[str, np.ndarray]


def _columns(ids: np.ndarray, senders: np.ndarray) -> np.ndarray:
    return np.searchsorted(ids, senders.astype(np.int64))


class SignalSink:
    """Collects sampled variables into ``(n_samples, n_neurons)`` arrays in catalogue units.

    Row 0 is the initial state; the sample NEST stamps ``k * interval`` goes to row ``k``; rows
    at or beyond ``n_samples`` (the end of the run and later) are dropped.

    Parameters
    ----------
    ids
        Node ids of the recorded neurons, sorted (recording order).
    variables
        Catalogue variable -> (NEST recordable, scale catalogue -> NEST).
    interval_ms, n_samples
        Sampling interval and number of samples.
    initial
        NEST recordable -> its values before the run, one per neuron (NEST units).
    """

    def __init__(self, ids: np.ndarray, variables: Mapping[str, tuple[str, float]],
                 interval_ms: float, n_samples: int, initial: Mapping[str, np.ndarray]) -> None:
        self.ids = ids
        self.variables = dict(variables)
        self.interval_ms = interval_ms
        self.data = {}
        for var, (nest_name, scale) in self.variables.items():
            arr = np.full((n_samples, ids.size), np.nan)
            arr[0] = np.asarray(initial[nest_name], dtype=float) / scale
            self.data[var] = arr

    def add(self, events: Events) -> None:
        """Scatter one batch of multimeter events."""
        rows = np.rint(events["times"] / self.interval_ms).astype(np.int64)
        keep = rows < next(iter(self.data.values())).shape[0]
        rows, cols = rows[keep], _columns(self.ids, events["senders"][keep])
        for var, (nest_name, scale) in self.variables.items():
            self.data[var][rows, cols] = events[nest_name][keep] / scale


class CrossingSink:
    """Spike times as upward crossings of a threshold by ``V_m`` sampled every step.

    A crossing between the samples at steps ``k - 1`` and ``k`` (``v[k-1] <= threshold <
    v[k]``) is a spike at ``k * dt``: the end of the step during which it happened (the
    contract in :mod:`mnsim.backends.base`), found for a whole batch of neurons at once. The
    last sample of each batch is carried over to the next.
    """

    def __init__(self, ids: np.ndarray, v0: np.ndarray, threshold: float, dt_ms: float,
                 last_step: int) -> None:
        self.ids = ids
        self.threshold = threshold
        self.dt_ms = dt_ms
        self.last_step = last_step  # crossings stamped later than this are outside the run
        self.carry = np.asarray(v0, dtype=float).reshape(1, -1)
        self.next_step = 1
        self._cols: list[np.ndarray] = []
        self._steps: list[np.ndarray] = []

    def add(self, events: Events, v_name: str = "V_m") -> None:
        """Detect crossings in one batch (which holds every step it covers, for every neuron)."""
        if events["times"].size == 0:
            return
        steps = np.rint(events["times"] / self.dt_ms).astype(np.int64)
        n_rows = int(steps.max()) - self.next_step + 1
        if steps.min() != self.next_step or steps.size != n_rows * self.ids.size:
            raise RuntimeError("incomplete or out-of-order V_m samples for spike detection")
        block = np.empty((n_rows, self.ids.size))
        block[steps - self.next_step, _columns(self.ids, events["senders"])] = events[v_name]
        v = np.vstack((self.carry, block))
        above = v > self.threshold
        rows, cols = np.nonzero(above[1:] & ~above[:-1])
        self._steps.append(rows + self.next_step)
        self._cols.append(cols)
        self.carry = block[-1:]
        self.next_step += n_rows

    def trains(self) -> list[np.ndarray]:
        """Spike times (ms, sorted), one array per neuron."""
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int64)
        keep = steps <= self.last_step
        return _split(steps[keep] * self.dt_ms, cols[keep], self.ids.size)


def in_ms(events: Events, dt_ms: float) -> Events:
    """Spike events with times in ms. A recorder counting in steps (``time_in_steps``: NEST
    hands its events an ``offsets`` field) stamps a spike with the step at whose end it
    happened; its offset is ignored (iaf_bw_2001 sends its NMDA jump there, not a time)."""
    if "offsets" not in events:
        return events
    return {**events, "times": np.asarray(events["times"], dtype=float) * dt_ms}


def spike_trains(events: Events, ids: np.ndarray, t_max_ms: float) -> list[np.ndarray]:
    """Split spike_recorder events (times in ms) into one sorted array per neuron of
    ``ids``."""
    times = np.asarray(events["times"], dtype=float)
    keep = times <= t_max_ms + 1e-9
    # a spike in the last step is stamped k dt, which may round above the duration
    times = np.minimum(times[keep], t_max_ms)
    return _split(times, _columns(ids, events["senders"][keep]), ids.size)


def _split(times: np.ndarray, cols: np.ndarray, n: int) -> list[np.ndarray]:
    if n == 0:  # an MPI rank that simulates none of the recorded neurons
        return []
    order = np.lexsort((times, cols))
    times, cols = times[order], cols[order]
    bounds = np.searchsorted(cols, np.arange(1, n))
    return [np.ascontiguousarray(t) for t in np.split(times, bounds)]


def as_array(values: float | None | Sequence[float | None], n: int) -> np.ndarray:
    """A NodeCollection ``get`` result (scalar for one node, tuple otherwise) as an array.
    NEST gives None for a node another MPI rank simulates: NaN here (numpy's float of
    None)."""
    return np.broadcast_to(np.atleast_1d(np.asarray(values, dtype=float)), (n,)).copy()
