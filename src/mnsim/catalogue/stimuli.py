"""Standard stimulus types: their fields, units and defaults.

Current stimuli inject a current into every neuron of their target. Spike inputs (``poisson``,
``spike_times``) deliver spikes through a synapse (``synapse:``, as in a projection, default
static) onto a ``receptor`` of each target neuron; each target has its own source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StimulusType:
    """A stimulus type. ``fields`` maps a field name to (unit, default or None if required)."""

    name: str
    doc: str
    fields: dict[str, tuple[str, str | None]]
    per_neuron: tuple[str, ...]  # fields that may hold one value per target neuron
    spikes: bool = False  # delivers spikes through a synapse (else injects a current)


_WINDOW = {"start": ("ms", "0 ms"), "stop": ("ms", None)}

STEP_CURRENT = StimulusType(
    name="step_current",
    doc="A current switched on at `start` and off at `stop` (default: the end of the run). "
        "`amplitude` is a current (nA) or, for cells with an area, a current density "
        "(uA/cm2) that is multiplied by the area; one value, or one per target neuron.",
    fields={"amplitude": ("nA", None), **_WINDOW},
    per_neuron=("amplitude",),
)

SINE_CURRENT = StimulusType(
    name="sine_current",
    doc="offset + amplitude * sin(2 pi frequency t + phase), t the simulation time, on for "
        "start <= t < stop (NEST's ac_generator).",
    fields={"amplitude": ("nA", None), "frequency": ("Hz", None), "phase": ("deg", "0 deg"),
            "offset": ("nA", "0 nA"), **_WINDOW},
    per_neuron=("amplitude", "offset"),
)

NOISE_CURRENT = StimulusType(
    name="noise_current",
    doc="Gaussian white noise: every `interval` (default dt) a new value mean + std * N(0, 1), "
        "held until the next (NEST's noise_generator); independent per target neuron.",
    fields={"mean": ("nA", "0 nA"), "std": ("nA", None), "interval": ("ms", None), **_WINDOW},
    per_neuron=("mean", "std"),
)

OU_CURRENT = StimulusType(
    name="ou_current",
    doc="Ornstein-Uhlenbeck current, independent per target, starting at `mean`, updated once "
        "per time step with the exact rule x <- x + (1 - exp(-dt/tau)) (mean - x) + "
        "sqrt(1 - exp(-2 dt/tau)) sigma N(0, 1) and held through the step; `sigma` is the "
        "stationary standard deviation.",
    fields={"mean": ("nA", None), "sigma": ("nA", None), "tau": ("ms", None), **_WINDOW},
    per_neuron=("mean", "sigma"),
)

POISSON = StimulusType(
    name="poisson",
    doc="An independent Poisson spike train of `rate` into each target neuron, on for "
        "start <= t < stop, through `synapse` onto `receptor`.",
    fields={"rate": ("Hz", None), **_WINDOW},
    per_neuron=("rate",),
    spikes=True,
)

SPIKE_TIMES = StimulusType(
    name="spike_times",
    doc="Explicit spike trains: `times` is one list of times given to every target neuron, "
        "or one list per target neuron; delivered through `synapse` onto `receptor`.",
    fields={},
    per_neuron=(),
    spikes=True,
)

STIMULUS_TYPES: dict[str, StimulusType] = {t.name: t for t in (
    STEP_CURRENT, SINE_CURRENT, NOISE_CURRENT, OU_CURRENT, POISSON, SPIKE_TIMES)}
