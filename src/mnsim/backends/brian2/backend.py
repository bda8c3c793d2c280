"""The Brian2 backend: one ``NeuronGroup`` per population (populations of one cell type with
equal, single-valued parameters share one group, each a slice of it: Brian2 calls each object
every step, so fewer objects run faster), in a fresh ``Network`` per build.

Brian2 is imported only inside methods. Code is generated for Cython when a compiler works
(the first build of a model compiles, later builds reuse Brian2's cache under ``~/.cython``),
else for numpy; ``integration`` says which, and which method each population used. The code
is generated and compiled in ``_build`` (a run of no steps), so the run time is the
simulation's.

Recording follows the contract: a ``StateMonitor`` at the ``start`` of each step samples the
state at t = 0, interval, ... (the first sample is the initial state); a spike, which Brian2
stamps with the start of the step in which the threshold was crossed, is reported at the end
of that step.

A multicompartment population is one ``SpatialNeuron`` with its own step currents, synapses
and monitors (:mod:`~mnsim.backends.brian2.cable`); its ``geometry`` is what Brian2 built.

Injected currents are built by :mod:`~mnsim.backends.brian2.currents`, projections and spike
inputs (one ``Synapses`` per projection and per input) by
:mod:`~mnsim.backends.brian2.network` and :mod:`~mnsim.backends.brian2.synapses`.

Threads: Brian2's runtime mode (Cython or numpy code) runs on one thread; ``threads`` is
accepted and ignored. Only Brian2's standalone mode (C++ with OpenMP) runs in parallel, and
this backend does not use it (it compiles the whole model as one program per run).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.base import Backend, Capabilities, RawResults, RawSignal
from mnsim.backends.brian2.bw2001 import check_nmda_delays
from mnsim.backends.brian2.cable import BuiltCable, build_cable
from mnsim.backends.brian2.currents import CURRENT_TYPES, current_terms
from mnsim.backends.brian2.network import (
    SPIKE_INPUTS,
    Network,
    build_network,
    final_weights,
    poisson_input_lines,
)
from mnsim.backends.brian2.synapses import SYNAPSE_TYPES
from mnsim.backends.brian2.translate import CELL_MODELS, MS, UM2, CellModel, hh_q10
from mnsim.catalogue import CELL_TYPES
from mnsim.errors import SimulationError
from mnsim.spec.model import per_neuron

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Population


@cache
def codegen_target() -> str:
    """The code-generation target Brian2 is given, chosen once per process.

    Returns
    -------
    str
        ``"cython"`` when Brian2 can compile a Cython extension here, else ``"numpy"``.
    """
    try:
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        return "cython" if CythonCodeObject.is_available() else "numpy"
    except Exception:  # noqa: BLE001 - any failure to compile means: no Cython
        return "numpy"


class Brian2Backend(Backend):
    """Runs mnsim models on Brian2 (runtime mode, Cython or numpy code generation; one
    thread whatever ``threads`` says: see the module docstring)."""

    name = "brian2"
    module = "brian2"
    capabilities = Capabilities(
        cell_types=frozenset(CELL_MODELS) | {"multicompartment"},
        stimulus_types=CURRENT_TYPES | SPIKE_INPUTS,
        features=frozenset({"temperature"}),
        synapse_types=SYNAPSE_TYPES,
    )

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads=threads)
        self._net: Any = None
        self._spikes: dict[str, tuple[Any, int]] = {}  # population -> (monitor, first)
        self._states: dict[str, Any] = {}
        self._where: dict[str, tuple[Any, int]] = {}  # population -> (group, first index)
        self._network: Network | None = None
        self._cables: dict[str, BuiltCable] = {}  # multicompartment populations
        self._integration = ""

    def check(self, model: Model) -> None:
        """The capabilities, the NMDA delays Brian2 can deliver exactly, and the mechanisms of
        multicompartment cells (no ``.mod`` files: a CapabilityError before anything runs, so
        ``mnsim compare`` skips Brian2 with the reason)."""
        super().check(model)
        check_nmda_delays(model)
        from mnsim.backends.brian2.cable_membrane import membrane

        for pop in model.populations.values():
            if pop.cell.type == "multicompartment":
                membrane(pop.cell)

    def version(self) -> str:
        import brian2

        return brian2.__version__

    # -- build ---------------------------------------------------------------------------------
    def _build(self, model: Model) -> None:
        # brian2 2.9 calls pyparsing names that pyparsing 3.3 deprecates, and logs each warning
        # to the user; they say nothing about the model
        warnings.filterwarnings("ignore", message=r"'\w+' (argument is )?deprecated")
        import brian2

        self._net, self._where, self._spikes, self._states = None, {}, {}, {}
        self._network, self._cables = None, {}
        target = codegen_target()
        brian2.start_scope()
        brian2.prefs.codegen.target = target
        brian2.defaultclock.dt = model.simulation.dt_ms * brian2.ms
        brian2.seed(model.simulation.seed)

        objects: list[Any] = []
        methods = []
        for gi, members in enumerate(_merged(model)):
            if members[0].cell.type == "multicompartment":  # a SpatialNeuron (cable.py)
                pop = members[0]
                self._cables[pop.name] = build_cable(pop, model, gi)
                objects += self._cables[pop.name].objects
                method = model.simulation.cable_method.replace("_", " ")
                methods.append(f"{pop.name}: multicompartment, v by {method}, hh gates by "
                               f"exponential Euler")
                continue
            parts, offset = [], 0
            for pop in members:
                parts.append((pop, offset))
                offset += pop.size
            group, method = self._group(gi, parts, model)
            objects.append(group)
            if any("spikes" in model.record[p.name].variables for p in members
                   if p.name in model.record):
                objects.append(brian2.SpikeMonitor(group, record=True,
                                                   name=f"mnsim_{gi}_spikes"))
            for pop, first in parts:
                self._where[pop.name] = (group, first)
                methods.append(f"{pop.name}: {pop.cell.type} {method}")
                rec = model.record.get(pop.name)
                if rec is None:
                    continue
                if "spikes" in rec.variables:
                    self._spikes[pop.name] = (self._spike_monitor(objects, gi), first)
                if rec.signals:
                    table = _recordables(pop)
                    # a monitor given its own dt gets its own clock, and two clocks cost
                    # Brian2 a slower loop; only sampling slower than dt needs one
                    clock = {} if np.isclose(rec.interval_ms, model.simulation.dt_ms) else {
                        "dt": rec.interval_ms * brian2.ms}
                    k = list(model.populations).index(pop.name)
                    self._states[pop.name] = brian2.StateMonitor(
                        group, [table[v][0] for v in rec.signals],
                        record=[first + i for i in rec.indices], name=f"mnsim_{k}_state",
                        **clock)
                    objects.append(self._states[pop.name])
        self._network = build_network(model, self._where)
        self._net = brian2.Network(*objects, *self._network.objects)
        # Generate and compile the code now (a run of no steps: Network.before_run alone
        # leaves the network unready), so that the run time is the simulation's.
        _guarded(lambda: self._net.run(0 * brian2.ms, namespace={}), model)
        self._integration = "; ".join(methods) + f" (brian2 {target})"

    @staticmethod
    def _spike_monitor(objects: list[Any], gi: int) -> Any:
        return next(o for o in objects if o.name == f"mnsim_{gi}_spikes")

    def _group(self, gi: int, parts: list[tuple[Population, int]],
               model: Model) -> tuple[Any, str]:
        """Create the ``NeuronGroup`` of populations ``parts`` (population, first index; of one
        cell type with equal parameters): parameters, initial state, currents.

        Returns
        -------
        group, method
            The group (named ``mnsim_<gi>``: fixed names keep the compiled code cached) and
            the integration method it uses.
        """
        import brian2

        pop = parts[0][0]  # parameters and method are those of every member
        size = sum(p.size for p, _ in parts)
        cm = CELL_MODELS[pop.cell.type]
        currents = current_terms(parts, size, model, gi)
        inputs, input_values = poisson_input_lines(parts, model)
        method = _method(cm, pop)
        substeps = (max(1, math.ceil(model.simulation.dt_ms / cm.max_substep_ms - 1e-9))
                    if cm.max_substep_ms and method == "exponential_midpoint" else 1)
        # A parameter with one value for the whole population is a shared constant: Brian2
        # then evaluates what depends on it (exp(-dt/tau_m)...) once per step, not per neuron.
        shared = {b2: float(pop.cell.params[name]) * scale for name, b2, scale in cm.params
                  if np.ndim(pop.cell.params[name]) == 0}
        derived = {b2: f(*(pop.cell.params[name] for name in names))
                   for b2, names, f in cm.derived}
        shared.update({b2: float(v) for b2, v in derived.items() if np.ndim(v) == 0})
        group = brian2.NeuronGroup(
            size, _share(cm.equations, shared) + currents.equations + inputs,
            threshold=cm.threshold, reset=cm.reset, refractory=cm.refractory,
            method=_method_object(method),
            method_options={"substeps": substeps} if substeps > 1 else None,
            namespace=dict(currents.namespace), name=f"mnsim_{gi}")
        values = {b2: per_neuron(pop.cell.params[name], size) * scale
                  for name, b2, scale in cm.params if b2 not in shared}
        values.update({b2: per_neuron(v, size) for b2, v in derived.items() if b2 not in shared})
        values.update({b2: np.concatenate([per_neuron(p.cell.initial[name], p.size)
                                           for p, _ in parts]) * scale
                       for name, b2, scale in cm.initial})
        if cm.uses_area:
            values["area"] = np.full(size, pop.cell.area_um2 * UM2)
        if cm.uses_temperature:
            values["q10"] = hh_q10(model.simulation.temperature_degC)
        values.update(currents.values)
        values.update(input_values)
        group.set_states({k: v for k, v in values.items() if np.ndim(v)}, units=False)
        for b2, value in shared.items():
            setattr(group, f"{b2}_", value)
        for b2, value in values.items():
            if not np.ndim(value):
                setattr(group, f"{b2}_", value)
        for var, expr in cm.derived_initial.items():
            setattr(group, var, expr)  # a Brian2 expression, evaluated by Brian2's codegen
        # per-step code the cell's rules or the currents need, before the state update
        regular = ([cm.regular] if cm.regular else []) + currents.regular
        if regular:
            group.run_regularly("\n".join(regular), when="before_groups",
                                name=f"mnsim_{gi}_regular")
        return group, method + (f" ({substeps} substeps)" if substeps > 1 else "")

    # -- run -----------------------------------------------------------------------------------
    def _simulate(self, model: Model) -> RawResults:
        if self._net is None:
            raise SimulationError("the brian2 backend was asked to run before building")
        sim = model.simulation
        import brian2

        _guarded(lambda: self._net.run(sim.duration_ms * brian2.ms, namespace={}), model)
        spikes = {name: _spike_trains(mon, [first + i for i in model.record[name].indices],
                                      sim.dt_ms)
                  for name, (mon, first) in self._spikes.items()}
        signals = []
        for name, mon in self._states.items():
            rec = model.record[name]
            n = round(sim.duration_ms / rec.interval_ms)
            table = _recordables(model.populations[name])
            for var in rec.signals:
                b2, scale = table[var]
                data = np.asarray(getattr(mon, b2 + "_"), dtype=float).T[:n] / scale
                signals.append(RawSignal(
                    population=name, variable=var,
                    unit=CELL_TYPES[model.populations[name].cell.type].recordables[var],
                    interval_ms=rec.interval_ms, data=data, indices=rec.indices))
        geometry = {}
        for name, cable in self._cables.items():
            rec = model.record.get(name)
            geometry[name] = cable.geometry
            if rec is None:
                continue
            if cable.spikes is not None:
                spikes[name] = _spike_trains(cable.spikes, (cable.spike_site,), sim.dt_ms)
            if rec.signals:
                signals.append(RawSignal(
                    population=name, variable="v", unit="mV", interval_ms=rec.interval_ms,
                    data=cable.v(round(sim.duration_ms / rec.interval_ms)),
                    indices=rec.indices))
        weights = final_weights(self._network) if self._network is not None else {}
        return RawResults(spikes=spikes, signals=signals, integration=self._integration,
                          weights=weights, geometry=geometry)


def _guarded(call: Callable[[], Any], model: Model) -> None:
    """Prepare or run the network (always in an empty namespace: nothing leaks in from the
    caller's frames), turning Brian2's errors into a ``SimulationError``."""
    from brian2.core.base import BrianObjectException

    try:
        call()
    except BrianObjectException as err:
        cause = err.__cause__ if err.__cause__ is not None else err
        raise SimulationError(
            f"Brian2 failed on model '{model.name}': {type(cause).__name__}: {cause}. A "
            f"division by zero or a NaN usually means the integration blew up: try a smaller "
            f"dt (now {model.simulation.dt_ms:g} ms)") from err


def _merged(model: Model) -> list[list[Population]]:
    """Populations in groups that one ``NeuronGroup`` holds: those of one cell type whose
    parameters are all single and equal (and area, for density-based cells). Fewer groups
    mean fewer objects Brian2 calls each step: an E/I network runs like hand-written code
    with one group and subgroups."""
    groups: list[list[Population]] = []
    for pop in model.populations.values():
        if pop.cell.type == "multicompartment":  # one SpatialNeuron each
            groups.append([pop])
            continue
        for members in groups:
            first = members[0]
            if (first.cell.type == pop.cell.type and first.cell.area_um2 == pop.cell.area_um2
                    and all(np.ndim(v) == 0 for v in pop.cell.params.values())
                    and all(np.ndim(v) == 0 for v in first.cell.params.values())
                    and dict(first.cell.params) == dict(pop.cell.params)):
                members.append(pop)
                break
        else:
            groups.append([pop])
    return groups


def _recordables(pop: Population) -> dict[str, tuple[str, float]]:
    return {name: (b2, scale) for name, b2, scale in CELL_MODELS[pop.cell.type].recordables}


def _share(equations: str, names: dict[str, float]) -> str:
    """Declare the parameters ``names`` ``(constant, shared)`` instead of ``(constant)``."""
    lines = []
    for line in equations.splitlines():
        name = line.split(":", 1)[0].strip()
        if name in names and line.rstrip().endswith("(constant)"):
            line = line.rstrip()[: -len("(constant)")] + "(constant, shared)"
        lines.append(line)
    return "\n".join(lines)


def _method(cm: CellModel, pop: Population) -> str:
    """``cm.method``, or ``cm.fallback_method`` when a pair of :attr:`CellModel.equal_taus`
    coincide (to 1e-6) in some neuron: Brian2's symbolic exact solution is 0/0 there."""
    params = pop.cell.params
    for a, b in cm.equal_taus:
        if np.any(np.isclose(params[a], params[b], rtol=1e-6, atol=0.0)):
            return cm.fallback_method
    return cm.method


def _method_object(method: str) -> Any:
    """A Brian2 method name, or the state updater of a method Brian2 does not have."""
    if method == "exponential_midpoint":
        from mnsim.backends.brian2.integrator import exponential_midpoint

        return exponential_midpoint
    return method


def _spike_trains(mon: Any, indices: tuple[int, ...], dt_ms: float) -> list[np.ndarray]:
    """Spike times of the recorded neurons, at the END of the step that crossed threshold.

    Brian2 stamps a spike with the start of that step; the step number is recovered exactly
    (times are whole steps) and one step added.
    """
    steps = np.rint(np.asarray(mon.t_) / (dt_ms * MS)).astype(np.int64) + 1
    neuron = np.asarray(mon.i)
    order = np.lexsort((steps, neuron))
    steps, neuron = steps[order], neuron[order]
    bounds = np.searchsorted(neuron, np.asarray(indices), side="left"), \
        np.searchsorted(neuron, np.asarray(indices), side="right")
    return [steps[lo:hi] * dt_ms for lo, hi in zip(*bounds)]
