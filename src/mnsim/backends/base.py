"""The contract every backend fulfils, and the template that enforces it.

A backend declares what it supports in a frozen :class:`Capabilities` (a class attribute, read
without importing the simulator), builds a model with the simulator's own vectorised calls, and
returns :class:`RawResults`: plain arrays in catalogue units. :meth:`Backend.run` checks the
model first, times build and run, checks the raw results against the contract below, and turns
them into a ``neo.Block`` (:mod:`mnsim.results`), so no backend writes Neo code.

The raw-results contract
------------------------
* ``spikes[population]`` is a list with one float array of spike times (ms, sorted) per
  recorded neuron, in ``Recording.indices`` order, for populations that record ``spikes``.
  A spike time is the end of the integration step during which the threshold was crossed
  (for HH-type cells, the upward crossing of 0 mV).
* ``signals`` holds one :class:`RawSignal` per recorded population and state variable, sampled
  at t = 0, interval, 2 interval, ... strictly before the duration (``round(duration /
  interval)`` samples); the first sample is the initial state. Units: the catalogue's
  ``recordables`` (``v`` in mV).
  For a multicompartment population (one neuron), a signal has one column per recorded
  location, in ``Recording.locations`` order.
* ``geometry[population]`` (multicompartment populations) holds what the backend built:
  ``area_um2`` and ``length_um`` summed over its compartments, and ``compartments``.
* ``weights[projection]`` holds the final weights of every ``stdp`` projection.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mnsim.catalogue import CELL_TYPES
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec.model import Model

if TYPE_CHECKING:
    import neo

HH_REFERENCE_TEMPERATURE_DEGC = 6.3


@dataclass(frozen=True)
class Capabilities:
    """What a backend supports, declared once per backend class."""

    cell_types: frozenset[str]
    stimulus_types: frozenset[str]
    features: frozenset[str] = field(default_factory=frozenset)
    synapse_types: frozenset[str] = frozenset({"static"})


def required_features(model: Model) -> dict[str, str]:
    """Optional features a model needs: feature name -> why (for the error message)."""
    needs: dict[str, str] = {}
    temp = model.simulation.temperature_degC
    hh = ["HH_squid"] if "HH_squid" in model.cell_types else []
    hh += [f"hh (multicompartment population '{pop.name}')"
           for pop in model.populations.values() if pop.cell.type == "multicompartment"
           and any("hh" in pop.cell.mechanisms_on(i)
                   for i in range(len(pop.cell.morphology.sections)))]
    if hh and temp is not None and not np.isclose(temp, HH_REFERENCE_TEMPERATURE_DEGC):
        needs["temperature"] = (f"{' and '.join(hh)} at {temp:g} degC (rates scaled by q10 = 3 "
                                f"from {HH_REFERENCE_TEMPERATURE_DEGC} degC)")
    return needs


@dataclass
class RawSignal:
    population: str
    variable: str
    unit: str
    interval_ms: float
    data: np.ndarray  # (n_samples, n_recorded)
    indices: tuple[int, ...]


@dataclass
class RawResults:
    spikes: dict[str, list[np.ndarray]]
    signals: list[RawSignal]
    integration: str  # the method(s) the simulator used, for the record
    # final weights of every stdp projection: name -> (pre, post, weight) arrays, sorted by
    # post then pre, indices within the populations, weights in the receptor's unit
    weights: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    # multicompartment populations: {"area_um2", "length_um", "compartments"} as built
    geometry: dict[str, dict[str, float]] = field(default_factory=dict)


class Backend(ABC):
    """Base class of the NEURON, Brian2 and NEST backends."""

    name: ClassVar[str]
    module: ClassVar[str]  # the simulator's import name
    capabilities: ClassVar[Capabilities]

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    # -- what subclasses write ----------------------------------------------------------------
    @abstractmethod
    def version(self) -> str:
        """The simulator's version string."""

    @abstractmethod
    def _build(self, model: Model) -> None:
        """Reset the simulator's global state and create the model in it."""

    @abstractmethod
    def _simulate(self, model: Model) -> RawResults | None:
        """Run the built model for its duration and collect the recordings (None: an MPI
        rank other than 0, whose recordings went to rank 0)."""

    # -- the template -----------------------------------------------------------------------
    def check(self, model: Model) -> None:
        """Raise :class:`CapabilityError` if this backend cannot run ``model``."""
        from mnsim.backends import backend_classes

        caps = self.capabilities
        for pop in model.populations.values():
            if pop.cell.type not in caps.cell_types:
                raise CapabilityError(_missing(f"cell type {pop.cell.type} (population "
                                               f"'{pop.name}')", self.name, backend_classes(),
                                               lambda c, t=pop.cell.type: t in c.cell_types))
        for stim in model.stimuli.values():
            if stim.type not in caps.stimulus_types:
                raise CapabilityError(_missing(f"stimulus type {stim.type} ('{stim.name}')",
                                               self.name, backend_classes(),
                                               lambda c, t=stim.type: t in c.stimulus_types))
        synapses = [(f"projection '{p.name}'", p.synapse.type)
                     for p in model.projections.values()]
        synapses += [(f"stimulus '{s.name}'", s.synapse.type) for s in model.stimuli.values()
                     if s.synapse is not None]
        for where, stype in synapses:
            if stype not in caps.synapse_types:
                raise CapabilityError(_missing(f"synapse type {stype} ({where})", self.name,
                                               backend_classes(),
                                               lambda c, t=stype: t in c.synapse_types))
        for feature, why in required_features(model).items():
            if feature not in caps.features:
                raise CapabilityError(_missing(why, self.name, backend_classes(),
                                               lambda c, f=feature: f in c.features))

    def run(self, model: Model) -> neo.Block | None:
        """Check, build and simulate ``model``; return its results as a ``neo.Block``.
        Under ``mpiexec`` (NEURON, or NEST built with MPI; ``docs/mpi.md``) rank 0 returns the
        Block of the whole network and the other ranks None."""
        from mnsim.mpi import check_backend
        from mnsim.results import to_block

        check_backend(self.name)  # several MPI ranks: refuses backends that cannot use them
        self.check(model)
        version = self.version()  # imports the simulator: build time is the model's own
        t0 = time.perf_counter()
        self._build(model)
        t1 = time.perf_counter()
        raw = self._simulate(model)
        t2 = time.perf_counter()
        if raw is None:  # an MPI rank other than 0: rank 0 holds the results
            return None
        _check_raw(raw, model, self.name)
        return to_block(raw, model, backend=self.name, backend_version=version,
                        build_time_s=t1 - t0, run_time_s=t2 - t1)


def _missing(what: str, backend: str, classes: dict[str, type[Backend]], has) -> str:
    others = [name for name, cls in classes.items() if has(cls.capabilities)]
    who = f"; supported by: {', '.join(others)}" if others else "; no backend supports it yet"
    return f"the {backend} backend does not support {what}{who}"


def _check_raw(raw: RawResults, model: Model, backend: str) -> None:
    """Hold the backend to the raw-results contract before anything downstream sees it."""
    def bad(msg: str) -> SimulationError:
        return SimulationError(f"{backend} backend broke the results contract: {msg}")

    for name, proj in model.projections.items():
        if proj.synapse.type == "stdp":
            if name not in raw.weights:
                raise bad(f"no final weights for stdp projection '{name}'")
            pre, post, weight = raw.weights[name]
            if not len(pre) == len(post) == len(weight) or not np.all(np.isfinite(weight)):
                raise bad(f"final weights of '{name}' malformed")
    for name, rec in model.record.items():
        if "spikes" in rec.variables:
            trains = raw.spikes.get(name)
            if trains is None or len(trains) != len(rec.indices):
                raise bad(f"expected {len(rec.indices)} spike trains for '{name}'")
            for train in trains:
                if train.size and (not np.all(np.isfinite(train)) or np.any(np.diff(train) < 0)
                                   or train[0] < 0
                                   or train[-1] > model.simulation.duration_ms + 1e-9):
                    raise bad(f"spike times of '{name}' unsorted or outside the run")
        for var in rec.signals:
            found = [s for s in raw.signals if s.population == name and s.variable == var]
            if len(found) != 1:
                raise bad(f"expected one signal '{name}.{var}', got {len(found)}")
            sig = found[0]
            n = round(model.simulation.duration_ms / rec.interval_ms)
            columns = len(rec.locations) if rec.locations else len(rec.indices)
            if sig.data.shape != (n, columns):
                raise bad(f"signal '{name}.{var}' has shape {sig.data.shape}, expected "
                          f"{(n, columns)}")
            if not np.all(np.isfinite(sig.data)):
                raise SimulationError(f"{backend}: '{name}.{var}' holds NaN or infinite values: "
                                      f"the integration blew up; try a smaller dt")
            unit = CELL_TYPES[model.populations[name].cell.type].recordables[var]
            if sig.unit != unit:
                raise bad(f"signal '{name}.{var}' is in {sig.unit}, expected {unit}")
