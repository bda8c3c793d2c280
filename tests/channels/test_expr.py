"""The expression language: the whitelist, the units check, and the three renderings (NMODL,
Brian2, numpy) against formulas written out independently."""

import numpy as np
import pytest

from mnsim.channels.expr import exprelr, parse
from mnsim.errors import SpecError
from mnsim.units import parse_unit

VOLTAGE, TIME, CONC = (parse_unit(u)[1] for u in ("mV", "ms", "mM"))
TEMPERATURE = (0, 0, 0, 0, 1, 0)
SYMBOLS = {"v": VOLTAGE, "celsius": TEMPERATURE, "vshift": VOLTAGE, "tau0": TIME, "cai": CONC}
WHERE = "channel NaX, gate m, alpha"


def expr(text, symbols=SYMBOLS):
    return parse(text, symbols=symbols, where=WHERE, file="chan.yaml", line=12,
                 field="gates.m.alpha")


def rejected(text, *fragments):
    with pytest.raises(SpecError) as err:
        expr(text)
    message = str(err.value)
    assert message.startswith("chan.yaml:12: gates.m.alpha: channel NaX, gate m, alpha: ")
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- the whitelist -----------------------------------------------------------------------------
def test_attribute_access_is_rejected():
    rejected("v.real", "'v.real' (attribute access) is not allowed", "exp(x)", "vtrap(x, y)")


def test_import_call_is_rejected():
    rejected("__import__('os').system('true')", "'__import__('os').system' cannot be called")
    rejected("__import__('os')", "unknown function '__import__'", "functions: exp, log, sqrt")


def test_lambda_is_rejected():
    rejected("(lambda: 1)()", "cannot be called")
    rejected("lambda x: x", "(lambda) is not allowed")


def test_subscript_is_rejected():
    rejected("v[0]", "'v[0]' (subscript) is not allowed")


def test_comparison_is_rejected():
    rejected("v > 0", "'v > 0' (comparison) is not allowed")


def test_other_forbidden_forms():
    rejected("v if v else 1", "conditional expression")
    rejected("[v]", "(list) is not allowed")
    rejected("'text'", "'text' is not a number")
    rejected("True", "True is not a number")
    rejected("v // 2", "operator in 'v // 2' is not allowed")
    rejected("v % 2", "operator in 'v % 2' is not allowed")
    rejected("not v", "operator in 'not v' is not allowed")
    rejected("1e999 * v", "is not finite")
    rejected("exp(x=v)", "give exp's arguments by position")


def test_unknown_name_lists_the_allowed_names():
    rejected("0.1 * vv", "unknown name 'vv' (did you mean 'v'?)",
             "names allowed here: v, celsius, vshift, tau0, cai")


def test_unknown_function_suggests_the_closest():
    rejected("expp(v / vshift)", "unknown function 'expp' (did you mean 'exp'?)",
             "functions: exp, log, sqrt, tanh, pow, abs, exprelr, vtrap")


def test_wrong_arity():
    rejected("exp(1, 2)", "exp takes 1 argument, got 2 in 'exp(1, 2)'")
    rejected("vtrap(v)", "vtrap takes 2 arguments, got 1")
    rejected("pow(2)", "pow takes 2 arguments, got 1")


def test_function_name_used_as_a_symbol():
    rejected("exp + 1", "'exp' is a function: call it")


def test_syntax_error_and_empty_text():
    rejected("(v + ", "cannot read the expression")
    rejected("  ", "expected an expression, got an empty text")


def test_caret_is_a_power_and_mixing_is_refused():
    assert expr("2 ^ 3").evaluate({}) == pytest.approx(8.0)
    assert expr("2 ** 3 ^ 2").evaluate({}) == pytest.approx(2.0 ** 9)  # right associative
    rejected("2 ^* 3", "'^' next to '*' or another '^' is ambiguous")
    rejected("2 *^ 3", "ambiguous")
    rejected("2 ^^ 3", "ambiguous")


# -- units ---------------------------------------------------------------------------------------
def test_adding_a_time_to_a_voltage_names_both():
    rejected("v + tau0", "'v + tau0' adds a time to a voltage",
             "both sides of + and - need the same dimension")
    rejected("(v / vshift) ^ 2 - v", "'(v / vshift) ^ 2 - v' subtracts a voltage from a "
                                     "dimensionless number")  # quoted as written


def test_exp_of_a_voltage_parameter():
    rejected("exp(vshift)", "exp needs a dimensionless argument, but 'vshift' is a voltage")
    rejected("tanh(v - 3)", "tanh needs a dimensionless argument", "voltage")


def test_exponent_must_be_dimensionless():
    rejected("2 ^ v", "the exponent 'v' is a voltage")
    rejected("v ^ (celsius / 10)", "can only be raised to a constant power")


def test_bare_numbers_take_the_dimension_their_context_needs():
    assert expr("0.1 * (v + 40)").dimension is None  # 0.1 has whatever unit fits
    assert expr("v + 40").dimension == VOLTAGE
    assert expr("(v - vshift) / vshift").dimension == (0, 0, 0, 0, 0, 0)
    assert expr("exp((v + 66) / 6)").dimension == (0, 0, 0, 0, 0, 0)
    assert expr("tau0 * 2").dimension is None
    assert expr("tau0 + 2").dimension == TIME
    assert expr("v ^ 2").dimension == tuple(2 * d for d in VOLTAGE)
    assert expr("sqrt(v * v)").dimension == VOLTAGE
    assert expr("vtrap(v + 38, 6)").dimension == VOLTAGE
    with pytest.raises(SpecError, match="vtrap\\(x, y\\) needs x and y of one dimension"):
        expr("vtrap(v, tau0)")


# -- evaluation against numpy formulas -----------------------------------------------------------
V = np.linspace(-100.0, 60.0, 321)


@np.errstate(invalid="ignore", divide="ignore")
def test_evaluate_matches_numpy_formulas():
    cases = {
        "0.182 * vtrap(v + 38, 6)": 0.182 * (V + 38) / (np.exp((V + 38) / 6) - 1),
        "1 / (1 + exp((v + 66) / 6))": 1 / (1 + np.exp((V + 66) / 6)),
        "4 * exp(-(v + 65) / 18)": 4 * np.exp(-(V + 65) / 18),
        "-(v / vshift) ^ 2 + abs(v / vshift) / 7 - sqrt(abs(v * v)) / vshift + log(2 + "
        "tanh(v / 10))": -((V / -5) ** 2) + np.abs(V / -5) / 7 - np.sqrt(np.abs(V * V)) / -5
        + np.log(2 + np.tanh(V / 10)),
        "pow(2, v / 50) / 3 - 2 - 1": 2 ** (V / 50) / 3 - 2 - 1,
        "2.3 ^ ((celsius - 21) / 10)": np.full_like(V, 2.3 ** ((34 - 21) / 10)),
        "(v - vshift) * 1e-3": (V + 5) * 1e-3,
    }
    for text, want in cases.items():  # (the numpy side divides 0 by 0 at one point)
        got = np.broadcast_to(expr(text).evaluate({"v": V, "celsius": 34.0, "vshift": -5.0}),
                              V.shape)
        where = np.isfinite(want)
        np.testing.assert_allclose(got[where], want[where], rtol=1e-12, atol=1e-300,
                                   err_msg=text)


def test_exprelr_and_vtrap_are_continuous_at_zero():
    x = np.array([-1e-3, -1e-6, -1e-9, 0.0, 1e-9, 1e-6, 1e-3])
    want = np.array([1 - xi / 2 + xi ** 2 / 12 for xi in x])  # the series to O(x^4)
    np.testing.assert_allclose(exprelr(x), want, rtol=1e-12)
    got = expr("vtrap(-(v + 40), 10)").evaluate({"v": -40.0 + x})  # 10 exprelr(-x/10)
    y = -x / 10
    np.testing.assert_allclose(got, 10 * (1 - y / 2 + y ** 2 / 12), rtol=1e-12)
    assert expr("exprelr((v - v) / vshift)").evaluate({"v": 3.0, "vshift": 1.0}) == 1.0


# -- renderings ----------------------------------------------------------------------------------
def test_nmodl_text_keeps_the_grouping():
    assert expr("0.182 * vtrap(v + 38, 6)").nmodl() == "0.182*mnsim_vtrap(v + 38.0, 6.0)"
    assert expr("a - (b - c)", {"a": VOLTAGE, "b": VOLTAGE, "c": VOLTAGE}).nmodl() == \
        "a - (b - c)"
    assert expr("-v ^ 2").nmodl() == "-(v^2.0)"
    assert expr("2 ^ 3 ^ 2").nmodl() == "2.0^(3.0^2.0)"
    assert expr("(2 ^ 3) ^ 2").nmodl() == "(2.0^3.0)^2.0"
    assert expr("abs(v) * pow(v, 2) / exprelr(v / vshift)").nmodl() == \
        "fabs(v)*(v)^(2.0)/mnsim_exprelr(v/vshift)"


def test_brian2_text_uses_names_exprel_and_exact_numbers():
    names = {"v": "(v/mV)", "vshift": "(vshift_NaX/mV)"}
    assert expr("0.1 * vtrap(-(v + 40), 10)").brian2(names) == \
        "(1/10)*((10)/exprel((-((v/mV) + 40))/(10)))"
    assert expr("exprelr(v / vshift) ^ 2").brian2(names) == \
        "(1.0/exprel((v/mV)/(vshift_NaX/mV)))**2"
    assert expr("2.5e-3 * v").brian2(names) == "(1/400)*(v/mV)"
    assert expr("3.8e-20 * v").brian2(names) == "3.8e-20*(v/mV)"  # too fine for a fraction
    with pytest.raises(KeyError, match="no Brian2 name for vshift"):
        expr("v + vshift").brian2({"v": "(v/mV)"})


@pytest.mark.requires_brian2
def test_brian2_rendering_evaluates_like_numpy_also_at_the_singularity():
    brian2 = pytest.importorskip("brian2")
    brian2.prefs.codegen.target = "numpy"
    text = "0.1 * vtrap(-(v + 40), 10) + 0.05 * exprelr((v + 27) / 3.8) - v ^ 2 / 1e4"
    e = expr(text)
    volts = np.array([-80.0, -40.0 - 1e-9, -40.0, -40.0 + 1e-7, -27.0, 0.0, 35.0])
    group = brian2.NeuronGroup(len(volts), f"y = {e.brian2({'v': '(v/mV)'})} : 1\n"
                                           "v : volt (constant)")
    group.v = volts * brian2.mV
    brian2.Network(group).run(0 * brian2.ms)  # (an unused group makes Brian2 warn)
    np.testing.assert_allclose(group.y[:], e.evaluate({"v": volts}), rtol=1e-12)
    with np.errstate(invalid="ignore"):
        want = (0.1 * -(volts + 40) / np.expm1(-(volts + 40) / 10)
                + 0.05 * exprelr((volts + 27) / 3.8) - volts ** 2 / 1e4)
    at_zero = np.abs(volts + 40.0) < 1e-8
    want[at_zero] = 1.0 + 0.05 * exprelr((volts[at_zero] + 27) / 3.8) - 0.16
    np.testing.assert_allclose(group.y[:], want, rtol=1e-9)
