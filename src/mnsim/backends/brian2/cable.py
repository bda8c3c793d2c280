"""Multicompartment cells (:class:`~mnsim.spec.cable.CableCell`) as a Brian2 ``SpatialNeuron``.

Geometry: mnsim's own morphology, cut into Brian2 sections and compartments by
:mod:`~mnsim.backends.brian2.cable_layout` (never Brian2's SWC loader), every section a
``brian2.Section`` with its 3-D points and diameters, so Brian2 and NEURON build the same
cell; ``geometry`` reports the area and length Brian2 computed.

One code for every cell with the same set of mechanisms: the equations
(:mod:`~mnsim.backends.brian2.cable_membrane`) depend only on that set (``pas`` and ``hh``
everywhere, their conductances 0 where a region leaves them out, plus the fragment of each
channel the cell uses; every parameter a per-compartment variable; point currents summed from
other objects). Every object is named after the cell's group, ``mnsim_<gi>`` (``gi`` its index
among the model's groups), whatever the morphology, and the names are in the generated code:
Brian2 compiles a cable cell once and reuses the code for any morphology, mechanism layout,
stimulus or synapse set of a cell with the same mechanisms at the same group index (a model
whose only group is the cell always has index 0); a cell at another index compiles its own.

* Membrane: NEURON's ``pas`` and ``hh`` (hh.mod's rates, ``q10 = 3 ** ((celsius - 6.3)/10)``,
  gates at steady state at the initial v, evaluated by Brian2 from the rates as for
  ``HH_squid``), channel files' equations, the ions' reversal potentials and calcium
  (:mod:`~mnsim.backends.brian2.cable_membrane`), cm and every parameter from ``cell.values``
  at the compartment centres. A ``.mod`` mechanism is a :class:`CapabilityError`.
* Axial resistance: Brian2 holds one ``Ri`` per neuron; NEURON's ``Ra`` is per section. ``Ri``
  is the root section's Ra and the conductance terms ``r_length_1``, ``r_length_2`` of each
  compartment (Brian2 divides them by ``Ri``) are scaled by ``Ri / Ra`` of its section:
  exactly a per-section resistivity.
* Integration: Brian2 solves the cable equation implicitly (backward Euler, the membrane
  current linearised in v with the gates of the step) after updating the gates by
  exponential Euler at the v of the start of the step, which makes the gates staggered half
  a step, as NEURON's are. NEURON runs Crank-Nicolson (``secondorder = 2``); so does this
  module when ``simulation.cable_method`` is ``crank_nicolson`` (the default): the implicit
  step is taken over dt/2 (``Cm`` doubled) and v extrapolated to the end of the step,
  ``v <- 2 v(t + dt/2) - v(t)`` (one ``run_regularly``), NEURON's own formulation. Both then
  agree at NEURON's dt (an HH axon's spike arrival within 0.002 ms at dt = 0.025 ms);
  backward Euler alone needs a dt about 5 times smaller for the accuracy Crank-Nicolson has
  at 0.025 ms.
* Step currents and synapses (``exp2syn``, driven by spike inputs):
  :mod:`~mnsim.backends.brian2.cable_inputs`.
* Spikes: ``v > v_thresh`` at one compartment (``spike_site``), refractory while above, and
  refractory at the start, so only an upward crossing counts; Brian2's stamp plus one step
  is the end of the step (the backend's convention).
* Locations and recording (:meth:`~mnsim.backends.brian2.cable_layout.Layout.reading`): a
  point is in the compartment holding it, on a boundary the one above it (NEURON's rule for
  its segments); v there as NEURON reads ``v(x)``: that compartment's node, the end's voltage
  at x = 0 or 1 (extrapolated from the two nearest nodes), and the junction's between two
  compartments only where Brian2 cut a section for children inside one of NEURON's segments
  (``soma(0.5)`` when the neurites attach there and ``nseg`` is odd).
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.base import HH_REFERENCE_TEMPERATURE_DEGC
from mnsim.backends.brian2.cable_inputs import spike_inputs, step_currents
from mnsim.backends.brian2.cable_layout import Layout, layout
from mnsim.backends.brian2.cable_membrane import (
    Membrane,
    add_calcium,
    membrane,
    membrane_values,
    set_initial_state,
)
from mnsim.backends.brian2.translate import MV, hh_q10
from mnsim.errors import SimulationError
from mnsim.spec.cable import CableCell

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Population

UM = 1e-6

@dataclass
class BuiltCable:
    """The Brian2 objects of one multicompartment cell and how to read them.

    Attributes
    ----------
    neuron
        The ``SpatialNeuron``.
    objects
        Every object to add to the network (the neuron and monitors included).
    layout
        The compartments (:class:`~mnsim.backends.brian2.cable_layout.Layout`).
    spike_site
        The compartment where spikes are detected.
    weights
        Per recorded location: ``(compartment, weight)`` pairs whose sum is v there.
    """

    neuron: Any
    objects: list[Any]
    layout: Layout
    spike_site: int
    weights: list[tuple[tuple[int, float], ...]] = field(default_factory=list)
    state: Any = None
    spikes: Any = None

    @property
    def geometry(self) -> dict[str, float]:
        """Area (um2), length (um) and compartments of what Brian2 built."""
        return {"area_um2": float(np.sum(self.neuron.area_)) / UM**2,
                "length_um": float(np.sum(self.neuron.length_)) / UM,
                "compartments": float(len(self.neuron))}

    def v(self, n: int) -> np.ndarray:
        """The first ``n`` samples of v (mV), one column per recorded location."""
        data = np.asarray(self.state.v_, dtype=float)[:, :n].T / MV
        columns = {int(c): k for k, c in enumerate(self.state.record)}
        out = np.zeros((data.shape[0], len(self.weights)))
        for j, pairs in enumerate(self.weights):
            for comp, w in pairs:
                out[:, j] += w * data[:, columns[comp]]
        return out


def build_cable(pop: Population, model: Model, gi: int) -> BuiltCable:
    """Build the one cell of multicompartment population ``pop`` as group ``mnsim_<gi>``,
    with its step currents, spike inputs and recordings.

    Raises
    ------
    SimulationError
        The population has more than one neuron.
    CapabilityError
        A mechanism, synapse or current type this module does not build.
    """
    import brian2

    cell: CableCell = pop.cell
    if pop.size != 1:
        raise SimulationError(f"population '{pop.name}': a multicompartment population has one "
                              f"neuron, not {pop.size}")
    mem = membrane(cell)
    lay = layout(cell)
    site = lay.containing(cell.spike_location)
    name = f"mnsim_{gi}"
    # Brian2 names the neuron's solver "<name>_spatialstateupdater" unless an earlier one is
    # still alive (held in a reference cycle), and the name is in the code: a new name means
    # a new compilation
    gc.collect()
    # Brian2 walks (and deep-copies) its tree recursively, a few frames per level
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 1000 + 50 * lay.depth))
    try:
        neuron = brian2.SpatialNeuron(
            morphology=_morphology(lay), model=mem.equations, method="exponential_euler",
            threshold="v > v_thresh and i == spike_site", refractory="v > v_thresh",
            Ri=cell.Ra_ohm_cm(0) * 1e-2 * brian2.ohm * brian2.meter, namespace={}, name=name)
    finally:
        sys.setrecursionlimit(limit)
    _set_membrane(neuron, cell, lay, model, mem)
    neuron.spike_site_ = site
    neuron.v_thresh_ = cell.spike_threshold_mV * MV
    built = BuiltCable(neuron, [neuron], lay, site)
    built.objects += add_calcium(neuron, mem, name)
    if model.simulation.cable_method == "crank_nicolson":
        # the implicit step over dt/2 (Cm doubled), then v(t + dt) = 2 v(t + dt/2) - v(t)
        # (Brian2 leaves Ic = Cm (v(t + dt/2) - v(t))/dt)
        neuron.Cm_ = 2.0 * np.asarray(neuron.Cm_)
        neuron.run_regularly("v = v + Ic*dt/Cm", when="groups", order=2,
                             name=f"{name}_crank_nicolson")
    built.objects += step_currents(pop, model, neuron, lay, name)
    built.objects += spike_inputs(pop, model, neuron, lay, name)
    _recorders(built, pop, model, name)
    return built


def _morphology(lay: Layout) -> Any:
    """The Brian2 morphology: one ``Section`` per piece, 3-D points relative to the parent's
    end (Brian2's convention), children added in the layout's order."""
    import brian2

    um = brian2.um
    secs: list[Any] = []
    for k, piece in enumerate(lay.pieces):
        origin = lay.pieces[piece.parent].points_um[-1] if piece.parent >= 0 else np.zeros(3)
        rel = piece.points_um - origin
        sec = brian2.Section(diameter=piece.diam_um * um, n=piece.n, x=rel[:, 0] * um,
                             y=rel[:, 1] * um, z=rel[:, 2] * um)
        if piece.parent >= 0:
            secs[piece.parent].children.add(f"p{k}", sec)
        secs.append(sec)
    return secs[0]


def _set_membrane(neuron: Any, cell: CableCell, lay: Layout, model: Model,
                  mem: Membrane) -> None:
    """cm, mechanism parameters, reversal potentials, per-section Ra, areas, initial state."""
    values = membrane_values(cell, mem, lay.section, lay.centre)
    ri = cell.Ra_ohm_cm(0)
    ri_scale = np.array([ri / cell.Ra_ohm_cm(int(i)) for i in lay.section])
    values["r_length_1"] = np.asarray(neuron.r_length_1_) * ri_scale
    values["r_length_2"] = np.asarray(neuron.r_length_2_) * ri_scale
    values["area"] = lay.area_um2 * UM**2  # Brian2's own, but for repeated points put back
    values["v"] = np.full(lay.n, cell.initial_v_mV * MV)
    neuron.set_states(values, units=False)
    neuron.q10_ = hh_q10(model.simulation.temperature_degC)
    temperature = model.simulation.temperature_degC
    # at the initial v, set above
    set_initial_state(neuron, mem, HH_REFERENCE_TEMPERATURE_DEGC if temperature is None
                      else temperature)
    neuron.not_refractory_ = False  # a spike needs v to cross from below


def _recorders(built: BuiltCable, pop: Population, model: Model, name: str) -> None:
    """A StateMonitor on the compartments around each recorded location; a SpikeMonitor."""
    import brian2

    rec = model.record.get(pop.name)
    if rec is None:
        return
    if "spikes" in rec.variables:
        built.spikes = brian2.SpikeMonitor(built.neuron, record=True, name=f"{name}_spikes")
        built.objects.append(built.spikes)
    if rec.signals:
        # the spec gives every cable recording its locations (default: the spike location)
        built.weights = [built.layout.reading(loc) for loc in rec.locations]
        comps = sorted({c for pairs in built.weights for c, _ in pairs})
        clock = {} if np.isclose(rec.interval_ms, model.simulation.dt_ms) else {
            "dt": rec.interval_ms * brian2.ms}
        built.state = brian2.StateMonitor(built.neuron, "v", record=comps,
                                          name=f"{name}_state", **clock)
        built.objects.append(built.state)
