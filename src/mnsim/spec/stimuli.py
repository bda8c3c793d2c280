"""The ``stimuli:`` section: currents injected into target neurons and spike inputs delivered
through a synapse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mnsim.catalogue import STIMULUS_TYPES
from mnsim.spec import network
from mnsim.spec.cable import CableCell
from mnsim.spec.context import Context, Path
from mnsim.spec.locations import location
from mnsim.spec.model import Population, Simulation, Stimulus, per_neuron
from mnsim.units import is_dimension

_NONNEGATIVE = ("rate", "std", "sigma", "frequency")


def stimulus(name: str, raw: Any, pops: Mapping[str, Population], sim: Simulation,
             ctx: Context) -> Stimulus:
    path: Path = ("stimuli", name)
    raw = ctx.mapping(raw, path, "stimulus fields")
    stype_name = raw.get("type")
    if stype_name not in STIMULUS_TYPES:
        ctx.fail(path + ("type",), f"unknown stimulus type {stype_name!r}; known types: "
                                   f"{', '.join(STIMULUS_TYPES)}")
    stype = STIMULUS_TYPES[stype_name]
    required = [k for k, (_, default) in stype.fields.items()
                if default is None and k not in ("stop", "interval")]
    extra = ("receptor", "synapse") if stype.spikes else ("location",)
    if stype.spikes and "location" in raw:
        ctx.fail(path + ("location",), "spike inputs arrive where their synapse is (the "
                                       "location of the cell's synapse named by 'receptor'); "
                                       "remove 'location'")
    extra += ("times",) if stype_name == "spike_times" else ()
    ctx.keys(raw, path, ("type", "target", *stype.fields, *extra),
             required=("target", *required, *(("synapse",) if stype.spikes else ()),
                       *(("times",) if stype_name == "spike_times" else ())))
    target, target_range = network.selection(raw["target"], pops, path + ("target",), ctx)
    pop = pops[target]
    size = target_range[1] - target_range[0]
    cable = isinstance(pop.cell, CableCell)
    if cable and not stype.spikes and stype_name != "step_current":
        ctx.fail(path + ("type",), f"a multicompartment cell ('{target}') takes step_current "
                                   f"or spike inputs in this version, not {stype_name}")
    if "location" in raw and not cable:
        ctx.fail(path + ("location",), f"'location' applies only to multicompartment cells; "
                                       f"{pop.cell.type} cells (population '{target}') are "
                                       f"points")
    values: dict[str, Any] = {}
    for key, (unit, default) in stype.fields.items():
        given = raw.get(key, default)
        if key == "stop" and given is None:
            values[key] = sim.duration_ms
        elif key == "interval" and given is None:
            values[key] = sim.dt_ms
        elif key in stype.per_neuron:
            values[key] = _per_target(given, unit, pop, size, path + (key,), ctx)
            if key in _NONNEGATIVE and np.min(values[key]) < 0:
                ctx.fail(path + (key,), f"{key} must be >= 0, got {given!r}")
        else:
            values[key] = ctx.quantity(given, unit, path + (key,))
            if key in _NONNEGATIVE and values[key] < 0:
                ctx.fail(path + (key,), f"{key} must be >= 0, got {given!r}")
    for key in ("start", "stop", "interval"):
        steps = values.get(key, 0.0) / sim.dt_ms
        if key in raw and abs(steps - round(steps)) > 1e-6:
            ctx.fail(path + (key,), f"{key} ({raw[key]}) must lie on the time grid (a whole "
                                    f"number of dt = {sim.dt_ms:g} ms)")
    if "tau" in values and values["tau"] <= 0:
        ctx.fail(path + ("tau",), f"tau must be above zero, got {raw['tau']!r}")
    if "interval" in values and values["interval"] <= 0:
        ctx.fail(path + ("interval",), "interval must be above zero")
    if "start" in values and values["start"] >= sim.duration_ms:
        ctx.fail(path + ("start",), f"start ({values['start']:g} ms) must be before the end of "
                                    f"the run ({sim.duration_ms:g} ms)")
    if "start" in values and not 0 <= values["start"] < values["stop"]:
        ctx.fail(path + ("start",), f"expected 0 <= start < stop, got start {values['start']} "
                                    f"ms, stop {values['stop']} ms")
    if "stop" in values and values["stop"] > sim.duration_ms:
        values["stop"] = sim.duration_ms
    if stype_name == "spike_times":
        values["times"] = _times(raw["times"], size, sim, path + ("times",), ctx)
    if not stype.spikes:
        where = None
        if cable:
            where = (location(raw["location"], pop.cell.morphology, path + ("location",), ctx)
                     if "location" in raw else pop.cell.spike_location)
        return Stimulus(name=name, type=stype.name, target=target, values=values,
                        target_range=target_range, location=where)
    default = "excitatory"
    if cable and len(pop.cell.synapses) == 1:
        default = next(iter(pop.cell.synapses))  # the cell's only synapse
    elif cable and "receptor" not in raw:
        syns = ", ".join(pop.cell.synapses)
        ctx.fail(path, "spikes reach a multicompartment cell through one of its synapses; "
                       + (f"give 'receptor:', one of {syns}" if syns else
                          f"'{target}' has none: add one under its cell's 'synapses:'"))
    receptor = network.receptor_of(raw.get("receptor", default), pop, path + ("receptor",), ctx)
    network.check_source(receptor, None, path + ("receptor",), ctx)
    syn = network.synapse(raw["synapse"], receptor, sim, path + ("synapse",), ctx)
    if cable and syn.type != "static":
        ctx.fail(path + ("synapse", "type"), f"spike inputs onto a multicompartment cell use "
                                             f"static synapses in this version, not {syn.type}")
    return Stimulus(name=name, type=stype.name, target=target, values=values,
                    target_range=target_range, synapse=syn, receptor=receptor.name)


def _per_target(raw: Any, unit: str, pop: Population, size: int, path: Path,
                ctx: Context) -> np.ndarray:
    """One value per target neuron; a current density is multiplied by the cell's area."""
    items = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, list) and len(raw) != size:
        ctx.fail(path, f"expected one value or a list of {size} (one per target neuron), got "
                       f"a list of {len(raw)}")
    values = []
    for i, item in enumerate(items):
        where = path + (i,) if isinstance(raw, list) else path
        if unit == "nA" and is_dimension(item, "uA/cm2"):
            if isinstance(pop.cell, CableCell):
                ctx.fail(where, f"got a current density ({item!r}), but a current into a "
                                f"multicompartment cell enters at one location; give a "
                                f"current such as '0.1 nA'")
            if pop.cell.area_um2 is None:
                ctx.fail(where, f"got a current density ({item!r}) but {pop.cell.type} cells "
                                f"have no membrane area; give a current such as '0.5 nA'")
            values.append(ctx.quantity(item, "uA/cm2", where) * pop.cell.area_um2 * 1e-5)
        else:
            values.append(ctx.quantity(item, unit, where))
    return per_neuron(np.array(values), size)


def _times(raw: Any, size: int, sim: Simulation, path: Path,
           ctx: Context) -> tuple[np.ndarray, ...]:
    """Spike times: one list for every target, or one list per target neuron."""
    if not isinstance(raw, list):
        ctx.fail(path, f"expected a list of spike times (or one list per target), got {raw!r}")
    per_target = bool(raw) and all(isinstance(r, list) for r in raw)
    if per_target and len(raw) != size:
        ctx.fail(path, f"expected one list of times per target neuron ({size}), got {len(raw)}")
    lists = raw if per_target else [raw]
    trains = []
    for i, times in enumerate(lists):
        where = path + (i,) if per_target else path
        if not isinstance(times, list):
            ctx.fail(where, f"expected a list of times, got {times!r}")
        train = np.array([ctx.quantity(t, "ms", where + (j,)) for j, t in enumerate(times)])
        steps = train / sim.dt_ms
        off = np.flatnonzero(np.abs(steps - np.round(steps)) > 1e-6)
        if off.size:
            ctx.fail(where + (int(off[0]),), f"spike time {times[off[0]]!r} is not on the time "
                                             f"grid (dt = {sim.dt_ms:g} ms)")
        bad = np.flatnonzero((train < sim.dt_ms * (1 - 1e-9)) | (train >= sim.duration_ms))
        if bad.size:
            ctx.fail(where + (int(bad[0]),), f"spike time {times[bad[0]]!r} is outside the "
                                             f"run: a spike is stamped at the end of a time "
                                             f"step, from dt ({sim.dt_ms:g} ms) to before the "
                                             f"duration ({sim.duration_ms:g} ms)")
        trains.append(np.sort(np.round(steps) * sim.dt_ms))
    return tuple(trains) if per_target else tuple(trains[0] for _ in range(size))
