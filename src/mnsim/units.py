"""One parser for quantities written as text: ``"20 ms"``, ``"10 uA/cm2"``, ``"150 ohm*cm"``.

Every quantity in a model file is a string with a unit. :func:`to_unit` parses it, checks its
dimension against the unit it must be converted to, and returns a plain float in that unit.
Nothing else in mnsim parses units.

Grammar: ``NUMBER [UNIT]`` where ``UNIT`` is factors joined by ``*`` and ``/`` (each ``/``
divides by the factor that follows it only), a factor is ``[prefix]symbol[power]`` and a power
is written ``2``, ``^2`` or ``**2`` (``cm2``, ``um^2``, ``cm**2``). ``degC`` is the only
offset unit and may only stand alone.
"""

from __future__ import annotations

import math
import re

from mnsim.errors import UnitError

# Dimension vectors over (m, kg, s, A, K, mol).
Dims = tuple[int, int, int, int, int, int]
_NONE: Dims = (0, 0, 0, 0, 0, 0)

# symbol -> (scale to SI, dims)
_BASE: dict[str, tuple[float, Dims]] = {
    "s": (1.0, (0, 0, 1, 0, 0, 0)),
    "m": (1.0, (1, 0, 0, 0, 0, 0)),
    "g": (1e-3, (0, 1, 0, 0, 0, 0)),
    "A": (1.0, (0, 0, 0, 1, 0, 0)),
    "K": (1.0, (0, 0, 0, 0, 1, 0)),
    "mol": (1.0, (0, 0, 0, 0, 0, 1)),
    "V": (1.0, (2, 1, -3, -1, 0, 0)),
    "F": (1.0, (-2, -1, 4, 2, 0, 0)),
    "S": (1.0, (-2, -1, 3, 2, 0, 0)),
    "ohm": (1.0, (2, 1, -3, -2, 0, 0)),
    "Ohm": (1.0, (2, 1, -3, -2, 0, 0)),
    "Hz": (1.0, (0, 0, -1, 0, 0, 0)),
    "M": (1e3, (-3, 0, 0, 0, 0, 1)),  # mol/L
    "rad": (1.0, _NONE),
    "deg": (3.141592653589793 / 180.0, _NONE),
    "1": (1.0, _NONE),
}
_PREFIX = {"G": 1e9, "M": 1e6, "k": 1e3, "c": 1e-2, "m": 1e-3, "u": 1e-6, "µ": 1e-6,
           "n": 1e-9, "p": 1e-12, "f": 1e-15}

# Names of dimensions, for messages ("expected a time, got '20 mV' (a voltage)").
_NAMES: dict[Dims, str] = {
    _NONE: "dimensionless number",
    (0, 0, 1, 0, 0, 0): "time",
    (0, 0, -1, 0, 0, 0): "frequency (or rate)",
    (2, 1, -3, -1, 0, 0): "voltage",
    (2, 1, -4, -1, 0, 0): "voltage per time",
    (0, 0, 0, 1, 0, 0): "current",
    (-2, 0, 0, 1, 0, 0): "current density",
    (-2, -1, 4, 2, 0, 0): "capacitance",
    (-4, -1, 4, 2, 0, 0): "specific capacitance",
    (-2, -1, 3, 2, 0, 0): "conductance",
    (-4, -1, 3, 2, 0, 0): "conductance density",
    (2, 1, -3, -2, 0, 0): "resistance",
    (3, 1, -3, -2, 0, 0): "resistivity",
    (4, 1, -3, -2, 0, 0): "specific membrane resistance",
    (1, 0, 0, 0, 0, 0): "length",
    (2, 0, 0, 0, 0, 0): "area",
    (0, 0, 0, 0, 1, 0): "temperature",
    (-3, 0, 0, 0, 0, 1): "concentration",
}

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_FACTOR = re.compile(r"^([A-Za-zµ]+|1)(?:\*\*|\^)?(-?\d+)?$")
_cache: dict[str, tuple[float, Dims]] = {}


def dimension_name(dims: Dims) -> str:
    """Human name of a dimension vector, e.g. ``"voltage"``."""
    return _NAMES.get(dims, f"quantity of dimension {_format_dims(dims)}")


def _format_dims(dims: Dims) -> str:
    parts = [f"{b}^{p}" if p != 1 else b for b, p in zip(("m", "kg", "s", "A", "K", "mol"), dims)
             if p]
    return "*".join(parts) or "1"


def _symbol(token: str) -> tuple[float, Dims]:
    if token in _BASE:
        return _BASE[token]
    if token[:1] in _PREFIX and token[1:] in _BASE and token[1:] != "1":
        scale, dims = _BASE[token[1:]]
        return _PREFIX[token[0]] * scale, dims
    raise UnitError(f"unknown unit '{token}' (known: s, m, V, A, F, S, ohm, Hz, M, mol, g, "
                    f"K, degC, deg, rad with prefixes G M k c m u n p f)")


def parse_unit(unit: str) -> tuple[float, Dims]:
    """Scale to SI and dimension vector of a unit string such as ``"uA/cm2"``."""
    if unit in _cache:
        return _cache[unit]
    text = unit.replace(" ", "")
    if not text:
        return 1.0, _NONE
    scale, dims = 1.0, list(_NONE)
    for i, (op, factor) in enumerate(re.findall(r"([*/]?)([^*/]+(?:\*\*-?\d+)?)", text)):
        if i > 0 and not op:
            raise UnitError(f"cannot read unit '{unit}'")
        match = _FACTOR.match(factor)
        if not match:
            raise UnitError(f"cannot read unit '{unit}' (at '{factor}')")
        fscale, fdims = _symbol(match.group(1))
        power = int(match.group(2) or 1) * (-1 if op == "/" else 1)
        scale *= fscale**power
        dims = [d + f * power for d, f in zip(dims, fdims)]
    _cache[unit] = (scale, tuple(dims))  # type: ignore[assignment]
    return _cache[unit]


def _split(text: object) -> tuple[float, str]:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise UnitError(f"expected a number with a unit, got {text!r}")
    if isinstance(text, (int, float)):
        return float(text), ""
    match = _NUMBER.match(text)
    if not match:
        raise UnitError(f"expected a number with a unit such as '20 ms', got '{text}'")
    return float(match.group(1)), match.group(2)


def to_unit(text: object, unit: str) -> float:
    """Parse ``text`` and return its value in ``unit``, checking the dimension.

    Parameters
    ----------
    text
        A quantity such as ``"20 ms"``; a bare number is accepted only when ``unit`` is
        dimensionless (``""`` or ``"1"``).
    unit
        The unit to convert to, e.g. ``"ms"``.

    Returns
    -------
    float
        The magnitude in ``unit``.

    Raises
    ------
    UnitError
        No unit, an unknown unit, or a dimension other than ``unit``'s.

    Examples
    --------
    >>> to_unit("0.25 nF", "pF")
    250.0
    >>> to_unit("6.3 degC", "degC")
    6.3
    """
    value, given = _split(text)
    if not math.isfinite(value):
        raise UnitError(f"expected a finite number, got {text!r}")
    if unit == "degC":
        return _temperature(value, given, text)
    target_scale, target_dims = parse_unit(unit)
    if given == "degC":
        raise UnitError(f"expected a {dimension_name(target_dims)}, got '{text}' (a temperature)")
    if not given and target_dims != _NONE:
        raise UnitError(f"expected a {dimension_name(target_dims)} with a unit, e.g. "
                        f"'{_example(value, unit)}', got {text!r} (no unit)")
    scale, dims = parse_unit(given)
    if dims != target_dims:
        raise UnitError(f"expected a {dimension_name(target_dims)}, got '{text}' "
                        f"(a {dimension_name(dims)})")
    result = value * scale / target_scale
    # Undo binary rounding noise from prefix arithmetic (0.1 * 1e-3 / 1e-6 = 99.99999999999999).
    return float(f"{result:.12g}") if math.isfinite(result) else result


def _temperature(value: float, given: str, text: object) -> float:
    if given == "degC":
        return value
    if given == "K":
        return value - 273.15
    raise UnitError(f"expected a temperature in degC or K, got {text!r}")


def _example(value: float, unit: str) -> str:
    return f"{value:g} {unit}"


def dims_of(text: object) -> Dims:
    """Dimension vector of a quantity string (``"10 uA/cm2"`` -> current density)."""
    _, given = _split(text)
    if given == "degC":
        return (0, 0, 0, 0, 1, 0)
    return parse_unit(given)[1]


def is_dimension(text: object, unit: str) -> bool:
    """True when ``text`` has the same dimension as ``unit`` (no exception for bad text)."""
    try:
        return dims_of(text) == parse_unit(unit)[1]
    except UnitError:
        return False
