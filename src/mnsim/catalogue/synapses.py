"""Standard synapse types (the dynamics of one connection) and connectors (who connects to
whom). Fields map a name to (unit, default or None when required)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynapseType:
    name: str
    doc: str
    fields: dict[str, tuple[str, str | None]]
    choices: dict[str, tuple[str, ...]]  # text fields and their allowed values


STATIC = SynapseType(
    name="static",
    doc="A fixed weight, delivered after the delay.",
    fields={}, choices={})

TSODYKS_MARKRAM = SynapseType(
    name="tsodyks_markram",
    doc="Short-term depression and facilitation (Tsodyks & Markram 1997; Markram et al. 1998; "
        "NEST's tsodyks2_synapse). Before the first spike x = 1, u = 0. At each presynaptic "
        "spike, h after the previous one: x <- 1 + (x - x u - 1) exp(-h / tau_rec); "
        "u <- U + u (1 - U) exp(-h / tau_facil) (u <- U when tau_facil = 0); the delivered "
        "weight is weight * u * x.",
    fields={"U": ("1", "0.5"), "tau_rec": ("ms", "800 ms"), "tau_facil": ("ms", "0 ms")},
    choices={})

STDP = SynapseType(
    name="stdp",
    doc="Pair-based STDP with all-to-all spike pairing (Song et al. 2000; NEST's "
        "stdp_synapse; PyNN's SpikePairRule). Traces: K+ jumps by 1 at each presynaptic spike "
        "and decays with tau_plus, K- jumps by 1 at each postsynaptic spike and decays with "
        "tau_minus. The delay is dendritic (NEST's convention): a presynaptic spike at t_pre "
        "meets postsynaptic spikes t_post + delay. At a presynaptic spike the weight is "
        "depressed by A_minus * K- * (w_max if additive, else (w - w_min)); at a postsynaptic "
        "spike potentiated by A_plus * K+ * (w_max if additive, else (w_max - w)); then clipped "
        "to [w_min, w_max]. The spike is delivered with the weight after depression.",
    fields={"tau_plus": ("ms", "20 ms"), "tau_minus": ("ms", "20 ms"), "A_plus": ("1", "0.01"),
            "A_minus": ("1", "0.01"), "w_min": ("weight", "0"), "w_max": ("weight", None)},
    choices={"weight_dependence": ("additive", "multiplicative")})

SYNAPSE_TYPES: dict[str, SynapseType] = {t.name: t for t in (STATIC, TSODYKS_MARKRAM, STDP)}


@dataclass(frozen=True)
class ConnectorType:
    name: str
    doc: str
    fields: dict[str, str]  # field -> "probability", "count" or "connections"


CONNECTORS: dict[str, ConnectorType] = {c.name: c for c in (
    ConnectorType("all_to_all", "every pre neuron to every post neuron", {}),
    ConnectorType("one_to_one", "pre i to post i (both sides the same size)", {}),
    ConnectorType("fixed_probability", "each pair independently with probability p",
                  {"p": "probability"}),
    ConnectorType("fixed_indegree", "each post neuron gets k distinct pre neurons",
                  {"k": "count"}),
    ConnectorType("fixed_outdegree", "each pre neuron targets k distinct post neurons",
                  {"k": "count"}),
    ConnectorType("fixed_total_number", "n connections drawn uniformly among all pairs, "
                                        "without repeats", {"n": "count"}),
    ConnectorType("from_list", "explicit connections: a list of [pre, post] or [pre, post, "
                               "weight, delay] rows, or a CSV/NPZ file of the columns pre, post "
                               "(weight, delay)", {"connections": "connections"}),
)}
