"""Benchmark: a Brunel (2000) network on NEURON (or an MPI-enabled NEST) in 1 and 2 MPI ranks
(issue 6, section 4).

    .venv/bin/python scripts/bench_mpi.py                  # brunel2000:small, 3 repeats
    .venv/bin/python scripts/bench_mpi.py --ranks 1,2 --repeats 1 --duration "100 ms"
    .venv/bin/python scripts/bench_mpi.py --model brunel2000 --duration "100 ms" --repeats 1
    .venv/bin/python scripts/bench_mpi.py --backend nest --ranks 1,1x2,2   # NEST built with MPI

(``scripts/bench_sweep.py`` is the Dask side of the same section: a parameter sweep on local
workers.) Each measurement is what a user types,
``mpiexec -n N python -m mnsim.cli run MODEL --backend B --threads T -o OUT.pkl``, in a fresh
job; the configurations alternate between repetitions (1, 2, 2, 1, ...). A configuration is
``N`` ranks or ``NxT``, N ranks of T threads each (NEST; NEURON ignores threads). Reported
per configuration (median of the repetitions, min-max in brackets):

* **build** and **run**: the Block's ``build_time_s`` and ``run_time_s``, measured on rank 0.
  Build is the cells, the draw of every connection (each rank draws them all, then builds the
  ones onto its own cells) and the inputs; it ends when every rank has built its share. Run is
  NEURON's ``psolve`` plus gathering the recordings on rank 0.
* **wall**: the whole ``mpiexec`` command: starting Python and MPI, loading the model, build,
  run, Neo and writing the Block.
* **spikes**: in the Block (all neurons), and whether every spike train is identical to the
  first configuration's with as many virtual processes (ranks x threads; NEST's own random
  numbers depend on that count, NEURON's and mnsim's on neither): exit code 1 if not.

``brunel2000:small`` (2,500 ``IF_curr_delta`` neurons, in-degrees 1,000 and 250: 3.1 million
NetCons, a 20 kHz Poisson train into each neuron from its own Random123 stream, 500 ms) is the
default: the full model has 15.6 million NetCons and runs about 5 times longer per simulated
second (see docs/benchmarks.md for what a 100 ms run of it costs). Open MPI needs
``--oversubscribe`` (added when ``mpiexec --version`` says Open MPI) and, as root,
``OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`` (set here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def mpiexec_command(ranks: int) -> list[str]:
    exe = shutil.which("mpiexec")
    if exe is None:
        sys.exit("bench_mpi: mpiexec not found: apt-get install openmpi-bin")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True)
    open_mpi = "Open MPI" in version.stdout or "OpenRTE" in version.stdout
    return [exe, "-n", str(ranks)] + (["--oversubscribe"] if open_mpi else [])


def one_run(config: tuple[int, int], backend: str, model: str, duration: str | None,
            out: Path) -> dict:
    """One ``mpiexec -n ranks mnsim run --threads threads``: times, spike trains."""
    import mnsim

    ranks, threads = config
    cmd = [*mpiexec_command(ranks), sys.executable, "-m", "mnsim.cli", "run", model,
           "--backend", backend, "--threads", str(threads), "-o", str(out),
           "--set", "expect=[]"]
    if duration:
        cmd += ["--set", f"simulation.duration={duration}"]
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "PYNEST_QUIET": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"bench_mpi: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    block = mnsim.load_results(out)
    trains = [np.asarray(st.magnitude) for st in block.segments[0].spiketrains]
    return {"ranks": ranks, "threads": threads, "build_s": float(block.annotations["build_time_s"]),
            "run_s": float(block.annotations["run_time_s"]), "wall_s": wall,
            "spikes": int(sum(t.size for t in trains)), "trains": trains}


def _cell(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.2f}" + (f" ({min(values):.2f}-{max(values):.2f})" if len(values) > 1 else "")


def _same(trains: list[np.ndarray], reference: list[np.ndarray]) -> bool:
    return len(trains) == len(reference) and all(np.array_equal(a, b)
                                                  for a, b in zip(trains, reference))


def _config(text: str) -> tuple[int, int]:
    ranks, _, threads = text.strip().partition("x")
    return int(ranks), int(threads or 1)


def _name(config: tuple[int, int]) -> str:
    return f"{config[0]}" if config[1] == 1 else f"{config[0]}x{config[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="brunel2000:small")
    parser.add_argument("--duration", help="override simulation.duration, e.g. '100 ms'")
    parser.add_argument("--backend", choices=("neuron", "nest"), default="neuron")
    parser.add_argument("--ranks", default="1,2",
                        help="comma-separated configurations: N ranks, or NxT (T threads each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the timings here")
    args = parser.parse_args()
    configs = [_config(c) for c in args.ranks.split(",")]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.model}{' for ' + args.duration if args.duration else ''} on {args.backend}; "
          f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), load "
          f"{load}; {args.repeats} repetitions", flush=True)
    results: dict[tuple[int, int], list[dict]] = {c: [] for c in configs}
    # 0: the first run; n > 0: the first run with n virtual processes
    references: dict[int, tuple[str, list]] = {}
    identical = True
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for c in configs if rep % 2 == 0 else configs[::-1]:
                r = one_run(c, args.backend, args.model, args.duration,
                            Path(tmp) / f"{_name(c)}.pkl")
                # NEURON's results depend on neither ranks nor threads: one reference
                vps = c[0] * c[1] if args.backend == "nest" else 1
                first = references.setdefault(0, (_name(c), r["trains"]))
                if vps in references:  # must equal the first run with as many VPs
                    same = _same(r["trains"], references[vps][1])
                    r["identical_to"] = (first[0] if _same(r["trains"], first[1])
                                         else references[vps][0] if same else None)
                else:  # the first with this many VPs: NEST may draw another network
                    references[vps] = (_name(c), r["trains"])
                    same = True
                    r["identical_to"] = (first[0] if _same(r["trains"], first[1])
                                         else f"new draw ({vps} VPs)")
                identical &= same
                del r["trains"]
                results[c].append(r)
                print(f"  {_name(c)}: build {r['build_s']:.2f} s, run {r['run_s']:.2f} s, "
                      f"wall {r['wall_s']:.2f} s, {r['spikes']} spikes"
                      f"{'' if same else ' (DIFFERENT spike trains)'}", flush=True)
    base = statistics.median(r["wall_s"] for r in results[configs[0]])
    base_run = statistics.median(r["run_s"] for r in results[configs[0]])
    print(f"\nMedians in s (min-max); speed-up against {_name(configs[0])}; NxT: N ranks of T "
          f"threads.\n")
    print("| ranks | build | run | wall | run speed-up | wall speed-up | spikes | identical to |")
    print("|---|---|---|---|---|---|---|---|")
    for c, rs in results.items():
        run = statistics.median(r["run_s"] for r in rs)
        wall = statistics.median(r["wall_s"] for r in rs)
        same = {r["identical_to"] for r in rs}
        print(f"| {_name(c)} | {_cell([r['build_s'] for r in rs])} | "
              f"{_cell([r['run_s'] for r in rs])} | {_cell([r['wall_s'] for r in rs])} | "
              f"{base_run / run:.2f} | {base / wall:.2f} | {rs[0]['spikes']} | "
              f"{'NO' if None in same else ', '.join(sorted(same))} |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"model": args.model, "backend": args.backend, "duration": args.duration,
             "results": {_name(c): rs for c, rs in results.items()}}, indent=1))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
