"""mnsim's own morphology: unbranched sections of 3-D points, the tree they form, and the
geometry every backend builds from (so NEURON and Brian2 see the same cell).

The convention (docs/morphology.md)
-----------------------------------
* The soma is one section, ``sections[0]``, named ``soma``. A one-point soma of radius r, and a
  three-point soma on the NeuroMorpho convention, become a cylinder along y with length =
  diameter = 2r (area 4 pi r^2, the sphere's; what NEURON's Import3d builds). Other somas keep
  their points (a stack of frusta); a contour soma is replaced by the cylinder of the
  contour's mean radius. Every such fix-up is listed in :attr:`Morphology.warnings`.
* A neurite starts at its own first point: the span from the soma centre to the first neurite
  point is not membrane (as NEURON's Import3d, MorphIO and NeuroM count length). It attaches
  to the soma at ``parent_x`` (0.5 for one- and three-point somas).
* A child section's first point repeats its parent's point at ``parent_x`` when the file gives
  it (MorphIO's sections do); lengths and areas are those of the frusta between consecutive
  points, with their slant (NEURON's ``area()``).
* Path distance (:meth:`Morphology.distance_um`) is measured along the tree from the middle of
  the soma (``soma(0.5)``), or from the start of the root section if there is no soma.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

SECTION_TYPES = ("soma", "axon", "basal", "apical", "custom")


def frusta(points_um: np.ndarray, diam_um: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths and lateral areas (with slant) of the frusta between consecutive points."""
    lengths = np.linalg.norm(np.diff(points_um, axis=0), axis=1)
    r1, r2 = diam_um[:-1] / 2, diam_um[1:] / 2
    areas = np.pi * (r1 + r2) * np.sqrt(lengths**2 + (r1 - r2) ** 2)
    return lengths, areas


@dataclass(frozen=True, eq=False)
class Section:
    """An unbranched piece of neurite (or the soma): ``n >= 2`` points and their diameters.

    ``parent`` is the index of the parent section in :attr:`Morphology.sections` (``None`` for
    the root); ``parent_x`` is where on the parent it attaches, as a fraction of the parent's
    arc length (1: its end)."""

    name: str
    type: str
    points_um: np.ndarray  # (n, 3)
    diam_um: np.ndarray  # (n,)
    parent: int | None = None
    parent_x: float = 1.0

    @cached_property
    def _frusta(self) -> tuple[np.ndarray, np.ndarray]:
        return frusta(self.points_um, self.diam_um)

    @property
    def length_um(self) -> float:
        return float(self._frusta[0].sum())

    @property
    def area_um2(self) -> float:
        return float(self._frusta[1].sum())

    @cached_property
    def arc(self) -> np.ndarray:
        """Normalised arc length (0 ... 1) of each point."""
        cum = np.concatenate([[0.0], np.cumsum(self._frusta[0])])
        return cum / cum[-1] if cum[-1] > 0 else np.linspace(0.0, 1.0, len(cum))

    def diam_at(self, x: np.ndarray | float) -> np.ndarray:
        """Diameter (um) at arc fractions ``x`` (linear between points)."""
        return np.interp(x, self.arc, self.diam_um)

    def point_at(self, x: np.ndarray | float) -> np.ndarray:
        """3-D position(s) (um) at arc fractions ``x``."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        return np.stack([np.interp(x, self.arc, self.points_um[:, k]) for k in range(3)], -1)

    def piece(self, x0: float, x1: float) -> tuple[np.ndarray, np.ndarray]:
        """Points and diameters of the part between arc fractions ``x0 < x1`` (the section's
        own points inside, and interpolated end points): its frusta are exactly the
        section's there."""
        inside = (self.arc > x0) & (self.arc < x1)
        xs = np.concatenate([[x0], self.arc[inside], [x1]])
        return self.point_at(xs), self.diam_at(xs)


@dataclass(frozen=True, eq=False)
class Morphology:
    """A cell's geometry: sections, parents before children.

    ``soma`` is the index of the soma section (0) or ``None`` when the cell has none (a bare
    cable or axon). ``warnings`` lists every fix-up applied while loading, in words a user can
    act on; ``source`` is the file it came from (``"<inline>"`` for sections in a model)."""

    sections: tuple[Section, ...]
    source: str = "<inline>"
    warnings: tuple[str, ...] = ()
    soma: int | None = 0
    soma_kind: str = ""  # "one_point", "three_point", "cylinders", "contour", "inline", ""
    children: tuple[tuple[int, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        kids: list[list[int]] = [[] for _ in self.sections]
        for i, sec in enumerate(self.sections):
            if sec.parent is not None:
                if not 0 <= sec.parent < i:
                    raise ValueError(f"section {i} ({sec.name}): parent {sec.parent} must come "
                                     f"before it")
                kids[sec.parent].append(i)
        object.__setattr__(self, "children", tuple(tuple(k) for k in kids))

    def index(self, name: str) -> int:
        """The index of the section called ``name``."""
        return self._names[name]

    @cached_property
    def _names(self) -> dict[str, int]:
        return {s.name: i for i, s in enumerate(self.sections)}

    def of_type(self, type_: str) -> list[int]:
        return [i for i, s in enumerate(self.sections) if s.type == type_]

    def length_um(self, type_: str | None = None) -> float:
        """Total length of the sections of ``type_`` (all sections when None)."""
        return float(sum(s.length_um for s in self.sections if type_ in (None, s.type)))

    def area_um2(self, type_: str | None = None) -> float:
        """Total membrane area of the sections of ``type_`` (all sections when None)."""
        return float(sum(s.area_um2 for s in self.sections if type_ in (None, s.type)))

    @cached_property
    def _start_distance(self) -> np.ndarray:
        """Path distance (um) of each section's x = 0 from the origin (soma(0.5))."""
        start = np.zeros(len(self.sections))
        for i, sec in enumerate(self.sections):
            if sec.parent is None:
                start[i] = -0.5 * sec.length_um if i == self.soma else 0.0
            else:
                start[i] = self._distance_on(sec.parent, sec.parent_x, start)
        return start

    def _distance_on(self, i: int, x: float, start: np.ndarray) -> float:
        sec = self.sections[i]
        along = x * sec.length_um
        if i == self.soma:  # distances from the soma's middle are counted both ways
            return abs(along - 0.5 * sec.length_um)
        return start[i] + along

    def distance_um(self, i: int, x: np.ndarray | float) -> np.ndarray:
        """Path distance (um) from ``soma(0.5)`` (or the root's start) to ``x`` on section
        ``i``."""
        x = np.asarray(x, dtype=float)
        if i == self.soma:
            return np.abs(x - 0.5) * self.sections[i].length_um
        return self._start_distance[i] + x * self.sections[i].length_um

    @cached_property
    def sha256(self) -> str:
        """Hash of the geometry (points, diameters, types, tree): what a model's hash uses
        for a morphology file, so an edited file is a different model."""
        h = hashlib.sha256()
        for s in self.sections:
            h.update(f"{s.name}|{s.type}|{s.parent}|{s.parent_x!r}|".encode())
            h.update(np.ascontiguousarray(s.points_um, dtype=float).tobytes())
            h.update(np.ascontiguousarray(s.diam_um, dtype=float).tobytes())
        return h.hexdigest()
