"""An existing NMODL file read for what a model may do with it, never run.

:func:`read_mod` reads the ``NEURON``, ``UNITS`` and ``PARAMETER`` blocks of a ``.mod`` file
with a small tokenizer (comments ``:`` and ``?`` to the end of a line, ``COMMENT ...
ENDCOMMENT`` and ``VERBATIM ... ENDVERBATIM`` skipped) into a :class:`ModMechanism`: the
mechanism's name (``SUFFIX``, or ``POINT_PROCESS`` / ``ARTIFICIAL_CELL``), the ions it uses
(``USEION``), its nonspecific currents, its parameters (units, defaults) and its ``RANGE``
names, and the files it includes. NEURON compiles the file as it is; mnsim
only needs to know which parameters a region may set and in which unit.

Units: an NMODL unit such as ``(S/cm2)``, ``(mho/cm2)``, ``(mV)``, ``(/ms)``, ``(pS/um2)``,
``(mM)`` or ``(degC)`` becomes mnsim's spelling (``S/cm2``, ``1/ms`` ...), following the
file's own ``UNITS`` aliases (``(mM) = (milli/liter)``) when a name is not a unit mnsim knows;
a parameter whose unit mnsim cannot read is kept as a bare number (in the file's unit), with a
warning.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mnsim.catalogue.cells import Param
from mnsim.catalogue.mechanisms import Mechanism
from mnsim.errors import SpecError, UnitError
from mnsim.units import parse_unit

KINDS = ("SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL")
NEURON_KEYWORDS = (*KINDS, "USEION", "NONSPECIFIC_CURRENT", "ELECTRODE_CURRENT", "RANGE",
                   "GLOBAL", "POINTER", "BBCOREPOINTER", "EXTERNAL", "THREADSAFE",
                   "REPRESENTS", "RANDOM")
USEION_WORDS = ("READ", "WRITE", "VALENCE", "REPRESENTS")
# PARAMETER names NEURON supplies itself: never a parameter of the mechanism
NEURON_SUPPLIED = ("v", "t", "dt", "celsius", "area", "diam", "secondorder")
# NMODL unit names -> mnsim's (a prefix is allowed before the plural-free forms)
UNIT_NAMES = {"mho": "S", "siemens": "S", "micron": "um", "microns": "um", "volt": "V",
              "millivolt": "mV", "amp": "A", "milliamp": "mA", "nanoamp": "nA",
              "microamp": "uA", "molar": "M", "millimolar": "mM", "micromolar": "uM",
              "nanomolar": "nM", "ohm": "ohm", "sec": "s", "msec": "ms", "second": "s",
              "kelvin": "K"}

_TOKEN = re.compile(r"""
    (?P<unit>\([^()]*\))                     # a unit, kept whole
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*'*)
  | (?P<string>"[^"\n]*")
  | (?P<op>[{}=,<>\[\]\-+*/^])
  | (?P<other>\S)
""", re.VERBOSE)


@dataclass(frozen=True)
class IonUse:
    """One ``USEION`` statement: the ion, the variables read and written, its valence."""

    ion: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    valence: float | None = None


@dataclass(frozen=True)
class ModParam:
    """A ``PARAMETER`` of the file: ``unit`` in mnsim's spelling (``"1"`` when dimensionless
    or unreadable), ``nmodl_unit`` as written (without parentheses, ``""`` if none),
    ``default`` the value written (``None`` if none: NEURON then starts it at 0)."""

    name: str
    unit: str
    nmodl_unit: str
    default: float | None


@dataclass(frozen=True)
class ModMechanism:
    """What mnsim knows of a ``.mod`` file (:func:`read_mod`): its ``path``, the mechanism's
    ``name`` and ``kind`` (``"SUFFIX"``: a density mechanism, ``"POINT_PROCESS"`` or
    ``"ARTIFICIAL_CELL"``), the ``TITLE``, the ``USEION`` statements (``ions``), the
    ``NONSPECIFIC_CURRENT`` names, every ``PARAMETER`` (ion variables and NEURON's own such as
    ``v`` included), the ``RANGE`` names, the files it includes ((name as written, bytes),
    relative to its directory), its bytes (what NEURON compiles) and the units mnsim could not
    read (``warnings``)."""

    path: Path
    name: str
    kind: str
    title: str
    ions: tuple[IonUse, ...]
    nonspecific: tuple[str, ...]
    parameters: tuple[ModParam, ...]
    range: tuple[str, ...]
    includes: tuple[tuple[str, bytes], ...]
    text: bytes
    warnings: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        """sha256 of the file's bytes and of the files it includes (names and bytes)."""
        digest = hashlib.sha256(self.text)
        for name, data in self.includes:
            digest.update(f"\n{name}\n".encode())
            digest.update(data)
        return digest.hexdigest()

    @property
    def settable(self) -> tuple[ModParam, ...]:
        """The parameters a region may set: ``RANGE`` names that are parameters, not an
        ion's variable (``ena``, ``cai``) nor one NEURON supplies (``v``, ``celsius`` ...)."""
        skip = {v for ion in self.ions for v in (*ion.read, *ion.write)} | set(NEURON_SUPPLIED)
        return tuple(p for p in self.parameters if p.name in self.range and p.name not in skip)

    @property
    def writes_calcium(self) -> bool:
        """Whether the file writes the calcium concentration (calcium dynamics)."""
        return any(ion.ion == "ca" and {"cai", "cao"} & set(ion.write) for ion in self.ions)

    @property
    def mechanism(self) -> Mechanism:
        """The mechanism regions set parameters of: :attr:`settable` in the file's units; the
        conductance densities among them are 0 where a region leaves the mechanism out."""
        params = tuple(Param(p.name, p.unit, _default_text(p),
                             f"{p.name} of {self.path.name}"
                             + (f" ({p.nmodl_unit})" if p.nmodl_unit else ""))
                       for p in self.settable)
        conductance = parse_unit("S/cm2")[1]
        conductances = tuple(p.name for p in self.settable if p.unit != "degC"
                             and parse_unit(p.unit)[1] == conductance)
        doc = self.title or f"NMODL mechanism {self.name} from {self.path}"
        return Mechanism(name=self.name, doc=doc, params=params, conductances=conductances)


def read_mod(path: str | Path) -> ModMechanism:
    """Read the ``.mod`` file at ``path``.

    Parameters
    ----------
    path
        An NMODL file.

    Returns
    -------
    ModMechanism

    Raises
    ------
    SpecError
        The file cannot be read, has no ``NEURON`` block, or names no mechanism; the message
        names the file and line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the NMODL file: {exc}", file=str(path)) from None
    return parse_mod(data.decode("utf-8", errors="replace"), path, data)


def parse_mod(text: str, path: Path, data: bytes | None = None) -> ModMechanism:
    """:func:`read_mod` of ``text`` (the contents of ``path``)."""
    where = str(path)
    clean = _strip_comments(text)
    tokens = _tokens(clean)
    title = re.search(r"^\s*TITLE\s+(.*)$", clean, re.MULTILINE)
    aliases = _unit_aliases(_block(tokens, "UNITS", where))
    neuron = _block(tokens, "NEURON", where)
    if neuron is None:
        raise SpecError("no NEURON { ... } block: this is not an NMODL mechanism (it needs "
                        "NEURON { SUFFIX name ... })", file=where)
    name, kind, ions, nonspecific, range_names = _neuron_block(neuron, where)
    notes: list[str] = []
    params = _parameters(_block(tokens, "PARAMETER", where) or [], aliases, where, notes)
    includes = tuple(_include(m.group(1), path, clean[:m.start()].count("\n") + 1)
                     for m in re.finditer(r'^\s*INCLUDE\s+"([^"]+)"', clean, re.MULTILINE))
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return ModMechanism(path=path, name=name, kind=kind,
                        title=title.group(1).strip() if title else "", ions=ions,
                        nonspecific=nonspecific, parameters=params, range=range_names,
                        includes=includes, text=text.encode() if data is None else data,
                        warnings=tuple(notes))


def _include(name: str, path: Path, line: int) -> tuple[str, bytes]:
    """An INCLUDEd file, relative to the including file's directory."""
    try:
        return name, (path.parent / name).read_bytes()
    except OSError as exc:
        raise SpecError(f"INCLUDE \"{name}\": cannot read {path.parent / name} ({exc}); keep "
                        f"included files beside the .mod file", file=str(path),
                        line=line) from None


# -- tokenizer -------------------------------------------------------------------------------
def _strip_comments(text: str) -> str:
    """``text`` with comments and C blocks blanked (newlines kept, so lines still count)."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = re.sub(r"^[ \t]*(COMMENT\b.*?^[ \t]*ENDCOMMENT\b|VERBATIM\b.*?^[ \t]*ENDVERBATIM\b)",
                  blank, text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"\bREPRESENTS\s+[A-Za-z]+:\S+", blank, text)  # ontology ids hold a ':'
    return re.sub(r"[:?][^\n]*", blank, text)


class _Tok(NamedTuple):
    kind: str
    text: str
    line: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.lastgroup or "other", m.group(0), lineno)
            for lineno, line in enumerate(text.splitlines(), start=1)
            for m in _TOKEN.finditer(line)]


def _block(tokens: list[_Tok], keyword: str, where: str) -> list[_Tok] | None:
    """The tokens inside the first top-level ``keyword { ... }`` block, else None."""
    depth, i = 0, 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
        elif (depth == 0 and tok.kind == "name" and tok.text == keyword
              and i + 1 < len(tokens) and tokens[i + 1].text == "{"):
            start, inner = i + 2, 1
            for j in range(start, len(tokens)):
                inner += {"{": 1, "}": -1}.get(tokens[j].text, 0)
                if inner == 0:
                    return tokens[start:j]
            raise SpecError(f"the {keyword} block has no closing '}}'", file=where,
                            line=tok.line)
        i += 1
    return None


# -- blocks ----------------------------------------------------------------------------------
def _neuron_block(tokens: list[_Tok], where: str) -> tuple[str, str, tuple[IonUse, ...],
                                                           tuple[str, ...], tuple[str, ...]]:
    statements: list[tuple[_Tok, list[_Tok]]] = []
    for tok in tokens:
        if tok.kind == "name" and tok.text in NEURON_KEYWORDS:
            statements.append((tok, []))
        elif statements:
            statements[-1][1].append(tok)
    name = kind = None
    ions, nonspecific, range_names = [], [], []
    for head, body in statements:
        names = [t.text for t in body if t.kind == "name"]
        if head.text in KINDS:
            if kind is not None or not names:
                raise SpecError(f"expected one mechanism name after {head.text} (and one of "
                                f"{', '.join(KINDS)} in the NEURON block)", file=where,
                                line=head.line)
            name, kind = names[0], head.text
        elif head.text == "USEION":
            ions.append(_useion(body, where, head.line))
        elif head.text == "NONSPECIFIC_CURRENT":
            nonspecific += names
        elif head.text == "RANGE":
            range_names += names
    if name is None or kind is None:
        raise SpecError(f"the NEURON block names no mechanism: expected one of "
                        f"{', '.join(KINDS)} NAME", file=where, line=tokens[0].line if tokens
                        else None)
    return name, kind, tuple(ions), tuple(nonspecific), tuple(dict.fromkeys(range_names))


def _useion(body: list[_Tok], where: str, line: int) -> IonUse:
    if not body or body[0].kind != "name":
        raise SpecError("expected an ion name after USEION (USEION na READ ena WRITE ina)",
                        file=where, line=line)
    parts: dict[str, list[str]] = {"READ": [], "WRITE": [], "VALENCE": []}
    current = None
    for tok in body[1:]:
        if tok.kind == "name" and tok.text in USEION_WORDS:
            current = tok.text
        elif current in parts and (tok.kind in ("name", "number") or tok.text == "-"):
            parts[current].append(tok.text)
    valence = float("".join(parts["VALENCE"])) if parts["VALENCE"] else None
    return IonUse(body[0].text, tuple(parts["READ"]), tuple(parts["WRITE"]), valence)


def _unit_aliases(tokens: list[_Tok] | None) -> dict[str, str]:
    """``(name) = (definition)`` lines of the UNITS block."""
    aliases: dict[str, str] = {}
    for a, eq, b in zip(tokens or [], (tokens or [])[1:], (tokens or [])[2:]):
        if a.kind == "unit" and eq.text == "=" and b.kind == "unit":
            aliases[a.text[1:-1].strip()] = b.text[1:-1].strip()
    return aliases


def _parameters(tokens: list[_Tok], aliases: dict[str, str], where: str,
                notes: list[str]) -> tuple[ModParam, ...]:
    """``name [= value] [(unit)] [<low, high>]`` entries (arrays ``name[n]`` skipped)."""
    params: list[ModParam] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "name":
            i += 1
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].text == "[":  # an array: not settable per region
            i = next((k for k in range(j, len(tokens)) if tokens[k].text == "]"), j) + 1
            continue
        value = None
        if j < len(tokens) and tokens[j].text == "=":
            j += 1
            sign = 1.0
            while j < len(tokens) and tokens[j].text in "+-":
                sign = -sign if tokens[j].text == "-" else sign
                j += 1
            if j >= len(tokens) or tokens[j].kind != "number":
                raise SpecError(f"PARAMETER {tok.text}: expected a number after '='",
                                file=where, line=tok.line)
            value = sign * float(tokens[j].text)
            j += 1
        nmodl_unit = ""
        if j < len(tokens) and tokens[j].kind == "unit":
            nmodl_unit = tokens[j].text[1:-1].strip()
            j += 1
        if j < len(tokens) and tokens[j].text == "<":  # the limits
            j = next((k for k in range(j, len(tokens)) if tokens[k].text == ">"), j) + 1
        unit = mnsim_unit(nmodl_unit, aliases)
        if unit is None:
            notes.append(f"{where}:{tok.line}: PARAMETER {tok.text}: mnsim cannot read the "
                         f"unit ({nmodl_unit}); the parameter is a bare number in it")
            unit = "1"
        params.append(ModParam(tok.text, unit, nmodl_unit, value))
        i = j
    return tuple(params)


# -- units -----------------------------------------------------------------------------------
def mnsim_unit(nmodl: str, aliases: dict[str, str] | None = None, _depth: int = 0) -> str | None:
    """mnsim's spelling of the NMODL unit ``nmodl`` (without its parentheses): ``"mho/cm2"``
    -> ``"S/cm2"``, ``"/ms"`` -> ``"1/ms"``, ``""`` or ``"1"`` -> ``"1"``; None when mnsim
    cannot read it. ``aliases`` are the file's ``UNITS`` definitions."""
    text = nmodl.strip()
    if text in ("", "1"):
        return "1"
    if text == "degC":
        return "degC"
    aliases = aliases or {}
    if text in aliases and _depth < 5 and not _readable(text):
        return mnsim_unit(aliases[text], aliases, _depth + 1)
    parts = re.findall(r"(/?)\s*([A-Za-z]+)(-?\d+)?", text)
    if not parts or re.sub(r"[/\sA-Za-z0-9\-]", "", text):
        return None
    out = ""
    for slash, name, power in parts:
        symbol = _symbol(name, aliases, _depth)
        if symbol is None:
            return None
        compound = "/" in symbol or "*" in symbol
        if compound and (power or slash):  # mnsim's units have no parentheses
            return None
        factor = symbol + (power or "")
        out += ("/" if slash else ("*" if out else "")) + factor
    if out.startswith("/"):
        out = "1" + out
    return out if _readable(out) else None


def _symbol(name: str, aliases: dict[str, str], depth: int) -> str | None:
    """One NMODL unit name in mnsim's spelling, or None."""
    if name in UNIT_NAMES:
        return UNIT_NAMES[name]
    for prefix in ("G", "M", "k", "c", "m", "u", "n", "p", "f"):
        if name.startswith(prefix) and name[len(prefix):] in ("mho", "siemens"):
            return prefix + "S"
    if _readable(name):
        return name
    if name in aliases and depth < 5:
        return mnsim_unit(aliases[name], aliases, depth + 1)
    return None


def _readable(unit: str) -> bool:
    try:
        parse_unit(unit)
    except UnitError:
        return False
    return True


def _default_text(p: ModParam) -> str:
    value = 0.0 if p.default is None else p.default
    return f"{value!r}" if p.unit == "1" else f"{value!r} {p.unit}"
