"""Translation tables from the catalogue's cell types and synapse types to NEURON.

Every cell is one single-compartment section (``nseg`` = 1). ``HH_squid`` uses NEURON's
built-in density mechanism ``hh``; its rows name segment attributes (``seg.gnabar_hh``,
``seg.ena``...). The integrate-and-fire types and ``Izhikevich`` use mnsim's point processes
(``mod/*.mod``), which carry every current of the cell; their rows name point-process
attributes, and the section only provides the capacitance ``c_m``.

A row is ``(catalogue name, NEURON name, scale)``: NEURON value = catalogue value * scale.
Recordable rows read ``_ref_<NEURON name>`` and divide by the scale. Synapses are NetCons whose
weight vector is laid out in ``mod/mnsim_synapses.inc``: :data:`WEIGHT_SLOTS` slots, the
receptor and synapse-type codes, and the slots of each type's fields (:data:`SYNAPSE_SLOTS`).
NEURON is not imported here: this module is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

Row = tuple[str, str, float]  # (catalogue name, NEURON name, NEURON units per catalogue unit)

NS_TO_US = 1e-3
UA_PER_CM2_UM2_TO_NA = 1e-5  # (uA/cm2) * um2 = 1e-8 uA = 1e-5 nA
IF_AREA_UM2 = 1e5  # membrane area of point-neuron sections: there cm (uF/cm2) = c_m (nF)
IZHIKEVICH_CM_NF = 1e-3  # the implicit 1 pF of the Izhikevich model (PyNN, NEST)


@dataclass(frozen=True)
class CellModel:
    """How one catalogue cell type is built in NEURON.

    Attributes
    ----------
    point_process
        The mnsim NMODL point process, or None for a density-mechanism cell (``HH_squid``).
    params
        Parameter rows, set on the point process, or on the segment if there is none.
    initial
        Initial-state rows other than ``v`` (which is the segment's), set on the point process.
    recordables
        Recordable rows read from the segment (``v``, ``m_hh``...).
    pp_recordables
        Recordable rows read from the point process.
    capacitance
        The catalogue parameter giving the total capacitance (nF) of a point-neuron section, or
        None when :attr:`fixed_cm_nF` (Izhikevich) or a density ``cm`` row (HH) applies.
    fixed_cm_nF
        Total capacitance of sections whose type has no capacitance parameter.
    offset
        For density-based cells: the row of the offset current density, injected with an
        ``IClamp`` of ``amp`` = value * scale * area (um2).
    emit_delay_steps
        How many steps after its time the point process emits a spike (``IF_curr_delta``
        checks its threshold after the events of a step boundary: see its .mod file); the
        delays of its NetCons are shortened by as much. The mechanism's GLOBAL
        ``check_delay`` is set to this value.
    """

    point_process: str | None
    params: tuple[Row, ...]
    initial: tuple[Row, ...] = ()
    recordables: tuple[Row, ...] = (("v", "v", 1.0),)
    pp_recordables: tuple[Row, ...] = ()
    capacitance: str | None = "cm"
    fixed_cm_nF: float | None = None
    offset: Row | None = None
    emit_delay_steps: float = 0.0


_LIF_DELTA: tuple[Row, ...] = (  # IF_curr_delta: the leaky integrate-and-fire core
    ("cm", "c_m", 1.0),
    ("tau_m", "tau_m", 1.0),
    ("v_rest", "v_rest", 1.0),
    ("v_reset", "v_reset", 1.0),
    ("v_thresh", "v_thresh", 1.0),
    ("tau_refrac", "tau_refrac", 1.0),
    ("i_offset", "i_offset", 1.0),
)
_LIF: tuple[Row, ...] = _LIF_DELTA + (("tau_syn_E", "tau_syn_E", 1.0),
                                      ("tau_syn_I", "tau_syn_I", 1.0))
_COND: tuple[Row, ...] = (("e_rev_E", "e_rev_E", 1.0), ("e_rev_I", "e_rev_I", 1.0))
_GSYN: tuple[Row, ...] = (("gsyn_exc", "g_exc", 1.0), ("gsyn_inh", "g_inh", 1.0))

CELL_MODELS: dict[str, CellModel] = {
    "HH_squid": CellModel(
        point_process=None,
        params=(
            ("cm", "cm", 1.0),
            ("gbar_Na", "gnabar_hh", 1.0),
            ("gbar_K", "gkbar_hh", 1.0),
            ("g_leak", "gl_hh", 1.0),
            ("e_rev_Na", "ena", 1.0),
            ("e_rev_K", "ek", 1.0),
            ("e_rev_leak", "el_hh", 1.0),
        ),
        recordables=(("v", "v", 1.0), ("m", "m_hh", 1.0), ("h", "h_hh", 1.0),
                     ("n", "n_hh", 1.0)),
        capacitance=None,
        offset=("i_offset", "amp", UA_PER_CM2_UM2_TO_NA),
    ),
    "IF_curr_exp": CellModel(point_process="mnsim_IF_curr_exp", params=_LIF),
    "IF_curr_alpha": CellModel(point_process="mnsim_IF_curr_alpha", params=_LIF),
    "IF_curr_exp_sfa": CellModel(
        point_process="mnsim_IF_curr_exp_sfa",
        params=_LIF + (("b", "b", 1.0), ("tau_w", "tau_w", 1.0)),
        initial=(("w", "w_init", 1.0),),
        pp_recordables=(("w", "w", 1.0),),
    ),
    "IF_curr_delta": CellModel(point_process="mnsim_IF_curr_delta", params=_LIF_DELTA,
                               emit_delay_steps=1e-6),
    "IF_cond_exp": CellModel(point_process="mnsim_IF_cond_exp", params=_LIF + _COND,
                             pp_recordables=_GSYN),
    "HH_cond_exp": CellModel(
        point_process="mnsim_HH_cond_exp",
        params=(
            ("gbar_Na", "gbar_Na", 1.0),
            ("gbar_K", "gbar_K", 1.0),
            ("g_leak", "g_leak", 1.0),
            ("v_offset", "v_offset", 1.0),
            ("e_rev_Na", "e_rev_Na", 1.0),
            ("e_rev_K", "e_rev_K", 1.0),
            ("e_rev_leak", "e_rev_leak", 1.0),
            ("tau_syn_E", "tau_syn_E", 1.0),
            ("tau_syn_I", "tau_syn_I", 1.0),
            ("tau_refrac", "tau_refrac", 1.0),
            ("i_offset", "i_offset", 1.0),
        ) + _COND,
        pp_recordables=_GSYN,
    ),
    "EIF_cond_exp_isfa_ista": CellModel(
        point_process="mnsim_EIF_cond_exp_isfa_ista",
        params=(
            ("cm", "c_m", 1.0),
            ("tau_m", "tau_m", 1.0),
            ("v_rest", "v_rest", 1.0),
            ("v_reset", "v_reset", 1.0),
            ("v_thresh", "v_thresh", 1.0),
            ("v_spike", "v_spike", 1.0),
            ("delta_T", "delta_T", 1.0),
            ("a", "a", NS_TO_US),
            ("b", "b", 1.0),
            ("tau_w", "tau_w", 1.0),
            ("tau_refrac", "tau_refrac", 1.0),
            ("i_offset", "i_offset", 1.0),
            ("tau_syn_E", "tau_syn_E", 1.0),
            ("tau_syn_I", "tau_syn_I", 1.0),
        ) + _COND,
        initial=(("w", "w_init", 1.0),),
        pp_recordables=(("w", "w", 1.0),) + _GSYN,
    ),
    "Izhikevich": CellModel(
        point_process="mnsim_Izhikevich",
        params=(
            ("a", "a", 1.0),
            ("b", "b", 1.0),
            ("c", "c", 1.0),
            ("d", "d", 1.0),
            ("i_offset", "i_offset", 1.0),
        ),
        initial=(("u", "u_init", 1.0),),
        pp_recordables=(("u", "u", 1.0),),
        capacitance=None,
        fixed_cm_nF=IZHIKEVICH_CM_NF,
    ),
}


def spike_threshold(cell_type: str) -> float | None:
    """Voltage (mV) whose upward crossing is a spike for density-based cells, else None
    (point processes emit their spikes themselves)."""
    return 0.0 if CELL_MODELS[cell_type].point_process is None else None


# -- synapses: the NetCon weight vector of mod/mnsim_synapses.inc ------------------------------
WEIGHT_SLOTS = 17  # the length of every mnsim cell's NET_RECEIVE argument list
RECEPTOR_SLOT = 1
SYNAPSE_SLOT = 2
RECEPTOR_CODES = {"excitatory": 0.0, "inhibitory": 1.0}
SYNAPSE_CODES = {"static": 0.0, "tsodyks_markram": 1.0, "stdp": 2.0}
# synapse type -> (catalogue field, slot); stdp's weight_dependence and delay have their own
SYNAPSE_SLOTS: dict[str, tuple[tuple[str, int], ...]] = {
    "static": (),
    "tsodyks_markram": (("U", 3), ("tau_rec", 4), ("tau_facil", 5)),
    "stdp": (("tau_plus", 3), ("tau_minus", 4), ("A_plus", 5), ("A_minus", 6), ("w_min", 7),
             ("w_max", 8)),
}
STDP_MULTIPLICATIVE_SLOT = 9  # 1 multiplicative, 0 additive
STDP_DELAY_SLOT = 10  # the NetCon's delay (ms): the dendritic delay of NEST's convention
