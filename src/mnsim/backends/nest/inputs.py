"""Spike inputs (``poisson``, ``spike_times``) on NEST: one source per target neuron, through
the stimulus' synapse onto its receptor.

Sources. Explicit trains (``spike_times``, and ``poisson`` trains drawn by
:func:`mnsim.draw.poisson_trains` in shared mode) are played by one ``spike_generator`` per
target, all made by one ``Create`` and one ``set``. A time given twice is delivered twice (the
generator sends one event of multiplicity 2). NEST cannot connect generators through plastic
synapses; for ``tsodyks_markram`` and ``stdp`` the trains are played by
``spike_train_injector`` nodes instead, which can, and which send a repeated time as separate
spikes, so that the synapse updates once per spike as the catalogue says.

Native ``poisson``: ``poisson_generator`` devices (one per distinct rate, connected
``all_to_all``: every target draws its own train). A ``poisson_generator`` active from
``start`` to ``stop`` stamps its spikes in ``(start + dt, stop + dt]``, one step later than
mnsim's convention (spikes in ``[start, stop)`` stamped at the end of their step, so in
``(start, stop]``): its window is moved one step earlier. A window that starts at 0 cannot
move: its first step comes from a ``poisson_generator_ps`` active in ``(0, dt]``, whose
precise spikes are stamped at the end of their step. Plastic synapses need a relay node:
``parrot_neuron`` per target, which repeats a spike one step later; the generators' windows
move one more step earlier so the parrots fire at mnsim's times and the synapse sees the right
times and delays. A parrot cannot fire in the first step, so a native poisson input through a
plastic synapse that starts at 0 has no spike in the first step (its rate is lost for one
``dt``).

Weights and delays: shared mode plays :func:`mnsim.draw.input_connections`; native mode draws
them with ``nest.random`` (see :mod:`mnsim.backends.nest.network`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim import draw
from mnsim.backends.nest.network import (
    connect_arrays,
    node_ids,
    parameter,
    receptor_spec,
    set_status,
    synapse_model,
)
from mnsim.backends.nest.translate import weight_factor
from mnsim.spec.model import Model, Stimulus

if TYPE_CHECKING:
    from types import ModuleType

SPIKE_INPUTS = frozenset({"poisson", "spike_times"})


def connect_spike_inputs(nest: ModuleType, model: Model, nodes: dict[str, Any]) -> None:
    """Create the sources of every spike input and connect them to their targets."""
    native = model.connectivity == "native"
    for i, stim in enumerate(s for s in model.stimuli.values() if s.type in SPIKE_INPUTS):
        factor = weight_factor(model.populations[stim.target].cell.type, stim.receptor)
        syn_name = synapse_model(nest, stim.synapse, factor, f"mnsim_input_{i}")
        targets = nodes[stim.target][stim.target_range[0]:stim.target_range[1]]
        if stim.type == "poisson" and native:
            _native_poisson(nest, model, stim, targets, syn_name, factor)
            continue
        trains = (stim.values["times"] if stim.type == "spike_times"
                  else draw.poisson_trains(model, stim))
        plastic = stim.synapse.type != "static"
        sources = nest.Create("spike_train_injector" if plastic else "spike_generator",
                              stim.size)
        set_status(nest, sources, [{"spike_times": np.asarray(t, dtype=float)} for t in trains])
        _connect(nest, model, stim, sources, targets, syn_name, factor, native)


def _connect(nest: ModuleType, model: Model, stim: Stimulus, sources: Any, targets: Any,
             syn_name: str, factor: float, native: bool) -> None:
    """Source i onto target i, with drawn (shared) or NEST-drawn (native) weights/delays."""
    port = receptor_spec(nest, model.populations[stim.target].cell.type, stim.receptor)
    if native:
        nest.Connect(sources, targets, "one_to_one", syn_spec={
            "synapse_model": syn_name, "weight": parameter(nest, stim.synapse.weight, factor),
            "delay": parameter(nest, stim.synapse.delay_ms), **port})
        return
    conn = draw.input_connections(model, stim)  # post: indices in the population
    connect_arrays(nest, node_ids(sources)[conn.pre],
                   node_ids(targets)[conn.post - stim.target_range[0]], syn_name,
                   conn.weight * factor, conn.delay_ms, port)


def poisson_windows(start_step: int, stop_step: int, lag: int) -> list[tuple[str, int, int]]:
    """NEST generators (model, start step, stop step) whose spikes, ``lag`` steps later, are
    stamped in ``(start_step, stop_step]``, or as much of it as NEST can reach."""
    lo, hi = max(start_step - lag, 0), stop_step - lag  # generator stamps wanted: (lo, hi]
    if hi <= lo:
        return []
    if lo >= 1:  # poisson_generator active (s, e] stamps (s + 1, e + 1]
        return [("poisson_generator", lo - 1, hi - 1)]
    out = [("poisson_generator_ps", 0, 1)]  # precise spikes in (0, dt], stamped dt
    return out + ([("poisson_generator", 0, hi - 1)] if hi > 1 else [])


def _native_poisson(nest: ModuleType, model: Model, stim: Stimulus, targets: Any,
                    syn_name: str, factor: float) -> None:
    dt = model.simulation.dt_ms
    plastic = stim.synapse.type != "static"
    windows = poisson_windows(round(stim.values["start"] / dt), round(stim.values["stop"] / dt),
                              lag=1 if plastic else 0)
    receivers = nest.Create("parrot_neuron", stim.size) if plastic else targets
    rates = np.broadcast_to(np.asarray(stim.values["rate"], dtype=float), (stim.size,))
    for rate in np.unique(rates):
        if rate <= 0.0 or not windows:
            continue
        index = np.flatnonzero(rates == rate)
        chosen = receivers if index.size == stim.size else receivers[index.tolist()]
        for generator, start, stop in windows:
            gen = nest.Create(generator, params={"rate": float(rate), "start": start * dt,
                                                 "stop": stop * dt})
            spec = ({"delay": dt} if plastic else {
                "synapse_model": syn_name,
                "weight": parameter(nest, stim.synapse.weight, factor),
                "delay": parameter(nest, stim.synapse.delay_ms),
                **receptor_spec(nest, model.populations[stim.target].cell.type,
                                stim.receptor)})
            nest.Connect(gen, chosen, "all_to_all", syn_spec=spec)
    if plastic:
        _connect(nest, model, stim, receivers, targets, syn_name, factor, native=True)
