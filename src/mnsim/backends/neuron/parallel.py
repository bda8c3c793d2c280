"""The NEURON backend across MPI ranks (``mpiexec -n N mnsim run MODEL --backend neuron``).

What each rank does, with NEURON's ``ParallelContext`` (``pc``):

* Cells. Every neuron has a gid, its index when all populations are numbered in one range in
  the model's order (``exc`` 0..N_E-1, then ``inh``...). Rank r builds the neurons with
  ``gid % nhost == r`` (round robin: neighbours, which a model often treats alike, land on
  different ranks), registers each with ``pc.set_gid2node`` and ``pc.cell(gid, NetCon)``.
  A multicompartment population is one neuron, so one gid: one rank builds the whole cell.
* Connections. Every rank draws each projection whole (:func:`mnsim.draw.connections`, the
  same arrays in one process and on N ranks) and makes the connections onto its own
  neurons with ``pc.gid_connect``: the same weights and delays as one process.
  Spikes travel between ranks by NEURON's spike exchange (``pc.set_maxstep``, ``psolve``),
  every minimum delay.
* Stimuli. Spike inputs are drawn whole on every rank (the same trains, the same per-target
  Random123 streams), and each rank builds only its own targets' sources; currents likewise.
* Recordings are of local neurons only. After the run they go to rank 0
  (``pc.py_gather``), which puts them back in the recording's order
  (:func:`mnsim.backends.ranks.merge`, shared with NEST) and returns the one
  :class:`~mnsim.backends.base.RawResults`; the other ranks return None.

A rank's spike events reach their targets at the same times as in one process, so the spike
trains on N ranks are those of one process (``tests/mpi``). A failure on one rank is
reported on every rank (collective checkpoints after the build and after the run) instead of
leaving the others waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from mnsim import draw
from mnsim.backends import ranks
from mnsim.backends.base import RawResults
from mnsim.backends.neuron import recording
from mnsim.backends.neuron.network import (
    Plasticity,
    Sources,
    _check_receptor,
    _plastic_targets,
    _set_synapse,
    _subset,
    netcons,
)
from mnsim.spec.model import Model, Recording

T = TypeVar("T")


@dataclass
class Layout:
    """Which rank builds which neurons: gids round robin over ``nhost`` ranks."""

    pc: Any  # NEURON's ParallelContext
    rank: int
    nhost: int
    first_gid: dict[str, int]  # population -> gid of its neuron 0
    sizes: dict[str, int]
    recordings: dict[str, Recording] = field(default_factory=dict)  # local share of each

    def local(self, population: str) -> np.ndarray:
        """Which neurons of ``population`` this rank builds (a boolean per neuron)."""
        gids = self.first_gid[population] + np.arange(self.sizes[population])
        return gids % self.nhost == self.rank

    def owns(self, population: str, index: int) -> bool:
        return (self.first_gid[population] + index) % self.nhost == self.rank

    def local_recording(self, rec: Recording) -> Recording:
        """``rec`` restricted to this rank's neurons (kept to put spikes back in place)."""
        mine = tuple(i for i in rec.indices if self.owns(rec.population, i))
        self.recordings[rec.population] = local = replace(rec, indices=mine)
        return local

    def collective(self, step: Callable[[], T]) -> T:
        """Run ``step`` on every rank; if it failed on any, raise on all
        (:func:`mnsim.backends.ranks.collective`)."""
        return ranks.collective(step, self.pc.py_allgather, "NEURON")

    def any(self, value: float) -> float:
        """The largest ``value`` over the ranks."""
        return float(self.pc.allreduce(float(value), 2))


def layout(model: Model) -> Layout | None:
    """The rank layout when this process is one of several MPI ranks, else None (the
    single-process path, untouched). Starts NEURON's MPI the first time under ``mpiexec``."""
    from mnsim.mpi import launched_ranks, neuron_context

    if launched_ranks() <= 1:
        return None
    pc, rank, nhost = neuron_context()
    if nhost <= 1:
        return None
    pc.gid_clear()  # a model built before in this process
    sizes = {name: pop.size for name, pop in model.populations.items()}
    starts = np.cumsum([0] + list(sizes.values()))[:-1].tolist()
    return Layout(pc, rank, nhost, dict(zip(sizes, starts)), sizes)


def spread(items: list[Any], local: np.ndarray) -> list[Any]:
    """A population's list with one entry per neuron: ``items`` (the local neurons' objects,
    in order) at the local positions, None elsewhere."""
    out: list[Any] = [None] * local.size
    for i, item in zip(np.flatnonzero(local).tolist(), items):
        out[i] = item
    return out


def register_cells(h: Any, lay: Layout, sources: dict[str, Sources], keep: list[Any]) -> None:
    """``set_gid2node`` and ``pc.cell`` for every local neuron with a spike source."""
    pc = lay.pc
    for name, src in sources.items():
        first = lay.first_gid[name]
        for i in np.flatnonzero(lay.local(name)).tolist():
            gid = first + i
            pc.set_gid2node(gid, lay.rank)
            if src.sections is None:
                nc = h.NetCon(src.objects[i], None)
            else:
                nc = h.NetCon(src.objects[i], None, sec=src.sections[i])
                nc.threshold = src.threshold
            pc.cell(gid, nc)
            keep.append(nc)


def build_projections(h: Any, model: Model, lay: Layout, sources: dict[str, Sources],
                      point_processes: dict[str, list[Any]], keep: list[Any],
                      plasticity: Plasticity) -> None:
    """Every projection's connections onto this rank's neurons, from the whole draw."""
    gid_connect = lay.pc.gid_connect
    for name, proj in model.projections.items():
        _check_receptor(model, proj.post, proj.receptor, f"projection '{name}'")
        conn = draw.connections(model, name)
        conn = _subset(conn, lay.local(proj.post)[conn.post])
        targets, src = point_processes[proj.post], sources[proj.pre]
        # a local source: a plain NetCon (on the PreSyn pc.cell registered; twice as fast);
        # a remote one: gid_connect, whose weight and delay are set after
        here = lay.local(proj.pre)[conn.pre]
        conn = _subset(conn, np.concatenate([np.flatnonzero(here), np.flatnonzero(~here)]))
        n_here = int(here.sum())
        ncs = netcons(h, src, conn.pre[:n_here], targets, conn.post[:n_here],
                      conn.weight[:n_here], conn.delay_ms[:n_here])
        gids = conn.pre[n_here:] + lay.first_gid[proj.pre]
        delays = conn.delay_ms[n_here:] - src.emit_delay_ms
        for g, j, d, w in zip(gids.tolist(), conn.post[n_here:].tolist(), delays.tolist(),
                              conn.weight[n_here:].tolist()):
            nc = gid_connect(g, targets[j])
            nc.delay = d
            nc.weight[0] = w
            ncs.append(nc)
        _set_synapse(ncs, proj.synapse, proj.receptor, conn.delay_ms)
        keep.extend(ncs)
        if proj.synapse.type == "stdp":
            plasticity.projections[name] = (ncs, conn.pre, conn.post)
            _plastic_targets(plasticity, targets, conn.post, conn.delay_ms)


def local_results(lay: Layout, model: Model, spikes: dict[str, recording.SpikeRecorder],
                  signals: list[recording.SignalRecorder],
                  weights: Callable[[], dict], geometry: dict[str, dict[str, float]]
                  ) -> ranks.Part:
    """What this rank recorded, to send to rank 0."""
    sim = model.simulation
    trains = {pop: (np.asarray(lay.recordings[pop].indices, dtype=np.int64),
                    recording.spike_trains(rec, sim.duration_ms, sim.dt_ms))
              for pop, rec in spikes.items()}
    return ranks.Part(spikes=trains, signals=[recording.signal(r, model) for r in signals],
                      weights=weights(), geometry=geometry)


def gather(lay: Layout, model: Model, part: ranks.Part, integration: str
           ) -> RawResults | None:
    """Every rank's :func:`local_results` merged on rank 0; None on the other ranks."""
    parts = lay.pc.py_gather(part, 0)
    if lay.rank != 0:
        return None
    return ranks.merge(parts, model, f"{integration}; {lay.nhost} MPI ranks (gids round "
                                     f"robin, NEURON's spike exchange)")
