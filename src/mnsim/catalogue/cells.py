"""Standard point-neuron types: canonical parameters, units, defaults, state and recordables.

Names follow PyNN (``IF_curr_exp``, ``tau_m``, ``v_thresh``...), which users of this field know.
Every backend translates from these definitions with a table; the units given here are the
units in which a :class:`~mnsim.spec.model.Cell` holds its parameter values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Param:
    """One parameter (or initial state) of a cell type.

    ``default`` is a quantity string, or the name of another parameter of the same cell whose
    value it copies (``v`` starts at ``v_rest``).
    """

    name: str
    unit: str
    default: str
    doc: str = ""
    bound: str = ""  # "positive" (> 0) or "nonnegative" (>= 0); checked when a model loads
    on_grid: bool = False  # a duration that must be a whole number of time steps


@dataclass(frozen=True)
class Receptor:
    """A synaptic input of a cell type. ``weight_unit`` is what a weight onto it means (nA for a
    current jump, uS for a conductance, mV for a voltage jump); ``sign`` is the sign weights must
    have (PyNN's convention: conductances are >= 0, inhibitory currents and jumps <= 0)."""

    name: str
    weight_unit: str
    sign: int  # +1: weights >= 0; -1: weights <= 0
    doc: str = ""
    # cell types whose spikes may reach this receptor (their spikes carry something it
    # needs, e.g. the NMDA jump of IF_cond_bw2001); empty: any source, spike inputs included
    sources: tuple[str, ...] = ()


def _receptors(unit: str, inhibitory_sign: int, what: str) -> dict[str, Receptor]:
    return {"excitatory": Receptor("excitatory", unit, +1, f"excitatory {what}"),
            "inhibitory": Receptor("inhibitory", unit, inhibitory_sign, f"inhibitory {what}")}


_CURRENT_RECEPTORS = _receptors("nA", -1, "synaptic current (weight = peak current)")
_COND_RECEPTORS = _receptors("uS", +1, "synaptic conductance (weight = peak conductance)")
_DELTA_RECEPTORS = _receptors("mV", -1, "voltage jump (weight = jump of v)")


@dataclass(frozen=True)
class CellType:
    """A standard cell type, declared once for every backend."""

    name: str
    doc: str
    params: tuple[Param, ...]
    initial: tuple[Param, ...]
    recordables: dict[str, str]  # variable -> unit
    spike: str  # what a spike time means for this type
    density_based: bool = False  # parameters per membrane area; the cell needs an ``area``
    # (a, b): parameter or initial value `a` must be below `b` (a name, or a quantity string),
    # for every neuron; what every backend needs to mean the same thing
    below: tuple[tuple[str, str], ...] = ()
    # receptor name -> Receptor: where synaptic input can arrive, and the unit of its weight
    receptors: dict[str, Receptor] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        """The parameter or initial-state entry called ``name``."""
        return {p.name: p for p in self.params + self.initial}[name]


_SYN = (
    Param("tau_syn_E", "ms", "5 ms", "decay of excitatory synaptic current/conductance",
          bound="positive"),
    Param("tau_syn_I", "ms", "5 ms", "decay of inhibitory synaptic current/conductance",
          bound="positive"),
)
_LIF = (
    Param("cm", "nF", "1 nF", "membrane capacitance", bound="positive"),
    Param("tau_m", "ms", "20 ms", "membrane time constant", bound="positive"),
    Param("v_rest", "mV", "-65 mV", "resting potential"),
    Param("v_reset", "mV", "-65 mV", "reset potential after a spike"),
    Param("v_thresh", "mV", "-50 mV", "spike threshold"),
    Param("tau_refrac", "ms", "0.1 ms", "refractory period (v clamped at v_reset)",
          bound="nonnegative", on_grid=True),
    Param("i_offset", "nA", "0 nA", "constant injected current"),
)
_COND = (
    Param("e_rev_E", "mV", "0 mV", "excitatory reversal potential"),
    Param("e_rev_I", "mV", "-70 mV", "inhibitory reversal potential"),
)
_V_REST = (Param("v", "mV", "v_rest", "membrane potential"),)
_LIF_BELOW = (("v_reset", "v_thresh"), ("v", "v_thresh"))
_LIF_SPIKE = "the time step at which v reaches v_thresh; v is then held at v_reset for tau_refrac"

HH_SQUID = CellType(
    name="HH_squid",
    doc="Hodgkin & Huxley (1952) squid axon membrane, one isopotential compartment of a given "
        "area; parameters are densities. NEURON's hh, NEST's hh_psc_alpha.",
    params=(
        Param("cm", "uF/cm2", "1 uF/cm2", "specific membrane capacitance", bound="positive"),
        Param("gbar_Na", "S/cm2", "0.12 S/cm2", "maximal sodium conductance density",
              bound="nonnegative"),
        Param("gbar_K", "S/cm2", "0.036 S/cm2", "maximal potassium conductance density",
              bound="nonnegative"),
        Param("g_leak", "S/cm2", "0.0003 S/cm2", "leak conductance density", bound="nonnegative"),
        Param("e_rev_Na", "mV", "50 mV", "sodium reversal potential"),
        Param("e_rev_K", "mV", "-77 mV", "potassium reversal potential"),
        Param("e_rev_leak", "mV", "-54.3 mV", "leak reversal potential"),
        Param("i_offset", "uA/cm2", "0 uA/cm2", "constant injected current density"),
    ),
    initial=(Param("v", "mV", "-65 mV", "membrane potential; gates start at steady state"),),
    recordables={"v": "mV", "m": "1", "h": "1", "n": "1"},
    spike="the end of the time step during which v crossed 0 mV upwards",
    density_based=True,
    below=(("v", "0 mV"),),
)

IF_CURR_EXP = CellType(
    name="IF_curr_exp",
    doc="Leaky integrate-and-fire neuron with exponentially decaying synaptic currents.",
    params=_LIF + _SYN, initial=_V_REST, recordables={"v": "mV"}, spike=_LIF_SPIKE,
    below=_LIF_BELOW, receptors=_CURRENT_RECEPTORS)

IF_CURR_EXP_SFA = CellType(
    name="IF_curr_exp_sfa",
    doc="IF_curr_exp with spike-frequency adaptation: an adaptation current w that jumps by b "
        "at each spike and decays with tau_w. dv/dt = (v_rest - v) / tau_m + (I_syn + "
        "i_offset - w) / cm, dw/dt = -w / tau_w (NEST's aeif_psc_exp with a = 0, "
        "Delta_T = 0).",
    params=_LIF + _SYN + (
        Param("b", "nA", "0 nA", "jump of the adaptation current w at each spike"),
        Param("tau_w", "ms", "100 ms", "decay time constant of w", bound="positive"),
    ),
    initial=_V_REST + (Param("w", "nA", "0 nA", "adaptation current"),),
    recordables={"v": "mV", "w": "nA"},
    spike=_LIF_SPIKE + "; w jumps by b",
    below=_LIF_BELOW, receptors=_CURRENT_RECEPTORS)

IF_CURR_ALPHA = CellType(
    name="IF_curr_alpha",
    doc="Leaky integrate-and-fire neuron with alpha-function synaptic currents.",
    params=_LIF + _SYN, initial=_V_REST, recordables={"v": "mV"}, spike=_LIF_SPIKE,
    below=_LIF_BELOW, receptors=_CURRENT_RECEPTORS)

IF_CURR_DELTA = CellType(
    name="IF_curr_delta",
    doc="Leaky integrate-and-fire neuron whose synaptic inputs make v jump by the weight (mV) "
        "(Brunel 2000; NEST's iaf_psc_delta). An input arriving during the refractory period "
        "is lost.",
    params=_LIF, initial=_V_REST, recordables={"v": "mV"},
    spike=_LIF_SPIKE + "; a jump that takes v to v_thresh fires in the step it arrives",
    below=_LIF_BELOW, receptors=_DELTA_RECEPTORS)

IF_COND_EXP = CellType(
    name="IF_cond_exp",
    doc="Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances.",
    params=_LIF + _SYN + _COND, initial=_V_REST,
    recordables={"v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS"}, spike=_LIF_SPIKE,
    below=_LIF_BELOW, receptors=_COND_RECEPTORS)

HH_COND_EXP = CellType(
    name="HH_cond_exp",
    doc="Single-compartment Hodgkin-Huxley neuron with Traub & Miles (1991) kinetics and "
        "exponentially decaying synaptic conductances (PyNN's HH_cond_exp, NEST's "
        "hh_cond_exp_traub, Brette et al. 2007 benchmark 3). Gates start at steady state.",
    params=(
        Param("gbar_Na", "uS", "20 uS", "maximal sodium conductance", bound="nonnegative"),
        Param("gbar_K", "uS", "6 uS", "maximal potassium (delayed rectifier) conductance",
              bound="nonnegative"),
        Param("g_leak", "uS", "0.01 uS", "leak conductance", bound="nonnegative"),
        Param("cm", "nF", "0.2 nF", "membrane capacitance", bound="positive"),
        Param("v_offset", "mV", "-63 mV", "shift of the rate functions (V_T)"),
        Param("e_rev_Na", "mV", "50 mV", "sodium reversal potential"),
        Param("e_rev_K", "mV", "-90 mV", "potassium reversal potential"),
        Param("e_rev_leak", "mV", "-65 mV", "leak reversal potential"),
        Param("e_rev_E", "mV", "0 mV", "excitatory reversal potential"),
        Param("e_rev_I", "mV", "-80 mV", "inhibitory reversal potential"),
        Param("tau_syn_E", "ms", "0.2 ms", "decay of the excitatory conductance",
              bound="positive"),
        Param("tau_syn_I", "ms", "2 ms", "decay of the inhibitory conductance", bound="positive"),
        Param("tau_refrac", "ms", "2 ms", "dead time of spike detection after a spike (v is "
              "not clamped)", bound="nonnegative", on_grid=True),
        Param("i_offset", "nA", "0 nA", "constant injected current"),
    ),
    initial=(Param("v", "mV", "-65 mV", "membrane potential; gates start at steady state"),),
    recordables={"v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS"},
    spike="the end of the first time step at whose end v is at or above v_offset + 30 mV and "
          "lower than at the step's start (the peak; NEST's rule), outside tau_refrac after "
          "the previous spike",
    receptors=_COND_RECEPTORS,
)

EIF_COND_EXP_ISFA_ISTA = CellType(
    name="EIF_cond_exp_isfa_ista",
    doc="Adaptive exponential integrate-and-fire neuron (AdEx; Brette & Gerstner 2005) with "
        "spike-frequency adaptation (a, b) and exponential synaptic conductances.",
    params=(
        Param("cm", "nF", "0.281 nF", "membrane capacitance", bound="positive"),
        Param("tau_m", "ms", "9.3667 ms", "membrane time constant (cm / g_leak)",
              bound="positive"),
        Param("v_rest", "mV", "-70.6 mV", "leak reversal potential"),
        Param("v_reset", "mV", "-70.6 mV", "reset potential after a spike"),
        Param("v_thresh", "mV", "-50.4 mV", "threshold of the exponential term (V_T)"),
        Param("v_spike", "mV", "-40 mV", "spike detection: v is reset when it reaches v_spike"),
        Param("delta_T", "mV", "2 mV", "slope factor of the exponential term", bound="positive"),
        Param("a", "nS", "4 nS", "subthreshold adaptation conductance"),
        Param("b", "nA", "0.0805 nA", "spike-triggered adaptation increment"),
        Param("tau_w", "ms", "144 ms", "adaptation time constant", bound="positive"),
        Param("tau_refrac", "ms", "0.1 ms", "refractory period (v clamped at v_reset)",
          bound="nonnegative", on_grid=True),
        Param("i_offset", "nA", "0 nA", "constant injected current"),
    ) + _SYN + (
        Param("e_rev_E", "mV", "0 mV", "excitatory reversal potential"),
        Param("e_rev_I", "mV", "-80 mV", "inhibitory reversal potential"),
    ),
    initial=_V_REST + (Param("w", "nA", "0 nA", "adaptation current"),),
    recordables={"v": "mV", "w": "nA", "gsyn_exc": "uS", "gsyn_inh": "uS"},
    spike="the time step at which v reaches v_spike; then v = v_reset, w += b",
    below=(("v_reset", "v_spike"), ("v_thresh", "v_spike"), ("v", "v_spike")),
    receptors=_COND_RECEPTORS,
)

IZHIKEVICH = CellType(
    name="Izhikevich",
    doc="Izhikevich (2003) simple model: dv/dt = 0.04 v^2 + 5 v + 140 - u + I, "
        "du/dt = a (b v - u), spike at v >= 30 mV, then v = c, u += d. As in PyNN and NEST, "
        "the input current is divided by an implicit 1 pF: a 10 pA step is I = 10.",
    params=(
        Param("a", "1/ms", "0.02 1/ms", "recovery rate of u"),
        Param("b", "1/ms", "0.2 1/ms", "sensitivity of u to v"),
        Param("c", "mV", "-65 mV", "reset potential"),
        Param("d", "mV/ms", "2 mV/ms", "increment of u after a spike"),
        Param("i_offset", "nA", "0 nA", "constant injected current"),
    ),
    initial=(Param("v", "mV", "-70 mV", "membrane potential"),
             Param("u", "mV/ms", "-14 mV/ms", "recovery variable")),
    recordables={"v": "mV", "u": "mV/ms"},
    spike="the time step at which v reaches 30 mV; then v = c, u += d",
    below=(("c", "30 mV"), ("v", "30 mV")),
)

IF_COND_BW2001 = CellType(
    name="IF_cond_bw2001",
    doc="Leaky integrate-and-fire neuron with AMPA, NMDA and GABA-A conductances (Brunel & "
        "Wang 2001; Wang 2002), exactly NEST's iaf_bw_2001: cm dv/dt = -g_L (v - v_rest) "
        "- g_AMPA (v - e_rev_E) - g_NMDA (v - e_rev_E) / (1 + conc_Mg2 exp(-0.062 v/mV) / "
        "3.57 mM) - g_GABA (v - e_rev_I) + I, g_L = cm / tau_m. Each conductance decays "
        "exponentially (tau_AMPA, tau_decay_NMDA, tau_GABA); a spike arriving on AMPA or GABA "
        "adds its weight, one arriving on NMDA adds its weight times the presynaptic neuron's "
        "NMDA jump J. NMDA (NEST's approximation of Wang 1999's saturating gating ds/dt = "
        "-s/tau_decay_NMDA + alpha x (1 - s), dx/dt = -x/tau_rise_NMDA + spikes): every "
        "neuron keeps a trace S (0 at the start) that decays with tau_decay_NMDA; at each of "
        "its spikes J = k0 + k1 S (S just before the spike), then S += J, where k1 = "
        "exp(-alpha tau_rise_NMDA) - 1 and k0 = (alpha tau_rise_NMDA)^r gamma_lower(1 - r, "
        "alpha tau_rise_NMDA), r = tau_rise_NMDA / tau_decay_NMDA: the jump after which the "
        "exact s decays like the approximate one long after the spike. So g_NMDA is the sum "
        "over presynaptic neurons of weight x S, delayed: the summed NMDA gating without a "
        "variable per synapse. NMDA input comes only from IF_cond_bw2001 neurons. The "
        "weights hold the paper's peak conductances (g_AMPA, g_NMDA, g_GABA times w); no "
        "i_offset (NEST's model has none).",
    params=(
        Param("cm", "nF", "0.5 nF", "membrane capacitance", bound="positive"),
        Param("tau_m", "ms", "20 ms", "membrane time constant (cm / g_L)", bound="positive"),
        Param("v_rest", "mV", "-70 mV", "leak reversal potential"),
        Param("v_reset", "mV", "-60 mV", "reset potential after a spike"),
        Param("v_thresh", "mV", "-55 mV", "spike threshold"),
        Param("tau_refrac", "ms", "2 ms", "refractory period (v clamped at v_reset)",
              bound="nonnegative", on_grid=True),
        Param("e_rev_E", "mV", "0 mV", "reversal potential of AMPA and NMDA"),
        Param("e_rev_I", "mV", "-70 mV", "reversal potential of GABA"),
        Param("tau_AMPA", "ms", "2 ms", "decay of the AMPA conductance", bound="positive"),
        Param("tau_GABA", "ms", "5 ms", "decay of the GABA conductance", bound="positive"),
        Param("tau_rise_NMDA", "ms", "2 ms", "rise time of the NMDA gating (sets k0, k1)",
              bound="positive"),
        Param("tau_decay_NMDA", "ms", "100 ms", "decay of the NMDA trace and conductance",
              bound="positive"),
        Param("alpha", "1/ms", "0.5 1/ms", "NMDA gating rate (sets k0, k1)", bound="positive"),
        Param("conc_Mg2", "mM", "1 mM", "extracellular magnesium (NMDA block)",
              bound="positive"),
    ),
    initial=_V_REST,
    recordables={"v": "mV", "gsyn_AMPA": "uS", "gsyn_NMDA": "uS", "gsyn_GABA": "uS"},
    spike=_LIF_SPIKE + "; the conductance jumps of the spikes arriving in a step are added "
          "after that step's integration (they act from the next step), as NEST does; the "
          "neuron's NMDA jump J is computed at its spike time (see the description)",
    below=_LIF_BELOW,
    receptors={
        "AMPA": Receptor("AMPA", "uS", +1, "AMPA conductance (weight = jump of gsyn_AMPA)"),
        "NMDA": Receptor("NMDA", "uS", +1, "NMDA conductance (weight x the presynaptic "
                         "neuron's jump J = jump of gsyn_NMDA)", sources=("IF_cond_bw2001",)),
        "GABA": Receptor("GABA", "uS", +1, "GABA-A conductance (weight = jump of gsyn_GABA)"),
    },
)

MULTICOMPARTMENT = CellType(
    name="multicompartment",
    doc="A cell with a morphology (a file or inline sections), membrane properties by region "
        "(cm, Ra, the mechanisms of catalogue/mechanisms.py) and point synapses at locations; "
        "see docs/model-format.md. Its receptors are its named synapses.",
    params=(), initial=(), recordables={"v": "mV"},
    spike="the end of the time step during which v at the spike location (default soma(0.5)) "
          "crossed the threshold (default 0 mV) upwards",
)

CELL_TYPES: dict[str, CellType] = {t.name: t for t in (
    HH_SQUID, HH_COND_EXP, IF_CURR_EXP, IF_CURR_ALPHA, IF_CURR_DELTA, IF_CURR_EXP_SFA,
    IF_COND_EXP, IF_COND_BW2001, EIF_COND_EXP_ISFA_ISTA, IZHIKEVICH, MULTICOMPARTMENT)}
