"""A sweep's ``expect:`` entries and checking them against its table.

Three kinds of entry (every one is checked on each backend of the table):

* at a point: ``{measure: steady_rate, at: {stimuli.step.amplitude: 9.8 uA/cm2}, value:
  67.9 Hz, tolerance: 0.1 Hz}`` (``at: 9.8 uA/cm2`` when one field is varied; ``equals:``,
  ``min:``/``max:`` as in a model's ``expect:``);
* an onset along the one varied field: ``{onset: spike_count, value: 2.23 uA/cm2,
  tolerance: 0.01 uA/cm2}`` is the smallest value at which the measure exceeds ``above``
  (default 0): a threshold known to the grid's spacing, so give a tolerance of at least one
  step there. ``{measure: steady_rate, at: onset, ...}`` checks the measure at that point;
* against a formula at every point: ``{measure: steady_rate, reference: lif_rate, tolerance:
  0.5 %}``, optionally only where the reference exceeds ``min_reference`` (``5 Hz``). The
  formulas (:mod:`mnsim.sweeps.references`) read each point's own model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.errors import SpecError, UnitError
from mnsim.units import to_unit

if TYPE_CHECKING:
    import pandas as pd

    from mnsim.sweeps.definition import Sweep
    from mnsim.sweeps.measures import MeasureSpec

KEYS = {"measure", "onset", "at", "above", "reference", "min_reference", "value",
        "tolerance", "equals", "min", "max", "text"}


@dataclass(frozen=True)
class SweepExpectation:
    raw: Mapping[str, Any]
    measure: MeasureSpec
    kind: str  # "point", "onset" (the varied value where the measure first exceeds above),
    # "reference" (every point against a formula)
    at: tuple[Decimal | str, ...] | str | None = None  # the point, or "onset"
    above: float = 0.0
    reference: str | None = None
    min_reference: float | None = None
    value: float | None = None
    tolerance: float = 0.0
    relative: bool = False
    low: float | None = None
    high: float | None = None
    unit: str = ""  # of value / tolerance / min / max

    def passes(self, got: float, ref: float | None = None) -> bool:
        if got is None or np.isnan(got):
            return False
        ref = self.value if ref is None else ref
        if self.low is not None or self.high is not None:
            return (self.low is None or got >= self.low) and (self.high is None
                                                              or got <= self.high)
        tol = self.tolerance * abs(ref) if self.relative else self.tolerance
        return abs(got - ref) <= tol + 1e-12

    def expected(self) -> str:
        u = "" if self.unit in ("", "1") else f" {self.unit}"
        tol = f"{self.tolerance * 100:g} %" if self.relative else f"{self.tolerance:g}{u}"
        if self.kind == "reference":
            where = "" if self.min_reference is None else \
                f" where > {self.min_reference:g}{u}"
            return f"{self.reference} ± {tol}{where}"
        if self.low is not None or self.high is not None:
            if self.high is None:
                return f">= {self.low:g}{u}"
            return f"<= {self.high:g}{u}" if self.low is None else \
                f"in [{self.low:g}, {self.high:g}]{u}"
        if self.tolerance == 0:
            return f"= {self.value:g}{u}"
        if self.relative:
            return f"{self.value:g}{u} ± {tol}"
        return f"{self.value:g} ± {self.tolerance:g}{u}"


@dataclass(frozen=True)
class SweepCheck:
    check: str
    backend: str
    expected: str
    got: str
    passed: bool


@dataclass(frozen=True)
class SweepValidation:
    sweep: str
    checks: tuple[SweepCheck, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def table(self) -> str:
        rows = [("check", "backend", "expected", "got", "result")]
        rows += [(c.check, c.backend, c.expected, c.got, "pass" if c.passed else "FAIL")
                 for c in self.checks]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        failed = sum(not c.passed for c in self.checks)
        verdict = "all passed" if not failed else f"{failed} of {len(self.checks)} failed"
        return "\n".join([f"{self.sweep}: expectations {verdict}",
                          *("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
                            for r in rows)])


def parse_expect(entries: Any, sweep: Sweep, file: str,
                 lines: Mapping[tuple[Any, ...], int]) -> list[SweepExpectation]:
    """Check a sweep file's ``expect:`` entries against its axes and measures."""
    from mnsim.sweeps.references import REFERENCES

    if not isinstance(entries, list):
        raise SpecError("expected a list of entries", file=file, field="expect",
                        line=lines.get(("expect",)))
    out = []
    for i, entry in enumerate(entries):
        def fail(message: str, i: int = i) -> SpecError:
            return SpecError(message, file=file, field=f"expect.{i}",
                             line=lines.get(("expect", i)))

        if not isinstance(entry, Mapping):
            raise fail("an entry is a mapping, e.g. {measure: steady_rate, at: 9.8 uA/cm2, "
                       "value: 67.9 Hz, tolerance: 0.1 Hz}")
        unknown = set(entry) - KEYS
        if unknown:
            raise fail(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: "
                       f"{', '.join(sorted(KEYS))}")
        try:
            out.append(_entry(entry, sweep, REFERENCES))
        except (SpecError, UnitError, ValueError) as exc:
            raise fail(str(exc.message if isinstance(exc, SpecError) else exc)) from None
    return out


def _entry(entry: Mapping[str, Any], sweep: Sweep, references: Mapping[str, Any]
           ) -> SweepExpectation:
    name = entry.get("onset", entry.get("measure"))
    if name is None:
        raise ValueError("name the `measure:` checked (or the `onset:` of one)")
    spec = _measure(str(name), sweep.measures)
    if "onset" in entry or entry.get("at") == "onset":
        if len(sweep.axes) != 1 or not sweep.axes[0].numeric:
            raise ValueError("an onset is taken along one varied number; this sweep varies "
                             f"{', '.join(a.path for a in sweep.axes)}")
    above = float(to_unit(entry["above"], spec.unit if spec.unit != "1" else "")) \
        if "above" in entry else 0.0
    if "onset" in entry:
        unit = sweep.axes[0].unit
        return SweepExpectation(raw=dict(entry), measure=spec, kind="onset", above=above,
                                unit=unit, **_target(entry, unit))
    if "reference" in entry:
        ref = str(entry["reference"])
        if ref not in references:
            raise ValueError(f"unknown reference '{ref}'; known: {', '.join(references)}")
        minimum = entry.get("min_reference")
        return SweepExpectation(
            raw=dict(entry), measure=spec, kind="reference", reference=ref, unit=spec.unit,
            min_reference=None if minimum is None else to_unit(minimum, _u(spec.unit)),
            **_target(entry, spec.unit, need_value=False))
    if "at" not in entry:
        raise ValueError("say where: `at:` a point of the grid (or `at: onset`), or compare "
                         "every point with a `reference:` formula")
    at = entry["at"] if entry["at"] == "onset" else _point(entry["at"], sweep)
    return SweepExpectation(raw=dict(entry), measure=spec, kind="point", at=at, above=above,
                            unit=spec.unit, **_target(entry, spec.unit))


def _u(unit: str) -> str:
    return "" if unit == "1" else unit


def _measure(name: str, measures: Sequence[MeasureSpec]) -> MeasureSpec:
    for spec in measures:
        if name in (spec.label, spec.name):
            return spec
    raise ValueError(f"'{name}' is not measured by this sweep; measured: "
                     f"{', '.join(m.label or m.name for m in measures)}")


def _target(entry: Mapping[str, Any], unit: str, need_value: bool = True) -> dict[str, Any]:
    u = _u(unit)
    if "equals" in entry:
        return {"value": to_unit(entry["equals"], u), "tolerance": 0.0}
    if "min" in entry or "max" in entry:
        return {"low": None if entry.get("min") is None else to_unit(entry["min"], u),
                "high": None if entry.get("max") is None else to_unit(entry["max"], u)}
    if "tolerance" not in entry or (need_value and "value" not in entry):
        raise ValueError("give `value:` and `tolerance:` (e.g. 67.9 Hz and 0.1 Hz or 0.5 %), "
                         "`equals:`, or `min:`/`max:`")
    tol = str(entry["tolerance"]).strip()
    relative = tol.endswith("%")
    return {"value": to_unit(entry["value"], u) if "value" in entry else None,
            "tolerance": float(tol[:-1]) / 100.0 if relative else to_unit(tol, u),
            "relative": relative}


def _point(at: Any, sweep: Sweep) -> tuple[Decimal | str, ...]:
    if not isinstance(at, Mapping):
        if len(sweep.axes) != 1:
            raise ValueError("`at:` names a value of every varied field: {PATH: VALUE, ...}")
        at = {sweep.axes[0].path: at}
    values = []
    for axis in sweep.axes:
        if axis.path not in at:
            raise ValueError(f"`at:` gives no value of the varied {axis.path}")
        given = at[axis.path]
        value: Decimal | str = Decimal(repr(to_unit(given, axis.unit))) if axis.numeric \
            else str(given)
        if value not in axis.values:
            raise ValueError(f"`at:` {axis.path} = {given} is not a value of the sweep "
                             f"({axis.spec})")
        values.append(value)
    return tuple(values)


def check(sweep: Sweep, table: pd.DataFrame) -> SweepValidation:
    """Evaluate ``sweep``'s ``expect:`` entries on its table (from :func:`mnsim.sweep`)."""
    checks: list[SweepCheck] = []
    backends = list(dict.fromkeys(table["backend"]))
    models = {}
    if any(e.kind == "reference" for e in sweep.expect):
        models = {p.key: p.model for p in sweep.points(backends)}
    for backend in backends:
        rows = table[table["backend"] == backend]
        for exp in sweep.expect:
            checks.append(_check_one(exp, sweep, rows, backend, models))
    return SweepValidation(sweep=sweep.name, checks=tuple(checks))


def _check_one(exp: SweepExpectation, sweep: Sweep, rows: pd.DataFrame, backend: str,
               models: Mapping[str, Any]) -> SweepCheck:
    col, unit = exp.measure.column, _u(exp.unit)
    suffix = f" {unit}" if unit else ""
    axis = sweep.axes[0]
    if exp.kind in ("onset", "point") and (exp.kind == "onset" or exp.at == "onset"):
        ordered = rows.sort_values(axis.column)
        failed = ordered[ordered["status"] != "ok"]
        firing = ordered[(ordered["status"] == "ok") & (ordered[col] > exp.above)]
        what = f"onset of {exp.measure.label or exp.measure.name} > {exp.above:g}"
        if exp.kind == "point":
            what = f"{exp.measure.label or exp.measure.name} at the {what}"
        if firing.empty or (not failed.empty and failed[axis.column].min()
                            < firing[axis.column].iloc[0]):
            why = "failed points below it" if firing.size else "never above"
            return SweepCheck(what, backend, exp.expected(), why, False)
        first = firing.iloc[0]
        got = float(first[axis.column]) if exp.kind == "onset" else float(first[col])
        text = f"{got:g}{suffix}" + ("" if exp.kind == "onset" else
                                     f" (at {first[axis.column]:g} {axis.unit})".rstrip())
        return SweepCheck(what, backend, exp.expected(), text, exp.passes(got))
    if exp.kind == "point":
        mask = np.ones(len(rows), dtype=bool)
        for a, v in zip(sweep.axes, exp.at):  # type: ignore[arg-type]
            mask &= (rows[a.column] == a.cell(v)).to_numpy()
        where = ", ".join(f"{a.path}={a.override(v)}" for a, v in zip(sweep.axes, exp.at))
        what = f"{exp.measure.label or exp.measure.name} at {where}"
        hit = rows[mask]
        if hit.empty:
            return SweepCheck(what, backend, exp.expected(), "not in the table", False)
        row = hit.iloc[0]
        if row["status"] != "ok":
            return SweepCheck(what, backend, exp.expected(), f"failed: {row['error']}", False)
        got = float(row[col])
        return SweepCheck(what, backend, exp.expected(), f"{got:.6g}{suffix}",
                          exp.passes(got))
    return _check_reference(exp, sweep, rows, backend, models)


def _check_reference(exp: SweepExpectation, sweep: Sweep, rows: pd.DataFrame, backend: str,
                     models: Mapping[str, Any]) -> SweepCheck:
    from mnsim.sweeps.references import reference_value

    what = f"{exp.measure.label or exp.measure.name} vs {exp.reference}"
    worst: tuple[float, str] | None = None
    bad, checked = [], 0
    for _, row in rows.iterrows():
        where = ", ".join(f"{row[a.column]:g}" if a.numeric else str(row[a.column])
                          for a in sweep.axes)
        if row["status"] != "ok":
            bad.append(f"{where}: failed")
            continue
        ref = reference_value(exp.reference, models[row["key"]], exp.measure)
        if exp.min_reference is not None and not ref > exp.min_reference:
            continue
        checked += 1
        got = float(row[exp.measure.column])
        dev = (got - ref) / ref * 100.0 if ref else (0.0 if got == 0 else np.inf)
        if worst is None or not abs(dev) <= abs(worst[0]):
            worst = (dev, where)
        if not exp.passes(got, ref):
            bad.append(f"{where}: {got:.4g} vs {ref:.4g}")
    what += f" ({checked} points)"
    if worst is None:
        return SweepCheck(what, backend, exp.expected(), "; ".join(bad[:3]) or "no point",
                          False)
    got = f"worst {worst[0]:+.2f} % at {worst[1]}" + (f"; {len(bad)} out: {'; '.join(bad[:2])}"
                                                     if bad else "")
    return SweepCheck(what, backend, exp.expected(), got, not bad)
