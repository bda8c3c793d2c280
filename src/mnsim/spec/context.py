"""Where a value came from, and errors that say so.

A :class:`Context` knows the file, the line of every field and which fields an override
(``--set``) replaced. The builder asks it to check types and units; every failure comes back
as a :class:`~mnsim.errors.SpecError` naming the file, line and dotted field path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import numpy as np

from mnsim.errors import SpecError, UnitError
from mnsim.spec.yamlio import Lines
from mnsim.units import to_unit

Path = tuple[Any, ...]


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def closest(name: str, valid: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest valid name, or an empty string."""
    match = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


class Context:
    def __init__(self, file: str, lines: Lines,
                 overridden: Mapping[Path, tuple[str, int | None]] | None = None) -> None:
        self.file = file
        self.lines = lines
        self.overridden = dict(overridden or {})  # path -> (file, line) of the override

    # -- locating ---------------------------------------------------------------------------
    def where(self, path: Path) -> tuple[str, int | None]:
        for i in range(len(path), -1, -1):
            if path[:i] in self.overridden:
                return self.overridden[path[:i]]
        for i in range(len(path), -1, -1):
            if path[:i] in self.lines:
                return self.file, self.lines[path[:i]]
        return self.file, None

    def fail(self, path: Path, message: str, cls: type[SpecError] = SpecError) -> NoReturn:
        file, line = self.where(path)
        raise cls(message, field=dotted(path) or None, file=file, line=line)

    # -- checking ---------------------------------------------------------------------------
    def mapping(self, value: Any, path: Path, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping of {what}, got {_show(value)}")
        return value

    def sequence(self, value: Any, path: Path) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {value!r}")
        return value

    def keys(self, value: Mapping[str, Any], path: Path, allowed: Iterable[str],
             required: Iterable[str] = ()) -> None:
        allowed = list(allowed)
        for key in value:
            if key not in allowed:
                self.fail(path + (key,), f"unknown field '{key}'{closest(str(key), allowed)}; "
                                         f"valid fields: {', '.join(allowed)}")
        for key in required:
            if key not in value:
                self.fail(path, f"missing required field '{key}'")

    def string(self, value: Any, path: Path) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty text, got {_show(value)}")
        return value

    def positive_int(self, value: Any, path: Path, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(path, f"expected {what} as a positive whole number, got {_show(value)}")
        return value

    def quantity(self, value: Any, unit: str, path: Path, *, positive: bool = False) -> float:
        try:
            result = to_unit(value, unit)
        except UnitError as exc:
            file, line = self.where(path)
            raise exc.located(field=dotted(path), file=file, line=line) from None
        if positive and not result > 0:
            self.fail(path, f"expected a value above zero, got {_show(value)}")
        return result

    def per_neuron(self, value: Any, unit: str, size: int, path: Path) -> float | np.ndarray:
        """A scalar quantity, or a list with one quantity per neuron (length ``size``)."""
        if isinstance(value, list):
            if len(value) != size:
                self.fail(path, f"expected one value or a list of {size} (one per neuron), "
                                f"got a list of {len(value)}")
            return np.array([self.quantity(v, unit, path + (i,)) for i, v in enumerate(value)])
        return self.quantity(value, unit, path)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"
