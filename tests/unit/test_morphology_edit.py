"""replace_axon (mnsim.morphology.edit) on small inline cells and on C060114A7.asc, and the
``morphology:`` mapping of a model file that uses it: a file inside an installed package
(bluepyopt), ``replace_axon``, the errors, the raw field a saved model keeps and the hash.

The C060114A7 numbers are NEURON's: Import3d reads the file's axon as 128 sections of
15158.5 um and 22656.0 um2 (docs/l5-pyramidal.md), and Hay's stub is two 30 x 1 um cylinders
(2 pi r L = 94.248 um2 each)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import mnsim
from mnsim.errors import MorphologyError, SpecError
from mnsim.morphology import load_morphology
from mnsim.morphology.edit import replace_axon
from mnsim.morphology.inline import InlineSection, inline_morphology
from mnsim.morphology.load import package_file

PACKAGE, L5PC = "bluepyopt", "tests/test_ephys/testdata/acc/l5pc/C060114A7.asc"
HAY_STUB = {"sections": 2, "length": "30 um", "diam": "1 um"}


def cell(*sections: InlineSection) -> mnsim.Morphology:
    return inline_morphology(list(sections))


SOMA = InlineSection("soma", 20.0, (20.0, 20.0), type="soma")
# a soma, a basal dendrite, a branching axon (3 sections) and an apical dendrite after it
BRANCHY = (SOMA,
           InlineSection("dend", 100.0, (2.0, 2.0), "soma", 0.0, "basal"),
           InlineSection("ax", 50.0, (1.5, 1.5), "soma", 1.0, "axon"),
           InlineSection("ax1", 200.0, (1.0, 1.0), "ax", 1.0, "axon"),
           InlineSection("ax2", 300.0, (0.5, 0.5), "ax", 1.0, "axon"),
           InlineSection("apic", 400.0, (3.0, 1.0), "soma", 0.5, "apical"))


def test_the_axon_becomes_a_chain_at_the_somas_middle():
    before = cell(*BRANCHY)
    after = replace_axon(before, 3, 25.0, 0.8)
    assert [s.name for s in after.sections] == ["soma", "dend", "axon[0]", "axon[1]",
                                                "axon[2]", "apic"]
    assert [s.parent for s in after.sections] == [None, 0, 0, 2, 3, 0]
    assert [s.parent_x for s in after.sections[2:5]] == [0.5, 1.0, 1.0]
    for k, sec in enumerate(after.sections[2:5]):
        assert sec.type == "axon"
        assert sec.length_um == pytest.approx(25.0, abs=1e-9)
        assert sec.area_um2 == pytest.approx(math.pi * 0.8 * 25.0, rel=1e-12)
        # path distance from soma(0.5): the chain starts there
        assert after.distance_um(2 + k, 0.0) == pytest.approx(25.0 * k, abs=1e-9)
    assert after.distance_um(4, 1.0) == pytest.approx(75.0, abs=1e-9)
    # the other sections are the same objects' geometry, by name
    for name in ("soma", "dend", "apic"):
        old, new = before.sections[before.index(name)], after.sections[after.index(name)]
        assert np.array_equal(old.points_um, new.points_um)
        assert np.array_equal(old.diam_um, new.diam_um)
        assert old.parent_x == new.parent_x
    assert after.soma == 0 and after.source == before.source
    assert after.length_um("axon") == pytest.approx(75.0)
    assert "the 3 axon sections (550.0 um" in after.warnings[-1]
    assert "3 cylinders of 25 um and 0.8 um diameter" in after.warnings[-1]
    assert after.sha256 != before.sha256
    assert replace_axon(before, 3, 25.0, 0.8).sha256 == after.sha256  # a pure function
    assert replace_axon(before, 3, 25.0, 0.9).sha256 != after.sha256


def test_the_stub_starts_at_the_soma_centre_towards_where_the_axon_left():
    after = replace_axon(cell(*BRANCHY), 2, 30.0, 1.0)
    centre = after.sections[0].point_at(0.5)[0]
    first, second = after.sections[2], after.sections[3]
    assert np.allclose(first.points_um[0], centre)
    assert np.allclose(second.points_um[0], first.points_um[-1])
    # the inline axon left from soma(1), +x of the centre (inline cells lie along x)
    assert np.allclose(second.points_um[-1], centre + [60.0, 0.0, 0.0])


def test_a_cell_without_soma_or_axon_or_with_a_dendrite_on_its_axon_is_refused():
    no_soma = cell(InlineSection("ax", 100.0, (1.0, 1.0), type="axon"),
                   InlineSection("dend", 100.0, (1.0, 1.0), "ax", 0.0, "basal"))
    with pytest.raises(MorphologyError, match=r"needs a soma .* this cell has none"):
        replace_axon(no_soma, 2, 30.0, 1.0)
    with pytest.raises(MorphologyError, match="no axon section to replace"):
        replace_axon(cell(SOMA, BRANCHY[1]), 2, 30.0, 1.0)
    on_axon = cell(SOMA, BRANCHY[2], InlineSection("dend", 50.0, (1.0, 1.0), "ax", 1.0, "basal"))
    with pytest.raises(MorphologyError, match="section dend .basal. grows from axon section ax"):
        replace_axon(on_axon, 2, 30.0, 1.0)
    for bad in ((0, 30.0, 1.0), (2, 0.0, 1.0), (2, 30.0, -1.0), (True, 30.0, 1.0)):
        with pytest.raises(ValueError):
            replace_axon(cell(*BRANCHY), *bad)


def test_c060114a7_gets_hays_stub():
    """128 axon sections (NEURON: 15158.5 um, 22656.0 um2) -> 2 x 30 um x 1 um; 199 sections
    as NEURON's Hay cell (1 soma, 2 axon, 66 basal, 130 apical)."""
    before = load_morphology(package_file(PACKAGE, L5PC))
    after = replace_axon(before, 2, 30.0, 1.0)
    assert len(before.of_type("axon")) == 128
    assert before.length_um("axon") == pytest.approx(15158.5, abs=0.1)
    assert before.area_um2("axon") == pytest.approx(22656.0, abs=0.1)
    counts = {t: len(after.of_type(t)) for t in ("soma", "axon", "basal", "apical")}
    assert counts == {"soma": 1, "axon": 2, "basal": 66, "apical": 130}
    assert after.area_um2("axon") == pytest.approx(2 * math.pi * 30.0, rel=1e-12)
    assert [s.name for s in after.sections[:4]] == ["soma", "axon[0]", "axon[1]", "basal[0]"]
    # every dendrite keeps its name, parent (by name), points and path distance
    for sec in before.sections:
        if sec.type in ("basal", "apical"):
            new = after.sections[after.index(sec.name)]
            assert np.array_equal(new.points_um, sec.points_um)
            assert after.sections[new.parent].name == before.sections[sec.parent].name
            assert after.distance_um(after.index(sec.name), 1.0) == pytest.approx(
                before.distance_um(before.index(sec.name), 1.0), abs=1e-9)
    assert "15158.5 um, 22656.0 um2" in after.warnings[-1]


def test_package_file_finds_the_file_without_importing_the_package():
    """Naming a package in a model file runs none of its code (find_spec, not import)."""
    found = package_file(PACKAGE, L5PC)
    assert found.is_file() and found.parts[-7:] == (PACKAGE, *L5PC.split("/"))
    code = (f"import sys; from mnsim.morphology.load import package_file; "
            f"package_file({PACKAGE!r}, {L5PC!r}); print({PACKAGE!r} in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("package", "path", "words"), [
    ("mnsim_no_such_package", L5PC, "pip install mnsim_no_such_package"),
    (PACKAGE, "tests/no/such/file.asc", "has no file 'tests/no/such/file.asc'"),
    (PACKAGE, "../numpy/__init__.py", "must be relative and stay inside it"),
    (PACKAGE, "/etc/hostname", "must be relative and stay inside it"),
    ("bluepyopt.ephys", L5PC, "not the import name of a top-level Python package"),
    ("math", "x.asc", "is a module"),
])
def test_package_file_errors_name_package_path_and_way_out(package, path, words):
    with pytest.raises(MorphologyError) as err:
        package_file(package, path)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{package}:{path}: ")


def model(morphology) -> dict:
    cell = {"type": "multicompartment", "morphology": morphology,
            "regions": {"all": {"mechanisms": {"pas": {}}}}}
    return {"name": "l5_geometry", "simulation": {"duration": "1 ms", "dt": "0.025 ms"},
            "populations": {"cell": {"size": 1, "cell": cell}},
            "record": {"cell": ["v"]}}


def test_a_model_reads_the_package_file_and_replaces_the_axon(tmp_path):
    field = {"package": PACKAGE, "path": L5PC, "replace_axon": dict(HAY_STUB)}
    m = mnsim.load(model(field))
    morph = m.populations["cell"].cell.morphology
    assert len(morph.sections) == 199 and morph.length_um("axon") == pytest.approx(60.0)
    assert m.raw["populations"]["cell"]["cell"]["morphology"] == field  # the name, as written
    # the hash is the geometry's: the same file given by its path is the same model
    by_file = mnsim.load(model({"file": str(package_file(PACKAGE, L5PC)),
                                "replace_axon": dict(HAY_STUB)}))
    assert by_file.sha256 == m.sha256
    assert mnsim.load(model({"package": PACKAGE, "path": L5PC})).sha256 != m.sha256
    longer = {**field, "replace_axon": {**HAY_STUB, "length": "31 um"}}
    assert mnsim.load(model(longer)).sha256 != m.sha256
    # a saved copy loads from anywhere
    elsewhere = tmp_path / "a" / "b"
    elsewhere.mkdir(parents=True)
    saved = mnsim.load(m.save(elsewhere / "l5.yaml"))
    assert saved == m and len(saved.populations["cell"].cell.morphology.sections) == 199


def test_a_relative_file_in_the_mapping_is_kept_absolute(tmp_path):
    src = package_file(PACKAGE, L5PC)
    (tmp_path / "cell.asc").write_bytes(src.read_bytes())
    from mnsim.spec.yamlio import dump_yaml

    (tmp_path / "m.yaml").write_text(dump_yaml(model({"file": "cell.asc",
                                                      "replace_axon": dict(HAY_STUB)})))
    m = mnsim.load(tmp_path / "m.yaml")
    assert m.raw["populations"]["cell"]["cell"]["morphology"]["file"] == str(
        (tmp_path / "cell.asc").resolve())
    assert m.sha256 == mnsim.load(model({"package": PACKAGE, "path": L5PC,
                                         "replace_axon": dict(HAY_STUB)})).sha256


@pytest.mark.parametrize(("field", "at", "words"), [
    ({"package": "mnsim_no_such_package", "path": "c.asc"}, "morphology.package",
     "pip install mnsim_no_such_package"),
    ({"package": PACKAGE, "path": "no/such.asc"}, "morphology.package",
     f"{PACKAGE}:no/such.asc: the installed package '{PACKAGE}'"),
    ({"package": PACKAGE}, "morphology", "missing required field 'path'"),
    ({"package": PACKAGE, "path": L5PC, "file": "x.asc"}, "morphology", "not both"),
    ({"path": L5PC}, "morphology", "either as 'file: NAME' or as 'package: NAME'"),
    ({"file": "c.swc", "path": "x"}, "morphology.path", "'path' names a file inside"),
    ({"package": PACKAGE, "path": L5PC, "replace_axon": {"sections": 2, "length": "30 um"}},
     "morphology.replace_axon", "missing required field 'diam'"),
    ({"package": PACKAGE, "path": L5PC, "replace_axon": {**HAY_STUB, "sections": 0}},
     "morphology.replace_axon.sections", "positive whole number"),
    ({"package": PACKAGE, "path": L5PC, "replace_axon": {**HAY_STUB, "diam": "1 mV"}},
     "morphology.replace_axon.diam", ""),
    ({"package": PACKAGE, "path": L5PC, "replace_axon": {**HAY_STUB, "stubs": 1}},
     "morphology.replace_axon.stubs", "unknown field 'stubs'"),
    ({"file": "mp_ma_40984_gc2.CNG.swc", "replace_axon": HAY_STUB},
     "morphology.replace_axon", "no axon section to replace"),
])
def test_morphology_field_errors(field, at, words):
    with pytest.raises(SpecError) as err:
        mnsim.load(model(field))
    assert err.value.field == f"populations.cell.cell.{at}"
    assert words in str(err.value)
