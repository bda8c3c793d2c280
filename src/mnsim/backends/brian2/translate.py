"""Brian2 equations and translation tables for the catalogue's cell types.

Each cell type is a :class:`CellModel`: Brian2 equations (with units), threshold, reset,
refractoriness, integration method, and tables of rows ``(catalogue name, Brian2 name,
scale)`` where ``scale`` is the SI value of one catalogue unit (``cm`` in nF -> ``c_m`` in
farad: 1e-9). Values are set from arrays with ``set_states(..., units=False)``, so no number
is ever written into code. Recorded values are divided by the same scale.

Every equation set uses ``i_stim`` (amp), the summed step currents, defined by
:func:`stimulus_equations`. For the density-based ``HH_squid`` it is divided by the membrane
``area``.

Brian2 is not imported here: this module is plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mnsim.backends.base import HH_REFERENCE_TEMPERATURE_DEGC

Row = tuple[str, str, float]  # (catalogue name, Brian2 name, SI value of one catalogue unit)

MV, MS, NA, NF, NS, US = 1e-3, 1e-3, 1e-9, 1e-9, 1e-9, 1e-6
PER_MS = 1e3
MV_PER_MS = 1.0  # 1 mV/ms = 1 V/s
UF_PER_CM2 = 1e-2  # F/m2
S_PER_CM2 = 1e4  # S/m2
UA_PER_CM2 = 1e-2  # A/m2
UM2 = 1e-12  # m2


@dataclass(frozen=True)
class CellModel:
    """How one catalogue cell type is written in Brian2.

    Attributes
    ----------
    equations
        Brian2 model equations; every parameter is a per-neuron ``(constant)`` variable.
    threshold, reset, refractory
        As for ``brian2.NeuronGroup``; ``refractory`` may be an expression or False.
    method
        The integration method.
    params, initial, recordables
        Translation rows ``(catalogue name, Brian2 name, scale to SI)``.
    derived_initial
        Brian2 variables set after ``initial`` by a Brian2 string expression (HH gates at the
        steady state of the initial ``v``).
    equal_taus
        Pairs of time constants whose equality makes the symbolic ``exact`` solution 0/0;
        where any neuron has them equal, :attr:`fallback_method` is used instead.
    uses_area, uses_temperature
        The group has an ``area`` variable (density-based cells) or a shared ``q10``.
    """

    equations: str
    threshold: str
    reset: str | None
    refractory: str | bool
    method: str
    params: tuple[Row, ...]
    initial: tuple[Row, ...]
    recordables: tuple[Row, ...]
    derived_initial: dict[str, str] = field(default_factory=dict)
    equal_taus: tuple[tuple[str, str], ...] = ()
    fallback_method: str = "exponential_euler"
    uses_area: bool = False
    uses_temperature: bool = False


# -- building blocks -----------------------------------------------------------------------
_LIF_V = """
dv/dt = (v_rest - v)/tau_m + (i_syn + i_offset + i_stim)/c_m : volt (unless refractory)
"""
_LIF_PARAMS = """
c_m : farad (constant)
tau_m : second (constant)
v_rest : volt (constant)
v_reset : volt (constant)
v_thresh : volt (constant)
tau_refrac : second (constant)
i_offset : amp (constant)
"""
_CURR_EXP = """
di_exc/dt = -i_exc/tau_syn_E : amp
di_inh/dt = -i_inh/tau_syn_I : amp
i_syn = i_exc + i_inh : amp
tau_syn_E : second (constant)
tau_syn_I : second (constant)
"""
# Alpha-shaped currents: a jump of w in y_* gives i_* = w (t/tau) exp(1 - t/tau).
_CURR_ALPHA = """
di_exc/dt = (exp(1)*y_exc - i_exc)/tau_syn_E : amp
dy_exc/dt = -y_exc/tau_syn_E : amp
di_inh/dt = (exp(1)*y_inh - i_inh)/tau_syn_I : amp
dy_inh/dt = -y_inh/tau_syn_I : amp
i_syn = i_exc + i_inh : amp
tau_syn_E : second (constant)
tau_syn_I : second (constant)
"""
_COND_EXP = """
dg_exc/dt = -g_exc/tau_syn_E : siemens
dg_inh/dt = -g_inh/tau_syn_I : siemens
i_syn = g_exc*(e_rev_E - v) + g_inh*(e_rev_I - v) : amp
tau_syn_E : second (constant)
tau_syn_I : second (constant)
e_rev_E : volt (constant)
e_rev_I : volt (constant)
"""

_LIF_ROWS: tuple[Row, ...] = (
    ("cm", "c_m", NF), ("tau_m", "tau_m", MS), ("v_rest", "v_rest", MV),
    ("v_reset", "v_reset", MV), ("v_thresh", "v_thresh", MV),
    ("tau_refrac", "tau_refrac", MS), ("i_offset", "i_offset", NA),
)
_SYN_ROWS: tuple[Row, ...] = (("tau_syn_E", "tau_syn_E", MS), ("tau_syn_I", "tau_syn_I", MS))
_COND_ROWS: tuple[Row, ...] = (("e_rev_E", "e_rev_E", MV), ("e_rev_I", "e_rev_I", MV))
_V: tuple[Row, ...] = (("v", "v", MV),)
_GSYN: tuple[Row, ...] = (("gsyn_exc", "g_exc", US), ("gsyn_inh", "g_inh", US))

# Brian2 stamps a spike with the start of the step in which v crossed and frees the neuron
# when timestep(t - lastspike) >= timestep(refractory): adding dt holds v at v_reset until
# tau_refrac after the spike time of the contract (the end of that step), as NEST does.
_REFRACTORY = "tau_refrac + dt"
_EQUAL_SYN_TAUS = (("tau_m", "tau_syn_E"), ("tau_m", "tau_syn_I"))


def _lif(synapses: str, syn_rows: tuple[Row, ...], method: str,
         recordables: tuple[Row, ...] = _V,
         equal_taus: tuple[tuple[str, str], ...] = ()) -> CellModel:
    return CellModel(
        equations=_LIF_V + _LIF_PARAMS + synapses, threshold="v >= v_thresh",
        reset="v = v_reset", refractory=_REFRACTORY, method=method,
        params=_LIF_ROWS + syn_rows, initial=_V, recordables=recordables,
        equal_taus=equal_taus)


# -- HH_squid ------------------------------------------------------------------------------
# NEURON's hh.mod (rest at -65 mV), as densities; alpha_m and alpha_n are written with
# exprel(x) = (exp(x) - 1)/x, which is finite at their removable singularities.
_HH = """
dv/dt = (gbar_Na*m**3*h*(e_rev_Na - v) + gbar_K*n**4*(e_rev_K - v)
         + g_leak*(e_rev_leak - v) + i_offset + i_stim/area)/c_m : volt
dm/dt = q10*(alpha_m*(1 - m) - beta_m*m) : 1
dh/dt = q10*(alpha_h*(1 - h) - beta_h*h) : 1
dn/dt = q10*(alpha_n*(1 - n) - beta_n*n) : 1
alpha_m = 1/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
c_m : farad/meter**2 (constant)
gbar_Na : siemens/meter**2 (constant)
gbar_K : siemens/meter**2 (constant)
g_leak : siemens/meter**2 (constant)
e_rev_Na : volt (constant)
e_rev_K : volt (constant)
e_rev_leak : volt (constant)
i_offset : amp/meter**2 (constant)
area : meter**2 (constant)
q10 : 1 (constant, shared)
"""

HH_SQUID = CellModel(
    equations=_HH,
    # One crossing of 0 mV is one spike: the neuron stays refractory while v > 0 mV.
    threshold="v > 0*mV", reset=None, refractory="v > 0*mV", method="exponential_midpoint",
    params=(("cm", "c_m", UF_PER_CM2), ("gbar_Na", "gbar_Na", S_PER_CM2),
            ("gbar_K", "gbar_K", S_PER_CM2), ("g_leak", "g_leak", S_PER_CM2),
            ("e_rev_Na", "e_rev_Na", MV), ("e_rev_K", "e_rev_K", MV),
            ("e_rev_leak", "e_rev_leak", MV), ("i_offset", "i_offset", UA_PER_CM2)),
    initial=_V,
    recordables=_V + (("m", "m", 1.0), ("h", "h", 1.0), ("n", "n", 1.0)),
    derived_initial={"m": "alpha_m/(alpha_m + beta_m)", "h": "alpha_h/(alpha_h + beta_h)",
                     "n": "alpha_n/(alpha_n + beta_n)"},
    uses_area=True, uses_temperature=True,
)

# -- AdEx ------------------------------------------------------------------------------------
# As NEST's aeif_cond_exp: during the refractory period v is held at v_reset, w evolves; the
# exponential and the adaptation see v capped at v_spike (NEST: min(V, V_peak)). Without the
# cap, rk4's later stages in the step that crosses a high v_spike (0 mV) evaluate the
# exponential far above it, overflow and return NaN or huge negative v instead of a spike.
_ADEX = """
dv/dt = (g_L*(v_rest - v) + g_L*delta_T*exp((v_capped - v_thresh)/delta_T) - w
         + i_syn + i_offset + i_stim)/c_m : volt (unless refractory)
dw/dt = (a*(v_capped - v_rest) - w)/tau_w : amp
v_capped = clip(v, -inf*mV, v_spike) : volt
g_L = c_m/tau_m : siemens
c_m : farad (constant)
tau_m : second (constant)
v_rest : volt (constant)
v_reset : volt (constant)
v_thresh : volt (constant)
v_spike : volt (constant)
delta_T : volt (constant)
a : siemens (constant)
b : amp (constant)
tau_w : second (constant)
tau_refrac : second (constant)
i_offset : amp (constant)
"""

EIF_COND_EXP_ISFA_ISTA = CellModel(
    equations=_ADEX + _COND_EXP, threshold="v >= v_spike", reset="v = v_reset\nw += b",
    refractory=_REFRACTORY, method="rk4",
    params=(("cm", "c_m", NF), ("tau_m", "tau_m", MS), ("v_rest", "v_rest", MV),
            ("v_reset", "v_reset", MV), ("v_thresh", "v_thresh", MV),
            ("v_spike", "v_spike", MV), ("delta_T", "delta_T", MV), ("a", "a", NS),
            ("b", "b", NA), ("tau_w", "tau_w", MS), ("tau_refrac", "tau_refrac", MS),
            ("i_offset", "i_offset", NA)) + _SYN_ROWS + _COND_ROWS,
    initial=_V + (("w", "w", NA),),
    recordables=_V + (("w", "w", NA),) + _GSYN,
)

# -- Izhikevich ------------------------------------------------------------------------------
# Currents are divided by an implicit 1 pF (PyNN, NEST): 10 pA gives Izhikevich's I = 10.
_IZH = """
dv/dt = (0.04/ms/mV)*v**2 + (5/ms)*v + 140*mV/ms - u + (i_offset + i_stim)/pF : volt
du/dt = a*(b*v - u) : volt/second
a : 1/second (constant)
b : 1/second (constant)
c : volt (constant)
d : volt/second (constant)
i_offset : amp (constant)
"""

IZHIKEVICH = CellModel(
    equations=_IZH, threshold="v >= 30*mV", reset="v = c\nu += d", refractory=False,
    method="euler",  # NEST's izhikevich (consistent_integration) is forward Euler too
    params=(("a", "a", PER_MS), ("b", "b", PER_MS), ("c", "c", MV), ("d", "d", MV_PER_MS),
            ("i_offset", "i_offset", NA)),
    initial=_V + (("u", "u", MV_PER_MS),),
    recordables=_V + (("u", "u", MV_PER_MS),),
)

CELL_MODELS: dict[str, CellModel] = {
    "HH_squid": HH_SQUID,
    "IF_curr_exp": _lif(_CURR_EXP, _SYN_ROWS, "exact", equal_taus=_EQUAL_SYN_TAUS),
    "IF_curr_alpha": _lif(_CURR_ALPHA, _SYN_ROWS, "exact", equal_taus=_EQUAL_SYN_TAUS),
    # v is linear in v with coefficients constant over a step: exponential Euler is exact for
    # it when the conductances are constant, and exact for the decaying conductances.
    "IF_cond_exp": _lif(_COND_EXP, _SYN_ROWS + _COND_ROWS, "exponential_euler",
                        recordables=_V + _GSYN),
    "EIF_cond_exp_isfa_ista": EIF_COND_EXP_ISFA_ISTA,
    "Izhikevich": IZHIKEVICH,
}


def hh_q10(temperature_degC: float | None) -> float:
    """Rate factor of ``HH_squid``: q10 = 3 per 10 degC from 6.3 degC.

    Parameters
    ----------
    temperature_degC
        The simulation's temperature, or None (the 6.3 degC of the rate functions).

    Returns
    -------
    float
        The factor that multiplies every gate's rates.
    """
    if temperature_degC is None:
        return 1.0
    return 3.0 ** ((temperature_degC - HH_REFERENCE_TEMPERATURE_DEGC) / 10.0)


# -- step currents ---------------------------------------------------------------------------
def stimulus_equations(n: int) -> str:
    """Brian2 equations of ``i_stim``, the sum of ``n`` step currents.

    Current ``k`` has a per-neuron amplitude ``stim{k}_amp`` and is on during the time steps
    ``stim{k}_on <= step < stim{k}_off`` (shared integers compared with Brian2's
    ``t_in_timesteps``, so no rounding can move an edge). ``i_stim`` is constant within a
    step, and every method sees it so: ``exact`` accepts it (``t`` does not appear) and the
    later stages of ``rk4`` see the value of the current step, not of the next one.

    Parameters
    ----------
    n
        Number of step currents that target the population.

    Returns
    -------
    str
        Lines to append to a cell model's equations.
    """
    if n == 0:
        return "\ni_stim = 0*amp : amp"
    terms = " + ".join(f"stim{k}_amp*int(t_in_timesteps >= stim{k}_on "
                       f"and t_in_timesteps < stim{k}_off)" for k in range(n))
    return f"\ni_stim = {terms} : amp" + "".join(
        f"\nstim{k}_amp : amp (constant)"
        f"\nstim{k}_on : integer (constant, shared)"
        f"\nstim{k}_off : integer (constant, shared)" for k in range(n))


def step_index(time_ms: float, dt_ms: float) -> int:
    """The first time step during which a current switched at ``time_ms`` acts.

    NEURON's IClamp is evaluated at the middle of each step (on for del <= t < del + dur),
    so the switch acts from the first step whose midpoint is at or after ``time_ms``: step
    ``ceil(time/dt - 1/2)``, which on the grid is ``time/dt`` exactly (a current on from
    10 ms acts from the step that starts at 10 ms, as in NEURON and NEST).

    Parameters
    ----------
    time_ms, dt_ms
        The switching time and the time step, in ms.

    Returns
    -------
    int
        A step number, compared with Brian2's ``t_in_timesteps``.
    """
    return math.ceil(time_ms / dt_ms - 0.5 - 1e-9)
