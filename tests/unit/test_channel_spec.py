"""Channels in a model (no simulator): library channels by name, a model's own channel files
and inline descriptions, existing .mod files read by mnsim's tokenizer, per-region reversal
potentials and calcium dynamics, the errors of each bad input, and the model hash."""

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mnsim.channels.mod_file import mnsim_unit, read_mod
from mnsim.errors import SpecError, UnitError
from mnsim.spec import load

DATA = Path(__file__).resolve().parents[1] / "backends" / "data"
KD = """\
name: kd
title: Hodgkin-Huxley delayed rectifier (a test channel)
source: {paper: "Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544"}
ion: k
conductance: {gbar: 0.036 S/cm2}
gates:
  n:
    power: 4
    alpha: 0.01 * vtrap(-(v + 55), 10)
    beta: 0.125 * exp(-(v + 65) / 80)
"""
CAD = """\
{kind: calcium_dynamics, source: {paper: "Destexhe A et al. (1994) J Comput Neurosci 1:195"},
 parameters: {gamma: 0.05, decay: 80 ms, depth: 0.1 um, minCai: 1e-4 mM}}"""
MODEL = """\
name: channels
simulation: {{duration: 10 ms, dt: 0.025 ms}}
populations:
  cell:
    size: 1
    cell:
      type: multicompartment
      sections:
        soma: {{length: 20 um, diam: 20 um}}
        dend: {{length: 400 um, diam: 2 um, parent: soma(1)}}
      regions:
        all: {{mechanisms: {{pas: {{g: 1e-4 S/cm2, e: -70 mV}}}}}}
{regions}{top}"""


def write(tmp_path, regions, top="", name="model.yaml"):
    """A model file in ``tmp_path`` with ``regions`` (YAML lines under ``regions:``) and
    top-level fields ``top``."""
    body = textwrap.indent(textwrap.dedent(regions), " " * 8)
    path = tmp_path / name
    path.write_text(MODEL.format(regions=body, top=textwrap.dedent(top)))
    return path


def cell_of(model):
    return model.populations["cell"].cell


def line_of(path, text):
    return next(i for i, line in enumerate(Path(path).read_text().splitlines(), 1)
                if text in line)


@pytest.fixture
def kd_file(tmp_path):
    (tmp_path / "chans").mkdir()
    path = tmp_path / "chans" / "kd.yaml"
    path.write_text(KD)
    return path


# -- a model's own channels ------------------------------------------------------------------
def test_own_channel_file_relative_to_the_model(tmp_path, kd_file):
    path = write(tmp_path, "soma: {mechanisms: {kd: {gbar: 30 mS/cm2}}}\n",
                 "channels:\n  kd: {file: chans/kd.yaml}\n")
    model = load(path)
    cell = cell_of(model)
    assert cell.mechanisms["kd"].origin == "model"
    assert cell.mechanisms["kd"].definition.path == str(kd_file)
    assert list(cell.mechanisms) == ["pas", "kd"]
    assert cell.mechanisms_on(0) == ("pas", "kd") and cell.mechanisms_on(1) == ("pas",)
    vals = cell.values(0, np.array([0.5]))
    assert vals.mechanisms["kd"]["gbar"][0] == pytest.approx(0.03)  # 30 mS/cm2 in S/cm2
    assert cell.ions_on(0) == ("k",) and cell.ions_on(1) == ()
    # the saved model names the resolved file, so it loads from anywhere
    assert model.raw["channels"]["kd"]["file"] == str(kd_file.resolve())


def test_inline_channel_and_its_errors_name_the_model_file(tmp_path):
    inline = "channels:\n  kd:\n" + textwrap.indent(KD.replace("name: kd\n", ""), "    ")
    path = write(tmp_path, "soma: {mechanisms: {kd: {}}}\n", inline)
    cell = cell_of(load(path))
    assert cell.mechanisms["kd"].origin == "model"
    assert cell.values(0, np.array([0.5])).mechanisms["kd"]["gbar"][0] == 0.036
    bad = write(tmp_path, "soma: {mechanisms: {kd: {}}}\n",
                inline.replace("exp(-(v + 65) / 80)", "exp(-(v + 65) / 80) + t"))
    with pytest.raises(SpecError) as err:
        load(bad)
    assert err.value.file == str(bad) and err.value.line == line_of(bad, "beta:")
    assert err.value.field == "channels.kd.gates.n.beta" and "'t'" in str(err.value)


def test_a_channel_file_named_otherwise_is_refused(tmp_path, kd_file):
    path = write(tmp_path, "soma: {mechanisms: {kd2: {}}}\n",
                 "channels:\n  kd2: {file: chans/kd.yaml}\n")
    with pytest.raises(SpecError, match="must equal the name it is used under, 'kd2'") as err:
        load(path)
    assert err.value.file == str(kd_file)


def test_a_missing_channel_file(tmp_path):
    path = write(tmp_path, "", "channels:\n  kd: {file: chans/nope.yaml}\n")
    with pytest.raises(SpecError, match="no such file: .*nope.yaml") as err:
        load(path)
    assert err.value.field == "channels.kd.file"
    assert err.value.line == line_of(path, "nope.yaml")


# -- .mod files ----------------------------------------------------------------------------------
def test_read_mod_skips_comments_and_reads_units():
    mod = read_mod(DATA / "leak_pS.mod")
    assert (mod.name, mod.kind, mod.nonspecific) == ("leak_pS", "SUFFIX", ("i",))
    assert mod.range == ("gl", "el", "i")
    assert [p.name for p in mod.parameters] == ["gl", "el", "unused_global"]
    assert [(p.name, p.unit, p.default) for p in mod.settable] == [
        ("gl", "pS/um2", 1.0), ("el", "mV", -70.0)]
    mech = mod.mechanism
    assert mech.conductances == ("gl",)
    assert mech.param("gl").default == "1.0 pS/um2"


@pytest.mark.parametrize("nmodl, mnsim", [
    ("mho/cm2", "S/cm2"), ("S/cm2", "S/cm2"), ("pS/um2", "pS/um2"), ("/ms", "1/ms"),
    ("1/ms", "1/ms"), ("mV", "mV"), ("micron", "um"), ("mM", "mM"), ("degC", "degC"),
    ("1", "1"), ("", "1"), ("ms mV", "ms*mV"), ("umho/cm2", "uS/cm2"), ("furlong", None)])
def test_nmodl_units_in_mnsim_spelling(nmodl, mnsim):
    assert mnsim_unit(nmodl) == mnsim


def test_unit_aliases_and_unknown_units(tmp_path):
    mod = tmp_path / "cad.mod"
    mod.write_text("NEURON { SUFFIX cad USEION ca READ ica WRITE cai RANGE taur, k, odd }\n"
                   "UNITS { (msM) = (ms mM) }\n"
                   "PARAMETER {\n taur = 5 (ms) <0, 1e9>\n k = -2e-4 (msM)\n"
                   " odd = 2 (furlong)\n}\n")
    with pytest.warns(UserWarning, match="cad.mod:6: PARAMETER odd: mnsim cannot read the unit"):
        read = read_mod(mod)
    assert [(p.name, p.unit, p.default) for p in read.settable] == [
        ("taur", "ms", 5.0), ("k", "ms*mM", -2e-4), ("odd", "1", 2.0)]
    assert read.writes_calcium


def test_mod_file_in_a_region_sets_parameters_in_the_files_units(tmp_path):
    shutil.copy(DATA / "leak_pS.mod", tmp_path / "leak_pS.mod")
    path = write(tmp_path, "dend: {mechanisms: {leak_pS: {gl: 2e-4 S/cm2}}}\n",
                 "mechanisms: [leak_pS.mod]\n")
    model = load(path)
    cell = cell_of(model)
    assert cell.mechanisms["leak_pS"].origin == "mod"
    vals = cell.values(1, np.array([0.5]))
    assert vals.mechanisms["leak_pS"]["gl"][0] == pytest.approx(2.0)  # pS/um2
    assert vals.mechanisms["leak_pS"]["el"][0] == -70.0
    assert model.raw["mechanisms"] == [str((tmp_path / "leak_pS.mod").resolve())]


def test_mod_parameter_errors(tmp_path):
    shutil.copy(DATA / "leak_pS.mod", tmp_path / "leak_pS.mod")
    path = write(tmp_path, "dend: {mechanisms: {leak_pS: {unused_global: 2}}}\n",
                 "mechanisms: [leak_pS.mod]\n")
    with pytest.raises(SpecError) as err:
        load(path)
    assert err.value.field == "populations.cell.cell.regions.dend.mechanisms.leak_pS." \
                              "unused_global"
    assert "region 'dend': unknown parameter 'unused_global' for leak_pS" in str(err.value)
    assert "valid: gl, el" in str(err.value)
    path = write(tmp_path, "dend: {mechanisms: {leak_pS: {gl: 2e-4 mV}}}\n",
                 "mechanisms: [leak_pS.mod]\n")
    with pytest.raises(UnitError, match="expected a conductance density, got '2e-4 mV'"):
        load(path)


def test_a_point_process_cannot_sit_on_a_region(tmp_path):
    (tmp_path / "syn.mod").write_text("NEURON { POINT_PROCESS mysyn RANGE tau }\n"
                                      "PARAMETER { tau = 2 (ms) }\n")
    path = write(tmp_path, "soma: {mechanisms: {mysyn: {}}}\n", "mechanisms: [syn.mod]\n")
    with pytest.raises(SpecError, match="POINT_PROCESS mysyn of .*syn.mod is a POINT_PROCESS, "
                                        "which sits at a point") as err:
        load(path)
    assert err.value.line == line_of(path, "mysyn: {}")


def test_a_name_defined_twice(tmp_path, kd_file):
    (tmp_path / "kd.mod").write_text("NEURON { SUFFIX kd }\n")
    path = write(tmp_path, "", "channels:\n  kd: {file: chans/kd.yaml}\nmechanisms: [kd.mod]\n")
    with pytest.raises(SpecError, match="mechanism name 'kd' is defined twice: by SUFFIX kd of "
                                        ".*kd.mod and by the model's channel kd") as err:
        load(path)
    assert err.value.field == "mechanisms.0"


# -- region errors ---------------------------------------------------------------------------
def test_unknown_mechanism_and_parameter_name_the_region_and_closest(tmp_path, kd_file):
    top = "channels:\n  kd: {file: chans/kd.yaml}\n"
    with pytest.raises(SpecError, match=r"region 'soma': unknown mechanism 'kdd' \(did you "
                                        r"mean 'kd'\?\); known: pas, hh, ") as err:
        load(write(tmp_path, "soma: {mechanisms: {kdd: {}}}\n", top))
    assert err.value.field == "populations.cell.cell.regions.soma.mechanisms.kdd"
    with pytest.raises(SpecError, match=r"region 'soma': unknown parameter 'gbr' for kd \(did "
                                        r"you mean 'gbar'\?\); valid: gbar"):
        load(write(tmp_path, "soma: {mechanisms: {kd: {gbr: 1 S/cm2}}}\n", top))
    with pytest.raises(SpecError, match="must be >= 0 everywhere it applies"):
        load(write(tmp_path, "soma: {mechanisms: {kd: {gbar: -1 S/cm2}}}\n", top))


def test_conductances_are_zero_where_a_distance_region_leaves_a_channel_out(tmp_path, kd_file):
    regions = """\
    far:
      where: {type: custom, distance: [210 um, null]}
      mechanisms: {kd: {gbar: 0.01 S/cm2}}
    """
    cell = cell_of(load(write(tmp_path, regions, "channels:\n  kd: {file: chans/kd.yaml}\n")))
    # dend: 10 um (the soma's half) + x * 400 um from the soma's middle
    vals = cell.values(1, np.array([0.25, 0.75]))
    assert vals.mechanisms["kd"]["gbar"].tolist() == [0.0, 0.01]
    assert vals.present["kd"].tolist() == [False, True]


# -- reversal potentials ---------------------------------------------------------------------
def test_reversal_potentials_default_to_neurons_and_follow_regions(tmp_path):
    regions = """\
    soma: {mechanisms: {hh: {}}, reversal: {na: 55 mV, k: -85 mV}}
    dend: {mechanisms: {hh: {ena: 60 mV}}}
    """
    cell = cell_of(load(write(tmp_path, regions)))
    soma = cell.values(0, np.array([0.5]))
    assert {ion: e[0] for ion, e in soma.reversal.items()} == {"na": 55.0, "k": -85.0,
                                                               "ca": 132.4579}
    assert soma.mechanisms["hh"]["ena"][0] == 55.0 and soma.mechanisms["hh"]["ek"][0] == -85.0
    dend = cell.values(1, np.array([0.5]))
    assert dend.reversal["na"][0] == 60.0 and dend.reversal["k"][0] == -77.0
    assert cell.ions_on(0) == ("na", "k")


def test_hh_ena_and_reversal_na_must_agree(tmp_path):
    path = write(tmp_path, "soma: {mechanisms: {hh: {ena: 60 mV}}, reversal: {na: 50 mV}}\n")
    with pytest.raises(SpecError, match="gives hh ena and reversal na different values") as err:
        load(path)
    assert err.value.field == "populations.cell.cell.regions.soma.mechanisms.hh.ena"


def test_reversal_errors(tmp_path):
    with pytest.raises(SpecError, match=r"unknown field 'cl'.*valid fields: na, k, ca"):
        load(write(tmp_path, "soma: {reversal: {cl: -80 mV}}\n"))
    with pytest.raises(UnitError, match="expected a voltage"):
        load(write(tmp_path, "soma: {reversal: {na: 50 ms}}\n"))


def test_calcium_dynamics_makes_eca_nernst_there(tmp_path):
    top = f"channels:\n  cad: {textwrap.indent(CAD, '  ').strip()}\n"
    cell = cell_of(load(write(tmp_path, "soma: {mechanisms: {cad: {decay: 200 ms}}}\n"
                                        "dend: {reversal: {ca: 120 mV}}\n", top)))
    assert cell.mechanisms["cad"].writes_cai and cell.calcium_dynamics_on(0)
    assert not cell.calcium_dynamics_on(1)
    assert cell.values(0, np.array([0.5])).nernst_ca.tolist() == [True]
    dend = cell.values(1, np.array([0.5]))
    assert dend.nernst_ca.tolist() == [False] and dend.reversal["ca"][0] == 120.0
    path = write(tmp_path, "soma: {mechanisms: {cad: {}}}\nsoma_ca:\n"
                           "  where: {sections: [soma]}\n  reversal: {ca: 120 mV}\n", top)
    with pytest.raises(SpecError, match="region 'soma_ca' sets the calcium reversal potential "
                                        "on section 'soma', where region 'soma' puts calcium "
                                        "dynamics") as err:
        load(path)
    assert err.value.field == "populations.cell.cell.regions.soma_ca.reversal.ca"
    assert err.value.line == line_of(path, "reversal: {ca: 120 mV}")


def test_calcium_dynamics_covers_whole_sections(tmp_path):
    top = f"channels:\n  cad: {textwrap.indent(CAD, '  ').strip()}\n"
    path = write(tmp_path, "far:\n  where: {distance: [100 um, null]}\n"
                           "  mechanisms: {cad: {}}\n", top)
    with pytest.raises(SpecError, match="has no conductance to switch off .* put it in a "
                                        "region without 'distance'"):
        load(path)


# -- the library -----------------------------------------------------------------------------
def test_library_channels_by_name(tmp_path):
    regions = ("soma: {mechanisms: {hh_na: {gbar: 120 mS/cm2}, hh_k: {}, hh_leak: {},\n"
               "                   CaDynamics_E2: {}, Ca_HVA: {}, SK_E2: {}}}\n")
    cell = cell_of(load(write(tmp_path, regions)))
    assert list(cell.mechanisms) == ["pas", "CaDynamics_E2", "Ca_HVA", "SK_E2", "hh_k",
                                     "hh_leak", "hh_na"]
    assert {cell.mechanisms[m].origin for m in cell.mechanisms if m != "pas"} == {"library"}
    assert cell.values(0, np.array([0.5])).mechanisms["hh_na"]["gbar"][0] == pytest.approx(0.12)
    assert cell.ions_on(0) == ("na", "k", "ca") and cell.calcium_dynamics_on(0)
    assert cell.mechanisms["SK_E2"].reads_cai


def test_a_model_channel_may_not_take_a_library_name(tmp_path):
    (tmp_path / "chans").mkdir()
    (tmp_path / "chans" / "hh_k.yaml").write_text(KD.replace("name: kd", "name: hh_k"))
    path = write(tmp_path, "", "channels:\n  hh_k: {file: chans/hh_k.yaml}\n")
    with pytest.raises(SpecError, match="'hh_k' is defined twice: by the model's channel hh_k "
                                        r"\(.*hh_k.yaml\) and by library channel hh_k") as err:
        load(path)
    assert err.value.field == "channels.hh_k"


# -- identity --------------------------------------------------------------------------------
def test_hash_follows_the_contents_of_channel_and_mod_files(tmp_path, kd_file):
    shutil.copy(DATA / "leak_pS.mod", tmp_path / "leak_pS.mod")
    top = "channels:\n  kd: {file: chans/kd.yaml}\nmechanisms: [leak_pS.mod]\n"
    regions = "soma: {mechanisms: {kd: {}, leak_pS: {}}}\n"
    first = load(write(tmp_path, regions, top))
    assert set(first.file_sha256) == {("channels", "kd", "file"), ("mechanisms", 0)}
    # a saved copy elsewhere finds the files and is the same model
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    first.save(elsewhere / "m.yaml")
    again = load(elsewhere / "m.yaml")
    assert again == first and again.sha256 == first.sha256
    # moved files with the same contents: the same model
    moved = tmp_path / "moved"
    (moved / "chans").mkdir(parents=True)
    shutil.copy(kd_file, moved / "chans" / "kd.yaml")
    shutil.copy(tmp_path / "leak_pS.mod", moved / "leak_pS.mod")
    assert load(write(moved, regions, top)).sha256 == first.sha256
    # an edited file: a different model
    kd_file.write_text(KD.replace("0.036 S/cm2", "0.04 S/cm2"))
    assert load(write(tmp_path, regions, top)).sha256 != first.sha256
    kd_file.write_text(KD)
    (tmp_path / "leak_pS.mod").write_text((DATA / "leak_pS.mod").read_text()
                                          .replace("el = -70", "el = -65"))
    assert load(write(tmp_path, regions, top)).sha256 != first.sha256


def test_round_trip_with_inline_channels(tmp_path):
    top = f"channels:\n  cad: {textwrap.indent(CAD, '  ').strip()}\n"
    model = load(write(tmp_path, "soma: {mechanisms: {cad: {}}, reversal: {na: 55 mV}}\n", top))
    (tmp_path / "again.yaml").write_text(model.to_yaml())
    again = load(tmp_path / "again.yaml")
    assert again == model and again.sha256 == model.sha256
    assert cell_of(again).values(0, np.array([0.5])).reversal["na"][0] == 55.0
