"""``mnsim channel check``: clamp channels on NEURON and on Brian2 and compare the currents
(:mod:`mnsim.channels.clamp`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mnsim.channels.clamp import ClampComparison, ClampProtocol, ClampTraces, compare
from mnsim.channels.model import CalciumDynamics, Channel
from mnsim.errors import SpecError


def resolve(names: Sequence[str]) -> list[Channel]:
    """Library names or channel files -> channels; no names means every library channel.
    Calcium dynamics carry no current of their own and are refused by name."""
    from mnsim.channels.library import get, library
    from mnsim.channels.read import read_channel

    if not names:
        return [ch for ch in library().values() if isinstance(ch, Channel)]
    out = []
    for name in names:
        ch = read_channel(Path(name)) if name.endswith((".yaml", ".yml")) else get(name)
        if isinstance(ch, CalciumDynamics):
            raise SpecError(f"'{name}' is a calcium dynamics mechanism: it carries no current "
                            f"to clamp; check the calcium channels it integrates instead")
        out.append(ch)
    return out


def check(channels: Sequence[Channel], protocol: ClampProtocol | None = None
          ) -> tuple[list[ClampComparison], dict[str, tuple[ClampTraces, ClampTraces]]]:
    """Clamp ``channels`` on both backends (one NEURON run, one Brian2 run).

    Returns
    -------
    comparisons, traces
        One :class:`ClampComparison` per channel, and the (NEURON, Brian2) traces by name.
    """
    from mnsim.backends.brian2.clamp import clamp_currents as brian2_clamp
    from mnsim.backends.neuron.clamp import clamp_currents as neuron_clamp

    protocol = protocol or ClampProtocol()
    a = neuron_clamp(channels, protocol)
    b = brian2_clamp(channels, protocol)
    comparisons = [compare(ch.name, a[ch.name], b[ch.name], protocol) for ch in channels]
    return comparisons, {ch.name: (a[ch.name], b[ch.name]) for ch in channels}


def plot(traces: dict[str, tuple[ClampTraces, ClampTraces]], protocol: ClampProtocol,
         path: str | Path) -> Path:
    """One panel per channel: the current of every step from the step on, NEURON solid,
    Brian2 dashed."""
    import math

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(traces)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    start = int(round(protocol.hold_ms / protocol.dt_ms)) - int(round(2 / protocol.dt_ms))
    for ax, (name, (a, b)) in zip(axes.flat, traces.items()):
        t = np.arange(a.i.shape[1])[start:] * a.dt_ms - protocol.hold_ms
        for k in range(a.i.shape[0]):
            ax.plot(t, a.i[k, start:], color=f"C{k % 10}", lw=1)
            ax.plot(t, b.i[k, start:len(t) + start], color="k", ls="--", lw=0.6)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("time after step (ms)", fontsize=8)
        ax.set_ylabel("i (mA/cm2)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(f"voltage clamp from {protocol.hold_mV:g} mV to "
                 f"{protocol.steps_mV[0]:g}..{protocol.steps_mV[-1]:g} mV: NEURON (colour), "
                 "Brian2 (dashed)", fontsize=9)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
