"""The compartments of a :class:`~mnsim.spec.cable.CableCell` as Brian2 builds them: plain
geometry, no Brian2 import.

Brian2's ``SpatialNeuron`` is a tree of unbranched sections that start at their parent's END,
one root starting at a sealed end; a compartment is a frustum between two consecutive points
of a section, its node at the middle. mnsim sections may carry children anywhere (neurites at
``soma(0.5)``, a branch at ``dend(0)``), so each mnsim section is cut at the points where
children attach into *pieces*, and the pieces form a tree whose nodes are those points
(``section(0)`` of a child is its parent's point at ``parent_x``). Brian2's root is a piece
ending at a leaf of that tree: the root section's ``x = 0`` when nothing else attaches
there, else its other end, else any leaf; a piece traversed against its section's direction
is built reversed (the physics does not care which way a cable is numbered).

Compartments are mnsim's frusta (:meth:`~mnsim.morphology.model.Section.piece`), each cut into
equal parts so that none is longer than NEURON's segment (``length / nseg``): a 2-point
cylinder gets exactly ``nseg`` compartments, NEURON's discretisation. Brian2's frustum area
(``pi/2 (d1 + d2) sqrt((d1 - d2)^2/4 + l^2)``) is mnsim's lateral area with slant, so total
area and length are the morphology's. A zero-length frustum (a point repeated with another
diameter) cannot be a Brian2 compartment: the repeated point is dropped and the area its
annulus and the changed neighbour frustum held is put back on that compartment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnsim.errors import SimulationError
from mnsim.morphology.model import Section, frusta
from mnsim.spec.cable import X_TOL, CableCell, Location, on_segment_boundary

SNAP_UM = 1e-6  # attachment points closer than this (arc length) are one point
ZERO_UM = 1e-9  # shorter frusta are a repeated point


@dataclass(frozen=True)
class Piece:
    """A Brian2 section: the part ``[x0, x1]`` of mnsim section ``section``.

    ``parent`` is the index of the parent piece (``-1`` for Brian2's root); ``reverse`` says
    Brian2 runs it from ``x1`` to ``x0``. ``points_um`` and ``diam_um`` are its compartment
    boundaries in Brian2's direction (``n + 1`` for ``n`` compartments)."""

    section: int
    x0: float
    x1: float
    reverse: bool
    parent: int
    points_um: np.ndarray
    diam_um: np.ndarray

    @property
    def n(self) -> int:
        return len(self.diam_um) - 1


@dataclass(frozen=True)
class Layout:
    """Pieces in Brian2's order (depth first, parents before children) and, per compartment
    in Brian2's index order, the mnsim section and the arc fractions ``x0 < x1`` it covers,
    its length and its area (mnsim's, which Brian2's formula reproduces); ``nseg`` is
    NEURON's segment count of each mnsim section."""

    pieces: tuple[Piece, ...]
    section: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    length_um: np.ndarray
    area_um2: np.ndarray
    nseg: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.section)

    @property
    def depth(self) -> int:
        """The most pieces on a path from the root (Brian2's tree depth)."""
        level = [0] * len(self.pieces)
        for k, piece in enumerate(self.pieces):
            level[k] = level[piece.parent] + 1 if piece.parent >= 0 else 1
        return max(level)

    @property
    def centre(self) -> np.ndarray:
        """Arc fraction of each compartment's node (its middle)."""
        return 0.5 * (self.x0 + self.x1)

    def _of(self, i: int) -> np.ndarray:
        """Compartments of section ``i``, by increasing x."""
        idx = np.flatnonzero(self.section == i)
        return idx[np.argsort(self.x0[idx])]

    def containing(self, loc: Location) -> int:
        """The compartment holding point ``loc``: on a boundary between two compartments the
        one above it (NEURON's rule for its segments, :func:`~mnsim.spec.cable.segment_index`),
        at x = 1 the last. Point currents, synapses and spike detection act there."""
        idx = self._of(loc.section)
        j = int(np.searchsorted(self.x0[idx], loc.x + X_TOL, side="right")) - 1
        return int(idx[max(j, 0)])

    def reading(self, loc: Location) -> tuple[tuple[int, float], ...]:
        """v at ``loc`` as weights of compartment nodes, as NEURON reads ``v(x)``: the node of
        the compartment holding ``loc`` (:meth:`containing`, where a synapse or current at
        ``x`` also acts); at a section's end (x = 0 or 1), the end's voltage extrapolated
        linearly from the two nearest nodes (NEURON's end node, which mnsim's NEURON backend
        reads the same way); and where Brian2 cut the section for children inside one of
        NEURON's segments (``soma(0.5)`` with neurites there and an odd ``nseg``, where
        NEURON has a node), linear between the two nodes beside the cut (the junction)."""
        idx = self._of(loc.section)
        x = loc.x
        at_end = x <= X_TOL or x >= 1.0 - X_TOL
        cuts = {p.x0 for p in self.pieces if p.section == loc.section} - {0.0}
        at_cut = any(abs(x - c) <= X_TOL for c in cuts) and not on_segment_boundary(
            x, self.nseg[loc.section])
        if len(idx) == 1 or not (at_end or at_cut):
            return ((self.containing(loc), 1.0),)
        c = self.centre[idx]
        j = int(np.clip(np.searchsorted(c, x, side="right") - 1, 0, len(idx) - 2))
        w = (x - c[j]) / (c[j + 1] - c[j])
        return ((int(idx[j]), 1.0 - w), (int(idx[j + 1]), w))


def layout(cell: CableCell) -> Layout:
    """Cut ``cell``'s morphology into Brian2 sections and compartments (module docstring)."""
    morph = cell.morphology
    for sec in morph.sections:
        if not sec.length_um > ZERO_UM:
            raise SimulationError(f"section {sec.name} has no length: Brian2 cannot build it")
    cleaned = [_clean(s) for s in morph.sections]
    sections = [c[0] for c in cleaned]
    cuts = _cuts(morph.sections)
    edges, adjacency = _edges(morph.sections, cuts)
    start = _root_node(morph.sections, cuts, adjacency)
    pieces: list[Piece] = []
    comps: list[tuple[int, float, float, float, float]] = []
    # depth first from the root's free end: pre-order, as Brian2 flattens its tree
    stack: list[tuple[int, tuple[int, int], int]] = [
        (e, start, -1) for e in reversed(adjacency[start])]
    while stack:
        e, came_from, parent = stack.pop()
        i, k = edges[e]
        x0, x1 = cuts[i][k], cuts[i][k + 1]
        reverse = _node(morph.sections, cuts, i, k) != came_from
        points, diams, xs = _compartments(sections[i], x0, x1, cell.nseg(i))
        lengths, areas = frusta(points, diams)
        if reverse:
            points, diams = points[::-1], diams[::-1]
            xs, lengths, areas = xs[::-1], lengths[::-1], areas[::-1]
        me = len(pieces)
        pieces.append(Piece(i, x0, x1, reverse, parent, points, diams))
        comps += [(i, min(a, b), max(a, b), ln, ar)
                  for a, b, ln, ar in zip(xs[:-1], xs[1:], lengths, areas)]
        end = _node(morph.sections, cuts, i, k if reverse else k + 1)
        stack += [(f, end, me) for f in reversed(adjacency[end]) if f != e]
    table = np.array(comps, dtype=float).reshape(-1, 5)
    section, x0s, areas = table[:, 0].astype(np.int64), table[:, 1], table[:, 4].copy()
    for i, (_, lost) in enumerate(cleaned):  # the area of dropped repeated points, put back
        idx = np.flatnonzero(section == i)
        idx = idx[np.argsort(x0s[idx])]
        for x, area in lost:  # on the compartment that starts at (or holds) the point
            j = int(np.searchsorted(x0s[idx], x + 1e-12, side="right")) - 1
            areas[idx[max(j, 0)]] += area
    return Layout(tuple(pieces), section, x0s, table[:, 2], table[:, 3], areas,
                  tuple(cell.segment_counts))


def _clean(sec: Section) -> tuple[Section, list[tuple[float, float]]]:
    """``sec`` without repeated points (zero-length frusta, which Brian2 cannot hold), and
    for each dropped point its arc fraction and the area it takes away: the annulus of the
    zero-length frustum and the change of the frustum that now starts at the kept point."""
    lengths, areas = frusta(sec.points_um, sec.diam_um)
    drop = np.flatnonzero(lengths <= ZERO_UM) + 1  # the second point of each repeat
    if not drop.size or len(sec.diam_um) - drop.size < 2:
        return sec, []
    keep = np.ones(len(sec.diam_um), dtype=bool)
    keep[drop] = False
    clean = Section(sec.name, sec.type, sec.points_um[keep], sec.diam_um[keep], sec.parent,
                    sec.parent_x)
    _, clean_areas = frusta(clean.points_um, clean.diam_um)
    kept = np.flatnonzero(keep)  # original index of each clean point
    lost = []
    for j, (a, b) in enumerate(zip(kept[:-1], kept[1:])):
        if b - a > 1:  # points a+1 .. b-1 were dropped, clean frustum j spans a .. b
            lost.append((float(sec.arc[a]), float(areas[a:b].sum() - clean_areas[j])))
    if kept[-1] < len(keep) - 1:  # repeats at the very end
        lost.append((1.0, float(areas[kept[-1]:].sum())))
    return clean, lost


def _cuts(sections: tuple[Section, ...]) -> list[list[float]]:
    """Per section, the sorted arc fractions where it is cut: its ends and every point where
    a child attaches (points within :data:`SNAP_UM` are one)."""
    cuts: list[list[float]] = [[0.0, 1.0] for _ in sections]
    for sec in sections:
        if sec.parent is None:
            continue
        parent = sections[sec.parent]
        tol = SNAP_UM / max(parent.length_um, SNAP_UM)
        xs = cuts[sec.parent]
        if min(abs(x - sec.parent_x) for x in xs) > tol:
            xs.append(float(sec.parent_x))
            xs.sort()
    return cuts


def _at(cuts: list[list[float]], i: int, x: float) -> int:
    """Index of the cut of section ``i`` nearest to ``x``."""
    return int(np.argmin(np.abs(np.asarray(cuts[i]) - x)))


def _node(sections: tuple[Section, ...], cuts: list[list[float]], i: int,
          k: int) -> tuple[int, int]:
    """The tree node at cut ``k`` of section ``i``: ``(section, cut)``, where the start of
    a child is its parent's point."""
    while k == 0 and sections[i].parent is not None:
        parent = sections[i].parent
        k = _at(cuts, parent, sections[i].parent_x)
        i = parent
    return (i, k)


def _edges(sections: tuple[Section, ...], cuts: list[list[float]]
           ) -> tuple[list[tuple[int, int]], dict[tuple[int, int], list[int]]]:
    """Pieces as edges ``(section, k)`` (from cut k to k + 1) and the edges at each node."""
    edges: list[tuple[int, int]] = []
    adjacency: dict[tuple[int, int], list[int]] = {}
    for i in range(len(sections)):
        for k in range(len(cuts[i]) - 1):
            e = len(edges)
            edges.append((i, k))
            for node in (_node(sections, cuts, i, k), _node(sections, cuts, i, k + 1)):
                adjacency.setdefault(node, []).append(e)
    return edges, adjacency


def _root_node(sections: tuple[Section, ...], cuts: list[list[float]],
               adjacency: dict[tuple[int, int], list[int]]) -> tuple[int, int]:
    """Where Brian2's sealed root end goes: a node with one piece, preferring the root
    section's 0 end, then its 1 end."""
    for node in ((0, 0), (0, len(cuts[0]) - 1)):
        if len(adjacency[node]) == 1:
            return node
    return next(node for node, es in adjacency.items() if len(es) == 1)


def _compartments(sec: Section, x0: float, x1: float,
                  nseg: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary points, diameters and arc fractions of the compartments of ``[x0, x1]``:
    its frusta, each cut into the fewest equal parts no longer than ``length / nseg``."""
    points, diams = sec.piece(x0, x1)
    seg = sec.length_um / nseg
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
    keep = np.concatenate([[True], lengths > ZERO_UM])  # an end on (a hair past) a point
    if not keep[-1]:  # keep the end itself, drop the section point it falls on
        keep[-1] = True
        keep[-2] = len(keep) == 2
    points, diams = points[keep], diams[keep]
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
    out_p, out_d, out_l = [points[:1]], [diams[:1]], [np.zeros(1)]
    for j, length in enumerate(lengths):
        k = max(1, math.ceil(length / seg - 1e-9))
        t = np.arange(1, k + 1)[:, None] / k
        out_p.append(points[j] + t * (points[j + 1] - points[j]))
        out_d.append(diams[j] + t[:, 0] * (diams[j + 1] - diams[j]))
        out_l.append(np.full(k, length / k))
    cum = np.cumsum(np.concatenate(out_l))
    xs = x0 + (x1 - x0) * cum / cum[-1]
    return np.concatenate(out_p), np.concatenate(out_d), xs
