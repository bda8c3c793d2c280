"""The reference formulas (mnsim.analysis.theory) and a sweep's expect: checks, on tables
made by hand (no simulator)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from mnsim.analysis.theory import FB_ALPHA, lif_rate, ou_to_diffusion, siegert_rate
from mnsim.sweeps import check, load_sweep, resolve
from mnsim.sweeps.references import reference_value

LIF = dict(tau_m_ms=20.0, v_rest_mV=-70.0, v_reset_mV=-70.0, v_thresh_mV=-50.0,
           tau_refrac_ms=2.0)


def test_lif_rate_is_the_course_formula():
    # lif_fi.yaml's numbers: 1 / (tau_ref + tau_m ln(RI / (RI - 20 mV))), R = 80 MOhm
    rates = lif_rate([0.3, 0.5, 1.0], cm_nF=0.25, **LIF)
    assert rates == pytest.approx([26.43, 63.04, 128.97], abs=0.005)
    assert lif_rate([0.0, 0.25], cm_nF=0.25, **LIF).tolist() == [0.0, 0.0]
    # a reset below rest: the time from reset, not from rest, to threshold
    period = 2.0 + 20.0 * math.log((-70 + 40 + 75) / (-70 + 40 + 50))
    assert float(lif_rate(0.5, cm_nF=0.25, **{**LIF, "v_reset_mV": -75.0})) == pytest.approx(
        1000.0 / period, rel=1e-12)


def test_siegert_reproduces_brunels_mean_field_rate():
    # Brunel (2000) model A, g = 5, eta = 2: 37.9 Hz (tests/models/test_brunel.py, the model)
    tau, theta, v_r, j, c_e, gamma, g, eta = 20.0, 20.0, 10.0, 0.1, 1000, 0.25, 5.0, 2.0
    nu_ext = eta * theta / (j * c_e * tau) * 1000.0  # Hz

    def excess(nu):
        drive = (nu_ext + nu * (1 - gamma * g)) * 1e-3  # 1/ms
        noise = (nu_ext + nu * (1 + gamma * g * g)) * 1e-3
        mu, sigma = c_e * j * tau * drive, math.sqrt(j * j * c_e * tau * noise)
        return float(siegert_rate(mu, sigma, tau_m_ms=tau, v_rest_mV=0.0, v_reset_mV=v_r,
                                  v_thresh_mV=theta, tau_refrac_ms=2.0)) - nu

    assert optimize.brentq(excess, 1e-3, 499.0) == pytest.approx(37.9, abs=0.05)


def test_siegert_limits_and_the_coloured_noise_shift():
    # little noise: the deterministic rate
    assert float(siegert_rate(25.0, 1e-3, **LIF)) == pytest.approx(
        float(lif_rate(25.0 / 80.0, cm_nF=0.25, **LIF)), rel=1e-4)
    # an independent integration (trapezoid of exp(u^2)(1 + erf u), no erfcx)
    u = np.linspace((0.0 - 15.0) / 5.0, (20.0 - 15.0) / 5.0, 200001)
    f = np.exp(u * u) * (1.0 + special.erf(u))
    integral = float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(u)))
    assert float(siegert_rate(15.0, 5.0, **LIF)) == pytest.approx(
        1000.0 / (2.0 + 20.0 * math.sqrt(math.pi) * integral), rel=1e-7)
    # Fourcaud-Brunel: both bounds move up by sigma alpha/2 sqrt(tau_s/tau_m)
    shift = 5.0 * FB_ALPHA / 2 * math.sqrt(1.0 / 20.0)
    shifted = {**LIF, "v_thresh_mV": -50.0 + shift, "v_reset_mV": -70.0 + shift}
    assert float(siegert_rate(15.0, 5.0, tau_s_ms=1.0, **LIF)) == pytest.approx(
        float(siegert_rate(15.0, 5.0, **shifted)), rel=1e-9)
    assert FB_ALPHA == pytest.approx(2.0652, abs=1e-4)
    mu, sigma = ou_to_diffusion(0.2, 0.4, tau_s_ms=1.0, cm_nF=0.25, tau_m_ms=20.0)
    assert (float(mu), float(sigma)) == pytest.approx((16.0, 80 * 0.4 * math.sqrt(0.1)))
    with pytest.raises(ValueError, match="sigma_mV > 0"):
        siegert_rate(15.0, 0.0, **LIF)


def hh_table(onset_count=2.24, onset_rate=6.25, rate_at_onset=51.6, fail_at=None):
    sweep = load_sweep("hh_fi")
    axis = sweep.axes[0]
    rows = []
    for v in axis.values:
        x = float(v)
        rate = 0.0 if x < onset_rate else rate_at_onset + 2.2 * (x - onset_rate)
        rows.append({axis.column: x, "backend": "nest", "spike_count": float(x >= onset_count),
                     "steady_rate (Hz)": rate, "status": "ok", "wall time (s)": 0.1,
                     "error": "", "key": str(v)})
        if x == 9.8:
            rows[-1]["steady_rate (Hz)"] = 67.9
        if x == 20.0:
            rows[-1]["steady_rate (Hz)"] = 86.5
        if fail_at == x:
            rows[-1].update({"status": "failed", "error": "boom",
                             "steady_rate (Hz)": math.nan})
    return sweep, pd.DataFrame(rows)


def test_onset_and_point_checks():
    sweep, table = hh_table()
    report = check(sweep, table)
    assert report.passed, report.table()
    assert [c.got for c in report.checks] == ["2.24 uA/cm2", "6.25 uA/cm2",
                                              "51.6 Hz (at 6.25 uA/cm2)", "67.9 Hz", "86.5 Hz"]
    assert "2.23 ± 0.01 uA/cm2" in report.table()
    # a rheobase two steps off, a rate at onset off by 2 Hz: both fail
    report = check(*hh_table(onset_count=2.26, rate_at_onset=50.0))
    assert [c.passed for c in report.checks] == [False, True, False, True, True]
    assert "2 of 5 failed" in report.table()
    # a failed point below the first firing one makes the onset unknown
    report = check(*hh_table(fail_at=6.1))
    assert report.checks[1].got == "failed points below it" and not report.passed


def test_reference_check_reads_each_points_model():
    sweep = resolve("lif_fi_curve", ["stimuli.drive.amplitude=0.2,0.3,0.5 nA"])
    sweep = type(sweep)(**{**sweep.__dict__, "expect": load_sweep("lif_fi_curve").expect})
    points = sweep.points(["nest"])
    refs = [reference_value("lif_rate", p.model, sweep.measures[0]) for p in points]
    assert refs == pytest.approx([0.0, 26.4304, 63.0400], abs=1e-4)
    table = pd.DataFrame([{"stimuli.drive.amplitude (nA)": float(p.values[0]),
                           "backend": "nest", "steady_rate (Hz)": r * 1.004, "status": "ok",
                           "wall time (s)": 0.1, "error": "", "key": p.key}
                          for p, r in zip(points, refs)])
    report = check(sweep, table)
    assert report.passed and report.checks[0].got == "worst +0.40 % at 0.3"
    table.loc[1, "steady_rate (Hz)"] = refs[1] * 1.006
    assert not check(sweep, table).passed
    ou = load_sweep("lif_ou_rate")
    point = ou.points(["nest"])[-1]  # mean 0.35 nA, sigma 0.4 nA
    mu, sigma = ou_to_diffusion(0.35, 0.4, tau_s_ms=1.0, cm_nF=0.25, tau_m_ms=20.0)
    assert reference_value("siegert_rate", point.model, ou.measures[0]) == pytest.approx(
        float(siegert_rate(mu, sigma, tau_s_ms=1.0, **LIF)), rel=1e-12)


def test_steady_rate_is_the_late_rate_and_zero_without_sustained_firing():
    import neo

    from mnsim.analysis import measure

    def block(*trains, t_stop=510.0):
        seg = neo.Segment()
        for i, times in enumerate(trains):
            seg.spiketrains.append(neo.SpikeTrain(times, t_stop=t_stop, units="ms",
                                                  population="p", index=i))
        b = neo.Block()
        b.segments.append(seg)
        return b

    regular = np.arange(15.0, 510.0, 20.0)  # 50 Hz from 15 ms
    accelerating = np.concatenate([[12.0, 40.0, 60.0], np.arange(80.0, 510.0, 10.0)])
    b = block(regular, accelerating, [12.0, 31.0, 50.0, 71.0], [280.0, 380.0], [])
    rates = measure("steady_rate", b, "p")
    assert rates == pytest.approx([50.0, 100.0, 0.0, 10.0, 0.0])
    # the window's second half: 260-510 ms of [10 ms, 510 ms], 305-510 ms of [100 ms, 510 ms]
    assert measure("steady_rate", b, "p", (10.0, 510.0))[3] == pytest.approx(10.0)
    assert measure("steady_rate", b, "p", (100.0, 510.0))[3] == 0.0  # one spike left
