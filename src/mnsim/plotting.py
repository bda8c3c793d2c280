"""Figures: voltage traces (one run, or several backends overlaid) and spike rasters."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

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
    """Overlay the ``v`` traces of each backend, one panel per population (first neurons)."""
    plt = _pyplot()
    pops = [p for p, rec in model.record.items() if "v" in rec.variables]
    fig, axes = plt.subplots(max(len(pops), 1), 1, figsize=(9, 3 * max(len(pops), 1)),
                             squeeze=False, sharex=True)
    for ax, pop in zip(axes[:, 0], pops):
        for (name, block), style in zip(blocks.items(), _STYLES):
            sig = signal(block, pop, "v")
            if sig is None:
                continue
            times = sig.times.rescale("ms").magnitude
            values = sig.rescale("mV").magnitude
            for ch in range(min(values.shape[1], MAX_TRACES)):
                idx = sig.array_annotations["index"][ch]
                ax.plot(times, values[:, ch], style, lw=1,
                        color=f"C{ch}", label=f"{name} [{idx}]")
        ax.set_ylabel(f"{pop}.v (mV)")
        ax.legend(fontsize="small", ncol=len(blocks), loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{model.name}: membrane potential by backend")
    return _save(fig, path)


def plot_raster(blocks: Mapping[str, neo.Block], model: Model, path: str | Path) -> Path:
    """One raster per backend, populations stacked."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(blocks), 1, figsize=(9, 1.2 + 1.5 * len(blocks)),
                             squeeze=False, sharex=True)
    for ax, (name, block) in zip(axes[:, 0], blocks.items()):
        offset = 0
        for k, (pop, rec) in enumerate(model.record.items()):
            if "spikes" not in rec.variables:
                continue
            trains = spiketrains(block, pop)
            for row, st in enumerate(trains):
                ax.plot(st.rescale("ms").magnitude, [offset + row] * len(st), "|",
                        color=f"C{k}", ms=6)
            offset += len(trains)
        ax.set_ylabel(name)
        ax.set_ylim(-1, max(offset, 1))
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


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
