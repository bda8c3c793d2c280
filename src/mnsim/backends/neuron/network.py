"""Projections and spike inputs of the NEURON backend: one NetCon per synapse.

NEURON has no connection rules and no array call that creates NetCons, so in both
connectivity modes every projection is built from :func:`mnsim.draw.connections` (the same
pairs, weights and delays in ``shared`` and ``native`` mode), with one NetCon per connection
made in one loop that does nothing else. A NetCon's weight vector is laid out in
``mod/mnsim_synapses.inc`` (:mod:`~mnsim.backends.neuron.translate` names the slots): the
constructor sets slot 0 (the weight, in the receptor's unit with PyNN's sign) and the delay;
a second pass sets the receptor code when it is inhibitory and the synapse type's fields when
it is not static.

Spike inputs, one source per target neuron through one NetCon whose weight and delay come from
:func:`mnsim.draw.input_connections` (in both modes: NEURON has no random weight or delay
distributions):

* ``spike_times`` and ``poisson`` in ``shared`` mode: an ``mnsim_VecStim`` (NEURON 9 ships no
  VecStim) plays the target's train, ``values["times"]`` or :func:`mnsim.draw.poisson_trains`;
  a time listed twice is delivered twice.
* ``poisson`` in ``native`` mode: an ``mnsim_Poisson`` per target, NetStim's Poisson process
  (exponential intervals) from a Random123 stream of its own, ids (seed, a hash of the
  stimulus name, the target's index), each spike stamped at the end of its time step as
  mnsim's trains are, and nothing from ``stop`` on.

Timing. A spike is stamped with the end of its time step (the cells' spikes, the trains,
``mnsim_Poisson``'s); its event arrives at that time plus the delay, a step boundary, where
NEURON delivers it before integrating the step that starts there: it acts from that step on,
as in NEST and Brian2. ``IF_curr_delta`` cells emit their spikes 1e-6 steps late (they check
their threshold once every event of a boundary is in: see their .mod file), so their NetCons'
delays are shorter by as much (:attr:`Sources.emit_delay_ms`), and their events arrive at the
boundaries too. Final ``stdp`` weights are read from slot 0 (the mechanisms keep it at the
catalogue's weight at the end of the run: see ``mnsim_synapses.inc``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnsim import draw
from mnsim.backends.neuron.translate import (
    CELL_MODELS,
    RECEPTOR_CODES,
    RECEPTOR_SLOT,
    STDP_DELAY_SLOT,
    STDP_MULTIPLICATIVE_SLOT,
    SYNAPSE_CODES,
    SYNAPSE_SLOT,
    SYNAPSE_SLOTS,
)
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec.model import Model, Stimulus, Synapse

END_OF_RUN_CODE = 3.0  # synapse code of the event that closes the stdp books (mnsim_synapses.inc)


@dataclass
class Sources:
    """What a population's spikes come from: its point processes, or (HH_squid) the ``v`` of
    its sections, watched by each NetCon with a threshold."""

    objects: list[Any]
    sections: list[Any] | None = None  # set when objects are _ref_v pointers
    threshold: float = 0.0
    emit_delay_ms: float = 0.0  # spikes leave this late: NetCon delays are shortened by it


@dataclass
class Plasticity:
    """The stdp NetCons of the built model and what reading their weights needs."""

    projections: dict[str, tuple[list[Any], np.ndarray, np.ndarray]] = field(
        default_factory=dict)  # name -> (NetCons, pre, post)
    cells: dict[int, Any] = field(default_factory=dict)  # id -> point process receiving stdp
    max_delay_ms: float = 0.0
    end_events: list[Any] = field(default_factory=list)  # one NetCon per cell in `cells`

    def clear(self) -> None:
        self.projections.clear()
        self.cells.clear()
        self.end_events.clear()
        self.max_delay_ms = 0.0


def netcons(h: Any, sources: Sources, pre: np.ndarray, targets: list[Any], post: np.ndarray,
            weights: np.ndarray, delays: np.ndarray) -> list[Any]:
    """One NetCon per (pre, post) pair: ``sources`` pre -> ``targets`` post, with its weight
    (slot 0) and delay; nothing else happens in the loop."""
    NetCon, src, thr = h.NetCon, sources.objects, sources.threshold
    if sources.emit_delay_ms:
        delays = delays - sources.emit_delay_ms
    args = pre.tolist(), post.tolist(), delays.tolist(), weights.tolist()
    if sources.sections is None:
        return [NetCon(src[i], targets[j], thr, d, w) for i, j, d, w in zip(*args)]
    secs = sources.sections
    return [NetCon(src[i], targets[j], thr, d, w, sec=secs[i]) for i, j, d, w in zip(*args)]


def build_projections(h: Any, model: Model, sources: dict[str, Sources],
                      point_processes: dict[str, list[Any]], keep: list[Any],
                      plasticity: Plasticity) -> None:
    """Every projection of ``model``, from :func:`mnsim.draw.connections`."""
    for name, proj in model.projections.items():
        where = f"projection '{name}'"
        _check_receptor(model, proj.post, proj.receptor, where)
        conn = draw.connections(model, name)
        ncs = netcons(h, sources[proj.pre], conn.pre, point_processes[proj.post], conn.post,
                      conn.weight, conn.delay_ms)
        _set_synapse(ncs, proj.synapse, proj.receptor, conn.delay_ms)
        keep.extend(ncs)
        if proj.synapse.type == "stdp":
            plasticity.projections[name] = (ncs, conn.pre, conn.post)
            _plastic_targets(plasticity, point_processes[proj.post], conn.post, conn.delay_ms)


def build_spike_input(h: Any, model: Model, stim: Stimulus,
                      point_processes: dict[str, list[Any]], keep: list[Any],
                      plasticity: Plasticity, synapses: dict[str, Any] | None = None,
                      local: np.ndarray | None = None) -> None:
    """One source per target neuron of a ``spike_times`` or ``poisson`` stimulus, each with
    one NetCon onto its target's receptor. ``synapses``: the point synapses of a
    multicompartment target by name (its receptors); their NetCons carry the weight (uS) and
    the delay only, so only ``static`` synapses reach them. ``local`` (MPI ranks): which
    targets, in the stimulus's order, this rank builds; the trains are drawn whole on every
    rank, so each target gets the train it gets in one process."""
    where = f"stimulus '{stim.name}'"
    if stim.synapse is None or stim.receptor is None:
        raise SimulationError(f"{where}: a spike input needs a synapse and a receptor")
    if synapses is None:
        _check_receptor(model, stim.target, stim.receptor, where)
        targets = point_processes[stim.target]
    else:
        targets = _cable_receptor(synapses, stim, where)
    conn = draw.input_connections(model, stim)
    if local is not None:
        conn = _subset(conn, local[conn.pre])
    if stim.type == "poisson" and model.connectivity == "native":
        cells = _poisson_generators(h, model, stim, local)
    else:
        trains = (stim.values["times"] if stim.type == "spike_times"
                  else draw.poisson_trains(model, stim))
        cells = []
        for i, train in enumerate(trains):  # NEURON has no array call for artificial cells
            if local is not None and not local[i]:
                cells.append(None)  # another rank's target
                continue
            vs = h.mnsim_VecStim()
            vec = h.Vector(np.asarray(train, dtype=float))
            vs.play(vec)
            cells.append(vs)
            keep.append(vec)
    keep.extend(cells if local is None else [c for c in cells if c is not None])
    ncs = netcons(h, Sources(cells), conn.pre, targets, conn.post, conn.weight, conn.delay_ms)
    keep.extend(ncs)
    if synapses is not None:
        return
    _set_synapse(ncs, stim.synapse, stim.receptor, conn.delay_ms)
    if stim.synapse.type == "stdp":
        _plastic_targets(plasticity, targets, conn.post, conn.delay_ms)


def end_of_run(h: Any, plasticity: Plasticity) -> None:
    """Mark the cells that receive stdp NetCons and give each an end-of-run event source."""
    for pp in plasticity.cells.values():
        pp.plastic = 1.0
        nc = h.NetCon(None, pp)
        nc.weight[SYNAPSE_SLOT] = END_OF_RUN_CODE
        plasticity.end_events.append(nc)


def final_weights(plasticity: Plasticity
                  ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(pre, post, weight) of every stdp projection, sorted by post then pre.

    Raises
    ------
    SimulationError
        A cell spiked too often for its stdp bookkeeping (see ``mnsim_synapses.inc``).
    """
    if any(pp.stdp_lost for pp in plasticity.cells.values()):
        raise SimulationError("NEURON: a cell with stdp inputs fired more than 64 spikes within "
                              "twice an stdp delay, more than mnsim's NEURON mechanisms keep "
                              "(NPOST in mnsim_synapses.inc): its stdp weights are wrong")
    out = {}
    for name, (ncs, pre, post) in plasticity.projections.items():
        weights = np.array([nc.weight[0] for nc in ncs], dtype=float)
        order = np.lexsort((pre, post))
        out[name] = (pre[order], post[order], weights[order])
    return out


def _check_receptor(model: Model, population: str, receptor: str, where: str) -> None:
    cell_type = model.populations[population].cell.type
    if receptor not in CELL_TYPES[cell_type].receptors or not CELL_MODELS[cell_type].point_process:
        raise CapabilityError(f"{where}: {cell_type} cells have no receptor '{receptor}' on "
                              f"NEURON")


def _cable_receptor(synapses: dict[str, Any], stim: Stimulus, where: str) -> list[Any]:
    """The point synapse a spike input into a multicompartment cell reaches (one neuron)."""
    if stim.receptor not in synapses:
        names = ", ".join(sorted(synapses)) or "none"
        raise CapabilityError(f"{where}: the cell of '{stim.target}' has no synapse "
                              f"'{stim.receptor}' (its synapses: {names})")
    if stim.synapse.type != "static":
        raise CapabilityError(f"{where}: {stim.synapse.type} synapses onto a multicompartment "
                              f"cell are not supported on NEURON (static only)")
    return [synapses[stim.receptor]]


def _set_synapse(ncs: list[Any], syn: Synapse, receptor: str, delays: np.ndarray) -> None:
    """Slots other than weight and delay: the receptor code, the synapse type and its fields."""
    fixed = [(RECEPTOR_SLOT, RECEPTOR_CODES[receptor])] if RECEPTOR_CODES[receptor] else []
    if syn.type != "static":
        fixed.append((SYNAPSE_SLOT, SYNAPSE_CODES[syn.type]))
        fixed.extend((slot, float(syn.params[name])) for name, slot in SYNAPSE_SLOTS[syn.type])
    if syn.type == "stdp":
        fixed.append((STDP_MULTIPLICATIVE_SLOT,
                      float(syn.params["weight_dependence"] == "multiplicative")))
        for nc, d in zip(ncs, delays.tolist()):
            wv = nc.weight
            for slot, value in fixed:
                wv[slot] = value
            wv[STDP_DELAY_SLOT] = d
    elif fixed:
        for nc in ncs:
            wv = nc.weight
            for slot, value in fixed:
                wv[slot] = value


def _plastic_targets(plasticity: Plasticity, targets: list[Any], post: np.ndarray,
                     delays: np.ndarray) -> None:
    for i in np.unique(post).tolist():
        plasticity.cells[id(targets[i])] = targets[i]
    if delays.size:
        plasticity.max_delay_ms = max(plasticity.max_delay_ms, float(delays.max()))


def _subset(conn: draw.Connections, keep: np.ndarray) -> draw.Connections:
    """The connections where ``keep`` is true (an MPI rank's share)."""
    return draw.Connections(conn.pre[keep], conn.post[keep], conn.weight[keep],
                            conn.delay_ms[keep])


def _poisson_generators(h: Any, model: Model, stim: Stimulus,
                        local: np.ndarray | None = None) -> list[Any]:
    """One ``mnsim_Poisson`` per target, each on its own Random123 stream (ids: seed,
    stimulus, the target's position in the stimulus, whichever rank builds it); None for the
    targets ``local`` leaves to other ranks."""
    rates = np.broadcast_to(np.asarray(stim.values["rate"], float), (stim.size,)).tolist()
    start, stop = float(stim.values["start"]), float(stim.values["stop"])
    seed = int(model.simulation.seed) % 2**32
    key = zlib.crc32(f"poisson:{stim.name}".encode())
    cells = []
    for i, rate in enumerate(rates):
        if local is not None and not local[i]:
            cells.append(None)
            continue
        ps = h.mnsim_Poisson()
        ps.rate, ps.start, ps.stop = rate, start, stop
        ps.ranvar.set_ids(seed, key, i)
        cells.append(ps)
    return cells
