"""A :class:`Channel` or :class:`CalciumDynamics` -> the Brian2 equation lines of one mechanism.

Every name a fragment defines ends in ``_<name>`` (``m_NaTa_t``, ``gbar_NaTa_t``, ``i_NaTa_t``),
so fragments of several mechanisms join into one model. A fragment uses, never defines: ``v``
(volt), ``celsius`` (a number, degC), ``ena``/``ek``/``eca`` (volt), ``cai`` (mmolar; a state
where a calcium dynamics is present, else a constant the composer declares) and, in a calcium
dynamics, ``ica`` (the outward total calcium current density, amp/meter**2).

A channel's current is the **inward** density ``i_X = g_X*(e - v)`` (Brian2's membrane current
sign; NEURON's ``i`` is its negative). Gates follow ``dx/dt = (x_inf - x)/x_tau``, linear in
themselves, so ``exponential_euler`` integrates them as NEURON's ``cnexp`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mnsim.channels.model import CAI0_MM, FARADAY, CalciumDynamics, Channel, Gate, unit_of
from mnsim.channels.nmodl import q10_text


@dataclass(frozen=True)
class Fragment:
    """The Brian2 side of one mechanism.

    Attributes
    ----------
    name
        The mechanism's name (the suffix of every variable).
    equations
        Brian2 equation lines: states, subexpressions, parameters ``(constant)``.
    current
        Name of the inward current density subexpression (``i_NaTa_t``), None for calcium
        dynamics.
    ion
        ``"na"``, ``"k"``, ``"ca"`` for an ion's current, else None (nonspecific, calcium
        dynamics).
    parameters
        Catalogue parameter -> (Brian2 variable, SI value of one catalogue unit).
    steady_state
        State variable -> Brian2 expression of its initial value: a gate's inf (at the
        initial v and cai), calcium's NEURON default ``cai0_ca_ion``.
    writes_cai, reads_cai
        Whether the fragment defines ``dcai/dt`` / uses ``cai``.
    """

    name: str
    equations: str
    current: str | None
    ion: str | None
    parameters: dict[str, tuple[str, float]] = field(default_factory=dict)
    steady_state: dict[str, str] = field(default_factory=dict)
    writes_cai: bool = False
    reads_cai: bool = False


def brian2_fragment(mech: Channel | CalciumDynamics) -> Fragment:
    """The Brian2 fragment of a channel or a calcium dynamics.

    Parameters
    ----------
    mech
        What :func:`~mnsim.channels.read.read_channel` returned.

    Returns
    -------
    Fragment
        Its equations and how to set its parameters and initial values.
    """
    if isinstance(mech, CalciumDynamics):
        return _calcium(mech)
    return _channel(mech)


def _declarations(mech: Channel | CalciumDynamics) -> tuple[list[str], dict[str, tuple]]:
    lines, params = [], {}
    for p in mech.params:
        var = f"{p.name}_{mech.name}"
        unit = unit_of(p)
        lines.append(f"{var} : {unit.brian2} (constant)")
        params[p.name] = (var, unit.si)
    return lines, params


def symbol_names(ch: Channel) -> dict[str, str]:
    """Each expression symbol -> a dimensionless Brian2 expression of its number (v in mV ...)."""
    names = {"v": "(v/mV)", "celsius": "celsius", "cai": "(cai/mmolar)"}
    for pname in ch.expression_params:
        unit = unit_of(ch.param(pname))
        var = f"{pname}_{ch.name}"
        names[pname] = var if unit.brian2_scale == "1" else f"({var}/{unit.brian2_scale})"
    return names


def _channel(ch: Channel) -> Fragment:
    s = f"_{ch.name}"
    names = symbol_names(ch)
    reversal = f"{ch.reversal}{s}" if ch.reversal else f"e{ch.ion}"
    conductance = "*".join([f"{ch.conductance}{s}"]
                           + [f"{g.name}{s}" + (f"**{g.power}" if g.power > 1 else "")
                              for g in ch.gates])
    lines = [f"i{s} = g{s}*({reversal} - v) : amp/meter**2",
             f"g{s} = {conductance} : siemens/meter**2"]
    scaled = ch.q10 is not None and any(g.q10 and g.is_state for g in ch.gates)
    if scaled:
        lines.append(f"qt{s} = {q10_text(ch, 'celsius').replace('^', '**')} : 1")
    steady = {}
    for g in ch.gates:
        lines += _gate(g, s, names, f"qt{s}" if scaled and g.q10 else None)
        if g.is_state:
            steady[f"{g.name}{s}"] = f"{g.name}_inf{s}"
    declarations, params = _declarations(ch)
    return Fragment(name=ch.name, equations="\n".join(lines + declarations) + "\n",
                    current=f"i{s}", ion=None if ch.ion == "nonspecific" else ch.ion,
                    parameters=params, steady_state=steady, reads_cai=ch.uses_cai)


def _gate(g: Gate, s: str, names: dict[str, str], qt: str | None) -> list[str]:
    x = f"{g.name}"
    if g.form == "instantaneous":
        # constant over a step: evaluated from v at its start, as NEURON evaluates it in
        # BREAKPOINT, and left out of the step's linearisation (NEURON: CONDUCTANCE g), which
        # also keeps Brian2's symbolic dI/dv of a SpatialNeuron's Im tractable
        return [f"{x}{s} = {g.inf.brian2(names)} : 1 (constant over dt)"]
    lines = [f"d{x}{s}/dt = ({x}_inf{s} - {x}{s})/{x}_tau{s} : 1"]
    if g.form == "alpha_beta":
        a, b = f"{x}_alpha{s}", f"{x}_beta{s}"
        lines += [f"{a} = ({g.alpha.brian2(names)})/ms : hertz",
                  f"{b} = ({g.beta.brian2(names)})/ms : hertz",
                  f"{x}_inf{s} = {a}/({a} + {b}) : 1",
                  f"{x}_tau{s} = 1/({qt + '*' if qt else ''}({a} + {b})) : second"]
    else:
        lines += [f"{x}_inf{s} = {g.inf.brian2(names)} : 1",
                  f"{x}_tau{s} = ({g.tau.brian2(names)})*ms" + (f"/{qt}" if qt else "")
                  + " : second"]
    return lines


def _calcium(ca: CalciumDynamics) -> Fragment:
    s = f"_{ca.name}"
    lines = [f"dcai/dt = -ica*gamma{s}/(2*({FARADAY!r}*coulomb/mole)*depth{s})"
             f" - (cai - minCai{s})/decay{s} : mmolar"]
    declarations, params = _declarations(ca)
    return Fragment(name=ca.name, equations="\n".join(lines + declarations) + "\n",
                    current=None, ion=None, parameters=params,
                    steady_state={"cai": f"{CAI0_MM!r}*mmolar"}, writes_cai=True)
