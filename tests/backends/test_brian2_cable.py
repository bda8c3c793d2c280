"""Multicompartment cells on Brian2 (backends/brian2/cable.py) against numbers from theory:
an isopotential compartment, a sealed-end cable, per-section Ra, Exp2Syn's conductance. The
Rallpacks and the Hodgkin-Huxley squid axon's conduction velocity are the shipped models
rallpack1/2/3 and hh_axon_velocity (tests/models).

Every cable cell runs the same generated code (one equation template, fixed names), so the
file compiles it once (20-60 s cold, cached under ~/.cython); each model then builds in well
under a second.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mnsim
from mnsim.morphology.model import Morphology, Section
from mnsim.results import signal, spiketrains
from mnsim.spec.cable import CableCell, Discretization, Location, Region

pytestmark = pytest.mark.requires_brian2


def _cell(sections, regions, **extra):
    return {"type": "multicompartment", "sections": sections, "regions": regions, **extra}


def _model(cell, duration, dt, stimuli=None, record=None, temperature=None):
    sim = {"duration": f"{duration} ms", "dt": f"{dt} ms"}
    if temperature is not None:
        sim["temperature"] = f"{temperature} degC"
    return mnsim.load({"name": "cable", "simulation": sim,
                       "populations": {"cell": {"size": 1, "cell": cell}},
                       "stimuli": stimuli or {},
                       "record": record or {"cell": {"variables": ["v"]}}})


def _v(block):
    return signal(block, "cell", "v").magnitude


def _built(model):
    """The Brian2 backend after building ``model`` (its cable cell in ``_cables``)."""
    from mnsim.backends.brian2.backend import Brian2Backend

    backend = Brian2Backend()
    backend.check(model)
    backend._build(model)
    return backend


def _passive(g="1e-4 S/cm2", e="-70 mV", Ra="150 ohm*cm"):
    return {"all": {"cm": "1 uF/cm2", "Ra": Ra, "mechanisms": {"pas": {"g": g, "e": e}}}}


def _step(amplitude, location, start="0 ms", stop=None):
    stim = {"type": "step_current", "target": "cell", "amplitude": amplitude, "start": start,
            "location": location}
    if stop is not None:
        stim["stop"] = stop
    return stim


# -- layout: Brian2 sections from mnsim sections ------------------------------------------------
def _ball_and_stick() -> CableCell:
    def cyl(name, type_, start, length, d, parent=None, x=1.0):
        pts = np.array([start, np.add(start, [length, 0.0, 0.0])], dtype=float)
        return Section(name, type_, pts, np.array([d, d], dtype=float), parent, x)

    sections = (cyl("soma", "soma", [0, 0, 0], 20.0, 20.0),
                cyl("dend", "basal", [10, 0, 0], 200.0, 2.0, 0, 0.5),
                cyl("axon", "axon", [10, 0, 0], 300.0, 1.0, 0, 0.5),
                cyl("tuft", "basal", [10, 0, 0], 100.0, 1.0, 1, 0.0),  # at dend(0) = soma(0.5)
                cyl("side", "basal", [70, 0, 0], 50.0, 1.0, 1, 0.3),
                cyl("back", "custom", [0, 0, 0], 50.0, 1.0, 0, 0.0))  # at soma(0)
    every = frozenset(range(len(sections)))
    return CableCell(Morphology(sections), Discretization(max_length_um=40.0),
                     (Region("all", every, mechanisms={"pas": {}}),))


def test_layout_cuts_sections_where_children_attach():
    from mnsim.backends.brian2.cable_layout import layout

    cell = _ball_and_stick()
    lay = layout(cell)
    # soma(0) holds a child, so Brian2's sealed root is the soma's 1 end, built reversed;
    # the soma is cut at 0.5 (dend, axon), dend at 0.3 (side)
    spans = [(p.section, p.x0, p.x1, p.reverse, p.parent) for p in lay.pieces]
    assert spans[0] == (0, 0.5, 1.0, True, -1)
    assert (0, 0.0, 0.5, True, 0) in spans
    assert {(s, x0, x1) for s, x0, x1, _, _ in spans} >= {(1, 0.0, 0.3), (1, 0.3, 1.0)}
    # the tuft (dend(0)) and the axon hang from the soma's middle, the end of piece 0
    assert {s for s, *_, parent in spans if parent == 0} >= {1, 2, 3}
    assert lay.area_um2.sum() == pytest.approx(cell.morphology.area_um2(), rel=1e-12)
    assert lay.length_um.sum() == pytest.approx(cell.morphology.length_um(), rel=1e-12)
    # no compartment longer than NEURON's segment; a 2-point cylinder gets nseg of them
    for i, sec in enumerate(cell.morphology.sections):
        idx = lay.section == i
        assert np.all(lay.length_um[idx] <= sec.length_um / cell.nseg(i) + 1e-9)
    axon = lay.section == 2
    assert axon.sum() == cell.nseg(2) and np.allclose(lay.length_um[axon], 300.0 / cell.nseg(2))
    # soma(0.5) sits between the two soma halves (cut for the neurites inside NEURON's one
    # soma segment, whose node is there): v is their mean
    assert cell.nseg(0) == 1
    pairs = lay.reading(Location(0, 0.5, "soma(0.5)"))
    assert sorted(w for _, w in pairs) == pytest.approx([0.5, 0.5])
    assert lay.section[lay.containing(Location(4, 0.5, "side(0.5)"))] == 4
    # v(x) as NEURON reads it: inside a compartment its node, at an end the extrapolated end
    inside = lay.reading(Location(2, 0.37, "axon(0.37)"))
    assert len(inside) == 1 and inside[0][0] == lay.containing(Location(2, 0.37, ""))
    end = lay.reading(Location(2, 1.0, "axon(1)"))
    assert sorted(w for _, w in end) == pytest.approx([-0.5, 1.5])
    # on a boundary between segments (axon: 8 of 37.5 um), the one above, as NEURON's sec(x)
    assert cell.nseg(2) == 8 and cell.nseg(1) == 5
    for i, x, node in ((2, 0.5, 0.5625), (2, 0.125, 0.1875), (2, 0.0, 0.0625),
                       (2, 1.0, 0.9375)):
        k = lay.containing(Location(i, x, ""))
        assert (lay.section[k], lay.centre[k]) == (i, pytest.approx(node)), (i, x)
        if 0 < x < 1:
            assert lay.reading(Location(i, x, "")) == ((k, 1.0),)
    # dend is cut at 0.3 for side, inside NEURON's segment [0.2, 0.4]: the junction there,
    # linear between the nodes beside it (30 um compartments below, 35 um above)
    pairs = lay.reading(Location(1, 0.3, ""))
    assert [lay.centre[k] for k, _ in pairs] == pytest.approx([0.225, 0.3875])
    assert [w for _, w in pairs] == pytest.approx([7 / 13, 6 / 13])


def test_layout_keeps_the_area_of_a_repeated_point():
    from mnsim.backends.brian2.cable_layout import layout

    # a diameter step at a repeated point: a zero-length frustum (an annulus) Brian2 cannot hold
    pts = np.array([[0, 0, 0], [10, 0, 0], [10, 0, 0], [30, 0, 0]], dtype=float)
    sec = Section("dend", "basal", pts, np.array([4.0, 4.0, 2.0, 2.0]))
    cell = CableCell(Morphology((sec,), soma=None), Discretization(max_length_um=5.0),
                     (Region("all", frozenset({0}), mechanisms={"pas": {}}),))
    lay = layout(cell)
    assert lay.area_um2.sum() == pytest.approx(cell.morphology.area_um2(), rel=1e-12)
    assert lay.length_um.sum() == pytest.approx(30.0, rel=1e-12)
    assert np.all(lay.length_um > 0)


# -- (a) one isopotential compartment -----------------------------------------------------------
def test_one_compartment_input_resistance_and_time_constant():
    # L = diam = 10 um: area 314.16 um2, R = 1/(1e-4 S/cm2 * area) = 3183 MOhm, tau = 10 ms
    cell = _cell({"soma": {"length": "10 um", "diam": "10 um"}}, _passive(),
                 initial={"v": "-70 mV"})
    model = _model(cell, 100, 0.025, {"step": _step("-4 pA", "soma(0.5)")})
    block = mnsim.run(model, backend="brian2")
    v = _v(block)[:, 0]
    area_cm2 = math.pi * 10e-4 * 10e-4
    r_mohm = 1.0 / (1e-4 * area_cm2) / 1e6
    assert r_mohm == pytest.approx(3183.1, rel=1e-4)
    assert v[-1] == pytest.approx(-70.0 - 4e-3 * r_mohm, abs=1e-3)  # -82.73 mV
    assert -70.0 - 4e-3 * r_mohm == pytest.approx(-82.73, abs=0.005)
    k = round(10.0 / 0.025)  # one time constant: 1 - 1/e of the way
    assert v[k] == pytest.approx(-70.0 - 4e-3 * r_mohm * (1 - math.exp(-1.0)), abs=1e-3)
    ann = block.annotations
    assert ann["geometry.cell.area_um2"] == pytest.approx(100 * math.pi, rel=1e-12)
    assert ann["geometry.cell.length_um"] == pytest.approx(10.0, rel=1e-12)
    assert ann["geometry.cell.compartments"] == 1


# -- (b) a sealed-end cable ---------------------------------------------------------------------
def _cable_theory(length_um, diam_um, ri, g):
    """Input resistance (MOhm), electrotonic length of a sealed-end cylinder."""
    lam = math.sqrt(diam_um * 1e-4 / (4 * ri * g))  # cm
    r_inf = 4 * ri * lam / (math.pi * (diam_um * 1e-4) ** 2)  # ohm
    return r_inf / math.tanh(length_um * 1e-4 / lam) / 1e6, length_um * 1e-4 / lam, r_inf / 1e6


def test_sealed_end_cable_input_resistance_and_attenuation():
    # d = 1 um, Ri 150 ohm cm, g 1e-4 S/cm2: lambda = 408.2 um, L/lambda = 0.7348
    cell = _cell({"cable": {"length": "300 um", "diam": "1 um"}}, _passive(),
                 discretization={"max_length": "1 um"}, initial={"v": "-70 mV"})
    model = _model(cell, 150, 0.025, {"step": _step("20 pA", "cable(0)")},
                   {"cell": {"variables": ["v"], "locations": ["cable(0)", "cable(1)"]}})
    v = _v(mnsim.run(model, backend="brian2"))[-1] + 70.0
    r_in, el, _ = _cable_theory(300.0, 1.0, 150.0, 1e-4)
    assert r_in == pytest.approx(1245.5, abs=0.1)
    assert 0.02 * r_in == pytest.approx(24.91, abs=0.005)
    assert 1 / math.cosh(el) == pytest.approx(0.7798, abs=1e-4)
    assert v[0] == pytest.approx(0.02 * r_in, rel=5e-4)  # 24.91 mV
    assert v[1] / v[0] == pytest.approx(1 / math.cosh(el), rel=5e-4)  # 0.7798


def test_axial_resistivity_per_section():
    # Brian2 has one Ri per neuron; the sections' own Ra enter through r_length. Two cables
    # in a row, Ra 150 then 600 ohm cm: the input resistance of the first loaded by the second
    sections = {"a": {"length": "200 um", "diam": "1 um", "type": "custom"},
                "b": {"length": "200 um", "diam": "1 um", "parent": "a(1)"}}
    regions = _passive() | {"b": {"Ra": "600 ohm*cm"}}
    cell = _cell(sections, regions, discretization={"max_length": "1 um"},
                 initial={"v": "-70 mV"})
    model = _model(cell, 150, 0.025, {"step": _step("20 pA", "a(0)")},
                   {"cell": {"variables": ["v"], "locations": ["a(0)"]}})
    v = _v(mnsim.run(model, backend="brian2"))[-1, 0] + 70.0
    r_b, _, _ = _cable_theory(200.0, 1.0, 600.0, 1e-4)
    _, el_a, r_inf_a = _cable_theory(200.0, 1.0, 150.0, 1e-4)
    t = math.tanh(el_a)
    r_in = r_inf_a * (r_b + r_inf_a * t) / (r_inf_a + r_b * t)
    assert v == pytest.approx(0.02 * r_in, rel=1e-3)
    assert abs(v / (0.02 * _cable_theory(400.0, 1.0, 150.0, 1e-4)[0]) - 1) > 0.02  # not one Ra


# -- (c) geometry: what Brian2 builds is the morphology -------------------------------------
def _geometry_check(model):
    backend = _built(model)
    built = backend._cables["cell"]
    morph = model.populations["cell"].cell.morphology
    flat = built.neuron.flat_morphology  # Brian2's own formulas on the Sections we gave
    assert np.allclose(flat.area * 1e12, built.layout.area_um2, rtol=1e-9, atol=0)
    assert np.allclose(flat.length * 1e6, built.layout.length_um, rtol=1e-9, atol=0)
    geo = built.geometry
    assert geo["area_um2"] == pytest.approx(morph.area_um2(), rel=1e-6)
    assert geo["length_um"] == pytest.approx(morph.length_um(), rel=1e-6)
    assert geo["compartments"] == built.layout.n >= sum(
        model.populations["cell"].cell.nseg(i) for i in range(len(morph.sections)))


def test_geometry_of_a_reconstructed_cell():
    cell = {"type": "multicompartment", "morphology": "mp_ma_40984_gc2.CNG.swc",
            "regions": _passive()}
    _geometry_check(_model(cell, 1, 0.025))


def test_geometry_of_a_ball_and_stick_with_neurites_at_the_soma_middle():
    sections = {"soma": {"length": "20 um", "diam": "20 um"},
                "dend": {"length": "300 um", "diam": ["3 um", "1 um"], "parent": "soma(0.5)",
                         "type": "basal"},
                "axon": {"length": "500 um", "diam": "1 um", "parent": "soma(0.5)"}}
    _geometry_check(_model(_cell(sections, _passive()), 1, 0.025))


# -- Exp2Syn and spikes ---------------------------------------------------------------------
def test_exp2syn_conductance_and_delay():
    # a tiny conductance onto an isopotential passive compartment: v - e_pas is the
    # membrane's filter of w factor (exp(-t/tau2) - exp(-t/tau1)) (e_syn - e_pas), peak w
    tau1, tau2, tau_m, w = 0.5, 2.0, 10.0, 1e-6  # ms, ms, ms, uS
    cell = _cell({"soma": {"length": "10 um", "diam": "10 um"}}, _passive(),
                 initial={"v": "-70 mV"},
                 synapses={"s": {"type": "exp2syn", "location": "soma(0.5)", "tau1": "0.5 ms",
                                 "tau2": "2 ms", "e": "0 mV"}})
    dt = 0.025
    model = _model(cell, 40, dt, {"in": {"type": "spike_times", "target": "cell",
                                         "times": ["10 ms"], "receptor": "s",
                                         "synapse": {"weight": f"{w} uS", "delay": "1 ms"}}})
    v = _v(mnsim.run(model, backend="brian2"))[:, 0] + 70.0
    t = np.arange(v.size) * dt
    r_mohm = 1.0 / (1e-4 * math.pi * 1e-6) / 1e6
    tp = tau1 * tau2 / (tau2 - tau1) * math.log(tau2 / tau1)
    factor = 1 / (math.exp(-tp / tau2) - math.exp(-tp / tau1))
    s = np.clip(t - 11.0, 0.0, None)  # the conductance starts at 10 ms + delay

    def filtered(tau):
        return (np.exp(-s / tau) - np.exp(-s / tau_m)) / (1 / tau_m - 1 / tau)

    theory = w * 1e-6 * factor * 70.0 * r_mohm * 1e6 / tau_m * (filtered(tau2) - filtered(tau1))
    assert np.all(np.abs(v[t <= 11.0 + 1e-9]) < 1e-8)  # nothing before the delay has passed
    assert v.max() == pytest.approx(theory.max(), rel=2e-3)
    assert abs(t[np.argmax(v)] - t[np.argmax(theory)]) <= dt + 1e-9
    assert np.max(np.abs(v - theory)) < 0.03 * theory.max()


def test_spike_at_the_end_of_the_step_that_crossed_the_threshold():
    cell = _cell({"soma": {"length": "20 um", "diam": "20 um"}},
                 {"all": {"mechanisms": {"hh": {}}}})
    model = _model(cell, 40, 0.025, {"step": _step("0.1 nA", "soma(0.5)", "5 ms", "30 ms")},
                   {"cell": {"variables": ["spikes", "v"]}})
    block = mnsim.run(model, backend="brian2")
    v = _v(block)[:, 0]
    spikes = np.asarray(spiketrains(block, "cell")[0].magnitude)
    crossed = np.flatnonzero((v[:-1] <= 0.0) & (v[1:] > 0.0)) + 1  # first sample above 0 mV
    assert spikes.size >= 2
    assert spikes == pytest.approx(crossed * 0.025, abs=1e-9)


# -- (e) the squid axon's conduction velocity ---------------------------------------------
