"""Checking a model's ``expect:`` entries against a run's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnsim.analysis import measure
from mnsim.catalogue.measures import MEASURES

if TYPE_CHECKING:
    import neo

    from mnsim.spec.model import Expectation, Model


@dataclass(frozen=True)
class Check:
    """One line of a validation table: one expectation for one neuron."""

    measure: str
    population: str
    index: int
    expected: str
    got: float
    unit: str
    passed: bool


@dataclass(frozen=True)
class Validation:
    model: str
    backend: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def table(self) -> str:
        """A plain-text table: measure, neuron, expected, got, PASS/FAIL."""
        rows = [("measure", "neuron", "expected", "got", "result")]
        for c in self.checks:
            unit = "" if c.unit == "1" else f" {c.unit}"
            got = "n/a" if np.isnan(c.got) else f"{c.got:.6g}{unit}"
            rows.append((c.measure, f"{c.population}[{c.index}]", c.expected, got,
                         "pass" if c.passed else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        verdict = "all passed" if self.passed else \
            f"{sum(not c.passed for c in self.checks)} of {len(self.checks)} failed"
        return "\n".join([f"{self.model} on {self.backend}: {verdict}", *lines])


def default_window(model: Model, expectation: Expectation) -> tuple[float, float] | None:
    """The window a measure uses when the entry gives none (resting potential: before the
    first stimulus on its population starts)."""
    if expectation.window_ms is not None or expectation.measure != "resting_potential":
        return expectation.window_ms
    starts = [s.values["start"] for s in model.stimuli.values()
              if s.target == expectation.population and "start" in s.values]
    first = min(starts, default=0.0)
    return (0.0, first) if first > 0 else None


def check_expectations(model: Model, block: neo.Block) -> Validation:
    """Evaluate every ``expect:`` entry of ``model`` on ``block``."""
    checks: list[Check] = []
    for exp in model.expect:
        values = measure(exp.measure, block, exp.population, default_window(model, exp))
        indices = list(model.record[exp.population].indices)
        if exp.index is not None:
            values = values[[indices.index(exp.index)]]
            indices = [exp.index]
        expected = np.broadcast_to(np.array(exp.expected or [np.nan]), values.shape)
        unit = MEASURES[exp.measure][0]
        for idx, got, ref in zip(indices, values, expected):
            checks.append(Check(measure=exp.measure, population=exp.population, index=idx,
                                expected=_describe(exp, ref, unit), got=float(got), unit=unit,
                                passed=_passes(exp, float(got), float(ref))))
    return Validation(model=model.name, backend=str(block.annotations.get("backend", "?")),
                      checks=tuple(checks))


def _passes(exp: Expectation, got: float, ref: float) -> bool:
    if np.isnan(got):
        return False
    if exp.kind == "equals":
        return got == ref
    if exp.kind == "value":
        tol = exp.tolerance * abs(ref) if exp.tolerance_is_relative else exp.tolerance
        return abs(got - ref) <= tol + 1e-12
    return (exp.low is None or got >= exp.low) and (exp.high is None or got <= exp.high)


def _describe(exp: Expectation, ref: float, unit: str) -> str:
    u = "" if unit == "1" else f" {unit}"
    if exp.kind == "equals":
        return f"= {ref:g}{u}"
    if exp.kind == "value":
        tol = f"{exp.tolerance * 100:g} %" if exp.tolerance_is_relative else \
            f"{exp.tolerance:g}{u}"
        return f"{ref:g}{u} ± {tol}"
    low = "-inf" if exp.low is None else f"{exp.low:g}"
    high = "inf" if exp.high is None else f"{exp.high:g}"
    return f"in [{low}, {high}]{u}"
