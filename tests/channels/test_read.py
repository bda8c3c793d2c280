"""Reading channel files: what a valid file becomes, and every rule's error naming the file,
line, field, what was expected and what was given."""

import hashlib
import textwrap
from pathlib import Path

import pytest

from mnsim.catalogue.mechanisms import Mechanism
from mnsim.channels import CalciumDynamics, Channel, read_channel
from mnsim.channels.model import CAI0_MM, nmodl_name
from mnsim.errors import SpecError

DATA = Path(__file__).parent / "data"
HEAD = """\
name: kx
source: {paper: "A B (2000) J 1:1"}
"""


def write(tmp_path, text, name="kx.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error(tmp_path, text, *fragments, name="kx.yaml"):
    path = write(tmp_path, text, name)
    with pytest.raises(SpecError) as err:
        read_channel(path)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_sodium_fixture():
    ch = read_channel(DATA / "sq_na.yaml")
    assert isinstance(ch, Channel)
    assert (ch.name, ch.ion, ch.conductance, ch.reversal) == ("sq_na", "na", "gnabar", None)
    assert ch.source.paper.startswith("Hodgkin AL, Huxley AF (1952)")
    assert [(g.name, g.power, g.form) for g in ch.gates] == [("m", 3, "alpha_beta"),
                                                            ("h", 1, "alpha_beta")]
    assert (ch.q10.factor, ch.q10.reference_degC, ch.q10.temperature_degC) == (3.0, 6.3, None)
    assert ch.uses_celsius and not ch.uses_cai
    assert [(p.name, p.unit, p.default) for p in ch.params] == [("gnabar", "S/cm2",
                                                                 "0.12 S/cm2")]
    text = (DATA / "sq_na.yaml").read_bytes()
    assert ch.sha256 == hashlib.sha256(text).hexdigest()
    assert ch.path == str(DATA / "sq_na.yaml")
    assert nmodl_name(ch, "gnabar") == "gnabar_sq_na"


def test_mechanisms_of_the_fixtures():
    leak = read_channel(DATA / "sq_leak.yaml")
    assert leak.mechanism == Mechanism(
        name="sq_leak", doc="Squid axon leak current (NEURON's hh, leak part) (Hodgkin AL, "
        "Huxley AF (1952) J Physiol 117:500-544)", params=leak.params, conductances=("gl",),
        states=())
    assert [(p.name, p.default) for p in leak.params] == [("gl", "0.0003 S/cm2"),
                                                         ("el", "-54.3 mV")]
    sk = read_channel(DATA / "sk.yaml")
    assert sk.uses_cai and not sk.uses_celsius
    assert sk.mechanism.states == ("z",) and sk.mechanism.conductances == ("gbar",)
    assert [(p.name, p.unit, p.default) for p in sk.params] == [
        ("gbar", "S/cm2", "0.001 S/cm2"), ("zTau", "ms", "1.0 ms"), ("kd", "mM", "0.00043 mM")]
    assert not sk.gates[0].q10
    hva = read_channel(DATA / "ca_hva.yaml")
    assert hva.q10.temperature_degC == 34.0 and not hva.uses_celsius


def test_calcium_dynamics_fixture():
    ca = read_channel(DATA / "ca_dyn.yaml")
    assert isinstance(ca, CalciumDynamics)
    assert [(p.name, p.unit, p.default) for p in ca.params] == [
        ("gamma", "1", "0.05"), ("decay", "ms", "80.0 ms"), ("depth", "um", "0.1 um"),
        ("minCai", "mM", "0.0001 mM")]
    assert ca.mechanism.conductances == () and ca.mechanism.states == ("cai",)
    assert CAI0_MM == 5e-5


def test_parameters_are_held_in_the_units_expressions_see(tmp_path):
    ch = read_channel(write(tmp_path, HEAD + textwrap.dedent("""\
        ion: k
        conductance: {gbar: 10 mS/cm2}
        parameters: {vh: 0.01 V, tau0: 2 s, k: 3, cmax: 2 uM, rate: 2 Hz, T0: 30 degC}
        gates:
          n: {inf: 1 / (1 + exp(-(v - vh) / 5)), tau: tau0 + 0 * rate * T0 * cmax}
        """)))
    got = {p.name: (p.unit, p.default) for p in ch.params}
    assert got == {"gbar": ("S/cm2", "0.01 S/cm2"), "vh": ("mV", "10.0 mV"),
                   "tau0": ("ms", "2000.0 ms"), "k": ("1", "3.0"), "cmax": ("mM", "0.002 mM"),
                   "rate": ("1/ms", "0.002 1/ms"), "T0": ("degC", "30.0 degC")}
    assert ch.gates[0].form == "inf_tau" and ch.gates[0].q10


def test_inline_mapping_with_name_lines_and_prefix():
    raw = {"source": {"paper": "P"}, "ion": "nonspecific", "conductance": {"g0": "1 S/cm2"},
           "reversal": {"erev": "-45 mV"}, "gates": {"m": {"inf": "1", "instantaneous": True}}}
    ch = read_channel(raw, name="my_h")
    assert ch.name == "my_h" and ch.path is None and ch.sha256 is None
    assert ch.gates[0].form == "instantaneous" and not ch.gates[0].is_state
    bad = {**raw, "gates": {"m": {"inf": "v", "instantaneous": True}}}
    lines = {("channels", "my_h", "gates", "m", "inf"): 17}
    with pytest.raises(SpecError) as err:
        read_channel(bad, name="my_h", file="model.yaml", line_of=lines,
                     prefix=("channels", "my_h"))
    assert str(err.value).startswith("model.yaml:17: channels.my_h.gates.m.inf: channel my_h, "
                                     "gate m: inf must come out as a dimensionless number, but "
                                     "'v' is a voltage")
    with pytest.raises(SpecError, match=r"^model.yaml:3: channels.my_h.ions: unknown field 'ions' "
                                         r"\(did you mean 'ion'\?\)"):
        read_channel({**raw, "ions": "na"}, name="my_h", file="model.yaml",
                     line_of=lambda path: 3, prefix=("channels", "my_h"))


# -- errors ------------------------------------------------------------------------------------
def test_unknown_key_suggests_the_closest(tmp_path):
    error(tmp_path, HEAD + "ion: k\nconductance: {g: 1 S/cm2}\ngates: {}\nparameter: {}\n",
          "kx.yaml:6: parameter: unknown field 'parameter' (did you mean 'parameters'?)",
          "valid fields: name, kind, title, source, ion")
    error(tmp_path, HEAD + "ion: k\nconductance: {g0: 1 S/cm2}\ngates:\n  n: {alfa: 1, beta: 1}\n",
          "kx.yaml:6: gates.n.alfa: unknown field 'alfa' (did you mean 'alpha'?)")


def test_required_fields(tmp_path):
    error(tmp_path, "name: kx\nion: k\nconductance: {g: 1 S/cm2}\ngates: {}\n",
          "kx.yaml:1: missing required field 'source'")
    error(tmp_path, "name: kx\nsource: {model: m}\nion: k\nconductance: {g: 1 S/cm2}\n"
                    "gates: {}\n", "kx.yaml:2: source: missing required field 'paper'")
    error(tmp_path, HEAD + "conductance: {g: 1 S/cm2}\ngates: {}\n",
          "missing required field 'ion'")
    error(tmp_path, HEAD + "ion: k\nconductance: {g: 1 S/cm2}\n",
          "missing required field 'gates'")
    error(tmp_path, "source: {paper: p}\nion: k\nconductance: {g: 1 S/cm2}\ngates: {}\n",
          "missing required field 'name'")


def test_name_rules(tmp_path):
    body = "source: {paper: p}\nion: k\nconductance: {g0: 1 S/cm2}\ngates: {}\n"
    error(tmp_path, "name: 2x\n" + body, "kx.yaml:1: name: expected a name of letters",
          "got '2x'")
    error(tmp_path, "name: hh\n" + body, "'hh' is a NEURON built-in mechanism")
    path = write(tmp_path, "name: other\n" + body)
    with pytest.raises(SpecError, match="the name 'other' must equal the name it is used "
                                        "under, 'kx'"):
        read_channel(path, name="kx")


def test_ion_and_reversal_rules(tmp_path):
    error(tmp_path, HEAD + "ion: K\nconductance: {g0: 1 S/cm2}\ngates: {}\n",
          "kx.yaml:3: ion: expected one of na, k, ca, nonspecific, got 'K'")
    error(tmp_path, HEAD + "ion: na\nconductance: {g0: 1 S/cm2}\nreversal: {e: 50 mV}\n"
                           "gates: {}\n",
          "kx.yaml:5: reversal: an na channel uses the ion's reversal potential (ena)")
    error(tmp_path, HEAD + "ion: nonspecific\nconductance: {g0: 1 S/cm2}\ngates: {}\n",
          "a nonspecific channel needs its reversal potential, e.g. reversal: {e: -45 mV}")
    error(tmp_path, HEAD + "ion: nonspecific\nconductance: {g0: 1 S/cm2}\nreversal: "
                           "{e: -45 ms}\ngates: {}\n",
          "reversal.e: expected a voltage, got '-45 ms' (a time)")


def test_conductance_rules(tmp_path):
    error(tmp_path, HEAD + "ion: k\nconductance: {g: 1 S/cm2}\ngates: {}\n",
          "kx.yaml:4: conductance.g: 'g' is already used (by NEURON or the generated code)")
    error(tmp_path, HEAD + "ion: k\nconductance: {g0: 1 mS}\ngates: {}\n",
          "conductance.g0: expected a conductance density, got '1 mS' (a conductance)")
    error(tmp_path, HEAD + "ion: k\nconductance: {g: 1 S/cm2, h: 1 S/cm2}\ngates: {}\n",
          "conductance: expected exactly one entry, e.g. conductance: {gbar: 0.001 S/cm2}")
    error(tmp_path, HEAD + "ion: k\nconductance: {g0: -1 S/cm2}\ngates: {}\n",
          "expected a value >= 0")


def test_parameter_rules(tmp_path):
    head = HEAD + "ion: k\nconductance: {gbar: 1 S/cm2}\ngates: {}\n"
    error(tmp_path, head + "parameters: {i0: 1 nA}\n",
          "kx.yaml:6: parameters.i0: '1 nA' is a current; a parameter is a voltage, time")
    error(tmp_path, head + "parameters: {v: 1 mV}\n", "'v' is already used (by NEURON or the "
                                                      "generated code)")
    error(tmp_path, head + "parameters: {gbar: 1 mV}\n", "'gbar' is already used (by this "
                                                         "channel)")
    error(tmp_path, head + "parameters: {x: 3 furlong}\n", "unknown unit 'furlong'")


def test_gate_rules(tmp_path):
    head = HEAD + "ion: k\nconductance: {gbar: 1 S/cm2}\n"
    error(tmp_path, head + "gates:\n  n: {alpha: 1}\n",
          "kx.yaml:6: gates.n: a gate needs alpha and beta (rates, 1/ms), inf and tau",
          "got alpha")
    error(tmp_path, head + "gates:\n  n: {inf: 1, tau: 1, instantaneous: true}\n",
          "got inf, tau with instantaneous: true")
    error(tmp_path, head + "gates:\n  n: {power: 0, inf: 1, tau: 1}\n",
          "gates.n.power: expected a whole number >= 1, got 0")
    error(tmp_path, head + "gates:\n  n: {q10: 0, inf: 1, tau: 1}\n",
          "kx.yaml:6: gates.n.q10: expected true or false")
    error(tmp_path, head + "parameters: {n_inf: 1}\ngates:\n  n: {inf: 1, tau: 1}\n",
          "parameters.n_inf: 'n_inf' is the name the generated code gives gate n's inf")
    error(tmp_path, head + "gates:\n  gbar: {inf: 1, tau: 1}\n", "'gbar' is already used")
    error(tmp_path, head + "gates:\n  on: {inf: 1, tau: 1}\n",
          "kx.yaml:6: gates.True: a name must be text, got True (YAML reads on/off/yes/no")


def test_expression_errors_name_the_line_channel_gate_and_field(tmp_path):
    head = HEAD + "ion: k\nconductance: {gbar: 1 S/cm2}\nparameters: {tau0: 2 ms}\n"
    message = error(tmp_path, head + "gates:\n  n:\n    inf: 1\n    tau: tau0 + vv\n",
                    "kx.yaml:9: gates.n.tau: channel kx, gate n, tau: unknown name 'vv'",
                    "names allowed here: v, celsius, cai, tau0")
    assert "gbar" not in message.split("allowed here:")[1]
    error(tmp_path, head + "gates:\n  n:\n    alpha: v + 38\n    beta: 1\n",
          "kx.yaml:8: gates.n.alpha: channel kx, gate n: alpha must come out as a rate (1/ms), "
          "but 'v + 38' is a voltage")
    error(tmp_path, head + "gates:\n  n:\n    inf: 1\n    tau: v - 3\n",
          "tau must come out as a time (ms), but 'v - 3' is a voltage")
    error(tmp_path, head + "gates:\n  n:\n    inf: tau0\n    tau: 1\n",
          "inf must come out as a dimensionless number, but 'tau0' is a time")
    error(tmp_path, head + "gates:\n  n:\n    inf: [1]\n    tau: 1\n",
          "gates.n.inf: expected an expression, got [1]")


def test_calcium_dynamics_rules(tmp_path):
    head = "name: cad\nkind: calcium_dynamics\nsource: {paper: p}\n"
    error(tmp_path, head + "parameters: {gama: 0.1}\n",
          "parameters.gama: unknown field 'gama' (did you mean 'gamma'?)", name="cad.yaml")
    error(tmp_path, head + "parameters: {decay: 0 ms}\n",
          "parameters.decay: expected a value above zero", name="cad.yaml")
    error(tmp_path, head + "parameters: {depth: 1 mV}\n",
          "expected a length, got '1 mV' (a voltage)", name="cad.yaml")
    error(tmp_path, head + "ion: ca\n", "unknown field 'ion'", name="cad.yaml")
    error(tmp_path, "name: cad\nkind: pump\nsource: {paper: p}\n",
          "kind: unknown kind 'pump'; kinds: channel, calcium_dynamics", name="cad.yaml")


def test_unreadable_files(tmp_path):
    with pytest.raises(SpecError, match="missing.yaml: cannot read the channel file"):
        read_channel(tmp_path / "missing.yaml")
    error(tmp_path, "name: [\n", "malformed YAML")
    error(tmp_path, "- 1\n", "expected a mapping of channel fields")
