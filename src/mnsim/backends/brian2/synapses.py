"""Brian2 ``Synapses`` of the catalogue's synapse types (static, tsodyks_markram, stdp).

The weight ``w`` is held in the receptor's catalogue unit (uS, nA or mV, sign included) and
multiplied by that unit when delivered, so the final stdp weights need no conversion. Onto a
receptor with a presynaptic factor (``CellModel.presynaptic``: the NMDA jump of
``IF_cond_bw2001``) an event delivers the weight times that variable of the source neuron. Type
parameters are shared constants of the ``Synapses`` object; numbers never enter the code.
The timing (pathway slots and delays) is explained in :mod:`mnsim.backends.brian2.network`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mnsim.backends.brian2.translate import CELL_MODELS, CellModel
from mnsim.errors import CapabilityError

if TYPE_CHECKING:
    from mnsim.spec.model import Population, Synapse

SYNAPSE_TYPES = frozenset({"static", "tsodyks_markram", "stdp"})


@dataclass
class Made:
    """A created ``Synapses`` object and what setting its per-synapse values needs."""

    S: Any
    type: str
    cm: CellModel
    shared_weight: bool
    shared_delay: bool
    shared: dict[str, float]  # shared constants, set after connect


def receptor_target(cm: CellModel, cell_type: str, receptor: str, where: str) -> tuple[str, str]:
    """(Brian2 variable, unit) that an event onto ``receptor`` of ``cell_type`` changes."""
    if receptor not in cm.receptors:
        raise CapabilityError(f"{where}: cell type {cell_type} has no receptor '{receptor}' "
                              f"(it has: {', '.join(cm.receptors) or 'none'})")
    return cm.receptors[receptor]


def slot(cm: CellModel) -> str:
    """The scheduling slot of events onto cells of model ``cm``."""
    return "before_thresholds" if cm.delta else "synapses"


def make_synapses(source: Any, target: Any, post: Population, syn: Synapse, receptor: str,
                  where: str, dt_ms: float, name: str, weight: float | None,
                  delay_ms: float | None, times: str = "") -> Made:
    """A ``Synapses`` of ``syn``'s type onto ``receptor`` of ``post``'s cells. ``weight`` and
    ``delay_ms`` are the common values of all synapses, or None (set per synapse later by
    :func:`set_values`); ``times`` multiplies a static event (a count of spikes)."""
    import brian2

    cm = CELL_MODELS[post.cell.type]
    var, unit = receptor_target(cm, post.cell.type, receptor, where)
    gate = "*int(not_refractory_post)" if cm.delta else ""  # lost while refractory
    if receptor in cm.presynaptic:  # the weight times a presynaptic variable (NMDA jump)
        gate += f"*{cm.presynaptic[receptor]}_pre"
    gate += f"*{times}" if times else ""
    shared_w = weight is not None and syn.type != "stdp"
    model = ["w : 1" if syn.type == "stdp" else
             f"w : 1 ({'constant, shared' if shared_w else 'constant'})"]
    shared: dict[str, float] = {"w": weight} if shared_w else {}
    on_post = None
    p = syn.params
    if syn.type == "static":
        on_pre = f"{var}_post += w*{unit}{gate}"
    elif syn.type == "tsodyks_markram":
        model += ["tm_x : 1", "tm_u : 1", "tm_k : integer", "tm_U : 1 (constant, shared)",
                  "tm_tau_rec : second (constant, shared)"]
        shared.update(tm_U=float(p["U"]), tm_tau_rec=float(p["tau_rec"]) * 1e-3)
        facil = float(p.get("tau_facil", 0.0))
        u_rule = "tm_u = tm_U"  # tau_facil = 0 (exp(-h/0) would be 0/0 for h = 0)
        if facil > 0:
            model.append("tm_tau_facil : second (constant, shared)")
            shared["tm_tau_facil"] = facil * 1e-3
            u_rule = "tm_u = tm_U + tm_u*(1 - tm_U)*exp(-tm_h/tm_tau_facil)"
        on_pre = "\n".join([
            "tm_h = (t_in_timesteps - tm_k)*dt",
            "tm_x = 1 + (tm_x - tm_x*tm_u - 1)*exp(-tm_h/tm_tau_rec)", u_rule,
            f"{var}_post += w*tm_u*tm_x*{unit}{gate}", "tm_k = t_in_timesteps"])
    elif syn.type == "stdp":
        on_pre, on_post = _stdp(p, model, shared, f"{var}_post += w*{unit}{gate}")
    else:
        raise CapabilityError(f"{where}: the brian2 backend does not support synapse type "
                              f"{syn.type}")
    delay: dict[str, Any] = {}
    if delay_ms is not None:
        pre_steps, post_steps = pathway_steps(delay_ms, dt_ms, cm)
        delay["pre"] = float(pre_steps) * dt_ms * brian2.ms
        if on_post is not None:
            delay["post"] = float(post_steps) * dt_ms * brian2.ms
    S = brian2.Synapses(source, target, "\n".join(model), on_pre=on_pre, on_post=on_post,
                        delay=delay, namespace={}, name=name)
    for path in S._pathways:
        path.when = slot(cm)
    if on_post is not None:
        S.post.order = S.pre.order - 1  # facilitation before depression within a step
    return Made(S, syn.type, cm, shared_w, delay_ms is not None, shared)


def _stdp(p: Any, model: list[str], shared: dict[str, float],
          deliver: str) -> tuple[str, str]:
    """on_pre and on_post of the catalogue's pair-based STDP (traces in integer steps)."""
    model += ["sp_Kp : 1", "sp_Km : 1", "sp_kp : integer", "sp_kq : integer",
              "sp_tau_plus : second (constant, shared)",
              "sp_tau_minus : second (constant, shared)",
              "sp_A_plus : 1 (constant, shared)", "sp_A_minus : 1 (constant, shared)",
              "sp_w_min : 1 (constant, shared)", "sp_w_max : 1 (constant, shared)"]
    shared.update(sp_tau_plus=float(p["tau_plus"]) * 1e-3,
                  sp_tau_minus=float(p["tau_minus"]) * 1e-3, sp_A_plus=float(p["A_plus"]),
                  sp_A_minus=float(p["A_minus"]), sp_w_min=float(p.get("w_min", 0.0)),
                  sp_w_max=float(p["w_max"]))
    additive = p.get("weight_dependence", "additive") == "additive"
    up = "sp_w_max" if additive else "(sp_w_max - w)"
    down = "sp_w_max" if additive else "(w - sp_w_min)"
    # K+ at a post event: pre events of earlier steps only (the pre pathway of this step
    # runs after); K- at a pre event: minus the post event of this step, if any
    on_post = "\n".join([
        "sp_now = sp_Kp*exp(-(t_in_timesteps - sp_kp)*dt/sp_tau_plus)",
        f"w = clip(w + sp_A_plus*{up}*sp_now, sp_w_min, sp_w_max)",
        "sp_Km = sp_Km*exp(-(t_in_timesteps - sp_kq)*dt/sp_tau_minus) + 1",
        "sp_kq = t_in_timesteps"])
    on_pre = "\n".join([
        "sp_now = (sp_Km - int(t_in_timesteps == sp_kq))"
        "*exp(-(t_in_timesteps - sp_kq)*dt/sp_tau_minus)",
        f"w = clip(w - sp_A_minus*{down}*sp_now, sp_w_min, sp_w_max)", deliver,
        "sp_Kp = sp_Kp*exp(-(t_in_timesteps - sp_kp)*dt/sp_tau_plus) + 1",
        "sp_kp = t_in_timesteps"])
    return on_pre, on_post


def pathway_steps(delay_ms: Any, dt_ms: float, cm: CellModel) -> tuple[Any, Any]:
    """Brian2 delays (in steps) of the pre and post pathways for the contract's delays."""
    steps = np.maximum(np.rint(np.asarray(delay_ms, float) / dt_ms), 1).astype(np.int64)
    late = 1 if cm.delta else 0  # delta pathways push the previous step's spikes
    return steps - late, 2 * steps - late


def set_values(made: Made, weight: np.ndarray | None, delay_ms: np.ndarray | None,
               dt_ms: float) -> None:
    """Initial per-synapse state, and the weights and delays that are not shared (None: set
    elsewhere). Call after ``connect``."""
    S = made.S
    for key, value in made.shared.items():
        setattr(S, f"{key}_", value)
    if made.type == "tsodyks_markram":
        S.tm_x_[:] = 1.0
        S.tm_u_[:] = 0.0
    elif made.type == "stdp":
        S.sp_kp_[:] = -1  # no spike yet: a step that never equals one of the run
        S.sp_kq_[:] = -1
    if weight is not None and not made.shared_weight:
        S.w_[:] = weight
    if delay_ms is not None and not made.shared_delay:
        set_delays(made, delay_ms, dt_ms)


def set_delays(made: Made, delay_ms: np.ndarray, dt_ms: float) -> None:
    """Per-synapse delays (ms, the contract's) on the pathways."""
    pre, post = pathway_steps(delay_ms, dt_ms, made.cm)
    made.S.pre.delay_[:] = pre * dt_ms * 1e-3
    if made.type == "stdp":
        made.S.post.delay_[:] = post * dt_ms * 1e-3
