"""Voltage-clamp agreement of a channel on NEURON and Brian2: the protocol, the traces each
backend returns and their comparison (``mnsim channel check``).

The protocol is the textbook one: the membrane held at ``hold_mV`` long enough for every gate
to settle, then stepped to each of ``steps_mV`` (-80 to +40 mV by 10 mV) for ``step_ms``; the
channel's current density is recorded from the step on. Each backend clamps ideally (the
recorded v equals the command from the step on) and the traces are compared sample by
sample from the sample after the first one at which the backend's own recorded v shows the
step: at the step itself the current is discontinuous and the simulators stamp the jump on
different sides (NEURON records the current it computed before the clamp moved, Brian2 the
one after), and from the next sample on both report the current at the new v with the gates
advanced by the same number of steps at it.

Scale of the comparison: the largest |current| of the channel over every step. A channel's
current near its reversal potential is close to 0 and a relative error there means nothing;
the error of a step is ``max |I_neuron - I_brian2| / scale``, and the peak and late currents of
each step are reported beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

# NEURON's defaults for the ions (mV); cai for calcium-dependent gates (mM: SK_E2 is half
# activated at 0.43 uM, so the clamp holds cai at 0.5 uM to see its current)
DEFAULT_REVERSAL_MV: Mapping[str, float] = {"na": 50.0, "k": -77.0, "ca": 132.4579}
DEFAULT_CAI_MM = 5e-4


@dataclass(frozen=True)
class ClampProtocol:
    """Hold at ``hold_mV`` for ``hold_ms``, then step to each of ``steps_mV`` for ``step_ms``;
    time step ``dt_ms``; the simulation's temperature ``celsius``; ion reversal potentials;
    ``cai_mM`` constant (no calcium dynamics runs in a clamp)."""

    steps_mV: tuple[float, ...] = tuple(float(v) for v in range(-80, 41, 10))
    hold_mV: float = -80.0
    hold_ms: float = 200.0
    step_ms: float = 200.0
    dt_ms: float = 0.025
    celsius: float = 6.3
    reversal_mV: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_REVERSAL_MV))
    cai_mM: float = DEFAULT_CAI_MM

    @property
    def duration_ms(self) -> float:
        return self.hold_ms + self.step_ms


@dataclass(frozen=True)
class ClampTraces:
    """One backend's recordings of one channel: ``v`` (mV) and ``i`` (the channel's outward
    current density, mA/cm2, NEURON's sign), one row per step of the protocol, sampled every
    ``dt_ms`` from t = 0."""

    v: np.ndarray
    i: np.ndarray
    dt_ms: float


@dataclass(frozen=True)
class StepRow:
    step_mV: float
    peak: tuple[float, float]  # (NEURON, Brian2): the current of largest |I| in the step
    late: tuple[float, float]  # the current at the end of the step
    error: float  # max |I_neuron - I_brian2| over the step / the channel's scale


@dataclass(frozen=True)
class ClampComparison:
    """The comparison of one channel: per-step rows, the scale (mA/cm2) and the worst error."""

    channel: str
    rows: tuple[StepRow, ...]
    scale: float

    @property
    def worst(self) -> float:
        return max((r.error for r in self.rows), default=0.0)


def step_onset(traces: ClampTraces, protocol: ClampProtocol, row: int) -> int:
    """The first sample at or after the command step at which the recorded v is at the step
    value (within 1e-6 mV, or 1e-9 of the jump), i.e. the sample the backend's clamp reached
    it."""
    target = protocol.steps_mV[row]
    start = int(round(protocol.hold_ms / traces.dt_ms)) - 1
    v = traces.v[row]
    tol = max(1e-6, 1e-9 * abs(target - protocol.hold_mV))
    hits = np.flatnonzero(np.abs(v[max(start, 0):] - target) <= tol)
    if hits.size == 0:
        raise ValueError(f"the clamp never reached {target} mV (last v {v[-1]:.6g} mV)")
    return max(start, 0) + int(hits[0])


def compare(name: str, neuron: ClampTraces, brian2: ClampTraces,
            protocol: ClampProtocol) -> ClampComparison:
    """Compare two backends' clamp traces of channel ``name`` (see the module docstring)."""
    n_step = int(round(protocol.step_ms / protocol.dt_ms)) - 1
    pairs = []
    for row in range(len(protocol.steps_mV)):
        a, b = step_onset(neuron, protocol, row) + 1, step_onset(brian2, protocol, row) + 1
        n = min(n_step, neuron.i.shape[1] - a, brian2.i.shape[1] - b)
        pairs.append((neuron.i[row, a:a + n], brian2.i[row, b:b + n]))
    scale = max(float(np.max(np.abs(x))) for pair in pairs for x in pair)
    rows = []
    for step, (x, y) in zip(protocol.steps_mV, pairs):
        k = int(np.argmax(np.abs(x)))
        err = float(np.max(np.abs(x - y))) / scale if scale > 0 else 0.0
        rows.append(StepRow(step, (float(x[k]), float(y[k])), (float(x[-1]), float(y[-1])),
                            err))
    return ClampComparison(name, tuple(rows), scale)


def table(comparisons: list[ClampComparison], tolerance: float) -> str:
    """A text table: one line per channel (worst step, its error), then per-step detail of the
    channels beyond ``tolerance``."""
    lines = [f"{'channel':<16}{'scale (mA/cm2)':>16}{'worst step (mV)':>17}"
             f"{'max error (% of scale)':>24}  status"]
    for c in comparisons:
        worst = max(c.rows, key=lambda r: r.error)
        status = "agrees" if c.worst <= tolerance else "DIFFERS"
        lines.append(f"{c.channel:<16}{c.scale:>16.4g}{worst.step_mV:>17.0f}"
                     f"{100 * c.worst:>24.2e}  {status}")
    for c in comparisons:
        if c.worst <= tolerance:
            continue
        lines.append(f"\n{c.channel}: step (mV), peak NEURON, peak Brian2, late NEURON, "
                     "late Brian2 (mA/cm2), error (% of scale)")
        for r in c.rows:
            lines.append(f"  {r.step_mV:6.0f} {r.peak[0]:12.5g} {r.peak[1]:12.5g} "
                         f"{r.late[0]:12.5g} {r.late[1]:12.5g} {100 * r.error:9.4f}")
    return "\n".join(lines)
