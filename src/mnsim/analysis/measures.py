"""Measures: one registry, one :func:`measure` to get any of them.

Each function takes the Block, a population and an optional time window and returns an array:
one value per recorded neuron (index order) for the per-neuron measures defined here, one value
for the population measures of :mod:`mnsim.analysis.population` (the catalogue's ``scope``).
Spike statistics use Elephant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from mnsim.analysis.cable import CABLE_FUNCTIONS, Step
from mnsim.analysis.population import correlation, cv_isi, fano_factor, population_rate, synchrony
from mnsim.catalogue.measures import MEASURES
from mnsim.errors import MnsimError
from mnsim.results import signal, spiketrains

if TYPE_CHECKING:
    import neo

Window = tuple[float, float] | None
MeasureFn = Callable[["neo.Block", str, Window], np.ndarray]


def _trains(block: neo.Block, population: str, window: Window) -> list[neo.SpikeTrain]:
    trains = spiketrains(block, population)
    if not trains:
        raise MnsimError(f"no spike trains recorded for population '{population}'")
    if window is None:
        return trains
    import quantities as pq

    return [st.time_slice(window[0] * pq.ms, window[1] * pq.ms) for st in trains]


def spike_count(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    return np.array([len(st) for st in _trains(block, population, window)], dtype=float)


def first_spike_time(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    return np.array([st.rescale("ms").magnitude[0] if len(st) else np.nan
                     for st in _trains(block, population, window)])


def mean_rate(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    from elephant.statistics import mean_firing_rate

    return np.array([float(mean_firing_rate(st).rescale("Hz").magnitude)
                     for st in _trains(block, population, window)])


def isi_rate(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    from elephant.statistics import isi

    rates = []
    for st in _trains(block, population, window):
        intervals = isi(st).rescale("s").magnitude if len(st) > 1 else np.array([])
        rates.append(1.0 / intervals.mean() if intervals.size else np.nan)
    return np.array(rates)


def steady_rate(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    """The rate of sustained firing: 1 / mean inter-spike interval of the spikes in the second
    half of the window (default: the whole run), leaving the onset transient out; 0 Hz when
    fewer than two spikes fall there (the neuron does not fire repetitively: HH below about
    6.2 uA/cm2 fires a few spikes and falls silent). Meant for rates above 4 / window: a
    slower regular firing has fewer than two spikes in a half window."""
    rates = []
    for st in _trains(block, population, window):
        t0, t1 = float(st.t_start.rescale("ms")), float(st.t_stop.rescale("ms"))
        times = st.rescale("ms").magnitude
        late = times[times >= (t0 + t1) / 2.0]
        rates.append(1000.0 / float(np.diff(late).mean()) if late.size >= 2 else 0.0)
    return np.array(rates, dtype=float)


def resting_potential(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    sig = signal(block, population, "v")
    if sig is None:
        raise MnsimError(f"resting_potential needs 'v' recorded for population '{population}'")
    if window is not None:
        import quantities as pq

        sig = sig.time_slice(window[0] * pq.ms, window[1] * pq.ms)
    return np.asarray(sig.rescale("mV").magnitude.mean(axis=0))


def gsyn_exc_increments(block: neo.Block, population: str, window: Window = None) -> np.ndarray:
    """The jump of the excitatory conductance at each synaptic event, from the samples of
    the population's one recorded neuron: g only rises at events (it decays in between), so
    every rise between consecutive samples is one event (two events in one step count as
    one). Sample at dt: the rise then includes one step of decay of what was there before."""
    sig = signal(block, population, "gsyn_exc")
    if sig is None or sig.shape[1] != 1:
        raise MnsimError(f"gsyn_exc_increments needs 'gsyn_exc' recorded for exactly one neuron "
                         f"of '{population}'")
    if window is not None:
        import quantities as pq

        sig = sig.time_slice(window[0] * pq.ms, window[1] * pq.ms)
    g = np.asarray(sig.rescale("uS").magnitude[:, 0])
    rise = np.diff(g)
    return rise[rise > 1e-9 * max(float(np.abs(g).max(initial=0.0)), 1e-30)]


MEASURE_FUNCTIONS: dict[str, MeasureFn] = {
    "spike_count": spike_count,
    "first_spike_time": first_spike_time,
    "mean_rate": mean_rate,
    "isi_rate": isi_rate,
    "steady_rate": steady_rate,
    "resting_potential": resting_potential,
    "population_rate": population_rate,
    "cv_isi": cv_isi,
    "fano_factor": fano_factor,
    "correlation": correlation,
    "synchrony": synchrony,
    "gsyn_exc_increments": gsyn_exc_increments,
    **CABLE_FUNCTIONS,
}
assert set(MEASURE_FUNCTIONS) == set(MEASURES), "catalogue and analysis measures out of step"


def measure(name: str, block: neo.Block, population: str, window: Window = None, *,
            location: str | None = None, step: Step | None = None) -> np.ndarray:
    """Compute measure ``name`` for every recorded neuron of ``population``, for the
    population as a whole (population measures), or at one recorded location of a
    multicompartment cell (location measures, :mod:`mnsim.analysis.cable`).

    Parameters
    ----------
    name
        One of :data:`mnsim.catalogue.measures.MEASURES`.
    block
        Results from :func:`mnsim.run`.
    population
        Population name.
    window
        (start_ms, stop_ms) to restrict the measure to, or None for the whole run.
    location
        Location measures: the label of a recorded location (default: the first).
    step
        Location measures that refer to a step current: its start, stop and amplitude.

    Returns
    -------
    numpy.ndarray
        One value per recorded neuron, or one element for a population or location measure,
        in the measure's unit (NaN where undefined).

    Examples
    --------
    >>> measure("isi_rate", block, "cells")  # doctest: +SKIP
    array([ 26.43,  63.05, 128.97])
    >>> measure("population_rate", block, "exc", (100.0, 1000.0))  # doctest: +SKIP
    array([12.7])
    >>> measure("input_resistance", block, "cell", location="dend(0.9)",
    ...         step=Step(10.0, 60.0, 0.1))  # doctest: +SKIP
    array([412.6])
    """
    if name not in MEASURE_FUNCTIONS:
        raise MnsimError(f"unknown measure '{name}'; known: {', '.join(MEASURE_FUNCTIONS)}")
    if name in CABLE_FUNCTIONS:
        return CABLE_FUNCTIONS[name](block, population, window, location=location, step=step)
    return MEASURE_FUNCTIONS[name](block, population, window)
