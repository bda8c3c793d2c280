"""The ``mnsim`` command: parses arguments and calls the public API; nothing else.

User errors print one line (``mnsim: error: ...``) and exit with code 2; ``compare`` and
``validate`` exit 1 when backends disagree or an expectation fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _overrides(pairs: Sequence[str] | None) -> dict[str, str]:
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            from mnsim.errors import SpecError

            raise SpecError(f"--set expects PATH=VALUE (e.g. stimuli.step.amplitude='6.5 "
                            f"uA/cm2'), got '{pair}'")
        result[key.strip()] = value.strip()
    return result


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mnsim", description="Run one neuron or circuit "
                                     "model on NEURON, Brian2 or NEST and compare them.")
    from mnsim import __version__

    parser.add_argument("--version", action="version", version=f"mnsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="backends (installed? what they support) and shipped models")

    def model_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("model", help="shipped model name, NAME:VARIANT, or a .yaml file")
        p.add_argument("--set", action="append", metavar="PATH=VALUE",
                       help="override a field, e.g. --set stimuli.step.amplitude='6.5 uA/cm2'")

    run = sub.add_parser("run", help="run a model on one backend")
    model_args(run)
    run.add_argument("--backend", "-b", default="neuron", help="neuron, brian2 or nest")
    run.add_argument("--threads", type=_positive_int, default=1, help="threads (NEST)")
    run.add_argument("-o", "--output", help="save the Neo Block (.nix or .pkl)")
    run.add_argument("--plot", help="save a figure of the recorded signals (.png)")

    cmp = sub.add_parser("compare", help="run a model on several backends side by side")
    model_args(cmp)
    cmp.add_argument("--backends", help="comma-separated (default: every installed backend)")
    cmp.add_argument("--report", help="directory for table.md/.csv, figures and Blocks")

    val = sub.add_parser("validate", help="check a model's expect: entries")
    model_args(val)
    val.add_argument("--backend", "-b",
                     help="one backend (default: every installed backend, each in its own "
                          "process)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from mnsim.errors import MnsimError

    try:
        return COMMANDS[args.command](args)
    except MnsimError as exc:
        print(f"mnsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mnsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _list(args: argparse.Namespace) -> int:
    from mnsim.backends import backends
    from mnsim.spec import shipped_models

    print("backends:")
    for info in backends():
        state = "installed" if info.installed else f"not installed (no module {info.simulator})"
        print(f"  {info.name:<7} {state}")
        print(f"          cells: {', '.join(info.cell_types)}")
        print(f"          stimuli: {', '.join(info.stimulus_types)}"
              + (f"; features: {', '.join(info.features)}" if info.features else ""))
    print("models: " + ", ".join(shipped_models()))
    return 0


def _run(args: argparse.Namespace) -> int:
    from mnsim.analysis import measure
    from mnsim.api import run, save
    from mnsim.plotting import FIGURE_FORMATS
    from mnsim.results import FORMATS
    from mnsim.spec import load

    _check_suffix(args.output, FORMATS, "results")
    _check_suffix(args.plot, FIGURE_FORMATS, "figure")
    model = load(args.model, set=_overrides(args.set))
    block = run(model, args.backend, threads=args.threads)
    ann = block.annotations
    print(f"{model.name} on {ann['backend']} {ann['backend_version']}: build "
          f"{ann['build_time_s']:.3g} s, run {ann['run_time_s']:.3g} s ({ann['integration']})")
    for pop, rec in model.record.items():
        if "spikes" in rec.variables:
            counts = measure("spike_count", block, pop)
            print(f"  {pop}: {int(counts.sum())} spikes from {len(counts)} recorded neurons, "
                  f"per neuron {', '.join(str(int(c)) for c in counts[:10])}"
                  + (" ..." if len(counts) > 10 else ""))
    if args.output:
        print(f"  saved {save(block, args.output)}")
    if args.plot:
        from mnsim.plotting import plot_run

        print(f"  plotted {plot_run(block, model, args.plot)}")
    return 0


def _check_suffix(path: str | None, formats, what: str) -> None:
    """Refuse an output name before a run, not after it."""
    from pathlib import Path

    from mnsim.errors import MnsimError

    if path and Path(path).suffix not in formats:
        raise MnsimError(f"cannot save {what} as '{path}': use one of {', '.join(formats)}")


def _compare(args: argparse.Namespace) -> int:
    from mnsim.api import compare
    from mnsim.spec import load

    model = load(args.model, set=_overrides(args.set))
    names = [n.strip() for n in args.backends.split(",")] if args.backends else None
    result = compare(model, names)
    print(result.summary())
    print(result.table())
    if args.report:
        print(f"report written to {result.write_report(args.report)}")
    return 0 if result.agree else 1


def _validate(args: argparse.Namespace) -> int:
    from mnsim.spec import load
    from mnsim.validation import check_expectations

    model = load(args.model, set=_overrides(args.set))
    if not model.expect:
        print(f"{model.name} has no expect: entries; nothing to validate")
        return 0
    if args.backend:
        from mnsim.api import run

        blocks, errors = {args.backend: run(model, args.backend)}, {}
    else:
        from mnsim.comparison import run_isolated, runnable_backends

        names, skipped = runnable_backends(model)
        for name, why in skipped.items():
            print(f"{model.name} on {name}: skipped: {why}")
        blocks, errors = run_isolated(model, names)
    ok = not errors
    for block in blocks.values():
        report = check_expectations(model, block)
        print(report.table())
        ok &= report.passed
    for name, message in errors.items():
        print(f"{model.name} on {name}: could not run: {message}")
    return 0 if ok else 1


COMMANDS = {"list": _list, "run": _run, "compare": _compare, "validate": _validate}

if __name__ == "__main__":
    sys.exit(main())
