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
    _morph_parser(sub)
    _sweep_parser(sub)
    _channel_parser(sub)
    return parser


# --- mnsim morph info|plot FILE: morphology files (SWC, ASC, H5, NeuroML2) -------------------

def _morph_parser(sub) -> None:
    morph = sub.add_parser("morph", help="inspect a morphology file (SWC, ASC, H5, NeuroML2)")
    msub = morph.add_subparsers(dest="morph_command", required=True)
    info = msub.add_parser("info", help="sections, length and area per type, soma, warnings")
    info.add_argument("file", help="a morphology file, or the name of one mnsim ships")
    plot = msub.add_parser("plot", help="2-D projections (xy, xz, zy) coloured by section type")
    plot.add_argument("file", help="a morphology file, or the name of one mnsim ships")
    plot.add_argument("-o", "--output", help="figure file (.png, .pdf, .svg; default: the "
                                             "file's name with .png, here)")
    plot.add_argument("--projections", default="xy,xz,zy",
                      help="comma-separated, from xy, xz, zy (default: all three)")
    plot.add_argument("--results", metavar="BLOCK",
                      help="colour by a value recorded in a run of this cell (a .nix or .pkl "
                           "from `mnsim run ... -o`; record `locations: all` for every section)")
    plot.add_argument("--value", default="peak_v", choices=("peak_v", "min_v", "final_v"),
                      help="with --results: what to colour by (default: peak_v)")
    plot.add_argument("--population", help="with --results: the population (default: the "
                                            "first multicompartment one recorded)")


def _morph(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mnsim.morphology import load_morphology

    if args.morph_command == "info":
        from mnsim.morphology.info import format_info

        print(format_info(load_morphology(args.file)))
        return 0
    from mnsim.morphology.plot import check_figure_path, plot_morphology

    out = check_figure_path(args.output or Path(args.file).with_suffix(".png").name)
    morph = load_morphology(args.file)
    projections = [p.strip() for p in args.projections.split(",") if p.strip()]
    values, label = None, ""
    if args.results:
        from mnsim.morphology.plot import recorded_values
        from mnsim.results import load as load_block

        values, label = recorded_values(morph, load_block(args.results), args.value,
                                        args.population)
    drawn = plot_morphology(morph, values, path=out, projections=projections, label=label)
    print(f"plotted {drawn}")
    for warning in morph.warnings:
        print(f"  warning: {warning}")
    return 0

# --- end of mnsim morph ------------------------------------------------------------------------


# --- mnsim sweep MODEL --vary PATH=VALUES: parameter sweeps on Dask (mnsim.sweeps) ----------

def _sweep_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a model over a grid of parameter values (local "
                                     "worker processes or a Dask cluster)")
    p.add_argument("model", help="a shipped sweep (hh_fi, lif_fi_curve, lif_ou_rate), a sweep "
                                 "file, or a model (name, NAME:VARIANT or .yaml) with --vary")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override a field of the base model")
    p.add_argument("--vary", action="append", metavar="PATH=VALUES",
                   help="e.g. stimuli.step.amplitude=0:20:0.5uA/cm2 (START:STOP:STEP, stop "
                        "included) or PATH=v1,v2,...; repeat for a grid")
    p.add_argument("--measure", action="append", metavar="NAME[,NAME...]",
                   help="measures, e.g. spike_count,steady_rate or population_rate@exc "
                        "(default: spike_count,mean_rate)")
    p.add_argument("--backend", "-b", help="one backend")
    p.add_argument("--backends", help="comma-separated (default: every installed backend "
                                      "that can run the model)")
    p.add_argument("--workers", type=_positive_int, help="local worker processes (default: "
                                                         "one per CPU)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler, e.g. tcp://host:8786, instead of local workers")
    p.add_argument("--out", metavar="DIR", help="results directory (table, model, definition); "
                                                "run again to resume")
    p.add_argument("--keep-blocks", action="store_true",
                   help="save each point's Neo Block in DIR/blocks")
    p.add_argument("--plot", metavar="FILE.png",
                   help="f-I style lines (one varied field) or heat maps (two)")


def _sweep(args: argparse.Namespace) -> int:
    from mnsim.sweeps.command import run

    return run(args, _overrides(args.set))

# --- end of mnsim sweep ------------------------------------------------------------------------

# --- mnsim channel list|show|check: ion channels written once (mnsim.channels) ----------------

def _channel_parser(sub) -> None:
    ch = sub.add_parser("channel", help="ion channels: the library, generated NMODL and Brian2 "
                                        "equations, voltage-clamp agreement")
    csub = ch.add_subparsers(dest="channel_command", required=True)
    csub.add_parser("list", help="the channels mnsim ships, with their sources")
    show = csub.add_parser("show", help="print the NMODL (default) or Brian2 equations "
                                        "generated from a channel")
    show.add_argument("channel", help="a library channel's name or a channel file (.yaml)")
    show.add_argument("--brian2", action="store_true", help="the Brian2 equations instead")
    check = csub.add_parser("check", help="voltage-clamp steps on NEURON and Brian2; exit 1 "
                                          "if the currents differ by more than --tolerance")
    check.add_argument("channels", nargs="*", help="names or channel files (default: every "
                                                   "library channel)")
    check.add_argument("--celsius", type=float, default=6.3,
                       help="temperature in degC (default 6.3; channels with a fixed "
                            "temperature ignore it)")
    check.add_argument("--tolerance", type=float, default=1.0,
                       help="largest allowed difference, in %% of the channel's largest "
                            "current (default 1)")
    check.add_argument("--plot", help="figure of the clamp currents (.png, .pdf, .svg)")


def _channel(args: argparse.Namespace) -> int:
    from mnsim.channels.check import resolve

    if args.channel_command == "list":
        from mnsim.channels.library import LIBRARY_DIR, library
        from mnsim.channels.model import CalciumDynamics

        for name, ch in library().items():
            what = ("calcium dynamics" if isinstance(ch, CalciumDynamics)
                    else f"{ch.ion}, gates {' '.join(g.name for g in ch.gates) or '-'}")
            print(f"{name:<14} {what:<28} {ch.title}")
            print(f"{'':<14} {ch.source.paper}")
        print(f"(files in {LIBRARY_DIR})")
        return 0
    if args.channel_command == "show":
        from pathlib import Path

        from mnsim.channels.equations import brian2_fragment
        from mnsim.channels.library import get
        from mnsim.channels.nmodl import to_nmodl
        from mnsim.channels.read import read_channel

        name = args.channel
        ch = read_channel(Path(name)) if name.endswith((".yaml", ".yml")) else get(name)
        print(brian2_fragment(ch).equations if args.brian2 else to_nmodl(ch), end="")
        return 0
    from mnsim.channels.check import check, plot
    from mnsim.channels.clamp import ClampProtocol, table
    from mnsim.plotting import FIGURE_FORMATS

    _check_suffix(args.plot, FIGURE_FORMATS, "figure")
    protocol = ClampProtocol(celsius=args.celsius)
    comparisons, traces = check(resolve(args.channels), protocol)
    tolerance = args.tolerance / 100
    print(f"voltage clamp, NEURON vs Brian2: hold {protocol.hold_mV:g} mV, steps "
          f"{protocol.steps_mV[0]:g}..{protocol.steps_mV[-1]:g} mV for {protocol.step_ms:g} ms, "
          f"dt {protocol.dt_ms:g} ms, {protocol.celsius:g} degC; tolerance {args.tolerance:g} %")
    print(table(comparisons, tolerance))
    if args.plot:
        print(f"plotted {plot(traces, protocol, args.plot)}")
    return 0 if all(c.worst <= tolerance for c in comparisons) else 1

# --- end of mnsim channel ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from mnsim.errors import MnsimError
    from mnsim.mpi import check_command, launched_rank, launched_ranks

    try:
        if launched_ranks() > 1:  # mpiexec: only `run`, on NEURON or an MPI NEST (docs/mpi.md)
            check_command(args.command, getattr(args, "backend", None))
        return COMMANDS[args.command](args)
    except MnsimError as exc:
        if launched_rank() > 0:  # under mpiexec every rank fails alike: rank 0 says so
            return 0
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
    from pathlib import Path

    sweeps = sorted(p.stem for p in (Path(__file__).parent / "sweeps").glob("*.yaml"))
    print("sweeps: " + ", ".join(sweeps) + " (mnsim sweep NAME)")
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
    if block is None:  # an MPI rank other than 0: rank 0 reports and saves the whole run
        return 0
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


COMMANDS = {"list": _list, "run": _run, "compare": _compare, "validate": _validate,
            "morph": _morph, "sweep": _sweep, "channel": _channel}

if __name__ == "__main__":
    sys.exit(main())
