"""The NEST backend: catalogue cells as NEST point-neuron models (tables in
:mod:`~mnsim.backends.nest.translate`), current stimuli as generator devices and ``I_e``
(:mod:`~mnsim.backends.nest.stimuli`), projections (:mod:`~mnsim.backends.nest.network`),
spike inputs (:mod:`~mnsim.backends.nest.inputs`), recordings from ``multimeter`` and
``spike_recorder`` devices (:mod:`~mnsim.backends.nest.recording`).

NEST is imported only inside methods. Every NEST call is vectorised over a population (one
status call with a value per neuron, one ``Connect`` call per projection or for all
generators). ``threads`` is NEST's ``local_num_threads``; NEST's ``rng_seed`` (native
connectivity, Poisson and noise generators) is the model's seed + 1.

The run is simulated in chunks, and the multimeters are emptied after each, so that memory
stays bounded when many neurons are sampled every step. It lasts one ``min_delay`` longer than
the model's duration, because NEST hands a multimeter the samples of the last ``min_delay`` of
a ``Simulate`` call only during the next one; everything stamped after the duration is
dropped.

HH cells: ``hh_psc_alpha`` emits its spike at the peak of the action potential (0.24-0.26 ms
after the 0 mV crossing in ``hh_squid``), so its spike events are not used. Instead ``V_m`` is
sampled every step (by the same multimeter as the user's ``v`` when that one samples every
step) and spike times are the upward crossings of 0 mV
(:class:`~mnsim.backends.nest.recording.CrossingSink`). This costs a sample per neuron and
step, which NEST converts to Python at roughly 0.1-0.3 us each; chunking bounds the memory.
The spikes an ``HH_squid`` population sends through projections are NEST's, at the peak.
``HH_cond_exp`` (``hh_cond_exp_traub``): the catalogue's spike rule is NEST's own, so its
spike events are recorded directly.

``IF_cond_bw2001`` (``iaf_bw_2001``): its spike events carry the NMDA jump in their offset, so
its spike recorders count in steps; it has no ``I_e``, so currents that start (or stop) before
a generator can act are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends import ranks
from mnsim.backends.base import Backend, Capabilities, RawResults, RawSignal
from mnsim.backends.nest import parallel
from mnsim.backends.nest.inputs import SPIKE_INPUTS, connect_spike_inputs
from mnsim.backends.nest.network import connect_projections, get_values, node_ids, set_status
from mnsim.backends.nest.plasticity import (
    aligned_min_delay_steps,
    check_synapses,
    final_weights,
    force_min_delay,
    set_tau_minus,
    spike_steps,
)
from mnsim.backends.nest.recording import (
    CrossingSink,
    SignalSink,
    in_ms,
    spike_trains,
)
from mnsim.backends.nest.stimuli import CURRENT_TYPES, CurrentPlan, plan_currents
from mnsim.backends.nest.translate import CELLS
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec.model import Model, Population, Recording

if TYPE_CHECKING:
    from types import ModuleType

CHUNK_SAMPLES = 2_000_000  # multimeter samples NEST holds at most between two reads
GENERATOR_DELAY_MS = 1.0  # delay of current generators (see mnsim.backends.nest.stimuli)
MAX_RNG_SEED = 2**32 - 2  # NEST wants 1 <= rng_seed < 2**32 - 1


def _nest() -> ModuleType:
    os.environ["PYNEST_QUIET"] = "1"
    import nest

    return nest


@dataclass
class _Multimeter:
    device: Any  # nest.NodeCollection
    samples_per_step: float
    sinks: list[SignalSink | CrossingSink]


@dataclass
class _Built:
    """What ``_build`` leaves for ``_simulate``."""

    nodes: dict[str, Any] = field(default_factory=dict)  # population -> NodeCollection
    # step -> population -> I_e (pA) from that step on, for current changes no generator makes
    i_e_schedule: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    multimeters: list[_Multimeter] = field(default_factory=list)
    signals: dict[str, SignalSink] = field(default_factory=dict)  # population -> sink
    spike_recorders: dict[str, tuple[Any, np.ndarray]] = field(default_factory=dict)
    crossings: dict[str, CrossingSink] = field(default_factory=dict)
    stdp: dict[str, tuple[str, float]] = field(default_factory=dict)  # projection -> model
    stdp_recorders: dict[str, Any] = field(default_factory=dict)  # population -> recorder
    mpi: parallel.MpiRanks | None = None  # MPI ranks (None: one process)
    # population -> positions, among its recorded neurons, of those this rank simulates
    local_columns: dict[str, np.ndarray] = field(default_factory=dict)


class NestBackend(Backend):
    """Runs a model on NEST (``nest-simulator`` 3.x: threads, and MPI ranks where NEST was
    built with MPI, :mod:`~mnsim.backends.nest.parallel`)."""

    name = "nest"
    module = "nest"
    capabilities = Capabilities(cell_types=frozenset(CELLS),
                                stimulus_types=CURRENT_TYPES | SPIKE_INPUTS,
                                synapse_types=frozenset({"static", "tsodyks_markram", "stdp"}))

    def version(self) -> str:
        """NEST's version string."""
        return str(_nest().__version__)

    def check(self, model: Model) -> None:
        """The capabilities, then what NEST's synapse models cannot express (STDP's w_min,
        tau_minus per post neuron)."""
        super().check(model)
        check_synapses(model)

    def _build(self, model: Model) -> None:
        nest = _nest()
        _reset_kernel(nest, model, self.threads)
        mpi = parallel.mpi_ranks(nest)
        if mpi is None:
            self._build_net(nest, model, _Built())
        else:  # a failure on one rank raises on all of them
            mpi.collective(lambda: self._build_net(nest, model, _Built(mpi=mpi)))

    def _build_net(self, nest: ModuleType, model: Model, built: _Built) -> None:
        """The body of :meth:`_build` after the kernel's reset; the same calls on every MPI
        rank."""
        dt = model.simulation.dt_ms
        delay_steps = max(1, round(GENERATOR_DELAY_MS / dt))
        plan = plan_currents(model, delay_steps, native=model.connectivity == "native")
        _check_i_e(model, plan, (delay_steps + 1) * dt)
        for name, pop in model.populations.items():
            built.nodes[name] = _create(nest, pop, plan)
        set_tau_minus(nest, built.nodes, model)
        min_delay = aligned_min_delay_steps(model, delay_steps)
        if min_delay is not None:  # exact final STDP weights (see .plasticity)
            force_min_delay(nest, min_delay, dt)
        built.i_e_schedule = _i_e_schedule(plan, built.nodes)
        _connect_generators(nest, plan, built.nodes, dt)
        built.stdp = connect_projections(nest, model, built.nodes)
        # in the model's order: on MPI ranks every rank must create the same devices in the
        # same order (a set's order is its process's string hashing)
        involved = {p for s in built.stdp for p in (model.projections[s].pre,
                                                    model.projections[s].post)}
        for name in [p for p in model.populations if p in involved]:
            built.stdp_recorders[name] = _spike_recorder(nest, model.populations[name])
            nest.Connect(built.nodes[name], built.stdp_recorders[name])
        connect_spike_inputs(nest, model, built.nodes)
        for rec in model.record.values():
            _add_recorders(nest, model, rec, built)
        self._built = built

    def _simulate(self, model: Model) -> RawResults | None:
        built = self._built
        if built.mpi is None:
            self._run(model)
            return self._results(model, self._stdp_spikes(model))
        # an error inside NEST's run leaves the other ranks in its spike exchange: abort
        built.mpi.abort_on_error(lambda: self._run(model))
        local_stdp = built.mpi.collective(lambda: self._stdp_spikes(model))
        stdp_spikes = {name: built.mpi.all_spike_steps(s) for name, s in local_stdp.items()}
        part = built.mpi.collective(lambda: self._part(model, stdp_spikes))
        return built.mpi.gather(part, model, self._integration(model))

    def _run(self, model: Model) -> None:
        """``Simulate`` in chunks, emptying the multimeters into their sinks after each (on
        MPI ranks the same chunks on every rank: each ``Simulate`` ends in a barrier)."""
        nest = _nest()
        built = self._built
        dt = model.simulation.dt_ms
        n_steps = round(model.simulation.duration_ms / dt)
        total = n_steps + max(1, round(nest.GetKernelStatus("min_delay") / dt))
        rate = sum(mm.samples_per_step for mm in built.multimeters)
        chunk = max(1, int(CHUNK_SAMPLES / rate)) if rate else total
        stops = set(range(chunk, total, chunk)) | {total} | set(built.i_e_schedule)
        done = 0
        for stop in sorted(stops):
            nest.Simulate((stop - done) * dt)
            done = stop
            for name, i_e in built.i_e_schedule.get(stop, {}).items():
                set_status(nest, built.nodes[name], {"I_e": i_e})
            for mm in built.multimeters:
                events = mm.device.get("events")
                if stop < total:  # (no need to empty them after the last chunk)
                    _clear_events(nest, mm.device)
                for sink in mm.sinks:
                    sink.add(events)

    def _part(self, model: Model, stdp_spikes: dict[str, tuple[np.ndarray, np.ndarray]]
              ) -> ranks.Part:
        """What this MPI rank recorded (its own neurons), to send to rank 0."""
        raw = self._results(model, stdp_spikes)
        columns = self._built.local_columns
        spikes = {name: (np.asarray(model.record[name].indices)[columns[name]], trains)
                  for name, trains in raw.spikes.items()}
        return ranks.Part(spikes=spikes, signals=raw.signals, weights=raw.weights)

    @staticmethod
    def _integration(model: Model) -> str:
        return "; ".join(sorted({CELLS[t].integration for t in model.cell_types}))

    def _stdp_spikes(self, model: Model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The spikes of the populations on either side of an ``stdp`` projection, as
        :func:`spike_steps` returns them (on an MPI rank, of its own neurons: the owed
        potentiation needs every rank's, :meth:`parallel.MpiRanks.all_spike_steps`)."""
        built = self._built
        dt = model.simulation.dt_ms
        n_steps = round(model.simulation.duration_ms / dt)
        return {name: spike_steps(rec, built.nodes[name][0].global_id,
                                  model.populations[name].size, dt, n_steps)
                for name, rec in built.stdp_recorders.items()}

    def _results(self, model: Model, stdp_spikes: dict[str, tuple[np.ndarray, np.ndarray]]
                 ) -> RawResults:
        """The recordings as raw results; on an MPI rank, of the neurons it simulates."""
        built = self._built
        found = {name: sink.trains() for name, sink in built.crossings.items()}
        for name, (recorder, ids) in built.spike_recorders.items():
            found[name] = spike_trains(in_ms(recorder.get("events"), model.simulation.dt_ms),
                                       ids, model.simulation.duration_ms)
        spikes = {name: found[name] for name in model.record if name in found}
        signals = []
        for name, sink in built.signals.items():
            rec = model.record[name]
            units = CELL_TYPES[model.populations[name].cell.type].recordables
            indices = tuple(np.asarray(rec.indices)[built.local_columns[name]].tolist())
            for var, data in sink.data.items():
                if np.isnan(data).any():
                    raise SimulationError(f"NEST returned incomplete samples of '{name}.{var}'")
                signals.append(RawSignal(population=name, variable=var, unit=units[var],
                                         interval_ms=rec.interval_ms, data=data,
                                         indices=indices))
        weights = final_weights(_nest(), model, built.nodes, built.stdp, stdp_spikes)
        return RawResults(spikes=spikes, signals=signals, integration=self._integration(model),
                          weights=weights)


def _clear_events(nest: ModuleType, device: Any) -> None:
    """Empty a recorder's memory.

    ``NodeCollection.set`` first reads the device's status to check that it is local, and
    reading any status converts every stored event to Python (about as long as reading the
    events themselves). The kernel call that ``set`` ends with is used directly when this NEST
    has it.
    """
    try:
        nest.ll_api.nestkernel.llapi_set_nc_status(device._datum, [{"n_events": 0}])
    except AttributeError:  # other NEST internals: the public, slower way
        device.set([{"n_events": 0}])


def _reset_kernel(nest: ModuleType, model: Model, threads: int) -> None:
    """Reset NEST and set resolution, threads and seed (NEST's seed = model seed + 1)."""
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # NEST < 3.9
        nest.set_verbosity("M_ERROR")
    dt = model.simulation.dt_ms
    status: dict[str, Any] = {"resolution": dt, "local_num_threads": int(threads),
                              "rng_seed": model.simulation.seed % MAX_RNG_SEED + 1,
                              "print_time": False}
    tics = _tics_per_ms(dt)
    if tics != 1000:
        status["tics_per_ms"] = tics
    nest.SetKernelStatus(status)


def _tics_per_ms(dt_ms: float) -> int:
    """The smallest power-of-ten tic rate (>= NEST's default 1000) that represents ``dt``."""
    for tics in (10**k for k in range(3, 10)):
        if abs(dt_ms * tics - round(dt_ms * tics)) < 1e-6:
            return tics
    raise SimulationError(f"NEST cannot represent dt = {dt_ms} ms on a grid of tics")


def _create(nest: ModuleType, pop: Population, plan: CurrentPlan) -> Any:
    """Create one population and set its parameters and initial state (vectorised)."""
    table = CELLS[pop.cell.type]
    try:
        params = table.nest_params(pop.cell)
        initial = table.nest_initial(pop.cell)
    except (KeyError, ValueError) as exc:
        raise SimulationError(f"population '{pop.name}': {exc}") from exc
    if pop.name in plan.i_e_initial:  # step currents that start at 0 ms
        params["I_e"] = params.get("I_e", 0.0) + plan.i_e_initial[pop.name]
    nodes = nest.Create(table.model, pop.size)
    try:
        set_status(nest, nodes, params)
        set_status(nest, nodes, initial)  # after E_L: NEST keeps V_m relative to E_L
    except nest.NESTError as exc:
        raise SimulationError(f"NEST rejected the parameters of population '{pop.name}' "
                              f"({pop.cell.type} as {table.model}): {exc}") from exc
    return nodes


def _spike_recorder(nest: ModuleType, pop: Population) -> Any:
    """A spike_recorder for ``pop``, counting in steps where the model's spike offsets are not
    times (see :func:`~mnsim.backends.nest.recording.in_ms`)."""
    in_steps = CELLS[pop.cell.type].spikes_in_steps
    return nest.Create("spike_recorder", params={"time_in_steps": True} if in_steps else {})


def _check_i_e(model: Model, plan: CurrentPlan, first_ms: float) -> None:
    """Currents before ``first_ms`` (the first step a generator reaches) go through ``I_e``:
    refuse them on models without one."""
    early = set(plan.i_e_initial).union(*plan.i_e_changes.values())
    for name in sorted(early):
        table = CELLS[model.populations[name].cell.type]
        if not table.has_i_e:
            raise CapabilityError(
                f"the nest backend cannot inject a current into population '{name}' before "
                f"{first_ms:g} ms: {table.model} has no I_e and NEST's current generators act "
                f"only after their connection delay; start (and stop) the current later")


def _i_e_schedule(plan: CurrentPlan, nodes: dict[str, Any]) -> dict[int, dict[str, np.ndarray]]:
    """The full ``I_e`` (pA) to set at each step where a current changes too early for a
    generator (``plan.i_e_changes`` holds the increments)."""
    schedule: dict[int, dict[str, np.ndarray]] = {}
    i_e: dict[str, np.ndarray] = {}
    for step in sorted(plan.i_e_changes):
        for name, delta in plan.i_e_changes[step].items():
            if name not in i_e:
                i_e[name] = get_values(nodes[name], "I_e")
            i_e[name] = i_e[name] + delta
            schedule.setdefault(step, {})[name] = i_e[name]
    return schedule


def _connect_generators(nest: ModuleType, plan: CurrentPlan, nodes: dict[str, Any],
                        dt_ms: float) -> None:
    """Create the current generators (one ``Create`` and one ``set`` per NEST model) and
    connect them all in one call."""
    if not plan.generators:
        return
    by_model: dict[str, list] = {}
    for g in plan.generators:
        by_model.setdefault(g.model, []).append(g)
    ids = {name: node_ids(nc) for name, nc in nodes.items()}
    pre, post = [], []
    for model_name, gens in by_model.items():
        devices = nest.Create(model_name, len(gens))
        set_status(nest, devices, [g.params for g in gens])
        pre.append(np.repeat(node_ids(devices),
                             [g.targets.size for g in gens]))
        post.extend(ids[g.population][g.targets] for g in gens)
    pre_ids = np.concatenate(pre)
    delays = np.full(pre_ids.size, plan.delay_steps * dt_ms)
    nest.Connect(pre_ids, np.concatenate(post), "one_to_one", syn_spec={"delay": delays})


def _add_recorders(nest: ModuleType, model: Model, rec: Recording, built: _Built) -> None:
    """Multimeter(s) and spike recorder for one population's recording."""
    pop = model.populations[rec.population]
    table = CELLS[pop.cell.type]
    dt = model.simulation.dt_ms
    nodes = built.nodes[rec.population]
    if len(rec.indices) < pop.size:
        nodes = nodes[list(rec.indices)]
    # on MPI ranks, every rank's devices record from all of `nodes` and see its own only
    mine = (np.arange(len(rec.indices)) if built.mpi is None
            else np.flatnonzero(parallel.local(nodes)))
    built.local_columns[rec.population] = mine
    ids = node_ids(built.nodes[rec.population])[list(rec.indices)][mine]
    by_crossing = "spikes" in rec.variables and table.spike_threshold_mV is not None
    n_steps = round(model.simulation.duration_ms / dt)

    def crossing_sink() -> CrossingSink:
        sink = CrossingSink(ids, get_values(nodes, "V_m")[mine],
                            table.spike_threshold_mV, dt, last_step=n_steps)
        built.crossings[rec.population] = sink
        return sink

    def multimeter(record_from: list[str], interval_ms: float,
                   sinks: list[SignalSink | CrossingSink]) -> None:
        device = nest.Create("multimeter", params={"interval": interval_ms,
                                                   "record_from": record_from})
        nest.Connect(device, nodes)
        # of all recorded neurons, not this rank's: the chunks must be the same on every rank
        per_step = len(nodes) * len(record_from) * dt / interval_ms
        built.multimeters.append(_Multimeter(device, per_step, sinks))

    if rec.signals:
        variables = {v: (table.recordables[v].nest, table.recordables[v].scale)
                     for v in rec.signals}
        record_from = list(dict.fromkeys(name for name, _ in variables.values()))
        # synaptic conductances (g_ex, g_in) are recordable but not in NEST's status: they
        # start at 0
        status = nest.GetDefaults(table.model)
        initial = {name: get_values(nodes, name)[mine] if name in status
                   else np.zeros(ids.size) for name in record_from}
        sink = SignalSink(ids, variables, rec.interval_ms,
                          round(model.simulation.duration_ms / rec.interval_ms), initial)
        built.signals[rec.population] = sink
        sinks: list[SignalSink | CrossingSink] = [sink]
        if by_crossing and round(rec.interval_ms / dt) == 1:  # share the every-step multimeter
            record_from = list(dict.fromkeys([*record_from, "V_m"]))
            sinks.append(crossing_sink())
        multimeter(record_from, rec.interval_ms, sinks)
    if by_crossing and rec.population not in built.crossings:
        multimeter(["V_m"], dt, [crossing_sink()])
    if "spikes" in rec.variables and not by_crossing:
        recorder = _spike_recorder(nest, pop)
        nest.Connect(nodes, recorder)
        built.spike_recorders[rec.population] = (recorder, ids)
