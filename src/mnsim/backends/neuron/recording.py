"""Recorders of the NEURON backend and the arrays read from them after a run.

Spikes: one ``NetCon`` without target per recorded neuron, all recording into one pair of
Vectors per population (``NetCon.record(times, ids, k)``: one Vector per neuron costs more for
large populations); the times are split per neuron after the run. Signals: ``Vector.record`` of
the variable at the recording times, shifted by a small fraction of a step (see
:func:`sample_times`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mnsim.backends.base import RawSignal
from mnsim.backends.neuron.translate import CELL_MODELS
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import SimulationError
from mnsim.spec.model import Model, Population, Recording

RECORD_SHIFT = 1e-4  # recording times are k * interval + this fraction of dt


@dataclass
class SpikeRecorder:
    times: Any  # Vector
    ids: Any  # Vector: position of the neuron in the recording's indices
    n: int
    netcons: list[Any]


@dataclass
class SignalRecorder:
    population: str
    variable: str
    scale: float
    indices: tuple[int, ...]
    vectors: list[Any]
    # multicompartment cells: columns = mix @ vectors (a location read from several segments)
    mix: np.ndarray | None = None


def spike_recorder(h: Any, sources: Any, rec: Recording) -> SpikeRecorder:
    """NetCons from the recorded neurons' spike sources into one pair of Vectors.
    ``sources`` is the population's :class:`~mnsim.backends.neuron.network.Sources`."""
    times, ids = h.Vector(), h.Vector()
    netcons = []
    for k, i in enumerate(rec.indices):
        if sources.sections is None:
            nc = h.NetCon(sources.objects[i], None)
        else:
            nc = h.NetCon(sources.objects[i], None, sec=sources.sections[i])
            nc.threshold = sources.threshold
        nc.record(times, ids, k)
        netcons.append(nc)
    return SpikeRecorder(times, ids, len(rec.indices), netcons)


def signal_recorder(h: Any, pop: Population, rec: Recording, var: str, sections: list[Any],
                    point_processes: list[Any], times: Any) -> SignalRecorder:
    """``Vector.record`` of ``var`` of the recorded neurons at ``times``."""
    spec = CELL_MODELS[pop.cell.type]
    seg_rows = {row[0]: row for row in spec.recordables}
    pp_rows = {row[0]: row for row in spec.pp_recordables}
    if var in seg_rows:
        _, attr, scale = seg_rows[var]
        refs = [getattr(sections[i](0.5), f"_ref_{attr}") for i in rec.indices]
    elif var in pp_rows:
        _, attr, scale = pp_rows[var]
        refs = [getattr(point_processes[i], f"_ref_{attr}") for i in rec.indices]
    else:
        raise SimulationError(f"population '{pop.name}': {pop.cell.type} cannot record "
                              f"'{var}' on NEURON")
    vectors = []
    for ref in refs:
        vec = h.Vector()
        vec.record(ref, times)
        vectors.append(vec)
    return SignalRecorder(pop.name, var, scale, rec.indices, vectors)


def segment_recorder(h: Any, pop: Population, rec: Recording, var: str,
                     readings: list[list[tuple[Any, float]]], times: Any) -> SignalRecorder:
    """``Vector.record`` of ``var`` at a multicompartment cell's recorded locations, one
    column each: a location's value is a weighted sum of segment values (``readings``: its
    (segment, weight) pairs), each segment recorded once, at ``times``."""
    if var != "v":
        raise SimulationError(f"population '{pop.name}': a multicompartment cell records 'v' "
                              f"only on NEURON, not '{var}'")
    vectors, column = [], {}
    mix = np.zeros((len(readings), sum(len(r) for r in readings)))
    for k, reading in enumerate(readings):
        for seg, weight in reading:
            key = (seg.sec.name(), seg.x)
            if key not in column:
                column[key] = len(vectors)
                vec = h.Vector()
                vec.record(seg._ref_v, times)
                vectors.append(vec)
            mix[k, column[key]] += weight
    return SignalRecorder(pop.name, var, 1.0, rec.indices, vectors, mix[:, :len(vectors)])


def sample_times(h: Any, interval_ms: float, duration_ms: float, dt_ms: float) -> Any:
    """The ``Vector`` of recording times k * interval (k < round(duration / interval)).

    Each time is shifted by a small fraction of a step: NEURON then takes the sample after
    the events of that time were delivered, so the sample at a spike time shows the reset
    state (as NEST and Brian2 do), and the first sample is still the initial state.
    """
    n = round(duration_ms / interval_ms)
    return h.Vector(np.arange(n) * interval_ms + RECORD_SHIFT * dt_ms)


def spike_trains(rec: SpikeRecorder, duration_ms: float, dt_ms: float) -> list[np.ndarray]:
    """One sorted array of spike times (ms, on the step grid, up to and including the
    duration) per recorded neuron."""
    times = np.array(rec.times.as_numpy(), dtype=float)
    ids = np.array(rec.ids.as_numpy(), dtype=float).astype(np.int64)
    return split_trains(times, ids, rec.n, duration_ms, dt_ms)


def split_trains(times: np.ndarray, ids: np.ndarray, n: int, duration_ms: float,
                 dt_ms: float) -> list[np.ndarray]:
    """:func:`spike_trains` from the recorded arrays: ``times`` (ms, as NEURON stamped them)
    and ``ids`` (the neuron's position among the ``n`` recorded), in time order per neuron."""
    times = np.round(np.round(times / dt_ms) * dt_ms, 9)  # NEURON accumulates t
    keep = times <= duration_ms + 1e-9
    times, ids = times[keep], ids[keep]
    order = np.argsort(ids, kind="stable")  # NetCon.record appends in time order
    counts = np.bincount(ids, minlength=n)
    return np.split(times[order], np.cumsum(counts)[:-1])


def signal(rec: SignalRecorder, model: Model) -> RawSignal:
    """A recorded signal as a (n_samples, n_recorded) array in catalogue units."""
    interval = model.record[rec.population].interval_ms
    n = round(model.simulation.duration_ms / interval)
    columns = [np.array(vec.as_numpy(), dtype=float) for vec in rec.vectors]
    if any(col.size < n for col in columns):
        raise SimulationError(f"NEURON recorded {min(c.size for c in columns)} samples of "
                              f"'{rec.population}.{rec.variable}', expected {n}")
    data = (np.column_stack([col[:n] for col in columns]) / rec.scale if columns
            else np.empty((n, 0)))
    if rec.mix is not None:
        data = data @ rec.mix.T
    unit = CELL_TYPES[model.populations[rec.population].cell.type].recordables[rec.variable]
    return RawSignal(population=rec.population, variable=rec.variable, unit=unit,
                     interval_ms=interval, data=data, indices=tuple(rec.indices))
