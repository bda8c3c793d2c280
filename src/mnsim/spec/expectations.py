"""The ``expect:`` entries of a model: which measure, where, and the reference numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mnsim.catalogue.measures import LOCATION_MEASURES, MEASURES
from mnsim.spec.cable import CableCell
from mnsim.spec.context import Context, Path, closest
from mnsim.spec.locations import label_of, location
from mnsim.spec.model import Expectation, Population, Recording, Stimulus

_EXPECT_FIELDS = ("measure", "population", "index", "equals", "value", "tolerance", "min",
                  "max", "window", "location", "stimulus")


def expectation(i: int, raw: Any, pops: Mapping[str, Population],
                record: Mapping[str, Recording], stimuli: Mapping[str, Stimulus],
                ctx: Context) -> Expectation:
    """The ``i``-th entry of ``expect:``, checked against what is recorded."""
    path: Path = ("expect", i)
    raw = ctx.mapping(raw, path, "expectation fields")
    ctx.keys(raw, path, _EXPECT_FIELDS, required=("measure", "population"))
    measure = raw["measure"]
    if measure not in MEASURES:
        ctx.fail(path + ("measure",), f"unknown measure '{measure}'"
                                      f"{closest(str(measure), MEASURES)}; known: "
                                      f"{', '.join(MEASURES)}")
    unit = MEASURES[measure][0]
    pop = raw["population"]
    if pop not in pops:
        ctx.fail(path + ("population",), f"population '{pop}' does not exist; populations: "
                                         f"{', '.join(pops)}")
    scope = MEASURES[measure].scope
    needed = {"resting_potential": "v", "gsyn_exc_increments": "gsyn_exc"}.get(
        measure, "v" if scope == "location" else "spikes")
    if pop not in record or needed not in record[pop].variables:
        ctx.fail(path, f"measure '{measure}' needs '{needed}' recorded for '{pop}'; add it "
                       f"under record.{pop}")
    index = raw.get("index")
    n_checked = len(record[pop].indices)
    where: dict[str, Any] = {}
    if scope == "location":
        where = _location_fields(measure, raw, pops[pop], record[pop], stimuli, path, ctx)
        n_checked = 1
    else:
        for key in ("location", "stimulus"):
            if key in raw:
                ctx.fail(path + (key,), f"'{key}' applies only to measures at a location of a "
                                        f"multicompartment cell ({', '.join(LOCATION_MEASURES)})"
                                        f"; '{measure}' does not use it")
        if measure == "resting_potential" and isinstance(pops[pop].cell, CableCell):
            ctx.fail(path + ("measure",), f"'{pop}' is a multicompartment cell: use mean_v "
                                          f"(with 'location:') for its resting potential")
    if scope == "events" and len(record[pop].indices) != 1:
        ctx.fail(path, f"'{measure}' measures the events of one neuron: record exactly one "
                       f"neuron of '{pop}' (e.g. indices: [0])")
    if scope == "population":
        if index is not None:
            ctx.fail(path + ("index",), f"'{measure}' is one number for the whole population: "
                                        f"remove 'index'")
        n_checked = 1
    if index is not None:
        if index not in record[pop].indices:
            ctx.fail(path + ("index",), f"neuron {index!r} of '{pop}' is not recorded")
        n_checked = 1
    kinds = [k for k in ("equals", "value") if k in raw] + (
        ["range"] if "min" in raw or "max" in raw else [])
    if len(kinds) != 1:
        ctx.fail(path, "give exactly one of 'equals', 'value' (with 'tolerance') or "
                       "'min'/'max'")
    kind = kinds[0]
    fields: dict[str, Any] = {}
    if kind in ("equals", "value"):
        given = raw[kind]
        values = given if isinstance(given, list) else [given]
        if scope != "events" and len(values) not in (1, n_checked):
            ctx.fail(path + (kind,), f"expected one value or {n_checked} (one per recorded "
                                     f"neuron), got {len(values)}" if n_checked > 1 else
                     f"expected one value ('{measure}' is one number), got {len(values)}")
        fields["expected"] = tuple(ctx.quantity(v, unit, path + (kind, j) if
                                                isinstance(given, list) else path + (kind,))
                                   for j, v in enumerate(values))
        if measure == "spike_count" and any(v != int(v) or v < 0 for v in fields["expected"]):
            ctx.fail(path + (kind,), f"a spike count is a whole number >= 0, got {given!r}")
        if kind == "value":
            if "tolerance" not in raw:
                ctx.fail(path, "'value' needs a 'tolerance' (e.g. '0.1 ms' or '0.5 %')")
            tol = raw["tolerance"]
            if isinstance(tol, str) and tol.strip().endswith("%"):
                fields["tolerance"] = ctx.quantity(tol.strip()[:-1], "1", path + ("tolerance",))
                fields["tolerance"] /= 100.0
                fields["tolerance_is_relative"] = True
            else:
                fields["tolerance"] = ctx.quantity(tol, unit, path + ("tolerance",))
            if fields["tolerance"] < 0:
                ctx.fail(path + ("tolerance",), f"a tolerance must be >= 0, got {tol!r}")
    else:
        fields["low"] = ctx.quantity(raw["min"], unit, path + ("min",)) if "min" in raw else None
        fields["high"] = ctx.quantity(raw["max"], unit, path + ("max",)) if "max" in raw else None
    if "window" in raw:
        win = ctx.sequence(raw["window"], path + ("window",))
        if len(win) != 2:
            ctx.fail(path + ("window",), f"expected [start, stop], got {win!r}")
        start, stop = (ctx.quantity(w, "ms", path + ("window", j)) for j, w in enumerate(win))
        if not start < stop:
            ctx.fail(path + ("window",), "expected start < stop")
        fields["window_ms"] = (start, stop)
    text = ", ".join(f"{k}: {v}" for k, v in raw.items() if k not in ("measure", "population"))
    return Expectation(measure=measure, population=pop, index=index, kind=kind, text=text,
                       **fields, **where)


def _location_fields(measure: str, raw: Mapping[str, Any], pop: Population, rec: Recording,
                     stimuli: Mapping[str, Stimulus], path: Path, ctx: Context) -> dict[str, Any]:
    """``location`` (a recorded location's label) and ``stimulus`` of a location measure."""
    m = MEASURES[measure]
    if not isinstance(pop.cell, CableCell):
        ctx.fail(path + ("measure",), f"'{measure}' measures v at a location of a "
                                      f"multicompartment cell; '{pop.name}' has "
                                      f"{pop.cell.type} cells")
    if "index" in raw:
        ctx.fail(path + ("index",), f"'{pop.name}' has one neuron: remove 'index' (choose where "
                                    f"with 'location:')")
    labels = [loc.label for loc in rec.locations]
    if m.pair and len(labels) < 2:
        ctx.fail(path, f"'{measure}' compares two recorded locations of '{pop.name}' (the first "
                       f"and 'location:'), but only {labels[0]} is recorded; add another under "
                       f"record.{pop.name}.locations")
    if "location" in raw:
        label = _recorded(raw["location"], pop, rec, path + ("location",), ctx)
    elif m.pair:
        ctx.fail(path, f"'{measure}' compares 'location:' with the first recorded location "
                       f"({labels[0]}): give 'location:', one of {', '.join(labels[1:])}")
    else:
        label = labels[0]
    if m.pair and label == labels[0]:
        ctx.fail(path + ("location",), f"'{measure}' compares 'location:' with the first "
                                       f"recorded location, which it is ({label}); give "
                                       f"another: {', '.join(labels[1:])}")
    stimulus = None
    if m.step:
        stimulus = _step(raw.get("stimulus"), pop, stimuli, measure, path, ctx)
    elif "stimulus" in raw:
        ctx.fail(path + ("stimulus",), f"'{measure}' does not refer to a stimulus: remove "
                                       f"'stimulus'")
    return {"location": label, "stimulus": stimulus}


def _recorded(raw: Any, pop: Population, rec: Recording, path: Path, ctx: Context) -> str:
    """The label of the recorded location ``raw`` names (as written, or the same point)."""
    labels = [loc.label for loc in rec.locations]
    if label_of(raw) in labels:
        return label_of(raw)
    wanted = location(raw, pop.cell.morphology, path, ctx)
    for loc in rec.locations:
        if loc.section == wanted.section and abs(loc.x - wanted.x) < 1e-9:
            return loc.label
    ctx.fail(path, f"location {label_of(raw)} of '{pop.name}' is not recorded; recorded: "
                   f"{', '.join(labels)} (add it under record.{pop.name}.locations)")


def _step(name: Any, pop: Population, stimuli: Mapping[str, Stimulus], measure: str,
          path: Path, ctx: Context) -> str:
    """The step_current a step measure refers to: ``name``, or the only one on ``pop``."""
    steps = [s.name for s in stimuli.values()
             if s.target == pop.name and s.type == "step_current"]
    if name is not None:
        if name not in steps:
            ctx.fail(path + ("stimulus",), f"'{measure}' needs a step_current on '{pop.name}'; "
                                           f"{name!r} is not one"
                                           f"{closest(str(name), steps)}; step currents on "
                                           f"'{pop.name}': {', '.join(steps) or 'none'}")
    elif len(steps) != 1:
        ctx.fail(path, f"'{measure}' needs a step_current on '{pop.name}' ("
                       + ("there is none; add one under stimuli)" if not steps else
                          f"there are {len(steps)}: give 'stimulus:', one of "
                          f"{', '.join(steps)})"))
    step = stimuli[name if name is not None else steps[0]]
    if step.values["start"] <= 0:
        ctx.fail(path + ("stimulus",) if name is not None else path,
                 f"'{measure}' compares v during step '{step.name}' with v just before it, but "
                 f"the step starts at 0 ms; start it later (e.g. start: 10 ms)")
    return step.name
