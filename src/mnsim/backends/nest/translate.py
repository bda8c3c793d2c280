"""Translation tables from the catalogue's cell types to NEST models, in the style of PyNN's
``pyNN/nest/standardmodels/cells.py``: one :class:`Row` per parameter (catalogue name, NEST
name, scale from the catalogue unit to NEST's unit).

NEST units: mV, ms, pF, nS, pA. Catalogue units: mV, ms, nF, uS, nA; HH_squid parameters are
densities (S/cm2, uF/cm2, uA/cm2) multiplied by the cell's area (a ``per_area`` row; for an
area in um2: 1 S/cm2 -> 10 nS per um2, 1 uF/cm2 -> 0.01 pF per um2, 1 uA/cm2 -> 0.01 pA per
um2). Parameters NEST derives from several catalogue parameters (``g_L = cm / tau_m``) are
:class:`Derived` rows. Recordables use the same rows: NEST's value divided by ``scale`` is the
catalogue's.

This module does not import NEST.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from mnsim.catalogue import CELL_TYPES
from mnsim.spec.model import Cell, Synapse, Value


@dataclass(frozen=True)
class Row:
    """One parameter: NEST value = catalogue value * scale (* area in um2 if ``per_area``)."""

    catalogue: str
    nest: str
    scale: float = 1.0
    per_area: bool = False

    def factor(self, area_um2: float | None) -> float:
        """The scale, times the area for density parameters."""
        if not self.per_area:
            return self.scale
        if area_um2 is None:
            raise ValueError(f"'{self.catalogue}' is a density but the cell has no area")
        return self.scale * area_um2


@dataclass(frozen=True)
class Derived:
    """A NEST parameter computed from catalogue values (catalogue units in, NEST unit out)."""

    nest: str
    inputs: tuple[str, ...]
    function: Callable[..., Value]


@dataclass(frozen=True)
class CellTranslation:
    """How one catalogue cell type becomes a NEST model.

    Attributes
    ----------
    model
        NEST model name.
    params, initial
        Rows for the catalogue's parameters and initial state.
    recordables
        Catalogue variable -> row naming the NEST recordable.
    integration
        How NEST integrates the model, for the results' record.
    derived, derived_initial
        NEST parameters / state computed from several catalogue values.
    fixed
        NEST parameters set to a constant regardless of the catalogue values.
    spike_threshold_mV
        If set, spike times are the upward crossings of ``V_m`` through this value, detected
        from ``V_m`` recorded every step (NEST's own spike events are not used).
    receptor_ports
        Catalogue receptor -> name in the NEST model's ``receptor_types`` (the connection's
        ``receptor_type``), for models with one input port per receptor; weights keep their
        sign there. Empty: one port, inhibitory weights negative.
    spikes_in_steps
        The model's spike events carry something else in their offset (iaf_bw_2001: the NMDA
        jump), so spike recorders count in steps (``time_in_steps``) and ignore it.
    has_i_e
        The NEST model has ``I_e`` (currents in the first steps are played through it).
    """

    model: str
    params: tuple[Row, ...]
    initial: tuple[Row, ...]
    recordables: Mapping[str, Row]
    integration: str
    derived: tuple[Derived, ...] = ()
    derived_initial: tuple[Derived, ...] = ()
    fixed: Mapping[str, float | bool] = field(default_factory=dict)
    spike_threshold_mV: float | None = None
    receptor_ports: Mapping[str, str] = field(default_factory=dict)
    spikes_in_steps: bool = False
    has_i_e: bool = True

    def nest_params(self, cell: Cell) -> dict[str, Value]:
        """The NEST parameters of ``cell`` (floats, or arrays with one value per neuron)."""
        return {**_apply(self.params, self.derived, cell.params, cell.area_um2), **self.fixed}

    def nest_initial(self, cell: Cell) -> dict[str, Value]:
        """The NEST state variables that hold ``cell``'s initial state (derived state may also
        read parameters: HH_cond_exp's gates depend on ``v_offset``)."""
        return _apply(self.initial, self.derived_initial, cell.initial, cell.area_um2,
                      context=cell.params)


def _apply(rows: tuple[Row, ...], derived: tuple[Derived, ...], values: Mapping[str, Value],
           area_um2: float | None, context: Mapping[str, Value] | None = None
           ) -> dict[str, Value]:
    known = {r.catalogue for r in rows} | {name for d in derived for name in d.inputs}
    unknown = sorted(set(values) - known)
    if unknown:
        raise KeyError(f"no NEST translation for {', '.join(unknown)}")
    out: dict[str, Value] = {r.nest: values[r.catalogue] * r.factor(area_um2)
                             for r in rows if r.catalogue in values}
    lookup = {**(context or {}), **values}
    for d in derived:
        out[d.nest] = d.function(*(lookup[name] for name in d.inputs))
    return out


# -- Hodgkin-Huxley rate functions, exactly as in NEST's hh_psc_alpha.cpp (V in mV, 1/ms) ------

def _linoid(x: Value, y: float) -> np.ndarray:
    """``x / (1 - exp(-x / y))``, with its limit ``y`` at ``x = 0``."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-9
    safe = np.where(small, 1.0, x)
    return np.where(small, y, safe / -np.expm1(-safe / y))


def hh_steady_state(v: Value) -> dict[str, Value]:
    """Steady-state gates ``Act_m``, ``Inact_h``, ``Act_n`` of hh_psc_alpha at voltage ``v``."""
    v = np.asarray(v, dtype=float)
    alpha_m, beta_m = 0.1 * _linoid(v + 40.0, 10.0), 4.0 * np.exp(-(v + 65.0) / 18.0)
    alpha_h, beta_h = 0.07 * np.exp(-(v + 65.0) / 20.0), 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    alpha_n, beta_n = 0.01 * _linoid(v + 55.0, 10.0), 0.125 * np.exp(-(v + 65.0) / 80.0)
    gates = {"Act_m": alpha_m / (alpha_m + beta_m), "Inact_h": alpha_h / (alpha_h + beta_h),
             "Act_n": alpha_n / (alpha_n + beta_n)}
    return {k: (float(g) if g.ndim == 0 else g) for k, g in gates.items()}


def traub_steady_state(v: Value, v_offset: Value) -> dict[str, Value]:
    """Steady-state gates ``Act_m``, ``Inact_h``, ``Act_n`` of hh_cond_exp_traub at voltage
    ``v``, with its rate functions of ``V = v - V_T`` (hh_cond_exp_traub.cpp). NEST's own
    initial gates use ``v`` unshifted, so they are set explicitly."""
    u = np.asarray(v, dtype=float) - np.asarray(v_offset, dtype=float)
    alpha_n, beta_n = 0.032 * _linoid(u - 15.0, 5.0), 0.5 * np.exp((10.0 - u) / 40.0)
    alpha_m, beta_m = 0.32 * _linoid(u - 13.0, 4.0), 0.28 * _linoid(40.0 - u, 5.0)
    alpha_h, beta_h = 0.128 * np.exp((17.0 - u) / 18.0), 4.0 / (1.0 + np.exp((40.0 - u) / 5.0))
    gates = {"Act_m": alpha_m / (alpha_m + beta_m), "Inact_h": alpha_h / (alpha_h + beta_h),
             "Act_n": alpha_n / (alpha_n + beta_n)}
    return {k: (float(g) if g.ndim == 0 else g) for k, g in gates.items()}


def _g_leak_nS(cm: Value, tau_m: Value) -> Value:
    return 1000.0 * cm / tau_m  # nF / ms = uS -> nS


# -- the tables ---------------------------------------------------------------------------------

_V = (Row("v", "V_m"),)
_LIF = (
    Row("v_rest", "E_L"),
    Row("v_reset", "V_reset"),
    Row("v_thresh", "V_th"),
    Row("cm", "C_m", 1000.0),  # nF -> pF
    Row("tau_refrac", "t_ref"),
    Row("tau_syn_E", "tau_syn_ex"),
    Row("tau_syn_I", "tau_syn_in"),
    Row("i_offset", "I_e", 1000.0),  # nA -> pA
)
_G_LEAK = (Derived("g_L", ("cm", "tau_m"), _g_leak_nS),)
_COND = (Row("e_rev_E", "E_ex"), Row("e_rev_I", "E_in"))
_GSYN = {"gsyn_exc": Row("gsyn_exc", "g_ex", 1000.0),  # uS -> nS
         "gsyn_inh": Row("gsyn_inh", "g_in", 1000.0)}

CELLS: dict[str, CellTranslation] = {
    "HH_squid": CellTranslation(
        model="hh_psc_alpha",
        params=(
            Row("cm", "C_m", 0.01, per_area=True),  # uF/cm2 * um2 -> pF
            Row("gbar_Na", "g_Na", 10.0, per_area=True),  # S/cm2 * um2 -> nS
            Row("gbar_K", "g_K", 10.0, per_area=True),
            Row("g_leak", "g_L", 10.0, per_area=True),
            Row("e_rev_Na", "E_Na"),
            Row("e_rev_K", "E_K"),
            Row("e_rev_leak", "E_L"),
            Row("i_offset", "I_e", 0.01, per_area=True),  # uA/cm2 * um2 -> pA
        ),
        initial=_V,
        # hh_psc_alpha does not recompute its gates when V_m is set: start them at steady state
        derived_initial=tuple(Derived(g, ("v",), lambda v, g=g: hh_steady_state(v)[g])
                              for g in ("Act_m", "Inact_h", "Act_n")),
        recordables={"v": Row("v", "V_m"), "m": Row("m", "Act_m"), "h": Row("h", "Inact_h"),
                     "n": Row("n", "Act_n")},
        integration="hh_psc_alpha: GSL RKF45, adaptive steps within each dt",
        spike_threshold_mV=0.0,
    ),
    "IF_curr_exp": CellTranslation(
        model="iaf_psc_exp",
        params=_LIF + (Row("tau_m", "tau_m"),),
        initial=_V,
        recordables={"v": Row("v", "V_m")},
        integration="iaf_psc_exp: exact integration (propagator matrix)",
    ),
    "IF_curr_delta": CellTranslation(
        model="iaf_psc_delta",
        params=tuple(r for r in _LIF if not r.nest.startswith("tau_syn")) + (
            Row("tau_m", "tau_m"),),
        initial=_V,
        recordables={"v": Row("v", "V_m")},
        fixed={"refractory_input": False},  # inputs arriving while refractory are lost
        integration="iaf_psc_delta: exact integration (propagator matrix)",
    ),
    "HH_cond_exp": CellTranslation(
        model="hh_cond_exp_traub",
        params=(
            Row("gbar_Na", "g_Na", 1000.0),  # uS -> nS
            Row("gbar_K", "g_K", 1000.0),
            Row("g_leak", "g_L", 1000.0),
            Row("cm", "C_m", 1000.0),  # nF -> pF
            Row("v_offset", "V_T"),
            Row("e_rev_Na", "E_Na"),
            Row("e_rev_K", "E_K"),
            Row("e_rev_leak", "E_L"),
            Row("tau_refrac", "t_ref"),
            Row("i_offset", "I_e", 1000.0),  # nA -> pA
            Row("tau_syn_E", "tau_syn_ex"),
            Row("tau_syn_I", "tau_syn_in"),
        ) + _COND,
        initial=_V,
        derived_initial=tuple(
            Derived(g, ("v", "v_offset"), lambda v, vt, g=g: traub_steady_state(v, vt)[g])
            for g in ("Act_m", "Inact_h", "Act_n")),
        recordables={"v": Row("v", "V_m"), **_GSYN},
        # its spike events follow the catalogue's rule (V_m >= V_T + 30 mV past the peak,
        # outside t_ref): NEST's spike_recorder is used directly
        integration="hh_cond_exp_traub: GSL RKF45, adaptive steps within each dt",
    ),
    "IF_curr_exp_sfa": CellTranslation(
        # a = 0 and Delta_T = 0: no subthreshold adaptation, no exponential term; NEST then
        # detects the spike at V_th (V_peak is only the bound of V in the equations: set to
        # V_th, which NEST needs V_peak >= V_th for). Reset and w += b happen at the GSL
        # sub-step where V reaches V_th; the spike is stamped at the end of the step and V is
        # held at V_reset until the same step as iaf_psc_exp releases it.
        model="aeif_psc_exp",
        params=_LIF + (Row("b", "b", 1000.0), Row("tau_w", "tau_w")),  # b: nA -> pA
        derived=_G_LEAK + (Derived("V_peak", ("v_thresh",), lambda v: v),),
        initial=_V + (Row("w", "w", 1000.0),),  # nA -> pA
        recordables={"v": Row("v", "V_m"), "w": Row("w", "w", 1000.0)},
        fixed={"a": 0.0, "Delta_T": 0.0},
        integration="aeif_psc_exp (a = 0, Delta_T = 0): GSL RKF45, adaptive steps within "
                    "each dt",
    ),
    "IF_curr_alpha": CellTranslation(
        model="iaf_psc_alpha",
        params=_LIF + (Row("tau_m", "tau_m"),),
        initial=_V,
        recordables={"v": Row("v", "V_m")},
        integration="iaf_psc_alpha: exact integration (propagator matrix)",
    ),
    "IF_cond_bw2001": CellTranslation(
        model="iaf_bw_2001",
        params=tuple(r for r in _LIF if not r.nest.startswith(("tau_syn", "I_e"))) + _COND + (
            Row("tau_AMPA", "tau_AMPA"), Row("tau_GABA", "tau_GABA"),
            Row("tau_rise_NMDA", "tau_rise_NMDA"), Row("tau_decay_NMDA", "tau_decay_NMDA"),
            Row("alpha", "alpha"),  # 1/ms
            Row("conc_Mg2", "conc_Mg2")),  # mM
        derived=_G_LEAK,
        initial=_V,
        recordables={"v": Row("v", "V_m"), "gsyn_AMPA": Row("gsyn_AMPA", "s_AMPA", 1000.0),
                     "gsyn_NMDA": Row("gsyn_NMDA", "s_NMDA", 1000.0),  # uS -> nS
                     "gsyn_GABA": Row("gsyn_GABA", "s_GABA", 1000.0)},
        receptor_ports={"AMPA": "AMPA", "NMDA": "NMDA", "GABA": "GABA"},
        spikes_in_steps=True,
        has_i_e=False,
        integration="iaf_bw_2001: GSL RKF45, adaptive steps within each dt",
    ),
    "IF_cond_exp": CellTranslation(
        model="iaf_cond_exp",
        params=_LIF + _COND,
        derived=_G_LEAK,
        initial=_V,
        recordables={"v": Row("v", "V_m"), **_GSYN},
        integration="iaf_cond_exp: GSL RKF45, adaptive steps within each dt",
    ),
    "EIF_cond_exp_isfa_ista": CellTranslation(
        model="aeif_cond_exp",
        params=(
            Row("cm", "C_m", 1000.0),  # nF -> pF
            Row("v_rest", "E_L"),
            Row("v_reset", "V_reset"),
            Row("v_thresh", "V_th"),
            Row("v_spike", "V_peak"),
            Row("delta_T", "Delta_T"),
            Row("a", "a"),  # nS
            Row("b", "b", 1000.0),  # nA -> pA
            Row("tau_w", "tau_w"),
            Row("tau_refrac", "t_ref"),
            Row("i_offset", "I_e", 1000.0),  # nA -> pA
            Row("tau_syn_E", "tau_syn_ex"),
            Row("tau_syn_I", "tau_syn_in"),
        ) + _COND,
        derived=_G_LEAK,
        initial=_V + (Row("w", "w", 1000.0),),  # nA -> pA
        recordables={"v": Row("v", "V_m"), "w": Row("w", "w", 1000.0), **_GSYN},
        integration="aeif_cond_exp: GSL RKF45, adaptive steps within each dt",
    ),
    "Izhikevich": CellTranslation(
        model="izhikevich",
        params=(
            Row("a", "a"),
            Row("b", "b"),
            Row("c", "c"),
            Row("d", "d"),
            Row("i_offset", "I_e", 1000.0),  # nA -> pA, which the model reads as I (mV/ms)
        ),
        initial=_V + (Row("u", "U_m"),),
        recordables={"v": Row("v", "V_m"), "u": Row("u", "U_m")},
        # consistent_integration: forward Euler with step dt (converges to the ODE as dt -> 0),
        # not the published 2 x 0.5 ms scheme, which is tied to dt = 1 ms
        fixed={"V_th": 30.0, "consistent_integration": True},
        integration="izhikevich: forward Euler (consistent_integration)",
    ),
}


# -- synapses -----------------------------------------------------------------------------------

WEIGHT_TO_NEST = {"nA": 1000.0, "uS": 1000.0, "mV": 1.0}  # nA -> pA, uS -> nS, mV as is


def weight_factor(cell_type: str, receptor: str) -> float:
    """NEST weight = catalogue weight * factor: the receptor unit's scale times NEST's sign.

    Most NEST models take one input port and route a spike by the sign of its weight, so every
    inhibitory weight is negative (conductances included), while the catalogue's inhibitory
    conductances are positive (PyNN's convention). Models with a port per receptor
    (``receptor_ports``: iaf_bw_2001) take the weights with the catalogue's sign."""
    rec = CELL_TYPES[cell_type].receptors[receptor]
    if CELLS[cell_type].receptor_ports:
        return WEIGHT_TO_NEST[rec.weight_unit]
    nest_sign = -1.0 if receptor == "inhibitory" else 1.0
    return WEIGHT_TO_NEST[rec.weight_unit] * nest_sign * rec.sign


def nest_synapse(syn: Synapse, factor: float) -> tuple[str, dict[str, float]]:
    """The NEST synapse model of ``syn`` and its per-projection defaults (for ``CopyModel``).

    ``tsodyks_markram`` -> ``tsodyks2_synapse``: NEST (>= 3.0) delivers the first spike with the
    initial ``u``, ``x`` and updates them from the second spike on, so ``u = U``, ``x = 1``
    gives the catalogue's first spike (x = 1, u = 0 updated to u = U). ``stdp`` ->
    ``stdp_synapse``: lambda = A_plus, alpha = A_minus / A_plus, mu_plus = mu_minus = 0
    (additive) or 1 (multiplicative), Wmax = w_max in NEST's unit and sign; tau_minus belongs
    to the post neurons (see :mod:`mnsim.backends.nest.network`).
    """
    p = syn.params
    if syn.type == "static":
        return "static_synapse", {}
    if syn.type == "tsodyks_markram":
        return "tsodyks2_synapse", {"U": p["U"], "u": p["U"], "x": 1.0, "tau_rec": p["tau_rec"],
                                    "tau_fac": p["tau_facil"]}
    if syn.type == "stdp":
        mu = 0.0 if p["weight_dependence"] == "additive" else 1.0
        w_max = p["w_max"] * factor  # negative onto inhibitory receptors, like the weights
        return "stdp_synapse", {"tau_plus": p["tau_plus"], "lambda": p["A_plus"],
                                "alpha": p["A_minus"] / p["A_plus"] if p["A_plus"] else 1.0,
                                "mu_plus": mu, "mu_minus": mu, "Wmax": w_max,
                                "weight": w_max}  # a default of Wmax's sign (NEST checks)
    raise ValueError(f"no NEST translation for synapse type {syn.type}")
