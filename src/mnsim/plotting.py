"""Figures: voltage traces (one run, or several backends overlaid) and spike rasters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mnsim.errors import MnsimError
from mnsim.results import signal, spiketrains

if TYPE_CHECKING:
    import neo

    from mnsim.spec.model import Model

MAX_TRACES = 4  # neurons drawn per population, so a large population stays readable
_STYLES = ("-", "--", ":", "-.")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_traces(blocks: Mapping[str, neo.Block], model: Model, path: str | Path) -> Path:
    """Overlay the ``v`` traces of each backend (one colour per backend, one line style per
    neuron, first neurons only), and below each population the difference from the first
    backend, where agreement or a drift is visible even when the traces cover each other."""
    plt = _pyplot()
    pops = [p for p, rec in model.record.items() if "v" in rec.variables]
    rows = max(2 * len(pops), 1)
    fig, axes = plt.subplots(rows, 1, figsize=(9, 2.4 * rows), squeeze=False, sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.4] * len(pops) or [1]})
    names = list(blocks)
    for k, pop in enumerate(pops):
        top, bottom = axes[2 * k, 0], axes[2 * k + 1, 0]
        ref = signal(blocks[names[0]], pop, "v")
        for b, name in enumerate(names):
            sig = signal(blocks[name], pop, "v")
            if sig is None:
                continue
            times = sig.times.rescale("ms").magnitude
            values = sig.rescale("mV").magnitude
            for ch in range(min(values.shape[1], MAX_TRACES)):
                idx = sig.array_annotations["index"][ch]
                top.plot(times, values[:, ch], _STYLES[ch % len(_STYLES)], lw=1.6 - 0.4 * b,
                         color=f"C{b}", alpha=0.85, label=f"{name} [{idx}]")
                if b and ref is not None:
                    n = min(len(values), len(ref))
                    bottom.plot(times[:n], values[:n, ch] - ref.rescale("mV").magnitude[:n, ch],
                                _STYLES[ch % len(_STYLES)], lw=1, color=f"C{b}")
        top.set_ylabel(f"{pop}.v (mV)")
        top.legend(fontsize="small", ncol=len(names), loc="upper right")
        bottom.axhline(0, color="0.6", lw=0.8)
        bottom.set_ylabel(f"minus {names[0]}\n(mV)")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{model.name}: membrane potential by backend")
    return _save(fig, path)


def plot_raster(blocks: Mapping[str, neo.Block], model: Model, path: str | Path) -> Path:
    """One raster per backend (rows: recorded neurons, populations stacked and coloured)."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, axes = plt.subplots(len(blocks), 1, figsize=(9, 1.2 + 1.5 * len(blocks)),
                             squeeze=False, sharex=True)
    for ax, (name, block) in zip(axes[:, 0], blocks.items()):
        offset = 0
        for k, (pop, rec) in enumerate(model.record.items()):
            if "spikes" not in rec.variables:
                continue
            trains = spiketrains(block, pop)
            times = [st.rescale("ms").magnitude for st in trains]
            rows = [np.full(len(t), offset + r) for r, t in enumerate(times)]
            if times:
                ax.scatter(np.concatenate(times), np.concatenate(rows), marker="|", s=60,
                           color=f"C{k}", label=pop)
            offset += len(trains)
        ax.set_ylabel(f"{name}\nindex")
        ax.set_ylim(-0.5, max(offset, 1) - 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    axes[-1, 0].set_xlim(0, model.simulation.duration_ms)
    fig.suptitle(f"{model.name}: spikes by backend")
    return _save(fig, path)


def plot_run(block: neo.Block, model: Model, path: str | Path) -> Path:
    """Traces of one run (every recorded signal), as ``mnsim run --plot`` draws them."""
    plt = _pyplot()
    signals = block.segments[0].analogsignals
    fig, axes = plt.subplots(max(len(signals), 1), 1, figsize=(9, 2.6 * max(len(signals), 1)),
                             squeeze=False, sharex=True)
    for ax, sig in zip(axes[:, 0], signals):
        values = sig.magnitude
        for ch in range(min(values.shape[1], MAX_TRACES)):
            ax.plot(sig.times.rescale("ms").magnitude, values[:, ch], lw=1,
                    label=f"[{sig.array_annotations['index'][ch]}]")
        ax.set_ylabel(f"{sig.name} ({sig.units.dimensionality.string})")
        ax.legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{model.name} on {block.annotations.get('backend')}")
    return _save(fig, path)


FIGURE_FORMATS = (".png", ".pdf", ".svg")


def _save(fig, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix not in FIGURE_FORMATS:
        plt.close(fig)
        raise MnsimError(f"cannot save a figure as '{path}': use one of "
                         f"{', '.join(FIGURE_FORMATS)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        plt.close(fig)
        raise MnsimError(f"cannot write the figure '{path}': {exc.strerror or exc}") from None
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)  # a figure is whole or absent, never half-written
    except OSError as exc:
        raise MnsimError(f"cannot write the figure '{path}': {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
    return path
