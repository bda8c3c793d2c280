"""Step currents as NEST ``step_current_generator`` schedules (pure numpy; no NEST import).

Timing. The contract wants a current on during the integration steps ``k`` with
``start <= k dt < stop``. A ``step_current_generator`` whose amplitude changes at
``amplitude_times = s dt`` sends the new amplitude at step ``s - 1``; over a connection with
delay ``D dt`` it reaches the neuron's input buffer for step ``s - 1 + D``, which the neuron
reads at the end of that step and applies during step ``s + D`` (measured on NEST 3.10). So a
change that must act from step ``k`` is scheduled at ``(k - D) dt``: the ``- delay`` shift
PyNN's NEST electrodes apply. NEST accepts only ``amplitude_times > 0``, so no generator can
change the current of steps ``0 .. D``. Those changes go into the neurons' own ``I_e``, which
acts in the very step it is set: changes at step 0 are part of ``I_e`` at build time, changes
at steps ``1 .. D`` are applied by stopping the simulation at that step and setting ``I_e``. A
current switched on at 0 ms and off at ``stop`` is thus ``I_e`` plus a generator stepping to
``-amplitude`` at ``stop``. (PyNN instead moves such a start to ``dt``, which loses the first
step of current.)

The delay ``D`` is the backend's choice. It bounds NEST's ``min_delay``, the length of the
slices NEST updates between two synchronisations of its threads (and the lag with which a
multimeter receives its samples), so a longer delay runs faster: the backend uses 1 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mnsim.spec.model import Model


@dataclass(frozen=True)
class Generator:
    """One step_current_generator: its schedule and the neurons (population indices) it feeds."""

    population: str
    targets: np.ndarray
    amplitude_times: list[float]  # ms, already shifted by -delay
    amplitude_values: list[float]  # pA


@dataclass
class CurrentPlan:
    """Everything the step currents of a model become in NEST."""

    delay_steps: int  # delay of the generators' connections, in steps
    i_e_initial: dict[str, np.ndarray] = field(default_factory=dict)  # pA, from t = 0
    # step k (1 <= k <= delay_steps) -> population -> pA added to I_e from step k on
    i_e_changes: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    generators: list[Generator] = field(default_factory=list)


def first_step(t_ms: float, dt_ms: float) -> int:
    """The first step ``k`` with ``k dt >= t`` (tolerant to rounding of grid times)."""
    return max(0, math.ceil(t_ms / dt_ms - 1e-6))


def plan_currents(model: Model, delay_steps: int) -> CurrentPlan:
    """Turn every ``step_current`` of ``model`` into ``I_e`` changes and generators.

    Neurons of one stimulus with equal amplitudes share a generator (``np.unique``); neurons
    with amplitude 0 get none.

    Parameters
    ----------
    model
        The model.
    delay_steps
        Delay of the generators' connections, in steps (>= 1).

    Returns
    -------
    CurrentPlan
    """
    dt = model.simulation.dt_ms
    n_steps = round(model.simulation.duration_ms / dt)
    plan = CurrentPlan(delay_steps=delay_steps)
    for stim in model.stimuli.values():
        size = model.populations[stim.target].size
        amp_pA = np.broadcast_to(np.asarray(stim.values["amplitude"], dtype=float) * 1000.0,
                                 (size,))
        k_on = first_step(stim.values["start"], dt)
        k_off = first_step(stim.values["stop"], dt)
        if k_on >= min(k_off, n_steps) or not np.any(amp_pA):
            continue
        # unit schedule: +1 from step k_on, -1 from step k_off (if that is inside the run)
        changes = [(k_on, 1.0)] + ([(k_off, -1.0)] if k_off < n_steps else [])
        times, levels, level = [], [], 0.0
        for k, unit in changes:
            if k > delay_steps:
                level += unit
                times.append((k - delay_steps) * dt)
                levels.append(level)
            else:
                by_pop = plan.i_e_initial if k == 0 else plan.i_e_changes.setdefault(k, {})
                by_pop[stim.target] = by_pop.get(stim.target, np.zeros(size)) + unit * amp_pA
        if times:
            values, inverse = np.unique(amp_pA, return_inverse=True)
            for j, amp in enumerate(values):
                if amp != 0.0:
                    plan.generators.append(Generator(
                        population=stim.target, targets=np.flatnonzero(inverse == j),
                        amplitude_times=times, amplitude_values=[amp * x for x in levels]))
    return plan
