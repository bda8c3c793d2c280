"""What drives a Brian2 multicompartment cell (:mod:`~mnsim.backends.brian2.cable`): step
currents and spike inputs onto its ``exp2syn`` synapses.

* Step currents: a small group, one neuron per stimulus (amplitude and the steps it is on,
  compared with ``t_in_timesteps`` as for point cells), summed into the point current
  ``I_inj`` of the compartment holding the stimulus's location.
* Synapses (``exp2syn``, NEURON's Exp2Syn with its peak factor): spike inputs are played by
  one ``SpikeGeneratorGroup`` (mnsim's drawn trains, whatever the connectivity mode; the
  network's timing: a spike at T with delay d changes the conductance in the state at
  T + d) through one ``Synapses`` whose rows hold the two exponentials of each input, summed
  into the conductance ``syn_g`` and ``syn_ge`` (conductance times reversal) of the
  synapse's compartment; the current ``syn_ge - syn_g v`` is implicit like the membrane's.
  Several inputs onto one synapse are exactly one Exp2Syn (the equations are linear).

Objects are named ``<name>_stims``, ``<name>_inject``, ``<name>_inputs``, ``<name>_exp2syn``
after the cell's group name.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim import draw
from mnsim.backends.brian2.cable_layout import Layout
from mnsim.backends.brian2.currents import step_index
from mnsim.backends.brian2.translate import MV, NA, US
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec.cable import CableCell, PointSynapse

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Population, Stimulus

_STIMS = """
i_amp : amp (constant)
on : integer (constant)
off : integer (constant)
I = i_amp*int(t_in_timesteps >= on and t_in_timesteps < off) : amp
"""

_EXP2SYN = """
dsyn_a/dt = -syn_a/tau1 : siemens (clock-driven)
dsyn_b/dt = -syn_b/tau2 : siemens (clock-driven)
tau1 : second (constant)
tau2 : second (constant)
e_rev : volt (constant)
w_peak : siemens (constant)
syn_g_post = syn_b - syn_a : siemens (summed)
syn_ge_post = (syn_b - syn_a)*e_rev : amp (summed)
"""


def step_currents(pop: Population, model: Model, neuron: Any, lay: Layout,
                  name: str) -> list[Any]:
    """A group holding one step current per neuron, summed into ``I_inj``.

    Raises
    ------
    CapabilityError
        A current stimulus other than ``step_current`` targets the cell.
    """
    import brian2

    from mnsim.backends.brian2.currents import CURRENT_TYPES

    stims = [s for s in model.stimuli.values() if s.target == pop.name
             and s.type in CURRENT_TYPES]
    if not stims:
        return []
    for s in stims:
        if s.type != "step_current":
            raise CapabilityError(f"stimulus '{s.name}': the brian2 backend injects only "
                                  f"step_current into a multicompartment cell, not {s.type}")
    dt = model.simulation.dt_ms
    group = brian2.NeuronGroup(len(stims), _STIMS, namespace={}, name=f"{name}_stims")
    group.i_amp_ = [float(np.ravel(s.values["amplitude"])[0]) * NA for s in stims]
    last = np.iinfo(np.int32).max  # Brian2's integers: a stop past the run is "never"
    group.on_ = [min(step_index(s.values["start"], dt), last) for s in stims]
    group.off_ = [min(step_index(s.values["stop"], dt), last) for s in stims]
    syn = brian2.Synapses(group, neuron, "I_inj_post = I_pre : amp (summed)", namespace={},
                          name=f"{name}_inject")
    # the spec gives every stimulus on a cable cell a location (default: the spike location)
    syn.connect(i=np.arange(len(stims)), j=[lay.containing(s.location) for s in stims])
    return [group, syn]


def spike_inputs(pop: Population, model: Model, neuron: Any, lay: Layout,
                 name: str) -> list[Any]:
    """Every spike input onto the cell: one generator, one ``Synapses`` of Exp2Syn rows.

    Raises
    ------
    CapabilityError
        An input names no synapse of the cell, a synapse type other than ``exp2syn``, or a
        plastic synapse.
    SimulationError
        A spike time is below one time step.
    """
    import brian2

    from mnsim.backends.brian2.network import SPIKE_INPUTS

    stims = [s for s in model.stimuli.values() if s.target == pop.name
             and s.type in SPIKE_INPUTS]
    if not stims:
        return []
    dt = model.simulation.dt_ms
    rows: list[dict[str, float]] = []  # one per (input, layer)
    sources, steps = [], []
    for stim in stims:
        syn = _receptor(stim, pop.cell, pop)
        conn = draw.input_connections(model, stim)
        trains = (draw.poisson_trains(model, stim) if stim.type == "poisson"
                  else list(stim.values["times"]))
        k = np.rint(np.asarray(trains[0], float) / dt).astype(np.int64)
        if k.size and k.min() < 1:
            raise SimulationError(f"stimulus '{stim.name}': a spike time is below one time "
                                  f"step ({dt:g} ms); a spike counts at the end of its step")
        # a time held c times goes out through c rows (a generator emits once per step)
        k = np.sort(k)
        layer = np.zeros(k.size, np.int64)
        for j in range(1, k.size):
            layer[j] = layer[j - 1] + 1 if k[j] == k[j - 1] else 0
        p = syn.params
        tau1, tau2 = exp2syn_taus(p["tau1"], p["tau2"])
        row = {"j": lay.containing(syn.location), "tau1": tau1 * 1e-3, "tau2": tau2 * 1e-3,
               "e_rev": p["e"] * MV, "w_peak": float(conn.weight[0]) * US
               * exp2syn_factor(tau1, tau2), "delay": float(conn.delay_ms[0])}
        for lay_k in range(int(layer.max()) + 1 if layer.size else 1):
            sources.append(np.full(int(np.sum(layer == lay_k)), len(rows)))
            steps.append(k[layer == lay_k])
            rows.append(row)
    source, step = np.concatenate(sources), np.concatenate(steps)
    # a spike at the end of step s is emitted in step s - 1 (Brian2's stamp)
    gen = brian2.SpikeGeneratorGroup(len(rows), source, (step - 1) * dt * brian2.ms,
                                     name=f"{name}_inputs")
    S = brian2.Synapses(gen, neuron, _EXP2SYN, on_pre="syn_a += w_peak\nsyn_b += w_peak",
                        method="exact", namespace={}, name=f"{name}_exp2syn")
    S.connect(i=np.arange(len(rows)), j=[r["j"] for r in rows])
    for var in ("tau1", "tau2", "e_rev", "w_peak"):
        setattr(S, f"{var}_", [r[var] for r in rows])
    # D steps of delay: the event acts on the state at T + D dt (network.py's timing)
    S.pre.delay_ = [max(1, round(r["delay"] / dt)) * dt * 1e-3 for r in rows]
    return [gen, S]


def _receptor(stim: Stimulus, cell: CableCell, pop: Population) -> PointSynapse:
    if stim.receptor not in cell.synapses:
        raise CapabilityError(f"stimulus '{stim.name}': population '{pop.name}' has no synapse "
                              f"'{stim.receptor}' (it has: "
                              f"{', '.join(cell.synapses) or 'none'})")
    syn = cell.synapses[stim.receptor]
    if syn.type != "exp2syn":
        raise CapabilityError(f"stimulus '{stim.name}': the brian2 backend does not support "
                              f"point synapse type {syn.type}")
    if stim.synapse is not None and stim.synapse.type != "static":
        raise CapabilityError(f"stimulus '{stim.name}': a {stim.synapse.type} synapse onto a "
                              f"multicompartment cell is not supported")
    return syn


def exp2syn_taus(tau1: float, tau2: float) -> tuple[float, float]:
    """NEURON's Exp2Syn INITIAL: tau1/tau2 held in [1e-9, 0.9999]."""
    if tau1 / tau2 > 0.9999:
        tau1 = 0.9999 * tau2
    if tau1 / tau2 < 1e-9:
        tau1 = tau2 * 1e-9
    return tau1, tau2


def exp2syn_factor(tau1: float, tau2: float) -> float:
    """NEURON's Exp2Syn ``factor``: the peak of ``exp(-t/tau2) - exp(-t/tau1)`` made 1."""
    tp = (tau1 * tau2) / (tau2 - tau1) * math.log(tau2 / tau1)
    return 1.0 / (-math.exp(-tp / tau1) + math.exp(-tp / tau2))
