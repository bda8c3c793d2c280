"""A network run on several MPI ranks, its results put back together on rank 0.

NEURON (:mod:`mnsim.backends.neuron.parallel`) and NEST built with MPI
(:mod:`mnsim.backends.nest.parallel`) both record a neuron on the rank that simulates it. Each
rank turns what it recorded into a :class:`Part`, rank 0 gathers the parts (NEURON's
``pc.py_gather``, mpi4py's ``gather`` for NEST) and :func:`merge` builds the one
:class:`~mnsim.backends.base.RawResults`, in the recording's order, that one process would
have returned. :func:`collective` keeps one rank's failure from leaving the others waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from mnsim.backends.base import RawResults, RawSignal
from mnsim.errors import MnsimError, SimulationError
from mnsim.spec.model import Model, Recording

T = TypeVar("T")
Weights = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Part:
    """What one rank recorded, as plain arrays (pickled to rank 0)."""

    # population -> (indices of this rank's recorded neurons in the population, one sorted
    # train per such neuron, in the same order)
    spikes: dict[str, tuple[np.ndarray, list[np.ndarray]]] = field(default_factory=dict)
    signals: list[RawSignal] = field(default_factory=list)  # columns of this rank's neurons
    weights: dict[str, Weights] = field(default_factory=dict)  # connections onto its neurons
    geometry: dict[str, dict[str, float]] = field(default_factory=dict)


def collective(step: Callable[[], T], allgather: Callable[[Any], list[Any]],
               simulator: str) -> T:
    """Run ``step`` on every rank; if it failed on any, raise on all (the failing rank its
    own error, the others one naming it), so that no rank waits for ever in the next
    collective call. ``allgather`` is the simulator's: one value per rank, in rank order."""
    error: Exception | None = None
    result: Any = None
    try:
        result = step()
    except Exception as exc:  # noqa: BLE001 - reported to every rank, then raised
        error = exc
    reports = allgather(None if error is None else describe(error))
    if error is not None:
        raise error
    for rank, message in enumerate(reports):
        if message is not None:
            raise SimulationError(f"{simulator} MPI rank {rank} of {len(reports)} failed: "
                                  f"{message}")
    return result


def describe(exc: BaseException) -> str:
    """An error in one line for the other ranks: mnsim's own by their message, others with
    their type (``KeyError: 'V_m'``)."""
    return str(exc) if isinstance(exc, MnsimError) else f"{type(exc).__name__}: {exc}"


def merge(parts: Sequence[Part], model: Model, integration: str) -> RawResults:
    """Every rank's :class:`Part` as the :class:`RawResults` of the whole network.

    Raises
    ------
    SimulationError
        A recorded neuron came from no rank, or from two.
    """
    spikes = {}
    for pop, rec in model.record.items():
        if "spikes" in rec.variables:
            spikes[pop] = _merge_trains([p.spikes[pop] for p in parts if pop in p.spikes],
                                        rec, model.populations[pop].size)
    signals = []
    for pop, rec in model.record.items():
        for var in rec.signals:
            pieces = [s for p in parts for s in p.signals
                      if s.population == pop and s.variable == var]
            signals.append(_merge_signal(pieces, rec, model.populations[pop].size))
    weights = {}
    for name in sorted({n for p in parts for n in p.weights}):
        pre, post, w = (np.concatenate([p.weights[name][k] for p in parts if name in p.weights])
                        for k in range(3))
        order = np.lexsort((pre, post))  # the contract's order: by post, then pre
        weights[name] = (pre[order], post[order], w[order])
    geometry = {k: v for p in parts for k, v in p.geometry.items()}
    return RawResults(spikes=spikes, signals=signals, weights=weights, geometry=geometry,
                      integration=integration)


def _positions(rec: Recording, size: int) -> np.ndarray:
    """Neuron index -> position among the recorded neurons (-1 if not recorded)."""
    position = np.full(size, -1, dtype=np.int64)
    position[list(rec.indices)] = np.arange(len(rec.indices))
    return position


def _merge_trains(pieces: list[tuple[np.ndarray, list[np.ndarray]]], rec: Recording,
                  size: int) -> list[np.ndarray]:
    out: list[np.ndarray | None] = [None] * len(rec.indices)
    where = _positions(rec, size)
    for neurons, trains in pieces:
        for i, train in zip(where[np.asarray(neurons, dtype=np.int64)].tolist(), trains):
            if i < 0 or out[i] is not None:
                raise SimulationError(f"the MPI ranks' spike recordings of '{rec.population}' "
                                      f"overlap or name an unrecorded neuron")
            out[i] = train
    missing = [rec.indices[i] for i, t in enumerate(out) if t is None]
    if missing:
        raise SimulationError(f"no MPI rank recorded the spikes of '{rec.population}' "
                              f"neuron(s) {missing[:5]}")
    return out  # type: ignore[return-value]


def _merge_signal(pieces: list[RawSignal], rec: Recording, size: int) -> RawSignal:
    """One signal from the ranks' columns, in the recording's order."""
    pieces = [p for p in pieces if p.data.shape[1] or rec.locations]
    if len(pieces) == 1 and (rec.locations or pieces[0].indices == rec.indices):
        return pieces[0]  # one rank holds it all (a multicompartment cell)
    if not pieces:
        raise SimulationError(f"no MPI rank recorded '{rec.population}'")
    first = pieces[0]
    data = np.full((first.data.shape[0], len(rec.indices)), np.nan)
    where = _positions(rec, size)
    filled = np.zeros(len(rec.indices), dtype=bool)
    for piece in pieces:
        cols = where[list(piece.indices)]
        if (cols < 0).any() or filled[cols].any():
            raise SimulationError(f"the MPI ranks' recordings of '{rec.population}."
                                  f"{first.variable}' overlap or name an unrecorded neuron")
        data[:, cols] = piece.data
        filled[cols] = True
    if not filled.all():
        raise SimulationError(f"no MPI rank recorded '{rec.population}.{first.variable}' of "
                              f"neuron(s) {[rec.indices[i] for i in np.flatnonzero(~filled)][:5]}")
    return replace(first, data=data, indices=tuple(rec.indices))
