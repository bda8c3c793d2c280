"""Multicompartment cells (:class:`~mnsim.spec.cable.CableCell`) in NEURON.

One ``h.Section`` per mnsim section, named ``<population>.<section>`` (``cell.soma``,
``cell.apical[3]``), its 3-D points given with the vector form of ``h.pt3dadd``, ``nseg`` and
``Ra`` from the cell, and each child's 0 end connected to its parent at ``parent_x``.
Mechanisms (NEURON's own ``pas`` and ``hh``, channels of mnsim's library, the model's own
channels and ``.mod`` files, compiled and loaded by
:func:`~mnsim.backends.neuron.mechanisms.ensure_cell_mechanisms`) are inserted on the sections
the regions give them, and ``cm`` and every parameter (RANGE variable ``<param>_<suffix>``) are
set per segment from ``cell.values`` at the segment centres (one call per section when a value
is uniform along it). The rules are never re-derived here.

* Ions: ``ena``, ``ek``, ``eca`` are set per segment on the sections whose mechanisms use the
  ion (``hh``'s ``ena``/``ek`` are these), except ``eca`` on a section with calcium dynamics:
  there NEURON computes it by Nernst from ``cai`` and ``cao`` at every step. Elsewhere the
  calcium ion's concentrations and ``eca`` are constants (``ion_style``): NEURON's default
  style would start ``eca`` from Nernst where a mechanism only reads ``cai`` (SK_E2). ``cai``
  starts at NEURON's default (``cai0_ca_ion``, 5e-5 mM), as the library's calcium dynamics
  leave it.
  Elsewhere the calcium ion's style is fixed to constant concentrations and ``eca`` (NEURON
  would otherwise start ``eca`` from Nernst where a mechanism only reads ``cai``).

* Locations (current stimuli, synapses, spike detection, recordings) are the segment that
  contains the point (:func:`~mnsim.spec.cable.segment_index`: on a boundary between two
  segments the one above, NEURON's own rule; Brian2 follows it): at x = 0 and 1 the end
  segments, not NEURON's zero-area end nodes. Under
  Crank-Nicolson (``secondorder = 2``) the v of a zero-area node through which a current
  flows alternates from step to step around its true value, by the current times half a
  segment's axial resistance, for ever (the node has no capacitance to damp it); a current
  injected at a free end reaches the end segment whole either way. A recording at x = 0 or 1
  reads the end's voltage extrapolated from the two nearest segment centres
  (:meth:`BuiltCable.reading`), as Brian2 does.
* Synapses: an ``Exp2Syn`` per named synapse at its location; spike inputs reach it through
  the backend's usual ``VecStim`` machinery with the NetCon weight in uS. NEURON updates its
  conductance after v in each step, so it acts half a step late (first order in dt).
* Spikes: the upward crossing of the threshold by ``v`` at the spike location, watched by a
  ``NetCon`` (as for ``HH_squid``): stamped with the end of the step.
* Initial state: every node's ``v`` (the zero-area end nodes too) is set at build time; the
  backend's ``finitialize()`` keeps it and starts ``hh``'s gates at steady state there.
* Geometry: what NEURON built, summed over segments (``seg.area()``) and sections (``L``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnsim.backends.neuron.mechanisms import ensure_cell_mechanisms
from mnsim.backends.neuron.network import Sources
from mnsim.errors import SimulationError
from mnsim.spec.cable import HH_REVERSALS, X_TOL, CableCell, Location, segment_index
from mnsim.spec.model import Population

# point synapse type -> (NEURON point process, {catalogue parameter: NEURON attribute})
SYNAPSE_NAMES: dict[str, tuple[str, dict[str, str]]] = {
    "exp2syn": ("Exp2Syn", {"tau1": "tau1", "tau2": "tau2", "e": "e"}),
}


@dataclass
class BuiltCable:
    """The NEURON objects of one multicompartment cell."""

    sections: list[Any]
    synapses: dict[str, Any]  # synapse name (the receptor) -> point process
    source: Sources  # v at the spike location, for spike NetCons
    geometry: dict[str, float] = field(default_factory=dict)

    def segment(self, loc: Location) -> Any:
        """The segment containing ``loc`` (on a boundary the one above it,
        :func:`~mnsim.spec.cable.segment_index`): at x = 0 and 1 the end segments, never
        NEURON's zero-area end nodes (under Crank-Nicolson, v there alternates from step to step
        around its true value when a current flows through the node)."""
        sec = self.sections[loc.section]
        return sec((segment_index(loc.x, sec.nseg) + 0.5) / sec.nseg)

    def reading(self, loc: Location) -> list[tuple[Any, float]]:
        """How v at ``loc`` is read: (segment, weight) pairs summed. At x = 0 or 1 the end's
        voltage extrapolated linearly from the two nearest segment centres (1.5 v1 - 0.5 v2,
        as Brian2 reads it), else the node of the segment holding ``loc``."""
        sec = self.sections[loc.section]
        at_start, at_end = loc.x <= X_TOL, loc.x >= 1.0 - X_TOL
        if (at_start or at_end) and sec.nseg > 1:
            first, second = (0.5, 1.5) if at_start else (sec.nseg - 0.5, sec.nseg - 1.5)
            return [(sec(first / sec.nseg), 1.5), (sec(second / sec.nseg), -0.5)]
        return [(self.segment(loc), 1.0)]


def build_cable(h: Any, pop: Population) -> BuiltCable:
    """Build the one cell of the multicompartment population ``pop``.

    Raises
    ------
    SimulationError
        The population has more than one neuron, or a mechanism or synapse type unknown to
        this module.
    """
    cell: CableCell = pop.cell
    if pop.size != 1:
        raise SimulationError(f"population '{pop.name}': a multicompartment population has one "
                              f"neuron, not {pop.size}")
    ensure_cell_mechanisms(cell.mechanisms.values())
    sections = _sections(h, pop.name, cell)
    for i, sec in enumerate(sections):
        _membrane(sec, cell, i)
        sec.v = cell.initial_v_mV  # every node, end nodes included
    built = BuiltCable(sections, {}, Sources([], []))
    for name, syn in cell.synapses.items():
        built.synapses[name] = _synapse(h, built.segment(syn.location), syn.type, syn.params,
                                        f"population '{pop.name}', synapse '{name}'")
    loc = cell.spike_location
    built.source = Sources([built.segment(loc)._ref_v], [sections[loc.section]],
                           cell.spike_threshold_mV)
    built.geometry = {
        "area_um2": float(sum(seg.area() for sec in sections for seg in sec)),
        "length_um": float(sum(sec.L for sec in sections)),
        "compartments": float(sum(sec.nseg for sec in sections)),
    }
    return built


def spike_location(cell: CableCell) -> Location:
    """``cell.spike_location`` (always set by the spec); kept for the backend's imports."""
    return cell.spike_location


def _sections(h: Any, prefix: str, cell: CableCell) -> list[Any]:
    """The sections with their 3-D points, ``nseg`` and ``Ra``, children connected."""
    sections = []
    Vector = h.Vector
    for i, sec in enumerate(cell.morphology.sections):
        nsec = h.Section(name=f"{prefix}.{sec.name}")
        pts = np.asarray(sec.points_um, dtype=float)
        h.pt3dadd(Vector(pts[:, 0]), Vector(pts[:, 1]), Vector(pts[:, 2]),
                  Vector(np.asarray(sec.diam_um, dtype=float)), sec=nsec)
        nsec.nseg = int(cell.segment_counts[i])
        nsec.Ra = float(cell.Ra_ohm_cm(i))
        if sec.parent is not None:
            nsec.connect(sections[sec.parent](float(sec.parent_x)), 0.0)
        sections.append(nsec)
    return sections


def _membrane(sec: Any, cell: CableCell, i: int) -> None:
    """Insert section ``i``'s mechanisms and set cm, their parameters and the ions' reversal
    potentials per segment."""
    mechanisms = cell.mechanisms_on(i)
    for mech in mechanisms:
        try:
            sec.insert(mech)
        except ValueError as exc:
            raise SimulationError(f"section {sec.name()}: NEURON cannot insert mechanism "
                                  f"'{mech}' ({cell.mechanisms[mech].describe()}): {exc}") from exc
    x = (np.arange(sec.nseg) + 0.5) / sec.nseg
    values = cell.values(i, x)
    _set(sec, "cm", values.cm)
    for mech in mechanisms:
        for pname, arr in values.mechanisms[mech].items():
            if mech == "hh" and pname in HH_REVERSALS:
                continue  # the ions' own, set below
            _set(sec, f"{pname}_{mech}", arr)
    for ion in cell.ions_on(i):
        if ion == "ca" and cell.calcium_dynamics_on(i):
            continue  # Nernst from cai and cao, by NEURON at every step
        if ion == "ca":
            # no mechanism writes cai here: eca is the region's and cai constant, as on
            # Brian2 (NEURON's default style would start eca from Nernst where a mechanism
            # only reads cai, e.g. SK_E2): concentrations and eca parameters, none computed
            from neuron import h

            h.ion_style("ca_ion", 1, 1, 0, 0, 0, sec=sec)
        _set(sec, f"e{ion}", values.reversal[ion])


def _set(sec: Any, attr: str, values: np.ndarray) -> None:
    """Set range variable ``attr`` of the segments of ``sec`` to ``values`` (one per
    segment): one section-wide assignment when they are all equal."""
    values = np.asarray(values, dtype=float)
    if np.all(values == values[0]):
        setattr(sec, attr, float(values[0]))
        return
    for seg, value in zip(sec, values.tolist()):
        setattr(seg, attr, value)


def _synapse(h: Any, seg: Any, type_: str, params: Any, where: str) -> Any:
    if type_ not in SYNAPSE_NAMES:
        raise SimulationError(f"{where}: synapse type '{type_}' is not available on NEURON")
    cls, names = SYNAPSE_NAMES[type_]
    pp = getattr(h, cls)(seg)
    for pname, attr in names.items():
        if pname in params:
            setattr(pp, attr, float(params[pname]))
    return pp
