"""Standard stimulus types: their fields, units and defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StimulusType:
    """A stimulus type. ``fields`` maps a field name to (unit, default or None if required)."""

    name: str
    doc: str
    fields: dict[str, tuple[str, str | None]]
    per_neuron: tuple[str, ...]  # fields that may hold one value per target neuron


STEP_CURRENT = StimulusType(
    name="step_current",
    doc="A current switched on at `start` and off at `stop` (default: the end of the run). "
        "`amplitude` is a current (nA) or, for cells with an area, a current density "
        "(uA/cm2) that is multiplied by the area; one value, or one per target neuron.",
    fields={"amplitude": ("nA", None), "start": ("ms", "0 ms"), "stop": ("ms", None)},
    per_neuron=("amplitude",),
)

STIMULUS_TYPES: dict[str, StimulusType] = {t.name: t for t in (STEP_CURRENT,)}
