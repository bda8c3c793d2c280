"""An independent reference for passive cells: the cable equation on mnsim's geometry, solved
with numpy/scipy and nothing of NEURON, Brian2 or mnsim's backends.

Nodes sit at the ends of short frusta (at most ``step_um`` long) cut from every section; a
frustum joins its two end nodes through its exact axial resistance ``Ri L / (pi r1 r2)`` and
gives half its lateral area to each. A child's first node is its parent's node at
``parent_x``. As ``step_um`` shrinks this converges to the continuous cable (second order).
Time is integrated with Crank-Nicolson; a synapse's conductance enters implicitly through a
rank-one update of the factorised matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mnsim.morphology.model import Morphology


@dataclass
class Tree:
    area_cm2: np.ndarray  # per node
    G: sp.csc_matrix  # axial conductance Laplacian (S)
    where: dict[tuple[int, float], int]  # (section, x) -> node, for the points asked for


def discretise(morph: Morphology, ri_ohm_cm: float, step_um: float,
               points: list[tuple[int, float]]) -> Tree:
    """Nodes and conductances; ``points`` are (section, x) that must be nodes."""
    extra: dict[int, set[float]] = {i: set() for i in range(len(morph.sections))}
    for sec in morph.sections:
        if sec.parent is not None:
            extra[sec.parent].add(sec.parent_x)
    for i, x in points:
        extra[i].add(x)
    area: list[float] = []
    rows, cols, vals = [], [], []
    node_at: dict[tuple[int, float], int] = {}
    for i, sec in enumerate(morph.sections):
        xs = set(sec.arc.tolist()) | extra[i] | {0.0, 1.0}
        cuts = sorted(xs)
        fine = [cuts[0]]
        for a, b in zip(cuts[:-1], cuts[1:]):
            n = max(1, int(np.ceil((b - a) * sec.length_um / step_um)))
            fine += list(np.linspace(a, b, n + 1)[1:])
        fine = np.array(fine)
        first = node_at[(sec.parent, sec.parent_x)] if sec.parent is not None else None
        ids = []
        for k in range(len(fine)):
            if k == 0 and first is not None:
                ids.append(first)
                continue
            ids.append(len(area))
            area.append(0.0)
        for x, nid in zip(fine, ids):
            node_at.setdefault((i, float(x)), nid)
        pts, diam = sec.point_at(fine), sec.diam_at(fine)
        for k in range(len(fine) - 1):
            length = float(np.linalg.norm(pts[k + 1] - pts[k]))
            r1, r2 = diam[k] / 2, diam[k + 1] / 2
            lateral = np.pi * (r1 + r2) * np.sqrt(length**2 + (r1 - r2) ** 2) * 1e-8  # cm2
            area[ids[k]] += lateral / 2
            area[ids[k + 1]] += lateral / 2
            if length == 0:
                continue
            g = np.pi * r1 * r2 * 1e-4 / (ri_ohm_cm * length)  # S (um -> cm: 1e-8 / 1e-4)
            a, b = ids[k], ids[k + 1]
            rows += [a, b, a, b]
            cols += [a, b, b, a]
            vals += [g, g, -g, -g]
    n = len(area)
    G = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))  # noqa: N806
    where = {}
    for i, x in points:
        key = min((k for k in node_at if k[0] == i), key=lambda k: abs(k[1] - x))
        where[(i, x)] = node_at[key]
    return Tree(np.array(area), G, where)


def input_resistance_MOhm(morph: Morphology, g_pas_S_cm2: float, ri_ohm_cm: float,  # noqa: N802
                          at: tuple[int, float], step_um: float = 1.0) -> float:
    """Steady-state input resistance at ``at`` of the uniformly passive cell."""
    tree = discretise(morph, ri_ohm_cm, step_um, [at])
    A = tree.G + sp.diags(g_pas_S_cm2 * tree.area_cm2)  # noqa: N806
    e = np.zeros(A.shape[0])
    k = tree.where[at]
    e[k] = 1.0
    return float(spla.spsolve(A.tocsc(), e)[k]) * 1e-6


def epsp_peak_mV(morph: Morphology, g_pas_S_cm2: float, ri_ohm_cm: float, cm_uF_cm2: float,
                 synapse: tuple[int, float], record: tuple[int, float], weight_uS: float,
                 tau1_ms: float, tau2_ms: float, e_syn_mV: float, e_pas_mV: float,
                 duration_ms: float = 60.0, dt_ms: float = 0.005,
                 step_um: float = 2.0) -> float:
    """Peak depolarisation at ``record`` after one Exp2Syn event at t = 0 at ``synapse``
    (peak conductance ``weight_uS``), from rest at ``e_pas_mV``."""
    tree = discretise(morph, ri_ohm_cm, step_um, [synapse, record])
    n = len(tree.area_cm2)
    c = cm_uF_cm2 * 1e-6 * tree.area_cm2 / (dt_ms * 1e-3)  # S (C/dt)
    g_m = g_pas_S_cm2 * tree.area_cm2
    L = tree.G + sp.diags(g_m)  # noqa: N806
    A = (sp.diags(c) + 0.5 * L).tocsc()  # noqa: N806
    B = (sp.diags(c) - 0.5 * L).tocsr()  # noqa: N806
    lu = spla.splu(A)
    ks, kr = tree.where[synapse], tree.where[record]
    ek = np.zeros(n)
    ek[ks] = 1.0
    z = lu.solve(ek)
    tp = tau1_ms * tau2_ms / (tau2_ms - tau1_ms) * np.log(tau2_ms / tau1_ms)
    factor = 1.0 / (np.exp(-tp / tau2_ms) - np.exp(-tp / tau1_ms))
    u = np.zeros(n)  # v - e_pas (V)
    e_syn = (e_syn_mV - e_pas_mV) * 1e-3
    peak = 0.0
    for step in range(int(round(duration_ms / dt_ms))):
        t_mid = (step + 0.5) * dt_ms
        g = weight_uS * 1e-6 * factor * (np.exp(-t_mid / tau2_ms) - np.exp(-t_mid / tau1_ms))
        # (A + g/2 e e^T) u' = B u - g/2 u_k e + g e_syn e
        rhs = B @ u
        rhs[ks] += g * e_syn - 0.5 * g * u[ks]
        y = lu.solve(rhs)
        u = y - (0.5 * g * y[ks] / (1.0 + 0.5 * g * z[ks])) * z
        peak = max(peak, u[kr])
    return peak * 1e3
