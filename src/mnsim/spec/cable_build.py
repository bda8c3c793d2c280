"""The YAML of a ``type: multicompartment`` cell -> :class:`~mnsim.spec.cable.CableCell`.

Fields (docs/model-format.md, "Multicompartment cells"): ``morphology`` (a file) or
``sections`` (inline), ``discretization``, ``regions``, ``initial``, ``spike``, ``synapses``.
Every rule is checked here, against the morphology, so a backend only evaluates it. Regions
may name the mechanisms the model resolved (:func:`~mnsim.catalogue.mechanisms.mechanisms_for`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import numpy as np

from mnsim.catalogue.mechanisms import (
    IONS,
    MECHANISMS,
    POINT_SYNAPSE_TYPES,
    Resolved,
    mechanisms_for,
)
from mnsim.errors import MorphologyError
from mnsim.morphology.inline import InlineSection, default_type, inline_morphology, split_ref
from mnsim.morphology.model import SECTION_TYPES, Morphology
from mnsim.spec.cable import (
    HH_REVERSALS,
    CableCell,
    Discretization,
    Gradient,
    PointSynapse,
    Region,
)
from mnsim.spec.cable_morphology import file_morphology
from mnsim.spec.context import Context, Path, closest
from mnsim.spec.locations import default_location, location, section_of

PYTHON_ORIGINS = ("<python>", "", "--set")  # Context.file of a model not read from a file
CELL_FIELDS = ("type", "morphology", "sections", "discretization", "regions", "initial",
               "spike", "synapses")
REGION_FIELDS = ("where", "cm", "Ra", "mechanisms", "reversal")


def cable_cell(raw: Mapping[str, Any], path: Path, ctx: Context,
               available: Mapping[str, Resolved] | None = None) -> CableCell:
    """Build the cell at ``path`` (``populations.NAME.cell``) from its checked fields;
    ``available``: the mechanisms its regions may use (default: the built-ins and the
    library)."""
    ctx.keys(raw, path, CELL_FIELDS, required=("type",))
    available = mechanisms_for() if available is None else available
    morph = _morphology(raw, path, ctx)
    disc = _discretization(raw.get("discretization", {}), path + ("discretization",), ctx)
    regions = _regions(raw.get("regions", {}), morph, path + ("regions",), ctx, available)
    used = _used(regions, available, morph, path + ("regions",), ctx)
    initial = ctx.mapping(raw.get("initial", {}), path + ("initial",), "initial values")
    ctx.keys(initial, path + ("initial",), ("v",))
    v0 = ctx.quantity(initial.get("v", "-65 mV"), "mV", path + ("initial", "v"))
    spike = ctx.mapping(raw.get("spike", {}), path + ("spike",), "spike detection fields")
    ctx.keys(spike, path + ("spike",), ("location", "threshold"))
    where = (location(spike["location"], morph, path + ("spike", "location"), ctx)
             if "location" in spike else default_location(morph))
    threshold = ctx.quantity(spike.get("threshold", "0 mV"), "mV", path + ("spike", "threshold"))
    synapses = _synapses(raw.get("synapses", {}), morph, path + ("synapses",), ctx)
    return CableCell(morphology=morph, discretization=disc, regions=regions, initial_v_mV=v0,
                     synapses=synapses, spike_location=where, spike_threshold_mV=threshold,
                     initial={"v": v0}, mechanisms=used)


def _used(regions: tuple[Region, ...], available: Mapping[str, Resolved], morph: Morphology,
          path: Path, ctx: Context) -> dict[str, Resolved]:
    """The mechanisms the regions use, built-ins first, then by name (one order per set: a
    backend's code is the same for the same set); no region may set eca where it is Nernst."""
    names = {m for r in regions for m in r.mechanisms}
    order = [m for m in MECHANISMS if m in names] + sorted(names - set(MECHANISMS))
    used = {m: available[m] for m in order}
    dynamics = [r for r in regions if any(used[m].writes_cai for m in r.mechanisms)]
    for region in regions:
        if "ca" not in region.reversal:
            continue
        for other in dynamics:
            shared = region.sections & other.sections
            if shared:
                mech = next(m for m in other.mechanisms if used[m].writes_cai)
                ctx.fail(path + (region.name, "reversal", "ca"),
                         f"region '{region.name}' sets the calcium reversal potential on "
                         f"section '{morph.sections[min(shared)].name}', where region "
                         f"'{other.name}' puts calcium dynamics ({mech}): there eca follows "
                         f"Nernst from cai (NEURON's rule); remove 'ca' from this region's "
                         f"reversal or keep it off sections with {mech}")
    return used


def _morphology(raw: Mapping[str, Any], path: Path, ctx: Context) -> Morphology:
    given = [k for k in ("morphology", "sections") if k in raw]
    if len(given) != 1:
        ctx.fail(path, "a multicompartment cell needs exactly one of 'morphology' (a file: SWC, "
                       "ASC, H5 or NeuroML) or 'sections' (inline)"
                       + ("" if not given else ", not both"))
    if "sections" in raw:
        return _inline(raw["sections"], path + ("sections",), ctx)
    # a relative file is relative to the model file (the working directory for a model built
    # in Python), else one of mnsim's own; or {package: NAME, path: PATH}, replace_axon
    base = None if ctx.file in PYTHON_ORIGINS else FilePath(ctx.file).parent
    return file_morphology(raw, path, ctx, base)


def _inline(raw: Any, path: Path, ctx: Context) -> Morphology:
    raw = ctx.mapping(raw, path, "sections (name: {length, diam, parent, type})")
    if not raw:
        ctx.fail(path, "expected at least one section, e.g. soma: {length: 20 um, diam: 20 um}")
    specs = []
    for name, body in raw.items():
        where = path + (name,)
        body = ctx.mapping(body, where, "section fields")
        ctx.keys(body, where, ("length", "diam", "parent", "type"), required=("length", "diam"))
        length = ctx.quantity(body["length"], "um", where + ("length",), positive=True)
        diam = body["diam"]
        if isinstance(diam, list):
            if len(diam) != 2:
                ctx.fail(where + ("diam",), f"expected one diameter or [start, end], got {diam!r}")
            ends = tuple(ctx.quantity(d, "um", where + ("diam", j), positive=True)
                         for j, d in enumerate(diam))
        else:
            d = ctx.quantity(diam, "um", where + ("diam",), positive=True)
            ends = (d, d)
        parent, parent_x = None, 1.0
        if "parent" in body:
            ref = split_ref(body["parent"]) if isinstance(body["parent"], str) else None
            if ref is None:
                ctx.fail(where + ("parent",), f"expected NAME(x) such as 'soma(1)', got "
                                              f"{body['parent']!r}")
            parent, x = ref
            parent_x = 1.0 if x is None else x
        sec_type = body.get("type", default_type(str(name)))
        if sec_type not in SECTION_TYPES:
            ctx.fail(where + ("type",), f"unknown section type {sec_type!r}"
                                        f"{closest(str(sec_type), SECTION_TYPES)}; types: "
                                        f"{', '.join(SECTION_TYPES)}")
        specs.append(InlineSection(str(name), length, ends, parent, parent_x, sec_type))
    try:
        return inline_morphology(specs)
    except MorphologyError as exc:
        where = path + (exc.point,) if exc.point is not None else path
        if exc.point is not None and "parent" in exc.message:
            where = where + ("parent",) if "parent" in raw.get(exc.point, {}) else where
        ctx.fail(where, exc.message)


def _discretization(raw: Any, path: Path, ctx: Context) -> Discretization:
    raw = ctx.mapping(raw, path, "discretization fields")
    ctx.keys(raw, path, ("d_lambda", "frequency", "max_length"))
    if "max_length" in raw:
        if "d_lambda" in raw or "frequency" in raw:
            ctx.fail(path, "give either 'max_length' or the d_lambda rule ('d_lambda', "
                           "'frequency'), not both")
        return Discretization(d_lambda=None, max_length_um=ctx.quantity(
            raw["max_length"], "um", path + ("max_length",), positive=True))
    d_lambda = ctx.quantity(raw.get("d_lambda", 0.1), "1", path + ("d_lambda",), positive=True)
    freq = ctx.quantity(raw.get("frequency", "100 Hz"), "Hz", path + ("frequency",),
                        positive=True)
    return Discretization(d_lambda=d_lambda, frequency_Hz=freq)


def _regions(raw: Any, morph: Morphology, path: Path, ctx: Context,
             available: Mapping[str, Resolved]) -> tuple[Region, ...]:
    raw = ctx.mapping(raw, path, "regions (all, a section type, a section name, or any name "
                                 "with 'where:')")
    return tuple(_region(str(name), body, morph, path + (name,), ctx, available)
                 for name, body in raw.items())


def _region(name: str, raw: Any, morph: Morphology, path: Path, ctx: Context,
            available: Mapping[str, Resolved]) -> Region:
    raw = ctx.mapping(raw, path, "region fields (where, cm, Ra, mechanisms, reversal)")
    ctx.keys(raw, path, REGION_FIELDS)
    distance = None
    if "where" in raw:
        sections, distance = _where(raw["where"], morph, path + ("where",), ctx)
    elif name == "all":
        sections = set(range(len(morph.sections)))
    elif name in SECTION_TYPES:
        sections = set(morph.of_type(name))
    elif name in {s.name for s in morph.sections}:
        sections = {morph.index(name)}
    else:
        known = ["all", *SECTION_TYPES, *(s.name for s in morph.sections)]
        ctx.fail(path, f"region '{name}' is not 'all', a section type ({', '.join(SECTION_TYPES)})"
                       f" or a section name{closest(name, known)}; to name a region freely, "
                       f"say where it is: where: {{type: apical, distance: [300 um, null]}}")
    if distance is not None:  # keep only the sections the distance range reaches
        spans = {i: _span(morph, i) for i in sections}
        sections = {i for i, (low, high) in spans.items()
                    if low <= distance[1] and high >= distance[0]}
    span = _coverage(morph, sections, distance)
    ra = None
    if "Ra" in raw:
        if distance is not None:
            ctx.fail(path + ("Ra",), "Ra cannot be set by a distance rule: it is one value per "
                                     "section (NEURON's rule); set it in a region without "
                                     "'distance'")
        if isinstance(raw["Ra"], Mapping):
            ctx.fail(path + ("Ra",), "Ra is one value per section, not a gradient; give a "
                                     "quantity such as '150 ohm*cm'")
        ra = ctx.quantity(raw["Ra"], "ohm*cm", path + ("Ra",), positive=True)
    cm = None
    if "cm" in raw:
        cm = _value(raw["cm"], "uF/cm2", "positive", span, path + ("cm",), ctx)
    reversal = {}
    if "reversal" in raw:
        given = ctx.mapping(raw["reversal"], path + ("reversal",), "ions' reversal potentials "
                                                                   "(na, k, ca)")
        ctx.keys(given, path + ("reversal",), IONS)
        reversal = {ion: _value(e, "mV", "", span, path + ("reversal", ion), ctx)
                    for ion, e in given.items()}
    mechs = ctx.mapping(raw.get("mechanisms", {}), path + ("mechanisms",), "mechanisms "
                        "(name: {parameter: value})")
    mechanisms = {str(m): _mechanism(name, str(m), p, available, distance, span,
                                     path + ("mechanisms", m), ctx) for m, p in mechs.items()}
    for pname, ion in HH_REVERSALS.items():  # hh's ena, ek are the ions' reversals
        if pname in mechanisms.get("hh", {}) and ion in reversal \
                and mechanisms["hh"][pname] != reversal[ion]:
            ctx.fail(path + ("mechanisms", "hh", pname),
                     f"region '{name}' gives hh {pname} and reversal {ion} different values; "
                     f"both are the {ion} ion's reversal potential: give it once, in "
                     f"'reversal: {{{ion}: ...}}'")
    return Region(name=name, sections=frozenset(sections), distance_um=distance, cm=cm,
                  Ra_ohm_cm=ra, mechanisms=mechanisms, reversal=reversal)


def _mechanism(region: str, mname: str, raw: Any, available: Mapping[str, Resolved],
               distance: tuple[float, float] | None, span: tuple[float, float], path: Path,
               ctx: Context) -> dict[str, Gradient]:
    """The parameters region ``region`` sets of mechanism ``mname``, checked in the units of
    the mechanism's parameters."""
    if mname not in available:
        ctx.fail(path, f"region '{region}': unknown mechanism '{mname}'"
                       f"{closest(mname, available)}; known: {', '.join(available)} (a model "
                       f"adds its own with top-level 'channels:' or 'mechanisms:')")
    res = available[mname]
    if res.kind in ("POINT_PROCESS", "ARTIFICIAL_CELL"):
        ctx.fail(path, f"region '{region}': {res.describe()} is a {res.kind}, which sits at a "
                       f"point, not on a membrane region; regions take density mechanisms "
                       f"(NMODL SUFFIX)")
    mech = res.mechanism
    if distance is not None and not mech.conductances:
        ctx.fail(path, f"region '{region}': {mname} ({res.describe()}) has no conductance to "
                       f"switch off where a region leaves it out, so it covers whole sections "
                       f"(as NEURON inserts it); put it in a region without 'distance'")
    params = ctx.mapping({} if raw is None else raw, path, f"{mname} parameters")
    names, values = [p.name for p in mech.params], {}
    for pname, given in params.items():
        if pname not in names:
            ctx.fail(path + (pname,), f"region '{region}': unknown parameter '{pname}' for "
                                      f"{mname}{closest(str(pname), names)}; valid: "
                                      f"{', '.join(names) or 'none'}")
        p = mech.param(pname)
        values[str(pname)] = _value(given, p.unit, p.bound, span, path + (pname,), ctx)
    return values


def _where(raw: Any, morph: Morphology, path: Path,
           ctx: Context) -> tuple[set[int], tuple[float, float] | None]:
    raw = ctx.mapping(raw, path, "conditions (type, sections, distance)")
    ctx.keys(raw, path, ("type", "sections", "distance"))
    if not raw:
        ctx.fail(path, "expected at least one of 'type', 'sections' or 'distance'")
    sections = set(range(len(morph.sections)))
    if "type" in raw:
        types = raw["type"] if isinstance(raw["type"], list) else [raw["type"]]
        for j, t in enumerate(types):
            if t not in SECTION_TYPES:
                at = path + ("type", j) if isinstance(raw["type"], list) else path + ("type",)
                ctx.fail(at, f"unknown section type {t!r}{closest(str(t), SECTION_TYPES)}; "
                             f"types: {', '.join(SECTION_TYPES)}")
        sections &= {i for i, s in enumerate(morph.sections) if s.type in types}
    if "sections" in raw:
        given = raw["sections"] if isinstance(raw["sections"], list) else [raw["sections"]]
        named = {section_of(s, morph, path + ("sections", j) if isinstance(
            raw["sections"], list) else path + ("sections",), ctx) for j, s in enumerate(given)}
        sections &= named
    distance = None
    if "distance" in raw:
        bounds = raw["distance"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            ctx.fail(path + ("distance",), f"expected [min, max] (either may be null), got "
                                           f"{bounds!r}")
        low = 0.0 if bounds[0] is None else ctx.quantity(bounds[0], "um",
                                                         path + ("distance", 0))
        high = math.inf if bounds[1] is None else ctx.quantity(bounds[1], "um",
                                                               path + ("distance", 1))
        if not low <= high:
            ctx.fail(path + ("distance",), f"expected min <= max, got {bounds!r}")
        distance = (low, high)
    return sections, distance


def _span(morph: Morphology, i: int) -> tuple[float, float]:
    """The path distances a section covers."""
    d = morph.distance_um(i, np.array([0.0, 0.5, 1.0]))
    return float(d.min()), float(d.max())


def _coverage(morph: Morphology, sections: set[int],
              distance: tuple[float, float] | None) -> tuple[float, float]:
    """The path distances a region covers (for checking a gradient's values)."""
    if not sections:
        return 0.0, 0.0
    spans = [_span(morph, i) for i in sections]
    low, high = min(s[0] for s in spans), max(s[1] for s in spans)
    if distance is not None:
        low, high = max(low, distance[0]), min(high, distance[1])
    return low, max(low, high)


def _value(raw: Any, unit: str, bound: str, span: tuple[float, float], path: Path,
           ctx: Context) -> Gradient:
    """A quantity, or a gradient in path distance; its values over ``span`` must respect
    ``bound`` ("positive", "nonnegative" or "")."""
    if not isinstance(raw, Mapping):
        grad = Gradient.constant(ctx.quantity(raw, unit, path))
    else:
        grad = _gradient(raw, unit, path, ctx)
    ends = grad(np.array(span))  # linear and exponential rules are monotonic
    low = float(ends.min())
    if (bound == "positive" and low <= 0) or (bound == "nonnegative" and low < 0):
        need = "above zero" if bound == "positive" else ">= 0"
        ctx.fail(path, f"must be {need} everywhere it applies; got {low:g} {unit} at "
                       f"{span[int(np.argmin(ends))]:g} um from the soma")
    return grad


def _gradient(raw: Mapping[str, Any], unit: str, path: Path, ctx: Context) -> Gradient:
    if len(raw) != 1 or next(iter(raw)) not in ("linear", "exponential"):
        ctx.fail(path, f"expected a quantity, {{linear: {{start, end, from, to}}}} or "
                       f"{{exponential: {{offset, scale, length}}}}, got keys "
                       f"{', '.join(map(str, raw)) or 'none'}")
    kind = next(iter(raw))
    body = ctx.mapping(raw[kind], path + (kind,), f"{kind} gradient fields")
    where = path + (kind,)
    if kind == "linear":
        ctx.keys(body, where, ("start", "end", "from", "to"),
                 required=("start", "end", "from", "to"))
        d0 = ctx.quantity(body["from"], "um", where + ("from",))
        d1 = ctx.quantity(body["to"], "um", where + ("to",))
        if not d0 < d1:
            ctx.fail(where + ("to",), f"expected from < to (path distances); got from "
                                      f"{body['from']!r}, to {body['to']!r}: swap start and end "
                                      f"for a value that falls with distance")
        return Gradient("linear", {"start": ctx.quantity(body["start"], unit, where + ("start",)),
                                   "end": ctx.quantity(body["end"], unit, where + ("end",)),
                                   "d0": d0, "d1": d1})
    ctx.keys(body, where, ("offset", "scale", "length"), required=("scale", "length"))
    length = ctx.quantity(body["length"], "um", where + ("length",))
    if length == 0:
        ctx.fail(where + ("length",), "the length constant of an exponential cannot be 0 "
                                      "(negative for a value that falls with distance)")
    offset = ctx.quantity(body.get("offset", f"0 {unit}"), unit, where + ("offset",))
    return Gradient("exponential", {"offset": offset, "length": length,
                                    "scale": ctx.quantity(body["scale"], unit,
                                                          where + ("scale",))})


def _synapses(raw: Any, morph: Morphology, path: Path,
              ctx: Context) -> dict[str, PointSynapse]:
    raw = ctx.mapping(raw, path, "synapses (name: {type, location, ...})")
    result = {}
    for name, body in raw.items():
        where = path + (name,)
        body = ctx.mapping(body, where, "synapse fields")
        stype_name = body.get("type")
        if stype_name not in POINT_SYNAPSE_TYPES:
            known = ", ".join(POINT_SYNAPSE_TYPES)
            ctx.fail(where + ("type",), f"expected a synapse type ({known}), got {stype_name!r}")
        stype = POINT_SYNAPSE_TYPES[stype_name]
        names = [p.name for p in stype.params]
        ctx.keys(body, where, ("type", "location", *names), required=("location",))
        loc = location(body["location"], morph, where + ("location",), ctx)
        params = {}
        for p in stype.params:
            params[p.name] = ctx.quantity(body.get(p.name, p.default), p.unit,
                                          where + (p.name,), positive=p.bound == "positive")
        if stype_name == "exp2syn" and not params["tau1"] < params["tau2"]:
            ctx.fail(where + ("tau1",), f"exp2syn needs tau1 (rise) < tau2 (decay); got tau1 "
                                        f"{params['tau1']:g} ms, tau2 {params['tau2']:g} ms")
        result[str(name)] = PointSynapse(name=str(name), type=stype_name, location=loc,
                                         params=params)
    return result
