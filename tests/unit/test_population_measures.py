"""Population measures, the population rate signal, their validation and the network figure,
on synthetic spike trains whose statistics are known exactly or within a derived tolerance."""

import time

import neo
import numpy as np
import pytest
import quantities as pq

import mnsim
from mnsim.analysis import measure
from mnsim.analysis.population import MAX_PAIR_NEURONS, population_rate_signal
from mnsim.backends.base import RawResults, RawSignal
from mnsim.catalogue.measures import MEASURES, POPULATION_MEASURES
from mnsim.errors import MnsimError
from mnsim.results import to_block
from mnsim.validation import check_expectations

POPULATION = ("population_rate", "cv_isi", "fano_factor", "correlation", "synchrony")


def block_of(trains, t_stop_ms=1000.0, population="exc"):
    """A Block holding one population's spike trains (ms), annotated as mnsim annotates them."""
    block = neo.Block()
    seg = neo.Segment()
    block.segments.append(seg)
    for i, t in enumerate(trains):
        seg.spiketrains.append(neo.SpikeTrain(np.asarray(t, dtype=float), units=pq.ms,
                                              t_stop=t_stop_ms * pq.ms, population=population,
                                              index=i))
    return block


def poisson(rng, n, rate_hz, t_stop_ms):
    """Independent Poisson trains: cumulative exponential intervals, cut at t_stop."""
    trains = []
    for _ in range(n):
        t = np.cumsum(rng.exponential(1000.0 / rate_hz, int(rate_hz * t_stop_ms / 1000 * 2 + 50)))
        trains.append(t[t < t_stop_ms])
    return trains


def regular(n, rate_hz=10.0, t_stop_ms=1000.0):
    """Regular trains, neuron i shifted by i * 0.5 ms: 50 + i/2, 150 + i/2, ... ms."""
    period = 1000.0 / rate_hz
    return [np.arange(50.0, t_stop_ms, period) + 0.5 * i for i in range(n)]


def one(name, block, window=None, population="exc"):
    values = measure(name, block, population, window)
    assert values.shape == (1,)
    return float(values[0])


def test_catalogue_scopes():
    assert POPULATION_MEASURES == set(POPULATION)
    assert {m.scope for m in MEASURES.values()} == {"neuron", "population", "events", "location"}
    assert MEASURES["population_rate"].unit == "Hz" and MEASURES["cv_isi"][0] == "1"


def test_regular_trains():
    block = block_of(regular(50))  # 10 spikes each in 1 s, intervals exactly 100 ms
    assert one("population_rate", block) == pytest.approx(10.0, rel=1e-12)
    # window [100, 1000] ms: 150 + i/2, ..., 950 + i/2 ms: 9 spikes in 0.9 s
    assert one("population_rate", block, (100.0, 1000.0)) == pytest.approx(10.0, rel=1e-12)
    assert one("cv_isi", block) == pytest.approx(0.0, abs=1e-12)
    assert one("fano_factor", block) == 0.0  # all counts equal
    # the population rate is the per-neuron mean rates' mean
    assert one("population_rate", block, (100.0, 600.0)) == pytest.approx(
        measure("mean_rate", block, "exc", (100.0, 600.0)).mean())


def test_rates_count_silent_neurons_and_cv_needs_three_spikes():
    block = block_of([[100.0, 200.0, 400.0], [100.0, 300.0], [], []])
    assert one("population_rate", block) == pytest.approx(5 / (4 * 1.0))
    # only neuron 0 has 2 intervals (100, 200 ms): std 50 / mean 150 (ddof 0)
    assert one("cv_isi", block) == pytest.approx(50 / 150)
    assert np.isnan(one("cv_isi", block_of([[100.0, 200.0], [5.0]])))
    assert np.isnan(one("cv_isi", block, (150.0, 1000.0)))  # 2 spikes left at most
    counts = np.array([3, 2, 0, 0])
    assert one("fano_factor", block) == pytest.approx(counts.var() / counts.mean())
    silent = block_of([[], [], []])
    assert one("population_rate", silent) == 0.0
    for name in ("cv_isi", "fano_factor", "correlation", "synchrony"):
        assert np.isnan(one(name, silent)), name
    lone = block_of([[10.0, 20.0, 30.0], []])  # fewer than 2 firing neurons: no pairs
    assert np.isnan(one("correlation", lone)) and np.isnan(one("synchrony", lone))


def test_poisson_cv_and_fano():
    rng = np.random.default_rng(20240601)
    # 100 neurons at 50 Hz for 10 s: ~500 intervals each. For exponential intervals the sample
    # cv has asymptotic variance 1/n (delta method: (mu4 - s^4)/(4 s^2 m^2) - mu3/m^3 + s^4/m^4
    # = 2 - 2 + 1 with m = s = 1, mu3 = 2, mu4 = 9), so the mean over 100 neurons has
    # sd 1/sqrt(50000) = 0.0045 and a bias of order 1/n = 0.002: 0.025 is over 5 sd.
    block = block_of(poisson(rng, 100, 50.0, 10_000.0), t_stop_ms=10_000.0)
    assert one("cv_isi", block) == pytest.approx(1.0, abs=0.025)
    # fano factor across 2000 neurons with Poisson(20) counts: var/mean has sd about
    # sqrt(2/(N-1)) = 0.032, so 0.16 is 5 sd; and it is exactly numpy's var/mean of the counts
    counts = rng.poisson(20, 2000)
    trains = [np.sort(rng.uniform(0, 1000.0, c)) for c in counts]
    block = block_of(trains)
    assert one("fano_factor", block) == pytest.approx(counts.var() / counts.mean(), rel=1e-12)
    assert one("fano_factor", block) == pytest.approx(1.0, abs=0.16)


def test_correlation_against_numpy():
    trains = [[1.0, 7.0, 12.0, 31.0], [2.0, 6.0, 13.0, 32.0, 44.0], [3.0, 22.0, 27.0, 48.0],
              [40.0, 41.0, 49.5]]
    block = block_of(trains, t_stop_ms=50.0)
    counts = np.array([np.histogram(t, bins=np.arange(0.0, 50.1, 5.0))[0] for t in trains])
    r = np.corrcoef(counts)
    expected = r[~np.eye(4, dtype=bool)].mean()
    assert one("correlation", block) == pytest.approx(expected, rel=1e-12)


def test_correlation_identical_and_independent():
    rng = np.random.default_rng(7)
    same = poisson(rng, 1, 20.0, 1000.0) * 20
    assert one("correlation", block_of(same)) == pytest.approx(1.0, abs=1e-12)
    # 200 independent neurons, 2 s in 5 ms bins (B = 400): the mean of the pairwise
    # correlations is (|sum of standardised counts|^2 / B - M) / (M (M - 1)), sd about
    # sqrt(2 / (B - 1)) / (M - 1) = 3.6e-4 for M = 200; 0.002 is over 5 sd
    independent = poisson(rng, MAX_PAIR_NEURONS, 20.0, 2000.0)
    value = one("correlation", block_of(independent, t_stop_ms=2000.0))
    assert abs(value) < 0.002
    # the cap: silent neurons are skipped, neurons after the first 200 firing ones ignored
    capped = [np.array([])] * 10 + independent + [independent[0]] * 100
    assert one("correlation", block_of(capped, t_stop_ms=2000.0)) == value


def test_synchrony():
    rng = np.random.default_rng(11)
    same = poisson(rng, 1, 20.0, 1000.0) * 50
    assert one("synchrony", block_of(same)) == pytest.approx(1.0)
    assert one("synchrony", block_of(regular(1) * 50)) == pytest.approx(1.0)
    # volleys every 20 ms, each neuron in each, 1 ms jitter: synchronous regular firing
    volleys = [np.sort(np.arange(10.0, 1000.0, 20.0) + rng.normal(0, 1.0, 50))
               for _ in range(200)]
    assert one("synchrony", block_of(volleys)) > 0.8
    # independent Poisson, 200 neurons at 20 Hz for 1 s: over 30 seeds the floor was
    # 0.135 +- 0.0065 (0.123 to 0.151)
    assert 0.10 < one("synchrony", block_of(poisson(rng, 200, 20.0, 1000.0))) < 0.17


def test_population_rate_signal():
    rng = np.random.default_rng(3)
    trains = poisson(rng, 30, 40.0, 1000.0)
    block = block_of(trains)
    sig = population_rate_signal(block, "exc", bin_ms=5.0)
    counts = np.histogram(np.concatenate(trains), bins=np.arange(0.0, 1000.1, 5.0))[0]
    assert sig.shape == (200, 1) and str(sig.units.dimensionality) == "Hz"
    assert sig.magnitude[:, 0] == pytest.approx(counts / (30 * 0.005))
    assert sig.name == "exc.rate" and sig.annotations["neurons"] == 30
    assert sig.magnitude.mean() == pytest.approx(one("population_rate", block))
    # the same as Elephant's histogram of the separate trains averaged per neuron
    from elephant.statistics import time_histogram

    ref = time_histogram(list(block.segments[0].spiketrains), 5 * pq.ms, output="rate")
    assert sig.magnitude[:, 0] == pytest.approx(ref.rescale("Hz").magnitude[:, 0])
    windowed = population_rate_signal(block, "exc", bin_ms=10.0, window=(100.0, 300.0))
    assert windowed.shape == (20, 1) and float(windowed.t_start.rescale("ms")) == 100.0
    with pytest.raises(MnsimError, match="bin_ms must be > 0"):
        population_rate_signal(block, "exc", bin_ms=0)


def test_performance_4000_neurons():
    rng = np.random.default_rng(5)
    counts = rng.poisson(20, 4000)
    block = block_of([np.sort(rng.uniform(0, 1000.0, c)) for c in counts])
    for name in POPULATION:
        measure(name, block, "exc", (0.0, 100.0))  # imports out of the timing
        start = time.perf_counter()
        measure(name, block, "exc", (100.0, 1000.0))
        assert time.perf_counter() - start < 1.0, name


MODEL = {
    "name": "net",
    "simulation": {"duration": "1000 ms", "dt": "0.1 ms", "seed": 1},
    "populations": {"exc": {"size": 40, "cell": {"type": "IF_curr_exp"}},
                    "probe": {"size": 2, "cell": {"type": "IF_curr_exp"}}},
    "record": {"exc": {"variables": ["spikes"]}, "probe": {"variables": ["spikes", "v"]}},
    "expect": [
        {"measure": "population_rate", "population": "exc", "value": "10 Hz",
         "tolerance": "1 %", "window": ["100 ms", "1000 ms"]},
        {"measure": "cv_isi", "population": "exc", "max": 0.1},
        {"measure": "fano_factor", "population": "exc", "equals": 0},
        {"measure": "cv_isi", "population": "probe", "min": 0, "max": 2},  # NaN: fails
        {"measure": "spike_count", "population": "probe", "equals": [0, 1]},
    ],
}


def test_validation_of_population_measures(tmp_path):
    model = mnsim.load(MODEL)
    v = np.full((10000, 2), -65.0)
    raw = RawResults(spikes={"exc": regular(40), "probe": [np.array([]), np.array([5.0])]},
                     signals=[RawSignal("probe", "v", "mV", 0.1, v, (0, 1))], integration="t")
    block = to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                     run_time_s=0)
    report = check_expectations(model, block)
    rows = [(c.measure, c.target, c.passed) for c in report.checks]
    assert rows == [("population_rate", "exc (40 neurons)", True),
                    ("cv_isi", "exc (40 neurons)", True),
                    ("fano_factor", "exc (40 neurons)", True),
                    ("cv_isi", "probe (2 neurons)", False),
                    ("spike_count", "probe[0]", True), ("spike_count", "probe[1]", True)]
    assert np.isnan(report.checks[3].got) and report.checks[3].index is None
    table = report.table().splitlines()
    assert table[0] == "net on test: 1 of 6 failed"
    # aligned: every column starts where its header does
    header = table[1]
    for col in ("neuron", "expected", "got", "result"):
        at = header.index(col)
        assert all(line[at - 2:at] == "  " and line[at] != " " for line in table[2:]), col
    assert "cv_isi           probe (2 neurons)  in [0, 2]" in report.table()
    assert "n/a" in table[5] and table[5].endswith("FAIL")


def test_nan_fails_every_band():
    from mnsim.validation import _passes

    model = mnsim.load(MODEL)
    band = model.expect[1]  # max only
    assert band.kind == "range" and not _passes(band, float("nan"), float("nan"))
    assert _passes(band, 0.05, float("nan")) and not _passes(band, 0.2, float("nan"))


def test_plot_run_draws_networks(tmp_path):
    from mnsim.plotting import network_populations, plot_network, plot_run

    model = mnsim.load({**MODEL, "populations": {
        "exc": {"size": 1200, "cell": {"type": "IF_curr_exp"}},
        "probe": {"size": 2, "cell": {"type": "IF_curr_exp"}}}, "expect": []})
    assert network_populations(model) == ["exc"]
    rng = np.random.default_rng(2)
    raw = RawResults(spikes={"exc": poisson(rng, 1200, 10.0, 1000.0),
                             "probe": [np.array([]), np.array([5.0])]},
                     signals=[RawSignal("probe", "v", "mV", 0.1, np.full((10000, 2), -65.0),
                                        (0, 1))], integration="t")
    block = to_block(raw, model, backend="test", backend_version="0", build_time_s=0,
                     run_time_s=0)
    assert plot_run(block, model, tmp_path / "run.png").stat().st_size > 10_000
    assert plot_network(block, model, tmp_path / "net.svg").stat().st_size > 10_000
