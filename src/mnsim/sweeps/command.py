"""``mnsim sweep``: what the command does once :mod:`mnsim.cli` has parsed its arguments.

Prints the table (stdout), a summary line and, for a sweep with ``expect:`` entries run on
its own grid and measures, the checks. Exit code 0; 1 when a point failed or an expectation
failed; user errors are raised (``mnsim.cli`` prints them, exit 2).
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for text in values for v in text.split(",") if v.strip()]


def run(args: argparse.Namespace, overrides: dict[str, str]) -> int:
    from mnsim.errors import MnsimError
    from mnsim.plotting import FIGURE_FORMATS
    from mnsim.sweeps import check, plot_sweep, resolve, sweep
    from mnsim.sweeps.plot import check_plottable

    if args.backend and args.backends:
        raise MnsimError("give --backend B or --backends A,B, not both")
    backends = [args.backend] if args.backend else _split([args.backends] if args.backends
                                                          else None)
    measures = _split(args.measure)
    if args.plot and not str(args.plot).endswith(FIGURE_FORMATS):
        raise MnsimError(f"cannot save a figure as '{args.plot}': use one of "
                         f"{', '.join(FIGURE_FORMATS)}")
    definition = resolve(args.model, args.vary, measures, backends, overrides or None)
    if args.plot:
        check_plottable(definition)
    table = sweep(definition, workers=args.workers, scheduler=args.scheduler, out=args.out,
                  keep_blocks=args.keep_blocks)
    print(format_table(table))
    failed = int((table["status"] != "ok").sum())
    attrs = table.attrs
    where = f"; results in {attrs['out']}" if attrs.get("out") else ""
    n_backends = max(table["backend"].nunique(), 1)
    print(f"{definition.name}: {len(table) // n_backends} points x {n_backends} backend"
          f"{'s' if n_backends > 1 else ''}: {attrs['ran']} run, {attrs['reused']} reused"
          + (f", {attrs['remeasured']} measured from saved Blocks" if attrs["remeasured"]
             else "") + f", {failed} failed{where}")
    if args.plot:
        print(f"plotted {plot_sweep(table, definition, args.plot)}")
    ok = failed == 0
    if definition.expect:
        report = check(definition, table)
        print(report.table())
        ok &= report.passed
    return 0 if ok else 1


def format_table(table: pd.DataFrame) -> str:
    """The table as text: the point, backend, measures and status (the error when failed)."""
    from mnsim.sweeps.store import ERROR, KEY, WALL

    shown = table.drop(columns=[KEY, WALL] + ([] if (table["status"] != "ok").any()
                                              else [ERROR]))

    def number(x: Any) -> str:
        if isinstance(x, float):
            return "nan" if math.isnan(x) else f"{x:.6g}"
        return str(x)

    return shown.to_string(index=False, formatters={c: number for c in shown.columns})
