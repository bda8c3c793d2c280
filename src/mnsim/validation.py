"""Checking a model's ``expect:`` entries against a run's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnsim.analysis import Step, measure
from mnsim.catalogue.measures import MEASURES, POPULATION_MEASURES

if TYPE_CHECKING:
    import neo

    from mnsim.spec.model import Expectation, Model


@dataclass(frozen=True)
class Check:
    """One line of a validation table: one expectation for one neuron, or for a whole
    population (a population measure: ``index`` None, ``neurons`` recorded neurons)."""

    measure: str
    population: str
    index: int | None
    expected: str
    got: float
    unit: str
    passed: bool
    neurons: int = 1
    event: int | None = None  # the event number of an "events" measure
    location: str | None = None  # the recorded location of a "location" measure

    @property
    def target(self) -> str:
        """``exc[3]`` for one neuron, ``exc (4000 neurons)`` for a population, ``cell at
        dend(0.9)`` for a location of a multicompartment cell."""
        if self.location is not None:
            return f"{self.population} at {self.location}"
        if self.index is not None:
            event = f" event {self.event}" if self.event is not None else ""
            return f"{self.population}[{self.index}]{event}"
        return f"{self.population} ({self.neurons} neuron{'' if self.neurons == 1 else 's'})"


@dataclass(frozen=True)
class Validation:
    model: str
    backend: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def table(self) -> str:
        """A plain-text table: measure, neuron(s), expected, got, PASS/FAIL."""
        rows = [("measure", "neuron", "expected", "got", "result")]
        for c in self.checks:
            unit = "" if c.unit == "1" else f" {c.unit}"
            got = "n/a" if np.isnan(c.got) else f"{c.got:.6g}{unit}"
            rows.append((c.measure, c.target, c.expected, got,
                         "pass" if c.passed else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        verdict = "all passed" if self.passed else \
            f"{sum(not c.passed for c in self.checks)} of {len(self.checks)} failed"
        return "\n".join([f"{self.model} on {self.backend}: {verdict}", *lines])


def default_window(model: Model, expectation: Expectation) -> tuple[float, float] | None:
    """The window a measure uses when the entry gives none (resting potential: before the
    first stimulus on its population starts; EPSP peak: from the first spike input on its
    population to the end)."""
    if expectation.window_ms is not None:
        return expectation.window_ms
    if expectation.measure == "epsp_peak":
        firsts = [float(min((t.min() for t in s.values["times"] if t.size), default=np.inf))
                  if s.type == "spike_times" else s.values["start"]
                  for s in model.stimuli.values()
                  if s.target == expectation.population and s.synapse is not None]
        first = min(firsts, default=np.inf)
        return (first, model.simulation.duration_ms) if np.isfinite(first) else None
    if expectation.measure != "resting_potential":
        return None
    starts = [s.values["start"] for s in model.stimuli.values()
              if s.target == expectation.population and "start" in s.values]
    first = min(starts, default=0.0)
    return (0.0, first) if first > 0 else None


def check_expectations(model: Model, block: neo.Block) -> Validation:
    """Evaluate every ``expect:`` entry of ``model`` on ``block``."""
    checks: list[Check] = []
    for exp in model.expect:
        unit = MEASURES[exp.measure][0]
        if MEASURES[exp.measure].scope == "location":
            checks.append(_location_check(model, exp, block, unit))
            continue
        values = measure(exp.measure, block, exp.population, default_window(model, exp))
        recorded = list(model.record[exp.population].indices)
        if MEASURES[exp.measure].scope == "events":
            checks += _event_checks(exp, values, recorded[0], unit)
            continue
        if exp.measure in POPULATION_MEASURES:
            # one value for the population (an ``index`` would not change it)
            indices: list[int | None] = [None]
        elif exp.index is not None:
            values = values[[recorded.index(exp.index)]]
            indices = [exp.index]
        else:
            indices = list(recorded)
        expected = np.broadcast_to(np.array(exp.expected or [np.nan]), values.shape)
        for idx, got, ref in zip(indices, values, expected):
            checks.append(Check(measure=exp.measure, population=exp.population, index=idx,
                                expected=_describe(exp, ref, unit), got=float(got), unit=unit,
                                passed=_passes(exp, float(got), float(ref)),
                                neurons=len(recorded) if idx is None else 1))
    return Validation(model=model.name, backend=str(block.annotations.get("backend", "?")),
                      checks=tuple(checks))


def _location_check(model: Model, exp: Expectation, block: neo.Block, unit: str) -> Check:
    """One check at one recorded location of a multicompartment cell."""
    step = None
    if exp.stimulus is not None:
        stim = model.stimuli[exp.stimulus]
        step = Step(stim.values["start"], stim.values["stop"],
                    float(np.asarray(stim.values["amplitude"]).ravel()[0]))
    got = float(measure(exp.measure, block, exp.population, default_window(model, exp),
                        location=exp.location, step=step)[0])
    ref = float(exp.expected[0]) if exp.expected else np.nan
    return Check(measure=exp.measure, population=exp.population, index=None,
                 expected=_describe(exp, ref, unit), got=got, unit=unit,
                 passed=_passes(exp, got, ref), location=exp.location)


def _event_checks(exp: Expectation, values: np.ndarray, index: int, unit: str) -> list[Check]:
    """One check per expected event; a missing or extra event fails."""
    n = max(len(values), len(exp.expected) if exp.kind != "range" else len(values), 1)
    checks = []
    for i in range(n):
        got = float(values[i]) if i < len(values) else np.nan
        if exp.kind == "range":
            ref = np.nan
        else:
            ref = float(exp.expected[i]) if i < len(exp.expected) else np.nan
        passed = _passes(exp, got, ref) and not np.isnan(got) and (
            exp.kind == "range" or not np.isnan(ref))
        checks.append(Check(measure=exp.measure, population=exp.population, index=index,
                            expected=_describe(exp, ref, unit) if not (
                                exp.kind != "range" and np.isnan(ref)) else "no event",
                            got=got, unit=unit, passed=passed, event=i + 1))
    return checks


def _passes(exp: Expectation, got: float, ref: float) -> bool:
    if np.isnan(got):  # undefined (a silent neuron's first spike, a cv without intervals)
        return False   # fails every kind of check, a min/max band included
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
    if exp.low is None:
        return f"<= {exp.high:g}{u}"
    if exp.high is None:
        return f">= {exp.low:g}{u}"
    return f"in [{exp.low:g}, {exp.high:g}]{u}"
