"""Measures of a multicompartment cell from v at its recorded locations.

The population's ``v`` signal has one channel per recorded location; its array annotations
(:func:`mnsim.results.to_block`) give each channel's ``location`` label and ``path_um``, the
path distance along the tree from the first recorded location. Each measure returns one value
(an array of one element, in the catalogue's unit; NaN where undefined) at ``location`` (a
label; default the first recorded location).

Steps are read on the sample grid: a window [a, b) holds the samples at times a <= t < b, and
the sample at a step's start is the state before the current acts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from mnsim.errors import MnsimError
from mnsim.results import signal

if TYPE_CHECKING:
    import neo

Window = tuple[float, float] | None
BASELINE_FRACTION = 0.1  # of the step's duration: the baseline before it and the steady end
SPIKE_LEVEL_MV = 0.0  # conduction velocity: upward crossings of this level


class Step(NamedTuple):
    """A step current: on at ``start_ms``, off at ``stop_ms``, ``amplitude_nA``."""

    start_ms: float
    stop_ms: float
    amplitude_nA: float  # noqa: N815 - the unit is part of the name


class Trace(NamedTuple):
    dt_ms: float
    v_mV: np.ndarray  # noqa: N815
    path_um: float  # path distance from the first recorded location


def trace(block: neo.Block, population: str, location: str | None = None) -> Trace:
    """v (mV) at one recorded location of ``population`` (default: the first)."""
    sig = signal(block, population, "v")
    if sig is None:
        raise MnsimError(f"no 'v' recorded for population '{population}'")
    ann = sig.array_annotations
    labels = [str(label) for label in ann.get("location", [])]
    if not labels:
        raise MnsimError(f"'{population}.v' has no recorded locations: the cable measures apply "
                         f"to multicompartment cells")
    if location is None:
        col = 0
    elif location in labels:
        col = labels.index(location)
    else:
        raise MnsimError(f"location {location} of '{population}' is not recorded; recorded: "
                         f"{', '.join(labels)}")
    return Trace(dt_ms=float(sig.sampling_period.rescale("ms").magnitude),
                 v_mV=np.asarray(sig.rescale("mV").magnitude[:, col], dtype=float),
                 path_um=float(ann["path_um"][col]))


def _at(time_ms: float, dt_ms: float, n: int) -> int:
    """Index of the first sample at or after ``time_ms`` (clipped to [0, n])."""
    return int(min(max(math.ceil(time_ms / dt_ms - 1e-6), 0), n))


def _slice(tr: Trace, window: Window) -> np.ndarray:
    if window is None:
        return tr.v_mV
    n = len(tr.v_mV)
    return tr.v_mV[_at(window[0], tr.dt_ms, n):_at(window[1], tr.dt_ms, n)]


def _one(value: float) -> np.ndarray:
    return np.array([value], dtype=float)


def _need_step(step: Step | None, name: str) -> Step:
    if step is None:
        raise MnsimError(f"{name} needs the step current it refers to (step=Step(start_ms, "
                         f"stop_ms, amplitude_nA))")
    return step


def _response(tr: Trace, step: Step) -> tuple[float, float]:
    """(baseline, deflection): mean v over the 10 % of the step's duration before it starts,
    and mean v over the step's last 10 % minus the baseline."""
    n = len(tr.v_mV)
    span = BASELINE_FRACTION * (step.stop_ms - step.start_ms)
    base = tr.v_mV[_at(step.start_ms - span, tr.dt_ms, n):_at(step.start_ms, tr.dt_ms, n)]
    late = tr.v_mV[_at(step.stop_ms - span, tr.dt_ms, n):_at(step.stop_ms, tr.dt_ms, n)]
    if not base.size or not late.size:
        return np.nan, np.nan
    return float(base.mean()), float(late.mean() - base.mean())


def mean_v(block: neo.Block, population: str, window: Window = None, *,
           location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Mean v (mV) at ``location`` over ``window``."""
    v = _slice(trace(block, population, location), window)
    return _one(float(v.mean()) if v.size else np.nan)


def peak_v(block: neo.Block, population: str, window: Window = None, *,
           location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Maximum of v (mV) at ``location`` over ``window``."""
    v = _slice(trace(block, population, location), window)
    return _one(float(v.max()) if v.size else np.nan)


def epsp_peak(block: neo.Block, population: str, window: Window = None, *,
              location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Maximum of v over ``window`` minus v at its start (mV)."""
    v = _slice(trace(block, population, location), window)
    return _one(float(v.max() - v[0]) if v.size else np.nan)


def deflection(block: neo.Block, population: str, window: Window = None, *,
               location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Steady response (mV) to ``step``: end of the step minus the baseline before it."""
    step = _need_step(step, "deflection")
    return _one(_response(trace(block, population, location), step)[1])


def input_resistance(block: neo.Block, population: str, window: Window = None, *,
                     location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Deflection / amplitude (mV / nA = MOhm)."""
    step = _need_step(step, "input_resistance")
    d = _response(trace(block, population, location), step)[1]
    return _one(d / step.amplitude_nA if step.amplitude_nA != 0 else np.nan)


def membrane_time_constant(block: neo.Block, population: str, window: Window = None, *,
                           location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Time (ms) from the step's start until v reaches baseline + (1 - 1/e) deflection,
    linear between the samples either side."""
    step = _need_step(step, "membrane_time_constant")
    tr = trace(block, population, location)
    base, d = _response(tr, step)
    if not np.isfinite(d) or d == 0:
        return _one(np.nan)
    n = len(tr.v_mV)
    k0, k1 = _at(step.start_ms, tr.dt_ms, n), _at(step.stop_ms, tr.dt_ms, n)
    target = base + (1 - math.exp(-1)) * d
    rel = (tr.v_mV[k0:k1] - target) * np.sign(d)  # >= 0 once reached
    reached = np.flatnonzero(rel >= 0)
    if not reached.size:
        return _one(np.nan)
    k = k0 + int(reached[0])
    t = k * tr.dt_ms
    if k > k0:
        v0, v1 = tr.v_mV[k - 1], tr.v_mV[k]
        t = (k - 1) * tr.dt_ms + (target - v0) / (v1 - v0) * tr.dt_ms
    return _one(t - step.start_ms)


def attenuation(block: neo.Block, population: str, window: Window = None, *,
                location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Deflection at ``location`` / deflection at the first recorded location."""
    step = _need_step(step, "attenuation")
    here = _response(trace(block, population, location), step)[1]
    first = _response(trace(block, population, None), step)[1]
    return _one(here / first if first else np.nan)


def length_constant(block: neo.Block, population: str, window: Window = None, *,
                    location: str | None = None, step: Step | None = None) -> np.ndarray:
    """L / arccosh(1 / attenuation) (um), L the path distance from the first recorded location
    to ``location``: a uniform cable's length constant when the current enters at the first
    location and ``location`` is the sealed end (V(L)/V(0) = 1 / cosh(L / lambda))."""
    att = float(attenuation(block, population, window, location=location, step=step)[0])
    length = trace(block, population, location).path_um
    if not 0 < att < 1:
        return _one(np.nan)
    return _one(length / math.acosh(1 / att))


def _first_crossing(tr: Trace, window: Window) -> float:
    """Time (ms) of the first upward crossing of 0 mV in ``window``, interpolated."""
    n = len(tr.v_mV)
    k0 = _at(window[0], tr.dt_ms, n) if window is not None else 0
    k1 = _at(window[1], tr.dt_ms, n) if window is not None else n
    v = tr.v_mV[k0:k1]
    up = np.flatnonzero((v[:-1] < SPIKE_LEVEL_MV) & (v[1:] >= SPIKE_LEVEL_MV))
    if not up.size:
        return np.nan
    k = int(up[0])
    frac = (SPIKE_LEVEL_MV - v[k]) / (v[k + 1] - v[k])
    return (k0 + k + frac) * tr.dt_ms


def conduction_velocity(block: neo.Block, population: str, window: Window = None, *,
                        location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Path distance from the first recorded location to ``location`` / the delay between
    their first upward 0 mV crossings (m/s; negative when ``location`` crosses first)."""
    here = trace(block, population, location)
    delay = _first_crossing(here, window) - _first_crossing(trace(block, population), window)
    if not np.isfinite(delay) or delay == 0:
        return _one(np.nan)
    return _one(here.path_um / delay * 1e-3)  # um/ms = 1e-3 m/s


CABLE_FUNCTIONS = {
    "mean_v": mean_v,
    "peak_v": peak_v,
    "epsp_peak": epsp_peak,
    "deflection": deflection,
    "input_resistance": input_resistance,
    "membrane_time_constant": membrane_time_constant,
    "attenuation": attenuation,
    "length_constant": length_constant,
    "conduction_velocity": conduction_velocity,
}
