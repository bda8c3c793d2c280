"""The typed model: what every backend reads. Values are plain floats or numpy arrays in the
unit their name says (``duration_ms``) or the catalogue declares (cell parameters).

A :class:`Model` also keeps ``raw``: the resolved description as plain data (strings with
units, exactly as written, overrides applied). ``raw`` is what is saved back to YAML and what
``sha256`` hashes, so a round trip through a file is lossless by construction.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnsim.catalogue import CELL_TYPES
from mnsim.catalogue.cells import Receptor
from mnsim.spec.cable import CableCell, Location

Value = float | np.ndarray  # scalar, or one value per neuron


def random_stream(seed: int, key: str) -> np.random.Generator:
    """The random stream named ``key`` under ``seed``: the same numbers on every run and
    backend, independent of every other key (``SeedSequence([seed, crc32(key)])``)."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(key.encode())]))


def _replaced(data: Any, where: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``data`` with the item at path ``where`` replaced (the rest shared)."""
    if not where:
        return value
    head, rest = where[0], where[1:]
    if isinstance(data, list):
        return [_replaced(x, rest, value) if i == head else x for i, x in enumerate(data)]
    return {**data, head: _replaced(data[head], rest, value)}


def per_neuron(value: Value, size: int) -> np.ndarray:
    """``value`` as an array of ``size`` floats, one per neuron (a scalar is repeated)."""
    return np.broadcast_to(np.asarray(value, dtype=float), (size,)).copy()


@dataclass(frozen=True)
class Simulation:
    duration_ms: float
    dt_ms: float
    temperature_degC: float | None = None
    seed: int = 0  # used when the file gives none, so every run is reproducible
    # how v of multicompartment cells is integrated: "crank_nicolson" (second order, NEURON's
    # secondorder = 2) or "backward_euler" (first order, NEURON's default secondorder = 0)
    cable_method: str = "crank_nicolson"


@dataclass(frozen=True)
class Cell:
    """A cell: its catalogue type, parameters and initial state in catalogue units."""

    type: str
    params: Mapping[str, Value]
    initial: Mapping[str, Value]
    area_um2: float | None = None  # membrane area of density-based cells


@dataclass(frozen=True)
class Population:
    name: str
    size: int
    cell: Cell | CableCell  # CableCell: type "multicompartment"


def receptors_of(cell: Cell | CableCell) -> Mapping[str, Receptor]:
    """Where synaptic input can arrive on ``cell``: its catalogue type's receptors, or a
    multicompartment cell's named synapses."""
    if isinstance(cell, CableCell):
        return cell.receptors
    return CELL_TYPES[cell.type].receptors


@dataclass(frozen=True)
class Distribution:
    """A random quantity, drawn independently per connection. ``kind`` is ``normal`` (``mu``,
    ``sigma``), ``uniform`` (``low``, ``high``) or ``lognormal`` (``mu``, ``sigma``: the
    median is ``exp(mu)`` in the quantity's unit). Values outside [``min``, ``max``] are
    redrawn (NEST's ``redraw``)."""

    kind: str
    params: Mapping[str, float]
    min: float | None = None
    max: float | None = None

    def support(self) -> tuple[float, float]:
        """The interval drawn values can fall in."""
        if self.kind == "uniform":
            low, high = self.params["low"], self.params["high"]
        elif self.kind == "lognormal":
            low, high = 0.0, np.inf
        else:
            low, high = -np.inf, np.inf
        return (max(low, -np.inf if self.min is None else self.min),
                min(high, np.inf if self.max is None else self.max))

    def sample(self, n: int, gen: np.random.Generator) -> np.ndarray:
        """``n`` independent values, redrawing those outside [min, max]."""
        out = self._raw(n, gen)
        low, high = self.support()
        for _ in range(1000):
            bad = np.flatnonzero((out < low) | (out > high))
            if not bad.size:
                return out
            out[bad] = self._raw(bad.size, gen)
        raise ValueError(f"could not draw {self.kind} values inside [{low}, {high}]: the "
                         f"bounds hold almost none of the distribution")

    def _raw(self, n: int, gen: np.random.Generator) -> np.ndarray:
        p = self.params
        if self.kind == "normal":
            return gen.normal(p["mu"], p["sigma"], n)
        if self.kind == "uniform":
            return gen.uniform(p["low"], p["high"], n)
        return gen.lognormal(p["mu"], p["sigma"], n)


Quantity = float | Distribution


@dataclass(frozen=True)
class Synapse:
    """The dynamics of one connection: a catalogue synapse type (``static``,
    ``tsodyks_markram``, ``stdp``), its weight in the target receptor's unit (sign included:
    PyNN's convention) and delay in ms (on the time grid, at least dt), and the type's fields
    in their catalogue units (``w_min``/``w_max`` in the weight unit; ``weight_dependence``
    is text)."""

    type: str = "static"
    weight: Quantity = 0.0
    delay_ms: Quantity = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connector:
    """Who connects to whom. ``p`` for ``fixed_probability``, ``n`` for the fixed-number
    rules (in-degree, out-degree, total), ``table`` for ``from_list``: columns ``pre``,
    ``post`` (indices within the slices) and optionally ``weight``, ``delay`` (ms)."""

    rule: str
    p: float | None = None
    n: int | None = None
    allow_autapses: bool = True
    allow_multapses: bool = False
    table: Mapping[str, np.ndarray] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Projection:
    """Connections from ``pre`` neurons ``pre_range`` (start, stop) to ``post`` neurons
    ``post_range`` onto the post cell's ``receptor``."""

    name: str
    pre: str
    post: str
    pre_range: tuple[int, int]
    post_range: tuple[int, int]
    connector: Connector
    synapse: Synapse
    receptor: str

    @property
    def n_pre(self) -> int:
        return self.pre_range[1] - self.pre_range[0]

    @property
    def n_post(self) -> int:
        return self.post_range[1] - self.post_range[0]

    @property
    def same_neurons(self) -> bool:
        """Whether pre and post are the same neurons (autapses are possible)."""
        return self.pre == self.post and self.pre_range == self.post_range


@dataclass(frozen=True)
class Stimulus:
    """A stimulus on target neurons ``target_range`` (start, stop) of population ``target``.
    ``values`` holds its fields in the stimulus type's units; per-neuron fields are arrays of
    length ``size`` (the targeted neurons), current densities already multiplied by the area.
    ``spike_times`` keeps ``values["times"]``: a tuple of sorted arrays (ms), one per target.
    Spike inputs (``poisson``, ``spike_times``) reach ``receptor`` through ``synapse``."""

    name: str
    type: str
    target: str
    values: Mapping[str, Any]
    target_range: tuple[int, int] = (0, 0)
    synapse: Synapse | None = None
    receptor: str | None = None
    location: Location | None = None  # current stimuli on a multicompartment cell

    @property
    def size(self) -> int:
        return self.target_range[1] - self.target_range[0]


@dataclass(frozen=True)
class Recording:
    population: str
    variables: tuple[str, ...]  # "spikes" and/or state variables
    indices: tuple[int, ...]  # recorded neurons, in population order
    interval_ms: float
    # multicompartment cells: where v is recorded; each signal has one column per location
    # (the population has one neuron)
    locations: tuple[Location, ...] = ()

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(v for v in self.variables if v != "spikes")


@dataclass(frozen=True)
class Expectation:
    """One ``expect:`` entry. Reference values are in the measure's unit, per recorded neuron
    (``expected`` has one entry per neuron checked, or one for all)."""

    measure: str
    population: str
    index: int | None
    kind: str  # "equals", "value" (with tolerance) or "range"
    expected: tuple[float, ...] = ()
    tolerance: float = 0.0
    tolerance_is_relative: bool = False
    low: float | None = None
    high: float | None = None
    window_ms: tuple[float, float] | None = None
    location: str | None = None  # multicompartment cells: a recorded location's label
    stimulus: str | None = None  # the step_current a step measure refers to (location scope)
    text: str = ""  # the entry as written, for reports


@dataclass(frozen=True)
class Tolerances:
    """How closely backends must agree in ``mnsim compare``."""

    spike_count: int = 0
    spike_time_ms: float = 0.1
    rate_relative: float = 0.01  # per neuron; for networks, of the population rate
    v_rmse_mV: float | None = None
    cv_isi: float = 0.1  # networks: absolute difference of the population's mean CV ISI
    measures_relative: float = 0.02  # multicompartment cells: each location measure


@dataclass(frozen=True)
class Model:
    name: str
    simulation: Simulation
    populations: Mapping[str, Population]
    stimuli: Mapping[str, Stimulus]
    record: Mapping[str, Recording]
    expect: tuple[Expectation, ...]
    tolerances: Tolerances
    raw: Mapping[str, Any] = field(repr=False)
    title: str = ""
    reference: str = ""
    origin: str = "<python>"
    projections: Mapping[str, Projection] = field(default_factory=dict)
    # "shared": mnsim draws connections, random weights/delays, Poisson trains and noise
    # currents from the seed (mnsim.draw) and every backend builds exactly those;
    # "native": each simulator uses its own connection rules and generators
    connectivity: str = "shared"
    # population -> Morphology.sha256 of the morphology file its cell was built from
    morphology_sha256: Mapping[str, str] = field(default_factory=dict)
    # path of a field naming a channel or NMODL file (("channels", NAME, "file"),
    # ("mechanisms", i)) -> sha256 of that file's contents
    file_sha256: Mapping[tuple[Any, ...], str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Hash of the resolved description (independent of key order and file layout).
        A morphology file enters by its geometry, not its name, and a channel or NMODL file
        by its contents: an edited file makes a different model, a moved one the same."""
        raw: Any = self.raw
        if self.morphology_sha256:
            raw = dict(raw)
            pops = raw["populations"] = dict(raw["populations"])
            for name, digest in self.morphology_sha256.items():
                pop = pops[name] = dict(pops[name])
                pop["cell"] = {**pop["cell"], "morphology": f"sha256:{digest}"}
        for where, digest in self.file_sha256.items():
            raw = _replaced(raw, where, f"sha256:{digest}")
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def cell_types(self) -> set[str]:
        return {p.cell.type for p in self.populations.values()}

    def to_yaml(self) -> str:
        """The resolved description as YAML; loading it gives an equal model."""
        from mnsim.spec.yamlio import dump_yaml

        return dump_yaml(self.raw)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_yaml` to ``path`` atomically and return the path."""
        from mnsim.spec.yamlio import write_atomic

        return write_atomic(Path(path), self.to_yaml())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)
