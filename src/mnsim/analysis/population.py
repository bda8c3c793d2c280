"""Population measures (one value for a whole population) and the population rate signal.

Every measure takes the Block, a population and an optional (start_ms, stop_ms) window and
returns a one-element array, so :func:`mnsim.analysis.measure` treats them like the
per-neuron measures. The statistics are Elephant's; this module only selects the spikes, in
a vectorised way (a 4,000-neuron population, 1 s at 20 to 300 Hz: 0.05 to 0.2 s per measure):

``population_rate`` (Hz)
    total spikes / (recorded neurons x window length): the mean rate, silent neurons included.
``cv_isi`` (1)
    mean over neurons with at least :data:`MIN_SPIKES_FOR_CV` spikes in the window of
    ``elephant.statistics.cv`` (std / mean, ddof 0) of their inter-spike intervals. Regular
    firing gives 0, a Poisson process 1, bursts more than 1. NaN when no neuron qualifies.
``fano_factor`` (1)
    ``elephant.statistics.fanofactor`` of the spike counts of the recorded neurons in the
    window (variance / mean across neurons, ddof 0): 0 when all counts are equal, about 1 for
    independent Poisson neurons of equal rate. NaN when no neuron fires.
``correlation`` (1)
    mean pairwise Pearson correlation (off-diagonal mean of
    ``elephant.spike_train_correlation.correlation_coefficient``) of spike counts in
    :data:`CORRELATION_BIN_MS` bins (``elephant.conversion.BinnedSpikeTrain``), over the first
    :data:`MAX_PAIR_NEURONS` recorded neurons (index order) that fire in the window. About 0
    for independent neurons, 1 for identical trains. NaN with fewer than 2 firing neurons.
``synchrony`` (1)
    Elephant's spike-contrast (``elephant.spike_train_synchrony.spike_contrast``, Ciba et al.
    2018), in [0, 1], over the same neurons as ``correlation``, with bins down to
    :data:`SYNCHRONY_MIN_BIN_MS` (Elephant's default, 10 ms, cannot see the ~300 Hz
    oscillation of Brunel's SR state). 1: all neurons fire together, in separated volleys.
    Independent (Poisson) firing gives a floor of about 0.12 to 0.15, set by the largest bins
    (half the window), not 0. On Brunel's (2000) model A (NEST, 10,000 + 2,500 neurons,
    4,000 used, 1 s): SR 0.36, AI 0.12, SI fast 0.14, SI slow 0.14 to 0.16. So it separates
    synchronous regular firing from asynchronous firing but hardly the SI states, whose
    neurons fire sparsely in each cycle. NaN with fewer than 2 firing neurons or when no
    neuron fires twice.

:func:`population_rate_signal` is the population rate over time (PSTH) as a
``neo.AnalogSignal``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from mnsim.errors import MnsimError
from mnsim.results import spiketrains

if TYPE_CHECKING:
    import neo

MIN_SPIKES_FOR_CV = 3  # 2 intervals: with 1, the cv is 0 whatever the firing
CORRELATION_BIN_MS = 5.0
MAX_PAIR_NEURONS = 200  # correlation, synchrony: costs grow with neurons (squared: pairs)
SYNCHRONY_MIN_BIN_MS = 1.0


def _spikes(block: neo.Block, population: str,
            window: tuple[float, float] | None) -> tuple[list[np.ndarray], float, float]:
    """Spike times (ms, one array per recorded neuron, index order) within the window, and the
    window clipped to the recording. Spikes at either edge count, as in ``time_slice``."""
    import quantities as pq

    trains = spiketrains(block, population)
    if not trains:
        raise MnsimError(f"no spike trains recorded for population '{population}'")
    scales: dict[str, float] = {}  # unit -> factor to ms, worked out once per unit

    def to_ms(q) -> float:
        unit = q.dimensionality.string
        if unit not in scales:
            scales[unit] = float(pq.Quantity(1.0, unit).rescale(pq.ms).magnitude)
        return scales[unit]

    t_start = min(float(st.t_start.magnitude) * to_ms(st.t_start) for st in trains)
    t_stop = max(float(st.t_stop.magnitude) * to_ms(st.t_stop) for st in trains)
    if window is not None:
        t_start, t_stop = max(t_start, window[0]), min(t_stop, window[1])
    times = []
    for st in trains:
        scale = to_ms(st)
        t = st.magnitude if scale == 1.0 else st.magnitude * scale
        if window is not None:
            t = t[np.searchsorted(t, t_start, "left"):np.searchsorted(t, t_stop, "right")]
        times.append(t)
    return times, t_start, t_stop


def _neo_trains(times: list[np.ndarray], t_start: float, t_stop: float) -> list[neo.SpikeTrain]:
    import neo
    import quantities as pq

    ms = pq.ms
    return [neo.SpikeTrain(t, units=ms, t_start=t_start * ms, t_stop=t_stop * ms)
            for t in times]


def _ignore_binning_warnings() -> None:
    """Bins are half-open: a spike at the window's stop time, or after the last whole bin, is
    left out, which Elephant reports each time."""
    warnings.filterwarnings("ignore", message="Binning discarded", category=UserWarning)


def _firing(times: list[np.ndarray]) -> list[np.ndarray]:
    """The first :data:`MAX_PAIR_NEURONS` neurons with a spike."""
    return [t for t in times if len(t)][:MAX_PAIR_NEURONS]


def population_rate(block: neo.Block, population: str,
                    window: tuple[float, float] | None = None) -> np.ndarray:
    times, t_start, t_stop = _spikes(block, population, window)
    if t_stop <= t_start:
        return np.array([np.nan])
    total = sum(len(t) for t in times)
    return np.array([total / (len(times) * (t_stop - t_start) / 1000.0)])


def cv_isi(block: neo.Block, population: str,
           window: tuple[float, float] | None = None) -> np.ndarray:
    from elephant.statistics import cv, isi

    times, _, _ = _spikes(block, population, window)
    counts = np.array([len(t) for t in times])
    per_neuron = []
    # neurons with equal spike counts go through Elephant together, as one 2-D array
    for k in np.unique(counts[counts >= MIN_SPIKES_FOR_CV]):
        group = np.stack([times[i] for i in np.flatnonzero(counts == k)])
        per_neuron.append(np.atleast_1d(cv(isi(group, axis=1), axis=1)))
    return np.array([np.concatenate(per_neuron).mean() if per_neuron else np.nan])


def fano_factor(block: neo.Block, population: str,
                window: tuple[float, float] | None = None) -> np.ndarray:
    from elephant.statistics import fanofactor

    times, _, _ = _spikes(block, population, window)
    return np.array([float(fanofactor(times))])


def correlation(block: neo.Block, population: str,
                window: tuple[float, float] | None = None) -> np.ndarray:
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient

    times, t_start, t_stop = _spikes(block, population, window)
    firing = _firing(times)
    if len(firing) < 2 or t_stop - t_start < CORRELATION_BIN_MS:
        return np.array([np.nan])
    with warnings.catch_warnings():
        _ignore_binning_warnings()
        binned = BinnedSpikeTrain(_neo_trains(firing, t_start, t_stop),
                                  bin_size=CORRELATION_BIN_MS * pq.ms)
        # a neuron firing in every bin has no variance: NaN, left out of the mean
        warnings.simplefilter("ignore", RuntimeWarning)
        # Elephant's sparse path goes through numpy.matrix
        warnings.filterwarnings("ignore", message="the matrix subclass",
                                category=PendingDeprecationWarning)
        matrix = correlation_coefficient(binned)
    off = matrix[~np.eye(len(matrix), dtype=bool)]
    return np.array([np.nanmean(off) if np.isfinite(off).any() else np.nan])


def synchrony(block: neo.Block, population: str,
              window: tuple[float, float] | None = None) -> np.ndarray:
    import quantities as pq
    from elephant.spike_train_synchrony import spike_contrast

    times, t_start, t_stop = _spikes(block, population, window)
    firing = _firing(times)
    if len(firing) < 2 or not any(len(t) > 1 for t in firing):
        return np.array([np.nan])
    value = spike_contrast(_neo_trains(firing, t_start, t_stop),
                           min_bin=SYNCHRONY_MIN_BIN_MS * pq.ms)
    return np.array([float(value)])


def population_rate_signal(block: neo.Block, population: str, bin_ms: float = 5.0,
                           window: tuple[float, float] | None = None) -> neo.AnalogSignal:
    """The population rate over time (PSTH): spikes per neuron and second in ``bin_ms`` bins.

    ``elephant.statistics.time_histogram(output="rate")`` of the population's spikes merged
    into one train, divided by the number of recorded neurons: the same numbers as the
    histogram of the separate trains averaged per neuron, without binning each train. Bins
    are half-open, [start, start + bin_ms): spikes after the last whole bin are left out.

    Returns
    -------
    neo.AnalogSignal
        One channel, in Hz, one sample per bin starting at the window start, named
        ``"<population>.rate"`` and annotated with ``population``, ``bin_ms`` and ``neurons``.
    """
    import neo
    import quantities as pq
    from elephant.statistics import time_histogram

    if not bin_ms > 0:
        raise MnsimError(f"bin_ms must be > 0, got {bin_ms!r}")
    times, t_start, t_stop = _spikes(block, population, window)
    if t_stop - t_start < bin_ms:
        raise MnsimError(f"a {bin_ms:g} ms bin does not fit in {t_start:g} to {t_stop:g} ms")
    merged = neo.SpikeTrain(np.sort(np.concatenate(times)), units=pq.ms,
                            t_start=t_start * pq.ms, t_stop=t_stop * pq.ms)
    with warnings.catch_warnings():
        _ignore_binning_warnings()
        hist = time_histogram([merged], bin_ms * pq.ms, output="rate")
    rate = hist.rescale("Hz") / len(times)
    return neo.AnalogSignal(rate.magnitude, units="Hz", t_start=hist.t_start.rescale("ms"),
                            sampling_period=bin_ms * pq.ms, name=f"{population}.rate",
                            population=population, bin_ms=float(bin_ms), neurons=len(times))
