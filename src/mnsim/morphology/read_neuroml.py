"""NeuroML2 cells (``.nml``, ``.cell.nml``), read by libNeuroML.

Segments are joined into unbranched sections; a segment's type comes from the segment groups
it is in (by NeuroLex id, else by the group's name: soma, axon, apical, basal, dend). The soma
is the segments of the soma group, kept as a chain of frusta (one segment of zero length is
NeuroML's sphere, built as a one-point soma). A child attaches at ``fractionAlong`` of its
parent segment (NeuroML's default 1.0: the parent's distal end), which becomes an arc fraction
of the parent section or of the soma.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np

from mnsim.errors import MorphologyError
from mnsim.morphology import soma as somas
from mnsim.morphology.assemble import RawSection, assemble
from mnsim.morphology.model import Morphology

NEUROLEX = {"GO:0043025": "soma", "GO:0030424": "axon", "GO:0030425": "dend"}
PRIORITY = ("soma", "axon", "apical", "basal", "dend")  # for a segment in several groups


class _Chain:
    """An unbranched run of segments: its points, and where each segment lies on it."""

    def __init__(self, segs: list[int], ends: dict) -> None:
        self.segs = segs
        pts, diam, ids, span = [], [], [], {}
        for k, s in enumerate(segs):
            (p0, d0, given), (p1, d1) = ends[s]
            new = k == 0 or (given and (not np.array_equal(p0, pts[-1]) or d0 != diam[-1]))
            if new:
                pts.append(p0), diam.append(d0), ids.append(s)
            start = len(pts) - 1
            pts.append(p1), diam.append(d1), ids.append(s)
            span[s] = (start, len(pts) - 1)
        self.points = np.array(pts, dtype=float)
        self.diam = np.array(diam, dtype=float)
        self.ids = ids
        self.span = span
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        self.cum = np.concatenate([[0.0], np.cumsum(steps)])

    def x(self, seg: int, fraction: float) -> float:
        """Arc fraction on the chain of ``fraction`` along segment ``seg``."""
        a, b = self.span[seg]
        total = self.cum[-1]
        if total == 0:
            return 0.5
        return float((self.cum[a] + fraction * (self.cum[b] - self.cum[a])) / total)


def read_neuroml(path: Path, source: str) -> Morphology:
    """Load the first cell of a NeuroML2 file as mnsim's :class:`Morphology`."""
    text = path.read_text(errors="replace")
    warnings: list[str] = []
    cell, morph = _cell(path, source, text, warnings)
    order = [int(s.id) for s in morph.segments]
    position = {s: k for k, s in enumerate(order)}
    segs = {int(s.id): s for s in morph.segments}
    lines = {int(m.group(1)): text.count("\n", 0, m.start()) + 1
             for m in re.finditer(r"<segment\b[^>]*?\bid=\"(\d+)\"", text)}

    def fail(message: str, seg: int | None = None) -> MorphologyError:
        return MorphologyError(message, file=source, line=lines.get(seg), point=seg)

    if not segs:
        raise fail(f"cell '{cell.id}' has a morphology with no segments; way out: give it its "
                   f"segments")
    types = _types(morph, order, warnings)
    parent, frac, topo = _tree(segs, order, fail)
    ends = _ends(segs, parent, frac, topo, fail)
    runs, chain_of = _chains(topo, parent, frac, types)
    chains = [_Chain(run, ends) for run in runs]
    soma_chain = _soma_chain(runs, parent, types, fail, warnings)
    soma = _soma(chains[soma_chain], fail, warnings) if soma_chain is not None else None
    raws: list[RawSection] = []
    raw_of: dict[int, int] = {}
    attached: Counter = Counter()
    for c, chain in enumerate(chains):
        if c == soma_chain:
            continue
        head = chain.segs[0]
        up = parent[head]
        if up is None:
            if soma is not None:
                raise fail("this segment has no parent but is not in the soma group: the cell "
                           "is in several pieces; way out: give it its parent segment", head)
            p, x = None, 0.5
        elif types[up] == "soma":
            p, x = None, _soma_x(soma, chains[soma_chain], up, frac[head])
            attached[(up, frac[head])] += 1
        else:
            p, x = raw_of[chain_of[up]], chains[chain_of[up]].x(up, frac[head])
        raw_of[c] = len(raws)
        raws.append(RawSection(types[head], chain.points, chain.diam.copy(), p, x,
                               float(position[head]), 0))
    for (seg, f), n in sorted(attached.items()):
        x = _soma_x(soma, chains[soma_chain], seg, f)
        warnings.append(f"{n} neurite{'s' if n > 1 else ''} attach to soma segment {seg} at "
                        f"fractionAlong {f:g}" + (" (NeuroML's default when the file gives "
                                                   "none)" if f == 1 else "")
                        + f": soma({x:.3g})")

    ids = [chains[c].ids for c in sorted(raw_of, key=raw_of.get)]

    def locate(i: int, k: int) -> tuple[int | None, int]:
        seg = ids[i][k]
        return lines.get(seg), seg

    return assemble(soma, raws, source=source, warnings=warnings, locate=locate,
                    noun="segment")


def _cell(path: Path, source: str, text: str, warnings: list[str]):
    """The first cell with a morphology, read by libNeuroML."""
    from neuroml import loaders

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            doc = loaders.read_neuroml2_file(str(path), include_includes=False, verbose=False)
    except Exception as exc:  # libNeuroML wraps lxml's errors in a bare Exception
        inner = next((a for a in exc.args if hasattr(a, "lineno")), None)
        message = str(exc.args[0]) if exc.args else str(exc)
        message = message.replace(f"({path})", "").replace(str(path), "").strip()
        raise MorphologyError(f"libNeuroML cannot read it: {message}; way out: check that it "
                              f"is a valid NeuroML 2 file (pynml -validate FILE)", file=source,
                              line=getattr(inner, "lineno", None)) from None
    if re.search(r"v2beta", text[:4000]):
        warnings.append("the file declares the old NeuroML v2beta schema (NeuroML_v2beta.xsd); "
                        "libNeuroML reads it as NeuroML 2. If something looks wrong, update it "
                        "to the current schema (pynml can validate it)")
    cells = [*doc.cells, *getattr(doc, "cell2_ca_poolses", [])]
    tops = {m.id: m for m in getattr(doc, "morphology", [])}
    found = []
    for c in cells:
        morph = c.morphology or tops.get(getattr(c, "morphology_attr", None))
        if morph is not None:
            found.append((c, morph))
    if not found:
        names = ", ".join(f"'{c.id}'" for c in cells) or "none"
        raise MorphologyError(f"no cell with a <morphology> in the file (cells: {names}); way "
                              f"out: load the file that holds the cell's morphology (an "
                              f"included file is not followed)", file=source)
    if len(found) > 1:
        warnings.append(f"the file holds {len(found)} cells with a morphology; mnsim uses the "
                        f"first, '{found[0][0].id}' (others: "
                        f"{', '.join(c.id for c, _ in found[1:])})")
    return found[0]


def _types(morph, order: list[int], warnings: list[str]) -> dict[int, str]:
    """Each segment's section type, from the groups it is in."""
    groups = {g.id: g for g in morph.segment_groups}
    members: dict[str, set[int]] = {}

    def resolve(gid: str, seen: tuple[str, ...] = ()) -> set[int]:
        if gid in members:
            return members[gid]
        if gid in seen or gid not in groups:
            return set()
        g = groups[gid]
        out = {int(m.segments) for m in g.members}
        for inc in g.includes:
            out |= resolve(inc.segment_groups, (*seen, gid))
        members[gid] = out
        return out

    rank = {k: n for n, k in enumerate(PRIORITY)}
    best: dict[int, str] = {}
    for gid, g in groups.items():
        name = gid.lower()
        kind = NEUROLEX.get(getattr(g, "neuro_lex_id", None) or "") or next(
            (k for k in PRIORITY if k in name), None)
        if kind is None:
            continue
        for s in resolve(gid):
            if s not in best or rank[kind] < rank[best[s]]:
                best[s] = kind
    types = {s: {"dend": "basal"}.get(best.get(s, "custom"), best.get(s, "custom"))
             for s in order}
    n_custom = sum(t == "custom" for t in types.values())
    if n_custom:
        warnings.append(f"{n_custom} segments are in no soma, axon or dendrite group: their "
                        f"sections are named custom[i]")
    return types


def _tree(segs: dict, order: list[int], fail):
    """Parents, fractions along them, and the segments parents-first (file order otherwise)."""
    parent: dict[int, int | None] = {}
    frac: dict[int, float] = {}
    kids: dict[int, list[int]] = {s: [] for s in order}
    for s in order:
        ref = segs[s].parent
        if ref is None:
            parent[s], frac[s] = None, 1.0
            continue
        p = int(ref.segments)
        if p not in segs:
            raise fail(f"the parent segment {p} is not in the morphology; way out: correct "
                       f"<parent segment=...>", s)
        f = float(ref.fraction_along if ref.fraction_along is not None else 1.0)
        if not 0.0 <= f <= 1.0:
            raise fail(f"fractionAlong {f:g} is outside 0 ... 1", s)
        parent[s], frac[s] = p, f
        kids[p].append(s)
    topo, stack = [], [s for s in reversed(order) if parent[s] is None]
    while stack:
        s = stack.pop()
        topo.append(s)
        stack.extend(reversed(kids[s]))
    if len(topo) != len(order):
        lost = next(s for s in order if s not in set(topo))
        raise fail("this segment is not connected to the root (its parents form a loop); way "
                   "out: correct the <parent> elements", lost)
    return parent, frac, topo


def _ends(segs: dict, parent: dict, frac: dict, topo: list[int], fail) -> dict:
    """Each segment's ((proximal, diameter, given?), (distal, diameter))."""
    ends: dict[int, tuple] = {}
    for s in topo:
        seg = segs[s]
        if seg.distal is None:
            raise fail("the segment has no <distal> point; way out: give it one", s)
        p1 = np.array([seg.distal.x, seg.distal.y, seg.distal.z], dtype=float)
        d1 = float(seg.distal.diameter)
        if seg.proximal is not None:
            prox = seg.proximal
            p0, d0, given = np.array([prox.x, prox.y, prox.z], float), float(prox.diameter), True
        elif parent[s] is None:
            raise fail("the root segment has no <proximal> point; way out: give it one", s)
        else:
            (q0, e0, _), (q1, e1) = ends[parent[s]]
            f = frac[s]
            p0, d0, given = q0 + f * (q1 - q0), e0 + f * (e1 - e0), False
        if d1 < 0 or d0 < 0:
            raise fail("negative diameter; way out: correct it to a positive value", s)
        ends[s] = ((p0, d0, given), (p1, d1))
    return ends


def _chains(topo: list[int], parent: dict, frac: dict, types: dict):
    """Segments joined into unbranched runs: a segment continues its parent's run when it has
    the parent's type and is the parent's only child at its distal end (for the soma: its only
    soma child there; neurites may attach anywhere on the soma)."""
    at_end = Counter((parent[s], types[s] == "soma") for s in topo
                     if parent[s] is not None and frac[s] == 1.0)
    chains: list[list[int]] = []
    chain_of: dict[int, int] = {}
    for s in topo:
        p = parent[s]
        soma = types[s] == "soma"
        alone = (at_end[(p, True)] == 1 if soma
                 else at_end[(p, True)] + at_end[(p, False)] == 1)
        if p is not None and frac[s] == 1.0 and alone and types[p] == types[s]:
            chain_of[s] = chain_of[p]
            chains[chain_of[s]].append(s)
        else:
            chain_of[s] = len(chains)
            chains.append([s])
    return chains, chain_of


def _soma_chain(runs: list[list[int]], parent: dict, types: dict, fail,
                warnings: list[str]) -> int | None:
    """The index of the soma's run (None when no segment is in a soma group)."""
    found = [c for c, run in enumerate(runs) if types[run[0]] == "soma"]
    if not found:
        warnings.append("no segment is in a soma group: the cell is its neurites alone (path "
                        "distances start at the root section's start)")
        return None
    if len(found) > 1:
        head = runs[found[1]][0]
        up = parent[head]
        if up is not None and types[up] == "soma":
            raise fail(f"the soma branches at segment {up}: soma segments grow from it in two "
                       f"directions, and a soma must be one unbranched chain. Way out: move "
                       f"one branch to a dendrite group, or use a simpler soma", head)
        raise fail("the soma is in several pieces; way out: connect its segments into one "
                   "chain", head)
    head = runs[found[0]][0]
    if parent[head] is not None:
        raise fail(f"the soma grows from segment {parent[head]}, which is not soma: mnsim "
                   f"needs the soma at the root. Way out: make a soma segment the root", head)
    return found[0]


def _soma(chain: _Chain, fail, warnings: list[str]) -> somas.Soma:
    """The soma's segments as a chain of frusta; one of zero length is NeuroML's sphere."""
    if chain.diam.max() <= 0:
        raise fail("the soma has zero diameter; way out: give its segments their diameters",
                   chain.segs[0])
    if chain.cum[-1] == 0:
        if len(chain.segs) > 1:
            raise fail(f"the soma's {len(chain.segs)} segments have zero length; way out: "
                       f"keep one (a sphere of its diameter)", chain.segs[0])
        return somas.sphere(chain.points[0], chain.diam.max() / 2)
    diam, filled = somas.fill_zero_diameters(chain.diam)
    if filled:
        warnings.append(filled)
    return somas.stack(chain.points, diam)


def _soma_x(soma, chain: _Chain, seg: int, fraction: float) -> float:
    return 0.5 if soma.kind != "cylinders" else chain.x(seg, fraction)
