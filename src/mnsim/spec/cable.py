"""The typed multicompartment cell every backend builds: a :class:`Morphology`, how to cut it
into segments, and the membrane properties of each point. The rules are evaluated here, once,
so NEURON and Brian2 get the same numbers; a backend only asks for them at its own points.

Regions are applied in the order written; a later region overrides an earlier one where they
overlap (as successive NEURON statements would). ``Ra`` is per section (NEURON's rule), so a
region that sets ``Ra`` covers whole sections.

The mechanisms a cell uses come with where they are defined
(:class:`~mnsim.catalogue.mechanisms.Resolved`: a built-in, a library channel, one of the
model's channels or ``.mod`` files). The reversal potentials of the ions (``na``, ``k``,
``ca``) are per point like any parameter (NEURON's defaults where no region sets them);
``hh``'s ``ena`` and ``ek`` are the same values. Where a calcium dynamics mechanism is present,
``eca`` follows Nernst from ``cai`` (computed by the backend, as NEURON does) and no region may
set it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mnsim.catalogue.cells import Receptor
from mnsim.catalogue.mechanisms import (
    IONS,
    POINT_SYNAPSE_TYPES,
    Resolved,
    builtin_mechanisms,
)
from mnsim.morphology.model import Morphology, Section
from mnsim.units import to_unit

DEFAULT_CM_UF_CM2 = 1.0
DEFAULT_RA_OHM_CM = 35.4  # NEURON's default
X_TOL = 1e-9  # arc fractions closer than this are one point (a boundary, an end)
# NEURON's default reversal potentials (ena, ek, eca), mV
DEFAULT_REVERSAL_MV = {"na": 50.0, "k": -77.0, "ca": 132.4579}
HH_REVERSALS = {"ena": "na", "ek": "k"}  # hh's parameters that are the ions' reversals


def segment_index(x: float, nseg: int) -> int:
    """The segment of a section cut into ``nseg`` equal segments that holds arc fraction
    ``x``: NEURON's rule, ``int(x * nseg)``, so a point on a boundary ``k / nseg`` is in the
    segment above it (``sec(0.5)`` with ``nseg = 2`` is the 0.75 node), ``x = 1`` in the last.
    A point within :data:`X_TOL` of a boundary is on it (NEURON's own ``sec(0.29)`` with
    ``nseg = 100`` falls below by rounding; mnsim's backends both take the one above)."""
    return min(int(math.floor((x + X_TOL) * nseg)), nseg - 1)


def on_segment_boundary(x: float, nseg: int) -> bool:
    """True when ``x`` (0 < x < 1) is a boundary ``k / nseg`` between two segments."""
    k = round(x * nseg)
    return 0 < k < nseg and abs(x - k / nseg) <= X_TOL


@dataclass(frozen=True)
class Gradient:
    """A value as a function of path distance ``d`` (um) from the soma, in the parameter's
    unit. ``constant``: ``value``. ``linear``: from ``start`` at ``d0`` to ``end`` at ``d1``,
    held constant beyond both. ``exponential``: ``offset + scale * exp(d / length)``."""

    kind: str
    params: Mapping[str, float]

    @staticmethod
    def constant(value: float) -> Gradient:
        return Gradient("constant", {"value": float(value)})

    def __call__(self, distance_um: np.ndarray) -> np.ndarray:
        d = np.asarray(distance_um, dtype=float)
        p = self.params
        if self.kind == "constant":
            return np.full(d.shape, p["value"])
        if self.kind == "linear":
            frac = np.clip((d - p["d0"]) / (p["d1"] - p["d0"]), 0.0, 1.0)
            return p["start"] + frac * (p["end"] - p["start"])
        return p["offset"] + p["scale"] * np.exp(d / p["length"])


@dataclass(frozen=True)
class Region:
    """Where a set of membrane properties applies: whole ``sections`` (indices), narrowed to
    path distances in [``distance_um[0]``, ``distance_um[1]``] when given. ``mechanisms`` maps
    a mechanism to the parameters this region sets (others keep their defaults);
    ``reversal`` an ion (``na``, ``k``, ``ca``) to its reversal potential (mV)."""

    name: str
    sections: frozenset[int]
    distance_um: tuple[float, float] | None = None
    cm: Gradient | None = None  # uF/cm2
    Ra_ohm_cm: float | None = None
    mechanisms: Mapping[str, Mapping[str, Gradient]] = field(default_factory=dict)
    reversal: Mapping[str, Gradient] = field(default_factory=dict)

    def covers(self, morph: Morphology, i: int, x: np.ndarray) -> np.ndarray:
        """Which of the points ``x`` on section ``i`` this region covers."""
        x = np.asarray(x, dtype=float)
        if i not in self.sections:
            return np.zeros(x.shape, dtype=bool)
        if self.distance_um is None:
            return np.ones(x.shape, dtype=bool)
        d = morph.distance_um(i, x)
        return (d >= self.distance_um[0]) & (d <= self.distance_um[1])


@dataclass(frozen=True)
class Discretization:
    """NEURON's d_lambda rule (``nseg`` odd, segments at most ``d_lambda`` of the AC length
    constant at ``frequency_Hz``), or segments at most ``max_length_um`` long."""

    d_lambda: float | None = 0.1
    frequency_Hz: float = 100.0
    max_length_um: float | None = None


@dataclass(frozen=True)
class Location:
    """A point on the cell: arc fraction ``x`` of section ``section``; ``label`` is how the
    model file wrote it (``soma(0.5)``, ``{type: apical, distance: 400 um}``)."""

    section: int
    x: float
    label: str


@dataclass(frozen=True)
class PointSynapse:
    """A synapse at a location (a receptor of the cell): ``type`` from
    :data:`~mnsim.catalogue.mechanisms.POINT_SYNAPSE_TYPES`, parameters in its units."""

    name: str
    type: str
    location: Location
    params: Mapping[str, float]

    @property
    def weight_unit(self) -> str:
        return POINT_SYNAPSE_TYPES[self.type].weight_unit


@dataclass(frozen=True)
class SegmentValues:
    """Membrane properties at some points of one section: ``cm`` (uF/cm2) and, for each
    mechanism present anywhere on the section, each parameter (its catalogue unit), one value
    per point. A mechanism's conductances are 0 at points no region gives it.

    ``present`` says, per mechanism, at which points a region gives it; ``reversal`` holds the
    reversal potential (mV) of each ion (``na``, ``k``, ``ca``) at every point, NEURON's
    default where no region sets it (``hh``'s ``ena``, ``ek`` are the same arrays);
    ``nernst_ca`` marks the points where a calcium dynamics mechanism is present, where
    ``eca`` follows Nernst from ``cai`` instead (its ``reversal["ca"]`` is then unused)."""

    cm: np.ndarray
    mechanisms: dict[str, dict[str, np.ndarray]]
    present: dict[str, np.ndarray] = field(default_factory=dict)
    reversal: dict[str, np.ndarray] = field(default_factory=dict)
    nernst_ca: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class CableCell:
    """A multicompartment cell (``type == "multicompartment"``). ``mechanisms``: the
    mechanisms its regions use, with where each is defined (the built-ins when not given)."""

    morphology: Morphology
    discretization: Discretization
    regions: tuple[Region, ...]
    initial_v_mV: float = -65.0
    synapses: Mapping[str, PointSynapse] = field(default_factory=dict)
    spike_location: Location | None = None  # where spikes are detected (v crossing 0 mV up)
    spike_threshold_mV: float = 0.0
    type: str = "multicompartment"
    area_um2: None = None  # point-cell field: a cable cell's area is its morphology's
    params: Mapping[str, float] = field(default_factory=dict)  # point-cell field; unused
    initial: Mapping[str, float] = field(default_factory=dict)
    mechanisms: Mapping[str, Resolved] = field(default_factory=builtin_mechanisms)

    @property
    def receptors(self) -> dict[str, Receptor]:
        """The cell's synapses as receptors (what a spike input's ``receptor:`` names):
        weights in the synapse type's unit (uS for exp2syn), >= 0."""
        return {name: Receptor(name, syn.weight_unit, +1,
                               f"{syn.type} synapse at {syn.location.label}")
                for name, syn in self.synapses.items()}

    # -- per section ------------------------------------------------------------------------
    def Ra_ohm_cm(self, i: int) -> float:  # noqa: N802 - NEURON's name
        value = DEFAULT_RA_OHM_CM
        for region in self.regions:
            if region.Ra_ohm_cm is not None and i in region.sections:
                value = region.Ra_ohm_cm
        return value

    def mechanisms_on(self, i: int) -> tuple[str, ...]:
        """Mechanisms present anywhere on section ``i``, in the order of ``mechanisms``."""
        used = {m for r in self.regions if i in r.sections for m in r.mechanisms}
        return tuple(m for m in self.mechanisms if m in used)

    def ions_on(self, i: int) -> tuple[str, ...]:
        """The ions (``na``, ``k``, ``ca``) some mechanism on section ``i`` touches."""
        used = {ion for m in self.mechanisms_on(i) for ion in self.mechanisms[m].uses_ions}
        return tuple(ion for ion in IONS if ion in used)

    def calcium_dynamics_on(self, i: int) -> bool:
        """Whether a mechanism writing ``cai`` is on section ``i`` (on all of it: such a
        mechanism has no conductance to switch off, so regions give it whole sections)."""
        return any(self.mechanisms[m].writes_cai for m in self.mechanisms_on(i))

    def values(self, i: int, x: np.ndarray) -> SegmentValues:
        """Membrane properties at arc fractions ``x`` of section ``i``."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        morph = self.morphology
        d = morph.distance_um(i, x)
        cm = np.full(x.shape, DEFAULT_CM_UF_CM2)
        reversal = {ion: np.full(x.shape, e) for ion, e in DEFAULT_REVERSAL_MV.items()}
        mechs: dict[str, dict[str, np.ndarray]] = {}
        present: dict[str, np.ndarray] = {}
        for name in self.mechanisms_on(i):
            mech = self.mechanisms[name].mechanism
            mechs[name] = {p.name: np.full(x.shape, to_unit(p.default, p.unit))
                           for p in mech.params}
            present[name] = np.zeros(x.shape, dtype=bool)
        for region in self.regions:
            where = region.covers(morph, i, x)
            if not where.any():
                continue
            if region.cm is not None:
                cm[where] = region.cm(d)[where]
            for ion, grad in region.reversal.items():
                reversal[ion][where] = grad(d)[where]
            for name, params in region.mechanisms.items():
                present[name] |= where
                for pname, grad in params.items():
                    target = (reversal[HH_REVERSALS[pname]] if name == "hh"
                              and pname in HH_REVERSALS else mechs[name][pname])
                    target[where] = grad(d)[where]
        for name, mask in present.items():
            for pname in self.mechanisms[name].mechanism.conductances:
                mechs[name][pname][~mask] = 0.0
        if "hh" in mechs:  # the ions' values, whoever set them
            for pname, ion in HH_REVERSALS.items():
                mechs["hh"][pname] = reversal[ion].copy()
        nernst = np.zeros(x.shape, dtype=bool)
        for name, mask in present.items():
            if self.mechanisms[name].writes_cai:
                nernst |= mask
        return SegmentValues(cm=cm, mechanisms=mechs, present=present, reversal=reversal,
                             nernst_ca=nernst)

    def nseg(self, i: int) -> int:
        """Number of segments of section ``i`` (NEURON's ``nseg``), from the discretization:
        NEURON's ``lambda_f`` over the 3-D points with cm at the section's middle."""
        sec = self.morphology.sections[i]
        disc = self.discretization
        if disc.max_length_um is not None:
            return max(1, math.ceil(sec.length_um / disc.max_length_um - 1e-9))
        cm = float(self.values(i, np.array([0.5])).cm[0])
        return nseg_d_lambda(sec, self.Ra_ohm_cm(i), cm, disc.d_lambda, disc.frequency_Hz)

    @cached_property
    def segment_counts(self) -> tuple[int, ...]:
        return tuple(self.nseg(i) for i in range(len(self.morphology.sections)))


def nseg_d_lambda(sec: Section, Ra_ohm_cm: float, cm_uF_cm2: float, d_lambda: float,  # noqa: N803
                  frequency_Hz: float) -> int:  # noqa: N803
    """NEURON's ``fixnseg.hoc``: ``nseg = int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1``
    with ``lambda_f`` from the 3-D points."""
    lengths = np.linalg.norm(np.diff(sec.points_um, axis=0), axis=1)
    dsum = sec.diam_um[:-1] + sec.diam_um[1:]
    lam = float(np.sum(lengths / np.sqrt(dsum)))
    lam *= math.sqrt(2) * 1e-5 * math.sqrt(4 * math.pi * frequency_Hz * Ra_ohm_cm * cm_uF_cm2)
    if lam == 0.0:
        return 1
    lambda_f = sec.length_um / lam
    return int((sec.length_um / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1
