"""Membrane mechanisms of multicompartment cells (densities per membrane area) and the point
synapse that can sit at a location. Every backend implements exactly these equations.

``pas`` and ``hh`` are NEURON's built-ins, parameter for parameter (names, units, defaults);
Brian2 writes the same equations for its SpatialNeuron. ``hh`` rates are scaled by
``q10 = 3 ** ((celsius - 6.3) / 10)`` with ``celsius`` the model's temperature (default
6.3 degC), and its gates start at steady state at the initial v. ``hh``'s ``ena`` and ``ek``
are the sodium and potassium ions' reversal potentials (NEURON's ``ena``, ``ek``), the same
values a region's ``reversal:`` sets.

Beyond the built-ins, a model may use every channel of mnsim's library
(:func:`mnsim.channels.library.library`), its own channel files (``channels:``) and existing
NMODL files (``mechanisms:``): :func:`mechanisms_for` resolves them all into one namespace of
:class:`Resolved` mechanisms, where a name defined twice is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mnsim.catalogue.cells import Param
from mnsim.errors import SpecError

if TYPE_CHECKING:
    from mnsim.channels.mod_file import ModMechanism
    from mnsim.channels.model import CalciumDynamics, Channel


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
ORIGINS = ("builtin", "library", "model", "mod")
IONS = ("na", "k", "ca")  # the ions whose reversal potential a region sets
BUILTIN_IONS = {"pas": (), "hh": ("na", "k")}
# names NEURON defines itself (mechanisms, ions, point processes): a channel cannot take them
NEURON_NAMES = ("capacitance", "morphology", "extracellular", "fastpas", "na_ion", "k_ion",
                "ca_ion", "IClamp", "SEClamp", "VClamp", "OClamp", "APCount", "AlphaSynapse",
                "ExpSyn", "Exp2Syn", "NetStim", "IntFire1", "IntFire2", "IntFire4",
                "PatternStim", "PointProcessMark")


@dataclass(frozen=True)
class Resolved:
    """A mechanism a model may use, and where it is defined.

    Attributes
    ----------
    mechanism
        What a region sets parameters of (names, units, defaults, conductances).
    origin
        ``"builtin"`` (NEURON's ``pas``, ``hh``), ``"library"`` (a channel file of mnsim's
        library), ``"model"`` (the model's own ``channels:``) or ``"mod"`` (one of the model's
        ``mechanisms:`` NMODL files).
    definition
        The :class:`~mnsim.channels.model.Channel` or
        :class:`~mnsim.channels.model.CalciumDynamics` (library and model channels), the
        :class:`~mnsim.channels.mod_file.ModMechanism` (``.mod`` files), None (built-ins).
    """

    mechanism: Mechanism
    origin: str
    definition: Channel | CalciumDynamics | ModMechanism | None = None

    @property
    def name(self) -> str:
        return self.mechanism.name

    @property
    def kind(self) -> str:
        """``"density"`` (on a membrane), ``"calcium_dynamics"`` (it writes ``cai``) or, for a
        ``.mod`` file, ``"POINT_PROCESS"`` / ``"ARTIFICIAL_CELL"`` (it cannot sit on a
        region)."""
        d = self.definition
        if self.origin == "mod":
            if d.kind != "SUFFIX":
                return d.kind
            return "calcium_dynamics" if d.writes_calcium else "density"
        return "density" if d is None or hasattr(d, "gates") else "calcium_dynamics"

    @property
    def ions(self) -> tuple[str, ...]:
        """The ions (of :data:`IONS`) whose reversal potential the mechanism reads."""
        d = self.definition
        if d is None:
            return BUILTIN_IONS.get(self.name, ())
        if self.origin == "mod":
            return tuple(i for i in IONS if any(u.ion == i and f"e{i}" in u.read
                                               for u in d.ions))
        return (d.ion,) if getattr(d, "ion", None) in IONS else ()

    @property
    def uses_ions(self) -> tuple[str, ...]:
        """Every ion (of :data:`IONS`) the mechanism touches: its reversal, current or
        concentration (NEURON then gives the section that ion)."""
        d = self.definition
        if self.origin == "mod":
            return tuple(i for i in IONS if any(u.ion == i for u in d.ions))
        extra = ("ca",) if self.writes_cai or self.reads_cai else ()
        return tuple(i for i in IONS if i in self.ions or i in extra)

    @property
    def writes_cai(self) -> bool:
        """Whether the mechanism writes the calcium concentration (calcium dynamics)."""
        return self.kind == "calcium_dynamics"

    @property
    def reads_cai(self) -> bool:
        """Whether the mechanism reads ``cai`` (a calcium-dependent gate, calcium dynamics
        reading ``ica`` does not count)."""
        d = self.definition
        if self.origin == "mod":
            return any(u.ion == "ca" and "cai" in u.read for u in d.ions)
        return bool(getattr(d, "uses_cai", False))

    def describe(self) -> str:
        """Where the mechanism comes from, for messages."""
        d = self.definition
        if self.origin == "builtin":
            return f"NEURON's built-in {self.name}"
        if self.origin == "mod":
            return f"{d.kind} {self.name} of {d.path}"
        where = f" ({d.path})" if getattr(d, "path", None) else " (inline)"
        return (f"library channel {self.name}{where}" if self.origin == "library"
                else f"the model's channel {self.name}{where}")


class DuplicateMechanism(SpecError):
    """A mechanism name defined twice (:func:`mechanisms_for`); ``name`` is the name,
    ``index`` the position of the second definition among those given (channels first, then
    ``.mod`` files)."""

    def __init__(self, message: str, *, name: str = "", index: int = -1, **where: Any) -> None:
        self.name = name
        self.index = index
        super().__init__(message, **where)

    def located(self, *, field: str | None, file: str | None,
                line: int | None) -> DuplicateMechanism:
        return DuplicateMechanism(self.message, name=self.name, index=self.index,
                                  field=field or self.field, file=file or self.file,
                                  line=line or self.line)


def builtin_mechanisms() -> dict[str, Resolved]:
    """NEURON's ``pas`` and ``hh``."""
    return {name: Resolved(mech, "builtin") for name, mech in MECHANISMS.items()}


def mechanisms_for(channels: Mapping[str, Channel | CalciumDynamics] | None = None,
                   mods: Iterable[ModMechanism] = ()) -> dict[str, Resolved]:
    """Every mechanism a model may use: the built-ins, mnsim's channel library, the model's own
    channels (``channels:``) and the mechanisms of its NMODL files (``mechanisms:``), in that
    order.

    Parameters
    ----------
    channels
        The model's channels by name (the name regions use).
    mods
        The model's ``.mod`` files, read.

    Returns
    -------
    dict
        name -> :class:`Resolved`.

    Raises
    ------
    DuplicateMechanism
        A name is defined twice (two of the model's definitions, or one of them and a
        built-in, a library channel or a name NEURON reserves); says where both are.
    """
    from mnsim.channels.library import library

    found = builtin_mechanisms()
    found.update({name: Resolved(ch.mechanism, "library", ch) for name, ch in library().items()})
    own = [Resolved(ch.mechanism, "model", ch) for ch in (channels or {}).values()]
    own += [Resolved(mod.mechanism, "mod", mod) for mod in mods]
    for index, res in enumerate(own):
        if res.name in found or res.name in NEURON_NAMES:
            first = (found[res.name].describe() if res.name in found
                     else "a name NEURON defines itself")
            raise DuplicateMechanism(
                f"mechanism name '{res.name}' is defined twice: by {res.describe()} and by "
                f"{first}; rename one of them (a channel's name is its key in 'channels:'; an "
                f"NMODL file's is its SUFFIX)", name=res.name, index=index)
        found[res.name] = res
    return found


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
