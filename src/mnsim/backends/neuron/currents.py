"""Injected currents of the NEURON backend, one ``IClamp`` per target neuron.

Timing (the foundation's): a current is on during the steps ``k`` with
``start <= k dt < stop`` and constant through each step. NEURON evaluates an ``IClamp`` at the
middle of the step, so a ``step_current`` is an ``IClamp`` with ``delay = start`` and
``dur = stop - start``. The other currents change every step: their values, one per step from
``start``, are played into the ``IClamp``'s ``amp`` with ``Vector.play(amp, tvec)`` at the
times ``tvec = k dt``. Such a play is an event at ``k dt``; NEURON delivers it at the start of
step ``k``, so value ``k`` acts during step ``k``, and a last 0 at ``stop`` switches it off.

* ``sine_current``: ``offset + amplitude sin(2 pi frequency k dt + phase)``, ``k dt`` the start
  of the step (as the NEST and Brian2 backends); targets with equal amplitude and offset play
  one Vector.
* ``noise_current``, ``ou_current``: the values of :func:`mnsim.draw.noise_current` in both
  connectivity modes (NEURON has neither generator), one Vector per target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnsim import draw
from mnsim.errors import SimulationError
from mnsim.spec.model import Model, Stimulus, per_neuron

CURRENT_TYPES = frozenset({"step_current", "sine_current", "noise_current", "ou_current"})


def build_current(h: Any, model: Model, stim: Stimulus, targets: list[Any],
                  keep: list[Any]) -> None:
    """The ``IClamp`` of each target neuron: ``targets`` holds the segment it acts on, one
    per target neuron (the middle of a point neuron's section; the stimulus's location on a
    multicompartment cell), or None for a neuron another MPI rank builds."""
    if stim.type == "step_current":
        _step(h, stim, targets, model.simulation.duration_ms, keep)
        return
    dt = model.simulation.dt_ms
    if stim.type == "sine_current":
        first, values = _sine(stim, dt)
    elif stim.type in ("noise_current", "ou_current"):
        first, values = draw.noise_current(model, stim)
    else:
        raise SimulationError(f"stimulus '{stim.name}': unsupported type {stim.type}")
    if values.shape[0] == 0:
        return
    times = h.Vector((first + np.arange(values.shape[0] + 1)) * dt)
    keep.append(times)
    columns, which = np.unique(np.ascontiguousarray(values.T), axis=0, return_inverse=True)
    played = [h.Vector(np.append(col, 0.0)) for col in columns]  # 0 from stop on
    keep.extend(played)
    for seg, k in zip(targets, np.ravel(which).tolist()):
        if seg is None:
            continue
        clamp = iclamp(h, seg, 0.0, 1e9, 0.0)
        played[k].play(clamp._ref_amp, times)
        keep.append(clamp)


def _step(h: Any, stim: Stimulus, targets: list[Any], duration_ms: float,
          keep: list[Any]) -> None:
    """One ``IClamp`` per target segment with a non-zero amplitude (nA)."""
    start = float(stim.values["start"])
    stop = stim.values.get("stop")
    dur = (float(stop) if stop is not None else duration_ms + 1e9) - start
    amps = per_neuron(stim.values["amplitude"], len(targets))
    for seg, amp in zip(targets, amps.tolist()):
        if amp != 0.0 and dur > 0.0 and seg is not None:
            keep.append(iclamp(h, seg, start, dur, amp))


def _sine(stim: Stimulus, dt: float) -> tuple[int, np.ndarray]:
    """(first step, values (n_steps, n_targets) in nA) of a ``sine_current``."""
    v = stim.values
    first = int(round(v["start"] / dt))
    steps = np.arange(first, int(round(v["stop"] / dt)))
    omega = 2.0 * np.pi * v["frequency"] * 1e-3  # rad/ms
    wave = np.sin(omega * steps * dt + np.deg2rad(v["phase"]))[:, None]
    amp = per_neuron(v["amplitude"], stim.size)[None, :]
    offset = per_neuron(v["offset"], stim.size)[None, :]
    return first, offset + amp * wave


def iclamp(h: Any, seg: Any, start: float, dur: float, amp: float) -> Any:
    """An ``IClamp`` of ``amp`` nA at ``seg``, on for start <= t < start + dur."""
    clamp = h.IClamp(seg)
    clamp.delay = start
    clamp.dur = dur
    clamp.amp = amp
    return clamp
