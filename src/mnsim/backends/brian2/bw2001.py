"""``IF_cond_bw2001`` in Brian2: the Brunel & Wang (2001) / Wang (2002) neuron exactly as the
catalogue (and NEST's ``iaf_bw_2001``) defines it, NMDA approximation included.

Membrane and conductances (``s_*`` hold the conductances in siemens: the weights are the
peak conductances, as in NEST)::

    c_m dv/dt = g_L (v_rest - v) + s_AMPA (e_rev_E - v) + s_NMDA (e_rev_E - v) B(v)
                + s_GABA (e_rev_I - v) + i_stim,     B(v) = 1 / (1 + [Mg] exp(-0.062 v/mV) / 3.57)
    ds_X/dt = -s_X / tau_X                            (tau_decay_NMDA for s_NMDA)

integrated with ``rk4`` (v is not conditionally linear: the magnesium block; NEST uses
adaptive RKF45). ``v`` is held at ``v_reset`` for ``tau_refrac`` after a spike, counted as for
the other LIF cells (``tau_refrac + dt`` in Brian2's stamps, see ``translate.py``).

NMDA, NEST's definition rather than a ``(summed)`` variable over synapses. Each neuron keeps
its trace ``nmda_S`` and the time ``nmda_t`` of its last spike; its reset computes the jump
of the spike, ``nmda_jump = k0 + k1 S`` with ``S`` decayed to the spike time, and adds it to
the trace. A synapse onto the NMDA receptor delivers ``w * nmda_jump_pre`` (the
``presynaptic`` factor of the cell model): the sum over presynaptic neurons of weight x trace,
which is what the summed-variable trick computes, but with the catalogue's jump rule instead
of the exact two-variable gating, so that Brian2 and NEST run the same model. Brian2 reads
``nmda_jump_pre`` when the spike is delivered, not when it was emitted: exact as long as the
neuron cannot spike again in between, i.e. for NMDA delays up to ``tau_refrac + dt`` of the
presynaptic neurons (Wang 2002: 0.5 ms against 1-2 ms). Longer delays are refused
(:func:`check_nmda_delays`).

``k0`` and ``k1`` are computed here (scipy's regularised incomplete gamma function times
``gamma``, Boost's ``tgamma_lower`` in NEST) and enter the group as constants.

Brian2 is not imported here (plain data, and :func:`check_nmda_delays`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnsim.errors import CapabilityError
from mnsim.spec.model import Distribution

if TYPE_CHECKING:
    from mnsim.spec.model import Model, Value

_MV, _MS, _NF, _US = 1e-3, 1e-3, 1e-9, 1e-6  # SI value of one catalogue unit

EQUATIONS = """
dv/dt = (g_L*(v_rest - v) + s_AMPA*(e_rev_E - v) + s_NMDA*(e_rev_E - v)*mg_block
         + s_GABA*(e_rev_I - v) + i_stim)/c_m : volt (unless refractory)
ds_AMPA/dt = -s_AMPA/tau_AMPA : siemens
ds_NMDA/dt = -s_NMDA/tau_decay_NMDA : siemens
ds_GABA/dt = -s_GABA/tau_GABA : siemens
mg_block = 1/(1 + conc_Mg2*exp(-0.062*v/mV)/3.57) : 1
g_L = c_m/tau_m : siemens
c_m : farad (constant)
tau_m : second (constant)
v_rest : volt (constant)
v_reset : volt (constant)
v_thresh : volt (constant)
tau_refrac : second (constant)
e_rev_E : volt (constant)
e_rev_I : volt (constant)
tau_AMPA : second (constant)
tau_GABA : second (constant)
tau_decay_NMDA : second (constant)
conc_Mg2 : 1 (constant)
nmda_k0 : 1 (constant)
nmda_k1 : 1 (constant)
nmda_S : 1
nmda_jump : 1
nmda_t : second
"""

# the trace decays from the previous spike (nmda_S = 0 before the first: nmda_t is unused)
RESET = """v = v_reset
nmda_S = nmda_S*exp(-(t - nmda_t)/tau_decay_NMDA)
nmda_jump = nmda_k0 + nmda_k1*nmda_S
nmda_S += nmda_jump
nmda_t = t"""

PARAMS = (
    ("cm", "c_m", _NF), ("tau_m", "tau_m", _MS), ("v_rest", "v_rest", _MV),
    ("v_reset", "v_reset", _MV), ("v_thresh", "v_thresh", _MV),
    ("tau_refrac", "tau_refrac", _MS), ("e_rev_E", "e_rev_E", _MV),
    ("e_rev_I", "e_rev_I", _MV), ("tau_AMPA", "tau_AMPA", _MS), ("tau_GABA", "tau_GABA", _MS),
    ("tau_decay_NMDA", "tau_decay_NMDA", _MS), ("conc_Mg2", "conc_Mg2", 1.0),  # mM
)
RECORDABLES = (("v", "v", _MV), ("gsyn_AMPA", "s_AMPA", _US), ("gsyn_NMDA", "s_NMDA", _US),
               ("gsyn_GABA", "s_GABA", _US))
RECEPTORS = {"AMPA": ("s_AMPA", "uS"), "NMDA": ("s_NMDA", "uS"), "GABA": ("s_GABA", "uS")}
PRESYNAPTIC = {"NMDA": "nmda_jump"}  # an NMDA event delivers w * nmda_jump_pre


def nmda_jump_constants(tau_rise: Value, tau_decay: Value, alpha: Value) -> tuple[Value, Value]:
    """``(k0, k1)`` of the NMDA jump ``J = k0 + k1 S`` (catalogue units: ms, ms, 1/ms).

    ``k1 = exp(-alpha tau_rise) - 1``; ``k0 = (alpha tau_rise)^r gamma_lower(1 - r, alpha
    tau_rise)``, ``r = tau_rise / tau_decay``, the lower incomplete gamma function (not
    normalised).
    """
    from scipy.special import gamma, gammainc

    x = np.asarray(alpha, float) * np.asarray(tau_rise, float)
    r = np.asarray(tau_rise, float) / np.asarray(tau_decay, float)
    k0 = x**r * gammainc(1.0 - r, x) * gamma(1.0 - r)
    k1 = np.expm1(-x)
    return (float(k0) if np.ndim(k0) == 0 else k0), (float(k1) if np.ndim(k1) == 0 else k1)


DERIVED = (
    ("nmda_k0", ("tau_rise_NMDA", "tau_decay_NMDA", "alpha"),
     lambda r, d, a: nmda_jump_constants(r, d, a)[0]),
    ("nmda_k1", ("tau_rise_NMDA", "tau_decay_NMDA", "alpha"),
     lambda r, d, a: nmda_jump_constants(r, d, a)[1]),
)


def check_nmda_delays(model: Model) -> None:
    """Raise :class:`CapabilityError` for an NMDA projection whose delay exceeds the
    presynaptic ``tau_refrac + dt`` (see the module docstring)."""
    dt = model.simulation.dt_ms
    for proj in model.projections.values():
        if proj.receptor not in PRESYNAPTIC:
            continue
        if model.populations[proj.post].cell.type != "IF_cond_bw2001":
            continue
        delay = proj.synapse.delay_ms
        table = proj.connector.table or {}
        longest = (float(np.max(table["delay"])) if "delay" in table
                   else delay.support()[1] if isinstance(delay, Distribution) else float(delay))
        refrac = float(np.min(model.populations[proj.pre].cell.params["tau_refrac"]))
        if longest > refrac + dt * (1 + 1e-9):
            raise CapabilityError(
                f"the brian2 backend does not support NMDA delays longer than the presynaptic "
                f"tau_refrac + dt (projection '{proj.name}': delay up to {longest:g} ms, "
                f"tau_refrac {refrac:g} ms): it reads a spike's NMDA jump when the spike "
                f"arrives, and a later spike would already have replaced it; supported by: nest")
