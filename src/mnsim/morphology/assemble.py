"""From the sections a reader found to mnsim's :class:`Morphology`: the fix-ups every format
shares (zero diameters, zero-length sections), the order (parents before children, trees in
file order) and the names (``soma``, ``axon[i]``, ``basal[i]``, ``apical[i]``, ``custom[i]``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnsim.errors import MorphologyError
from mnsim.morphology.model import Morphology, Section
from mnsim.morphology.soma import Soma

Locate = Callable[[int, int], tuple[int | None, int | str | None]]
"""``locate(section, point) -> (line, point id)`` of a point of a raw section, for messages."""

MAX_LISTED = 5  # point ids listed in one warning before "and N more"


@dataclass
class RawSection:
    """A neurite section as a reader found it.

    ``parent`` indexes the reader's list (None: attached to the soma, or the root when there is
    none); ``parent_x`` is where on the parent (or the soma) it attaches; ``first_own`` is 1
    when ``points_um[0]`` repeats the parent's point (MorphIO's children), else 0; ``order``
    sorts the trees in file order."""

    type: str
    points_um: np.ndarray
    diam_um: np.ndarray
    parent: int | None
    parent_x: float
    order: float = 0.0
    first_own: int = 0


def assemble(soma: Soma | None, raws: list[RawSection], *, source: str,
             warnings: list[str], locate: Locate, noun: str = "point") -> Morphology:
    """Check and fix ``raws``, order and name them, and return the :class:`Morphology`.

    ``locate`` names a point for messages (``noun``: "point" for SWC samples, "segment" for
    NeuroML segments)."""
    raws = list(raws)

    def where(i: int, k: int) -> str:
        return _where(locate, i, k, raws[i], noun)

    for i, raw in enumerate(raws):
        if len(raw.points_um) == 0:
            line, point = locate(i, 0)
            raise MorphologyError(f"{_a(raw.type)} neurite has no points; way out: remove it or "
                                  f"give it its points", file=source, line=line, point=point)
    keep = _drop_zero_length(raws, _children(raws), warnings, where)
    kids = _children(raws, keep)
    roots = sorted((i for i in keep if raws[i].parent is None), key=lambda i: raws[i].order)
    for i in _preorder(raws, kids, roots):
        _fix_diameters(i, raws, source, warnings, locate, where)
    if soma is None and len(roots) > 1:
        raise MorphologyError(
            f"the file has no soma and {len(roots)} separate trees; mnsim builds one connected "
            f"cell. Way out: add the soma (SWC type 1) they grow from, or keep one tree",
            file=source)
    if soma is None and not roots:
        raise MorphologyError("the file has no soma and no neurite with a length: nothing to "
                              "build. Way out: check that it is a neuron morphology", file=source)
    order = [j for r in roots for j in _preorder(raws, kids, [r])]
    return _build(soma, raws, order, source, warnings)


def _children(raws: list[RawSection], keep: list[int] | None = None) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in raws]
    for i in (range(len(raws)) if keep is None else keep):
        if raws[i].parent is not None:
            kids[raws[i].parent].append(i)
    return kids


def _preorder(raws: list[RawSection], kids: list[list[int]],
              roots: list[int] | None = None) -> list[int]:
    stack = list(reversed(roots if roots is not None
                          else [i for i, r in enumerate(raws) if r.parent is None]))
    out = []
    while stack:
        i = stack.pop()
        out.append(i)
        stack.extend(reversed(kids[i]))
    return out


def _where(locate: Locate, i: int, k: int, raw: RawSection, noun: str) -> str:
    line, point = locate(i, k)
    if point is not None:
        return f"{noun} {point}" + (f" (line {line})" if line else "")
    if line:
        return f"line {line}"
    x, y, z = raw.points_um[k]
    return f"the {raw.type} point at ({x:.2f}, {y:.2f}, {z:.2f})"


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _listed(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return ", ".join(items[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def _fix_diameters(i: int, raws: list[RawSection], source: str, warnings: list[str],
                   locate: Locate, where: Callable[[int, int], str]) -> None:
    """Negative diameters are refused; zero diameters are interpolated along the section from
    its other points; a section with no positive diameter is refused."""
    raw = raws[i]
    d = raw.diam_um
    if (d < 0).any():
        k = int(np.argmax(d < 0))
        line, point = locate(i, k)
        raise MorphologyError(f"negative diameter {d[k]:g} um (SWC gives the radius in column "
                              f"6); way out: correct it to a positive value",
                              file=source, line=line, point=point)
    zero = d <= 0
    if not zero.any():
        return
    if zero[raw.first_own:].all():
        line, point = locate(i, raw.first_own)
        raise MorphologyError(
            f"{_a(raw.type)} section of {len(d) - raw.first_own} points has zero diameter at "
            f"every point: it would have no membrane and no axial conductance; way out: give "
            f"its points their diameters, or remove them", file=source, line=line, point=point)
    pts = raw.points_um
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    fixed = np.flatnonzero(zero)
    raw.diam_um[fixed] = np.interp(arc[fixed], arc[~zero], raw.diam_um[~zero])
    own = fixed[fixed >= raw.first_own]  # a repeated parent point was reported with it
    if len(own):
        warnings.append(f"zero diameter at {_listed([where(i, int(k)) for k in own])}: set to "
                        f"{_listed([f'{x:.3g}' for x in d[own]])} um, interpolated from the "
                        f"section's other points")


def _drop_zero_length(raws: list[RawSection], kids: list[list[int]], warnings: list[str],
                      where: Callable[[int, int], str]) -> list[int]:
    """Sections of zero length (one point, or coincident points) carry no membrane: drop them
    and attach their children where they attached."""
    keep = []
    for i in _preorder(raws, kids):
        raw = raws[i]
        length = np.linalg.norm(np.diff(raw.points_um, axis=0), axis=1).sum()
        if length > 0:
            keep.append(i)
            continue
        for k in kids[i]:
            raws[k].parent, raws[k].parent_x = raw.parent, raw.parent_x
            if raw.parent is None:
                raws[k].first_own = 0  # a root starts at its own first point
                raws[k].order = raw.order
        what = (f"{len(kids[i])} branches now attach where it attached" if kids[i]
                else "it is dropped")
        warnings.append(f"{where(i, 0)}: {_a(raw.type)} section of zero length "
                        f"({len(raw.points_um)} point{'s' if len(raw.points_um) > 1 else ''}); "
                        f"{what}")
    return keep


def _build(soma: Soma | None, raws: list[RawSection], order: list[int], source: str,
           warnings: list[str]) -> Morphology:
    sections: list[Section] = [soma.section()] if soma is not None else []
    index: dict[int, int] = {}
    counts: dict[str, int] = {}
    for i in order:
        raw = raws[i]
        n = counts.get(raw.type, 0)
        counts[raw.type] = n + 1
        if raw.parent is None:
            parent = 0 if soma is not None else None
        else:
            parent = index[raw.parent]
        index[i] = len(sections)
        sections.append(Section(f"{raw.type}[{n}]", raw.type, raw.points_um, raw.diam_um,
                                parent, float(raw.parent_x)))
    return Morphology(tuple(sections), source=source, warnings=tuple(warnings),
                      soma=0 if soma is not None else None,
                      soma_kind=soma.kind if soma is not None else "")
