"""Projections and spike inputs of the Brian2 backend: one ``Synapses`` object per projection
and per spike input.

Timing (Brian2's schedule: start, groups, thresholds, synapses, resets, end). A neuron that
crosses threshold in step ``n`` (Brian2 stamps it ``t_n``) has the contract's spike time
``t_{n+1}``. A synaptic event executed in step ``m`` acts on the state after that step's
update, the state at ``t_{m+1}``; so with a Brian2 delay of ``D`` steps the PSP of a spike at
``T`` appears in the state at ``T + D dt``, the delay of the contract (NEST's). Spike
generators stand for neurons: a spike of the contract at ``T`` (end of its step) is emitted in
step ``T/dt - 1`` (spike times must be at least one step).

``IF_curr_delta`` targets (NEST's iaf_psc_delta): the jump must act before the threshold of
its step, so that a jump reaching threshold fires in the step it arrives. Their pathways run
in the ``before_thresholds`` slot, where they push the spikes of the previous step: the Brian2
delay is one step shorter. A jump is multiplied by ``not_refractory``: inputs arriving during
the refractory period are lost (the ``tau_refrac + dt`` count of translate.py makes the lost
arrivals exactly NEST's).

Synapse types, exactly as :mod:`mnsim.catalogue.synapses` defines them:

* ``static``: ``target += w``; ``w`` a shared constant when all weights are equal.
* ``tsodyks_markram``: per synapse ``x`` (1), ``u`` (0) and the step of the last spike; at a
  spike (h after the previous) ``x <- 1 + (x - x u - 1) exp(-h/tau_rec)``, ``u <- U + u (1 -
  U) exp(-h/tau_facil)`` (``U`` when ``tau_facil = 0``), then ``target += w u x``.
* ``stdp``: the delay is dendritic (NEST): a presynaptic spike at ``t_pre`` meets
  postsynaptic spikes at ``t_post + d`` and the PSP arrives at ``t_pre + d``. Everything is
  shifted by ``d``: the ``pre`` pathway (delay ``d``) depresses, delivers the depressed weight
  and increments K+ at ``t_pre + d``; the ``post`` pathway (delay ``2 d``) potentiates and
  increments K- at ``t_post + 2 d``. Pairings with equal times count neither way, as in NEST:
  the ``post`` pathway runs before the ``pre`` one in a step (so K+ at a post event excludes
  a simultaneous pre spike, and facilitation comes before depression), and K- at a pre
  event excludes a post event of the same step. Times are kept in integer steps, so the
  comparisons are exact. Events later than the end of the run (``t_pre`` or ``t_post + d``
  within the last ``d``) are not applied to the final weights.

Connectivity: ``shared`` builds :func:`mnsim.draw.connections` with ``connect(i=, j=)`` and
sets the drawn weights and delays. Static projections between the same two groups onto the
same target variable share one ``Synapses`` (Brian2 calls every object each step, a few
microseconds each whatever its work: Brette's CUBA network with four projections ran 18 %
slower than hand-written code with one ``Synapses`` per receptor; fused, it runs as fast).
``native`` uses Brian2's rules, one ``Synapses`` per projection: ``connect(p=)``,
``connect(i='k for k in sample(N_pre, size=n)')`` (in-degree), ``connect(j=...)``
(out-degree), ``condition='i != j'`` or a sample of ``N - 1`` shifted past oneself without
autapses; weights and delays from Brian2's ``randn()``/``rand()``, values outside the bounds
redrawn. Brian2 has no rule for ``fixed_total_number`` or for fixed degrees with multapses:
those connections come from the mnsim draw (weights and delays still Brian2's).

Poisson inputs, ``native``: with a static synapse and one weight, delay and rate, Brian2's
``PoissonInput`` mechanism (written out as a ``run_regularly`` with a ``BinomialFunction`` of
fixed name, as ``PoissonInput``'s own numbered name defeats the compiled-code cache): each
step adds ``w`` times a Binomial(N, rate dt / N) count (N such that rate dt / N <= 0.001:
Poisson within 0.1 % of its variance) in the slot of the target's synaptic events. It has no
delay: its window is shifted by the delay instead ([start, stop) + delay), which for a
stationary process is the same input. Otherwise one source per target draws a Poisson count
per step (``poisson(rate dt)``), fires when it is positive and the static synapse delivers
``w`` times the count; the count must be read in the step it was drawn, so the pathway has no
delay and each source's window is shifted by its synapse's delay. Plastic synapses take
``PoissonGroup``'s rule (a spike when ``rand() < rate dt``, at most one per step; refused
when rate dt > 0.1). ``shared``: the drawn trains are played by a ``SpikeGeneratorGroup``; a
time held ``c`` times by a train (several spikes in one step) is delivered ``c`` times
through ``c`` layers of generator neurons (exact for static synapses; plastic synapses refuse
such trains with a clear error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim import draw
from mnsim.backends.brian2.currents import step_index
from mnsim.backends.brian2.native import connect_native, homogeneous, native_rule, native_values
from mnsim.backends.brian2.synapses import (
    make_synapses,
    pathway_steps,
    receptor_target,
    set_values,
    slot,
)
from mnsim.backends.brian2.translate import CELL_MODELS
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec.model import Distribution

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Population, Projection, Stimulus

SPIKE_INPUTS = frozenset({"poisson", "spike_times"})
_P_SOURCE = 1e-3  # the spike probability per step of one PoissonInput source


@dataclass
class Network:
    """The Brian2 objects of the projections and spike inputs."""

    objects: list[Any]
    stdp: dict[str, tuple[Any, int, int]]  # projection -> (Synapses, pre offset, post offset)
    # subgroups: Brian2 objects refer to them weakly, and read S.i, S.j through them
    subgroups: list[Any]


# -- PoissonInput (native, static, homogeneous) ----------------------------------------------
def fast_poisson(stim: Stimulus, model: Model) -> bool:
    """Whether spike input ``stim`` is a ``PoissonInput``: native mode, a static synapse, one
    weight, one delay and one rate."""
    syn = stim.synapse
    return (model.connectivity == "native" and stim.type == "poisson" and syn is not None
            and syn.type == "static" and not isinstance(syn.weight, Distribution)
            and not isinstance(syn.delay_ms, Distribution)
            and np.ptp(np.atleast_1d(np.asarray(stim.values["rate"], float))) == 0)


def poisson_input_lines(parts: list[tuple[Population, int]],
                        model: Model) -> tuple[str, dict[str, Any]]:
    """Shared variables of the ``PoissonInput`` objects onto the populations ``parts`` of a
    group: their weight and the steps in which their (delayed) spikes arrive (``inp<k>_``,
    ``k`` the stimulus' position in the model)."""
    lines, values = [], {}
    dt = model.simulation.dt_ms
    names = {pop.name for pop, _ in parts}
    for k, stim in enumerate(model.stimuli.values()):
        if stim.target not in names or not fast_poisson(stim, model):
            continue
        p = f"inp{k}_"
        delay = int(round(draw.on_grid(np.array([stim.synapse.delay_ms]), dt)[0] / dt))
        lines += [f"{p}w : 1 (constant, shared)", f"{p}on : integer (constant, shared)",
                  f"{p}off : integer (constant, shared)"]
        values.update({f"{p}w": float(stim.synapse.weight),
                       f"{p}on": step_index(stim.values["start"], dt) + delay,
                       f"{p}off": step_index(stim.values["stop"], dt) + delay})
    return "".join("\n" + line for line in lines), values


# -- building --------------------------------------------------------------------------------
def build_network(model: Model, where: dict[str, tuple[Any, int]]) -> Network:
    """Create the ``Synapses`` (and input groups) of every projection and spike input.
    ``where[population]`` is its group and the index of its first neuron there."""
    objects: list[Any] = []
    stdp: dict[str, tuple[Any, int, int]] = {}
    subgroups: list[Any] = []
    dt = model.simulation.dt_ms

    def part(name: str, rng: tuple[int, int]) -> Any:
        group, offset = where[name]
        lo, hi = rng[0] + offset, rng[1] + offset
        if (lo, hi) == (0, len(group)):
            return group
        subgroups.append(group[lo:hi])
        return subgroups[-1]

    for proj in model.projections.values():
        if "multicompartment" in (model.populations[proj.post].cell.type,
                                  model.populations[proj.pre].cell.type):
            raise CapabilityError(f"projection '{proj.name}': projections to or from a "
                                  f"multicompartment population are not supported")
    fused = _fused(model, where) if model.connectivity == "shared" else {}
    for k, proj in enumerate(model.projections.values()):
        post = model.populations[proj.post]
        if proj.name in fused:
            if fused[proj.name]:  # the first of its set builds them all
                objects.append(_fuse(fused[proj.name], model, where, f"mnsim_p{k}"))
            continue
        source, target = part(proj.pre, proj.pre_range), part(proj.post, proj.post_range)
        args = (source, target, post, proj.synapse, proj.receptor,
                f"projection '{proj.name}'", dt, f"mnsim_p{k}")
        table = proj.connector.table or {}
        if model.connectivity == "native" and native_rule(proj):
            made = make_synapses(*args, *homogeneous(proj.synapse))
            connect_native(made.S, proj)
            native_values(made, proj.synapse, dt)
        elif model.connectivity == "native":  # Brian2 has no rule: mnsim's pairs
            c = draw.connections(model, proj.name)
            made = make_synapses(*args, *homogeneous(proj.synapse, table))
            made.S.connect(i=c.pre - proj.pre_range[0], j=c.post - proj.post_range[0])
            native_values(made, proj.synapse, dt, table)
        else:
            c = draw.connections(model, proj.name)
            made = make_synapses(*args, _same(c.weight), _same(c.delay_ms))
            made.S.connect(i=c.pre - proj.pre_range[0], j=c.post - proj.post_range[0])
            set_values(made, c.weight, c.delay_ms, dt)
        objects.append(made.S)
        if proj.synapse.type == "stdp":
            stdp[proj.name] = (made.S, proj.pre_range[0], proj.post_range[0])
    for k, stim in enumerate(model.stimuli.values()):
        # inputs onto a multicompartment cell reach its synapses (cable.py)
        if (stim.type in SPIKE_INPUTS
                and model.populations[stim.target].cell.type != "multicompartment"):
            objects += _spike_input(k, stim, model, part(stim.target, stim.target_range))
    return Network(objects, stdp, subgroups)


def _fused(model: Model, where: dict[str, tuple[Any, int]]) -> dict[str, list[Projection]]:
    """Static projections (shared mode) that one ``Synapses`` can hold: same source group,
    target group and target variable. Each object Brian2 calls costs some microseconds per
    step whatever its work (an E/I network of 4 projections ran 18 % slower than the same
    network written with one Synapses per receptor). Returns projection -> the projections
    of its set for the first of a set of two or more, [] for the others."""
    sets: dict[tuple[Any, ...], list[Projection]] = {}
    for proj in model.projections.values():
        if proj.synapse.type != "static":
            continue
        post = model.populations[proj.post]
        var = CELL_MODELS[post.cell.type].receptors.get(proj.receptor)
        key = (id(where[proj.pre][0]), id(where[proj.post][0]), var)
        sets.setdefault(key, []).append(proj)
    out: dict[str, list[Projection]] = {}
    for members in sets.values():
        if len(members) > 1:
            out.update({p.name: [] for p in members})
            out[members[0].name] = members
    return out


def _fuse(projs: list[Projection], model: Model, where: dict[str, tuple[Any, int]],
          name: str) -> Any:
    """One ``Synapses`` between whole groups holding the drawn connections of ``projs``."""
    dt = model.simulation.dt_ms
    drawn = [draw.connections(model, p.name) for p in projs]
    pre = np.concatenate([c.pre + where[p.pre][1] for p, c in zip(projs, drawn)])
    post = np.concatenate([c.post + where[p.post][1] for p, c in zip(projs, drawn)])
    weight = np.concatenate([c.weight for c in drawn])
    delay = np.concatenate([c.delay_ms for c in drawn])
    first = projs[0]
    where_text = "projections " + ", ".join(f"'{p.name}'" for p in projs)
    made = make_synapses(where[first.pre][0], where[first.post][0],
                         model.populations[first.post], first.synapse, first.receptor,
                         where_text, dt, name, _same(weight), _same(delay))
    made.S.connect(i=pre, j=post)
    set_values(made, weight, delay, dt)
    return made.S


def final_weights(net: Network) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The weights of every stdp projection: (pre, post, weight), sorted by post then pre."""
    out = {}
    for name, (S, pre0, post0) in net.stdp.items():
        pre = np.asarray(S.i[:], dtype=np.int64) + pre0
        post = np.asarray(S.j[:], dtype=np.int64) + post0
        weight = np.asarray(S.w_[:], dtype=float)
        order = np.lexsort((pre, post))
        out[name] = (pre[order], post[order], weight[order])
    return out


def _spike_input(k: int, stim: Stimulus, model: Model, target: Any) -> list[Any]:
    """The objects of spike input ``stim`` onto ``target`` (its neurons): a PoissonInput, or a
    source and its Synapses."""
    import brian2

    pop = model.populations[stim.target]
    cm = CELL_MODELS[pop.cell.type]
    where = f"stimulus '{stim.name}'"
    dt = model.simulation.dt_ms
    if fast_poisson(stim, model):
        # Brian2's PoissonInput (a binomial count added to the target each step), written
        # out with a fixed name for the binomial function: PoissonInput numbers its function
        # anew in each build, which defeats the compiled-code cache (seconds per build)
        p = f"inp{k}_"
        var, unit = receptor_target(cm, pop.cell.type, stim.receptor, where)
        rate = float(np.ravel(stim.values["rate"])[0])
        # N sources of rate/N: a binomial count per step, within 0.1 % of Poisson's variance
        n = max(1, int(np.ceil(rate * dt * 1e-3 / _P_SOURCE)))
        name = f"mnsim_s{k}_binomial"
        target.namespace[name] = brian2.BinomialFunction(n, rate / n * dt * 1e-3, name=name)
        gate = "*int(not_refractory)" if cm.delta else ""
        target.run_regularly(
            f"{var} += {name}()*{p}w*{unit}*int(t_in_timesteps >= {p}on and "
            f"t_in_timesteps < {p}off){gate}", when=slot(cm), name=f"mnsim_s{k}_poisson")
        return []
    source, layers = _input_source(k, stim, model)
    if layers > 1 and stim.synapse.type != "static":
        raise SimulationError(
            f"{where}: its trains hold a time up to {layers} times (several spikes of one "
            f"source in one time step), which a {stim.synapse.type} synapse cannot receive on "
            f"the brian2 backend; use a static synapse, a lower rate or a smaller dt")
    i = np.arange(layers * stim.size, dtype=np.int64)  # layer l, source s: l*size + s
    j = i % stim.size
    args = (source, target, pop, stim.synapse, stim.receptor, where, dt, f"mnsim_s{k}")
    if model.connectivity == "native":
        counted = stim.type == "poisson" and stim.synapse.type == "static"
        weight, delay = homogeneous(stim.synapse)
        made = make_synapses(*args, weight, None if counted else delay,
                             times="count_pre" if counted else "")
        made.S.connect(i=i, j=j)
        native_values(made, stim.synapse, dt, layers=layers)
        if counted:
            # the count of a step must reach the target with its spike: each source is
            # shifted by its delay instead (a stationary process: the same statistics)
            shift = (np.full(stim.size, pathway_steps(delay, dt, cm)[0]) if delay is not None
                     else np.rint(np.asarray(made.S.delay_[:]) / (dt * 1e-3)).astype(int))
            made.S.pre.delay_[:] = 0.0
            source.on_[:] = source.on_[:] + shift
            source.off_[:] = source.off_[:] + shift
    else:
        c = draw.input_connections(model, stim)
        made = make_synapses(*args, _same(c.weight), _same(c.delay_ms))
        made.S.connect(i=i, j=j)
        set_values(made, np.tile(c.weight, layers), np.tile(c.delay_ms, layers), dt)
    return [source, made.S]


def _input_source(k: int, stim: Stimulus, model: Model) -> tuple[Any, int]:
    """The spike source of a spike input and its number of layers (see the module doc)."""
    import brian2

    dt = model.simulation.dt_ms
    name = f"mnsim_s{k}_source"
    if stim.type == "poisson" and model.connectivity == "native":
        rates = np.broadcast_to(np.asarray(stim.values["rate"], float), (stim.size,))
        window = "int(t_in_timesteps >= on and t_in_timesteps < off)"
        eqs = ("rate : Hz (constant)\non : integer (constant, shared)\n"
               "off : integer (constant, shared)")
        if stim.synapse.type == "static":  # a Poisson count per step, delivered times count
            group = brian2.NeuronGroup(
                stim.size, eqs.replace("(constant, shared)", "(constant)") + "\ncount : integer",
                threshold="count > 0", reset="", namespace={}, name=name)
            # drawn just before the group's threshold, read by the (undelayed) pathway before
            # the next draw
            group.run_regularly(f"count = poisson(rate*dt)*{window}", when="thresholds",
                                order=-1, name=f"{name}_draw")
        else:  # PoissonGroup's rule: at most one spike per step
            if np.max(rates, initial=0.0) * dt * 1e-3 > 0.1:
                raise SimulationError(
                    f"stimulus '{stim.name}': a {stim.synapse.type} synapse takes one spike "
                    f"per step from a Brian2 Poisson source, but rate x dt reaches "
                    f"{np.max(rates) * dt * 1e-3:.3g} (several spikes per step are likely); "
                    f"use a lower rate, a smaller dt or the shared connectivity")
            group = brian2.NeuronGroup(stim.size, eqs, threshold=f"rand() < rate*dt*{window}",
                                       reset="", namespace={}, name=name)
        group.rate_[:] = rates
        group.on_ = step_index(stim.values["start"], dt)
        group.off_ = step_index(stim.values["stop"], dt)
        return group, 1
    trains = (draw.poisson_trains(model, stim) if stim.type == "poisson"
              else list(stim.values["times"]))
    counts = np.array([len(t) for t in trains], dtype=np.int64)
    source = np.repeat(np.arange(stim.size, dtype=np.int64), counts)
    steps = (np.rint(np.concatenate(trains) / dt).astype(np.int64) if counts.sum()
             else np.zeros(0, np.int64))
    if steps.size and steps.min() < 1:
        raise SimulationError(f"stimulus '{stim.name}': a spike time is below one time step "
                              f"({dt:g} ms); a spike counts at the end of its step")
    order = np.lexsort((steps, source))
    source, steps = source[order], steps[order]
    first = np.ones(steps.size, bool)  # first event of its (source, step)
    first[1:] = (source[1:] != source[:-1]) | (steps[1:] != steps[:-1])
    rank = np.arange(steps.size) - np.maximum.accumulate(np.where(first, np.arange(steps.size),
                                                                  0))
    layers = int(rank.max()) + 1 if rank.size else 1
    # a spike at the end of step s is emitted in step s - 1 (Brian2's stamp)
    group = brian2.SpikeGeneratorGroup(layers * stim.size, rank * stim.size + source,
                                       (steps - 1) * dt * brian2.ms, name=name)
    return group, layers


def _same(values: np.ndarray) -> float | None:
    """The common value of ``values``, or None when they differ (or there are none)."""
    return float(values[0]) if values.size and np.all(values == values[0]) else None
