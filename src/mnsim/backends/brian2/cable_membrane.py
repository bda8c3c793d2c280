"""The membrane equations of a multicompartment cell on Brian2, composed from the mechanisms
the cell uses (:attr:`~mnsim.spec.cable.CableCell.mechanisms`).

* ``pas`` and ``hh`` are in every cell's equations (NEURON's, as
  :mod:`~mnsim.backends.brian2.cable` describes them), their conductances 0 where a region
  leaves them out; ``hh``'s ``ena``/``ek`` are the ions' reversals.
* Each channel (of the library or the model's own) adds its
  :func:`~mnsim.channels.equations.brian2_fragment`: every variable suffixed ``_<name>``, its
  inward current density ``i_<name>`` added to ``Im``. Every parameter is a per-compartment
  constant: its value where a region gives the channel, its default elsewhere with the
  conductance 0 (so no compartment ever divides by an unset parameter).
* Ions: ``ena``, ``ek``, ``eca`` per compartment (volt), ``celsius`` shared (degC, a number).
  Without calcium dynamics ``cai`` is a constant, NEURON's 5e-5 mM. With it, ``eca`` is
  recomputed before every step by Nernst from ``cai`` and ``cao`` = 2 mM with NEURON's
  constants (``R = 8.314462618 J/(mol K)``, ``F = 96485.33212 C/mol``,
  ``T = celsius + 273.15``), as NEURON updates it from the concentrations at every step, and
  ``cai`` follows the dynamics' equation (linear in ``cai``) by exponential Euler, as NEURON's
  ``cnexp``, with ``ica`` (the total outward calcium current density) of the step's start: v
  at the start of the step and the gates NEURON has then. Brian2 updates the gates and v in
  one object (the gates first, from the v at the start of the step), so its gates at the
  start of a step are NEURON's of the step before; ``cai`` is therefore updated after them
  (a ``run_regularly`` after the groups, with v saved before), where the gates are NEURON's.
  Integrating ``cai`` in the state update instead, with the gates of the step before, moves
  the calcium influx by one step, an error of order dt: on the shipped channel_zoo cell the
  10th spike came 0.43 ms late at dt = 0.025 ms (0.21 ms at 0.0125 ms); as done here its 74
  spike times equal NEURON's (to 1e-12 ms). Where the dynamics is absent (``nernst_ca`` 0)
  ``eca`` keeps the region's value and the dynamics' ``gamma`` is 0 and its floor ``minCai``
  5e-5 mM, so ``cai`` stays at NEURON's default there.
* Gates start at steady state at the initial v (and cai), by Brian2 expressions of the
  fragments' ``inf``.

The equations depend only on the set of mechanisms (the spec orders them: built-ins, then by
name), so cells with the same set compile the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnsim.backends.brian2.translate import HH_GATES, HH_STEADY_STATE, MV, S_PER_CM2
from mnsim.channels.model import CAI0_MM, CAO_MM, FARADAY
from mnsim.errors import CapabilityError
from mnsim.spec.cable import CableCell
from mnsim.units import to_unit

GAS_CONSTANT = 8.314462618  # J/(mol K), NEURON's
ZERO_CELSIUS_K = 273.15
# NEURON's pas and hh; each channel's inward current density is added to Im
PAS_HH_CURRENT = ("g_pas*(e_pas - v) + gnabar_hh*m**3*h*(ena - v) + gkbar_hh*n**4*(ek - v)"
                  " + gl_hh*(el_hh - v)")
COMMON = """I_syn = syn_ge - syn_g*v : amp (point current)
I_inj : amp (point current)
syn_g : siemens
syn_ge : amp
""" + HH_GATES + """g_pas : siemens/meter**2 (constant)
e_pas : volt (constant)
gnabar_hh : siemens/meter**2 (constant)
gkbar_hh : siemens/meter**2 (constant)
gl_hh : siemens/meter**2 (constant)
el_hh : volt (constant)
ena : volt (constant)
ek : volt (constant)
q10 : 1 (constant, shared)
celsius : 1 (constant, shared)
v_thresh : volt (constant, shared)
spike_site : integer (constant, shared)
"""
# (mechanism, catalogue parameter) -> (Brian2 variable, SI value of one catalogue unit)
BUILTIN_PARAMETERS: dict[tuple[str, str], tuple[str, float]] = {
    ("pas", "g"): ("g_pas", S_PER_CM2), ("pas", "e"): ("e_pas", MV),
    ("hh", "gnabar"): ("gnabar_hh", S_PER_CM2), ("hh", "gkbar"): ("gkbar_hh", S_PER_CM2),
    ("hh", "gl"): ("gl_hh", S_PER_CM2), ("hh", "el"): ("el_hh", MV),
    ("hh", "ena"): ("ena", MV), ("hh", "ek"): ("ek", MV),
}
REVERSALS = {"na": "ena", "k": "ek", "ca": "eca"}
# eca by Nernst where calcium dynamics is present (NEURON: ktf/2 log(cao/cai))
NERNST = (f"eca = nernst_ca*(0.5*{GAS_CONSTANT!r}/{FARADAY!r}*(celsius + {ZERO_CELSIUS_K!r})"
          f"*volt)*log({CAO_MM!r}*mmolar/cai) + (1 - nernst_ca)*eca")


@dataclass(frozen=True)
class Membrane:
    """The composed equations of a cell and how to fill them.

    Attributes
    ----------
    equations
        The SpatialNeuron's model.
    parameters
        (mechanism, catalogue parameter) -> (Brian2 variable, SI value of one unit).
    steady_state
        Variable -> Brian2 expression of its initial value, in the order to set them (``cai``
        before the gates that depend on it).
    dynamics
        The calcium dynamics mechanism's name, if the cell has one.
    before, after
        With calcium dynamics, the code run before each step (v saved, eca by Nernst) and
        after it (ica of the step's start, then cai).
    """

    equations: str
    parameters: dict[tuple[str, str], tuple[str, float]]
    steady_state: dict[str, str] = field(default_factory=dict)
    dynamics: str | None = None
    before: str = ""
    after: str = ""


def membrane(cell: CableCell) -> Membrane:
    """Compose the membrane equations of ``cell``.

    Raises
    ------
    CapabilityError
        The cell uses an NMODL (``.mod``) mechanism, or more than one calcium dynamics.
    """
    from mnsim.channels.equations import brian2_fragment

    fragments = []
    for res in cell.mechanisms.values():
        if res.origin == "mod":
            raise CapabilityError(
                f"the brian2 backend cannot run NMODL file {res.definition.path} (mechanism "
                f"{res.name}): only NEURON compiles .mod files; describe the channel as a "
                f"channel file (docs/channels.md) and name it in 'channels:', or run on neuron")
        if res.origin != "builtin":
            fragments.append(brian2_fragment(res.definition))
    dynamics = [f for f in fragments if f.writes_cai]
    if len(dynamics) > 1:
        raise CapabilityError(f"the brian2 backend takes one calcium dynamics mechanism per "
                              f"cell; this one has {', '.join(f.name for f in dynamics)}: use "
                              f"one (its parameters may differ per region), or run on neuron")
    currents = "".join(f" + {f.current}" for f in fragments if f.current)
    lines = [f"Im = {PAS_HH_CURRENT}{currents} : amp/meter**2", COMMON.strip()]
    lines += [f.equations.strip() for f in fragments if not f.writes_cai]
    steady: dict[str, str] = {}
    before = after = ""
    if dynamics:
        rest, rhs = _cai_equation(dynamics[0].equations)
        lines += [rest, "cai : mmolar", "ica : amp/meter**2", "v_prev : volt", "eca : volt",
                  "nernst_ca : 1 (constant)"]
        steady.update(dynamics[0].steady_state)
        inward = [f"g_{f.name}*(eca - v_prev)" for f in fragments if f.ion == "ca"]
        before = f"v_prev = v\n{NERNST}"
        after = (f"ica = -({' + '.join(inward)})" if inward else "ica = 0*amp/meter**2") \
            + f"\n{_exponential_euler(rhs)}"
    else:
        lines += ["cai : mmolar (constant)", "eca : volt (constant)"]
    steady.update(HH_STEADY_STATE)
    for f in fragments:
        steady.update({k: v for k, v in f.steady_state.items() if not f.writes_cai})
    parameters = dict(BUILTIN_PARAMETERS)
    for f in fragments:
        parameters.update({(f.name, p): b2 for p, b2 in f.parameters.items()})
    return Membrane(equations="\n".join(lines) + "\n", parameters=parameters,
                    steady_state=steady, dynamics=dynamics[0].name if dynamics else None,
                    before=before, after=after)


def membrane_values(cell: CableCell, mem: Membrane, section: np.ndarray,
                    centre: np.ndarray) -> dict[str, np.ndarray]:
    """SI values of every per-compartment variable of ``mem`` except the geometry's: the
    compartments' sections (``section``) and arc fractions of their centres (``centre``).
    ``Cm`` is the specific capacitance (F/m2)."""
    n = len(section)
    values: dict[str, np.ndarray] = {"Cm": np.zeros(n), "ena": np.zeros(n),
                                     "ek": np.zeros(n), "eca": np.zeros(n)}
    for name, res in cell.mechanisms.items():  # defaults everywhere, conductances 0
        for p in res.mechanism.params:
            var, scale = mem.parameters[(name, p.name)]
            off = p.name in res.mechanism.conductances
            values.setdefault(var, np.full(n, 0.0 if off else _si(p.default, p.unit, scale)))
    for var, _ in BUILTIN_PARAMETERS.values():
        values.setdefault(var, np.zeros(n))
    if mem.dynamics is not None:
        values["nernst_ca"] = np.zeros(n)
        inert = _inert(cell, mem)
    for i in range(len(cell.morphology.sections)):
        idx = np.flatnonzero(section == i)
        if not idx.size:
            continue
        vals = cell.values(i, centre[idx])
        values["Cm"][idx] = vals.cm * 1e-2  # uF/cm2 -> F/m2
        for ion, var in REVERSALS.items():
            values[var][idx] = vals.reversal[ion] * MV
        for mech, params in vals.mechanisms.items():
            for pname, arr in params.items():
                var, scale = mem.parameters[(mech, pname)]
                values[var][idx] = arr * scale
        if mem.dynamics is not None:
            values["nernst_ca"][idx] = vals.nernst_ca
            where = idx[~vals.nernst_ca]
            for var, value in inert.items():
                values[var][where] = value
    return values


def set_initial_state(neuron: Any, mem: Membrane, celsius: float) -> None:
    """``celsius``, ``cai`` and every gate at steady state at the present v (set before)."""
    neuron.celsius_ = celsius
    if mem.dynamics is None:
        neuron.cai_ = CAI0_MM * 1.0  # mM -> mol/m3
    for var, expr in mem.steady_state.items():
        setattr(neuron, var, expr)


def add_calcium(neuron: Any, mem: Membrane, name: str) -> list[Any]:
    """With calcium dynamics, the ``run_regularly`` operations before each step (v saved,
    ``eca`` by Nernst) and after it (``ica`` of the step's start, ``cai``)."""
    if mem.dynamics is None:
        return []
    return [neuron.run_regularly(mem.before, when="before_groups", name=f"{name}_nernst"),
            neuron.run_regularly(mem.after, when="after_groups", name=f"{name}_calcium")]


def _cai_equation(equations: str) -> tuple[str, str]:
    """A calcium dynamics fragment without its ``dcai/dt`` line, and that line's right-hand
    side."""
    rest, rhs = [], None
    for line in equations.strip().splitlines():
        head, _, tail = line.partition("=")
        if head.strip() == "dcai/dt":
            rhs = tail.rsplit(":", 1)[0].strip()
        else:
            rest.append(line)
    if rhs is None:
        raise CapabilityError("the calcium dynamics fragment has no dcai/dt equation")
    return "\n".join(rest), rhs


def _exponential_euler(rhs: str) -> str:
    """``cai``'s exponential Euler step for ``dcai/dt = rhs`` (linear in ``cai``:
    ``A + B cai``): ``cai <- -A/B + (cai + A/B) exp(B dt)``, exact for the step's ``ica``."""
    import sympy
    from brian2.parsing.sympytools import str_to_sympy, sympy_to_str

    expr = str_to_sympy(rhs)
    cai = next(s for s in expr.free_symbols if s.name == "cai")
    slope = sympy.diff(expr, cai)
    if cai in slope.free_symbols or slope == 0:
        raise CapabilityError(f"calcium dynamics dcai/dt = {rhs} is not linear in cai with a "
                              f"decay; the brian2 backend integrates it by exponential Euler")
    ratio = sympy.simplify(expr.subs(cai, 0) / slope)
    return (f"cai = -({sympy_to_str(ratio)}) + (cai + ({sympy_to_str(ratio)}))"
            f"*exp(({sympy_to_str(slope)})*dt)")


def _inert(cell: CableCell, mem: Membrane) -> dict[str, float]:
    """The dynamics' parameters where it is absent: no calcium influx (``gamma`` 0) and a
    floor at NEURON's default concentration, where ``cai`` starts: it stays there."""
    name = mem.dynamics
    gamma, _ = mem.parameters[(name, "gamma")]
    floor, scale = mem.parameters[(name, "minCai")]
    return {gamma: 0.0, floor: CAI0_MM * scale}


def _si(default: str, unit: str, scale: float) -> float:
    return to_unit(default, unit) * scale
