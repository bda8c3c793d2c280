"""The network sections of a model description: projections, synapses, connectors, random
quantities, and the population selections (``exc``, ``exc[0:400]``) they and stimuli target."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import numpy as np

from mnsim.catalogue import CELL_TYPES
from mnsim.catalogue.cells import Receptor
from mnsim.catalogue.synapses import CONNECTORS, SYNAPSE_TYPES
from mnsim.spec.cable import CableCell
from mnsim.spec.context import Context, Path, closest
from mnsim.spec.model import (
    Connector,
    Distribution,
    Population,
    Projection,
    Quantity,
    Simulation,
    Synapse,
    receptors_of,
)

_SELECTION = re.compile(r"^\s*(.+?)\s*(?:\[\s*(\d*)\s*:\s*(\d*)\s*\])?\s*$")
_DISTRIBUTIONS = {"normal": ("mu", "sigma"), "uniform": ("low", "high"),
                  "lognormal": ("mu", "sigma")}


def selection(text: Any, pops: Mapping[str, Population], path: Path,
              ctx: Context) -> tuple[str, tuple[int, int]]:
    """``"exc"`` -> ("exc", (0, size)); ``"exc[100:200]"`` -> ("exc", (100, 200))."""
    match = _SELECTION.match(text) if isinstance(text, str) else None
    if isinstance(text, str) and text in pops:  # any population name, "L2/3e" included
        return text, (0, pops[text].size)
    if match is None:
        ctx.fail(path, f"expected a population name, optionally with a slice such as "
                       f"'exc[0:100]', got {text!r}")
    name, start, stop = match.groups()
    if name not in pops:
        ctx.fail(path, f"population '{name}' does not exist{closest(name, pops)}; "
                       f"populations: {', '.join(pops)}")
    size = pops[name].size
    lo = int(start) if start else 0
    hi = int(stop) if stop else size
    if not 0 <= lo < hi <= size:
        ctx.fail(path, f"slice [{lo}:{hi}] does not select neurons of '{name}' (size {size}); "
                       f"expected 0 <= start < stop <= {size}")
    return name, (lo, hi)


def receptor_of(raw: Any, pop: Population, path: Path, ctx: Context) -> Receptor:
    """The receptor ``raw`` of ``pop``'s cell (a multicompartment cell's: its synapses)."""
    receptors = receptors_of(pop.cell)
    if isinstance(pop.cell, CableCell) and raw not in receptors:
        ctx.fail(path, f"the multicompartment cell of '{pop.name}' has no synapse {raw!r}"
                       f"{closest(str(raw), receptors)}; its synapses: "
                       f"{', '.join(receptors) or 'none (add them under cell.synapses)'}")
    if not receptors:
        ctx.fail(path, f"{pop.cell.type} cells (population '{pop.name}') take no synaptic "
                       f"input; cells with receptors: "
                       f"{', '.join(t for t, c in CELL_TYPES.items() if c.receptors)}")
    if raw not in receptors:
        ctx.fail(path, f"{pop.cell.type} has no receptor {raw!r}{closest(str(raw), receptors)}; "
                       f"receptors: {', '.join(receptors)}")
    return receptors[raw]


def check_source(receptor: Receptor, pre: Population | None, path: Path, ctx: Context) -> None:
    """A receptor that only some cell types may reach (``Receptor.sources``): ``pre`` is the
    presynaptic population, None for a spike input (which has no such cell)."""
    if not receptor.sources or (pre is not None and pre.cell.type in receptor.sources):
        return
    source = (f"population '{pre.name}' ({pre.cell.type})" if pre is not None
              else "a spike input")
    ctx.fail(path, f"the {receptor.name} receptor takes spikes only from "
                   f"{' or '.join(receptor.sources)} neurons ({receptor.doc}), not from "
                   f"{source}")


def quantity_or_distribution(raw: Any, unit: str, path: Path, ctx: Context) -> Quantity:
    """A quantity (``"2 nS"``) or ``{distribution: normal, mu: .., sigma: .., min: ..}``."""
    if not isinstance(raw, Mapping):
        return ctx.quantity(raw, unit, path)
    kind = raw.get("distribution")
    if kind not in _DISTRIBUTIONS:
        ctx.fail(path + ("distribution",), f"expected a distribution ({', '.join(_DISTRIBUTIONS)})"
                                           f", got {kind!r}")
    names = _DISTRIBUTIONS[kind]
    ctx.keys(raw, path, ("distribution", *names, "min", "max"), required=names)
    params = {}
    for key in names:
        # lognormal: mu and sigma describe log(value / 1 unit)
        params[key] = (ctx.quantity(raw[key], "1", path + (key,)) if kind == "lognormal"
                       else ctx.quantity(raw[key], unit, path + (key,)))
    if kind != "uniform" and params["sigma"] < 0:
        ctx.fail(path + ("sigma",), f"sigma must be >= 0, got {raw['sigma']!r}")
    if kind == "uniform" and not params["low"] <= params["high"]:
        ctx.fail(path, f"expected low <= high, got {raw['low']!r} and {raw['high']!r}")
    bounds = {k: ctx.quantity(raw[k], unit, path + (k,)) for k in ("min", "max") if k in raw}
    dist = Distribution(kind=kind, params=params, **bounds)
    low, high = dist.support()
    if not low <= high:
        ctx.fail(path, f"min/max leave no value to draw (from {low:g} to {high:g} {unit})")
    if kind == "uniform" and (low > params["high"] or high < params["low"]):
        ctx.fail(path, "min/max lie outside [low, high]: nothing can be drawn")
    return dist


def synapse(raw: Any, receptor: Receptor, sim: Simulation, path: Path, ctx: Context) -> Synapse:
    """A ``synapse:`` block (projections and spike inputs)."""
    raw = ctx.mapping(raw, path, "synapse fields")
    stype_name = raw.get("type", "static")
    if stype_name not in SYNAPSE_TYPES:
        ctx.fail(path + ("type",), f"unknown synapse type {stype_name!r}"
                                   f"{closest(str(stype_name), SYNAPSE_TYPES)}; known: "
                                   f"{', '.join(SYNAPSE_TYPES)}")
    stype = SYNAPSE_TYPES[stype_name]
    required = [k for k, (_, d) in stype.fields.items() if d is None]
    ctx.keys(raw, path, ("type", "weight", "delay", *stype.fields, *stype.choices),
             required=("weight", *required))
    unit = receptor.weight_unit
    weight = quantity_or_distribution(raw["weight"], unit, path + ("weight",), ctx)
    _check_sign(weight, receptor, raw["weight"], path + ("weight",), ctx)
    delay = quantity_or_distribution(raw.get("delay", f"{sim.dt_ms!r} ms"), "ms",
                                     path + ("delay",), ctx)
    low = delay.support()[0] if isinstance(delay, Distribution) else delay
    if low < sim.dt_ms * (1 - 1e-9):
        given = raw.get("delay")
        ctx.fail(path + ("delay",), f"delays must be at least one time step (dt = "
                                    f"{sim.dt_ms:g} ms), got {given!r}"
                                    + ("; give the distribution a 'min'"
                                       if isinstance(delay, Distribution) else ""))
    params: dict[str, Any] = {}
    for key, (kunit, default) in stype.fields.items():
        value = raw.get(key, default)
        if kunit == "weight":
            params[key] = ctx.quantity(value if key in raw else f"{default} {unit}", unit,
                                       path + (key,))
        else:
            params[key] = ctx.quantity(value, kunit, path + (key,))
    for key, options in stype.choices.items():
        value = raw.get(key, options[0])
        if value not in options:
            ctx.fail(path + (key,), f"expected one of {', '.join(options)}, got {value!r}")
        params[key] = value
    _check_synapse_fields(stype_name, params, weight, path, raw, ctx)
    return Synapse(type=stype_name, weight=weight, delay_ms=delay, params=params)


def _check_sign(weight: Quantity, receptor: Receptor, given: Any, path: Path,
                ctx: Context) -> None:
    low, high = weight.support() if isinstance(weight, Distribution) else (weight, weight)
    wrong = low < 0 if receptor.sign > 0 else high > 0
    if wrong:
        need = ">= 0" if receptor.sign > 0 else "<= 0"
        fix = ("bound the distribution with 'min'/'max'" if isinstance(weight, Distribution)
               else "change its sign")
        ctx.fail(path, f"weights onto the {receptor.name} receptor ({receptor.doc}, in "
                       f"{receptor.weight_unit}) must be {need}, got {given!r}: {fix}")


def _check_synapse_fields(stype: str, params: dict[str, Any], weight: Quantity, path: Path,
                          raw: Any, ctx: Context) -> None:
    if stype == "tsodyks_markram":
        if not 0 < params["U"] <= 1:
            ctx.fail(path + ("U",), f"U must be in (0, 1], got {raw.get('U')!r}")
        if params["tau_rec"] <= 0:
            ctx.fail(path + ("tau_rec",), "tau_rec must be above zero")
        if params["tau_facil"] < 0:
            ctx.fail(path + ("tau_facil",), "tau_facil must be >= 0")
    if stype == "stdp":
        for key in ("tau_plus", "tau_minus"):
            if params[key] <= 0:
                ctx.fail(path + (key,), f"{key} must be above zero")
        for key in ("A_plus", "A_minus"):
            if params[key] < 0:
                ctx.fail(path + (key,), f"{key} must be >= 0")
        if not params["w_min"] < params["w_max"]:
            ctx.fail(path + ("w_max",), "w_max must be above w_min")
        low, high = weight.support() if isinstance(weight, Distribution) else (weight, weight)
        if low < params["w_min"] or high > params["w_max"]:
            ctx.fail(path + ("weight",), "initial weights must lie within [w_min, w_max]")


def projection(name: str, raw: Any, pops: Mapping[str, Population], sim: Simulation,
               ctx: Context) -> Projection:
    path: Path = ("projections", name)
    raw = ctx.mapping(raw, path, "projection fields")
    fields = ("pre", "post", "connector", "synapse", "receptor")
    ctx.keys(raw, path, fields, required=("pre", "post"))
    pre, pre_range = selection(raw["pre"], pops, path + ("pre",), ctx)
    post, post_range = selection(raw["post"], pops, path + ("post",), ctx)
    for side, pop_name in (("pre", pre), ("post", post)):  # before asking for the rest
        if isinstance(pops[pop_name].cell, CableCell):
            ctx.fail(path + (side,), f"projections to or from multicompartment cells "
                                     f"('{pop_name}') are not supported in this version; drive the "
                                     f"cell with spike inputs (stimuli of type spike_times or "
                                     f"poisson onto one of its synapses)")
    ctx.keys(raw, path, fields, required=fields)
    receptor = receptor_of(raw["receptor"], pops[post], path + ("receptor",), ctx)
    check_source(receptor, pops[pre], path + ("receptor",), ctx)
    syn = synapse(raw["synapse"], receptor, sim, path + ("synapse",), ctx)
    proj = Projection(name=name, pre=pre, post=post, pre_range=pre_range, post_range=post_range,
                      connector=Connector(rule="all_to_all"), synapse=syn, receptor=receptor.name)
    connector = _connector(raw["connector"], proj, receptor, sim, path + ("connector",), ctx)
    return Projection(**{**proj.__dict__, "connector": connector})


def _connector(raw: Any, proj: Projection, receptor: Receptor, sim: Simulation, path: Path,
               ctx: Context) -> Connector:
    raw = ctx.mapping(raw, path, "connector fields")
    rule = raw.get("rule")
    if rule not in CONNECTORS:
        ctx.fail(path + ("rule",), f"unknown connector rule {rule!r}"
                                   f"{closest(str(rule), CONNECTORS)}; known: "
                                   f"{', '.join(CONNECTORS)}")
    fields = CONNECTORS[rule].fields
    key_of = {"probability": "p", "count": "k" if rule != "fixed_total_number" else "n",
              "connections": "connections"}
    keys = [key_of[kind] for kind in fields.values()]
    ctx.keys(raw, path, ("rule", *keys, "allow_autapses", "allow_multapses"), required=keys)
    flags = {}
    for flag in ("allow_autapses", "allow_multapses"):
        if flag in raw and not isinstance(raw[flag], bool):
            ctx.fail(path + (flag,), f"expected true or false, got {raw[flag]!r}")
        flags[flag] = raw.get(flag, flag == "allow_autapses")
    n_pre, n_post = proj.n_pre, proj.n_post
    (a, b), (c, d) = proj.pre_range, proj.post_range
    if (proj.pre == proj.post and not flags["allow_autapses"] and a < d and c < b
            and not proj.same_neurons):
        ctx.fail(path + ("allow_autapses",), f"pre {proj.pre}[{a}:{b}] and post "
                                             f"{proj.post}[{c}:{d}] overlap without being the "
                                             f"same neurons: 'allow_autapses: false' is only "
                                             f"supported for identical or disjoint slices")
    pool_pre = n_pre - (1 if proj.same_neurons and not flags["allow_autapses"] else 0)
    pool_post = n_post - (1 if proj.same_neurons and not flags["allow_autapses"] else 0)
    if rule in ("fixed_indegree", "fixed_outdegree") and min(pool_pre, pool_post) < 1:
        ctx.fail(path + ("rule",), f"{rule} has no neuron to choose from (one neuron and no "
                                   f"autapses)")
    if rule == "one_to_one" and n_pre != n_post:
        ctx.fail(path + ("rule",), f"one_to_one needs pre and post of the same size, got "
                                   f"{n_pre} and {n_post}")
    if rule == "fixed_probability":
        p = raw["p"]
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            ctx.fail(path + ("p",), f"expected a probability from 0 to 1, got {p!r}")
        return Connector(rule=rule, p=float(p), **flags)
    if rule in ("fixed_indegree", "fixed_outdegree", "fixed_total_number"):
        key = key_of["count"]
        n = ctx.positive_int(raw[key], path + (key,), "a number of connections")
        limit, what = {"fixed_indegree": (pool_pre, "pre neurons"),
                       "fixed_outdegree": (pool_post, "post neurons"),
                       "fixed_total_number": (n_pre * n_post - (min(n_pre, n_post) if
                                              pool_pre < n_pre else 0), "distinct pairs")}[rule]
        if n > limit and not flags["allow_multapses"]:
            ctx.fail(path + (key,), f"{rule} asks for {key} = {n} but there are only {limit} "
                                    f"{what} (connections are distinct); lower {key} or set "
                                    f"allow_multapses: true")
        return Connector(rule=rule, n=n, **flags)
    if rule == "from_list":
        table = _table(raw["connections"], proj, receptor, sim.dt_ms, path + ("connections",),
                       ctx)
        return Connector(rule=rule, table=table, **flags)
    return Connector(rule=rule, **flags)


def _table(raw: Any, proj: Projection, receptor: Receptor, dt_ms: float, path: Path,
           ctx: Context) -> dict[str, np.ndarray]:
    """Columns pre, post (indices within the slices), optional weight and delay (ms)."""
    if isinstance(raw, str):
        table, where = _read_table(raw, path, ctx), f"file {raw}"
    elif isinstance(raw, list):
        table, where = _inline_table(raw, receptor, path, ctx), "the list"
    else:
        ctx.fail(path, f"expected a list of [pre, post(, weight, delay)] rows or a CSV/NPZ "
                       f"file name, got {raw!r}")
    for col, size, side in (("pre", proj.n_pre, proj.pre), ("post", proj.n_post, proj.post)):
        values = table[col]
        if values.size and (np.any(values != np.round(values)) or values.min() < 0
                            or values.max() >= size):
            bad = values[(values != np.round(values)) | (values < 0) | (values >= size)][0]
            ctx.fail(path, f"{where}: column '{col}' holds {bad:g}, not a neuron index of "
                           f"'{side}' selection (0 to {size - 1})")
        table[col] = values.astype(np.int64)
    if "weight" in table:
        _check_sign(Distribution("uniform", {"low": float(table["weight"].min(initial=0)),
                                             "high": float(table["weight"].max(initial=0))}),
                    receptor, f"values in {where}", path, ctx)
    if "delay" in table and table["delay"].size and table["delay"].min() < dt_ms * (1 - 1e-9):
        ctx.fail(path, f"{where}: delay {table['delay'].min():g} ms is below one time step "
                       f"(dt = {dt_ms:g} ms); delays must be at least dt")
    return table


def _read_table(name: str, path: Path, ctx: Context) -> dict[str, np.ndarray]:
    base = FilePath(ctx.file).parent if ctx.file not in ("<python>", "") else FilePath.cwd()
    file = (base / name) if not FilePath(name).is_absolute() else FilePath(name)
    if not file.is_file():
        ctx.fail(path, f"connection file {str(file)!r} not found (relative names are read "
                       f"from the model file's directory)")
    try:
        if file.suffix == ".npz":
            with np.load(file) as data:
                cols = {k: np.asarray(data[k], float) for k in data.files}
        elif file.suffix == ".csv":
            data = np.genfromtxt(file, delimiter=",", names=True, dtype=float)
            cols = {k: np.atleast_1d(data[k]) for k in data.dtype.names}
        else:
            ctx.fail(path, f"{file.name}: expected a .csv or .npz file")
    except (OSError, ValueError) as exc:
        ctx.fail(path, f"{file.name}: cannot read it as a table ({exc}); expected a header "
                       f"line 'pre,post' or 'pre,post,weight,delay'")
    allowed = ("pre", "post", "weight", "delay")
    for col in cols:
        if col not in allowed:
            ctx.fail(path, f"{file.name}: unknown column '{col}'{closest(col, allowed)}; "
                           f"columns: pre, post, and optionally weight (in the receptor's "
                           f"unit) and delay (ms)")
    for col in ("pre", "post"):
        if col not in cols:
            ctx.fail(path, f"{file.name}: missing column '{col}'")
    for col, values in cols.items():
        if values.ndim != 1 or values.size != cols["pre"].size or np.any(~np.isfinite(values)):
            ctx.fail(path, f"{file.name}: column '{col}' must hold one finite number per "
                           f"connection ({cols['pre'].size})")
    return cols


def _inline_table(rows: list, receptor: Receptor, path: Path,
                  ctx: Context) -> dict[str, np.ndarray]:
    if not rows:
        ctx.fail(path, "expected at least one [pre, post] row")
    width = len(rows[0]) if isinstance(rows[0], list) else 0
    cols: dict[str, list[float]] = {"pre": [], "post": []}
    if width == 4:
        cols.update(weight=[], delay=[])
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width or width not in (2, 4):
            ctx.fail(path + (i,), f"expected [pre, post] or [pre, post, weight, delay] (all rows "
                                  f"alike), got {row!r}")
        for j in (0, 1):
            if isinstance(row[j], bool) or not isinstance(row[j], int):
                ctx.fail(path + (i, j), f"expected a neuron index, got {row[j]!r}")
        cols["pre"].append(row[0])
        cols["post"].append(row[1])
        if width == 4:
            cols["weight"].append(ctx.quantity(row[2], receptor.weight_unit, path + (i, 2)))
            cols["delay"].append(ctx.quantity(row[3], "ms", path + (i, 3)))
    return {k: np.asarray(v, float) for k, v in cols.items()}
