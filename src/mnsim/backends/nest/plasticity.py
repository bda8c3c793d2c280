"""STDP on NEST: what ``stdp_synapse`` cannot express, ``tau_minus``, and exact final weights.

``tau_minus`` is a parameter of NEST's post-synaptic neuron (its trace of post spikes), not of
the synapse: it is set on the post neurons, and two STDP synapses asking different values of
one neuron cannot run on NEST. ``stdp_synapse`` bounds weights to [0, Wmax]: ``w_min`` must be
0. NEST scales depression by ``lambda = A_plus``: ``A_plus = 0`` with ``A_minus > 0`` cannot be
expressed.

Final weights. ``stdp_synapse`` is event-driven: a weight changes only when a presynaptic spike
passes, which applies the potentiation owed to the post spikes since the previous one, then the
depression. Two consequences, both handled here so that ``RawResults.weights`` holds the
catalogue's weights at the end of the run:

* Pre spikes stamped after the duration must not count. NEST passes the spikes emitted during
  one ``min_delay`` slice at the start of the next, and the backend runs one ``min_delay``
  beyond the duration; when the duration is a slice boundary, exactly the pre spikes stamped up
  to it have passed. A model with STDP projections therefore gets a ``min_delay`` that divides
  the number of steps (:func:`aligned_min_delay_steps`), forced by one connection between two
  silent ``parrot_neuron`` nodes.
* The potentiation owed to post spikes that reach the synapse (``t_post + delay``) after its
  last pre spike and before the end is not in NEST's weight: it is added from the recorded
  spikes with NEST's own rule (``Kplus`` read from the connection, decayed with ``tau_plus``;
  additive: ``w/Wmax += lambda K``, capped at 1; multiplicative: ``1 - w/Wmax`` shrinks by
  ``1 - lambda K``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.nest.network import set_status
from mnsim.backends.nest.recording import in_ms
from mnsim.errors import CapabilityError
from mnsim.spec.model import Distribution, Model, Quantity, Synapse

if TYPE_CHECKING:
    from types import ModuleType


def check_synapses(model: Model) -> None:
    """Raise :class:`CapabilityError` for what NEST's synapse models cannot express."""
    for where, syn, _, _ in _plastic(model):
        if syn.type != "stdp":
            continue
        p = syn.params
        if p["w_min"] != 0.0:
            raise CapabilityError(f"the nest backend does not support stdp with w_min != 0 "
                                  f"({where}: w_min = {p['w_min']:g}): NEST's stdp_synapse "
                                  f"bounds weights to [0, w_max]")
        if p["A_plus"] == 0.0 and p["A_minus"] != 0.0:
            raise CapabilityError(f"the nest backend does not support stdp with A_plus = 0 and "
                                  f"A_minus > 0 ({where}): NEST's stdp_synapse scales "
                                  f"depression by lambda = A_plus (alpha = A_minus / A_plus)")
    stdp_tau_minus(model)


def _plastic(model: Model) -> list[tuple[str, Synapse, str, tuple[int, int]]]:
    """(where, synapse, post population, post range) of every projection and spike input."""
    out = [(f"projection '{p.name}'", p.synapse, p.post, p.post_range)
           for p in model.projections.values()]
    return out + [(f"stimulus '{s.name}'", s.synapse, s.target, s.target_range)
                  for s in model.stimuli.values() if s.synapse is not None]


def stdp_tau_minus(model: Model) -> dict[str, np.ndarray]:
    """Population -> tau_minus (ms) per neuron (NaN where no STDP synapse ends); raises
    :class:`CapabilityError` when two STDP synapses ask different values of one neuron."""
    out: dict[str, np.ndarray] = {}
    owner: dict[str, np.ndarray] = {}  # population -> index of the asking item, per neuron
    items = _plastic(model)
    for i, (where, syn, pop, (lo, hi)) in enumerate(items):
        if syn.type != "stdp":
            continue
        size = model.populations[pop].size
        tau = out.setdefault(pop, np.full(size, np.nan))
        asked = owner.setdefault(pop, np.full(size, -1))
        value = syn.params["tau_minus"]
        clash = np.flatnonzero(~np.isnan(tau[lo:hi]) & ~np.isclose(tau[lo:hi], value))
        if clash.size:
            j = lo + int(clash[0])
            raise CapabilityError(
                f"the nest backend cannot give neuron {j} of '{pop}' two STDP tau_minus values "
                f"({items[asked[j]][0]}: {tau[j]:g} ms, {where}: {value:g} ms): in NEST "
                f"tau_minus belongs to the post-synaptic neuron")
        tau[lo:hi] = value
        asked[lo:hi] = i
    return out


def set_tau_minus(nest: ModuleType, nodes: dict[str, Any], model: Model) -> None:
    for pop, tau in stdp_tau_minus(model).items():
        index = np.flatnonzero(~np.isnan(tau))
        set_status(nest, nodes[pop][index.tolist()], {"tau_minus": tau[index]})


def _min_steps(delay: Quantity, dt: float) -> int:
    """A lower bound of the delays (in steps) NEST makes of ``delay``."""
    low = delay.support()[0] if isinstance(delay, Distribution) else float(delay)
    return max(1, math.floor(low / dt + 1e-6))


def aligned_min_delay_steps(model: Model, generator_delay_steps: int) -> int | None:
    """For a model with STDP projections, a ``min_delay`` (steps) that divides the run's
    steps and is at most every delay of the model; ``None`` without STDP projections."""
    if not any(p.synapse.type == "stdp" for p in model.projections.values()):
        return None
    dt = model.simulation.dt_ms
    bound = generator_delay_steps
    for proj in model.projections.values():
        table = proj.connector.table or {}
        if "delay" in table and len(table["delay"]):
            bound = min(bound, max(1, math.floor(float(np.min(table["delay"])) / dt + 1e-6)))
        else:
            bound = min(bound, _min_steps(proj.synapse.delay_ms, dt))
    for stim in model.stimuli.values():
        if stim.synapse is not None:
            relay = stim.synapse.type != "static" and model.connectivity == "native"
            bound = min(bound, 1 if relay else _min_steps(stim.synapse.delay_ms, dt))
    n_steps = round(model.simulation.duration_ms / dt)
    return max(m for m in range(1, bound + 1) if n_steps % m == 0)


def force_min_delay(nest: ModuleType, steps: int, dt_ms: float) -> None:
    """Make NEST's min_delay ``steps`` (or less): one connection between silent parrots."""
    pair = nest.Create("parrot_neuron", 2)
    nest.Connect(pair[0], pair[1], syn_spec={"delay": steps * dt_ms})


def spike_steps(recorder: Any, first_id: int, size: int, dt_ms: float,
                n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """A spike_recorder's spikes up to the end of the run: (neuron index, step), sorted by
    neuron then step."""
    events = in_ms(recorder.get("events"), dt_ms)
    steps = np.rint(np.asarray(events["times"], dtype=float) / dt_ms).astype(np.int64)
    neurons = np.asarray(events["senders"], dtype=np.int64) - first_id
    keep = (steps <= n_steps) & (neurons >= 0) & (neurons < size)
    order = np.lexsort((steps[keep], neurons[keep]))
    return neurons[keep][order], steps[keep][order]


def final_weights(nest: ModuleType, model: Model, nodes: dict[str, Any],
                  stdp: dict[str, tuple[str, float]], spikes: dict[str, tuple[np.ndarray, ...]]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Final weights of the stdp projections: (pre, post, weight), indices within the
    populations, sorted by post then pre, weights in the receptor's unit and sign.

    ``spikes`` holds each involved population's spikes as :func:`spike_steps` returns them."""
    dt = model.simulation.dt_ms
    n_steps = round(model.simulation.duration_ms / dt)
    out = {}
    for name, (syn_name, factor) in stdp.items():
        proj = model.projections[name]
        conns = nest.GetConnections(synapse_model=syn_name)
        if len(conns) == 0:
            empty = np.zeros(0, dtype=np.int64)
            out[name] = (empty, empty.copy(), np.zeros(0))
            continue
        got = {k: np.atleast_1d(np.asarray(v)) for k, v in
               conns.get(["source", "target", "weight", "Kplus", "delay"]).items()}
        # a population is one Create call: its node ids are contiguous
        pre = got["source"].astype(np.int64) - nodes[proj.pre][0].global_id
        post = got["target"].astype(np.int64) - nodes[proj.post][0].global_id
        delay = np.rint(got["delay"].astype(float) / dt).astype(np.int64)
        last = np.full(model.populations[proj.pre].size, -1, dtype=np.int64)
        np.maximum.at(last, *spikes[proj.pre])  # last pre spike (step) of each neuron
        weight = _owed_potentiation(proj.synapse, factor, got["weight"].astype(float),
                                    got["Kplus"].astype(float), last[pre], post, delay,
                                    spikes[proj.post], n_steps, dt)
        order = np.lexsort((pre, post))
        out[name] = (pre[order], post[order], weight[order] / factor)
    return out


def _owed_potentiation(syn: Synapse, factor: float, w: np.ndarray, kplus: np.ndarray,
                       t_last: np.ndarray, post: np.ndarray, delay: np.ndarray,
                       post_spikes: tuple[np.ndarray, ...], n_steps: int, dt: float
                       ) -> np.ndarray:
    """NEST weights (NEST units) plus the potentiation of the post spikes that reached each
    synapse after its last pre spike (step ``t_last``, -1 for none), up to the end of the
    run."""
    p = syn.params
    w_max = p["w_max"] * factor
    stride = n_steps + 1  # steps run from 1 to n_steps
    post_neurons, post_steps = post_spikes
    keys = post_neurons * stride + post_steps
    lo = np.searchsorted(keys, post * stride + np.maximum(t_last - delay, 0), side="right")
    hi = np.searchsorted(keys, post * stride + np.maximum(n_steps - delay, 0), side="right")
    count = np.where(t_last >= 0, hi - lo, 0)
    norm = w / w_max
    additive = p["weight_dependence"] == "additive"
    gain = np.zeros_like(norm) if additive else np.ones_like(norm)
    for k in range(int(count.max(initial=0))):
        sel = np.flatnonzero(count > k)
        lag = (post_steps[lo[sel] + k] + delay[sel] - t_last[sel]) * dt
        step = p["A_plus"] * kplus[sel] * np.exp(-lag / p["tau_plus"])
        if additive:
            gain[sel] += step
        else:
            gain[sel] *= np.maximum(1.0 - step, 0.0)
    norm = np.minimum(norm + gain, 1.0) if additive else 1.0 - (1.0 - norm) * gain
    return norm * w_max
