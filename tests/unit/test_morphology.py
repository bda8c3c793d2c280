"""load_morphology on every shared reconstruction (real numbers, next to what NEURON, MorphIO,
NeuroM and Brian2 report in ../shared/morphologies/SOURCES.md), on an H5 file written with
MorphIO, on malformed files, and the info table and figures built from the result."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mnsim
from conftest import SHARED_MORPHOLOGIES as SHARED
from mnsim.errors import MnsimError, MorphologyError
from mnsim.morphology import SECTION_TYPES, Morphology, load_morphology
from mnsim.morphology.info import format_info, summary
from mnsim.morphology.plot import plot_morphology

SHIPPED = Path(mnsim.__file__).resolve().parent / "morphologies" / "mp_ma_40984_gc2.CNG.swc"


needs_shared = pytest.mark.usefixtures("shared_dir")

# file: soma kind, soma area (um2), neurite length (um), sections per type, warnings (words
# that must appear, one entry per warning expected)
EXPECTED = {
    "mp_ma_40984_gc2.CNG.swc": ("one_point", 1818.6, 1759.2,
                                {"soma": 1, "basal": 28}, []),
    "c91662.swc": ("three_point", 988.2, 15328.4, {"soma": 1, "axon": 1, "basal": 58,
                                                   "apical": 134},
                   ["off NeuroMorpho's convention"]),
    "C010398B-P2.CNG.swc": ("three_point", 526.7, 7036.5,
                            {"soma": 1, "axon": 43, "basal": 17, "apical": 17},
                            ["(the file's rounding)"]),
    "C010398B-P2.asc": ("contour", 480.4, 7036.8,
                        {"soma": 1, "axon": 43, "basal": 17, "apical": 17},
                        ["a contour of 15 points"]),
    "l22.swc": ("cylinders", 1363.7, 8674.6, {"soma": 1, "basal": 52, "apical": 42},
                ["a stack of 10 points", "attach along the soma",
                 "point 9 (line 28): an apical section of zero length"]),
    "96ML.CNG.cell.nml": ("cylinders", 883.3, 1314.7,
                          {"soma": 1, "axon": 1, "basal": 23, "apical": 17},
                          ["v2beta", "attach to soma segment 0 at fractionAlong 1"]),
}


def neurite_length(m: Morphology) -> float:
    return sum(s.length_um for s in m.sections if s.type != "soma")


def check_tree(m: Morphology) -> None:
    """The contract of model.py: soma first, parents first, names, children at their point."""
    names = [s.name for s in m.sections]
    assert len(set(names)) == len(names)
    if m.soma is not None:
        assert m.soma == 0 and names[0] == "soma" and m.sections[0].type == "soma"
    counts = dict.fromkeys(SECTION_TYPES, 0)
    for i, s in enumerate(m.sections):
        assert len(s.points_um) >= 2 and s.length_um > 0 and (s.diam_um > 0).all()
        if s.type != "soma":
            assert s.name == f"{s.type}[{counts[s.type]}]"
        counts[s.type] += 1
        if s.parent is None:
            assert i == 0
            continue
        assert s.parent < i and 0.0 <= s.parent_x <= 1.0
        if s.parent != m.soma:  # a child starts at its parent's branch point
            parent = m.sections[s.parent]
            assert np.allclose(s.points_um[0], parent.point_at(s.parent_x)[0], atol=1e-6)


@needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_file_numbers(name):
    kind, soma_area, length, per_type, words = EXPECTED[name]
    m = load_morphology(SHARED / name)
    check_tree(m)
    assert m.soma_kind == kind
    assert m.sections[0].area_um2 == pytest.approx(soma_area, abs=0.05)
    assert neurite_length(m) == pytest.approx(length, abs=0.05)
    assert {t: len(m.of_type(t)) for t in SECTION_TYPES if m.of_type(t)} == per_type
    assert len(m.warnings) == len(words), m.warnings
    for word, warning in zip(words, m.warnings):
        assert word in warning


def test_shipped_cell_and_bare_name():
    m = load_morphology("mp_ma_40984_gc2.CNG.swc")  # found among mnsim's own
    assert Path(m.source) == SHIPPED
    soma = m.sections[0]
    # one-point soma, r = 12.03 um: a cylinder along y, L = diam = 24.06 um, centred on it
    assert soma.length_um == pytest.approx(24.06) and np.allclose(soma.diam_um, 24.06)
    assert np.allclose(soma.point_at(0.5)[0], [0.2917, 0.04167, -0.1458], atol=1e-4)
    assert np.ptp(soma.points_um[:, [0, 2]], axis=0).max() < 1e-6  # along y
    roots = [s for s in m.sections if s.parent == 0]
    assert [s.parent_x for s in roots] == [0.5, 0.5]
    # a root neurite starts at its own first point, not at the soma centre
    assert np.allclose(roots[0].points_um[0], [12.0, 6.5, 1.0])
    assert m.warnings == ()
    assert mnsim.load_morphology is load_morphology


@needs_shared
def test_three_point_soma_is_the_centre_sphere_whatever_the_axis():
    """c91662's outer points are off the y axis but 2r apart: NEURON's rule, MorphIO and
    Brian2 agree on 4 pi r^2 = 988.2 um2; NeuroM's 987.8 is not reproduced."""
    m = load_morphology(SHARED / "c91662.swc")
    soma = m.sections[0]
    assert soma.area_um2 == pytest.approx(4 * np.pi * 8.8677**2)
    assert np.allclose(soma.point_at(0.5)[0], [0, 0, 0])
    assert "MorphIO warns" in m.warnings[0] and "988.2" in m.warnings[0]
    assert {s.parent_x for s in m.sections if s.parent == 0} == {0.5}


@needs_shared
def test_swc_and_asc_of_one_cell_agree_on_the_neurites():
    swc, asc = (load_morphology(SHARED / n) for n in ("C010398B-P2.CNG.swc", "C010398B-P2.asc"))
    for t in ("axon", "basal", "apical"):
        assert asc.length_um(t) == pytest.approx(swc.length_um(t), rel=1e-3)
    assert "NeuroM" in asc.warnings[0] and "480.4" in asc.warnings[0]


@needs_shared
def test_stacked_soma_keeps_its_points_and_neurites_attach_along_it():
    m = load_morphology(SHARED / "l22.swc")
    soma = m.sections[0]
    assert len(soma.points_um) == 10 and soma.length_um == pytest.approx(42.62, abs=0.01)
    # the chain runs 1138-1137-1-2-...-8 through the root (NEURON's 1363.7), not in file
    # order across the root (MorphIO/NeuroM's 2283.4)
    assert np.allclose(soma.points_um[0], [0.469, -12.301, 4.359], atol=1e-3)
    assert np.allclose(soma.points_um[-1], [-2.913, 28.103, 10.7], atol=1e-3)
    assert "2283.4" in m.warnings[0] and "773.0" in m.warnings[0]
    xs = sorted({round(s.parent_x, 3) for s in m.sections if s.parent == 0})
    assert xs == [0.056, 0.169, 0.282, 0.395, 1.0]
    # point 9 (apical) branches at once: its two branches attach to the soma's top
    apical_roots = [s for s in m.sections if s.parent == 0 and s.type == "apical"]
    assert len(apical_roots) == 2 and {s.parent_x for s in apical_roots} == {1.0}
    assert all(np.allclose(s.points_um[0], [-3.112, 30.457, 13.2], atol=1e-3)
               for s in apical_roots)


@needs_shared
def test_branching_soma_is_refused_with_file_line_point_and_way_out():
    with pytest.raises(MorphologyError) as err:
        load_morphology(SHARED / "dCH-cobalt.CNG.swc")
    e = err.value
    assert e.file.endswith("dCH-cobalt.CNG.swc") and e.line == 34 and e.point == 9
    assert "soma branches" in e.message and "10 and 12" in e.message
    assert "relabel the soma branch" in e.message and "simple 1- or 3-point soma" in e.message
    assert str(e).startswith(f"{e.file}:34: point 9: ")


@needs_shared
def test_neuroml_soma_is_its_segments_and_dendrites_attach_at_fraction_one():
    m = load_morphology(SHARED / "96ML.CNG.cell.nml")
    soma = m.sections[0]
    assert len(soma.points_um) == 3 and soma.length_um == pytest.approx(16.76)
    assert soma.area_um2 == pytest.approx(np.pi * 16.775 * 16.76)
    roots = [s for s in m.sections if s.parent == 0]
    assert len(roots) == 5 and {s.parent_x for s in roots} == {0.5}
    basal = m.sections[m.index("basal[0]")]  # segment 2 starts at its own proximal point
    assert np.allclose(basal.points_um[0], [-2.44, -10.59, -1.21])


@needs_shared
@pytest.mark.parametrize("name", sorted([*EXPECTED, "dCH-cobalt.CNG.swc"]))
def test_loading_is_fast(name):
    try:
        load_morphology(SHARED / name)  # imports MorphIO / libNeuroML once
    except MorphologyError:
        pass
    start = time.perf_counter()
    try:
        load_morphology(SHARED / name)
    except MorphologyError:
        pass
    assert time.perf_counter() - start < 0.5


@needs_shared
def test_morphio_warnings_are_collected_not_printed(capfd):
    m = load_morphology(SHARED / "c91662.swc")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert any("MorphIO warns" in w for w in m.warnings)


def test_h5_written_by_morphio_loads_to_the_same_geometry(tmp_path):
    """MorphIO's H5 stores a soma as a contour: a circle of the SWC soma's radius gives back
    the same cylinder; every neurite is identical."""
    import morphio
    from morphio import mut

    swc = load_morphology(SHIPPED)
    cell = mut.Morphology(str(SHIPPED), warning_handler=morphio.WarningHandlerCollector())
    centre, r = np.asarray(cell.soma.points[0]), cell.soma.diameters[0] / 2
    angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    circle = centre + r * np.stack([np.cos(angle), np.sin(angle), 0 * angle], axis=1)
    cell.soma.points, cell.soma.diameters = circle.tolist(), [0.0] * len(angle)
    cell.soma.type = morphio.SomaType.SOMA_SIMPLE_CONTOUR
    cell.write(str(tmp_path / "cell.h5"))
    h5 = load_morphology(tmp_path / "cell.h5")
    assert h5.soma_kind == "contour" and len(h5.warnings) == 1
    assert h5.sections[0].area_um2 == pytest.approx(swc.sections[0].area_um2, rel=1e-6)
    assert np.allclose(h5.sections[0].points_um, swc.sections[0].points_um, atol=1e-4)
    assert len(h5.sections) == len(swc.sections)
    for a, b in zip(h5.sections[1:], swc.sections[1:]):
        assert (a.name, a.type, a.parent, a.parent_x) == (b.name, b.type, b.parent, b.parent_x)
        assert np.array_equal(a.points_um, b.points_um) and np.array_equal(a.diam_um, b.diam_um)


SOMA = "1 1 0 0 0 5 -1\n"


def write(tmp_path: Path, text: str, name: str = "cell.swc") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("body, line, point, words", [
    ("2 3 0 5 0 1\n", 2, 2, "7 numbers: id type x y z radius parent"),
    ("2 3 0 5 zero 1 1\n", 2, 2, "Unable to parse this line"),
    ("2 3 0 5 0 1 1\n3 3 0 10 0 1 7\n", 3, 3, "-1 for a root"),
    ("2 3 0 5 0 -1 1\n3 3 0 10 0 1 2\n", 2, 2, "negative diameter"),
    ("2 25 0 5 0 1 1\n", 2, 2, "SWC types are 1 soma"),
    ("2 3 0 5 0 1 2\n", 2, 2, "a parent other than itself"),
    ("2 3 0 5 0 1 1\n2 3 0 10 0 1 1\n", 3, 2, "each sample needs its own id"),
    ("2 3 0 5 0 0 1\n3 3 0 10 0 0 2\n", 2, 2, "zero diameter at every point"),
])
def test_malformed_swc_names_file_line_and_point(tmp_path, body, line, point, words):
    path = write(tmp_path, "# a comment\n" + SOMA + body)
    with pytest.raises(MorphologyError) as err:
        load_morphology(path)
    e = err.value
    assert (e.file, e.line, e.point) == (str(path), line + 1, point), str(e)
    assert words in e.message and "way out" in e.message.lower()


def test_zero_diameters_inside_a_section_are_interpolated(tmp_path):
    m = load_morphology(write(tmp_path, SOMA + "2 3 0 5 0 1 1\n3 3 0 10 0 0 2\n4 3 0 15 0 0.5 3"
                                              "\n"))
    assert np.allclose(m.sections[1].diam_um, [2.0, 1.5, 1.0])
    assert m.warnings == ("zero diameter at point 3 (line 3): set to 1.5 um, interpolated from "
                          "the section's other points",)


def test_zero_length_sections_are_dropped_with_a_warning(tmp_path):
    m = load_morphology(write(tmp_path, SOMA + "2 3 0 5 0 1 1\n3 3 0 5 0 1 2\n"
                                               "4 2 0 -6 0 1 1\n5 2 0 -9 0 1 4\n"))
    assert [s.name for s in m.sections] == ["soma", "axon[0]"]
    assert m.warnings == ("point 2 (line 2): a basal section of zero length (2 points); it is "
                          "dropped",)


def test_custom_types_and_no_soma(tmp_path):
    m = load_morphology(write(tmp_path, SOMA + "2 7 0 5 0 1 1\n3 7 0 9 0 1 2\n"))
    assert [s.name for s in m.sections] == ["soma", "custom[0]"]
    assert "type 7 (custom7)" in m.warnings[0]
    bare = load_morphology(write(tmp_path, "1 2 0 0 0 1 -1\n2 2 0 50 0 1 1\n", "axon.swc"))
    assert bare.soma is None and bare.soma_kind == "" and bare.sections[0].name == "axon[0]"
    assert bare.distance_um(0, 1.0) == pytest.approx(50.0)
    with pytest.raises(MorphologyError, match="no soma and 2 separate trees"):
        load_morphology(write(tmp_path, "1 3 0 0 0 1 -1\n2 3 0 5 0 1 1\n3 3 9 0 0 1 -1\n"
                                        "4 3 9 5 0 1 3\n", "two.swc"))


@pytest.mark.parametrize("name, text, words", [
    ("cell.txt", "1 1 0 0 0 5 -1\n", "unknown kind of morphology file '.txt'"),
    ("empty.swc", "# nothing here\n", "nothing to build"),
    ("bad.nml", "<neuroml xmlns='http://www.neuroml.org/schema/neuroml2'>\n<cell id='c'>\n"
                "</neuroml>\n", "libNeuroML cannot read it"),
])
def test_unreadable_files(tmp_path, name, text, words):
    with pytest.raises(MorphologyError, match=words):
        load_morphology(write(tmp_path, text, name))


def test_missing_file_lists_the_shipped_ones(tmp_path):
    with pytest.raises(MorphologyError, match="not found.*mp_ma_40984_gc2.CNG.swc") as err:
        load_morphology(tmp_path / "nothere.swc")
    assert err.value.file == str(tmp_path / "nothere.swc")


NML = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="d">
  <cell id="c">
    <morphology id="m">
      <segment id="0" name="soma">
        <proximal x="0" y="0" z="0" diameter="10"/>
        <distal x="0" y="10" z="0" diameter="10"/>
      </segment>
      <segment id="1" name="d1">
        <parent segment="{parent}" fractionAlong="0.5"/>
        <proximal x="5" y="5" z="0" diameter="2"/>
        <distal x="25" y="5" z="0" diameter="2"/>
      </segment>
      <segment id="2" name="d2">
        <parent segment="1" fractionAlong="0.5"/>
        <distal x="15" y="25" z="0" diameter="1"/>
      </segment>
      <segmentGroup id="soma_group" neuroLexId="GO:0043025"><member segment="0"/></segmentGroup>
      <segmentGroup id="dendrite_group"><member segment="1"/><member segment="2"/></segmentGroup>
    </morphology>
  </cell>
</neuroml>
"""


def test_neuroml_fraction_along_places_children(tmp_path):
    m = load_morphology(write(tmp_path, NML.format(parent=0), "cell.cell.nml"))
    assert [s.name for s in m.sections] == ["soma", "basal[0]", "basal[1]"]
    assert m.sections[1].parent_x == 0.5 and m.sections[2].parent_x == 0.5
    assert np.allclose(m.sections[2].points_um[0], [15, 5, 0])  # half way along segment 1
    with pytest.raises(MorphologyError, match="parent segment 7 is not in the morphology") as err:
        load_morphology(write(tmp_path, NML.format(parent=7), "bad.cell.nml"))
    assert err.value.point == 1 and err.value.line == 8


def test_import_is_light():
    code = ("import sys, mnsim, mnsim.morphology; mnsim.load_morphology; "
            "print(','.join(m for m in ('morphio', 'neuroml', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_info_table():
    m = load_morphology(SHIPPED)
    info = summary(m)
    assert info["soma_area_um2"] == pytest.approx(1818.6, abs=0.05)
    assert info["by_type"]["basal"]["sections"] == 28
    text = format_info(m)
    assert "1818.6" in text and "1759.2" in text and "warnings: none" in text
    assert "bounding box (um): x " in text


def test_plot_by_type_and_by_value(tmp_path):
    m = load_morphology(SHIPPED)
    fig = plot_morphology(m)
    assert len(fig.axes) == 3
    per_section = [m.distance_um(i, 1.0) for i in range(len(m.sections))]
    per_point = [m.distance_um(i, s.arc) for i, s in enumerate(m.sections)]
    for values in (per_section, per_point, np.concatenate(per_point)):
        out = plot_morphology(m, values, path=tmp_path / "v.png", label="distance (um)")
        assert out.stat().st_size > 0
    with pytest.raises(MnsimError, match="values: expected one value per section"):
        plot_morphology(m, [1.0, 2.0])
    with pytest.raises(MnsimError, match="cannot save a figure"):
        plot_morphology(m, path=tmp_path / "v.xyz")


def test_three_points_off_neurons_rule_are_a_stack(tmp_path):
    """Diameters that differ fail NEURON's test: the points are kept, outer-centre-outer."""
    m = load_morphology(write(tmp_path, "1 1 0 0 0 5 -1\n2 1 0 -5 0 4 1\n3 1 0 5 0 4 1\n"
                                        "4 3 6 0 0 1 1\n5 3 20 0 0 1 4\n"))
    soma = m.sections[0]
    assert m.soma_kind == "cylinders"
    assert np.allclose(soma.points_um[:, 1], [5, 0, -5]) and np.allclose(soma.diam_um, [8, 10, 8])
    assert "not on NeuroMorpho's three-point convention (its diameters differ)" in m.warnings[0]
    assert m.sections[1].parent_x == pytest.approx(0.5)  # nearest soma point: the centre


def test_neuroml_sphere_soma_is_a_one_point_soma(tmp_path):
    sphere = NML.format(parent=0).replace('<distal x="0" y="10" z="0" diameter="10"/>',
                                          '<distal x="0" y="0" z="0" diameter="10"/>')
    m = load_morphology(write(tmp_path, sphere, "sphere.cell.nml"))
    assert m.soma_kind == "one_point"
    assert m.sections[0].area_um2 == pytest.approx(np.pi * 10**2)
    assert m.sections[1].parent_x == 0.5


def test_soma_stack_with_a_zero_diameter_is_filled(tmp_path):
    m = load_morphology(write(tmp_path, "1 1 0 0 0 5 -1\n2 1 0 3 0 0 1\n3 1 0 6 0 4 2\n"
                                        "4 3 0 9 0 1 3\n5 3 0 20 0 1 4\n"))
    assert np.allclose(m.sections[0].diam_um, [10, 9, 8])
    assert m.warnings[0] == ("soma: zero diameter at 1 of its 3 points, interpolated from its "
                             "other points")
    assert m.sections[1].parent_x == 1.0  # grows from soma point 3, the stack's end
