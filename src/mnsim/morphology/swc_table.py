"""The columns of a SWC file that MorphIO does not expose: sample ids, parent ids and line
numbers. MorphIO reads the geometry; this table (read only after MorphIO accepted the file)
tells which soma point a neurite grows from, how soma points chain, which trees come first in
the file, and which sample and line a message should name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnsim.errors import MorphologyError


@dataclass(frozen=True)
class SwcTable:
    """One row per sample: ``ids``, ``types``, ``xyz`` (float32, as MorphIO stores them),
    ``parents`` and the 1-based ``lines`` they are on."""

    ids: np.ndarray
    types: np.ndarray
    xyz: np.ndarray
    parents: np.ndarray
    lines: np.ndarray
    _by_xyz: dict = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def read(path: Path) -> SwcTable | None:
        """The table, or None when the file does not split into rows of >= 7 numbers."""
        rows, lines = [], []
        for n, text in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            fields = text.split("#", 1)[0].split()
            if fields:
                rows.append(fields[:7])
                lines.append(n)
        try:
            data = np.array(rows, dtype=float).reshape(-1, 7)
        except ValueError:
            return None
        return SwcTable(ids=data[:, 0].astype(np.int64), types=data[:, 1].astype(np.int64),
                        xyz=data[:, 2:5].astype(np.float32), parents=data[:, 6].astype(np.int64),
                        lines=np.asarray(lines, dtype=np.int64))

    def row_of_id(self, sample: int) -> int | None:
        hit = np.flatnonzero(self.ids == sample)
        return int(hit[0]) if len(hit) else None

    def row_at(self, xyz: np.ndarray, types: tuple[int, ...] | None = None) -> int | None:
        """The first row at exactly ``xyz`` (MorphIO's float32 coordinates)."""
        if not self._by_xyz:
            for r in range(len(self.ids) - 1, -1, -1):
                self._by_xyz[self.xyz[r].tobytes()] = r
        row = self._by_xyz.get(np.asarray(xyz, dtype=np.float32).tobytes())
        if row is None or (types is not None and self.types[row] not in types):
            return None
        return row

    def soma_chain(self, source: str) -> list[int]:
        """The soma rows in chain order, or a :class:`MorphologyError` where the soma branches.

        A soma may grow from its root in two directions (a stack through the root, as in
        l22.swc); any other point with two soma children is a branch mnsim cannot build."""
        rows = np.flatnonzero(self.types == 1)
        soma_ids = set(self.ids[rows].tolist())
        row_of = {int(self.ids[r]): int(r) for r in rows}
        children: dict[int, list[int]] = {int(self.ids[r]): [] for r in rows}
        roots = []
        for r in rows:
            parent = int(self.parents[r])
            if parent in soma_ids:
                children[parent].append(int(self.ids[r]))
            else:
                roots.append(int(self.ids[r]))
        if len(roots) != 1:
            raise MorphologyError(
                f"the soma is in {len(roots)} separate pieces (soma points "
                f"{', '.join(map(str, roots[:6]))} have no soma parent); mnsim builds one soma. "
                f"Way out: connect the soma points into one stack, or relabel the extra pieces "
                f"as neurites", file=source, line=int(self.lines[row_of[roots[1]]])
                if len(roots) > 1 else None, point=roots[1] if len(roots) > 1 else None)
        root = roots[0]
        for sample, kids in children.items():
            if len(kids) > (2 if sample == root else 1):
                raise soma_branch_error(source, int(self.lines[row_of[sample]]), sample, kids)
        arms = []
        for first in children[root]:
            arm = [first]
            while children[arm[-1]]:
                arm.append(children[arm[-1]][0])
            arms.append(arm)
        chain = ([*reversed(arms[1]), root, *arms[0]] if len(arms) == 2
                 else [root, *arms[0]] if arms else [root])
        return [row_of[s] for s in chain]


def soma_branch_error(source: str, line: int | None, point: int | str | None,
                      children: list) -> MorphologyError:
    """The refusal of a soma that branches: where, and the ways out."""
    kids = " and ".join(str(k) for k in children)
    return MorphologyError(
        f"the soma branches here: soma points {kids} both grow from it, and a soma must be one "
        f"unbranched stack of points (MorphIO and NeuroM refuse it too; NEURON's Import3d would "
        f"split it into several soma sections). Way out: relabel the soma branch as a neurite "
        f"(SWC type 3, dendrite, or 2, axon, for the points from {children[-1]} on), or use a "
        f"version of the file with a simple 1- or 3-point soma", file=source, line=line,
        point=point)
