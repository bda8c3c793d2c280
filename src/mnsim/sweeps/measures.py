"""What a sweep measures at each point: named measures of :mod:`mnsim.analysis.measures`,
each reduced to one number per point and backend.

A measure is a name (``"steady_rate"``), ``"NAME@POPULATION"``, or a mapping ``{name,
population, index, window, label, location}`` (``location``: a recorded location of a
multicompartment cell, for its location measures; default the first). Without
``population`` the model must record exactly one population. A per-neuron measure gives
neuron ``index`` when one is named, the value of the only recorded neuron, or else the mean
over the recorded neurons (NaN values left out; NaN when all are NaN); a population measure
gives its one value. The column is ``LABEL
(UNIT)``: ``steady_rate (Hz)``, ``spike_count`` (no unit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.catalogue.measures import MEASURES
from mnsim.errors import MnsimError, UnitError
from mnsim.units import to_unit

if TYPE_CHECKING:
    import neo

    from mnsim.spec.model import Model

DEFAULT_MEASURES = ("spike_count", "mean_rate")


@dataclass(frozen=True)
class MeasureSpec:
    """One measured column of a sweep."""

    name: str
    population: str
    index: int | None = None
    window_ms: tuple[float, float] | None = None
    label: str = ""
    position: int | None = None  # where ``index`` is among the recorded neurons
    location: str | None = None  # multicompartment cells: a recorded location's label

    @property
    def unit(self) -> str:
        return MEASURES[self.name].unit

    @property
    def column(self) -> str:
        label = self.label or self.name
        return label if self.unit == "1" else f"{label} ({self.unit})"

    def evaluate(self, block: neo.Block) -> float:
        """The measure's one number for this point."""
        from mnsim.analysis import measure

        extra = {"location": self.location} if self.location else {}
        values = np.asarray(measure(self.name, block, self.population, self.window_ms,
                                    **extra), dtype=float)
        if self.position is not None and MEASURES[self.name].scope == "neuron":
            return float(values[self.position])
        if values.size == 1:
            return float(values[0])
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if finite.size else float("nan")

    def to_data(self) -> dict[str, Any]:
        """The spec as plain data (for the saved sweep definition)."""
        out: dict[str, Any] = {"name": self.name, "population": self.population}
        if self.index is not None:
            out["index"] = self.index
        if self.window_ms is not None:
            out["window"] = [f"{self.window_ms[0]:g} ms", f"{self.window_ms[1]:g} ms"]
        if self.label:
            out["label"] = self.label
        if self.location:
            out["location"] = self.location
        return out


def parse_measures(specs: Sequence[Any] | str | None, model: Model, *,
                   where: str = "--measure") -> list[MeasureSpec]:
    """Check and complete the measures of a sweep against the base ``model``.

    Raises
    ------
    MnsimError
        An unknown measure, population or neuron, a malformed window, two columns with the
        same name.
    """
    if specs is None:
        specs = list(DEFAULT_MEASURES)
    elif isinstance(specs, str):
        specs = [s.strip() for s in specs.split(",") if s.strip()]
    if not specs:
        raise MnsimError(f"{where}: no measure given; e.g. --measure spike_count,steady_rate "
                         f"(known: {', '.join(MEASURES)})")
    out = [_one(spec, model, where) for spec in specs]
    columns = [m.column for m in out]
    for column in columns:
        if columns.count(column) > 1:
            raise MnsimError(f"{where}: two measures make the column '{column}'; give each a "
                             f"different `label:`")
    return out


def _one(spec: Any, model: Model, where: str) -> MeasureSpec:
    if isinstance(spec, str):
        name, _, population = spec.partition("@")
        spec = {"name": name.strip(), **({"population": population.strip()}
                                         if population else {})}
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise MnsimError(f"{where}: a measure is a name (steady_rate), NAME@POPULATION or a "
                         f"mapping with `name:`, got {spec!r}")
    unknown = set(spec) - {"name", "population", "index", "window", "label", "location"}
    if unknown:
        raise MnsimError(f"{where}: measure {spec['name']!r}: unknown field(s) "
                         f"{', '.join(sorted(map(str, unknown)))}; known: name, population, "
                         f"index, window, label, location")
    name = str(spec["name"])
    if name not in MEASURES:
        from mnsim.spec.context import closest

        raise MnsimError(f"{where}: unknown measure '{name}'{closest(name, MEASURES)}; known: "
                         f"{', '.join(MEASURES)}")
    recorded = list(model.record)
    population = spec.get("population")
    if population is None:
        if len(recorded) != 1:
            raise MnsimError(f"{where}: {name}: the model records {len(recorded)} populations "
                             f"({', '.join(recorded) or 'none'}); name one, e.g. "
                             f"{name}@{recorded[0] if recorded else 'POPULATION'}")
        population = recorded[0]
    population = str(population)
    if population not in model.record:
        raise MnsimError(f"{where}: {name}: population '{population}' is not recorded by "
                         f"{model.name}; recorded: {', '.join(recorded) or 'none'}")
    index = spec.get("index")
    indices = list(model.record[population].indices)
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                              or index not in indices):
        raise MnsimError(f"{where}: {name}: index {index!r} is not a recorded neuron of "
                         f"'{population}' (recorded: {_short(indices)})")
    return MeasureSpec(name=name, population=population, index=index,
                       window_ms=_window(spec.get("window"), name, where),
                       label=str(spec.get("label") or ""),
                       position=None if index is None else indices.index(index),
                       location=None if spec.get("location") is None else str(
                           spec["location"]))


def _window(value: Any, name: str, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise MnsimError(f"{where}: {name}: window is [START, STOP] with units, e.g. "
                         f"[10 ms, 510 ms], got {value!r}")
    try:
        start, stop = (to_unit(v, "ms") for v in value)
    except UnitError as exc:
        raise MnsimError(f"{where}: {name}: window: {exc}") from None
    if not stop > start:
        raise MnsimError(f"{where}: {name}: window [{start:g} ms, {stop:g} ms] is empty; the "
                         f"stop must come after the start")
    return start, stop


def _short(indices: Sequence[int]) -> str:
    shown = ", ".join(map(str, indices[:8]))
    return shown + (" ..." if len(indices) > 8 else "")
