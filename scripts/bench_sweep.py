"""Benchmark: a 100-point Hodgkin-Huxley f-I sweep on 2 local Dask workers against a serial
loop in one process.

    .venv/bin/python scripts/bench_sweep.py                    # every backend, 3 repeats
    .venv/bin/python scripts/bench_sweep.py --backends neuron --repeats 5 --json bench.json

The sweep is the shipped ``hh_fi`` model set-up (hh_squid, 500 ms steps from rest, spikes
recorded) at 100 amplitudes, 0.2 to 20 uA/cm2 in steps of 0.2, measuring spike_count and
steady_rate. Each measurement runs in a fresh Python process (what a user waits for):

* **serial**: ``import mnsim``, then for each point ``mnsim.load`` with the amplitude set,
  ``mnsim.run`` and the two measures, one after the other in that process;
* **dask**: ``import mnsim`` and one ``mnsim.sweep(..., workers=2)`` call, which starts a
  local cluster of 2 worker processes, runs the points and closes the cluster (no results
  directory).

Reported per backend (best of the repeats): the two wall times (process start to end), the
speed-up serial / dask, the time a point takes inside its worker (the table's ``wall time``,
median), and the per-point overhead of the Dask path: ``(2 x dask wall - sum of the points'
times in their workers) / 100``, i.e. the worker-seconds not spent on points (cluster start,
worker imports, scheduling, transfers), per point; and the part of it that is starting and
closing the local cluster (timed on an empty cluster in the same process, before the sweep,
and subtracted from that process's wall time). The serial loop's own overhead is that of
``mnsim.load``/``mnsim.run``, measured by bench_point_neurons.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

N_POINTS = 100
AMPLITUDES = "0.2:20:0.2 uA/cm2"
SET = {"simulation.duration": "510 ms", "stimuli.step.stop": "510 ms",
       "record.membrane": ["spikes"], "expect": []}
MEASURES = ["spike_count", {"name": "steady_rate", "window": ["10 ms", "510 ms"]}]


def serial(backend: str) -> dict:
    start = time.perf_counter()
    import mnsim
    from mnsim.sweeps.grid import parse_axis
    from mnsim.sweeps.measures import parse_measures
    from mnsim.sweeps.task import measure_block

    base = mnsim.load("hh_squid", set=SET)
    axis = parse_axis("stimuli.step.amplitude", AMPLITUDES)
    measures = parse_measures(MEASURES, base)
    points, counts = [], []
    for value in axis.values:
        t0 = time.perf_counter()
        model = mnsim.load(base, set={axis.path: axis.override(value)})
        counts.append(measure_block(mnsim.run(model, backend), measures)["spike_count"])
        points.append(time.perf_counter() - t0)
    return {"wall": time.perf_counter() - start, "points": points, "spikes": sum(counts)}


def dask(backend: str) -> dict:
    start = time.perf_counter()
    import mnsim
    from mnsim.sweeps.engine import dask_client

    t0 = time.perf_counter()
    with dask_client(None, 2, N_POINTS):  # an empty cluster: its start and close alone
        pass
    cluster = time.perf_counter() - t0
    start += cluster  # not part of the sweep's wall time below
    table = mnsim.sweep("hh_squid", vary={"stimuli.step.amplitude": AMPLITUDES},
                        measures=MEASURES, backends=backend, workers=2, progress=False,
                        set=SET)
    wall = time.perf_counter() - start
    assert (table["status"] == "ok").all(), table["error"].tolist()
    return {"wall": wall, "points": table["wall time (s)"].tolist(), "cluster": cluster,
            "spikes": float(table["spike_count"].sum())}


def measure(mode: str, backend: str) -> dict:
    """One measurement in a fresh process (this script with --child)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", mode, backend],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYNEST_QUIET": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"{mode} on {backend} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # interpreter start to exit (for dask: less the extra empty cluster)
    result["process"] = time.perf_counter() - t0 - result.get("cluster", 0.0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="neuron,nest,brian2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the raw figures here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, backend = args.child
        print(json.dumps((serial if mode == "serial" else dask)(backend)))
        return
    print(f"{N_POINTS}-point HH f-I sweep (hh_squid, 500 ms steps, {AMPLITUDES}); "
          f"{os.cpu_count()} CPUs; best of {args.repeats}")
    print(f"{'backend':8} {'serial (s)':>10} {'dask, 2 workers (s)':>20} {'speed-up':>9} "
          f"{'point, serial (ms)':>19} {'point in worker (ms)':>21} "
          f"{'dask overhead per point (ms)':>29} {'of which cluster start+close (ms)':>34}")
    raw = {}
    for backend in args.backends.split(","):
        runs = {"serial": [], "dask": []}
        for _ in range(args.repeats):
            for mode in ("serial", "dask"):  # alternating, so load drifts hit both
                runs[mode].append(measure(mode, backend))
        best = {mode: min(r, key=lambda x: x["process"]) for mode, r in runs.items()}
        assert best["serial"]["spikes"] == best["dask"]["spikes"]  # the same sweep
        serial_s, dask_s = best["serial"]["process"], best["dask"]["process"]
        in_worker = sum(best["dask"]["points"])
        overhead_ms = (2 * dask_s - in_worker) / N_POINTS * 1e3
        point_ms = statistics.median(best["dask"]["points"]) * 1e3
        serial_ms = statistics.median(best["serial"]["points"]) * 1e3
        cluster_ms = 2 * best["dask"]["cluster"] / N_POINTS * 1e3
        print(f"{backend:8} {serial_s:10.2f} {dask_s:20.2f} {serial_s / dask_s:9.2f} "
              f"{serial_ms:19.1f} {point_ms:21.1f} {overhead_ms:29.1f} {cluster_ms:34.1f}",
              flush=True)
        raw[backend] = runs
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":  # the worker processes import this file: keep the guard
    main()
