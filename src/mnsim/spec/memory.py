"""Refusing a network that would not fit in memory, before anything is built.

The estimate counts what the largest of the three simulators keeps per synapse, per neuron,
per spike input event and per recorded sample, plus what mnsim draws in the shared mode. It is
deliberately generous: a refusal says how to get under the limit.
"""

from __future__ import annotations

import os

from mnsim.spec.cable import CableCell
from mnsim.spec.context import Context
from mnsim.spec.model import Model, Projection

BYTES_PER_SYNAPSE = 250  # NEURON NetCon ~200 B; NEST/Brian2 ~60-100 B; + mnsim's arrays 32 B
BYTES_PER_NEURON = 20_000  # a NEURON section with a point process and recorders
BYTES_PER_COMPARTMENT = 2_000  # a NEURON segment or Brian2 compartment with hh and pas
BYTES_PER_EVENT = 24  # a drawn input spike, held by mnsim and by the simulator's generator
BYTES_PER_SAMPLE = 16  # a recorded value, in the simulator and in the returned array
LIMIT_ENV = "MNSIM_MEMORY_LIMIT_GB"  # overrides the limit (e.g. on a cluster node)


def expected_synapses(proj: Projection) -> float:
    c, n_pre, n_post = proj.connector, proj.n_pre, proj.n_post
    return {"all_to_all": n_pre * n_post, "one_to_one": n_pre,
            "fixed_probability": (c.p or 0.0) * n_pre * n_post,
            "fixed_indegree": (c.n or 0) * n_post, "fixed_outdegree": (c.n or 0) * n_pre,
            "fixed_total_number": c.n or 0,
            "from_list": len(c.table["pre"]) if c.table is not None else 0}[c.rule]


def estimate_bytes(model: Model) -> dict[str, float]:
    """Estimated memory of ``model`` by part (bytes)."""
    sim = model.simulation
    synapses = sum(expected_synapses(p) for p in model.projections.values())
    synapses += sum(s.size for s in model.stimuli.values() if s.synapse is not None)
    events = 0.0
    noise = 0.0
    for s in model.stimuli.values():
        window_s = (s.values.get("stop", sim.duration_ms) - s.values.get("start", 0.0)) * 1e-3
        if s.type == "poisson" and model.connectivity == "shared":
            events += float(sum(s.values["rate"])) * window_s
        if s.type in ("ou_current", "noise_current"):
            noise += s.size * window_s * 1e3 / sim.dt_ms * 8 * 2
    samples = sum((len(r.locations) or len(r.indices)) * len(r.signals) * sim.duration_ms
                  / r.interval_ms for r in model.record.values())
    neurons = 0.0
    for p in model.populations.values():
        if isinstance(p.cell, CableCell):
            neurons += BYTES_PER_NEURON + sum(p.cell.segment_counts) * BYTES_PER_COMPARTMENT
        else:
            neurons += p.size * BYTES_PER_NEURON
    return {"synapses": synapses * BYTES_PER_SYNAPSE,
            "neurons": neurons,
            "input spikes": events * BYTES_PER_EVENT,
            "noise currents": noise,
            "recorded signals": samples * BYTES_PER_SAMPLE}


def limit_bytes() -> float:
    """The memory a run may use: $MNSIM_MEMORY_LIMIT_GB, else 80 % of the available memory."""
    if os.environ.get(LIMIT_ENV):
        return float(os.environ[LIMIT_ENV]) * 1e9
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return 0.8 * int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 0.8 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(model: Model, ctx: Context) -> None:
    parts = estimate_bytes(model)
    total, limit = sum(parts.values()), limit_bytes()
    if total <= limit:
        return
    detail = ", ".join(f"{k} {v / 1e9:.2f} GB" for k, v in parts.items() if v > 0.01 * total)
    hint = {"synapses": "reduce the network or its connection probability",
            "input spikes": "use `compare: {connectivity: native}` (the simulators' own Poisson "
                            "generators) or fewer input spikes",
            "recorded signals": "record fewer neurons ('first:') or sample less often "
                                "('interval:')",
            "noise currents": "shorten the run or target fewer neurons",
            "neurons": "reduce the population sizes"}[max(parts, key=parts.get)]
    ctx.fail((), f"this model needs about {total / 1e9:.1f} GB ({detail}), more than the "
                 f"{limit / 1e9:.1f} GB available (set {LIMIT_ENV} to change the limit); "
                 f"{hint}")
