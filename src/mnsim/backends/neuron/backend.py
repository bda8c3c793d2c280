"""The NEURON backend: one single-compartment section per neuron, fixed time step, one thread
(``threads`` is ignored: the backend does not use NEURON's threads). Under ``mpiexec`` with
several ranks the cells are spread over the ranks and rank 0 returns the results
(:mod:`~mnsim.backends.neuron.parallel`); in one process nothing of that runs.

``HH_squid`` cells use NEURON's built-in ``hh`` mechanism and spike when ``v`` crosses 0 mV
upwards (a ``NetCon`` on ``v``). The other types use mnsim's NMODL point processes
(:mod:`~mnsim.backends.neuron.mechanisms` compiles them on first use), which detect their
spikes themselves (``WATCH``, or ``HH_cond_exp``'s peak rule after each step), emit them, reset
and clamp ``v``, and receive synaptic input through ``NetCon`` events
(:mod:`~mnsim.backends.neuron.network`: NEURON has no connection rules, so projections are
always built from :func:`mnsim.draw.connections`, in ``native`` mode too). Currents are
``IClamp`` point processes (:mod:`~mnsim.backends.neuron.currents`), recordings ``NetCon.record``
and ``Vector.record`` (:mod:`~mnsim.backends.neuron.recording`). Multicompartment cells are
built section by section from their :class:`~mnsim.spec.cable.CableCell`
(:mod:`~mnsim.backends.neuron.cable`): currents act, and ``v`` is recorded, at locations; spike
inputs reach their named synapses.

NEURON keeps its sections and point processes alive as long as Python holds them, so every
object of a built model is held by one :class:`_Net`; building a model clears the previous one,
whichever backend instance built it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.base import (
    HH_REFERENCE_TEMPERATURE_DEGC,
    Backend,
    Capabilities,
    RawResults,
)
from mnsim.backends.neuron import parallel, recording
from mnsim.backends.neuron.cable import BuiltCable, build_cable
from mnsim.backends.neuron.cable import spike_location as cable_spike_location
from mnsim.backends.neuron.currents import CURRENT_TYPES, build_current, iclamp
from mnsim.backends.neuron.network import (
    Plasticity,
    Sources,
    build_projections,
    build_spike_input,
    end_of_run,
    final_weights,
)
from mnsim.backends.neuron.translate import (
    CELL_MODELS,
    IF_AREA_UM2,
    SYNAPSE_CODES,
    CellModel,
    spike_threshold,
)
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import SimulationError
from mnsim.spec.model import Model, Population, Recording, per_neuron

if TYPE_CHECKING:
    from mnsim.backends.neuron.parallel import Layout

# NEURON's secondorder for each simulation.cable_method: 2 = Crank-Nicolson for v (second
# order, the default for every model), 0 = backward Euler (first order)
SECONDORDER = {"crank_nicolson": 2, "backward_euler": 0}
_INTEGRATION = {0: "backward Euler", 2: "Crank-Nicolson"}
_SPIKE_INPUTS = frozenset({"poisson", "spike_times"})
MULTICOMPARTMENT = "multicompartment"


@dataclass
class _Net:
    """Every NEURON object of one built model, and the recorders to read after the run."""

    sections: dict[str, list[Any]] = field(default_factory=dict)
    point_processes: dict[str, list[Any]] = field(default_factory=dict)
    sources: dict[str, Sources] = field(default_factory=dict)  # population -> spike sources
    objects: list[Any] = field(default_factory=list)  # IClamps, NetCons, VecStims, Vectors
    sample_times: dict[float, Any] = field(default_factory=dict)  # interval -> Vector
    spikes: dict[str, recording.SpikeRecorder] = field(default_factory=dict)
    signals: list[recording.SignalRecorder] = field(default_factory=list)
    plasticity: Plasticity = field(default_factory=Plasticity)
    cables: dict[str, BuiltCable] = field(default_factory=dict)  # multicompartment populations
    layout: Layout | None = None  # MPI ranks: who builds which neuron (None: one process)

    def clear(self) -> None:
        """Drop every reference, so NEURON deletes the objects. Containers are emptied in
        place: a frame kept by a traceback that still holds one must not keep NetCons alive
        whose cells are gone (the next run would deliver to them)."""
        self.signals.clear()
        self.spikes.clear()
        self.plasticity.clear()
        self.objects.clear()
        self.sample_times.clear()
        self.sources.clear()
        self.point_processes.clear()
        self.sections.clear()
        self.cables.clear()
        self.layout = None


_ACTIVE: list[_Net] = []  # the model currently built in this process (at most one)


class NeuronBackend(Backend):
    """Runs mnsim models on NEURON with a fixed time step, in one thread."""

    name = "neuron"
    module = "neuron"
    capabilities = Capabilities(cell_types=frozenset(CELL_MODELS) | {MULTICOMPARTMENT},
                                stimulus_types=CURRENT_TYPES | _SPIKE_INPUTS,
                                features=frozenset({"temperature"}),
                                synapse_types=frozenset(SYNAPSE_CODES))

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads=threads)
        self._net: _Net | None = None

    def version(self) -> str:
        """NEURON's version string. Under ``mpiexec`` this first touch of NEURON also starts
        its MPI (before anything else, as NEURON asks, and outside the timed build)."""
        import neuron

        from mnsim.mpi import launched_ranks, neuron_context

        if launched_ranks() > 1:
            neuron_context()
        return str(neuron.__version__)

    # -- build ----------------------------------------------------------------------------------
    def _build(self, model: Model) -> None:
        """Clear the previous model, then create cells, synapses, stimuli and recorders.

        Raises
        ------
        SimulationError
            The NMODL mechanisms could not be compiled or loaded.
        """
        from neuron import h

        while _ACTIVE:
            _ACTIVE.pop().clear()
        self._net = net = _Net()
        _ACTIVE.append(net)
        net.layout = lay = parallel.layout(model)
        if lay is None:
            self._build_net(h, model, net)
        else:  # a failure on one rank raises on all of them
            lay.collective(lambda: self._build_net(h, model, net))

    def _build_net(self, h: Any, model: Model, net: _Net) -> None:
        """The body of :meth:`_build`: on one process the whole model, on an MPI rank its
        share (``net.layout``)."""
        lay = net.layout
        if _needs_mnsim_mechanisms(model):
            from mnsim.backends.neuron.mechanisms import ensure_loaded

            ensure_loaded()
        h.CVode().active(0)
        sim = model.simulation
        h.dt = sim.dt_ms
        h.secondorder = SECONDORDER[sim.cable_method]
        h.celsius = (HH_REFERENCE_TEMPERATURE_DEGC if sim.temperature_degC is None
                     else sim.temperature_degC)
        # hh's rates exactly, not from its 1 mV lookup table (whose linear interpolation
        # moves spike times by up to 0.2 ms over 100 ms)
        h.usetable_hh = 0
        _set_end_of_run(h, sim.duration_ms)
        for pop in model.populations.values():
            if pop.cell.type != MULTICOMPARTMENT:
                self._build_population(h, net, pop, None if lay is None else lay.local(pop.name))
            elif lay is None or lay.owns(pop.name, 0):
                _build_cable(h, net, pop)
        if lay is None:
            build_projections(h, model, net.sources, net.point_processes, net.objects,
                              net.plasticity)
        else:
            parallel.register_cells(h, lay, net.sources, net.objects)
            parallel.build_projections(h, model, lay, net.sources, net.point_processes,
                                       net.objects, net.plasticity)
        for stim in model.stimuli.values():
            cable = net.cables.get(stim.target)
            if cable is None and stim.target not in net.sections:
                continue  # MPI: a multicompartment cell another rank builds
            if stim.type in _SPIKE_INPUTS:
                local = None if lay is None or cable is not None else (
                    lay.local(stim.target)[slice(*stim.target_range)])
                build_spike_input(h, model, stim, net.point_processes, net.objects,
                                  net.plasticity,
                                  synapses=None if cable is None else cable.synapses,
                                  local=local)
            elif cable is not None:
                loc = stim.location or cable_spike_location(model.populations[stim.target].cell)
                build_current(h, model, stim, [cable.segment(loc)], net.objects)
            else:
                lo, hi = stim.target_range
                build_current(h, model, stim, [None if sec is None else sec(0.5) for sec in
                                               net.sections[stim.target][lo:hi]], net.objects)
        end_of_run(h, net.plasticity)
        for name, rec in model.record.items():
            if lay is not None:
                if name not in net.sections:
                    continue  # MPI: a multicompartment cell another rank builds
                rec = lay.local_recording(rec)
            self._build_recording(h, net, model.populations[name], rec, sim.duration_ms,
                                  sim.dt_ms)

    @staticmethod
    def _build_population(h: Any, net: _Net, pop: Population,
                          local: np.ndarray | None = None) -> None:
        """One section per neuron (NEURON has no array call for that), with ``hh`` or the
        type's point process, parameters and initial state set from the translation table.
        ``local`` (MPI ranks): which neurons this rank builds; the lists of the others hold
        None."""
        spec: CellModel = CELL_MODELS[pop.cell.type]
        n, cell = pop.size, pop.cell
        params = [(attr, per_neuron(cell.params[name], n) * scale)
                  for name, attr, scale in spec.params + ((spec.offset,) if spec.offset else ())]
        params += [(attr, per_neuron(cell.initial[name], n) * scale)
                   for name, attr, scale in spec.initial]
        v0 = per_neuron(cell.initial["v"], n)
        area = IF_AREA_UM2 if spec.point_process else cell.area_um2
        if area is None or area <= 0:
            raise SimulationError(f"population '{pop.name}': {cell.type} needs a membrane area")
        if spec.capacitance is not None:
            cap_nF = per_neuron(cell.params[spec.capacitance], n)
        else:
            cap_nF = per_neuron(spec.fixed_cm_nF or 0.0, n)
        sections, pps = [], []
        for i in range(n) if local is None else np.flatnonzero(local).tolist():
            sec = h.Section(name=f"{pop.name}[{i}]")
            sec.nseg = 1
            sec.L = sec.diam = float(np.sqrt(area / np.pi))  # area = pi diam L
            seg = sec(0.5)
            seg.v = float(v0[i])
            values = {attr: float(vals[i]) for attr, vals in params}
            if spec.point_process is None:
                _density_cell(h, net, sec, spec, values, area)
            else:
                # total capacitance cap_nF: uF/cm2 over the segment's area (um2 = 1e-8 cm2)
                sec.cm = float(cap_nF[i]) * 1e-3 / (seg.area() * 1e-8)
                pp = getattr(h, spec.point_process)(seg)
                for attr, value in values.items():
                    setattr(pp, attr, value)
                if spec.fixed_cm_nF is not None:
                    pp.c_m = spec.fixed_cm_nF
                pps.append(pp)
            sections.append(sec)
        if local is not None:
            sections = parallel.spread(sections, local)
            pps = parallel.spread(pps, local) if pps else pps
        net.sections[pop.name] = sections
        net.point_processes[pop.name] = pps
        threshold = spike_threshold(pop.cell.type)
        if threshold is not None:
            net.sources[pop.name] = Sources([None if sec is None else sec(0.5)._ref_v
                                             for sec in sections], sections, threshold)
        else:
            net.sources[pop.name] = Sources(pps, emit_delay_ms=spec.emit_delay_steps * h.dt)
            if spec.emit_delay_steps:
                setattr(h, f"check_delay_{spec.point_process}", spec.emit_delay_steps)

    @staticmethod
    def _build_recording(h: Any, net: _Net, pop: Population, rec: Recording, duration_ms: float,
                         dt_ms: float) -> None:
        """Spike and signal recorders of one population."""
        if "spikes" in rec.variables:
            net.spikes[pop.name] = recording.spike_recorder(h, net.sources[pop.name], rec)
        if rec.signals and rec.interval_ms not in net.sample_times:
            net.sample_times[rec.interval_ms] = recording.sample_times(
                h, rec.interval_ms, duration_ms, dt_ms)
        cable = net.cables.get(pop.name)
        if cable is not None:
            locations = rec.locations or (cable_spike_location(pop.cell),)
            readings = [cable.reading(loc) for loc in locations]
            for var in rec.signals:
                net.signals.append(recording.segment_recorder(
                    h, pop, rec, var, readings, net.sample_times[rec.interval_ms]))
            return
        for var in rec.signals:
            net.signals.append(recording.signal_recorder(
                h, pop, rec, var, net.sections[pop.name], net.point_processes[pop.name],
                net.sample_times[rec.interval_ms]))

    # -- run ------------------------------------------------------------------------------------
    def _simulate(self, model: Model) -> RawResults | None:
        """Initialise, run for the model's duration and collect the recordings (on MPI
        ranks: gathered on rank 0; None on the others).

        Raises
        ------
        SimulationError
            The model was not built, or stdp bookkeeping overflowed.
        """
        from neuron import h

        net = self._net
        if net is None or not _ACTIVE or _ACTIVE[0] is not net:
            raise SimulationError("the NEURON model was not built, or another model was built "
                                  "since; build it again")
        sim = model.simulation
        pc = h.ParallelContext()
        pc.set_maxstep(10)
        h.finitialize()  # v was set per segment at build time: finitialize() keeps it
        # One step more than the duration: a threshold crossed in the last step is delivered
        # (and stamped with the duration) at the start of the next one. With stdp, one
        # maximal delay more, so that every presynaptic spike up to the duration arrives,
        # and an end-of-run event then closes the books (nothing after the duration counts).
        t_stop = sim.duration_ms + sim.dt_ms
        plasticity = net.plasticity
        lay = net.layout
        if lay is not None:  # every rank runs to the same time
            plasticity.max_delay_ms = lay.any(plasticity.max_delay_ms)
        if (plasticity.end_events if lay is None else lay.any(len(plasticity.end_events))):
            t_end = sim.duration_ms + plasticity.max_delay_ms + sim.dt_ms
            for nc in plasticity.end_events:
                nc.event(t_end)
            t_stop = t_end + sim.dt_ms
        pc.psolve(t_stop)
        order = SECONDORDER[sim.cable_method]
        exp2syn = any(c.synapses for c in net.cables.values())
        if lay is not None:
            part = lay.collective(lambda: parallel.local_results(
                lay, model, net.spikes, net.signals, lambda: final_weights(plasticity),
                {name: dict(cable.geometry) for name, cable in net.cables.items()}))
            return parallel.gather(lay, model, part,
                                   _integration(sim, order, bool(lay.any(exp2syn))))
        return RawResults(
            spikes={pop: recording.spike_trains(rec, sim.duration_ms, sim.dt_ms)
                    for pop, rec in net.spikes.items()},
            signals=[recording.signal(rec, model) for rec in net.signals],
            integration=_integration(sim, order, exp2syn),
            weights=final_weights(plasticity),
            geometry={name: dict(cable.geometry) for name, cable in net.cables.items()})


def _integration(sim: Any, order: int, exp2syn: bool) -> str:
    """How the model was integrated, for the Block's annotations."""
    return (f"fixed step {sim.dt_ms:g} ms, secondorder={order} ({_INTEGRATION[order]}) for "
            "v; hh and HH_cond_exp gates: cnexp; synaptic currents and conductances: exact "
            "decay, acting with their exact mean over each step"
            + ("; Exp2Syn (multicompartment cells): cnexp, its conductance updated after v "
               "(half a step late)" if exp2syn else "")
            + "; one thread")


def _needs_mnsim_mechanisms(model: Model) -> bool:
    """Whether the model uses mnsim's NMODL mechanisms: point-process cells, or spike inputs
    (``mnsim_VecStim``, ``mnsim_Poisson``)."""
    return (any(CELL_MODELS[t].point_process for t in model.cell_types if t in CELL_MODELS)
            or any(s.type in _SPIKE_INPUTS for s in model.stimuli.values()))


def _build_cable(h: Any, net: _Net, pop: Population) -> None:
    """A multicompartment population: its cell, and its spike source at the spike location."""
    cable = build_cable(h, pop)
    net.cables[pop.name] = cable
    net.sections[pop.name] = cable.sections
    net.point_processes[pop.name] = []
    net.sources[pop.name] = cable.source


def _set_end_of_run(h: Any, duration_ms: float) -> None:
    """Tell every loaded mnsim mechanism with synapses when the run ends (a GLOBAL, which
    outlives the previous model)."""
    for cell_type, spec in CELL_MODELS.items():
        name = f"t_final_{spec.point_process}"
        if CELL_TYPES[cell_type].receptors and hasattr(h, name):
            setattr(h, name, duration_ms)


def _density_cell(h: Any, net: _Net, sec: Any, spec: CellModel, values: dict[str, float],
                  area_um2: float) -> None:
    """Insert ``hh`` in ``sec``, set its segment attributes, and add the offset current."""
    sec.insert("hh")
    seg = sec(0.5)
    offset_attr = spec.offset[1] if spec.offset else None
    for attr, value in values.items():
        if attr != offset_attr:
            setattr(seg, attr, value)
    if offset_attr is not None and values[offset_attr] != 0.0:
        net.objects.append(iclamp(h, seg, 0.0, 1e9, values[offset_attr] * area_um2))
