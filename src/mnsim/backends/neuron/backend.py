"""The NEURON backend: one single-compartment section per neuron, fixed time step.

``HH_squid`` cells use NEURON's built-in ``hh`` mechanism and spike when ``v`` crosses 0 mV
upwards (a ``NetCon`` on ``v``). The other types use mnsim's NMODL point processes
(:mod:`~mnsim.backends.neuron.mechanisms` compiles them on first use), which detect their
threshold with ``WATCH``, emit the spike, reset and clamp ``v`` themselves. Step currents are
``IClamp`` point processes, recordings ``Vector.record`` at the recording interval and
``NetCon.record`` for spikes.

NEURON keeps its sections and point processes alive as long as Python holds them, so every
object of a built model is held by one :class:`_Net`; building a model clears the previous one,
whichever backend instance built it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnsim.backends.base import (
    HH_REFERENCE_TEMPERATURE_DEGC,
    Backend,
    Capabilities,
    RawResults,
    RawSignal,
)
from mnsim.backends.neuron.translate import CELL_MODELS, IF_AREA_UM2, CellModel, spike_threshold
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import SimulationError
from mnsim.spec.model import Model, Population, Recording, Stimulus, per_neuron

# 2 = Crank-Nicolson for v (second order); 0 would be backward Euler (first order).
SECONDORDER = 2
_INTEGRATION = {0: "backward Euler", 2: "Crank-Nicolson"}
_RECORD_SHIFT = 1e-4  # recording times are k * interval + this fraction of dt


@dataclass
class _Net:
    """Every NEURON object of one built model, and the recorders to read after the run."""

    sections: dict[str, list[Any]] = field(default_factory=dict)
    point_processes: dict[str, list[Any]] = field(default_factory=dict)
    objects: list[Any] = field(default_factory=list)  # IClamps, NetCons
    sample_times: dict[float, Any] = field(default_factory=dict)  # interval -> Vector
    spikes: dict[str, list[Any]] = field(default_factory=dict)  # population -> Vectors
    signals: list[tuple[str, str, float, tuple[int, ...], list[Any]]] = field(
        default_factory=list)  # (population, variable, scale, indices, Vectors)

    def clear(self) -> None:
        """Drop every reference, so NEURON deletes the objects."""
        self.signals.clear()
        self.spikes.clear()
        self.objects.clear()
        self.sample_times.clear()
        self.point_processes.clear()
        self.sections.clear()


_ACTIVE: list[_Net] = []  # the model currently built in this process (at most one)


class NeuronBackend(Backend):
    """Runs mnsim models on NEURON with a fixed time step."""

    name = "neuron"
    module = "neuron"
    capabilities = Capabilities(cell_types=frozenset(CELL_MODELS),
                                stimulus_types=frozenset({"step_current"}),
                                features=frozenset({"temperature"}))

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads=threads)
        self._net: _Net | None = None

    def version(self) -> str:
        """NEURON's version string."""
        import neuron

        return str(neuron.__version__)

    # -- build ----------------------------------------------------------------------------------
    def _build(self, model: Model) -> None:
        """Clear the previous model, then create sections, mechanisms, stimuli and recorders.

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
        if any(CELL_MODELS[t].point_process for t in model.cell_types):
            from mnsim.backends.neuron.mechanisms import ensure_loaded

            ensure_loaded()
        h.CVode().active(0)
        sim = model.simulation
        h.dt = sim.dt_ms
        h.secondorder = SECONDORDER
        h.celsius = (HH_REFERENCE_TEMPERATURE_DEGC if sim.temperature_degC is None
                     else sim.temperature_degC)
        # hh's rates exactly, not from its 1 mV lookup table (whose linear interpolation
        # moves spike times by up to 0.2 ms over 100 ms)
        h.usetable_hh = 0
        for pop in model.populations.values():
            self._build_population(h, net, pop)
        for stim in model.stimuli.values():
            self._build_step_current(h, net, stim, model.simulation.duration_ms)
        for name, rec in model.record.items():
            self._build_recording(h, net, model.populations[name], rec, sim.duration_ms,
                                  sim.dt_ms)

    @staticmethod
    def _build_population(h: Any, net: _Net, pop: Population) -> None:
        """One section per neuron (NEURON has no array call for that), with ``hh`` or the
        type's point process, parameters and initial state set from the translation table."""
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
        for i in range(n):
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
        net.sections[pop.name] = sections
        net.point_processes[pop.name] = pps

    @staticmethod
    def _build_step_current(h: Any, net: _Net, stim: Stimulus, duration_ms: float) -> None:
        """One ``IClamp`` per target neuron with a non-zero amplitude (nA)."""
        if stim.type != "step_current":
            raise SimulationError(f"stimulus '{stim.name}': unsupported type {stim.type}")
        start = float(stim.values["start"])
        stop = stim.values.get("stop")
        dur = (float(stop) if stop is not None else duration_ms + 1e9) - start
        sections = net.sections[stim.target]
        amps = per_neuron(stim.values["amplitude"], len(sections))
        for sec, amp in zip(sections, amps):
            if amp != 0.0 and dur > 0.0:
                net.objects.append(_iclamp(h, sec(0.5), start, dur, float(amp)))

    @staticmethod
    def _build_recording(h: Any, net: _Net, pop: Population, rec: Recording, duration_ms: float,
                         dt_ms: float) -> None:
        """``NetCon.record`` for spikes; ``Vector.record`` at the recording times for signals."""
        spec = CELL_MODELS[pop.cell.type]
        sections = [net.sections[pop.name][i] for i in rec.indices]
        if "spikes" in rec.variables:
            vectors = []
            threshold = spike_threshold(pop.cell.type)
            for k, i in enumerate(rec.indices):
                if threshold is None:
                    nc = h.NetCon(net.point_processes[pop.name][i], None)
                else:
                    seg = sections[k](0.5)
                    nc = h.NetCon(seg._ref_v, None, sec=sections[k])
                    nc.threshold = threshold
                vec = h.Vector()
                nc.record(vec)
                net.objects.append(nc)
                vectors.append(vec)
            net.spikes[pop.name] = vectors
        seg_rows = {row[0]: row for row in spec.recordables}
        pp_rows = {row[0]: row for row in spec.pp_recordables}
        for var in rec.signals:
            if var in seg_rows:
                _, attr, scale = seg_rows[var]
                refs = [getattr(sec(0.5), f"_ref_{attr}") for sec in sections]
            elif var in pp_rows:
                _, attr, scale = pp_rows[var]
                refs = [getattr(net.point_processes[pop.name][i], f"_ref_{attr}")
                        for i in rec.indices]
            else:
                raise SimulationError(f"population '{pop.name}': {pop.cell.type} cannot record "
                                      f"'{var}' on NEURON")
            times = _sample_times(h, net, rec.interval_ms, duration_ms, dt_ms)
            vectors = []
            for ref in refs:
                vec = h.Vector()
                vec.record(ref, times)
                vectors.append(vec)
            net.signals.append((pop.name, var, scale, rec.indices, vectors))

    # -- run ------------------------------------------------------------------------------------
    def _simulate(self, model: Model) -> RawResults:
        """Initialise, run for the model's duration and collect the recordings."""
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
        # (and stamped with the duration) at the start of the next one.
        pc.psolve(sim.duration_ms + sim.dt_ms)
        return RawResults(spikes=self._spikes(net, sim.duration_ms, sim.dt_ms),
                          signals=self._signals(net, model),
                          integration=(f"fixed step {sim.dt_ms:g} ms, secondorder="
                                       f"{SECONDORDER} ({_INTEGRATION[SECONDORDER]}) for v; "
                                       "hh: cnexp; point processes: cnexp, alpha synapses: "
                                       "exact propagator"))

    @staticmethod
    def _spikes(net: _Net, duration_ms: float, dt_ms: float) -> dict[str, list[np.ndarray]]:
        """Recorded spike times (ms) per population, up to and including the duration."""
        out: dict[str, list[np.ndarray]] = {}
        for pop, vectors in net.spikes.items():
            trains = []
            for vec in vectors:
                # end-of-step times, put back on the step grid (NEURON accumulates t)
                times = np.round(np.round(_array(vec) / dt_ms) * dt_ms, 9)
                trains.append(times[times <= duration_ms + 1e-9])
            out[pop] = trains
        return out

    @staticmethod
    def _signals(net: _Net, model: Model) -> list[RawSignal]:
        """Recorded signals as (n_samples, n_recorded) arrays in catalogue units."""
        out = []
        for pop, var, scale, indices, vectors in net.signals:
            interval = model.record[pop].interval_ms
            n = round(model.simulation.duration_ms / interval)
            columns = [_array(vec) for vec in vectors]
            if any(col.size < n for col in columns):
                raise SimulationError(f"NEURON recorded {min(c.size for c in columns)} samples "
                                      f"of '{pop}.{var}', expected {n}")
            data = np.column_stack([col[:n] for col in columns]) / scale if columns else (
                np.empty((n, 0)))
            unit = CELL_TYPES[model.populations[pop].cell.type].recordables[var]
            out.append(RawSignal(population=pop, variable=var, unit=unit, interval_ms=interval,
                                 data=data, indices=tuple(indices)))
        return out


def _array(vec: Any) -> np.ndarray:
    """A copy of a NEURON ``Vector`` as a float array (also when it is empty)."""
    return np.array(vec.as_numpy(), dtype=float)


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
        net.objects.append(_iclamp(h, seg, 0.0, 1e9, values[offset_attr] * area_um2))


def _sample_times(h: Any, net: _Net, interval_ms: float, duration_ms: float,
                  dt_ms: float) -> Any:
    """The ``Vector`` of recording times k * interval (k < round(duration / interval)), shared
    by the recorders of one interval.

    Each time is shifted by a small fraction of a step: NEURON then takes the sample after
    the events of that time were delivered, so the sample at a spike time shows the reset
    state (as NEST and Brian2 do), and the first sample is still the initial state.
    """
    if interval_ms not in net.sample_times:
        n = round(duration_ms / interval_ms)
        net.sample_times[interval_ms] = h.Vector(np.arange(n) * interval_ms
                                                 + _RECORD_SHIFT * dt_ms)
    return net.sample_times[interval_ms]


def _iclamp(h: Any, seg: Any, start: float, dur: float, amp: float) -> Any:
    """An ``IClamp`` of ``amp`` nA at ``seg``, on for start <= t < start + dur."""
    clamp = h.IClamp(seg)
    clamp.delay = start
    clamp.dur = dur
    clamp.amp = amp
    return clamp
