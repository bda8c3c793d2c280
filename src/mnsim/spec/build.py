"""From plain data (a parsed model file, or a Python dict) to a checked, typed :class:`Model`.

Each section has one function; each checks names, types, units and cross-references and
raises a :class:`~mnsim.errors.SpecError` that names the file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mnsim.catalogue import CELL_TYPES, CellType
from mnsim.catalogue.measures import MEASURES
from mnsim.spec import network
from mnsim.spec.context import Context, Path, closest
from mnsim.spec.memory import check_memory
from mnsim.spec.model import (
    Cell,
    Expectation,
    Model,
    Population,
    Recording,
    Simulation,
    Tolerances,
    random_stream,
)
from mnsim.spec.stimuli import stimulus
from mnsim.units import to_unit

MAX_SEED = 2**32 - 2  # every simulator takes it (NEST: rng_seed = seed + 1 < 2**32 - 1)
TOP_FIELDS = ("name", "title", "reference", "description", "simulation", "populations",
              "projections", "stimuli", "record", "expect", "compare", "variants")
CONNECTIVITY_MODES = ("shared", "native")
SPIKES_ONLY_ABOVE = 1000  # populations larger than this record spikes only unless told


def build_model(raw: Any, ctx: Context) -> Model:
    """Check ``raw`` (the resolved description) and build the typed model."""
    raw = ctx.mapping(raw, (), "model sections")
    ctx.keys(raw, (), TOP_FIELDS, required=("name", "simulation", "populations"))
    name = ctx.string(raw["name"], ("name",))
    for key in ("title", "reference", "description"):
        if key in raw:
            ctx.string(raw[key], (key,))
    sim = _simulation(raw["simulation"], ctx)
    pops_raw = ctx.mapping(raw["populations"], ("populations",), "populations")
    if not pops_raw:
        ctx.fail(("populations",), "a model needs at least one population")
    pops = {p: _population(p, v, sim, ctx) for p, v in pops_raw.items()}
    projections = {p: network.projection(p, v, pops, sim, ctx) for p, v in
                   ctx.mapping(raw.get("projections", {}), ("projections",),
                               "projections").items()}
    stimuli = {s: stimulus(s, v, pops, sim, ctx)
               for s, v in ctx.mapping(raw.get("stimuli", {}), ("stimuli",), "stimuli").items()}
    record = {p: _recording(p, v, pops, sim, ctx)
              for p, v in ctx.mapping(raw.get("record", {}), ("record",), "recordings").items()}
    expect = tuple(_expectation(i, e, pops, record, ctx)
                   for i, e in enumerate(_list(raw.get("expect", []), ("expect",), ctx)))
    if "variants" in raw:
        for vname, body in ctx.mapping(raw["variants"], ("variants",), "variants").items():
            ctx.mapping(body, ("variants", vname), "field paths to values")
    compare = ctx.mapping(raw.get("compare", {}), ("compare",), "comparison settings")
    ctx.keys(compare, ("compare",), ("tolerances", "connectivity"))
    connectivity = compare.get("connectivity", "shared")
    if connectivity not in CONNECTIVITY_MODES:
        ctx.fail(("compare", "connectivity"), f"expected one of {', '.join(CONNECTIVITY_MODES)}"
                                              f", got {connectivity!r}")
    model = Model(name=name, simulation=sim, populations=pops, stimuli=stimuli, record=record,
                  expect=expect, tolerances=_tolerances(compare.get("tolerances", {}), ctx),
                  raw=raw, title=raw.get("title", ""), reference=raw.get("reference", ""),
                  origin=ctx.file, projections=projections, connectivity=connectivity)
    check_memory(model, ctx)
    return model


def _list(value: Any, path: Path, ctx: Context) -> list[Any]:
    if not isinstance(value, list):
        ctx.fail(path, f"expected a list, got {value!r}")
    return value


def _simulation(raw: Any, ctx: Context) -> Simulation:
    path: Path = ("simulation",)
    raw = ctx.mapping(raw, path, "simulation settings")
    ctx.keys(raw, path, ("duration", "dt", "temperature", "seed"), required=("duration", "dt"))
    duration = ctx.quantity(raw["duration"], "ms", path + ("duration",), positive=True)
    dt = ctx.quantity(raw["dt"], "ms", path + ("dt",), positive=True)
    steps = duration / dt
    if dt > duration or abs(steps - round(steps)) > 1e-6 * steps:
        ctx.fail(path + ("dt",), f"the duration ({raw['duration']}) must be a whole number of "
                                 f"time steps of {raw['dt']}")
    temperature = None
    if "temperature" in raw:
        temperature = ctx.quantity(raw["temperature"], "degC", path + ("temperature",))
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        ctx.fail(path + ("seed",), f"expected a whole number from 0 to {MAX_SEED - 1}, got "
                                   f"{seed!r}")
    return Simulation(duration_ms=duration, dt_ms=dt, temperature_degC=temperature, seed=seed)


def _population(name: str, raw: Any, sim: Simulation, ctx: Context) -> Population:
    path: Path = ("populations", name)
    raw = ctx.mapping(raw, path, "population fields")
    ctx.keys(raw, path, ("size", "cell"), required=("size", "cell"))
    size = ctx.positive_int(raw["size"], path + ("size",), "a population size")
    return Population(name=name, size=size,
                      cell=_cell(raw["cell"], size, sim, path + ("cell",), ctx))


def _cell(raw: Any, size: int, sim: Simulation, path: Path, ctx: Context) -> Cell:
    raw = ctx.mapping(raw, path, "cell fields")
    ctx.keys(raw, path, ("type", "params", "initial", "area"), required=("type",))
    type_name = raw["type"]
    if type_name not in CELL_TYPES:
        ctx.fail(path + ("type",), f"unknown cell type '{type_name}'"
                                   f"{closest(str(type_name), CELL_TYPES)}; known types: "
                                   f"{', '.join(CELL_TYPES)}")
    ctype = CELL_TYPES[type_name]
    area = None
    if ctype.density_based:
        if "area" not in raw:
            ctx.fail(path, f"a {type_name} cell needs an 'area' (e.g. '1000 um2'): its "
                           f"parameters are per membrane area")
        area = ctx.quantity(raw["area"], "um2", path + ("area",), positive=True)
    elif "area" in raw:
        ctx.fail(path + ("area",), f"'area' applies only to cells whose parameters are "
                                   f"densities (HH_squid); {type_name} takes absolute values")
    params = _values(ctype, ctype.params, raw.get("params", {}), size, path + ("params",), {},
                     sim, ctx)
    initial = _values(ctype, ctype.initial, raw.get("initial", {}), size, path + ("initial",),
                      params, sim, ctx)
    _check_cell(ctype, {**params, **initial}, sim, raw, path, ctx)
    return Cell(type=type_name, params=params, initial=initial, area_um2=area)


def _values(ctype: CellType, declared: tuple, raw: Any, size: int, path: Path,
            params: Mapping[str, Any], sim: Simulation, ctx: Context) -> dict[str, Any]:
    """Parameter values: a quantity, one per neuron, or a distribution drawn per neuron from
    the seed (a stream of its own per field, so the draw is the same on every backend)."""
    raw = ctx.mapping(raw, path, f"{ctype.name} parameters")
    names = [p.name for p in declared]
    for key in raw:
        if key not in names:
            ctx.fail(path + (key,), f"unknown parameter '{key}' for {ctype.name}"
                                    f"{closest(str(key), names)}; valid: {', '.join(names)}")
    values: dict[str, Any] = {}
    for p in declared:
        if p.name in raw and isinstance(raw[p.name], Mapping):
            dist = network.quantity_or_distribution(raw[p.name], p.unit, path + (p.name,), ctx)
            gen = random_stream(sim.seed, ".".join(map(str, path + (p.name,))))
            values[p.name] = dist.sample(size, gen)
        elif p.name in raw:
            values[p.name] = ctx.per_neuron(raw[p.name], p.unit, size, path + (p.name,))
        if p.name in raw:
            low = np.min(values[p.name])
            if (p.bound == "positive" and low <= 0) or (p.bound == "nonnegative" and low < 0):
                ctx.fail(path + (p.name,), f"{p.name} must be "
                                           f"{'above zero' if p.bound == 'positive' else '>= 0'}"
                                           f", got {raw[p.name]!r}")
        elif p.default in params:
            values[p.name] = params[p.default]
        else:
            values[p.name] = to_unit(p.default, p.unit)
    return values


def _check_cell(ctype: CellType, values: Mapping[str, Any], sim: Simulation, raw: Any,
                path: Path, ctx: Context) -> None:
    """Relations between values that every backend needs (``v_reset < v_thresh``...)."""
    def where(name: str) -> Path:
        section = "initial" if name in {p.name for p in ctype.initial} else "params"
        return path + (section, name) if name in raw.get(section, {}) else path

    for p in ctype.params:
        steps = np.asarray(values[p.name]) / sim.dt_ms
        if p.on_grid and np.any(np.abs(steps - np.round(steps)) > 1e-6):
            ctx.fail(where(p.name), f"{p.name} must be a whole number of time steps (dt = "
                                    f"{sim.dt_ms:g} ms); got {_show(values[p.name], 'ms')}")
    for low, high in ctype.below:
        limit = values[high] if high in values else to_unit(high, ctype.param(low).unit)
        if np.any(np.asarray(values[low]) >= limit):
            unit = ctype.param(low).unit
            shown = high if high not in values else f"{high} ({_show(values[high], unit)})"
            ctx.fail(where(low), f"{ctype.name} needs {low} below {shown}; got "
                                 f"{low} = {_show(values[low], unit)}")


def _show(value: Any, unit: str) -> str:
    text = f"{value:g}" if np.ndim(value) == 0 else str(np.round(value, 6).tolist())
    return f"{text} {unit}"


def _recording(name: str, raw: Any, pops: Mapping[str, Population], sim: Simulation,
               ctx: Context) -> Recording:
    path: Path = ("record", name)
    if name not in pops:
        ctx.fail(path, f"records population '{name}', which does not exist"
                       f"{closest(str(name), pops)}; populations: {', '.join(pops)}")
    pop = pops[name]
    if isinstance(raw, list):
        raw = {"variables": raw}
    raw = ctx.mapping(raw, path, "recording fields, or a list of variables")
    ctx.keys(raw, path, ("variables", "indices", "first", "fraction", "interval"))
    valid = ["spikes", *CELL_TYPES[pop.cell.type].recordables]
    default = ["spikes"] if pop.size > SPIKES_ONLY_ABOVE else ["spikes", "v"]
    variables = _list(raw.get("variables", default), path + ("variables",), ctx)
    for i, var in enumerate(variables):
        if var not in valid:
            ctx.fail(path + ("variables", i), f"{pop.cell.type} cannot record '{var}'"
                                              f"{closest(str(var), valid)}; recordable: "
                                              f"{', '.join(valid)}")
    indices = tuple(range(pop.size))
    subsets = [k for k in ("first", "indices", "fraction") if k in raw]
    if len(subsets) > 1:
        ctx.fail(path, f"give one of 'first', 'indices' or 'fraction', not "
                       f"{' and '.join(subsets)}")
    if "first" in raw:
        first = ctx.positive_int(raw["first"], path + ("first",), "a number of neurons")
        indices = tuple(range(min(first, pop.size)))
    if "indices" in raw:
        given = _list(raw["indices"], path + ("indices",), ctx)
        if not given:
            ctx.fail(path + ("indices",), "expected at least one neuron index")
        for i, idx in enumerate(given):
            if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < pop.size:
                ctx.fail(path + ("indices", i), f"expected a neuron index from 0 to "
                                                f"{pop.size - 1}, got {idx!r}")
        indices = tuple(sorted(set(given)))
    if "fraction" in raw:
        frac = raw["fraction"]
        if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 < frac <= 1:
            ctx.fail(path + ("fraction",), f"expected a fraction above 0 and at most 1, got "
                                           f"{frac!r}")
        n = max(1, round(frac * pop.size))
        gen = random_stream(sim.seed, f"record:{name}")
        indices = tuple(int(i) for i in np.sort(gen.choice(pop.size, n, replace=False)))
    interval = sim.dt_ms
    if "interval" in raw:
        interval = ctx.quantity(raw["interval"], "ms", path + ("interval",), positive=True)
        per_step = interval / sim.dt_ms
        if abs(per_step - round(per_step)) > 1e-9 * per_step:
            ctx.fail(path + ("interval",), f"the sampling interval ({raw['interval']}) must be "
                                           f"a whole number of time steps (dt = {sim.dt_ms:g} ms)")
        samples = sim.duration_ms / interval
        if abs(samples - round(samples)) > 1e-9 * samples:
            ctx.fail(path + ("interval",), f"the sampling interval ({raw['interval']}) must "
                                           f"divide the duration ({sim.duration_ms:g} ms)")
    return Recording(population=name, variables=tuple(dict.fromkeys(variables)),
                     indices=indices, interval_ms=interval)


_EXPECT_FIELDS = ("measure", "population", "index", "equals", "value", "tolerance", "min",
                  "max", "window")


def _expectation(i: int, raw: Any, pops: Mapping[str, Population],
                 record: Mapping[str, Recording], ctx: Context) -> Expectation:
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
    needed = {"resting_potential": "v", "gsyn_exc_increments": "gsyn_exc"}.get(measure,
                                                                                "spikes")
    if pop not in record or needed not in record[pop].variables:
        ctx.fail(path, f"measure '{measure}' needs '{needed}' recorded for '{pop}'; add it "
                       f"under record.{pop}")
    index = raw.get("index")
    n_checked = len(record[pop].indices)
    scope = MEASURES[measure].scope
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
        win = _list(raw["window"], path + ("window",), ctx)
        if len(win) != 2:
            ctx.fail(path + ("window",), f"expected [start, stop], got {win!r}")
        start, stop = (ctx.quantity(w, "ms", path + ("window", j)) for j, w in enumerate(win))
        if not start < stop:
            ctx.fail(path + ("window",), "expected start < stop")
        fields["window_ms"] = (start, stop)
    text = ", ".join(f"{k}: {v}" for k, v in raw.items() if k not in ("measure", "population"))
    return Expectation(measure=measure, population=pop, index=index, kind=kind, text=text,
                       **fields)


def _tolerances(raw: Any, ctx: Context) -> Tolerances:
    path: Path = ("compare", "tolerances")
    tol = ctx.mapping(raw, path, "tolerances")
    ctx.keys(tol, path, ("spike_count", "spike_time", "rate", "v_rmse", "cv_isi"))
    result = Tolerances()
    fields: dict[str, Any] = {}
    if "spike_count" in tol:
        count = tol["spike_count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            ctx.fail(path + ("spike_count",), f"expected a whole number >= 0, got {count!r}")
        fields["spike_count"] = count
    if "spike_time" in tol:
        fields["spike_time_ms"] = ctx.quantity(tol["spike_time"], "ms", path + ("spike_time",))
    if "rate" in tol:
        text = str(tol["rate"]).strip()
        if not text.endswith("%"):
            ctx.fail(path + ("rate",), f"expected a percentage such as '1 %', got {text!r}")
        fields["rate_relative"] = ctx.quantity(text[:-1], "1", path + ("rate",)) / 100.0
    if "cv_isi" in tol:
        fields["cv_isi"] = ctx.quantity(tol["cv_isi"], "1", path + ("cv_isi",))
    if "v_rmse" in tol:
        fields["v_rmse_mV"] = ctx.quantity(tol["v_rmse"], "mV", path + ("v_rmse",))
    return Tolerances(**{**result.__dict__, **fields})
