"""Parameter sweeps: one model run at every point of a grid of parameter values, on one or
several backends, on local worker processes or a Dask cluster; the results as one tidy table.

:func:`sweep` is the one way in (``mnsim.sweep``); :func:`load_sweep` reads a sweep file or a
shipped sweep (``hh_fi``, ``lif_fi``, ``lif_ou``), :func:`check` holds a table against the
sweep's ``expect:`` numbers and :func:`plot_sweep` draws it. The format, the resume rules and
running on a cluster are in ``docs/sweeps.md``.

The table has one row per point and backend, in grid order (the first varied field slowest,
backends innermost). Columns: each varied field with its unit in the name
(``stimuli.step.amplitude (uA/cm2)``, values as floats in that unit; no unit for plain numbers
and text), ``backend``, each measure with its unit (``steady_rate (Hz)``; ``spike_count``),
``status`` (``ok`` or ``failed``), ``wall time (s)`` (the point's run and measures in its
worker), ``error`` (empty when ok) and ``key`` (the point's hash). ``table.attrs`` holds
``sweep`` (its name), ``ran``, ``reused``, ``remeasured`` and ``failed`` (counts of this call)
and ``out`` (the results directory or None).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnsim.errors import BackendUnavailableError, MnsimError
from mnsim.sweeps.checks import SweepValidation, check
from mnsim.sweeps.definition import (
    SWEEPS_DIR,
    Point,
    Sweep,
    is_sweep_source,
    load_sweep,
    make_sweep,
    parse_backends,
    shipped_sweeps,
)
from mnsim.sweeps.grid import parse_vary
from mnsim.sweeps.measures import parse_measures
from mnsim.sweeps.store import BACKEND, ERROR, KEY, STATUS, WALL, Store, decode_float

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SWEEPS_DIR", "Sweep", "SweepValidation", "check", "load_sweep", "plot_sweep",
           "resolve", "shipped_sweeps", "sweep"]


def resolve(model: Any, vary: Any = None, measures: Any = None, backends: Any = None,
            set: Mapping[str, Any] | None = None) -> Sweep:  # noqa: A002
    """The sweep that :func:`sweep` runs for these arguments. A sweep source (a shipped
    sweep's name, a sweep file, a :class:`Sweep`) keeps its own fields unless given here;
    giving ``vary`` or ``measures`` then drops its ``expect:`` entries (they were written for
    its own grid and measures)."""
    if not is_sweep_source(model):
        return make_sweep(model, vary, measures, backends, overrides=set)
    base = load_sweep(model)
    if set:
        from mnsim.spec import load

        base = replace(base, model=load(base.model, set=set),
                       overrides={**base.overrides, **set})
    if vary is not None:
        base = replace(base, axes=tuple(parse_vary(vary)), expect=())
    if measures is not None:
        base = replace(base, measures=tuple(parse_measures(measures, base.model)), expect=())
    if backends is not None:
        base = replace(base, backends=parse_backends(backends, "backends"))
    return base


def sweep(model: Any, vary: Any = None, measures: Any = None,
          backends: str | Sequence[str] | None = None, workers: int | None = None,
          scheduler: Any = None, out: str | Path | None = None, keep_blocks: bool = False,
          progress: bool | None = None, *,
          set: Mapping[str, Any] | None = None) -> pd.DataFrame:  # noqa: A002
    """Run ``model`` at every point of a parameter grid and return the tidy table.

    Parameters
    ----------
    model
        A model (anything :func:`mnsim.load` accepts), or a sweep: a shipped sweep's name
        (``"hh_fi"``), a sweep file, or a :class:`Sweep`.
    vary
        ``{path: values}`` or ``["PATH=VALUES", ...]``: ``"0:20:0.5 uA/cm2"`` (START:STOP:STEP,
        STOP included when on the grid), ``"1 nA, 2 nA"``, a list. Several fields make a grid.
    measures
        Names (``["steady_rate", "spike_count"]``, ``"population_rate@exc"``) or mappings
        ``{name, population, index, window, label}``; default ``spike_count`` and
        ``mean_rate``.
    backends
        A name or a list; default: every installed backend that can run the model.
    workers
        Local worker processes (default: one per available CPU, at most one per point).
    scheduler
        A Dask scheduler address (``"tcp://host:8786"``) or a ``distributed.Client`` to run
        on an existing cluster instead of local processes.
    out
        Results directory: the table (``results.csv``), the base model and the definition;
        a sweep run again with the same ``out`` skips the points it finished.
    keep_blocks
        Also save each point's Neo Block in ``out/blocks/KEY.pkl``.
    progress
        Show a progress bar with ETA (default: when stderr is a terminal).
    set
        Overrides of the base model, as for :func:`mnsim.load`.

    Returns
    -------
    pandas.DataFrame
        One row per point and backend (see the module docstring for the columns).

    Raises
    ------
    MnsimError
        A bad vary, measure, backend or results directory, a value the model refuses; all
        before anything runs. A point that fails while running is a row with status
        ``failed`` and its error, not an exception.

    Examples
    --------
    >>> table = sweep("hh_squid", vary={"stimuli.step.amplitude": "0:20:2 uA/cm2"},
    ...               measures=["spike_count"], backends="nest")  # doctest: +SKIP
    """
    definition = resolve(model, vary, measures, backends, set)
    if keep_blocks and out is None:
        raise MnsimError("keep_blocks needs a results directory (out=DIR, --out DIR)")
    names = _run_backends(definition, explicit=backends is not None, local=scheduler is None)
    points = _unique(definition.points(names))
    columns = [a.column for a in definition.axes] + [BACKEND] + \
        [m.column for m in definition.measures] + [STATUS, WALL, ERROR, KEY]
    with Store.locked(out):
        if out is not None:
            Store.prepare(out, definition.model.sha256, definition.model.to_yaml(),
                          definition.to_data())
        store = Store(out, columns)
        store.order = [p.key for p in points]
        return _execute(definition, points, store, workers=workers, scheduler=scheduler,
                        keep_blocks=keep_blocks, progress=progress)


def _run_backends(definition: Sweep, explicit: bool, local: bool) -> list[str]:
    from mnsim.backends import is_installed
    from mnsim.comparison import runnable_backends

    if definition.backends is None:
        return runnable_backends(definition.model)[0]
    names = list(definition.backends)
    if not local:
        return names
    missing = [n for n in names if not is_installed(n)]
    if missing and (explicit or len(missing) == len(names)):
        raise BackendUnavailableError(f"backend(s) {', '.join(missing)} not installed here; "
                                      f"leave them out, or run on a cluster that has them "
                                      f"(--scheduler)")
    for name in missing:
        print(f"{definition.name}: {name} skipped: its simulator is not installed",
              file=sys.stderr)
    return [n for n in names if n not in missing]


def _unique(points: list[Point]) -> list[Point]:
    seen: dict[str, Point] = {}
    for point in points:
        seen.setdefault(point.key, point)
    return list(seen.values())


def _row(definition: Sweep, point: Point, values: Mapping[str, Any], status: str,
         wall: float, error: str) -> dict[str, Any]:
    row: dict[str, Any] = {a.column: a.cell(v) for a, v in zip(definition.axes, point.values)}
    row[BACKEND] = point.backend
    for m in definition.measures:
        row[m.column] = values.get(m.column, float("nan"))
    row.update({STATUS: status, WALL: wall, ERROR: error, KEY: point.key})
    return row


def _execute(definition: Sweep, points: list[Point], store: Store, *, workers: int | None,
             scheduler: Any, keep_blocks: bool, progress: bool | None) -> pd.DataFrame:
    import pandas as pd

    from mnsim.sweeps.engine import dask_client, progress_bar, run_points, sigterm_as_interrupt

    measure_columns = [m.column for m in definition.measures]
    rows: dict[str, dict[str, Any]] = {}
    todo: list[Point] = []
    counts = {"ran": 0, "reused": 0, "remeasured": 0, "failed": 0}
    for point in points:
        state = store.state(point.key, measure_columns, keep_blocks)
        if state == "reuse":
            old = store.rows[point.key]
            rows[point.key] = _row(definition, point, {c: decode_float(old[c])
                                                       for c in measure_columns},
                                   "ok", decode_float(old.get(WALL, "")), "")
            counts["reused"] += 1
        elif state == "measure":
            rows[point.key] = _remeasure(definition, point, store)
            counts["remeasured"] += 1
        else:
            todo.append(point)

    def on_result(point: Point, result: Mapping[str, Any]) -> None:
        row = _row(definition, point, result["values"], result["status"], result["wall"],
                   result["error"])
        if result.get("block") is not None:
            from mnsim.results import save

            save(result["block"], store.block_path(point.key))
        rows[point.key] = row
        store.record(row)
        store.flush()
        counts["ran"] += 1
        counts["failed"] += result["status"] != "ok"
        bar.update(1)
        if counts["failed"]:
            bar.set_postfix(failed=counts["failed"], refresh=False)

    before = {p.key: store.rows.get(p.key) for p in todo}  # to count what this run wrote
    try:
        if todo:
            with sigterm_as_interrupt(), progress_bar(len(todo), definition.name,
                                                      progress) as bar, \
                    dask_client(scheduler, workers, len(todo)) as client:
                run_points(client, todo, definition.measures, keep_blocks, on_result,
                           name=definition.name)
    except KeyboardInterrupt:
        store.flush(force=True)
        if store.out is not None:
            # what the table holds now: an interrupt may land between recording a point and
            # counting it
            written = sum(store.rows.get(key) != row for key, row in before.items())
            print(f"{definition.name}: interrupted after {written} of {len(todo)} "
                  f"points; the finished ones are in {store.out / 'results.csv'}: run the "
                  f"same command again to resume", file=sys.stderr)
        raise
    store.flush(force=True)
    table = pd.DataFrame([rows[p.key] for p in points], columns=store.columns)
    table.attrs.update(sweep=definition.name, out=None if store.out is None else
                       str(store.out), **counts)
    return table


def _remeasure(definition: Sweep, point: Point, store: Store) -> dict[str, Any]:
    """Add the measures a reused point lacks, from its saved Block."""
    import time

    from mnsim.results import load as load_block
    from mnsim.sweeps.task import measure_block

    old = store.rows[point.key]
    start = time.perf_counter()
    try:
        values = measure_block(load_block(store.block_path(point.key)), definition.measures)
        row = _row(definition, point, values, "ok", decode_float(old.get(WALL, "")), "")
    except Exception as exc:  # noqa: BLE001 - recorded like a failed run
        row = _row(definition, point, {}, "failed", time.perf_counter() - start,
                   " ".join(f"{type(exc).__name__}: {exc}".split()))
    store.record(row)
    return row


def plot_sweep(table: pd.DataFrame, definition: Sweep, path: str | Path) -> Path:
    """Draw the table: a line per backend and measure for one varied field, a heat map per
    backend and measure for two (see :mod:`mnsim.sweeps.plot`)."""
    from mnsim.sweeps.plot import plot_table

    return plot_table(table, definition, path)
