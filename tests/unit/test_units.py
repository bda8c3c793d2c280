import pytest

from mnsim.errors import UnitError
from mnsim.units import dimension_name, dims_of, to_unit


@pytest.mark.parametrize("text, unit, expected", [
    ("20 ms", "ms", 20.0),
    ("0.25 nF", "pF", 250.0),
    ("10 uA/cm2", "uA/cm2", 10.0),
    ("1000 um2", "cm2", 1e-5),
    ("1000 um^2", "cm**2", 1e-5),
    ("150 ohm*cm", "ohm*cm", 150.0),
    ("1e-4 S/cm2", "mS/cm2", 0.1),
    ("0.02 1/ms", "1/ms", 0.02),
    ("0.02 /ms", "Hz", 20.0),
    ("2 mV/ms", "V/s", 2.0),
    ("4 nS", "uS", 0.004),
    ("0.5 nA", "pA", 500.0),
    ("6.3 degC", "degC", 6.3),
    ("300 K", "degC", 26.85),
    ("3", "1", 3.0),
    (7, "", 7.0),
])
def test_conversions(text, unit, expected):
    assert to_unit(text, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text, unit, message", [
    ("20 mV", "ms", "expected a time, got '20 mV' (a voltage)"),
    (20, "ms", "expected a time with a unit, e.g. '20 ms', got 20 (no unit)"),
    ("10 uA/cm2", "nA", "expected a current, got '10 uA/cm2' (a current density)"),
    ("20 xs", "ms", "unknown unit 'xs'"),
    ("fast", "ms", "expected a number with a unit such as '20 ms', got 'fast'"),
    ("20 degC", "ms", "expected a time, got '20 degC' (a temperature)"),
    ("20 ms", "degC", "expected a temperature in degC or K"),
    (True, "ms", "expected a number with a unit"),
])
def test_errors_name_expected_and_given(text, unit, message):
    with pytest.raises(UnitError) as err:
        to_unit(text, unit)
    assert message in str(err.value)


def test_dimension_names():
    assert dimension_name(dims_of("1 S/cm2")) == "conductance density"
    assert dimension_name(dims_of("1 uF/cm2")) == "specific capacitance"
