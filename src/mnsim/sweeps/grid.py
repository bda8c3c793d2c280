"""What a sweep varies: one :class:`Axis` per model field, read from the range syntax of
``--vary``, and the grid of points (their product).

Syntax of one axis (``--vary PATH=SPEC``, or ``vary: {PATH: SPEC}`` in a sweep file, where
SPEC may also be a YAML list of items)::

    SPEC  := ITEM [, ITEM ...] [UNIT]
    ITEM  := NUMBER [UNIT]                        one value
           | START:STOP:STEP [UNIT]               a range (a unit may follow any of the three)
           | TEXT                                 a value that is not a number (a cell type)

* A range is ``START + k * STEP`` for k = 0, 1, 2, ..., computed exactly in decimal (no float
  accumulation: ``0:1:0.1`` gives 0.3, not 0.30000000000000004), up to and including ``STOP``
  when STOP lies on the grid, never beyond it: ``0:20:0.5`` has 41 values, 0 and 20 included;
  ``0:1:0.3`` is 0, 0.3, 0.6, 0.9. STEP may be negative (``20:0:-5``), never 0.
* One unit per axis: items without a unit take the axis unit (the last one written:
  ``0.3, 0.5 nA``), items in another unit of the same dimension are converted to it.
* Numbers are sorted ascending and duplicates dropped (every point is an independent run
  from the initial state, so order carries no meaning); text values keep their order.
* Several axes make a grid: their product, the first axis varying slowest.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mnsim.errors import MnsimError, UnitError
from mnsim.units import dims_of, parse_unit, to_unit

MAX_VALUES = 100_000  # per axis: beyond that the step is surely a typo

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Axis:
    """One varied field: its dotted ``path``, ``unit`` (``""`` for a number without unit or
    for text) and ``values`` (:class:`~decimal.Decimal` numbers or ``str`` texts)."""

    path: str
    unit: str
    values: tuple[Decimal | str, ...]
    spec: str  # as written, for the saved sweep definition

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, Decimal) for v in self.values)

    @property
    def column(self) -> str:
        """The table column: ``"stimuli.step.amplitude (uA/cm2)"``, or the bare path."""
        return f"{self.path} ({self.unit})" if self.unit else self.path

    def override(self, value: Decimal | str) -> str:
        """The ``--set`` text of one value: ``"2.25 uA/cm2"``, ``"7"``, ``"IF_cond_exp"``."""
        if isinstance(value, str):
            return value
        text = number_text(value)
        return f"{text} {self.unit}" if self.unit else text

    def cell(self, value: Decimal | str) -> float | int | str:
        """The value as it goes into the table: a float in the axis unit (an int for whole
        numbers without a unit, such as a seed), or the text."""
        if isinstance(value, str):
            return value
        if not self.unit and value == value.to_integral_value():
            return int(value)
        return float(value)


def number_text(value: Decimal) -> str:
    """Shortest exact decimal text: ``Decimal("2.50")`` -> ``"2.5"``, ``20.0`` -> ``"20"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def parse_axis(path: str, spec: Any, *, where: str = "--vary") -> Axis:
    """Read one axis.

    Parameters
    ----------
    path
        The dotted model field, e.g. ``"stimuli.step.amplitude"``.
    spec
        ``"0:20:0.5 uA/cm2"``, ``"1 nA, 2 nA"``, ``"IF_curr_exp,IF_cond_exp"``, a number, or a
        list of such items.
    where
        Where the spec was written, for messages (``--vary`` or ``FILE: vary.PATH``).

    Raises
    ------
    MnsimError
        A malformed item, a zero or wrongly signed step, mixed dimensions, too many values.

    Examples
    --------
    >>> axis = parse_axis("stimuli.step.amplitude", "0:1:0.25uA/cm2")
    >>> [axis.override(v) for v in axis.values]
    ['0 uA/cm2', '0.25 uA/cm2', '0.5 uA/cm2', '0.75 uA/cm2', '1 uA/cm2']
    """
    path = str(path).strip()
    if not path or any(not part for part in path.split(".")):
        raise MnsimError(f"{where}: expected PATH=VALUES with a dotted model field as PATH "
                         f"(e.g. stimuli.step.amplitude=0:20:0.5uA/cm2), got path '{path}'")
    items = _items(spec, path, where)
    if not items:
        raise MnsimError(f"{where}: {path}: no values given; write e.g. {path}=0:20:0.5uA/cm2 "
                         f"or {path}=1nA,2nA")
    parsed = [_item(text, path, where) for text in items]
    unit = next((u for kind, _, u in reversed(parsed) if kind == "number" and u), "")
    numbers: list[Decimal] = []
    texts: list[str] = []
    for kind, payload, item_unit in parsed:
        if kind == "text":
            texts.append(payload)
            continue
        for value in payload:
            numbers.append(_convert(value, item_unit or unit, unit, path, where))
    if texts and (numbers and unit):
        raise MnsimError(f"{where}: {path}: mixes numbers with units and text "
                         f"({', '.join(texts[:3])}); vary one kind of value per field")
    if texts:
        values: tuple[Decimal | str, ...] = tuple(dict.fromkeys(
            [*texts, *(number_text(n) for n in numbers)]))
        unit = ""
    else:
        values = tuple(sorted(set(numbers)))
    if len(values) > MAX_VALUES:
        raise MnsimError(f"{where}: {path}: {len(values)} values (more than {MAX_VALUES}); "
                         f"check the step")
    return Axis(path=path, unit=unit, values=values, spec=", ".join(items))


def _items(spec: Any, path: str, where: str) -> list[str]:
    if spec is None:
        raise MnsimError(f"{where}: {path}: no values (in a YAML flow mapping {{...}} a comma "
                         f"separates entries: quote the values, '10, 20 pA', or give a list)")
    if isinstance(spec, bool):
        raise MnsimError(f"{where}: {path}: expected values such as '0:20:0.5 uA/cm2' or "
                         f"'1 nA, 2 nA', got {spec!r}")
    if isinstance(spec, (int, float, Decimal)):
        return [str(spec)]
    if isinstance(spec, str):
        return [part.strip() for part in spec.split(",") if part.strip()]
    if isinstance(spec, Sequence):
        out: list[str] = []
        for item in spec:
            if isinstance(item, (list, tuple, dict)):
                raise MnsimError(f"{where}: {path}: each value is one number with a unit, a "
                                 f"range or a text, got {item!r} (per-neuron lists cannot be "
                                 f"varied; vary one neuron's field or the population size)")
            out += _items(item, path, where)
        return out
    raise MnsimError(f"{where}: {path}: expected values such as '0:20:0.5 uA/cm2', got "
                     f"{type(spec).__name__} {spec!r}")


def _item(text: str, path: str, where: str) -> tuple[str, Any, str]:
    """("number", [values], unit) or ("text", text, "")."""
    parts = text.split(":")
    if len(parts) == 1:
        number = _number(parts[0], path, where)
        if number is None:
            if any(c in text for c in "[]{}"):
                raise MnsimError(f"{where}: {path}: cannot vary '{text}': give one value "
                                 f"per point (no lists or mappings)")
            return "text", text, ""
        return "number", [number[0]], number[1]
    if len(parts) != 3:
        raise MnsimError(f"{where}: {path}: cannot read range '{text}': write START:STOP:STEP "
                         f"with an optional unit, e.g. 0:20:0.5uA/cm2")
    numbers = [_number(p, path, where) for p in parts]
    if any(n is None for n in numbers):
        bad = parts[[n is None for n in numbers].index(True)]
        raise MnsimError(f"{where}: {path}: cannot read range '{text}': '{bad.strip()}' is not "
                         f"a number (with an optional unit); write START:STOP:STEP, e.g. "
                         f"0:20:0.5uA/cm2")
    units = {u for _, u in numbers if u}  # type: ignore[misc]
    if len(units) > 1:
        raise MnsimError(f"{where}: {path}: range '{text}' mixes units {sorted(units)}; give "
                         f"one unit, e.g. 0:20:0.5uA/cm2")
    (start, _), (stop, _), (step, _) = numbers  # type: ignore[misc]
    return "number", _range(start, stop, step, text, path, where), units.pop() if units else ""


def _number(text: str, path: str, where: str) -> tuple[Decimal, str] | None:
    """(number, unit), or None when ``text`` does not start with a number."""
    match = _NUMBER.match(text)
    if not match:
        return None
    unit = match.group(2)
    if unit and not unit[0].isalpha() and unit[0] not in "µ1":
        return None  # "2-3", "1.2.3": not a quantity; passed on as text
    if unit and unit != "degC":  # the one offset unit: parse_unit leaves it to to_unit
        try:
            parse_unit(unit)
        except UnitError as exc:
            raise MnsimError(f"{where}: {path}: '{text.strip()}': {exc}") from None
    try:
        return Decimal(match.group(1)), unit
    except InvalidOperation:
        return None


def _range(start: Decimal, stop: Decimal, step: Decimal, text: str, path: str,
           where: str) -> list[Decimal]:
    if step == 0:
        raise MnsimError(f"{where}: {path}: range '{text}' has a zero step; write "
                         f"START:STOP:STEP with STEP != 0")
    if (stop - start) * step < 0:
        raise MnsimError(f"{where}: {path}: range '{text}' never reaches its stop: the step "
                         f"goes the other way (write {stop}:{start}:{abs(step)} or use a "
                         f"{'negative' if step > 0 else 'positive'} step)")
    count = int((stop - start) / step) + 1  # exact: Decimal division, truncated
    if count > MAX_VALUES:
        raise MnsimError(f"{where}: {path}: range '{text}' has {count} values (more than "
                         f"{MAX_VALUES}); check the step")
    return [start + k * step for k in range(count)]


def _convert(value: Decimal, given: str, unit: str, path: str, where: str) -> Decimal:
    if given == unit:
        return value
    try:
        if dims_of(f"1 {given}") != dims_of(f"1 {unit}"):
            raise UnitError("")
        return Decimal(repr(to_unit(f"{value} {given}", unit)))
    except UnitError:
        raise MnsimError(f"{where}: {path}: '{value} {given}' cannot be written in {unit}, the "
                         f"unit of the other values; give one kind of quantity") from None


def parse_vary(vary: Mapping[str, Any] | Iterable[str] | None, *,
               where: str = "--vary") -> list[Axis]:
    """Axes from a mapping ``{path: spec}`` or from ``PATH=SPEC`` texts (the command line).

    Raises
    ------
    MnsimError
        A malformed text, a path given twice, or no axis at all.
    """
    pairs: list[tuple[str, Any]] = []
    if isinstance(vary, Mapping):
        pairs = list(vary.items())
    elif vary is not None:
        for text in ([vary] if isinstance(vary, str) else vary):
            path, sep, spec = str(text).partition("=")
            if not sep:
                raise MnsimError(f"{where} expects PATH=VALUES (e.g. stimuli.step.amplitude="
                                 f"0:20:0.5uA/cm2 or populations.cells.size=1,10,100), got "
                                 f"'{text}'")
            pairs.append((path.strip(), spec))
    if not pairs:
        raise MnsimError(f"{where}: nothing to vary; give at least one PATH=VALUES, e.g. "
                         f"stimuli.step.amplitude=0:20:0.5uA/cm2")
    axes = [parse_axis(path, spec, where=where) for path, spec in pairs]
    seen = [a.path for a in axes]
    for path in seen:
        if seen.count(path) > 1:
            raise MnsimError(f"{where}: {path} is varied twice; give all its values in one "
                             f"entry, e.g. {path}=0:1:0.1,2,5")
    return axes


def grid(axes: Sequence[Axis]) -> list[tuple[Decimal | str, ...]]:
    """Every point: the product of the axes' values, the first axis varying slowest."""
    return list(itertools.product(*(a.values for a in axes)))
