"""SWC, Neurolucida ASC and H5 files, read by MorphIO; its refusals become
:class:`MorphologyError` (file, line, sample id, a way out) and its warnings are collected into
:attr:`Morphology.warnings`, never printed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mnsim.errors import MorphologyError
from mnsim.morphology import soma as somas
from mnsim.morphology.assemble import RawSection, assemble
from mnsim.morphology.model import Morphology
from mnsim.morphology.swc_table import SwcTable, soma_branch_error

SWC_TYPES = {2: "axon", 3: "basal", 4: "apical"}  # 1 is the soma; anything else is custom
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WHERE = re.compile(r":(\d+):(?:error|warning)")
# MorphIO's refusals, and what a user can do about each (matched on its message).
_HINTS = (
    ("Unable to parse", "a SWC line holds 7 numbers: id type x y z radius parent"),
    ("non-existant parent", "give the parent column (the 7th) an id that is in the file, or "
                            "-1 for a root"),
    ("Unsupported section type", "SWC types are 1 soma, 2 axon, 3 basal dendrite, 4 apical "
                                 "dendrite, 5-19 custom"),
    ("can not be itself", "each sample needs its own id, and a parent other than itself"),
    ("is negative", "sample ids are positive whole numbers"),
    ("Repeated ID", "each sample needs its own id"),
)
_FOLDED = ("ZeroDiameter", "SomaNonConform", "NoSomaFound")  # mnsim words these itself


def read_morphio(path: Path, source: str) -> Morphology:
    """Load a SWC / ASC / H5 file with MorphIO as mnsim's :class:`Morphology`."""
    import morphio

    handler = morphio.WarningHandlerCollector()
    is_swc = path.suffix.lower() == ".swc"
    try:
        cell = morphio.Morphology(str(path), morphio.Option.allow_unifurcated_section_change,
                                  warning_handler=handler)
    except morphio.SomaError as exc:
        raise _soma_error(exc, path, source, is_swc) from None
    except Exception as exc:  # MorphIO's RawDataError, MissingParentError, UnknownFileType...
        raise _refusal(exc, path, source) from None
    table = SwcTable.read(path) if is_swc else None
    notes = _morphio_warnings(handler)
    warnings: list[str] = []
    soma, chain_rows = _soma(cell, table, source, notes, warnings)
    raws = _neurites(cell, soma, table, chain_rows, warnings)
    warnings.extend(notes["other"])

    def locate(i: int, k: int) -> tuple[int | None, int | None]:
        if table is None:
            return None, None
        row = table.row_at(raws[i].points_um[k])
        return (int(table.lines[row]), int(table.ids[row])) if row is not None else (None, None)

    return assemble(soma, raws, source=source, warnings=warnings, locate=locate)


def _plain(text: str) -> str:
    return _ANSI.sub("", text).strip()


def _refusal(exc: Exception, path: Path, source: str) -> MorphologyError:
    text = _plain(str(exc))
    found = _WHERE.search(text) or re.search(r"line:? (\d+)", text)
    line = int(found.group(1)) if found else None
    detail = " ".join(_WHERE.sub("", text).replace(str(path), "")
                      .replace("ID already appears here:", "").split()).strip(" :")
    hint = next((h for key, h in _HINTS if key in text),
                "check the file there: it must be a valid SWC, Neurolucida ASC or MorphIO H5 "
                "morphology")
    point = None
    if path.suffix.lower() == ".swc" and ("itself" in text or "Repeated ID" in text):
        line = _id_problem_line(path) or line  # MorphIO's line is off for these
    if line and path.suffix.lower() == ".swc":
        row = _line_text(path, line)
        detail += f": '{row}'" if row else ""
        point = _first_int(row)
    if "type changed" in text:
        hint = "give the samples of one unbranched stretch one type"
    return MorphologyError(f"MorphIO cannot read it: {detail}; way out: {hint}", file=source,
                           line=line, point=point)


def _soma_error(exc: Exception, path: Path, source: str, is_swc: bool) -> MorphologyError:
    text = _plain(str(exc))
    lines = [int(n) for n in _WHERE.findall(text)]
    if not (is_swc and lines and "bifurcation" in text):
        return _refusal(exc, path, source)
    table = SwcTable.read(path)
    if table is not None:
        try:
            table.soma_chain(source)
        except MorphologyError as err:
            return err
    point = _first_int(_line_text(path, lines[0]))
    kids = [_first_int(_line_text(path, n)) or f"line {n}" for n in lines[1:]]
    return soma_branch_error(source, lines[0], point, kids)


def _id_problem_line(path: Path) -> int | None:
    """The line of the first sample that is its own parent or repeats an earlier id."""
    table = SwcTable.read(path)
    if table is None:
        return None
    own = table.ids == table.parents
    _, first = np.unique(table.ids, return_index=True)
    repeated = np.ones(len(table.ids), bool)
    repeated[first] = False
    bad = np.flatnonzero(own | repeated)
    return int(table.lines[bad[0]]) if len(bad) else None


def _line_text(path: Path, line: int) -> str:
    try:
        with path.open(errors="replace") as fh:
            for n, text in enumerate(fh, start=1):
                if n == line:
                    return text.strip()
    except OSError:
        pass
    return ""


def _first_int(text: str) -> int | None:
    first = text.split()[0] if text.split() else ""
    return int(first) if first.lstrip("-").isdigit() else None


def _morphio_warnings(handler) -> dict:
    """MorphIO's warnings, grouped by kind: {"soma": [...], "other": [...]} of sentences."""
    groups: dict[str, tuple[str, list[int]]] = {}
    for emission in handler.get_all():
        warning = emission.warning
        kind = type(warning).__name__
        message = _plain(warning.msg())
        found = _WHERE.search(message)
        line = int(found.group(1)) if found else 0
        text = getattr(warning, "description", "") or _WHERE.split(message)[-1]
        text = " ".join(re.sub(r"^\S*:\s*", "", text.strip()).split())
        key = f"{kind}|{text}"
        groups.setdefault(key, (text, []))[1].extend([line] if line else [])
    notes: dict[str, list[str]] = {"soma": [], "other": []}
    for key, (text, lines) in groups.items():
        kind = key.split("|", 1)[0]
        if kind == "SomaNonConform":
            notes["soma"].append(text)
        elif kind not in _FOLDED:
            where = (f" (line{'s' if len(lines) > 1 else ''} "
                     f"{', '.join(map(str, lines[:5]))}{' ...' if len(lines) > 5 else ''})"
                     if lines else "")
            notes["other"].append(f"MorphIO{where}: {text.rstrip('.')}")
    return notes


def _soma(cell, table: SwcTable | None, source: str, notes: dict,
          warnings: list[str]) -> tuple[somas.Soma | None, list[int] | None]:
    """The soma by MorphIO's soma type (and, for SWC, the file's soma tree)."""
    import morphio

    kind = cell.soma_type
    pts = np.asarray(cell.soma.points, dtype=float).reshape(-1, 3)
    diam = np.asarray(cell.soma.diameters, dtype=float)
    note = ("; MorphIO warns: '" + "'; '".join(notes["soma"]) + "'") if notes["soma"] else ""
    if len(pts) == 0:
        warnings.append("no soma in the file: the cell is its neurites alone (path distances "
                        "start at the root section's start)")
        return None, None
    if kind == morphio.SomaType.SOMA_SIMPLE_CONTOUR:
        soma, text = somas.contour(pts)
        warnings.append(text + note)
        return soma, None
    if (diam <= 0).all() or (diam < 0).any():
        raise MorphologyError(f"the soma's {len(pts)} points have no positive diameter "
                              f"({', '.join(f'{x:g}' for x in diam[:6])} um); way out: give "
                              f"the soma points their radii", file=source)
    diam, filled = somas.fill_zero_diameters(diam)
    if filled:
        warnings.append(filled)
    rows = table.soma_chain(source) if table is not None and len(pts) > 1 else None
    if rows is not None and not np.array_equal(table.xyz[np.sort(rows)], pts.astype(np.float32)):
        rows = None  # the table and MorphIO disagree: trust MorphIO's order
    if len(pts) == 1:
        return somas.sphere(pts[0], diam[0] / 2), None
    if len(pts) == 3 and kind == morphio.SomaType.SOMA_NEUROMORPHO_THREE_POINT_CYLINDERS:
        chain = None if rows is None else [int(np.searchsorted(np.sort(rows), r)) for r in rows]
        soma, text = somas.three_point(pts, diam, chain, note)
        if text:
            warnings.append(text)
        return soma, rows if soma.kind == "cylinders" else None
    order = (list(range(len(pts))) if rows is None
             else [int(np.searchsorted(np.sort(rows), r)) for r in rows])
    soma = somas.stack(pts[order], diam[order])
    if soma.length_um == 0:
        raise MorphologyError(f"the soma's {len(pts)} points coincide: a stack of zero length. "
                              f"Way out: keep one soma point (a sphere of its radius)",
                              file=source)
    in_file_order = somas.stack(pts, diam).area_um2
    other = (f"; MorphIO and NeuroM report {in_file_order:.1f} um2, joining the soma points in "
             f"file order across the root, and Brian2 {4 * np.pi * (diam[0] / 2) ** 2:.1f} um2, "
             f"the sphere of the first point" if abs(in_file_order - soma.area_um2) > 1e-3
             * soma.area_um2 else "")
    warnings.append(f"soma: a stack of {len(pts)} points, kept as a chain of frusta "
                    f"(length {soma.length_um:.2f} um, area {soma.area_um2:.1f} um2, as NEURON's "
                    f"Import3d builds it{other})" + note)
    return soma, rows


def _neurites(cell, soma: somas.Soma | None, table: SwcTable | None,
              chain_rows: list[int] | None, warnings: list[str]) -> list[RawSection]:
    """MorphIO's sections, parents first (its ids), with where each root attaches."""
    sections = list(cell.iter())
    index = {sec.id: k for k, sec in enumerate(sections)}
    raws, along, custom = [], [], {}
    for k, sec in enumerate(sections):
        code = int(sec.type)
        type_ = SWC_TYPES.get(code, "custom")
        if type_ == "custom":
            custom[code] = custom.get(code, 0) + 1
        pts = np.asarray(sec.points, dtype=float)
        diam = np.asarray(sec.diameters, dtype=float).copy()
        if not sec.is_root:
            raws.append(RawSection(type_, pts, diam, index[sec.parent.id], 1.0, k, 1))
            continue
        order, soma_index = float(k), None
        row = table.row_at(pts[0]) if table is not None and len(pts) else None
        if row is not None:
            order = float(row)
            if chain_rows is not None:
                parent_row = table.row_of_id(int(table.parents[row]))
                if parent_row in chain_rows:
                    soma_index = chain_rows.index(parent_row)
        x = soma.attach_x(pts[0], soma_index) if soma is not None and len(pts) else 0.5
        if soma is not None and soma.kind == "cylinders":
            along.append(x)
        raws.append(RawSection(type_, pts, diam, None, x, order, 0))
    if along:
        warnings.append(f"{_count(len(along), 'neurite')} attach along the soma stack, at the "
                        f"soma point they grow from: soma(x) for x = "
                        f"{', '.join(f'{x:.3g}' for x in sorted(along))}")
    for code, n in sorted(custom.items()):
        warnings.append(f"{_count(n, 'section')} of type {code} ({_type_name(code)}) named "
                        f"custom[i]: "
                        f"mnsim's section types are soma, axon, basal, apical and custom")
    return raws


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _type_name(code: int) -> str:
    import morphio

    try:
        return morphio.SectionType(code).name
    except ValueError:
        return "unknown"
