"""Injected currents of the Brian2 backend: the ``i_stim`` of a population.

Every current stimulus on a population is one term of ``i_stim`` (amp), a current held
constant through each time step and on during the steps ``on <= step < off`` (``step_index``
of ``start`` and ``stop``, compared with Brian2's integer ``t_in_timesteps``, so no rounding can
move an edge; the foundation's timing, the same on every backend). Values of neurons outside
the stimulus' ``target_range`` are zero. Per term ``k``:

* ``step_current``: ``amplitude``;
* ``sine_current``: ``offset + amplitude sin(2 pi frequency t_k + phase)``, ``t_k`` the start
  of the step (NEST's ac_generator: the value it sends at the end of a step acts during the
  next one);
* ``noise_current``, ``ou_current``, shared connectivity: the array of
  :func:`mnsim.draw.noise_current` played by a 2-D ``TimedArray`` (time x neuron, dt = the
  simulation's) read once per step by a ``(constant over dt)`` subexpression, so row ``k`` acts
  during step ``k`` and the integrator sees a constant;
* ``noise_current``, native: a per-neuron value redrawn ``mean + std randn()`` every
  ``interval`` from ``start`` by a ``run_regularly`` at the start of the step;
* ``ou_current``, native: a per-neuron value that starts at ``mean`` and from the second step
  of the window takes the exact update ``x += (1 - exp(-dt/tau)) (mean - x) + sqrt(1 -
  exp(-2 dt/tau)) sigma randn()`` once per step (``run_regularly`` at the start of the step).

``i_stim`` is constant within a step whatever the method: ``exact`` accepts it (``t`` does not
appear) and the later stages of ``rk4`` see the value of the current step.

Numbers never enter the code: every value is a variable set from an array (or a shared
constant), so a compiled model is reused when only values change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.brian2.translate import NA

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Population, Stimulus

CURRENT_TYPES = frozenset({"step_current", "sine_current", "noise_current", "ou_current"})


@dataclass
class CurrentTerms:
    """What the currents of one population add to its ``NeuronGroup``.

    Attributes
    ----------
    equations
        Lines appended to the cell's equations (``i_stim`` and its variables).
    values
        Variable -> value in SI (arrays for per-neuron, scalars for shared variables), set
        with ``set_states(..., units=False)``.
    namespace
        Names the equations use that are not variables (``TimedArray`` objects).
    regular
        Code run at the start of every step, before the state update.
    """

    equations: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)
    regular: list[str] = field(default_factory=list)


def step_index(time_ms: float, dt_ms: float) -> int:
    """The first time step during which a current switched at ``time_ms`` acts.

    NEURON's IClamp is evaluated at the middle of each step (on for del <= t < del + dur),
    so the switch acts from the first step whose midpoint is at or after ``time_ms``: step
    ``ceil(time/dt - 1/2)``, which on the grid is ``time/dt`` exactly (a current on from
    10 ms acts from the step that starts at 10 ms, as in NEURON and NEST).

    Parameters
    ----------
    time_ms, dt_ms
        The switching time and the time step, in ms.

    Returns
    -------
    int
        A step number, compared with Brian2's ``t_in_timesteps``.
    """
    return math.ceil(time_ms / dt_ms - 0.5 - 1e-9)


def current_terms(parts: list[tuple[Population, int]], size: int, model: Model,
                  group_index: int) -> CurrentTerms:
    """The ``i_stim`` of one group: one term per current stimulus that targets one of its
    populations.

    Parameters
    ----------
    parts
        The populations of the group and the index of their first neuron in it.
    size
        The group's number of neurons.
    model
        The model (its stimuli, time step and connectivity mode).
    group_index
        The index of the group (``TimedArray`` names are fixed per group, so the compiled
        code is reused).

    Returns
    -------
    CurrentTerms
        Equations, values, namespace and per-step code for the group.
    """
    out = CurrentTerms()
    terms = []
    stimuli = [(s, offset) for pop, offset in parts for s in model.stimuli.values()
               if s.target == pop.name and s.type in CURRENT_TYPES]
    dt = model.simulation.dt_ms
    for k, (stim, offset) in enumerate(stimuli):
        p = f"stim{k}_"
        on, off = step_index(stim.values["start"], dt), step_index(stim.values["stop"], dt)
        window = f"int(t_in_timesteps >= {p}on and t_in_timesteps < {p}off)"
        out.values.update({f"{p}on": on, f"{p}off": off})
        lines = [f"{p}on : integer (constant, shared)", f"{p}off : integer (constant, shared)"]
        lo, hi = stim.target_range[0] + offset, stim.target_range[1] + offset

        def per(name: str, stim: Stimulus = stim, lo: int = lo, hi: int = hi) -> np.ndarray:
            full = np.zeros(size)  # zero outside the stimulus' targets
            full[lo:hi] = np.broadcast_to(np.asarray(stim.values[name], float), (hi - lo,))
            return full * NA

        if stim.type == "step_current":
            terms.append(f"{p}amp*{window}")
            lines.append(f"{p}amp : amp (constant)")
            out.values[f"{p}amp"] = per("amplitude")
        elif stim.type == "sine_current":
            terms.append(f"({p}offset + {p}amp*sin(2*pi*{p}freq*t_in_timesteps*dt "
                         f"+ {p}phase))*{window}")
            lines += [f"{p}amp : amp (constant)", f"{p}offset : amp (constant)",
                      f"{p}freq : Hz (constant, shared)", f"{p}phase : 1 (constant, shared)"]
            out.values.update({f"{p}amp": per("amplitude"), f"{p}offset": per("offset"),
                               f"{p}freq": float(stim.values["frequency"]),
                               f"{p}phase": math.radians(float(stim.values["phase"]))})
        elif model.connectivity == "shared":
            _played(stim, (lo, hi), size, model, group_index, k, out, lines)
            terms.append(f"{p}x*{window}")
        else:
            _native_noise(stim, size, model, k, out, lines, per)
            terms.append(f"{p}x*{window}")
        out.equations += "\n" + "\n".join(lines)
    total = " + ".join(terms) if terms else "0*amp"
    out.equations = f"\ni_stim = {total} : amp" + out.equations
    return out


def _played(stim: Stimulus, span: tuple[int, int], size: int, model: Model, group_index: int,
            k: int, out: CurrentTerms, lines: list[str]) -> None:
    """A drawn current (mnsim.draw.noise_current) played from a 2-D TimedArray."""
    import brian2

    from mnsim import draw

    p = f"stim{k}_"
    first, values = draw.noise_current(model, stim)
    dt = model.simulation.dt_ms
    if values.shape[0] == 0:  # an empty window: nothing to play
        values = np.zeros((1, stim.size))
    name = f"mnsim_{group_index}_{p}values"
    out.namespace[name] = brian2.TimedArray(values * NA * brian2.amp, dt=dt * brian2.ms,
                                            name=name)
    lo, hi = span
    column = np.clip(np.arange(size) - lo, 0, stim.size - 1)
    lines += [f"{p}x = {name}(t - {p}t0, {p}col)*{p}mask : amp (constant over dt)",
              f"{p}t0 : second (constant, shared)", f"{p}col : integer (constant)",
              f"{p}mask : 1 (constant)"]
    mask = np.zeros(size)
    mask[lo:hi] = 1.0
    out.values.update({f"{p}t0": first * dt * 1e-3, f"{p}col": column, f"{p}mask": mask})


def _native_noise(stim: Stimulus, size: int, model: Model, k: int, out: CurrentTerms,
                  lines: list[str], per: Any) -> None:
    """noise_current / ou_current from Brian2's own randn(), updated at the start of a step."""
    p = f"stim{k}_"
    dt = model.simulation.dt_ms
    v = stim.values
    lines += [f"{p}x : amp", f"{p}mean : amp (constant)"]
    out.values[f"{p}mean"] = per("mean")
    if stim.type == "noise_current":
        # a new value at the steps on, on + per, on + 2 per, ... (1*new + 0*old: exact)
        lines += [f"{p}std : amp (constant)", f"{p}per : integer (constant, shared)"]
        out.values.update({f"{p}std": per("std"), f"{p}x": np.zeros(size),
                           f"{p}per": max(1, int(round(v["interval"] / dt)))})
        new = f"int((t_in_timesteps - {p}on) % {p}per == 0)"
        out.regular.append(f"{p}x = {new}*({p}mean + {p}std*randn()) + (1 - {new})*{p}x")
    else:
        decay = math.exp(-dt / float(v["tau"]))
        lines += [f"{p}kick : amp (constant)", f"{p}relax : 1 (constant, shared)"]
        out.values.update({f"{p}kick": per("sigma") * math.sqrt(1.0 - decay**2),
                           f"{p}relax": 1.0 - decay, f"{p}x": per("mean")})
        step = f"int(t_in_timesteps > {p}on and t_in_timesteps < {p}off)"
        out.regular.append(f"{p}x = {p}x + {step}*({p}relax*({p}mean - {p}x) "
                           f"+ {p}kick*randn())")
