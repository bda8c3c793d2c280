"""The Brian2 backend: one ``NeuronGroup`` per population, in a fresh ``Network`` per build.

Brian2 is imported only inside methods. Code is generated for Cython when a compiler works
(the first build of a model compiles, later builds reuse Brian2's cache under ``~/.cython``),
else for numpy; ``integration`` says which, and which method each population used. The code
is generated and compiled in ``_build`` (a run of no steps), so the run time is the
simulation's.

Recording follows the contract: a ``StateMonitor`` at the ``start`` of each step samples the
state at t = 0, interval, ... (the first sample is the initial state); a spike, which Brian2
stamps with the start of the step in which the threshold was crossed, is reported at the end
of that step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.base import Backend, Capabilities, RawResults, RawSignal
from mnsim.backends.brian2.translate import (
    CELL_MODELS,
    MS,
    NA,
    UM2,
    CellModel,
    hh_q10,
    step_index,
    stimulus_equations,
)
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
    """Runs mnsim models on Brian2 (runtime mode, Cython or numpy code generation)."""

    name = "brian2"
    module = "brian2"
    capabilities = Capabilities(
        cell_types=frozenset(CELL_MODELS),
        stimulus_types=frozenset({"step_current"}),
        features=frozenset({"temperature"}),
    )

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads=threads)
        self._net: Any = None
        self._groups: dict[str, Any] = {}
        self._spikes: dict[str, Any] = {}
        self._states: dict[str, Any] = {}
        self._integration = ""

    def version(self) -> str:
        import brian2

        return brian2.__version__

    # -- build ---------------------------------------------------------------------------------
    def _build(self, model: Model) -> None:
        # brian2 2.9 calls pyparsing names that pyparsing 3.3 deprecates, and logs each warning
        # to the user; they say nothing about the model
        warnings.filterwarnings("ignore", message=r"'\w+' (argument is )?deprecated")
        import brian2

        self._net, self._groups, self._spikes, self._states = None, {}, {}, {}
        target = codegen_target()
        brian2.start_scope()
        brian2.prefs.codegen.target = target
        brian2.defaultclock.dt = model.simulation.dt_ms * brian2.ms
        brian2.seed(model.simulation.seed)

        objects: list[Any] = []
        methods = []
        for i, pop in enumerate(model.populations.values()):
            group, method = self._population(i, pop, model)
            self._groups[pop.name] = group
            objects.append(group)
            methods.append(f"{pop.name}: {pop.cell.type} {method}")
            rec = model.record.get(pop.name)
            if rec is None:
                continue
            if "spikes" in rec.variables:
                self._spikes[pop.name] = brian2.SpikeMonitor(group, record=True,
                                                             name=f"mnsim_{i}_spikes")
                objects.append(self._spikes[pop.name])
            if rec.signals:
                table = _recordables(pop)
                # a monitor given its own dt gets its own clock, and two clocks cost Brian2 a
                # slower loop; only sampling slower than dt needs one
                clock = {} if np.isclose(rec.interval_ms, model.simulation.dt_ms) else {
                    "dt": rec.interval_ms * brian2.ms}
                self._states[pop.name] = brian2.StateMonitor(
                    group, [table[v][0] for v in rec.signals], record=list(rec.indices),
                    name=f"mnsim_{i}_state", **clock)
                objects.append(self._states[pop.name])
        self._net = brian2.Network(*objects)
        # Generate and compile the code now (a run of no steps: Network.before_run alone
        # leaves the network unready), so that the run time is the simulation's.
        _guarded(lambda: self._net.run(0 * brian2.ms, namespace={}), model)
        self._integration = "; ".join(methods) + f" (brian2 {target})"

    def _population(self, i: int, pop: Population, model: Model) -> tuple[Any, str]:
        """Create the ``NeuronGroup`` of ``pop``: parameters, initial state, stimuli.

        Returns
        -------
        group, method
            The group (named ``mnsim_<i>``: fixed names keep the compiled code cached) and
            the integration method it uses.
        """
        import brian2

        cm = CELL_MODELS[pop.cell.type]
        stimuli = [s for s in model.stimuli.values() if s.target == pop.name]
        method = _method(cm, pop)
        # A parameter with one value for the whole population is a shared constant: Brian2
        # then evaluates what depends on it (exp(-dt/tau_m)...) once per step, not per neuron.
        shared = {b2: float(pop.cell.params[name]) * scale for name, b2, scale in cm.params
                  if np.ndim(pop.cell.params[name]) == 0}
        group = brian2.NeuronGroup(
            pop.size, _share(cm.equations, shared) + stimulus_equations(len(stimuli)),
            threshold=cm.threshold, reset=cm.reset, refractory=cm.refractory,
            method=_method_object(method),
            namespace={}, name=f"mnsim_{i}")
        values = {b2: per_neuron(pop.cell.params[name], pop.size) * scale
                  for name, b2, scale in cm.params if b2 not in shared}
        values.update({b2: per_neuron(pop.cell.initial[name], pop.size) * scale
                       for name, b2, scale in cm.initial})
        if cm.uses_area:
            values["area"] = np.full(pop.size, pop.cell.area_um2 * UM2)
        dt = model.simulation.dt_ms
        for k, stim in enumerate(stimuli):
            values[f"stim{k}_amp"] = per_neuron(stim.values["amplitude"], pop.size) * NA
            values[f"stim{k}_on"] = step_index(stim.values["start"], dt)
            values[f"stim{k}_off"] = step_index(stim.values["stop"], dt)
        if cm.uses_temperature:
            values["q10"] = hh_q10(model.simulation.temperature_degC)
        group.set_states(values, units=False)
        for b2, value in shared.items():
            setattr(group, f"{b2}_", value)
        for var, expr in cm.derived_initial.items():
            setattr(group, var, expr)  # a Brian2 expression, evaluated by Brian2's codegen
        return group, method

    # -- run -----------------------------------------------------------------------------------
    def _simulate(self, model: Model) -> RawResults:
        if self._net is None:
            raise SimulationError("the brian2 backend was asked to run before building")
        sim = model.simulation
        import brian2

        _guarded(lambda: self._net.run(sim.duration_ms * brian2.ms, namespace={}), model)
        spikes = {name: _spike_trains(mon, model.record[name].indices, sim.dt_ms)
                  for name, mon in self._spikes.items()}
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
        return RawResults(spikes=spikes, signals=signals, integration=self._integration)


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
