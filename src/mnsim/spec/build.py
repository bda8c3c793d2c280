"""From plain data (a parsed model file, or a Python dict) to a checked, typed :class:`Model`.

Each section has one function; each checks names, types, units and cross-references and
raises a :class:`~mnsim.errors.SpecError` that names the file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path as FilePath
from typing import Any

import numpy as np

from mnsim.catalogue import CELL_TYPES, CellType
from mnsim.catalogue.mechanisms import DuplicateMechanism, Resolved, mechanisms_for
from mnsim.errors import SpecError
from mnsim.spec import network
from mnsim.spec.cable import CableCell, Location
from mnsim.spec.cable_build import PYTHON_ORIGINS, cable_cell
from mnsim.spec.context import Context, Path, closest
from mnsim.spec.expectations import expectation
from mnsim.spec.locations import location
from mnsim.spec.memory import check_memory
from mnsim.spec.model import (
    Cell,
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
              "projections", "stimuli", "record", "expect", "compare", "variants", "channels",
              "mechanisms")
CONNECTIVITY_MODES = ("shared", "native")
CABLE_METHODS = ("crank_nicolson", "backward_euler")
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
    available, files = _mechanisms(raw, ctx)
    pops_raw = ctx.mapping(raw["populations"], ("populations",), "populations")
    if not pops_raw:
        ctx.fail(("populations",), "a model needs at least one population")
    pops = {p: _population(p, v, sim, ctx, available) for p, v in pops_raw.items()}
    projections = {p: network.projection(p, v, pops, sim, ctx) for p, v in
                   ctx.mapping(raw.get("projections", {}), ("projections",),
                               "projections").items()}
    stimuli = {s: stimulus(s, v, pops, sim, ctx)
               for s, v in ctx.mapping(raw.get("stimuli", {}), ("stimuli",), "stimuli").items()}
    record = {p: _recording(p, v, pops, sim, ctx)
              for p, v in ctx.mapping(raw.get("record", {}), ("record",), "recordings").items()}
    expect = tuple(expectation(i, e, pops, record, stimuli, ctx)
                   for i, e in enumerate(ctx.sequence(raw.get("expect", []), ("expect",))))
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
                  origin=ctx.file, projections=projections, connectivity=connectivity,
                  morphology_sha256=_morphology_hashes(pops, raw), file_sha256=files)
    check_memory(model, ctx)
    return model


def _morphology_hashes(pops: Mapping[str, Population], raw: Mapping[str, Any]) -> dict[str, str]:
    """Geometry hashes of the morphology files cells are built from (see Model.sha256)."""
    return {name: pop.cell.morphology.sha256 for name, pop in pops.items()
            if isinstance(pop.cell, CableCell) and "morphology" in raw["populations"][name]["cell"]}


def _mechanisms(raw: MutableMapping[str, Any],
                ctx: Context) -> tuple[dict[str, Resolved] | None, dict[tuple[Any, ...], str]]:
    """The model's ``channels:`` (name -> ``{file: PATH}`` or an inline description) and
    ``mechanisms:`` (``.mod`` files), files relative to the model file; with the built-ins and
    the library they are what regions may use (None: the model has neither, so cells need
    only the built-ins and the library, looked up lazily). Also returns, per file field
    (path), the sha256 of the file: a model hashes by what its files say, and its ``raw``
    holds their absolute paths (a saved copy loads from anywhere)."""
    from mnsim.channels.mod_file import read_mod
    from mnsim.channels.read import read_channel

    base = FilePath.cwd() if ctx.file in PYTHON_ORIGINS else FilePath(ctx.file).parent
    files: dict[tuple[Any, ...], str] = {}
    channels = {}
    given = ctx.mapping(raw.get("channels", {}), ("channels",), "channels (name: {file: "
                        "PATH} or the description itself)")
    for name, body in given.items():
        where = ("channels", name)
        body = ctx.mapping(body, where, "a channel: {file: PATH} or its description")
        if "file" in body:
            ctx.keys(body, where, ("file",))
            file = _file(body, "file", base, where + ("file",), ctx)
            channels[str(name)] = _located(lambda f=file, n=name: read_channel(f, name=str(n)),
                                           where + ("file",), ctx)
            files[where + ("file",)] = channels[str(name)].sha256
        else:
            channels[str(name)] = read_channel(body, name=str(name), file=ctx.file,
                                               line_of=ctx.lines, prefix=where)
    mods = []
    for i, _ in enumerate(ctx.sequence(raw.get("mechanisms", []), ("mechanisms",))):
        file = _file(raw["mechanisms"], i, base, ("mechanisms", i), ctx)
        mods.append(_located(lambda f=file: read_mod(f), ("mechanisms", i), ctx))
        files[("mechanisms", i)] = mods[-1].sha256
    if not channels and not mods:
        return None, files
    try:
        return mechanisms_for(channels, mods), files
    except DuplicateMechanism as exc:
        where = (("channels", list(given)[exc.index]) if exc.index < len(channels)
                 else ("mechanisms", exc.index - len(channels)))
        ctx.fail(where, exc.message)


def _file(holder: Any, key: Any, base: FilePath, where: Path, ctx: Context) -> FilePath:
    """The file ``holder[key]`` names (relative to ``base``), made absolute in ``holder``."""
    text = ctx.string(holder[key], where)
    file = (base / text).resolve()
    if not file.is_file():
        ctx.fail(where, f"no such file: {file} (a path relative to the model file's "
                        f"directory, {base})")
    holder[key] = str(file)
    return file


def _located(read: Any, where: Path, ctx: Context) -> Any:
    """``read()``; an error of a file that cannot be read at all is given at ``where``."""
    try:
        return read()
    except SpecError as exc:
        if exc.line is None and exc.field is None:
            ctx.fail(where, f"{exc.file}: {exc.message}")
        raise


def _simulation(raw: Any, ctx: Context) -> Simulation:
    path: Path = ("simulation",)
    raw = ctx.mapping(raw, path, "simulation settings")
    ctx.keys(raw, path, ("duration", "dt", "temperature", "seed", "cable_method"),
             required=("duration", "dt"))
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
    method = raw.get("cable_method", "crank_nicolson")
    if method not in CABLE_METHODS:
        ctx.fail(path + ("cable_method",), f"expected one of {', '.join(CABLE_METHODS)}, got "
                                           f"{method!r}")
    return Simulation(duration_ms=duration, dt_ms=dt, temperature_degC=temperature, seed=seed,
                      cable_method=method)


def _population(name: str, raw: Any, sim: Simulation, ctx: Context,
                available: Mapping[str, Resolved] | None) -> Population:
    path: Path = ("populations", name)
    raw = ctx.mapping(raw, path, "population fields")
    ctx.keys(raw, path, ("size", "cell"), required=("size", "cell"))
    size = ctx.positive_int(raw["size"], path + ("size",), "a population size")
    return Population(name=name, size=size,
                      cell=_cell(raw["cell"], size, sim, path + ("cell",), ctx, available))


def _cell(raw: Any, size: int, sim: Simulation, path: Path, ctx: Context,
          available: Mapping[str, Resolved] | None) -> Cell | CableCell:
    raw = ctx.mapping(raw, path, "cell fields")
    if "type" not in raw:
        ctx.fail(path, "missing required field 'type'")
    type_name = raw["type"]
    if type_name not in CELL_TYPES:
        ctx.fail(path + ("type",), f"unknown cell type '{type_name}'"
                                   f"{closest(str(type_name), CELL_TYPES)}; known types: "
                                   f"{', '.join(CELL_TYPES)}")
    if type_name == "multicompartment":
        return _cable(raw, size, path, ctx, available)
    ctx.keys(raw, path, ("type", "params", "initial", "area"), required=("type",))
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


def _cable(raw: Any, size: int, path: Path, ctx: Context,
           available: Mapping[str, Resolved] | None) -> CableCell:
    if size != 1:
        ctx.fail(path[:-1] + ("size",), f"a multicompartment population has one neuron in this "
                                        f"version (size: 1), got size {size}; make one "
                                        f"population per cell")
    # a morphology file's name becomes its resolved path
    return cable_cell(raw, path, ctx, available)


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
    ctx.keys(raw, path, ("variables", "indices", "first", "fraction", "interval", "locations"))
    valid = ["spikes", *CELL_TYPES[pop.cell.type].recordables]
    default = ["spikes"] if pop.size > SPIKES_ONLY_ABOVE else ["spikes", "v"]
    variables = ctx.sequence(raw.get("variables", default), path + ("variables",))
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
        given = ctx.sequence(raw["indices"], path + ("indices",))
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
                     indices=indices, interval_ms=interval,
                     locations=_locations(raw, pop, path + ("locations",), ctx))


def _locations(raw: Mapping[str, Any], pop: Population, path: Path,
               ctx: Context) -> tuple[Location, ...]:
    """Where a multicompartment cell is recorded (default: its spike location)."""
    if not isinstance(pop.cell, CableCell):
        if "locations" in raw:
            ctx.fail(path, f"'locations' applies only to multicompartment cells; "
                           f"{pop.cell.type} cells (population '{pop.name}') are points")
        return ()
    if "locations" not in raw:
        return (pop.cell.spike_location,)
    morph = pop.cell.morphology
    if raw["locations"] == "all":  # the middle of every section (a whole-cell map)
        return tuple(Location(i, 0.5, f"{s.name}(0.5)") for i, s in enumerate(morph.sections))
    given = ctx.sequence(raw["locations"], path)
    if not given:
        ctx.fail(path, "expected at least one location, e.g. [soma(0.5)]")
    found = tuple(location(item, pop.cell.morphology, path + (j,), ctx)
                  for j, item in enumerate(given))
    labels = [loc.label for loc in found]
    for j, label in enumerate(labels):
        if label in labels[:j]:
            ctx.fail(path + (j,), f"location '{label}' is listed twice")
    return found


def _tolerances(raw: Any, ctx: Context) -> Tolerances:
    path: Path = ("compare", "tolerances")
    tol = ctx.mapping(raw, path, "tolerances")
    ctx.keys(tol, path, ("spike_count", "spike_time", "rate", "v_rmse", "cv_isi", "measures"))
    result = Tolerances()
    fields: dict[str, Any] = {}
    if "spike_count" in tol:
        count = tol["spike_count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            ctx.fail(path + ("spike_count",), f"expected a whole number >= 0, got {count!r}")
        fields["spike_count"] = count
    if "spike_time" in tol:
        fields["spike_time_ms"] = ctx.quantity(tol["spike_time"], "ms", path + ("spike_time",))
    for key, field_name in (("rate", "rate_relative"), ("measures", "measures_relative")):
        if key in tol:
            text = str(tol[key]).strip()
            if not text.endswith("%"):
                ctx.fail(path + (key,), f"expected a percentage such as '1 %', got {text!r}")
            fields[field_name] = ctx.quantity(text[:-1], "1", path + (key,)) / 100.0
    if "cv_isi" in tol:
        fields["cv_isi"] = ctx.quantity(tol["cv_isi"], "1", path + ("cv_isi",))
    if "v_rmse" in tol:
        fields["v_rmse_mV"] = ctx.quantity(tol["v_rmse"], "mV", path + ("v_rmse",))
    return Tolerances(**{**result.__dict__, **fields})
