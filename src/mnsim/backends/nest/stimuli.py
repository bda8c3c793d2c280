"""Current stimuli as NEST generators and ``I_e`` changes (pure numpy; no NEST import).

Timing. The contract wants a current on during the integration steps ``k`` with
``start <= k dt < stop``. A current generator's value for its step ``s`` (the value an
``ac_generator`` or ``noise_generator`` holds at ``s dt``, or a ``step_current_generator``
amplitude from ``amplitude_times = s dt`` on) reaches a neuron over a connection with delay
``D dt`` and acts during the neuron's step ``s + D`` (measured on NEST 3.10: the generators
send one step early what the neuron applies one step late). So a generator must be scheduled
``D`` steps early: the ``- delay`` shift PyNN's NEST electrodes apply. Device windows and
``amplitude_times`` cannot be negative, and no generator acts in its step 0 (``amplitude_times``
must be > 0; an ``ac_generator`` or ``noise_generator`` started at 0 first acts in step 1,
measured), so no generator can act on the steps ``0 .. D``. Those steps go into the neurons'
own ``I_e``, which acts in the very step it is set: values at step 0 are part of ``I_e`` at
build time, later ones are set by stopping the simulation at that step.

* ``step_current``: ``I_e`` plus a generator stepping to ``-amplitude`` at ``stop`` when it
  starts before a generator can act (PyNN instead moves such a start to ``dt``, which loses the
  first step of current).
* ``sine_current``: ``ac_generator`` (same formula and phase convention, in pA) with its phase
  advanced by ``D`` steps; the first ``D`` steps through ``I_e``.
* ``noise_current``, native: ``noise_generator`` (independent per target, a new value every
  ``interval``), from the first value boundary at or after step ``D``; the values before it come
  from mnsim's random stream through ``I_e``. Shared: the values of :func:`mnsim.draw.
  noise_current`, played by one ``step_current_generator`` per target (changes only).
* ``ou_current``: NEST 3.10 has no Ornstein-Uhlenbeck generator, so both modes play
  :func:`mnsim.draw.noise_current` (one ``step_current_generator`` per target).

The delay ``D`` is the backend's choice. It bounds NEST's ``min_delay``, the length of the
slices NEST updates between two synchronisations of its threads (and the lag with which a
multimeter receives its samples), so a longer delay runs faster: the backend uses 1 ms. The
first-step ``I_e`` values cost one short ``Simulate`` call per step in which they change
(at most ``D + 1`` plus one ``interval`` per stimulus).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnsim import draw
from mnsim.spec.model import Model, Stimulus

CURRENT_TYPES = frozenset({"step_current", "sine_current", "noise_current", "ou_current"})


@dataclass(frozen=True)
class Generator:
    """One NEST current generator: its model, parameters and the neurons it feeds."""

    model: str
    population: str
    targets: np.ndarray  # indices in the population
    params: dict[str, Any]  # NEST units (pA, ms, Hz, deg), already shifted by -delay


@dataclass
class CurrentPlan:
    """Everything the current stimuli of a model become in NEST."""

    delay_steps: int  # delay of the generators' connections, in steps
    pop_sizes: dict[str, int] = field(default_factory=dict)
    i_e_initial: dict[str, np.ndarray] = field(default_factory=dict)  # pA, from t = 0
    # step k (>= 1) -> population -> pA added to I_e from step k on
    i_e_changes: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    generators: list[Generator] = field(default_factory=list)

    def add_i_e(self, step: int, stim: Stimulus, delta_pA: np.ndarray) -> None:
        """Add ``delta_pA`` (one value per target of ``stim``) to I_e from ``step`` on."""
        if not np.any(delta_pA):
            return
        by_pop = self.i_e_initial if step == 0 else self.i_e_changes.setdefault(step, {})
        full = by_pop.setdefault(stim.target, np.zeros(self.pop_sizes[stim.target]))
        full[stim.target_range[0]:stim.target_range[1]] += delta_pA

    def early(self, stim: Stimulus, k_on: int, values_pA: np.ndarray) -> None:
        """Play ``values_pA`` (steps ``k_on ..``, one row per step) through I_e, then take it
        back: a generator carries on from the step after the last row."""
        prev = np.zeros(stim.size)
        for j, row in enumerate(values_pA):
            self.add_i_e(k_on + j, stim, row - prev)
            prev = row
        self.add_i_e(k_on + len(values_pA), stim, -prev)


def first_step(t_ms: float, dt_ms: float) -> int:
    """The first step ``k`` with ``k dt >= t`` (tolerant to rounding of grid times)."""
    return max(0, math.ceil(t_ms / dt_ms - 1e-6))


def plan_currents(model: Model, delay_steps: int, native: bool) -> CurrentPlan:
    """Turn every current stimulus of ``model`` into ``I_e`` changes and generators.

    Neurons of one stimulus with equal parameters share a generator (``np.unique``), except
    where each target plays its own array (shared noise, OU).
    """
    plan = CurrentPlan(delay_steps=delay_steps,
                       pop_sizes={n: p.size for n, p in model.populations.items()})
    dt = model.simulation.dt_ms
    n_steps = round(model.simulation.duration_ms / dt)
    for stim in model.stimuli.values():
        if stim.type not in CURRENT_TYPES:
            continue
        k_on = first_step(stim.values["start"], dt)
        k_off = min(first_step(stim.values["stop"], dt), n_steps)
        if k_on >= k_off:
            continue
        if stim.type == "step_current":
            _step(plan, stim, k_on, k_off, n_steps, dt)
        elif stim.type == "sine_current":
            _sine(plan, stim, k_on, k_off, dt)
        elif stim.type == "noise_current" and native:
            _native_noise(plan, model, stim, k_on, k_off, dt)
        else:
            _played(plan, model, stim, k_on, k_off, dt)
    return plan


def _groups(stim: Stimulus, *columns: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row of parameter values, population indices) per distinct combination of targets."""
    table = np.column_stack([np.broadcast_to(np.asarray(c, float), (stim.size,))
                             for c in columns])
    rows, inverse = np.unique(table, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(row, stim.target_range[0] + np.flatnonzero(inverse == j))
            for j, row in enumerate(rows)]


def _step(plan: CurrentPlan, stim: Stimulus, k_on: int, k_off: int, n_steps: int,
          dt: float) -> None:
    amp_pA = np.broadcast_to(np.asarray(stim.values["amplitude"], float) * 1000.0, (stim.size,))
    if not np.any(amp_pA):
        return
    # unit schedule: +1 from step k_on, -1 from step k_off (if that is inside the run)
    changes = [(k_on, 1.0)] + ([(k_off, -1.0)] if k_off < n_steps else [])
    times, levels, level = [], [], 0.0
    for k, unit in changes:
        if k > plan.delay_steps:
            level += unit
            times.append((k - plan.delay_steps) * dt)
            levels.append(level)
        else:
            plan.add_i_e(k, stim, unit * amp_pA)
    if not times:
        return
    for (amp,), targets in _groups(stim, amp_pA):
        if amp != 0.0:
            plan.generators.append(Generator(
                "step_current_generator", stim.target, targets,
                {"amplitude_times": times, "amplitude_values": [amp * x for x in levels]}))


def _sine(plan: CurrentPlan, stim: Stimulus, k_on: int, k_off: int, dt: float) -> None:
    v, d = stim.values, plan.delay_steps
    amp = np.broadcast_to(np.asarray(v["amplitude"], float) * 1000.0, (stim.size,))
    offset = np.broadcast_to(np.asarray(v["offset"], float) * 1000.0, (stim.size,))
    omega = 2.0 * np.pi * v["frequency"] * 1e-3  # rad/ms
    phase = np.deg2rad(v["phase"])
    k_gen = min(max(k_on, d + 1), k_off)
    t = np.arange(k_on, k_gen)[:, None] * dt
    plan.early(stim, k_on, offset + amp * np.sin(omega * t + phase))
    if k_gen == k_off:
        return
    # the generator's value for its step s acts in the neuron's step s + d: advance the phase
    shifted = (v["phase"] + 360.0 * v["frequency"] * 1e-3 * d * dt) % 360.0
    window = {"start": (k_gen - d) * dt, "stop": (k_off - d) * dt}
    for (a, o), targets in _groups(stim, amp, offset):
        if a != 0.0 or o != 0.0:
            plan.generators.append(Generator(
                "ac_generator", stim.target, targets,
                {"amplitude": a, "offset": o, "frequency": v["frequency"], "phase": shifted,
                 **window}))


def _native_noise(plan: CurrentPlan, model: Model, stim: Stimulus, k_on: int, k_off: int,
                  dt: float) -> None:
    v, d = stim.values, plan.delay_steps
    mean = np.broadcast_to(np.asarray(v["mean"], float) * 1000.0, (stim.size,))
    std = np.broadcast_to(np.asarray(v["std"], float) * 1000.0, (stim.size,))
    per = max(1, round(v["interval"] / dt))
    # the generator starts a new value when it switches on: at a boundary of the stimulus'
    # values, at or after the first step it can reach (d + 1)
    k_gen = min(k_on + per * -(-max(d + 1 - k_on, 0) // per), k_off)
    if k_gen > k_on:
        gen = draw.rng(model, "noise", stim.name)
        blocks = mean + std * gen.standard_normal((-(-(k_gen - k_on) // per), stim.size))
        plan.early(stim, k_on, np.repeat(blocks, per, axis=0)[:k_gen - k_on])
    if k_gen == k_off:
        return
    window = {"start": (k_gen - d) * dt, "stop": (k_off - d) * dt, "dt": per * dt}
    for (m, s), targets in _groups(stim, mean, std):
        plan.generators.append(Generator("noise_generator", stim.target, targets,
                                         {"mean": m, "std": s, **window}))


def _played(plan: CurrentPlan, model: Model, stim: Stimulus, k_on: int, k_off: int,
            dt: float) -> None:
    """Per-step values drawn by mnsim, one step_current_generator per target."""
    d = plan.delay_steps
    first, values = draw.noise_current(model, stim)
    values = values[:k_off - first] * 1000.0  # (steps from `first`, targets), pA
    k_gen = min(max(k_on, d + 1), k_off)
    plan.early(stim, k_on, values[:k_gen - k_on])
    if k_gen == k_off:
        return
    rest = values[k_gen - first:]
    changed = np.ones(rest.shape[0], dtype=bool)
    changed[1:] = np.any(rest[1:] != rest[:-1], axis=1)
    steps = np.flatnonzero(changed) + k_gen
    times = (steps - d) * dt
    per_target = np.ascontiguousarray(rest[changed].T)
    if k_off < round(model.simulation.duration_ms / dt):
        times = np.append(times, (k_off - d) * dt)
        per_target = np.hstack([per_target, np.zeros((stim.size, 1))])
    for j in range(stim.size):  # one generator per target: each plays its own array
        plan.generators.append(Generator(
            "step_current_generator", stim.target, np.array([stim.target_range[0] + j]),
            {"amplitude_times": times, "amplitude_values": per_target[j]}))
