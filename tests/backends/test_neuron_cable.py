"""Multicompartment cells on NEURON, through ``mnsim.run``, against numbers from theory: a
passive compartment and a sealed-end cable (analytic), a double-exponential synapse (an ODE
solved here with scipy), the geometry NEURON builds from a reconstruction. The Rallpacks and
Hodgkin & Huxley's conduction velocity are the shipped models rallpack1/2/3 and
hh_axon_velocity (tests/models)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mnsim

pytestmark = pytest.mark.requires_neuron


def run(cell: dict, stimuli: dict, record: dict, duration: str, dt: str,
        temperature: str | None = None, pop: str = "cell"):
    """Run a one-cell model on NEURON; return (block, v array (samples, locations))."""
    sim = {"duration": duration, "dt": dt}
    if temperature is not None:
        sim["temperature"] = temperature
    model = mnsim.load({"name": "cable_test", "simulation": sim,
                        "populations": {pop: {"size": 1, "cell": cell}},
                        "stimuli": stimuli, "record": {pop: record}})
    block = mnsim.run(model, backend="neuron")
    sig = [s for s in block.segments[0].analogsignals if s.name == f"{pop}.v"]
    return block, (np.asarray(sig[0].magnitude) if sig else None)


def geometry(block, pop: str = "cell") -> dict[str, float]:
    prefix = f"geometry.{pop}."
    return {k[len(prefix):]: v for k, v in block.annotations.items() if k.startswith(prefix)}


def passive(g: float = 1e-4, e: float = -70.0, ra: float = 150.0) -> dict:
    return {"all": {"cm": "1 uF/cm2", "Ra": f"{ra} ohm*cm",
                    "mechanisms": {"pas": {"g": f"{g} S/cm2", "e": f"{e} mV"}}}}


# -- analytic passive cells --------------------------------------------------------------------
def test_passive_compartment_steady_state_and_time_constant():
    """L = diam = 10 um, g_pas 1e-4 S/cm2: R_in = 1 / (g area) = 3183.1 MOhm, tau = 10 ms;
    -4 pA from 50 ms: v -> -70 - 4 pA * 3183.1 MOhm = -82.732 mV."""
    cell = {"type": "multicompartment", "sections": {"soma": {"length": "10 um",
                                                              "diam": "10 um"}},
            "regions": passive(), "initial": {"v": "-70 mV"}}
    stim = {"step": {"type": "step_current", "target": "cell", "amplitude": "-4 pA",
                     "start": "50 ms", "stop": "250 ms"}}
    block, v = run(cell, stim, {"variables": ["v"]}, "250 ms", "0.025 ms")
    area_cm2 = math.pi * 10e-4 * 10e-4
    r_in = 1 / (1e-4 * area_cm2)  # ohm
    dv = -4e-12 * r_in * 1e3  # mV
    t = np.arange(v.shape[0]) * 0.025
    assert r_in / 1e6 == pytest.approx(3183.1, abs=0.05)
    assert v[t < 50, 0] == pytest.approx(-70.0, abs=1e-9)
    assert v[-1, 0] == pytest.approx(-70 + dv, abs=1e-4)  # -82.732 mV (20 tau later)
    assert v[-1, 0] == pytest.approx(-82.73, abs=0.005)
    i_tau = np.searchsorted(t, 60.0)  # one tau after the onset
    assert (v[i_tau, 0] + 70) / dv == pytest.approx(1 - math.exp(-1), abs=1e-5)
    geo = geometry(block)
    assert geo["area_um2"] == pytest.approx(100 * math.pi, rel=1e-12)
    assert geo["length_um"] == pytest.approx(10.0, rel=1e-12)
    assert geo["compartments"] == 1


def test_sealed_end_cable_input_resistance_and_attenuation():
    """d = 1 um, L = 300 um, Ri 150 ohm cm, Rm 1e4 ohm cm2, 20 pA at x = 0:
    lambda = sqrt(Rm d / 4 Ri) = 408.25 um, V(x) = I r_a lambda cosh((L - x) / lambda) /
    sinh(L / lambda), so R_in = 1245.5 MOhm, V0 = 24.91 mV, V(L) / V0 = 0.7798. NEURON reports
    ``cable(0)`` and ``cable(1)`` at the middle of the end segments (0.5 um in: 0.08 % less
    than V(0)); there it agrees with V(x) within 1e-5."""
    cell = {"type": "multicompartment",
            "sections": {"cable": {"length": "300 um", "diam": "1 um"}},
            "discretization": {"max_length": "1 um"}, "regions": passive(),
            "initial": {"v": "-70 mV"}}
    stim = {"inject": {"type": "step_current", "target": "cell", "amplitude": "20 pA",
                       "start": "10 ms", "location": "cable(0)"}}
    block, v = run(cell, stim, {"variables": ["v"], "locations": ["cable(0)", "cable(1)"]},
                   "250 ms", "0.025 ms")
    d_cm, l_cm = 1e-4, 300e-4
    lam = math.sqrt(1e4 * d_cm / (4 * 150))  # cm
    r_a = 4 * 150 / (math.pi * d_cm**2)  # ohm / cm

    def exact_mV(x_um: float) -> float:
        return 20e-12 * r_a * lam * math.cosh((l_cm - x_um * 1e-4) / lam) / math.sinh(
            l_cm / lam) * 1e3

    assert lam * 1e4 == pytest.approx(408.25, abs=0.005)
    assert exact_mV(0) / 20e-12 / 1e9 == pytest.approx(1245.5, abs=0.05)  # R_in, MOhm
    assert exact_mV(300) / exact_mV(0) == pytest.approx(0.7798, abs=5e-5)
    v0, vl = v[-1] + 70
    # the ends are read by extrapolating the two nearest segment centres (0.5 and 1.5 um in)
    assert v0 == pytest.approx(exact_mV(0), rel=1e-4)
    assert vl == pytest.approx(exact_mV(300), rel=1e-4)
    assert v0 == pytest.approx(24.91, rel=1e-3)  # V0 = 24.91 mV
    assert v0 / 20e-12 / 1e9 == pytest.approx(1245.5, rel=1e-3)  # R_in in MOhm (mV / pA)
    assert vl / v0 == pytest.approx(0.7798, rel=1e-3)
    assert geometry(block)["compartments"] == 300


# -- synapses, spikes, parameters ------------------------------------------------------------
def test_exp2syn_epsp_matches_the_ode():
    """A spike at 10 ms through a 1 ms delay onto an Exp2Syn (tau1 0.5 ms, tau2 2 ms, e 0 mV,
    weight 0.001 uS = 1 nS peak) of a passive compartment: v against the ODE
    C dv/dt = -gL (v - EL) - g(t) (v - E), solved with scipy. NEURON's Exp2Syn acts half a
    step late (its conductance is updated after v in each step): v is the ODE's solution for
    an onset dt / 2 after the event, to second order; the peak is the same."""
    from scipy.integrate import solve_ivp

    cell = {"type": "multicompartment", "sections": {"soma": {"length": "10 um",
                                                              "diam": "10 um"}},
            "regions": passive(), "initial": {"v": "-70 mV"},
            "synapses": {"syn": {"type": "exp2syn", "location": "soma(0.5)", "tau1": "0.5 ms",
                                 "tau2": "2 ms", "e": "0 mV"}}}
    stim = {"epsp": {"type": "spike_times", "target": "cell", "times": ["10 ms"],
                     "receptor": "syn", "synapse": {"weight": "0.001 uS", "delay": "1 ms"}}}
    dt = 0.025
    _, v = run(cell, stim, {"variables": ["v"]}, "60 ms", f"{dt} ms")
    area_cm2 = math.pi * 1e-3 * 1e-3
    c_pF, gl_nS = 1e-6 * area_cm2 * 1e12, 1e-4 * area_cm2 * 1e9
    tau1, tau2 = 0.5, 2.0
    tp = tau1 * tau2 / (tau2 - tau1) * math.log(tau2 / tau1)
    factor = 1 / (math.exp(-tp / tau2) - math.exp(-tp / tau1))
    t = np.arange(v.shape[0]) * dt

    def exact(onset: float) -> np.ndarray:
        def dv(time, y):
            s = max(time - onset, 0.0)
            g = 1.0 * factor * (math.exp(-s / tau2) - math.exp(-s / tau1))  # nS
            return [(-gl_nS * (y[0] + 70) - g * (y[0] - 0.0)) / c_pF]  # pA / pF = mV / ms

        after = t >= onset
        sol = solve_ivp(dv, (onset, 60.0), [-70.0], t_eval=t[after], rtol=1e-10, atol=1e-12,
                        max_step=0.01)
        return np.concatenate([np.full((~after).sum(), -70.0), sol.y[0]])

    on_time, half_late = exact(11.0), exact(11.0 + dt / 2)
    assert on_time.max() + 70 == pytest.approx(32.36, abs=0.01)  # a large EPSP
    assert v[:, 0].max() == pytest.approx(on_time.max(), abs=2e-3)
    assert np.abs(v[:, 0] - half_late).max() < 0.01
    slope = np.abs(np.diff(on_time)).max() / dt
    assert np.abs(v[:, 0] - on_time).max() < 1.05 * slope * dt / 2


def test_spikes_at_the_end_of_the_crossing_step():
    """hh soma with a step: each spike time is the end of the step during which v at the
    spike location crossed the threshold upwards (the backend contract, as HH_squid)."""
    cell = {"type": "multicompartment",
            "sections": {"soma": {"length": "20 um", "diam": "20 um"},
                         "dend": {"length": "200 um", "diam": "1 um", "parent": "soma(1)"}},
            "regions": {"all": {"mechanisms": {"pas": {"g": "1e-4 S/cm2", "e": "-65 mV"}}},
                        "soma": {"mechanisms": {"hh": {}}}},
            "spike": {"location": "soma(0.5)", "threshold": "-10 mV"}}
    stim = {"step": {"type": "step_current", "target": "cell", "amplitude": "0.3 nA",
                     "start": "5 ms", "stop": "45 ms"}}
    block, v = run(cell, stim, {"variables": ["v", "spikes"]}, "50 ms", "0.025 ms")
    times = np.asarray(block.segments[0].spiketrains[0].magnitude)
    k = np.flatnonzero((v[:-1, 0] < -10) & (v[1:, 0] >= -10))
    assert times.size >= 3
    np.testing.assert_allclose(times, (k + 1) * 0.025, atol=1e-9)


def test_segment_values_follow_the_rules():
    """Every segment gets cm and its mechanisms' parameters from ``CableCell.values`` at its
    centre (a gradient; hh's ena/ek as the ions' reversal potentials), and mechanisms only
    where the regions put them."""
    from mnsim.backends.neuron.backend import NeuronBackend

    model = mnsim.load({
        "name": "gradient", "simulation": {"duration": "1 ms", "dt": "0.025 ms"},
        "populations": {"cell": {"size": 1, "cell": {
            "type": "multicompartment",
            "sections": {"soma": {"length": "20 um", "diam": "20 um"},
                         "dend": {"length": "800 um", "diam": ["3 um", "1 um"],
                                  "parent": "soma(1)"}},
            "discretization": {"max_length": "20 um"},
            "regions": {"all": {"cm": "1 uF/cm2", "Ra": "150 ohm*cm",
                                "mechanisms": {"pas": {"g": "1e-4 S/cm2", "e": "-70 mV"}}},
                        "dend": {"cm": "2 uF/cm2", "mechanisms": {"hh": {
                            "ena": "60 mV", "gnabar": {"linear": {
                                "start": "0.12 S/cm2", "end": "0.02 S/cm2",
                                "from": "110 um", "to": "610 um"}}}}}}}}},
        "record": {"cell": {"variables": ["v"]}}})
    backend = NeuronBackend()
    backend._build(model)
    cable = backend._net.cables["cell"]
    cell = model.populations["cell"].cell
    soma, dend = cable.sections
    assert not hasattr(soma(0.5), "gnabar_hh") and dend.nseg == cell.nseg(1) == 40
    x = (np.arange(dend.nseg) + 0.5) / dend.nseg
    want = cell.values(1, x)
    got = np.array([seg.gnabar_hh for seg in dend])
    np.testing.assert_allclose(got, want.mechanisms["hh"]["gnabar"], rtol=1e-12)
    assert got.max() == pytest.approx(0.12) and got.min() == pytest.approx(0.02)
    assert [seg.ena for seg in dend] == [60.0] * dend.nseg
    assert [seg.ek for seg in dend] == [-77.0] * dend.nseg
    assert [seg.cm for seg in dend] == [2.0] * dend.nseg and soma.cm == 1.0
    assert dend.Ra == 150.0 and dend.parentseg().x == 1.0
    assert all(seg.g_pas == 1e-4 for seg in dend)


# -- geometry of a reconstruction --------------------------------------------------------------
def test_reconstruction_geometry_matches_the_morphology():
    """The shipped granule cell: NEURON's total area and length (its own ``seg.area()`` and
    ``L`` from the 3-D points) equal the Morphology's."""
    morph = mnsim.load_morphology("mp_ma_40984_gc2.CNG.swc")
    cell = {"type": "multicompartment", "morphology": "mp_ma_40984_gc2.CNG.swc",
            "regions": {"all": {"mechanisms": {"pas": {}}}}}
    block, _ = run(cell, {}, {"variables": ["v"]}, "0.1 ms", "0.025 ms")
    geo = geometry(block)
    assert geo["area_um2"] == pytest.approx(morph.area_um2(), rel=1e-6)
    assert geo["length_um"] == pytest.approx(morph.length_um(), rel=1e-6)
