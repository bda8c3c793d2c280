"""What a channel file describes, once read and checked (docs/channels-brief.md).

A :class:`Channel` is an ionic current ``i = gbar * prod(gate ** power) * (v - e)`` whose gates
relax to a steady state (or follow it at every instant); a :class:`CalciumDynamics` is the
shell of intracellular calcium that the calcium currents fill and that decays to a floor
(BBP's ``CaDynamics_E2``). Both are frozen: the generators (:mod:`~mnsim.channels.nmodl`,
:mod:`~mnsim.channels.equations`) only read them. Parameter values are held as catalogue
:class:`~mnsim.catalogue.cells.Param` entries in the units the expressions see (v in mV, time in
ms, concentration in mM, temperature in degC, length in um, conductance density in S/cm2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnsim.catalogue.cells import Param
from mnsim.channels.expr import Expr
from mnsim.units import Dims, parse_unit

if TYPE_CHECKING:  # (catalogue.mechanisms may list the library: imported where used)
    from mnsim.catalogue.mechanisms import Mechanism

IONS = ("na", "k", "ca", "nonspecific")
# NEURON's defaults for the calcium ion (cai0_ca_ion, cao0_ca_ion): the concentrations where no
# calcium dynamics writes cai, and the value cai starts at where one does (CaDynamics_E2 sets
# no initial value of its own, so NEURON starts it at cai0_ca_ion)
CAI0_MM = 5e-5
CAO_MM = 2.0
# Faraday's constant as nocmodl's units database has it (2019 SI values), C/mol
FARADAY = 96485.33212



@dataclass(frozen=True)
class Unit:
    """How a parameter of one dimension is held: ``name`` the unit its number is in (what the
    expressions see, NEURON's), ``nmodl`` the NMODL unit, ``brian2`` the Brian2 unit of its
    variable, ``brian2_scale`` the Brian2 quantity one ``name`` is (so a symbol becomes
    ``(var/scale)``, a dimensionless number) and ``si`` the SI value of one ``name``."""

    name: str
    nmodl: str
    brian2: str
    brian2_scale: str
    si: float


UNITS: dict[Dims, Unit] = {parse_unit(u.name)[1] if u.name != "degC" else (0, 0, 0, 0, 1, 0): u
                           for u in (
    Unit("mV", "(mV)", "volt", "mV", 1e-3),
    Unit("ms", "(ms)", "second", "ms", 1e-3),
    Unit("1/ms", "(/ms)", "hertz", "(1/ms)", 1e3),
    Unit("mM", "(mM)", "mmolar", "mmolar", 1.0),
    Unit("degC", "(degC)", "1", "1", 1.0),
    Unit("um", "(um)", "meter", "um", 1e-6),
    Unit("S/cm2", "(S/cm2)", "siemens/meter**2", "(siemens/cm**2)", 1e4),
    Unit("mA/cm2", "(mA/cm2)", "amp/meter**2", "(mA/cm**2)", 10.0),
    Unit("1", "(1)", "1", "1", 1.0),
)}


def unit_of(param: Param) -> Unit:
    """The :class:`Unit` of a channel parameter (its ``unit`` is one of :data:`UNITS`)."""
    return next(u for u in UNITS.values() if u.name == param.unit)


@dataclass(frozen=True)
class Source:
    """Where the kinetics come from: the paper (required) and the model they were taken from."""

    paper: str
    model: str = ""


@dataclass(frozen=True)
class Q10:
    """Temperature scaling of the rates: ``factor ** ((T - reference) / 10)``.

    ``temperature_degC`` is the temperature the source fixed (the rates then ignore the
    simulation's); ``None`` means the simulation's temperature (NEURON's ``celsius``).
    """

    factor: float
    reference_degC: float
    temperature_degC: float | None = None


@dataclass(frozen=True)
class Gate:
    """One gating variable.

    ``form`` is ``"alpha_beta"`` (rates in 1/ms: inf = a/(a+b), tau = 1/(a+b)), ``"inf_tau"``
    (tau in ms) or ``"instantaneous"`` (the gate equals ``inf`` at every instant). ``q10``
    False exempts the gate from the channel's q10.
    """

    name: str
    power: int
    form: str
    alpha: Expr | None = None
    beta: Expr | None = None
    inf: Expr | None = None
    tau: Expr | None = None
    q10: bool = True

    @property
    def is_state(self) -> bool:
        """True for a gate with dynamics (a STATE in NMODL), False for an instantaneous one."""
        return self.form != "instantaneous"

    @property
    def uses_cai(self) -> bool:
        return any("cai" in e.symbols for e in self.expressions())

    def expressions(self) -> tuple[Expr, ...]:
        return tuple(e for e in (self.alpha, self.beta, self.inf, self.tau) if e is not None)


@dataclass(frozen=True)
class Channel:
    """An ion channel: ``i = g (v - e)``, ``g = gbar * prod(gate ** power)``, outward positive.

    Attributes
    ----------
    name
        The mechanism's name (NMODL SUFFIX, Brian2 suffix, the name regions use).
    ion
        ``"na"``, ``"k"``, ``"ca"`` (the current is that ion's; e is ``ena``/``ek``/``eca``) or
        ``"nonspecific"`` (e is the channel's own parameter named by ``reversal``).
    conductance
        Name of the maximal conductance parameter (``gbar``), the first of ``params``.
    params
        Every region-settable parameter: the conductance first, then the reversal of a
        nonspecific channel, then the ``parameters`` of the file in their order.
    reversal
        Name of the reversal parameter of a nonspecific channel, else None.
    expression_params
        Names of the parameters the expressions may use (the file's ``parameters``).
    path, sha256
        The file the channel was read from and the sha256 of its text (None when inline).
    """

    name: str
    title: str
    source: Source
    ion: str
    conductance: str
    params: tuple[Param, ...]
    gates: tuple[Gate, ...]
    q10: Q10 | None = None
    reversal: str | None = None
    expression_params: tuple[str, ...] = ()
    path: str | None = None
    sha256: str | None = None

    @property
    def uses_cai(self) -> bool:
        """True when some gate depends on the intracellular calcium concentration."""
        return any(g.uses_cai for g in self.gates)

    @property
    def uses_celsius(self) -> bool:
        """True when the rates depend on the simulation's temperature."""
        q10_on = self.q10 is not None and any(g.q10 and g.is_state for g in self.gates)
        if q10_on and self.q10.temperature_degC is None:
            return True
        return any("celsius" in e.symbols for g in self.gates for e in g.expressions())

    def param(self, name: str) -> Param:
        return {p.name: p for p in self.params}[name]

    @property
    def mechanism(self) -> Mechanism:
        """The catalogue mechanism a region sets parameters of."""
        from mnsim.catalogue.mechanisms import Mechanism

        doc = (self.title or f"{self.ion} channel {self.name}") + f" ({self.source.paper})"
        return Mechanism(name=self.name, doc=doc, params=self.params,
                         conductances=(self.conductance,),
                         states=tuple(g.name for g in self.gates))


@dataclass(frozen=True)
class CalciumDynamics:
    """A submembrane calcium shell (BBP's CaDynamics_E2, after Destexhe et al. 1994)::

        dcai/dt = -10000 * ica * gamma / (2 F depth) - (cai - minCai) / decay

    in NEURON's units (ica mA/cm2, depth um, cai mM, decay ms). It reads the total calcium
    current of its point and writes ``cai``, which starts at :data:`CAI0_MM` (NEURON's
    ``cai0_ca_ion``, as CaDynamics_E2 leaves it); ``params`` are gamma, decay, depth, minCai.
    """

    name: str
    title: str
    source: Source
    params: tuple[Param, ...]
    path: str | None = None
    sha256: str | None = None

    def param(self, name: str) -> Param:
        return {p.name: p for p in self.params}[name]

    @property
    def mechanism(self) -> Mechanism:
        """The catalogue mechanism a region sets parameters of (conductances none, state cai)."""
        from mnsim.catalogue.mechanisms import Mechanism

        doc = (self.title or f"calcium dynamics {self.name}") + f" ({self.source.paper})"
        return Mechanism(name=self.name, doc=doc, params=self.params, conductances=(),
                         states=("cai",))


def nmodl_name(mech: Channel | CalciumDynamics, param: str) -> str:
    """The NEURON attribute of a parameter: ``gbar`` of ``NaTa_t`` is ``gbar_NaTa_t``."""
    return f"{param}_{mech.name}"
