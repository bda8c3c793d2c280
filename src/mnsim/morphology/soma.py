"""The soma conventions (docs/morphology.md): what each kind of soma in a file becomes.

* one point of radius r: a cylinder along y, length = diameter = 2r, centred on the point
  (area 4 pi r^2, the sphere's; NEURON's Import3d builds the same);
* three points on NeuroMorpho's rule (NEURON's test: the two outer points are children of the
  centre, all three have the centre's diameter and lie 2r apart in total, within 1 %): the same
  cylinder of the centre's radius;
* any other stack of points: kept, as a chain of frusta through the points;
* a contour (Neurolucida, MorphIO's H5): the cylinder of the contour's mean distance from its
  centroid (NeuroM's soma radius), with a warning.

Neurites attach at ``parent_x = 0.5`` of one-point, three-point and contour somas, and at the
arc fraction of their soma point on a stack (:meth:`Soma.attach_x`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnsim.morphology.model import Section, frusta

THREE_POINT_TOLERANCE = 0.01  # NEURON's Import3d: |length / diameter - 1| < 1 %


@dataclass(frozen=True)
class Soma:
    """The soma geometry a file gives, as mnsim builds it.

    ``points_um``/``diam_um`` are the section's points; ``kind`` is ``Morphology.soma_kind``.
    For a stack (``kind == "cylinders"``), ``anchors_um`` are the file's soma points in chain
    order (neurites attach at the one nearest their first point, or at the one named by the
    file)."""

    points_um: np.ndarray
    diam_um: np.ndarray
    kind: str

    def section(self) -> Section:
        return Section("soma", "soma", self.points_um, self.diam_um, None, 1.0)

    @property
    def area_um2(self) -> float:
        return float(frusta(self.points_um, self.diam_um)[1].sum())

    @property
    def length_um(self) -> float:
        return float(frusta(self.points_um, self.diam_um)[0].sum())

    def attach_x(self, first_point_um: np.ndarray, index: int | None = None) -> float:
        """Where a neurite starting at ``first_point_um`` attaches: 0.5, or on a stack the arc
        fraction of soma point ``index`` (chain order), by default the nearest one."""
        if self.kind != "cylinders":
            return 0.5
        if index is None:
            index = int(np.argmin(np.linalg.norm(self.points_um - first_point_um, axis=1)))
        return float(self.section().arc[index])


def sphere(centre_um: np.ndarray, radius_um: float, kind: str = "one_point") -> Soma:
    """The cylinder along y of length = diameter = 2r centred on ``centre_um``."""
    offset = np.array([0.0, radius_um, 0.0])
    points = np.stack([centre_um - offset, centre_um, centre_um + offset]).astype(float)
    return Soma(points, np.full(3, 2.0 * radius_um), kind)


def fill_zero_diameters(diam_um: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Soma diameters with zeros interpolated (by point order) from the others, and the
    warning (None when there was nothing to fill). Callers refuse negative or all-zero ones."""
    d = np.asarray(diam_um, dtype=float).copy()
    zero = d <= 0
    if not zero.any():
        return d, None
    k = np.arange(len(d))
    d[zero] = np.interp(k[zero], k[~zero], d[~zero])
    return d, (f"soma: zero diameter at {int(zero.sum())} of its {len(d)} points, interpolated "
               f"from its other points")


def stack(points_um: np.ndarray, diam_um: np.ndarray) -> Soma:
    """The soma points kept as a chain of frusta (in the order given)."""
    return Soma(np.asarray(points_um, float), np.asarray(diam_um, float), "cylinders")


def contour(points_um: np.ndarray) -> tuple[Soma, str]:
    """The cylinder of a contour's mean distance from its centroid, and the warning."""
    pts = np.asarray(points_um, float)
    centre = pts.mean(axis=0)
    radius = float(np.linalg.norm(pts - centre, axis=1).mean())
    soma = sphere(centre, radius, "contour")
    return soma, (
        f"soma: a contour of {len(pts)} points, replaced by the cylinder of its mean distance "
        f"from its centroid (r = {radius:.2f} um, L = diam = {2 * radius:.2f} um, area "
        f"{soma.area_um2:.1f} um2, as NeuroM measures it; NEURON's Import3d builds its soma from "
        f"the contour's principal axis instead, and a SWC conversion of the cell has its own "
        f"3-point soma). To use another soma, give it as points in a SWC file")


def three_point(points_um: np.ndarray, diam_um: np.ndarray, chain: list[int] | None = None,
                morphio_note: str = "") -> tuple[Soma, str | None]:
    """A three-point soma (centre first, in file order): the sphere's cylinder when NEURON's
    test passes, else the stack of the points in ``chain`` order (default: outer, centre,
    outer). Returns the soma and a warning (None when the points are on NeuroMorpho's
    convention, within the file's rounding, and MorphIO has nothing to say)."""
    pts, d = np.asarray(points_um, float), np.asarray(diam_um, float)
    chain = [1, 0, 2] if chain is None else chain
    outer_are_children = chain[1] == 0
    centre, r = pts[0], d[0] / 2
    dist = np.linalg.norm(pts[1:] - centre, axis=1)
    uniform = bool(np.allclose(d, d[0], rtol=1e-6, atol=0.0))
    neuron_rule = (outer_are_children and uniform and r > 0
                   and abs(dist.sum() / d[0] - 1) < THREE_POINT_TOLERANCE)
    if not neuron_rule:
        soma = stack(pts[chain], d[chain])
        why = ("its outer points are not both children of the centre" if not outer_are_children
               else "its diameters differ" if not uniform
               else f"its outer points are {dist.sum():.2f} um apart in total, not its "
                    f"diameter {d[0]:.2f} um")
        return soma, (
            f"soma: 3 points not on NeuroMorpho's three-point convention ({why}); kept as a "
            f"stack of frusta through them (area {soma.area_um2:.1f} um2, as NEURON's Import3d "
            f"builds it; MorphIO and NeuroM report 4 pi r^2 = {4 * np.pi * r * r:.1f} um2 of the "
            f"first point)" + morphio_note)
    soma = sphere(centre, r, "three_point")
    # NeuroMorpho's convention: the outer points at centre -/+ r along y.
    ideal = np.array([[0.0, -r, 0.0], [0.0, r, 0.0]])
    rel = pts[1:] - centre
    rel = rel[np.argsort(rel[:, 1])]
    off = float(np.abs(rel - ideal).max())
    shape = (f"cylinder L = diam = {2 * r:.2f} um along y on the centre point (area "
             f"{soma.area_um2:.1f} um2)")
    if off <= THREE_POINT_TOLERANCE * r:
        if not morphio_note:
            return soma, None
        return soma, (f"soma: 3 points within {off:.3f} um (the file's rounding) of "
                      f"NeuroMorpho's convention, taken as on it: {shape}" + morphio_note)
    return soma, (
        f"soma: 3 points off NeuroMorpho's convention (outer points at "
        f"{_vec(pts[1] - centre)} and {_vec(pts[2] - centre)} from the centre, not at "
        f"(0, -/+{r:.2f}, 0)) but {dist.sum():.2f} um apart, the diameter: taken, as NEURON's "
        f"Import3d, MorphIO and Brian2 do, as the sphere of the centre's radius r = {r:.2f} um: "
        f"{shape}" + morphio_note)


def _vec(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{x:.2f}" for x in v) + ")"
