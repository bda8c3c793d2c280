"""Membrane mechanisms of multicompartment cells (densities per membrane area) and the point
synapse that can sit at a location. Every backend implements exactly these equations.

``pas`` and ``hh`` are NEURON's built-ins, parameter for parameter (names, units, defaults);
Brian2 writes the same equations for its SpatialNeuron. ``hh`` rates are scaled by
``q10 = 3 ** ((celsius - 6.3) / 10)`` with ``celsius`` the model's temperature (default
6.3 degC), and its gates start at steady state at the initial v.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnsim.catalogue.cells import Param


@dataclass(frozen=True)
class Mechanism:
    """A density mechanism. ``conductances`` are the parameters that are 0 where a region
    leaves the mechanism out (so a mechanism present on part of a section is absent, not at
    its defaults, on the rest)."""

    name: str
    doc: str
    params: tuple[Param, ...]
    conductances: tuple[str, ...]
    states: tuple[str, ...] = ()

    def param(self, name: str) -> Param:
        return {p.name: p for p in self.params}[name]


PAS = Mechanism(
    name="pas",
    doc="Passive leak: i = g (v - e) (NEURON's pas).",
    params=(Param("g", "S/cm2", "0.001 S/cm2", "leak conductance density", bound="nonnegative"),
            Param("e", "mV", "-70 mV", "leak reversal potential")),
    conductances=("g",),
)

HH = Mechanism(
    name="hh",
    doc="Hodgkin & Huxley (1952) squid channels: i = gnabar m^3 h (v - ena) + gkbar n^4 "
        "(v - ek) + gl (v - el), rates of NEURON's hh.mod (v in mV, rest near -65 mV), scaled "
        "by 3 ** ((celsius - 6.3) / 10).",
    params=(Param("gnabar", "S/cm2", "0.12 S/cm2", "maximal sodium conductance density",
                  bound="nonnegative"),
            Param("gkbar", "S/cm2", "0.036 S/cm2", "maximal potassium conductance density",
                  bound="nonnegative"),
            Param("gl", "S/cm2", "0.0003 S/cm2", "leak conductance density",
                  bound="nonnegative"),
            Param("el", "mV", "-54.3 mV", "leak reversal potential"),
            Param("ena", "mV", "50 mV", "sodium reversal potential"),
            Param("ek", "mV", "-77 mV", "potassium reversal potential")),
    conductances=("gnabar", "gkbar", "gl"),
    states=("m", "h", "n"),
)

MECHANISMS: dict[str, Mechanism] = {m.name: m for m in (PAS, HH)}


@dataclass(frozen=True)
class PointSynapseType:
    name: str
    doc: str
    params: tuple[Param, ...]
    weight_unit: str


EXP2SYN = PointSynapseType(
    name="exp2syn",
    doc="NEURON's Exp2Syn: a conductance g = w * factor * (exp(-t/tau2) - exp(-t/tau1)) after "
        "each event of weight w (uS), normalised so its peak is w; i = g (v - e).",
    params=(Param("tau1", "ms", "0.1 ms", "rise time constant", bound="positive"),
            Param("tau2", "ms", "10 ms", "decay time constant (> tau1)", bound="positive"),
            Param("e", "mV", "0 mV", "reversal potential")),
    weight_unit="uS",
)

POINT_SYNAPSE_TYPES: dict[str, PointSynapseType] = {EXP2SYN.name: EXP2SYN}
