"""The shipped sweeps (the course exercises) on all three backends, with their expect:
numbers, on mnsim's own local cluster. Slow: 30 s (hh_fi), 1 min (lif_fi_curve: Brian2 takes
~2 s a point) and 2-4 min (lif_ou_rate) on two cores; hh_fi and lif_fi_curve also run on
NEURON and NEST in the default suite (tests/cli/test_sweep_cli.py)."""

import re

import pytest

import mnsim
from mnsim.analysis.theory import lif_rate
from mnsim.sweeps import check, load_sweep

pytestmark = [pytest.mark.slow, pytest.mark.requires_neuron, pytest.mark.requires_brian2,
              pytest.mark.requires_nest]
BACKENDS = ["neuron", "brian2", "nest"]


def run(name, tmp_path):
    table = mnsim.sweep(name, out=tmp_path / name)
    assert (table["status"] == "ok").all(), table[table["status"] != "ok"]["error"].tolist()
    report = check(load_sweep(name), table)
    assert report.passed, report.table()
    return table, report


def test_hh_fi(tmp_path):
    table, report = run("hh_fi", tmp_path)
    amp = "stimuli.step.amplitude (uA/cm2)"
    assert len(table) == 62 * 3
    for backend in BACKENDS:
        rows = table[table["backend"] == backend].set_index(amp)
        # rheobase between 2.23 and 2.24 (bisection on NEURON and NEST: 2.2395)
        assert rows.loc[2.23, "spike_count"] == 0 and rows.loc[2.24, "spike_count"] == 1
        # a few spikes and silence up to 6.2; sustained firing from 6.25 at ~51.6 Hz
        assert rows.loc[6.2, "steady_rate (Hz)"] == 0
        assert rows.loc[6.25, "steady_rate (Hz)"] == pytest.approx(51.6, abs=0.1)
        assert rows.loc[9.8, "steady_rate (Hz)"] == pytest.approx(67.88, abs=0.02)
        assert rows.loc[20.0, "steady_rate (Hz)"] == pytest.approx(86.50, abs=0.02)
    assert len(report.checks) == 15


def test_lif_fi_curve(tmp_path):
    table, report = run("lif_fi_curve", tmp_path)
    amps = table["stimuli.drive.amplitude (nA)"].to_numpy()
    expected = lif_rate(amps, cm_nF=0.25, tau_m_ms=20.0, v_rest_mV=-70.0, v_reset_mV=-70.0,
                        v_thresh_mV=-50.0, tau_refrac_ms=2.0)
    rates = table["steady_rate (Hz)"].to_numpy()
    assert (rates[expected == 0] == 0).all() and (expected == 0).sum() == 7 * 3
    assert rates[expected > 0] == pytest.approx(expected[expected > 0], rel=0.005)
    assert len(report.checks) == 3


def test_lif_ou_rate(tmp_path):
    table, report = run("lif_ou_rate", tmp_path)
    assert len(table) == 24 * 3
    # 17 of the 24 points fire above 5 Hz (the reference) and are checked
    assert all(re.search(r"\(17 points\)", c.check) for c in report.checks), report.table()
    worst = [abs(float(c.got.split()[1])) for c in report.checks]  # "worst -2.72 % at ..."
    assert max(worst) < 3.0, report.table()
