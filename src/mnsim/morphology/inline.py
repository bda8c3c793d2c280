"""Sections written in a model file (``sections:``) -> :class:`~mnsim.morphology.model.Morphology`.

Each section is a cylinder (or, with two diameters, a frustum) laid out along x: the first
section (the root) runs from the origin, and a child starts at its parent's point at
``parent_x``. The layout only matters for plots; lengths, areas and path distances are those
written. The first section is the soma (``Morphology.soma == 0``) when its type is ``soma``;
otherwise the cell has no soma and path distances count from the root's start.

The spec builder (:mod:`mnsim.spec.cable_build`) reads the YAML into :class:`InlineSection`
objects (units checked there) and calls :func:`inline_morphology`, which checks the tree.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnsim.errors import MorphologyError
from mnsim.morphology.model import SECTION_TYPES, Morphology, Section

SOURCE = "<inline>"
_REF = re.compile(r"^\s*([^()\s]+)\s*(?:\(\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\))?"
                  r"\s*$")


def split_ref(text: str) -> tuple[str, float | None] | None:
    """``"dend(0.3)"`` -> ``("dend", 0.3)``; ``"dend"`` -> ``("dend", None)``; None when
    ``text`` is neither form (the range of x is not checked here)."""
    match = _REF.match(text)
    if match is None:
        return None
    name, x = match.groups()
    return name, (float(x) if x is not None else None)


def default_type(name: str) -> str:
    """The type of a section called ``name`` when none is given: the name if it is a section
    type (``soma``, ``axon``, ``basal``, ``apical``, ``custom``), else ``custom``."""
    return name if name in SECTION_TYPES else "custom"


@dataclass(frozen=True)
class InlineSection:
    """One entry of ``sections:``, in um. ``parent`` None attaches a section (other than the
    first) to the first section's end; ``type`` None takes :func:`default_type`."""

    name: str
    length_um: float
    diam_um: tuple[float, float]  # at the start and at the end
    parent: str | None = None
    parent_x: float = 1.0
    type: str | None = None


def inline_morphology(sections: Sequence[InlineSection]) -> Morphology:
    """Build the geometry of inline sections, in the order given (parents before children).

    Parameters
    ----------
    sections
        The sections; the first is the root.

    Returns
    -------
    Morphology
        ``source`` ``"<inline>"``, ``soma_kind`` ``"inline"``.

    Raises
    ------
    MorphologyError
        ``point`` is the offending section's name: the first section has a parent, a parent
        is unknown or comes after its child, a ``soma`` that is not the first section, a
        length or diameter that is not above zero, or ``parent_x`` outside [0, 1].

    Examples
    --------
    >>> m = inline_morphology([InlineSection("soma", 20.0, (20.0, 20.0)),
    ...                        InlineSection("dend", 100.0, (2.0, 2.0), "soma", 1.0)])
    >>> round(m.area_um2("custom"), 3), m.sections[1].parent
    (628.319, 0)
    """
    if not sections:
        raise MorphologyError("expected at least one section", file=SOURCE)
    built: list[Section] = []
    index: dict[str, int] = {}
    for i, spec in enumerate(sections):
        sec_type = spec.type or default_type(spec.name)
        _check(spec, sec_type, i, index, sections)
        start = np.zeros(3)
        parent: int | None = None
        parent_x = spec.parent_x
        if i > 0:
            parent = index[spec.parent] if spec.parent is not None else 0
            parent_x = spec.parent_x if spec.parent is not None else 1.0
            start = built[parent].point_at(parent_x)[0]
        points = np.stack([start, start + np.array([spec.length_um, 0.0, 0.0])])
        built.append(Section(name=spec.name, type=sec_type, points_um=points,
                             diam_um=np.array(spec.diam_um, dtype=float), parent=parent,
                             parent_x=float(parent_x) if parent is not None else 1.0))
        index[spec.name] = i
    soma = 0 if built[0].type == "soma" else None
    return Morphology(sections=tuple(built), source=SOURCE, soma=soma, soma_kind="inline")


def _check(spec: InlineSection, sec_type: str, i: int, index: dict[str, int],
           sections: Sequence[InlineSection]) -> None:
    def fail(message: str) -> None:
        raise MorphologyError(message, file=SOURCE, point=spec.name)

    if spec.name in index:
        fail("the name is given twice; every section needs its own name")
    if sec_type not in SECTION_TYPES:
        fail(f"unknown section type {sec_type!r}; types: {', '.join(SECTION_TYPES)}")
    if sec_type == "soma" and i > 0:
        fail("only the first section (the root) can be the soma: move it first, or give it "
             "another type (type: custom)")
    if not spec.length_um > 0:
        fail(f"the length must be above zero, got {spec.length_um:g} um")
    if len(spec.diam_um) != 2 or not min(spec.diam_um) > 0:
        fail(f"diameters must be above zero, got {list(spec.diam_um)} um")
    if not 0.0 <= spec.parent_x <= 1.0:
        fail(f"the parent position x must be in [0, 1], got {spec.parent_x:g}")
    if i == 0 and spec.parent is not None:
        fail(f"the first section is the root of the tree and has no parent (got "
             f"{spec.parent!r}); write the section it should hang from first")
    if i > 0 and spec.parent is not None and spec.parent not in index:
        later = [s.name for s in sections[i + 1:]]
        if spec.parent in later:
            fail(f"its parent '{spec.parent}' comes after it; write a parent before its "
                 f"children")
        if spec.parent == spec.name:
            fail("a section cannot be its own parent")
        match = difflib.get_close_matches(spec.parent, list(index), n=1, cutoff=0.6)
        hint = f" (did you mean '{match[0]}'?)" if match else ""
        fail(f"unknown parent '{spec.parent}'{hint}; sections before it: {', '.join(index)}")
