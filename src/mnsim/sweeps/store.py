"""The results directory of a sweep, and what a re-run may reuse from it.

Layout::

    OUT/results.csv      one row per point and backend (every point ever run here)
    OUT/model.yaml       the resolved base model (the sweep's `set:` applied)
    OUT/sweep.yaml       the last sweep definition run here; `mnsim sweep OUT/sweep.yaml` reruns it
    OUT/blocks/KEY.pkl   each point's Neo Block (--keep-blocks)
    OUT/.lock            while a sweep writes there (a second one is refused)

Every file is written atomically (a temporary file renamed over the old one). The table is
rewritten as points finish: after every point, unless rewriting takes long (a large table),
then at most once per ten times the last rewrite took, and always when the sweep ends or is
interrupted (Ctrl-C, SIGTERM).

Rows are keyed by :func:`~mnsim.sweeps.definition.point_key`. On a re-run a point is

* **reused** when its row says ``ok``, has every measure now asked for (a NaN counts: it was
  measured) and, with ``keep_blocks``, its Block is there;
* **measured again from its saved Block** when only measures are missing and the Block is
  there (no simulation);
* **run again** otherwise: failed points always are (a crash or a lost worker may not recur;
  a deterministic failure costs one more attempt).

Rows of points that are not part of the current sweep stay in the table. A directory holds
the sweeps of one base model: another base model is refused (give another ``--out``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mnsim.errors import MnsimError
from mnsim.spec.yamlio import dump_yaml, write_atomic

TABLE = "results.csv"
MODEL = "model.yaml"
DEFINITION = "sweep.yaml"
BLOCKS = "blocks"
LOCK = ".lock"
STATUS, WALL, ERROR, KEY, BACKEND = "status", "wall time (s)", "error", "key", "backend"


def encode(value: Any) -> str:
    """A CSV cell: floats in full precision (``repr``), NaN as ``nan``, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def decode_float(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


class Store:
    """The rows of a results directory (or of memory only, ``out=None``)."""

    def __init__(self, out: str | Path | None, columns: Sequence[str]) -> None:
        self.out = Path(out) if out is not None else None
        self.columns = list(columns)
        self.rows: dict[str, dict[str, str]] = {}
        self.extra: list[str] = []  # columns of older rows only
        self.order: list[str] = []  # keys of the current sweep, in grid order: written first
        self._dirty = False
        self._last_write = 0.0
        self._write_cost = 0.0
        if self.out is not None and (self.out / TABLE).is_file():
            self._read()

    # -- opening ----------------------------------------------------------------------------
    @staticmethod
    def prepare(out: str | Path, base_sha256: str, model_yaml: str, definition: Mapping[str, Any]
                ) -> None:
        """Create ``out`` (or check it holds sweeps of the same base model) and write the base
        model and the definition.

        Raises
        ------
        MnsimError
            ``out`` is a file, holds something else than sweep results, or holds the sweeps
            of another base model.
        """
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise MnsimError(f"--out '{path}' is a file; give a directory for the results")
        saved = path / DEFINITION
        if saved.is_file():
            import yaml

            try:
                old = yaml.safe_load(saved.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise MnsimError(f"cannot read '{saved}': {exc}; delete it or give another "
                                 f"--out") from None
            if old.get("base_sha256") != base_sha256:
                raise MnsimError(f"'{path}' holds a sweep of another model (its {MODEL} "
                                 f"differs from this sweep's base model); give another --out, "
                                 f"or delete the directory to start afresh")
        elif path.is_dir() and any(p.name != LOCK for p in path.iterdir()):
            raise MnsimError(f"'{path}' is not empty and holds no sweep ({DEFINITION} is "
                             f"missing); give a new or empty directory as --out")
        try:
            path.mkdir(parents=True, exist_ok=True)
            write_atomic(path / MODEL, model_yaml)
            write_atomic(path / DEFINITION, "# written by mnsim sweep: the last sweep run "
                         "here; `mnsim sweep THIS_FILE --out THIS_DIR` runs it again\n"
                         + dump_yaml(dict(definition)))
        except OSError as exc:
            raise MnsimError(f"cannot write the results to '{path}': "
                             f"{exc.strerror or exc}; give a writable directory") from None

    @staticmethod
    @contextlib.contextmanager
    def locked(out: str | Path | None) -> Iterator[None]:
        """Hold ``out/.lock`` (host and pid) while a sweep writes there: a second sweep into
        the same directory is refused rather than allowed to overwrite the table. A lock left
        by a process of this host that no longer runs is taken over."""
        if out is None:
            yield
            return
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise MnsimError(f"--out '{folder}' is a file; give a directory for the results")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MnsimError(f"cannot write the results to '{folder}': "
                             f"{exc.strerror or exc}; give a writable directory") from None
        path = folder / LOCK
        me = f"{socket.gethostname()} {os.getpid()}"
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = path.read_text(encoding="utf-8", errors="replace").split()
                if len(owner) == 2 and owner[0] == socket.gethostname() and \
                        owner[1].isdigit() and not _alive(int(owner[1])):
                    path.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise MnsimError(f"another sweep ({' pid '.join(owner) or 'unknown'}) is "
                                 f"writing to '{out}'; wait for it, give another --out, or "
                                 f"delete {path} if no sweep runs there") from None
            with os.fdopen(fd, "w") as handle:
                handle.write(me)
            break
        try:
            yield
        finally:
            path.unlink(missing_ok=True)

    def _read(self) -> None:
        assert self.out is not None
        path = self.out / TABLE
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                header = list(reader.fieldnames or [])
                rows = list(reader)
        except (OSError, csv.Error, UnicodeDecodeError) as exc:
            raise MnsimError(f"cannot read '{path}': {exc}; move it away to start afresh "
                             f"(points already run will run again)") from None
        if KEY not in header:
            raise MnsimError(f"'{path}' has no '{KEY}' column: not a sweep table; move it "
                             f"away or give another --out")
        self.extra = [c for c in header if c not in self.columns]
        for row in rows:
            if row.get(KEY):
                self.rows[row[KEY]] = {k: v for k, v in row.items() if k is not None}

    # -- reuse ------------------------------------------------------------------------------
    def block_path(self, key: str) -> Path | None:
        return None if self.out is None else self.out / BLOCKS / f"{key}.pkl"

    def state(self, key: str, measure_columns: Sequence[str], keep_blocks: bool) -> str:
        """``"reuse"``, ``"measure"`` (from the saved Block) or ``"run"``."""
        row = self.rows.get(key)
        if row is None or row.get(STATUS) != "ok":
            return "run"
        block = self.block_path(key)
        has_block = block is not None and block.is_file()
        if keep_blocks and not has_block:
            return "run"
        if all(row.get(c, "") != "" for c in measure_columns):
            return "reuse"
        return "measure" if has_block else "run"

    # -- recording --------------------------------------------------------------------------
    def record(self, row: Mapping[str, Any]) -> None:
        """Add or replace the row of ``row[KEY]`` (merged with what older sweeps measured)."""
        old = self.rows.get(row[KEY], {})
        self.rows[row[KEY]] = {**old, **{k: encode(v) for k, v in row.items()}}
        self._dirty = True

    def flush(self, force: bool = False) -> None:
        """Rewrite the table if rows changed (and enough time passed, unless ``force``)."""
        if self.out is None or not self._dirty:
            return
        now = time.perf_counter()
        if not force and now - self._last_write < 10.0 * self._write_cost:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns + self.extra,
                                extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        current = [self.rows[k] for k in self.order if k in self.rows]
        known = set(self.order)
        writer.writerows(current + [r for k, r in self.rows.items() if k not in known])
        write_atomic(self.out / TABLE, buffer.getvalue())
        self._dirty = False
        self._last_write = time.perf_counter()
        self._write_cost = self._last_write - now
