"""Multicompartment cells in the spec (no simulator): inline geometry, locations, regions,
gradients, discretization, the errors of each bad input, and the model hash."""

import math
import textwrap

import numpy as np
import pytest

from mnsim.errors import MorphologyError, SpecError, UnitError
from mnsim.morphology.inline import InlineSection, inline_morphology
from mnsim.spec import load
from mnsim.spec.cable import CableCell, on_segment_boundary, segment_index
from mnsim.spec.locations import path_distance_um
from mnsim.spec.memory import estimate_bytes
from mnsim.spec.model import receptors_of

GOOD = """\
name: cable
simulation: {duration: 100 ms, dt: 0.025 ms}
populations:
  cell:
    size: 1
    cell:
      type: multicompartment
      sections:
        soma: {length: 20 um, diam: 20 um}
        dend: {length: 1520 um, diam: 2 um, parent: soma(1)}
        apic: {length: 500 um, diam: [2 um, 1 um], parent: soma(0), type: apical}
      regions:
        all: {cm: 1 uF/cm2, Ra: 150 ohm*cm, mechanisms: {pas: {g: 1e-4 S/cm2, e: -70 mV}}}
        soma: {mechanisms: {hh: {}}}
        hot:
          where: {type: apical, distance: [300 um, null]}
          mechanisms:
            hh: {gnabar: {linear: {start: 0.12 S/cm2, end: 0.02 S/cm2, from: 300 um,
                                   to: 800 um}}}
      spike: {location: soma(0.5), threshold: -10 mV}
      synapses:
        distal: {type: exp2syn, location: dend(0.9), tau1: 0.5 ms, tau2: 2 ms, e: 0 mV}
stimuli:
  step: {type: step_current, target: cell, amplitude: 0.1 nA, start: 10 ms, stop: 60 ms,
         location: soma(0.5)}
  epsp: {type: spike_times, target: cell, times: [70 ms], receptor: distal,
         synapse: {weight: 0.002 uS, delay: 0.1 ms}}
record:
  cell:
    variables: [spikes, v]
    locations: [soma(0.5), dend(0.9), {type: apical, distance: 400 um}]
expect:
  - {measure: input_resistance, population: cell, location: soma(0.5), value: 100 MOhm,
     tolerance: 1 %}
"""


def load_text(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text))
    return load(path)


def error(tmp_path, old, new, cls=SpecError):
    text = GOOD.replace(old, new)
    assert text != GOOD, "the test's replacement did not apply"
    with pytest.raises(cls) as err:
        load_text(tmp_path, text)
    e = err.value
    assert str(e).startswith(f"{tmp_path / 'model.yaml'}:{e.line}: {e.field}: ")
    return e


def line_of(snippet, text=GOOD):
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


@pytest.fixture
def model(tmp_path):
    return load_text(tmp_path, GOOD)


# -- inline geometry ---------------------------------------------------------------------------

def test_inline_geometry(model):
    cell = model.populations["cell"].cell
    assert isinstance(cell, CableCell) and cell.type == "multicompartment"
    morph = cell.morphology
    assert [s.name for s in morph.sections] == ["soma", "dend", "apic"]
    assert [s.type for s in morph.sections] == ["soma", "custom", "apical"]
    assert [s.parent for s in morph.sections] == [None, 0, 0]
    assert [s.parent_x for s in morph.sections] == [1.0, 1.0, 0.0]
    assert morph.soma == 0 and morph.soma_kind == "inline" and morph.source == "<inline>"
    assert morph.length_um() == pytest.approx(2040.0)
    taper = math.pi * (1.0 + 0.5) * math.sqrt(500.0**2 + 0.5**2)  # a frustum, with slant
    assert morph.area_um2() == pytest.approx(math.pi * 20 * 20 + math.pi * 2 * 1520 + taper)
    # laid out along x; a child starts at its parent's point at parent_x
    np.testing.assert_allclose(morph.sections[1].points_um, [[20, 0, 0], [1540, 0, 0]])
    np.testing.assert_allclose(morph.sections[2].points_um, [[0, 0, 0], [500, 0, 0]])
    np.testing.assert_allclose(morph.sections[2].diam_um, [2.0, 1.0])
    # path distances from soma(0.5)
    assert float(morph.distance_um(1, 0.5)) == pytest.approx(10 + 760)
    assert float(morph.distance_um(2, 1.0)) == pytest.approx(10 + 500)


def test_inline_without_soma_and_default_parent():
    morph = inline_morphology([InlineSection("axon", 100.0, (1.0, 1.0)),
                               InlineSection("a2", 50.0, (1.0, 1.0)),
                               InlineSection("a3", 50.0, (1.0, 1.0), "axon", 0.5)])
    assert morph.soma is None and [s.type for s in morph.sections] == ["axon", "custom",
                                                                       "custom"]
    assert morph.sections[1].parent == 0 and morph.sections[1].parent_x == 1.0
    assert float(morph.distance_um(0, 0.0)) == 0.0  # from the root's start
    assert float(morph.distance_um(2, 1.0)) == pytest.approx(100.0)


@pytest.mark.parametrize("sections, message", [
    ([InlineSection("a", 1.0, (1.0, 1.0), "b")], "the first section is the root"),
    ([InlineSection("a", 1.0, (1.0, 1.0)), InlineSection("b", 1.0, (1.0, 1.0), "c")],
     "unknown parent 'c'"),
    ([InlineSection("a", 1.0, (1.0, 1.0)), InlineSection("b", 1.0, (1.0, 1.0), "c"),
      InlineSection("c", 1.0, (1.0, 1.0))], "its parent 'c' comes after it"),
    ([InlineSection("a", 1.0, (1.0, 1.0)), InlineSection("soma", 1.0, (1.0, 1.0))],
     "only the first section (the root) can be the soma"),
    ([InlineSection("a", 0.0, (1.0, 1.0))], "the length must be above zero"),
])
def test_inline_errors(sections, message):
    with pytest.raises(MorphologyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inline_morphology(sections)


# -- locations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written, section, x", [
    ("dend(0.3)", 1, 0.3), ("dend", 1, 0.5), (2, 2, 0.5), ("{section: dend, x: 0.25}", 1, 0.25),
    ("{section: 1}", 1, 0.5), ("'apic(1)'", 2, 1.0),
    ("{type: apical, distance: 400 um}", 2, 0.78),   # 10 um of soma, then 390 of 500 um
    ("{type: apical, distance: 10 um}", 2, 0.0),     # where apic leaves the soma: on apic
    ("{type: custom, distance: 10 um}", 1, 0.0),
    ("{type: soma, distance: 0 um}", 0, 0.5),
    ("{type: soma, distance: 5 um}", 0, 0.75),
])
def test_location_forms(tmp_path, written, section, x):
    m = load_text(tmp_path, GOOD.replace("location: dend(0.9), tau1", f"location: {written}, "
                                                                      f"tau1"))
    loc = m.populations["cell"].cell.synapses["distal"].location
    assert (loc.section, loc.x) == (section, pytest.approx(x))


def test_location_labels_as_written(model):
    labels = [loc.label for loc in model.record["cell"].locations]
    assert labels == ["soma(0.5)", "dend(0.9)", "{type: apical, distance: 400 um}"]


@pytest.mark.parametrize("new, message", [
    ("dnd(0.9)", "no section named 'dnd' (did you mean 'dend'?); sections: soma, dend, apic"),
    ("dend(1.5)", "x is the fraction of the section's length from its start (0) to its end (1);"
                  " got 1.5"),
    ("7", "section index 7 does not exist: the cell has 3 sections (0 to 2)"),
    ("{type: apical, distance: 600 um}", "no apical point is 600 um from the soma: the apical "
                                         "sections cover 10 to 510 um; give a distance there"),
    # the soma's points (0 to 10 um) are not of the type asked for
    ("{type: apical, distance: 5 um}", "no apical point is 5 um from the soma: the apical "
                                       "sections cover 10 to 510 um"),
    ("{type: custom, distance: 5 um}", "no custom point is 5 um from the soma: the custom "
                                       "sections cover 10 to 1530 um"),
    ("{type: basal, distance: 10 um}", "the cell has no basal sections; its types: soma, apical,"
                                       " custom"),
    ("{type: apcal, distance: 10 um}", "unknown section type 'apcal' (did you mean 'apical'?)"),
    ("{section: dend, y: 1}", "unknown field 'y'"),
    ("dend(x)", "expected a location such as 'soma(0.5)'"),
])
def test_location_errors(tmp_path, new, message):
    e = error(tmp_path, "location: dend(0.9), tau1", f"location: {new}, tau1")
    assert e.line == line_of("distal: {type: exp2syn")
    assert e.field.startswith("populations.cell.cell.synapses.distal.location")
    assert message in str(e)


BRANCHES = """\
name: branches
simulation: {duration: 10 ms, dt: 0.025 ms}
populations:
  cell:
    size: 1
    cell:
      type: multicompartment
      sections:
        soma: {length: 20 um, diam: 20 um}
        dend: {length: 30 um, diam: 1 um, parent: soma(1), type: custom}
        apic: {length: 100 um, diam: 1 um, parent: soma(0), type: apical}
        tuft: {length: 50 um, diam: 1 um, parent: apic(1), type: custom}
      synapses:
        syn: {type: exp2syn, location: {type: custom, distance: DISTANCE}}
"""


def test_a_distance_location_is_on_a_section_of_its_type(tmp_path):
    """Only points of the type count: the custom sections are 10-40 um (dend) and 110-160 um
    (tuft, beyond an apical section) from the soma."""
    def at(distance):
        m = load_text(tmp_path, BRANCHES.replace("DISTANCE", distance))
        loc = m.populations["cell"].cell.synapses["syn"].location
        return loc.section, pytest.approx(loc.x)

    assert at("120 um") == (3, 0.2)  # tuft, on the path to the farthest custom point
    assert at("40 um") == (1, 1.0)  # dend's end: the only custom point there
    assert at("10 um") == (1, 0.0)  # where dend leaves the soma
    with pytest.raises(SpecError) as err:
        load_text(tmp_path, BRANCHES.replace("DISTANCE", "60 um"))
    e = err.value
    assert e.field == "populations.cell.cell.synapses.syn.location.distance" and e.line == 14
    assert "no custom point is 60 um from the soma: the custom sections cover 10 to 40 and " \
           "110 to 160 um; give a distance there" in str(e)


def test_the_segment_holding_a_point_is_the_one_above_a_boundary():
    """NEURON's rule, shared by both backends: ``int(x * nseg)``, the last segment at x = 1,
    and a boundary by rounding (0.29 * 100 = 28.999...) is still a boundary."""
    assert [segment_index(x, 2) for x in (0.0, 0.25, 0.5, 0.75, 1.0)] == [0, 0, 1, 1, 1]
    assert [segment_index(x, 100) for x in (0.29, 0.57, 0.58, 0.07)] == [29, 57, 58, 7]
    assert segment_index(0.5 - 1e-6, 2) == 0 and segment_index(1 / 3, 3) == 1
    assert [on_segment_boundary(x, 2) for x in (0.0, 0.5, 0.25, 1.0)] == [False, True, False,
                                                                          False]
    assert on_segment_boundary(0.29, 100) and not on_segment_boundary(0.5, 3)


def test_path_distance_between_locations(model):
    morph = model.populations["cell"].cell.morphology
    soma, dend, apic = model.record["cell"].locations
    assert path_distance_um(morph, soma, dend) == pytest.approx(10 + 0.9 * 1520)
    assert path_distance_um(morph, dend, apic) == pytest.approx(0.9 * 1520 + 20 + 390)
    assert path_distance_um(morph, apic, apic) == 0.0
    for loc in (dend, apic):
        assert path_distance_um(morph, soma, loc) == pytest.approx(
            float(morph.distance_um(loc.section, loc.x)))


# -- regions, gradients, discretization --------------------------------------------------------

def test_regions_apply_in_order(model):
    cell = model.populations["cell"].cell
    assert [r.name for r in cell.regions] == ["all", "soma", "hot"]
    assert cell.regions[2].sections == frozenset({2}) and cell.regions[2].distance_um == (
        300.0, math.inf)
    assert cell.mechanisms_on(0) == ("pas", "hh") and cell.mechanisms_on(1) == ("pas",)
    assert cell.Ra_ohm_cm(1) == 150.0
    soma = cell.values(0, [0.5]).mechanisms["hh"]
    assert soma["gnabar"][0] == 0.12  # hh's default where `soma` gives it
    apic = cell.values(2, [0.1, 0.78, 1.0])  # 60, 400, 510 um from the soma
    np.testing.assert_allclose(apic.mechanisms["hh"]["gnabar"], [0.0, 0.1, 0.078])
    np.testing.assert_allclose(apic.mechanisms["hh"]["gl"], [0.0, 0.0003, 0.0003])
    np.testing.assert_allclose(apic.mechanisms["pas"]["g"], 1e-4)


def test_later_region_overrides_earlier(tmp_path):
    m = load_text(tmp_path, GOOD.replace("        soma: {mechanisms: {hh: {}}}\n", """\
        soma: {mechanisms: {hh: {}}}
        dend: {cm: 2 uF/cm2, mechanisms: {pas: {g: 3e-4 S/cm2}}}
        far: {where: {sections: [dend], distance: [null, 500 um]}, cm: 0.5 uF/cm2}
"""))
    cell = m.populations["cell"].cell
    vals = cell.values(1, [0.1, 0.5])  # 162 and 770 um from the soma
    np.testing.assert_allclose(vals.cm, [0.5, 2.0])
    np.testing.assert_allclose(vals.mechanisms["pas"]["g"], 3e-4)
    np.testing.assert_allclose(vals.mechanisms["pas"]["e"], -70.0)  # kept from `all`


def test_gradients(tmp_path):
    m = load_text(tmp_path, GOOD.replace(
        "all: {cm: 1 uF/cm2,",
        "all: {cm: {exponential: {offset: 0.5 uF/cm2, scale: 0.5 uF/cm2, length: 100 um}},"))
    cell = m.populations["cell"].cell
    for x, d in ((0.0, 10.0), (0.5, 770.0)):
        assert cell.values(1, [x]).cm[0] == pytest.approx(0.5 + 0.5 * math.exp(d / 100))
    # linear: held at `start` before `from`, at `end` beyond `to`
    hot = cell.regions[2].mechanisms["hh"]["gnabar"]
    np.testing.assert_allclose(hot(np.array([0, 300, 550, 800, 2000])),
                               [0.12, 0.12, 0.07, 0.02, 0.02])


def test_nseg_by_d_lambda_is_neurons_rule(model):
    cell = model.populations["cell"].cell
    diam, ra, cm, f = 2.0, 150.0, 1.0, 100.0
    lambda_f = 1e5 * math.sqrt(diam / (4 * math.pi * f * ra * cm))  # NEURON's lambda_f, um
    assert lambda_f == pytest.approx(325.735, abs=1e-3)
    expected = int((1520 / (0.1 * lambda_f) + 0.9) / 2) * 2 + 1
    assert expected == 47 and cell.nseg(1) == 47 and cell.nseg(0) == 1


def test_max_length_discretization(tmp_path):
    m = load_text(tmp_path, GOOD.replace("      regions:\n", "      discretization: "
                                                               "{max_length: 10 um}\n"
                                                               "      regions:\n", 1))
    assert m.populations["cell"].cell.segment_counts == (2, 152, 50)


# -- stimuli, receptors, recordings ------------------------------------------------------------

def test_stimuli_and_receptors(model):
    step, epsp = model.stimuli["step"], model.stimuli["epsp"]
    assert (step.location.section, step.location.x) == (0, 0.5)
    assert epsp.receptor == "distal" and epsp.synapse.weight == 0.002 and epsp.location is None
    cell = model.populations["cell"].cell
    receptor = receptors_of(cell)["distal"]
    assert receptor.weight_unit == "uS" and receptor.sign == 1
    assert cell.spike_threshold_mV == -10.0 and cell.synapses["distal"].params == {
        "tau1": 0.5, "tau2": 2.0, "e": 0.0}
    assert model.record["cell"].indices == (0,)


def test_defaults(tmp_path):
    text = (GOOD.replace("location: soma(0.5)}", "}").replace(
        "    locations: [soma(0.5), dend(0.9), {type: apical, distance: 400 um}]\n", "")
        .replace("      spike: {location: soma(0.5), threshold: -10 mV}\n", "")
        .replace("receptor: distal,", ""))
    text = text[:text.index("expect:")]
    m = load_text(tmp_path, text)
    cell = m.populations["cell"].cell
    assert cell.spike_location.label == "soma(0.5)" and cell.spike_threshold_mV == 0.0
    assert m.record["cell"].locations == (cell.spike_location,)
    assert m.stimuli["step"].location == cell.spike_location
    assert m.stimuli["epsp"].receptor == "distal"  # the only synapse
    assert cell.initial_v_mV == -65.0 and cell.discretization.d_lambda == 0.1


def test_memory_estimate_counts_compartments(model):
    parts = estimate_bytes(model)
    assert parts["neurons"] > 20_000 and parts["recorded signals"] == 3 * 4000 * 16


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, field, line, message", [
    ("    size: 1", "    size: 2", "populations.cell.size", "    size: 2",
     "a multicompartment population has one neuron in this version (size: 1), got size 2"),
    ("      sections:\n", "      morphology: nope.swc\n      sections:\n",
     "populations.cell.cell", "    cell:",
     "needs exactly one of 'morphology' (a file: SWC, ASC, H5 or NeuroML) or 'sections'"),
    ("parent: soma(1)}", "parent: som(1)}", "populations.cell.cell.sections.dend.parent",
     "dend: {length", "unknown parent 'som' (did you mean 'soma'?)"),
    ("diam: 2 um, parent", "diam: [2 um], parent", "populations.cell.cell.sections.dend.diam",
     "dend: {length", "expected one diameter or [start, end]"),
    ("type: apical}", "type: apicl}", "populations.cell.cell.sections.apic.type",
     "apic: {length", "unknown section type 'apicl' (did you mean 'apical'?)"),
    ("        soma: {mechanisms: {hh: {}}}", "        smoa: {mechanisms: {hh: {}}}",
     "populations.cell.cell.regions.smoa", "smoa:", "region 'smoa' is not 'all', a section "
     "type (soma, axon, basal, apical, custom) or a section name (did you mean 'soma'?)"),
    ("mechanisms: {hh: {}}", "mechanisms: {hhh: {}}",
     "populations.cell.cell.regions.soma.mechanisms.hhh", "soma: {mech",
     "unknown mechanism 'hhh' (did you mean 'hh'?); known: pas, hh"),
    ("{hh: {}}", "{hh: {gnabr: 1 S/cm2}}",
     "populations.cell.cell.regions.soma.mechanisms.hh.gnabr", "soma: {mech",
     "unknown parameter 'gnabr' for hh (did you mean 'gnabar'?)"),
    ("{hh: {}}", "{hh: {gkbar: -1 S/cm2}}",
     "populations.cell.cell.regions.soma.mechanisms.hh.gkbar", "soma: {mech",
     "must be >= 0 everywhere it applies; got -1 S/cm2"),
    ("where: {type: apical, distance: [300 um, null]}",
     "where: {type: apical, distance: [300 um, null]}\n          Ra: 100 ohm*cm",
     "populations.cell.cell.regions.hot.Ra", "Ra: 100", "Ra cannot be set by a distance rule"),
    ("distance: [300 um, null]", "distance: [300 um, 100 um]",
     "populations.cell.cell.regions.hot.where.distance", "where: {type",
     "expected min <= max"),
    ("from: 300 um", "from: 900 um", "populations.cell.cell.regions.hot.mechanisms.hh.gnabar."
     "linear.to", "to: 800 um", "expected from < to"),
    ("tau1: 0.5 ms, tau2: 2 ms", "tau1: 5 ms, tau2: 2 ms",
     "populations.cell.cell.synapses.distal.tau1", "distal: {type",
     "exp2syn needs tau1 (rise) < tau2 (decay); got tau1 5 ms, tau2 2 ms"),
    ("{type: exp2syn, location", "{type: expsyn, location",
     "populations.cell.cell.synapses.distal.type", "distal: {type",
     "expected a synapse type (exp2syn), got 'expsyn'"),
    ("location: soma(0.5)}", "location: soma(0.5), frequency: 10 Hz}",
     "stimuli.step.frequency", "frequency: 10 Hz}", "unknown field 'frequency'"),
    ("type: step_current, target: cell, amplitude: 0.1 nA,",
     "type: sine_current, frequency: 10 Hz, target: cell, amplitude: 0.1 nA,",
     "stimuli.step.type", "step: {type", "takes step_current or spike inputs in this "
                                         "version, not sine_current"),
    ("amplitude: 0.1 nA", "amplitude: 1 uA/cm2", "stimuli.step.amplitude", "step: {type",
     "a current into a multicompartment cell enters at one location; give a current"),
    ("receptor: distal,", "receptor: distal, location: dend(0.9),", "stimuli.epsp.location",
     "epsp: {type", "spike inputs arrive where their synapse is"),
    ("receptor: distal", "receptor: distl", "stimuli.epsp.receptor", "epsp: {type",
     "has no synapse 'distl' (did you mean 'distal'?); its synapses: distal"),
    ("weight: 0.002 uS", "weight: 2 nA", "stimuli.epsp.synapse.weight", "synapse: {weight",
     "expected a conductance"),
    ("weight: 0.002 uS", "weight: -0.002 uS", "stimuli.epsp.synapse.weight",
     "synapse: {weight", "must be >= 0"),
    ("synapse: {weight: 0.002 uS,", "synapse: {type: tsodyks_markram, weight: 0.002 uS,",
     "stimuli.epsp.synapse.type", "synapse: {type", "use static synapses in this version"),
    ("locations: [soma(0.5), dend(0.9),", "locations: [soma(0.5), soma(0.5),",
     "record.cell.locations.1", "locations: [", "location 'soma(0.5)' is listed twice"),
    ("location: soma(0.5), value", "location: dend(0.5), value", "expect.0.location",
     "measure: input_resistance", "location dend(0.5) of 'cell' is not recorded; recorded: "
                                  "soma(0.5), dend(0.9), {type: apical, distance: 400 um}"),
    ("measure: input_resistance, population: cell, location: soma(0.5),",
     "measure: attenuation, population: cell,", "expect.0", "measure: attenuation",
     "'attenuation' compares 'location:' with the first recorded location (soma(0.5)): give "
     "'location:', one of dend(0.9)"),
    ("measure: input_resistance, population: cell, location: soma(0.5),",
     "measure: resting_potential, population: cell,", "expect.0.measure",
     "measure: resting_potential", "use mean_v (with 'location:')"),
    ("location: soma(0.5), value", "location: soma(0.5), stimulus: epsp, value",
     "expect.0.stimulus", "measure: input_resistance",
     "'input_resistance' needs a step_current on 'cell'; 'epsp' is not one"),
    ("start: 10 ms, stop: 60 ms", "start: 0 ms, stop: 60 ms", "expect.0",
     "measure: input_resistance", "the step starts at 0 ms; start it later"),
])
def test_errors_name_file_line_and_field(tmp_path, old, new, field, line, message):
    e = error(tmp_path, old, new)
    assert e.field == field
    assert e.line == line_of(line, GOOD.replace(old, new))
    assert message in str(e)


def test_unit_errors_are_located(tmp_path):
    e = error(tmp_path, "Ra: 150 ohm*cm", "Ra: 150 ohm", UnitError)
    assert e.field == "populations.cell.cell.regions.all.Ra" and e.line == line_of("all: {cm")
    assert "expected a resistivity, got '150 ohm' (a resistance)" in str(e)


def test_stimulus_ambiguity(tmp_path):
    e = error(tmp_path, "  epsp:", "  step2: {type: step_current, target: cell, amplitude: "
                                   "0.2 nA, start: 70 ms}\n  epsp:")
    assert e.field == "expect.0" and "there are 2: give 'stimulus:', one of step, step2" in str(e)


def test_locations_and_projections_refused_on_point_cells(tmp_path):
    point = "populations:\n  p: {size: 2, cell: {type: IF_curr_exp}}\n  cell:"
    text = GOOD.replace("populations:\n  cell:", point)
    with pytest.raises(SpecError, match="'location' applies only to multicompartment cells"):
        load_text(tmp_path, text.replace("  step: {type: step_current, target: cell",
                                         "  step: {type: step_current, target: p"))
    with pytest.raises(SpecError, match="projections to or from multicompartment cells "
                                        r"\('cell'\) are not supported in this version"):
        load_text(tmp_path, text.replace("stimuli:", "projections:\n  p_c: {pre: p, post: cell,"
                                         " connector: {rule: all_to_all}, receptor: distal,"
                                         " synapse: {weight: 1 nS}}\nstimuli:"))
    # the refusal comes first, before the fields a projection onto a point cell needs
    with pytest.raises(SpecError) as err:
        load_text(tmp_path, text.replace("stimuli:", "projections:\n  p_c: {pre: p, post: cell}"
                                                     "\nstimuli:"))
    assert err.value.field == "projections.p_c.post"
    assert "projections to or from multicompartment cells ('cell') are not supported" in \
        str(err.value)
    with pytest.raises(SpecError, match="'locations' applies only to multicompartment cells"):
        load_text(tmp_path, text.replace("record:\n", "record:\n  p: {locations: [soma]}\n"))


def test_morphology_file_not_found(tmp_path):
    e = error(tmp_path, "      sections:\n        soma: {length: 20 um, diam: 20 um}\n"
                        "        dend: {length: 1520 um, diam: 2 um, parent: soma(1)}\n"
                        "        apic: {length: 500 um, diam: [2 um, 1 um], parent: soma(0), "
                        "type: apical}\n", "      morphology: nope.swc\n")
    assert e.field == "populations.cell.cell.morphology"
    assert str(e).endswith(
        "populations.cell.cell.morphology: nope.swc: morphology file not found in the model "
        "file's directory nor among mnsim's own (mp_ma_40984_gc2.CNG.swc, rallpack2_tree.h5); "
        "way out: check the path (relative to the model file's directory), or give an absolute "
        "one")  # the shipped morphologies only: not their README.md


# -- identity ----------------------------------------------------------------------------------

def test_round_trip_inline(model, tmp_path):
    again = load_text(tmp_path, model.to_yaml())
    assert again == model and again.sha256 == model.sha256


SWC = """\
# a soma and one dendrite
1 1 0 0 0 5 -1
2 3 0 5 0 1 1
3 3 0 {end} 0 1 2
"""

FILE_MODEL = """\
name: from_file
simulation: {duration: 10 ms, dt: 0.025 ms}
populations:
  cell: {size: 1, cell: {type: multicompartment, morphology: cells/c.swc}}
"""


def test_hash_follows_the_morphology_file(tmp_path):
    (tmp_path / "cells").mkdir()
    swc = tmp_path / "cells" / "c.swc"
    swc.write_text(SWC.format(end=105))
    first = load_text(tmp_path, FILE_MODEL)
    assert first.morphology_sha256 == {
        "cell": first.populations["cell"].cell.morphology.sha256}
    # the saved model names the resolved file, so it loads from anywhere, and equal
    assert first.raw["populations"]["cell"]["cell"]["morphology"] == str(swc.resolve())
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    first.save(elsewhere / "m.yaml")
    assert load(elsewhere / "m.yaml") == first
    swc.write_text(SWC.format(end=205))  # an edited file is a different model
    assert load_text(tmp_path, FILE_MODEL).sha256 != first.sha256


def test_shipped_morphology_is_found_by_name(tmp_path):
    m = load_text(tmp_path, FILE_MODEL.replace("cells/c.swc", "mp_ma_40984_gc2.CNG.swc"))
    assert m.raw["populations"]["cell"]["cell"]["morphology"] == "mp_ma_40984_gc2.CNG.swc"
    cell = m.populations["cell"].cell
    assert cell.morphology.soma == 0 and len(cell.morphology.sections) > 10
    assert cell.spike_location.label == "soma(0.5)"


def test_a_bad_morphology_file_is_a_spec_error_at_the_field(tmp_path):
    (tmp_path / "cells").mkdir()
    (tmp_path / "cells" / "c.swc").write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 7\n")
    with pytest.raises(SpecError) as err:
        load_text(tmp_path, FILE_MODEL)
    e = err.value
    assert e.field == "populations.cell.cell.morphology" and e.line == 4
    assert "cannot use this morphology: " in str(e) and "c.swc:2" in str(e)  # the loader's
