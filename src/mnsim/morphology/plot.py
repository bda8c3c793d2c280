"""Figures of a cell: 2-D projections (xy, xz, zy) coloured by section type, or by a value
per section or per point (a recorded peak voltage, a distance...) with a colorbar. Neurites are
lines whose width follows their diameter (to scale, with a floor so thin branches show); the
soma is drawn to scale as the outline of its frusta. matplotlib (Agg) is imported here only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.errors import MnsimError
from mnsim.morphology.model import SECTION_TYPES, Morphology

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PROJECTIONS = {"xy": (0, 1), "xz": (0, 2), "zy": (2, 1)}
TYPE_COLOURS = {"soma": "black", "axon": "tab:blue", "basal": "tab:red", "apical": "tab:purple",
                "custom": "tab:gray"}
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
PANEL_INCHES = 4.2
MIN_WIDTH_PT, MAX_WIDTH_PT = 0.4, 8.0  # line widths: to scale, within these bounds


def check_figure_path(path: str | Path) -> Path:
    """``path`` if matplotlib can write its kind, else an :class:`MnsimError` (before any
    work is done)."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise MnsimError(f"cannot save a figure as '{path}': use one of "
                         f"{', '.join(FIGURE_SUFFIXES)}")
    return path


def point_values(morph: Morphology, values: Any) -> list[np.ndarray] | None:
    """``values`` as one array per section, one value per point (None: colour by type).

    Accepted: one value per section (``len(morph.sections)``), a sequence of per-section arrays
    with one value per point, or one flat array of every section's points in order."""
    if values is None:
        return None
    counts = [len(s.points_um) for s in morph.sections]
    if not isinstance(values, np.ndarray) and len(values) == len(counts) and all(
            np.ndim(v) == 1 for v in values):
        arrays = [np.asarray(v, dtype=float) for v in values]
        if [len(v) for v in arrays] == counts:
            return arrays
    try:
        flat = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        flat = None
    if flat is not None and flat.ndim == 1 and len(flat) == len(counts):
        return [np.full(n, v) for n, v in zip(counts, flat)]
    if flat is not None and flat.ndim == 1 and len(flat) == sum(counts):
        return np.split(flat, np.cumsum(counts)[:-1])
    given = f"shape {flat.shape}" if flat is not None else f"{len(values)} uneven arrays"
    raise MnsimError(f"values: expected one value per section ({len(counts)}), one per point "
                     f"({sum(counts)} in all, sections in order), or one array per section with "
                     f"one value per point; got {given}")


VALUES = {"peak_v": ("peak v (mV)", np.max), "min_v": ("lowest v (mV)", np.min),
          "final_v": ("final v (mV)", lambda v, axis: v[-1])}


def recorded_values(morph: Morphology, block: Any, value: str = "peak_v",
                    population: str | None = None) -> tuple[np.ndarray, str]:
    """One value per section from a run of this cell: ``value`` (``peak_v``, ``min_v``,
    ``final_v``) of the v recorded in each section (the largest magnitude over a section's
    locations), NaN (drawn grey) where nothing was recorded. Record ``locations: all`` to
    map the whole cell. Returns the values and a colour-bar label."""
    label, reduce = VALUES[value]
    signals = [s for s in block.segments[0].analogsignals
               if "section" in s.array_annotations and s.annotations.get("variable") == "v"
               and population in (None, s.annotations.get("population"))]
    if not signals:
        who = f"population '{population}'" if population else "any multicompartment cell"
        raise MnsimError(f"the results hold no v recorded at locations of {who}; run the "
                         f"model with record: {{POP: {{variables: [v], locations: all}}}}")
    sig = signals[0]
    per_channel = reduce(sig.rescale("mV").magnitude, axis=0)
    values = np.full(len(morph.sections), np.nan)
    names = {s.name: i for i, s in enumerate(morph.sections)}
    for name, v in zip(sig.array_annotations["section"], per_channel):
        if str(name) not in names:
            raise MnsimError(f"the results were recorded on a section '{name}' this morphology "
                             f"does not have ({morph.source}): give the file the model used")
        i = names[str(name)]
        values[i] = v if np.isnan(values[i]) else (max if value == "peak_v" else min)(values[i], v)
    return values, label


def plot_morphology(morph: Morphology, values: Sequence | np.ndarray | None = None, *,
                    path: str | Path | None = None,
                    projections: Sequence[str] = ("xy", "xz", "zy"), label: str = "",
                    cmap: str = "viridis", title: str | None = None) -> Figure | Path:
    """Draw ``morph`` in 2-D projections.

    Parameters
    ----------
    morph
        The cell (:func:`mnsim.load_morphology`).
    values
        None to colour by section type; else one value per section, or per point (see
        :func:`point_values`), drawn with ``cmap`` and a colorbar labelled ``label``.
    path
        Save the figure there (``.png``, ``.pdf``, ``.svg``...) and return the path; else
        return the matplotlib Figure.
    projections
        Panels, from ``"xy"``, ``"xz"``, ``"zy"`` (horizontal axis first).
    title
        The figure's title (default: the file name).

    Examples
    --------
    >>> cell = mnsim.load_morphology("mp_ma_40984_gc2.CNG.swc")          # doctest: +SKIP
    >>> plot_morphology(cell, path="cell.png")                            # doctest: +SKIP
    >>> plot_morphology(cell, [cell.distance_um(i, 1.0) for i in range(len(cell.sections))],
    ...                 label="distance (um)", path="distance.png")       # doctest: +SKIP
    """
    if path is not None:
        path = check_figure_path(path)
    unknown = [p for p in projections if p not in PROJECTIONS]
    if unknown or not projections:
        raise MnsimError(f"projections: expected some of {', '.join(PROJECTIONS)}, got "
                         f"{list(projections)}")
    per_point = point_values(morph, values)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(1, len(projections), squeeze=False, layout="constrained",
                             figsize=(PANEL_INCHES * len(projections) + 1, PANEL_INCHES))
    norm, colormap = None, None
    if per_point is not None:
        every = np.concatenate(per_point)
        finite = every[np.isfinite(every)]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
        norm = matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1.0)
        colormap = matplotlib.colormaps[cmap]
    for ax, name in zip(axes[0], projections):
        h, v = PROJECTIONS[name]
        span = _span(morph, h, v)
        scale = 0.8 * PANEL_INCHES * 72 / span  # points per um, roughly
        segs, widths, colours, polys, poly_colours = [], [], [], [], []
        for i, sec in enumerate(morph.sections):
            pts = sec.points_um[:, [h, v]]
            if per_point is not None:
                vals = per_point[i]
                mid = (vals[:-1] + vals[1:]) / 2
                cols = [colormap(norm(x)) if np.isfinite(x) else (0.7, 0.7, 0.7, 1.0)
                        for x in mid]
            else:
                cols = [TYPE_COLOURS[sec.type]] * (len(pts) - 1)
            if sec.type == "soma":
                polys.extend(_outline(pts, sec.diam_um))
                poly_colours.extend(cols[:1] * (len(pts) - 1))
                continue
            segs.extend(np.stack([pts[:-1], pts[1:]], axis=1))
            d = (sec.diam_um[:-1] + sec.diam_um[1:]) / 2
            widths.extend(np.clip(d * scale, MIN_WIDTH_PT, MAX_WIDTH_PT))
            colours.extend(cols)
        ax.add_collection(LineCollection(segs, linewidths=widths, colors=colours,
                                         capstyle="round"))
        ax.add_collection(PolyCollection(polys, facecolors=poly_colours,
                                         edgecolors=poly_colours, linewidths=0.5))
        ax.autoscale_view()
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(f"{'xyz'[h]} (um)")
        ax.set_ylabel(f"{'xyz'[v]} (um)")
        ax.set_title(name)
    if per_point is not None:
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap)
        fig.colorbar(mappable, ax=list(axes[0]), label=label, shrink=0.85)
    else:
        present = [t for t in SECTION_TYPES if morph.of_type(t)]
        axes[0, -1].legend([Line2D([], [], color=TYPE_COLOURS[t], lw=3) for t in present],
                           present, loc="best", fontsize="small", frameon=False)
    fig.suptitle(title if title is not None else Path(morph.source).name)
    if path is None:
        return fig
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _span(morph: Morphology, h: int, v: int) -> float:
    pts = np.concatenate([s.points_um[:, [h, v]] for s in morph.sections])
    return float(max(np.ptp(pts, axis=0).max(), 1.0))


def _outline(pts: np.ndarray, diam: np.ndarray) -> list[np.ndarray]:
    """The projected outline of each frustum (a quadrilateral; a disc when seen end on)."""
    out = []
    for k in range(len(pts) - 1):
        p0, p1, r0, r1 = pts[k], pts[k + 1], diam[k] / 2, diam[k + 1] / 2
        axis = p1 - p0
        norm = np.hypot(*axis)
        if norm < 1e-9 * max(r0, r1, 1.0):
            angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            out.append(p0 + max(r0, r1) * np.stack([np.cos(angle), np.sin(angle)], axis=1))
            continue
        n = np.array([-axis[1], axis[0]]) / norm
        out.append(np.array([p0 + r0 * n, p1 + r1 * n, p1 - r1 * n, p0 - r0 * n]))
    return out
