"""A figure of a sweep table: for one varied field a line per backend (an f-I curve), one
panel per measure; for two, a heat map per backend and measure (rows: measures, columns:
backends; one colour scale per measure). Failed points are left out (a gap, a blank cell)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnsim.errors import MnsimError

if TYPE_CHECKING:
    import pandas as pd

    from mnsim.sweeps.definition import Sweep


_STYLES = ("o-", "s--", "^:", "d-.")


def check_plottable(definition: Sweep) -> None:
    """Refuse, before anything runs, a sweep that a figure cannot show."""
    if len(definition.axes) > 2:
        raise MnsimError(f"--plot draws one varied field (lines) or two (heat maps); this "
                         f"sweep varies {len(definition.axes)}: plot the table (--out) "
                         f"yourself, e.g. with pandas")


def _positions(values: list, numeric: bool) -> tuple[np.ndarray, list[str] | None]:
    if numeric:
        return np.asarray(values, dtype=float), None
    return np.arange(len(values), dtype=float), [str(v) for v in values]


def _edges(centres: np.ndarray) -> np.ndarray:
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = (centres[1:] + centres[:-1]) / 2.0
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def plot_table(table: pd.DataFrame, definition: Sweep, path: str | Path) -> Path:
    """Draw ``table`` (from :func:`mnsim.sweep`) into ``path`` (.png, .pdf or .svg)."""
    from mnsim.plotting import _pyplot, _save

    check_plottable(definition)
    plt = _pyplot()
    measures = [m.column for m in definition.measures]
    backends = list(dict.fromkeys(table["backend"]))
    ok = table[table["status"] == "ok"]
    if len(definition.axes) == 1:
        axis = definition.axes[0]
        order = [axis.cell(v) for v in axis.values]
        fig, panels = plt.subplots(len(measures), 1, figsize=(7, 2.8 * len(measures) + 0.6),
                                   squeeze=False, sharex=True)
        x_all, labels = _positions(order, axis.numeric)
        for panel, column in zip(panels[:, 0], measures):
            for b, backend in enumerate(backends):
                rows = ok[ok["backend"] == backend]
                x = np.array([x_all[order.index(v)] for v in rows[axis.column]])
                y = rows[column].to_numpy(dtype=float)
                keep = np.argsort(x)
                # overlapping curves (backends that agree) stay visible: each backend
                # thinner, with its own marker and dash
                panel.plot(x[keep], y[keep], _STYLES[b % len(_STYLES)], ms=6 - 1.5 * (b % 3),
                           lw=2.2 - 0.6 * (b % 3), color=f"C{b}", label=backend, alpha=0.8,
                           mfc="none" if b % 2 == 0 else f"C{b}")
            panel.set_ylabel(column)
            panel.grid(alpha=0.3)
            if labels:
                panel.set_xticks(x_all, labels)
        panels[0, 0].legend(title="backend", fontsize="small")
        panels[0, 0].set_title(definition.title or definition.name)
        panels[-1, 0].set_xlabel(axis.column)
        return _save(fig, path)
    ya, xa = definition.axes
    y_order, x_order = [ya.cell(v) for v in ya.values], [xa.cell(v) for v in xa.values]
    y_pos, y_labels = _positions(y_order, ya.numeric)
    x_pos, x_labels = _positions(x_order, xa.numeric)
    fig, panels = plt.subplots(len(measures), len(backends), squeeze=False,
                               figsize=(4.2 * len(backends) + 0.8, 3.4 * len(measures) + 0.6))
    for r, column in enumerate(measures):
        grids = {}
        for backend in backends:
            z = np.full((len(y_order), len(x_order)), np.nan)
            for _, row in ok[ok["backend"] == backend].iterrows():
                z[y_order.index(row[ya.column]), x_order.index(row[xa.column])] = row[column]
            grids[backend] = z
        finite = np.concatenate([g[np.isfinite(g)] for g in grids.values()])
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0, 1)
        for c, backend in enumerate(backends):
            panel = panels[r, c]
            mesh = panel.pcolormesh(_edges(x_pos), _edges(y_pos), grids[backend],
                                    vmin=vmin, vmax=vmax, cmap="viridis", shading="flat")
            fig.colorbar(mesh, ax=panel, label=column)
            panel.set_title(backend if r == 0 else "", fontsize="medium")
            panel.set_xlabel(xa.column)
            panel.set_ylabel(ya.column)
            if x_labels:
                panel.set_xticks(x_pos, x_labels)
            if y_labels:
                panel.set_yticks(y_pos, y_labels)
    fig.suptitle(definition.title or definition.name)
    return _save(fig, path)
