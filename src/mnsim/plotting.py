"""Figures: voltage traces (one run, or several backends overlaid), spike rasters, and for
networks a raster above the population rate of each population."""

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
NETWORK_MIN_NEURONS = 20  # plot_run draws raster + rate for populations recording more
MAX_RASTER_NEURONS = 500  # a raster shows at most this many neurons, evenly spaced
RATE_BIN_MS = 5.0  # the population rate's bins
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
                idx = _channel_label(sig, ch)
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
    """One raster per backend (rows: recorded neurons, populations stacked and coloured; at
    most :data:`MAX_RASTER_NEURONS` per population, evenly spaced, then as dots)."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, axes = plt.subplots(len(blocks), 1, figsize=(9, 1.2 + 1.5 * len(blocks)),
                             squeeze=False, sharex=True)
    pops = [p for p, rec in model.record.items() if "spikes" in rec.variables]
    many = sum(min(len(model.record[p].indices), MAX_RASTER_NEURONS) for p in pops) > 50
    for ax, (name, block) in zip(axes[:, 0], blocks.items()):
        offset = 0
        for k, pop in enumerate(pops):
            trains = spiketrains(block, pop)
            shown = _evenly(len(trains))
            times = [trains[i].rescale("ms").magnitude for i in shown]
            rows = [np.full(len(t), offset + r) for r, t in enumerate(times)]
            label = pop if len(shown) == len(trains) else \
                f"{pop} ({len(shown)} of {len(trains)})"
            if times:
                style = {"marker": ".", "s": 1.5, "linewidths": 0, "rasterized": True} if many \
                    else {"marker": "|", "s": 60}
                ax.scatter(np.concatenate(times), np.concatenate(rows), color=f"C{k}",
                           label=label, **style)
            offset += len(shown)
        ax.set_ylabel(f"{name}\n{'row' if many else 'index'}")
        ax.set_ylim(-0.5, max(offset, 1) - 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize="small", loc="upper right", markerscale=6 if many else 1)
    axes[-1, 0].set_xlabel("time (ms)")
    axes[-1, 0].set_xlim(0, model.simulation.duration_ms)
    fig.suptitle(f"{model.name}: spikes by backend")
    return _save(fig, path)


def plot_rates(blocks: Mapping[str, neo.Block], model: Model, path: str | Path) -> Path:
    """The population rate (PSTH, :data:`RATE_BIN_MS` bins) of each population recording
    spikes, one line per backend, one panel per population: how a network's backends compare
    when their spike trains are not expected to match one by one."""
    import numpy as np

    from mnsim.analysis.population import population_rate_signal

    plt = _pyplot()
    pops = [p for p, rec in model.record.items() if "spikes" in rec.variables]
    if not pops:
        raise MnsimError(f"model '{model.name}' records no spikes to plot")
    fig, axes = plt.subplots(len(pops), 1, figsize=(9, 0.8 + 2.4 * len(pops)), squeeze=False,
                             sharex=True)
    for ax, pop in zip(axes[:, 0], pops):
        for b, (name, block) in enumerate(blocks.items()):
            sig = population_rate_signal(block, pop, RATE_BIN_MS)
            edges = sig.times.rescale("ms").magnitude
            ax.stairs(sig.magnitude[:, 0], np.append(edges, edges[-1] + RATE_BIN_MS),
                      color=f"C{b}", lw=1.4 - 0.3 * b, label=name)
        ax.set_ylabel(f"{pop} rate (Hz)\n{RATE_BIN_MS:g} ms bins")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize="small", ncol=len(blocks), loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    axes[-1, 0].set_xlim(0, model.simulation.duration_ms)
    fig.suptitle(f"{model.name}: population rate by backend")
    return _save(fig, path)


def _evenly(n: int):
    """At most :data:`MAX_RASTER_NEURONS` of ``n`` positions, evenly spaced, first and last
    included."""
    import numpy as np

    return np.unique(np.linspace(0, n - 1, min(n, MAX_RASTER_NEURONS)).round().astype(int))


def network_populations(model: Model) -> list[str]:
    """Populations recording spikes of more than :data:`NETWORK_MIN_NEURONS` neurons, drawn as
    a raster above the population rate."""
    return [p for p, rec in model.record.items()
            if "spikes" in rec.variables and len(rec.indices) > NETWORK_MIN_NEURONS]


def plot_network(block: neo.Block, model: Model, path: str | Path,
                 populations: list[str] | None = None) -> Path:
    """For each population (default: every one recording spikes), a raster of its spikes
    (at most :data:`MAX_RASTER_NEURONS` neurons, evenly spaced) above its population rate
    (:data:`RATE_BIN_MS` bins), all on one time axis."""
    plt = _pyplot()
    pops = populations if populations is not None else \
        [p for p, rec in model.record.items() if "spikes" in rec.variables]
    if not pops:
        raise MnsimError(f"model '{model.name}' records no spikes to plot")
    fig, axes = plt.subplots(2 * len(pops), 1, figsize=(9, 0.6 + 3.6 * len(pops)),
                             squeeze=False, sharex=True,
                             gridspec_kw={"height_ratios": [2.6, 1] * len(pops)})
    for k, pop in enumerate(pops):
        _draw_population(axes[2 * k, 0], axes[2 * k + 1, 0], block, pop, f"C{k}",
                         model.simulation.duration_ms)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{model.name} on {block.annotations.get('backend')}")
    return _save(fig, path)


def _draw_population(raster, rate, block: neo.Block, population: str, color: str,
                     duration_ms: float) -> None:
    import numpy as np

    from mnsim.analysis.population import population_rate, population_rate_signal

    trains = spiketrains(block, population)
    n = len(trains)
    shown = _evenly(n)
    times = [trains[i].rescale("ms").magnitude for i in shown]
    if times and sum(map(len, times)):
        rows = [np.full(len(t), trains[i].annotations["index"]) for i, t in zip(shown, times)]
        # hundreds of rows in a few centimetres: pixel-sized dots, rasterised in PDF/SVG
        style = {"marker": ".", "s": 1.5, "linewidths": 0, "rasterized": True} \
            if len(shown) > 50 else {"marker": "|", "s": 40}
        raster.scatter(np.concatenate(times), np.concatenate(rows), color=color, **style)
    note = f"all {n} recorded neurons" if len(shown) == n else \
        f"{len(shown)} of {n} recorded neurons shown, evenly spaced"
    raster.set_title(f"{population}: {note}", fontsize="medium", loc="left")
    raster.set_ylabel(f"{population}\nneuron")
    if n:
        first, last = (trains[i].annotations["index"] for i in (0, -1))
        raster.set_ylim(first - 0.5, last + 0.5)
    sig = population_rate_signal(block, population, RATE_BIN_MS)
    edges = sig.times.rescale("ms").magnitude
    values = sig.magnitude[:, 0]
    rate.stairs(values, np.append(edges, edges[-1] + RATE_BIN_MS), color=color, lw=1,
                fill=True, alpha=0.35)
    rate.stairs(values, np.append(edges, edges[-1] + RATE_BIN_MS), color=color, lw=1)
    mean = population_rate(block, population)[0]
    rate.axhline(mean, color="0.3", lw=0.8, ls=":")
    rate.set_ylabel(f"rate (Hz)\n{RATE_BIN_MS:g} ms bins")
    rate.text(0.995, 0.95, f"mean {mean:.3g} Hz", transform=rate.transAxes, ha="right",
              va="top", fontsize="small", bbox={"fc": "white", "ec": "none", "alpha": 0.8})
    rate.set_ylim(bottom=0)
    rate.set_xlim(0, duration_ms)


def plot_run(block: neo.Block, model: Model, path: str | Path) -> Path:
    """One run, as ``mnsim run --plot`` draws it: for each population recording spikes of
    more than :data:`NETWORK_MIN_NEURONS` neurons a raster above its population rate
    (:func:`plot_network`), then the traces of every recorded signal (first neurons)."""
    plt = _pyplot()
    networks = network_populations(model)
    signals = block.segments[0].analogsignals
    ratios = [2.6, 1] * len(networks) + [2.2] * len(signals) or [1]
    fig, axes = plt.subplots(len(ratios), 1, figsize=(9, 0.6 + 1.2 * sum(ratios)),
                             squeeze=False, sharex=True, gridspec_kw={"height_ratios": ratios})
    for k, pop in enumerate(networks):
        _draw_population(axes[2 * k, 0], axes[2 * k + 1, 0], block, pop, f"C{k}",
                         model.simulation.duration_ms)
    for ax, sig in zip(axes[2 * len(networks):, 0], signals):
        values = sig.magnitude
        for ch in range(min(values.shape[1], MAX_TRACES)):
            ax.plot(sig.times.rescale("ms").magnitude, values[:, ch], lw=1,
                    label=f"[{_channel_label(sig, ch)}]")
        ax.set_ylabel(f"{sig.name} ({sig.units.dimensionality.string})")
        ax.legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{model.name} on {block.annotations.get('backend')}")
    return _save(fig, path)


def _channel_label(sig, ch: int) -> str:
    """A channel's neuron index, or its location on a multicompartment cell."""
    ann = sig.array_annotations
    return str(ann["location"][ch]) if "location" in ann else str(ann["index"][ch])


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
