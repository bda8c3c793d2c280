"""A channel file (or the same mapping inline in a model) -> :class:`Channel` or
:class:`CalciumDynamics`, every rule of docs/channels.md checked here.

Errors are :class:`~mnsim.errors.SpecError` naming the file, line and field, what was expected,
what was given and, for an unknown key, the closest valid one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from mnsim.catalogue.cells import Param
from mnsim.channels.expr import FUNCTIONS, NONE, parse
from mnsim.channels.model import (
    IONS,
    Q10,
    UNITS,
    CalciumDynamics,
    Channel,
    Gate,
    Source,
)
from mnsim.errors import SpecError, UnitError
from mnsim.spec.context import Context, closest, dotted
from mnsim.spec.yamlio import read_yaml
from mnsim.units import dimension_name, dims_of, parse_unit

KINDS = ("channel", "calcium_dynamics")
CHANNEL_FIELDS = ("name", "kind", "title", "source", "ion", "conductance", "reversal",
                  "parameters", "q10", "gates")
CALCIUM_FIELDS = ("name", "kind", "title", "source", "parameters")
GATE_FIELDS = ("power", "alpha", "beta", "inf", "tau", "instantaneous", "q10")
# calcium dynamics: parameter -> (unit, default (BBP's CaDynamics_E2), bound, doc)
CALCIUM_PARAMS = {
    "gamma": ("1", "0.05", "nonnegative", "fraction of the calcium current left unbuffered"),
    "decay": ("ms", "80 ms", "positive", "time constant of the removal of calcium"),
    "depth": ("um", "0.1 um", "positive", "depth of the submembrane shell"),
    "minCai": ("mM", "0.0001 mM", "nonnegative", "concentration calcium decays to"),
}
VOLTAGE, TIME, RATE = (parse_unit(u)[1] for u in ("mV", "ms", "1/ms"))
TEMPERATURE = (0, 0, 0, 0, 1, 0)
CONCENTRATION = parse_unit("mM")[1]
# the result each gate field must have: a dimension, or unfixed/dimensionless (None / NONE)
RESULT = {"alpha": RATE, "beta": RATE, "tau": TIME, "inf": NONE}
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# names a parameter or gate may not take: what NEURON and the generated code already use
RESERVED = frozenset({
    "v", "t", "dt", "celsius", "cai", "cao", "eca", "ena", "ek", "ica", "ina", "ik", "g", "i",
    "area", "diam", "secondorder", "PI", "FARADAY", "R", "qt",
    *FUNCTIONS, "fabs", "pow",
    # NMODL keywords that are plain words
    "if", "else", "while", "for", "and", "or", "not", "from", "to", "with", "table",
})
RESERVED_BUILTINS = ("hh", "pas", "extracellular", "fastpas", "na_ion", "k_ion", "ca_ion")

Lines = Mapping[tuple[Any, ...], int] | Callable[[tuple[Any, ...]], "int | None"]


def read_channel(source: str | Path | Mapping[str, Any], *, name: str | None = None,
                 file: str | None = None, line_of: Lines | None = None,
                 prefix: tuple[Any, ...] = ()) -> Channel | CalciumDynamics:
    """Read and check a channel or calcium dynamics description.

    Parameters
    ----------
    source
        A YAML file, or the mapping itself (a model's inline channel).
    name
        The name it is used under (a model's ``channels:`` key, a library file's stem); the
        description's ``name:`` must equal it, and may then be left out.
    file
        For a mapping: the file it was written in (messages name it).
    line_of
        For a mapping: the line of each field, as a map or function of its path (the path
        starts with ``prefix``).
    prefix
        For a mapping: the path of the description in its file, e.g. ``("channels", "kdr")``.

    Raises
    ------
    SpecError
        Anything the description gets wrong.
    """
    path = sha = None
    if isinstance(source, Mapping):
        raw, lines = source, _Lines(line_of)
        file = file or "<inline>"
    else:
        path = Path(source)
        file = file or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot read the channel file: {exc.strerror}", file=file) from None
        sha = hashlib.sha256(text.encode()).hexdigest()
        raw, lines = read_yaml(text, file)
        prefix = ()
    reader = _Reader(Context(file, lines), prefix)
    raw = reader.mapping(raw, (), "channel fields (name, source, ion, conductance, gates ...)")
    kind = raw.get("kind", "channel")
    if kind not in KINDS:
        reader.fail(("kind",), f"unknown kind {kind!r}{closest(str(kind), KINDS)}; kinds: "
                               f"{', '.join(KINDS)}")
    if kind == "calcium_dynamics":
        return reader.calcium(raw, name, str(path) if path else None, sha)
    return reader.channel(raw, name, str(path) if path else None, sha)


class _Lines(Mapping):
    """A line map over a caller's lines (a mapping or a function of the path)."""

    def __init__(self, line_of: Lines | None) -> None:
        self.line_of = line_of

    def _get(self, key: tuple[Any, ...]) -> int | None:
        if self.line_of is None:
            return None
        if callable(self.line_of):
            return self.line_of(key)
        return self.line_of.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self._get(key) is not None

    def __getitem__(self, key: tuple[Any, ...]) -> int:
        line = self._get(key)
        if line is None:
            raise KeyError(key)
        return line

    def __iter__(self):  # the lines are looked up, never listed
        return iter(())

    def __len__(self) -> int:
        return 0


class _Reader:
    def __init__(self, ctx: Context, prefix: tuple[Any, ...]) -> None:
        self.ctx, self.prefix = ctx, prefix

    # -- plumbing: every path below is relative to the description --------------------------
    def fail(self, path: tuple[Any, ...], message: str) -> NoReturn:
        self.ctx.fail(self.prefix + path, message)

    def mapping(self, value: Any, path: tuple[Any, ...], what: str) -> Mapping[str, Any]:
        return self.ctx.mapping(value, self.prefix + path, what)

    def keys(self, value: Mapping[str, Any], path: tuple[Any, ...], allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> None:
        self.ctx.keys(value, self.prefix + path, allowed, required)

    def quantity(self, value: Any, unit: str, path: tuple[Any, ...]) -> float:
        return self.ctx.quantity(value, unit, self.prefix + path)

    def text(self, value: Any, path: tuple[Any, ...]) -> str:
        return self.ctx.string(value, self.prefix + path)

    # -- shared fields ----------------------------------------------------------------------
    def name(self, raw: Mapping[str, Any], given: str | None) -> str:
        if "name" not in raw and given is None:
            self.fail((), "missing required field 'name' (the mechanism's name, e.g. NaTa_t)")
        name = raw.get("name", given)
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            self.fail(("name",), f"expected a name of letters, digits and '_' starting with a "
                                 f"letter (it is the NMODL SUFFIX), got {name!r}")
        if given is not None and name != given:
            self.fail(("name",), f"the name '{name}' must equal the name it is used under, "
                                 f"'{given}' (a library file's name, a model's channels: key)")
        if name in RESERVED_BUILTINS or name.endswith("_ion"):
            self.fail(("name",), f"'{name}' is a NEURON built-in mechanism; choose another name")
        return name

    def source(self, raw: Mapping[str, Any]) -> tuple[str, Source]:
        if "source" not in raw:
            self.fail((), "missing required field 'source' (source: {paper: \"Author (year) "
                          "Journal\", model: \"where the .mod came from\"})")
        src = self.mapping(raw["source"], ("source",), "source fields (paper, model)")
        self.keys(src, ("source",), ("paper", "model"), required=("paper",))
        paper = self.text(src["paper"], ("source", "paper"))
        model = self.text(src["model"], ("source", "model")) if "model" in src else ""
        title = self.text(raw["title"], ("title",)) if "title" in raw else ""
        return title, Source(paper, model)

    def one(self, raw: Mapping[str, Any], field: str, unit: str, example: str,
            bound: str, doc: str) -> Param:
        """A ``{name: quantity}`` field holding exactly one parameter."""
        body = self.mapping(raw[field], (field,), f"one {doc}, e.g. {field}: {{{example}}}")
        if len(body) != 1:
            self.fail((field,), f"expected exactly one entry, e.g. {field}: {{{example}}}, "
                                f"got {len(body)}")
        (pname, value), = body.items()
        self.param_name(pname, (field, pname))
        number = self.quantity(value, unit, (field, pname))
        if bound and number < 0:
            self.fail((field, pname), f"expected a value >= 0, got {value!r}")
        return Param(str(pname), unit, f"{number!r} {unit}", doc, bound=bound)

    def param_name(self, name: Any, path: tuple[Any, ...], taken: tuple[str, ...] = ()) -> None:
        if not isinstance(name, str):
            self.fail(path, f"a name must be text, got {name!r} (YAML reads on/off/yes/no and "
                            f"numbers as values: quote the name)")
        if not _IDENTIFIER.match(name) or name.startswith("mnsim_"):
            self.fail(path, f"a parameter name is letters, digits and '_' starting with a "
                            f"letter (not mnsim_...), got '{name}'")
        if name in RESERVED or name in taken:
            who = "this channel" if name in taken else "NEURON or the generated code"
            self.fail(path, f"'{name}' is already used (by {who}); choose another name")

    # -- channels ---------------------------------------------------------------------------
    def channel(self, raw: Mapping[str, Any], given: str | None, path: str | None,
                sha: str | None) -> Channel:
        self.keys(raw, (), CHANNEL_FIELDS, required=("ion", "conductance", "gates"))
        name = self.name(raw, given)
        title, source = self.source(raw)
        ion = raw["ion"]
        if ion not in IONS:
            self.fail(("ion",), f"expected one of {', '.join(IONS)}, got {ion!r}"
                                f"{closest(str(ion), IONS)}")
        gbar = self.one(raw, "conductance", "S/cm2", "gbar: 0.001 S/cm2", "nonnegative",
                        "maximal conductance density")
        params = [gbar]
        reversal = None
        if ion == "nonspecific":
            if "reversal" not in raw:
                self.fail((), "a nonspecific channel needs its reversal potential, e.g. "
                              "reversal: {e: -45 mV}")
            params.append(self.one(raw, "reversal", "mV", "e: -45 mV", "",
                                   "reversal potential"))
            reversal = params[-1].name
        elif "reversal" in raw:
            self.fail(("reversal",), f"a{'n' if ion == 'na' else ''} {ion} channel uses the "
                                     f"ion's reversal potential (e{ion}), set per region "
                                     f"(reversal: {{{ion}: ... mV}}); remove this field or "
                                     f"make the channel nonspecific")
        own = self.parameters(raw.get("parameters", {}), tuple(p.name for p in params))
        params += own
        q10 = self.q10(raw["q10"]) if "q10" in raw else None
        symbols = {"v": VOLTAGE, "celsius": TEMPERATURE, "cai": CONCENTRATION,
                   **{p.name: dims_of(f"1 {p.unit}") for p in own}}
        gates = self.gates(raw["gates"], name, symbols, tuple(p.name for p in params))
        return Channel(name=name, title=title, source=source, ion=ion,
                       conductance=gbar.name, params=tuple(params), gates=gates, q10=q10,
                       reversal=reversal, expression_params=tuple(p.name for p in own),
                       path=path, sha256=sha)

    def parameters(self, raw: Any, taken: tuple[str, ...]) -> list[Param]:
        raw = self.mapping(raw, ("parameters",), "parameters (name: quantity, e.g. vshift: "
                                                 "0 mV)")
        params = []
        for pname, value in raw.items():
            where = ("parameters", pname)
            self.param_name(pname, where, taken + tuple(p.name for p in params))
            try:
                dims = dims_of(value)
            except UnitError as exc:
                self.fail(where, str(exc))
            unit = UNITS.get(dims)
            if unit is None:
                self.fail(where, f"'{value}' is a {dimension_name(dims)}; a parameter is a "
                                 f"voltage, time, rate, concentration, temperature, length, "
                                 f"conductance density, current density or a plain number")
            number = self.quantity(value, unit.name, where)
            params.append(Param(str(pname), unit.name,
                                f"{number!r} {unit.name}" if unit.name != "1" else repr(number),
                                f"parameter of the channel ({unit.name})"))
        return params

    def q10(self, raw: Any) -> Q10:
        raw = self.mapping(raw, ("q10",), "q10 fields, e.g. q10: {factor: 2.3, reference: "
                                          "21 degC}")
        self.keys(raw, ("q10",), ("factor", "reference", "temperature"),
                  required=("factor", "reference"))
        factor = self.quantity(raw["factor"], "1", ("q10", "factor"))
        if not factor > 0:
            self.fail(("q10", "factor"), f"expected a factor above zero, got {raw['factor']!r}")
        reference = self.quantity(raw["reference"], "degC", ("q10", "reference"))
        temperature = (self.quantity(raw["temperature"], "degC", ("q10", "temperature"))
                       if "temperature" in raw else None)
        return Q10(factor, reference, temperature)

    def gates(self, raw: Any, channel: str, symbols: dict[str, Any],
              taken: tuple[str, ...]) -> tuple[Gate, ...]:
        raw = self.mapping(raw, ("gates",), "gates (name: {power, alpha, beta} or {power, "
                                            "inf, tau}); {} for a channel without gates")
        gates: list[Gate] = []
        used = list(taken)
        for gname, body in raw.items():
            where = ("gates", gname)
            self.param_name(gname, where, tuple(used))
            used += [gname] + [f"{gname}_{s}" for s in ("inf", "tau", "alpha", "beta")]
            gates.append(self.gate(gname, body, channel, symbols))
        for gate in gates:  # generated names of a gate may not be a parameter's
            for p in taken:
                if p.startswith(f"{gate.name}_") and p.split("_", 1)[1] in ("inf", "tau",
                                                                           "alpha", "beta"):
                    self.fail(("parameters", p), f"'{p}' is the name the generated code gives "
                                                 f"gate {gate.name}'s {p.split('_', 1)[1]}; "
                                                 f"choose another name")
        return tuple(gates)

    def gate(self, gname: str, body: Any, channel: str, symbols: dict[str, Any]) -> Gate:
        where = ("gates", gname)
        body = self.mapping(body, where, "gate fields (power, alpha, beta, inf, tau, "
                                         "instantaneous, q10)")
        self.keys(body, where, GATE_FIELDS)
        power = body.get("power", 1)
        if isinstance(power, bool) or not isinstance(power, int) or power < 1:
            self.fail(where + ("power",), f"expected a whole number >= 1, got {power!r}")
        flags = {}
        for flag in ("instantaneous", "q10"):
            flags[flag] = body.get(flag, flag == "q10")
            if not isinstance(flags[flag], bool):
                self.fail(where + (flag,), f"expected true or false, got {flags[flag]!r}")
        given = tuple(k for k in ("alpha", "beta", "inf", "tau") if k in body)
        forms = {("alpha", "beta"): "alpha_beta", ("inf", "tau"): "inf_tau"}
        form = "instantaneous" if flags["instantaneous"] else forms.get(given)
        if (flags["instantaneous"] and given != ("inf",)) or form is None:
            self.fail(where, f"a gate needs alpha and beta (rates, 1/ms), inf and tau (tau in "
                             f"ms), or inf alone with instantaneous: true; got "
                             f"{', '.join(given) or 'none of them'}"
                             f"{' with instantaneous: true' if flags['instantaneous'] else ''}")
        exprs = {k: self.expression(body[k], channel, gname, k, symbols) for k in given}
        return Gate(name=gname, power=power, form=form, q10=flags["q10"], **exprs)

    def expression(self, value: Any, channel: str, gname: str, field: str,
                   symbols: dict[str, Any]):
        path = self.prefix + ("gates", gname, field)
        file, line = self.ctx.where(path)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(("gates", gname, field), f"expected an expression, got {value!r}")
        expr = parse(str(value), symbols=symbols, where=f"channel {channel}, gate {gname}, "
                                                        f"{field}", file=file, line=line,
                     field=dotted(path))
        want = RESULT[field]
        if expr.dimension not in (None, NONE, want):
            what = {"alpha": "a rate (1/ms)", "beta": "a rate (1/ms)", "tau": "a time (ms)",
                    "inf": "a dimensionless number"}[field]
            raise SpecError(f"channel {channel}, gate {gname}: {field} must come out as {what}, "
                            f"but '{value}' is a {dimension_name(expr.dimension)}",
                            file=file, line=line, field=dotted(path))
        return expr

    # -- calcium dynamics -------------------------------------------------------------------
    def calcium(self, raw: Mapping[str, Any], given: str | None, path: str | None,
                sha: str | None) -> CalciumDynamics:
        self.keys(raw, (), CALCIUM_FIELDS)
        name = self.name(raw, given)
        title, source = self.source(raw)
        values = self.mapping(raw.get("parameters", {}), ("parameters",),
                              "parameters (gamma, decay, depth, minCai)")
        self.keys(values, ("parameters",), tuple(CALCIUM_PARAMS))
        params = []
        for pname, (unit, default, bound, doc) in CALCIUM_PARAMS.items():
            number = self.quantity(values.get(pname, default), unit, ("parameters", pname))
            if number < 0 or (bound == "positive" and number == 0):
                self.fail(("parameters", pname), f"expected a value "
                                                 f"{'above' if bound == 'positive' else '>='} "
                                                 f"zero, got {values.get(pname)!r}")
            params.append(Param(pname, unit, repr(number) if unit == "1" else
                                f"{number!r} {unit}", doc, bound=bound))
        return CalciumDynamics(name=name, title=title, source=source, params=tuple(params),
                               path=path, sha256=sha)
