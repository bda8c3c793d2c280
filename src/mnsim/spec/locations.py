"""Points on a multicompartment cell, as a model file writes them, and path distances.

Forms (docs/model-format.md): ``NAME(x)``; ``NAME`` (its middle); a section index ``7`` (its
middle); ``{section: NAME or index, x: 0.3}``; ``{type: apical, distance: 400 um}`` (the point
of a section of that type at that path distance from the soma: on the path to the farthest
point of that type when it passes there; a point where two sections meet is on the child). The
label of a location is the text as written, so an ``expect:`` entry can name a recorded one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mnsim.morphology.inline import split_ref
from mnsim.morphology.model import SECTION_TYPES, Morphology
from mnsim.spec.cable import Location
from mnsim.spec.context import Context, Path, closest

MAX_LISTED = 12  # section names listed in a message before they are summarised by type


def label_of(raw: Any) -> str:
    """How a location was written: ``soma(0.5)``, ``7``, ``{type: apical, distance: 400 um}``."""
    if isinstance(raw, Mapping):
        return "{" + ", ".join(f"{k}: {label_of(v)}" for k, v in raw.items()) + "}"
    if isinstance(raw, str):
        return raw.strip()
    return str(raw)


def default_location(morph: Morphology) -> Location:
    """``soma(0.5)``, or the root's middle when the cell has no soma."""
    name = morph.sections[morph.soma if morph.soma is not None else 0].name
    return Location(section=morph.soma if morph.soma is not None else 0, x=0.5,
                    label=f"{name}(0.5)")


def section_names(morph: Morphology) -> str:
    """The section names for a message; long lists are summarised by type
    (``soma, basal[0] to basal[41], apical[0] to apical[9]``)."""
    names = [s.name for s in morph.sections]
    if len(names) <= MAX_LISTED:
        return ", ".join(names)
    parts = []
    for sec_type in SECTION_TYPES:
        of_type = [morph.sections[i].name for i in morph.of_type(sec_type)]
        if len(of_type) > 2:
            parts.append(f"{of_type[0]} to {of_type[-1]} ({len(of_type)} sections)")
        elif of_type:
            parts.append(", ".join(of_type))
    return ", ".join(parts)


def section_of(raw: Any, morph: Morphology, path: Path, ctx: Context) -> int:
    """A section given by name or index."""
    n = len(morph.sections)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not 0 <= raw < n:
            ctx.fail(path, f"section index {raw} does not exist: the cell has {n} sections "
                           f"(0 to {n - 1})")
        return raw
    if isinstance(raw, str):
        try:
            return morph.index(raw.strip())
        except KeyError:
            pass
        names = [s.name for s in morph.sections]
        ctx.fail(path, f"no section named '{raw}'{closest(raw.strip(), names)}; sections: "
                       f"{section_names(morph)}")
    ctx.fail(path, f"expected a section name or index, got {raw!r}")


def location(raw: Any, morph: Morphology, path: Path, ctx: Context) -> Location:
    """Parse one location of ``morph`` (any form of the module docstring)."""
    label = label_of(raw)
    if isinstance(raw, bool) or raw is None or isinstance(raw, float):
        ctx.fail(path, f"expected a location such as 'soma(0.5)', a section index or "
                       f"{{type: apical, distance: 400 um}}, got {raw!r}")
    if isinstance(raw, int):
        return Location(section_of(raw, morph, path, ctx), 0.5, label)
    if isinstance(raw, str):
        ref = split_ref(raw)
        if ref is None:
            ctx.fail(path, f"expected a location such as 'soma(0.5)' (a section name and an "
                           f"arc fraction x from 0 to 1) or 'dend' (its middle), got {raw!r}")
        name, x = ref
        i = section_of(name, morph, path, ctx)
        return Location(i, _fraction(0.5 if x is None else x, path, ctx), label)
    if not isinstance(raw, Mapping):
        ctx.fail(path, f"expected a location, got {raw!r}")
    if "distance" in raw or "type" in raw:
        ctx.keys(raw, path, ("type", "distance"), required=("type", "distance"))
        return _at_distance(raw, morph, label, path, ctx)
    ctx.keys(raw, path, ("section", "x"), required=("section",))
    i = section_of(raw["section"], morph, path + ("section",), ctx)
    x = raw.get("x", 0.5)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        ctx.fail(path + ("x",), f"expected an arc fraction from 0 to 1, got {x!r}")
    return Location(i, _fraction(float(x), path + ("x",), ctx), label)


def _fraction(x: float, path: Path, ctx: Context) -> float:
    if not 0.0 <= x <= 1.0:
        ctx.fail(path, f"x is the fraction of the section's length from its start (0) to its "
                       f"end (1); got {x:g}")
    return float(x)


def _at_distance(raw: Mapping[str, Any], morph: Morphology, label: str, path: Path,
                 ctx: Context) -> Location:
    sec_type = raw["type"]
    if sec_type not in SECTION_TYPES:
        ctx.fail(path + ("type",), f"unknown section type {sec_type!r}"
                                   f"{closest(str(sec_type), SECTION_TYPES)}; types: "
                                   f"{', '.join(SECTION_TYPES)}")
    distance = ctx.quantity(raw["distance"], "um", path + ("distance",))
    if distance < 0:
        ctx.fail(path + ("distance",), f"a path distance is >= 0, got {raw['distance']!r}")
    candidates = morph.of_type(sec_type)
    if not candidates:
        present = sorted({s.type for s in morph.sections}, key=SECTION_TYPES.index)
        ctx.fail(path + ("type",), f"the cell has no {sec_type} sections; its types: "
                                   f"{', '.join(present)}")
    spans = {i: (float(morph.distance_um(i, 0.0 if i != morph.soma else 0.5)),
                 float(morph.distance_um(i, 1.0))) for i in candidates}
    tol = 1e-9 * max(hi for _, hi in spans.values())
    covering = [i for i in candidates if spans[i][0] - tol <= distance <= spans[i][1] + tol]
    if not covering:
        origin = "soma" if morph.soma is not None else "root"
        ctx.fail(path + ("distance",), f"no {sec_type} point is {distance:g} um from the "
                                       f"{origin}: the {sec_type} sections cover "
                                       f"{_ranges(spans.values())} um; give a distance there")
    # on the path to the farthest point of the type if it passes there, else the last
    # section (by index: children after parents) that does; a point where two sections meet
    # is on the child
    far = max(candidates, key=lambda i: spans[i][1])
    on_path = [i for i in _ancestors(morph, far) if i in covering]  # the child first
    i = on_path[0] if on_path else max(covering)
    sec = morph.sections[i]
    if sec.length_um <= 0:
        return Location(i, 0.0, label)
    if i == morph.soma:  # from its middle, towards its 1 end
        return Location(i, min(0.5 + distance / sec.length_um, 1.0), label)
    x = (distance - spans[i][0]) / sec.length_um
    return Location(i, min(max(x, 0.0), 1.0), label)


def _ranges(spans: Iterable[tuple[float, float]]) -> str:
    """The union of distance intervals, as text: ``10 to 40 and 100 to 510``."""
    merged: list[list[float]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] * (1 + 1e-9):
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return " and ".join(f"{lo:.6g} to {hi:.6g}" for lo, hi in merged)


def path_distance_um(morph: Morphology, a: Location, b: Location) -> float:
    """Path distance (um) along the tree between two locations."""
    up_a = _ancestors(morph, a.section)
    common = next(i for i in _ancestors(morph, b.section) if i in up_a)
    xa, da = _climb(morph, a.section, a.x, common)
    xb, db = _climb(morph, b.section, b.x, common)
    return da + db + abs(xa - xb) * morph.sections[common].length_um


def _ancestors(morph: Morphology, i: int) -> list[int]:
    chain = [i]
    while morph.sections[chain[-1]].parent is not None:
        chain.append(morph.sections[chain[-1]].parent)
    return chain


def _climb(morph: Morphology, i: int, x: float, top: int) -> tuple[float, float]:
    """From ``x`` on section ``i`` up to section ``top``: where the path enters ``top`` and
    the distance walked."""
    walked = 0.0
    while i != top:
        sec = morph.sections[i]
        walked += x * sec.length_um
        x, i = sec.parent_x, sec.parent
    return x, walked
