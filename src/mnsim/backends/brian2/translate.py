"""Brian2 equations and translation tables for the catalogue's cell types.

Each cell type is a :class:`CellModel`: Brian2 equations (with units), threshold, reset,
refractoriness, integration method, and tables of rows ``(catalogue name, Brian2 name,
scale)`` where ``scale`` is the SI value of one catalogue unit (``cm`` in nF -> ``c_m`` in
farad: 1e-9). Values are set from arrays with ``set_states(..., units=False)``, so no number
is ever written into code. Recorded values are divided by the same scale.

Every equation set uses ``i_stim`` (amp), the summed injected currents, defined by
:mod:`mnsim.backends.brian2.currents`. For the density-based ``HH_squid`` it is divided by the
membrane ``area``. ``receptors`` says which variable a synaptic input onto each receptor
changes (:mod:`mnsim.backends.brian2.network`).

Brian2 is not imported here: this module is plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mnsim.backends.base import HH_REFERENCE_TEMPERATURE_DEGC
from mnsim.backends.brian2 import bw2001

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
    receptors
        Receptor name -> (Brian2 variable a synaptic event adds its weight to, Brian2 unit of
        one weight unit: ``uS`` for conductances, ``nA`` for currents, ``mV`` for jumps).
    delta
        Synaptic events jump ``v`` (lost while refractory) and must act before the threshold
        of their step (see :mod:`mnsim.backends.brian2.network`).
    regular
        Code run at the start of every step (``before_groups``), for what the cell's rules
        need besides its equations (``v_prev`` of ``HH_cond_exp``).
    max_substep_ms
        For ``exponential_midpoint``: the longest internal step; a time step longer than it
        is integrated in that many equal substeps.
    presynaptic
        Receptor -> presynaptic variable that multiplies each event's weight (the NMDA jump
        of ``IF_cond_bw2001``, :mod:`mnsim.backends.brian2.bw2001`).
    derived
        ``(Brian2 constant, catalogue parameters, function)``: constants of the equations
        computed from parameters in catalogue units (already SI or dimensionless).
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
    receptors: dict[str, tuple[str, str]] = field(default_factory=dict)
    delta: bool = False
    regular: str = ""
    max_substep_ms: float | None = None
    presynaptic: dict[str, str] = field(default_factory=dict)
    derived: tuple[tuple[str, tuple[str, ...], Callable[..., object]], ...] = ()


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
         receptors: dict[str, tuple[str, str]], recordables: tuple[Row, ...] = _V,
         equal_taus: tuple[tuple[str, str], ...] = (), delta: bool = False) -> CellModel:
    return CellModel(
        equations=_LIF_V + _LIF_PARAMS + synapses, threshold="v >= v_thresh",
        reset="v = v_reset", refractory=_REFRACTORY, method=method,
        params=_LIF_ROWS + syn_rows, initial=_V, recordables=recordables,
        equal_taus=equal_taus, receptors=receptors, delta=delta)


_CURRENT_RECEPTORS = {"excitatory": ("i_exc", "nA"), "inhibitory": ("i_inh", "nA")}
# a weight onto an alpha synapse jumps y_*, whose i_* then peaks at the weight after tau_syn
_ALPHA_RECEPTORS = {"excitatory": ("y_exc", "nA"), "inhibitory": ("y_inh", "nA")}
_COND_RECEPTORS = {"excitatory": ("g_exc", "uS"), "inhibitory": ("g_inh", "uS")}
_DELTA_RECEPTORS = {"excitatory": ("v", "mV"), "inhibitory": ("v", "mV")}

# -- HH_squid ------------------------------------------------------------------------------
# NEURON's hh.mod gates (rest at -65 mV), rates scaled by q10; alpha_m and alpha_n are
# written with exprel(x) = (exp(x) - 1)/x, finite at their removable singularities. Shared
# by HH_squid and the hh mechanism of multicompartment cells (cable.py).
HH_GATES = """
dm/dt = q10*(alpha_m*(1 - m) - beta_m*m) : 1
dh/dt = q10*(alpha_h*(1 - h) - beta_h*h) : 1
dn/dt = q10*(alpha_n*(1 - n) - beta_n*n) : 1
alpha_m = 1/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
"""
# the gates at steady state at the current v (Brian2 expressions of HH_GATES' rates)
HH_STEADY_STATE = {"m": "alpha_m/(alpha_m + beta_m)", "h": "alpha_h/(alpha_h + beta_h)",
                   "n": "alpha_n/(alpha_n + beta_n)"}
_HH = """
dv/dt = (gbar_Na*m**3*h*(e_rev_Na - v) + gbar_K*n**4*(e_rev_K - v)
         + g_leak*(e_rev_leak - v) + i_offset + i_stim/area)/c_m : volt
""" + HH_GATES + """c_m : farad/meter**2 (constant)
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
    derived_initial=HH_STEADY_STATE,
    uses_area=True, uses_temperature=True,
)

# -- AdEx ------------------------------------------------------------------------------------
# As NEST's aeif_cond_exp: during the refractory period v is held at v_reset, w evolves; the
# exponential and the adaptation see v capped at v_spike (NEST: min(V, V_peak)). Without the
# cap, rk4's later stages in the step that crosses a high v_spike (0 mV) evaluate the
# exponential far above it, overflow and return NaN or huge negative v instead of a spike.
_ADEX = """
dv/dt = (g_L*(v_rest - v) + g_L*delta_T*exp((v_capped - v_thresh)/delta_T) - w_ad
         + i_syn + i_offset + i_stim)/c_m : volt (unless refractory)
dw_ad/dt = (a*(v_capped - v_rest) - w_ad)/tau_w : amp
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
    equations=_ADEX + _COND_EXP, threshold="v >= v_spike", reset="v = v_reset\nw_ad += b",
    refractory=_REFRACTORY, method="rk4",
    params=(("cm", "c_m", NF), ("tau_m", "tau_m", MS), ("v_rest", "v_rest", MV),
            ("v_reset", "v_reset", MV), ("v_thresh", "v_thresh", MV),
            ("v_spike", "v_spike", MV), ("delta_T", "delta_T", MV), ("a", "a", NS),
            ("b", "b", NA), ("tau_w", "tau_w", MS), ("tau_refrac", "tau_refrac", MS),
            ("i_offset", "i_offset", NA)) + _SYN_ROWS + _COND_ROWS,
    initial=_V + (("w", "w_ad", NA),),  # not `w`: the weight of its outgoing Synapses
    recordables=_V + (("w", "w_ad", NA),) + _GSYN,
    receptors=_COND_RECEPTORS,
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

# -- HH_cond_exp ---------------------------------------------------------------------------
# Traub & Miles (1991) as in NEST's hh_cond_exp_traub and Brian2's COBAHH example: rates in
# 1/ms of u = v - v_offset in mV; alpha_m, beta_m, alpha_n written with exprel as in _HH.
# Spikes follow NEST's peak rule: detected at the end of a step when v >= v_offset + 30 mV
# and v fell during the step (v_prev, v at the step's start, is stored before the state
# update of every step: `regular`), not within tau_refrac after the previous spike (the same
# `tau_refrac + dt` count as the LIF cells, see _REFRACTORY); v is never clamped.
_HH_COND = """
dv/dt = (gbar_Na*m**3*h*(e_rev_Na - v) + gbar_K*n**4*(e_rev_K - v) + g_leak*(e_rev_leak - v)
         + g_exc*(e_rev_E - v) + g_inh*(e_rev_I - v) + i_offset + i_stim)/c_m : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
dg_exc/dt = -g_exc/tau_syn_E : siemens
dg_inh/dt = -g_inh/tau_syn_I : siemens
alpha_m = 1.28/exprel((13*mV - v + v_offset)/(4*mV))/ms : Hz
beta_m = 1.4/exprel((v - v_offset - 40*mV)/(5*mV))/ms : Hz
alpha_h = 0.128*exp((17*mV - v + v_offset)/(18*mV))/ms : Hz
beta_h = 4/(1 + exp((40*mV - v + v_offset)/(5*mV)))/ms : Hz
alpha_n = 0.16/exprel((15*mV - v + v_offset)/(5*mV))/ms : Hz
beta_n = 0.5*exp((10*mV - v + v_offset)/(40*mV))/ms : Hz
v_prev : volt
gbar_Na : siemens (constant)
gbar_K : siemens (constant)
g_leak : siemens (constant)
c_m : farad (constant)
v_offset : volt (constant)
e_rev_Na : volt (constant)
e_rev_K : volt (constant)
e_rev_leak : volt (constant)
e_rev_E : volt (constant)
e_rev_I : volt (constant)
tau_syn_E : second (constant)
tau_syn_I : second (constant)
tau_refrac : second (constant)
i_offset : amp (constant)
"""

HH_COND_EXP = CellModel(
    equations=_HH_COND, threshold="v >= v_offset + 30*mV and v < v_prev", reset="",
    refractory=_REFRACTORY, method="exponential_midpoint",
    params=(("gbar_Na", "gbar_Na", US), ("gbar_K", "gbar_K", US), ("g_leak", "g_leak", US),
            ("cm", "c_m", NF), ("v_offset", "v_offset", MV), ("e_rev_Na", "e_rev_Na", MV),
            ("e_rev_K", "e_rev_K", MV), ("e_rev_leak", "e_rev_leak", MV)) + _COND_ROWS
           + _SYN_ROWS + (("tau_refrac", "tau_refrac", MS), ("i_offset", "i_offset", NA)),
    initial=_V,
    recordables=_V + _GSYN,
    derived_initial={"m": "alpha_m/(alpha_m + beta_m)", "h": "alpha_h/(alpha_h + beta_h)",
                     "n": "alpha_n/(alpha_n + beta_n)", "v_prev": "v"},
    receptors=_COND_RECEPTORS,
    regular="v_prev = v",
    # Traub-Miles spikes are fast (tau_m of the Na gate ~0.05 ms). Against a 1 us solution,
    # the 6th spike of a 0.6 nA train at dt = 0.1 ms is 1.2 ms late with one midpoint step
    # per dt, 0.5 ms with two substeps, 0.3 ms with four, within 0.1 ms of NEST's adaptive
    # RKF45 (hh_coba's rates: 5 %, 7 %, 2 % from NEST's). Each substep costs a full step.
    max_substep_ms=0.025,
)

CELL_MODELS: dict[str, CellModel] = {
    "HH_squid": HH_SQUID,
    "HH_cond_exp": HH_COND_EXP,
    "IF_curr_exp": _lif(_CURR_EXP, _SYN_ROWS, "exact", _CURRENT_RECEPTORS,
                        equal_taus=_EQUAL_SYN_TAUS),
    # the adaptation current is `w_sfa`: a neuron variable `w` would clash with the weight
    # `w` of every Synapses it is presynaptic to
    "IF_curr_exp_sfa": CellModel(
        equations=_LIF_V.replace("+ i_stim)/c_m", "+ i_stim - w_sfa)/c_m")
        + "dw_sfa/dt = -w_sfa/tau_w : amp\nb : amp (constant)\ntau_w : second (constant)\n"
        + _LIF_PARAMS + _CURR_EXP, threshold="v >= v_thresh", reset="v = v_reset\nw_sfa += b",
        refractory=_REFRACTORY, method="exact",
        params=_LIF_ROWS + _SYN_ROWS + (("b", "b", NA), ("tau_w", "tau_w", MS)),
        initial=_V + (("w", "w_sfa", NA),), recordables=_V + (("w", "w_sfa", NA),),
        equal_taus=_EQUAL_SYN_TAUS + (("tau_m", "tau_w"),), receptors=_CURRENT_RECEPTORS),
    "IF_curr_alpha": _lif(_CURR_ALPHA, _SYN_ROWS, "exact", _ALPHA_RECEPTORS,
                          equal_taus=_EQUAL_SYN_TAUS),
    # synaptic inputs jump v (network.py); no synaptic current
    "IF_curr_delta": _lif("\ni_syn = 0*amp : amp\n", (), "exact", _DELTA_RECEPTORS,
                          delta=True),
    # v is linear in v with coefficients constant over a step: exponential Euler is exact for
    # it when the conductances are constant, and exact for the decaying conductances.
    "IF_cond_exp": _lif(_COND_EXP, _SYN_ROWS + _COND_ROWS, "exponential_euler",
                        _COND_RECEPTORS, recordables=_V + _GSYN),
    "IF_cond_bw2001": CellModel(
        equations=bw2001.EQUATIONS, threshold="v >= v_thresh", reset=bw2001.RESET,
        refractory=_REFRACTORY, method="rk4", params=bw2001.PARAMS, initial=_V,
        recordables=bw2001.RECORDABLES, receptors=bw2001.RECEPTORS,
        presynaptic=bw2001.PRESYNAPTIC, derived=bw2001.DERIVED),
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
