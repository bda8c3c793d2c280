"""Morphology benchmarks (issue 4): loading a reconstruction, and a reconstructed cell run
through mnsim on NEURON against the same cell written by hand in NEURON.

1. ``mnsim.load_morphology`` on the largest file of ``../shared/morphologies/`` (relative to
   the repository) that loads (larger files that do not are listed): its first load, and the
   median of ``--load-repeats`` further loads.
2. The shipped granule cell ``mp_ma_40984_gc2.CNG.swc`` (a 1-point soma, on which NEURON,
   MorphIO, NeuroM and Brian2 agree), ``hh`` with NEURON's defaults everywhere, cm 1 uF/cm2,
   Ra 100 ohm cm, d_lambda 0.1 at 100 Hz, a somatic step of ``--amplitude`` from 25 ms to
   225 ms, 250 ms at dt 0.025 ms, 6.3 degC; spikes and v at soma(0.5) every step.

   * **mnsim**: ``mnsim.run(model, "neuron")`` on a model loaded once (*load*: ``mnsim.load``
     of the model, the morphology file included; the first of the process imports more).
     *Build* and *run* are the Block's ``build_time_s`` / ``run_time_s``; *total* is the
     call's wall time (adds the checks and the conversion to Neo).
   * **native**: hand-written NEURON: ``Import3d_SWC_read`` + ``Import3d_GUI.instantiate``,
     ``Ra``, ``cm``, ``hh`` in every section, the same ``nseg`` per section as mnsim (the
     sections come in the same order; their lengths are checked), ``IClamp`` at soma(0.5),
     ``Vector.record`` of v there every step, a ``NetCon`` (threshold 0 mV) recording spikes,
     the same settings (fixed step, ``secondorder`` 2, ``usetable_hh`` 0, ``celsius``). *Build*
     = all that (reading the file included), *run* = ``finitialize`` + ``psolve`` + the
     recordings into numpy arrays.

   A warm-up of both paths, then ``--repeats`` repetitions alternating the two (the order
   flips), a ``gc.collect()`` before each; medians, and the mnsim / native ratios. The two must
   give the same spikes (within 1e-6 ms) and the same v (within 0.01 mV: the two somas are
   the same cylinder at different coordinates, and NEURON keeps 3-D points in single
   precision, so their areas differ by 4e-8). Exit code 1 if they do not, or if mnsim's run
   is more than 5 % slower than native's (the target).

    ./dev python scripts/bench_morphology.py
    ./dev python scripts/bench_morphology.py --repeats 9 --amplitude "0.5 nA"
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "morphologies"
CELL_FILE = ROOT / "src" / "mnsim" / "morphologies" / "mp_ma_40984_gc2.CNG.swc"
DURATION_MS, DT_MS, START_MS, STOP_MS, CELSIUS = 250.0, 0.025, 25.0, 225.0, 6.3
CM_UF_CM2, RA_OHM_CM, V0_MV = 1.0, 100.0, -65.0


# -- 1. loading a morphology ---------------------------------------------------------------
def bench_load(repeats: int) -> dict[str, Any]:
    """Time ``mnsim.load_morphology`` on the largest file of ../shared/morphologies that
    loads."""
    import mnsim
    from mnsim.errors import MorphologyError

    files = sorted((p for p in SHARED.iterdir() if p.is_file() and p.suffix != ".md"),
                   key=lambda p: p.stat().st_size, reverse=True)
    skipped = []
    for path in files:
        t0 = time.perf_counter()
        try:
            morph = mnsim.load_morphology(path)
        except MorphologyError as exc:
            skipped.append(f"{path.name}: {str(exc).splitlines()[0][:100]}")
            continue
        first = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            gc.collect()
            t0 = time.perf_counter()
            mnsim.load_morphology(path)
            times.append(time.perf_counter() - t0)
        return {"file": path.name, "bytes": path.stat().st_size, "first_s": first,
                "median_s": statistics.median(times), "min_s": min(times),
                "max_s": max(times), "sections": len(morph.sections),
                "skipped": skipped}
    raise SystemExit(f"no file of {SHARED} loads: {skipped}")


# -- 2. a reconstructed cell: mnsim against hand-written NEURON ------------------------------
@dataclass
class Timing:
    build_s: float
    run_s: float
    total_s: float
    spikes: np.ndarray
    v: np.ndarray


def cell_model(amplitude: str) -> Any:
    import mnsim

    return mnsim.load({
        "name": "granule_hh", "simulation": {"duration": f"{DURATION_MS} ms",
                                             "dt": f"{DT_MS} ms",
                                             "temperature": f"{CELSIUS} degC"},
        "populations": {"cell": {"size": 1, "cell": {
            "type": "multicompartment", "morphology": str(CELL_FILE),
            "discretization": {"d_lambda": 0.1, "frequency": "100 Hz"},
            "regions": {"all": {"cm": f"{CM_UF_CM2} uF/cm2", "Ra": f"{RA_OHM_CM} ohm*cm",
                                "mechanisms": {"hh": {}}}},
            "initial": {"v": f"{V0_MV} mV"}}}},
        "stimuli": {"step": {"type": "step_current", "target": "cell", "amplitude": amplitude,
                             "start": f"{START_MS} ms", "stop": f"{STOP_MS} ms",
                             "location": "soma(0.5)"}},
        "record": {"cell": {"variables": ["spikes", "v"], "locations": ["soma(0.5)"],
                            "interval": f"{DT_MS} ms"}}})


def mnsim_path(model: Any) -> Timing:
    import mnsim

    t0 = time.perf_counter()
    block = mnsim.run(model, "neuron")
    total = time.perf_counter() - t0
    seg = block.segments[0]
    ann = block.annotations
    return Timing(ann["build_time_s"], ann["run_time_s"], total,
                  np.asarray(seg.spiketrains[0].magnitude),
                  np.asarray(seg.analogsignals[0].magnitude)[:, 0])


def native_path(nseg: list[int], lengths: list[float], amplitude_nA: float) -> Timing:
    """Hand-written NEURON code; every section is deleted on return."""
    from neuron import h

    t0 = time.perf_counter()
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(CELL_FILE))
    h.Import3d_GUI(reader, False).instantiate(None)
    sections = list(h.allsec())
    h.CVode().active(0)
    h.dt = DT_MS
    h.secondorder = 2
    h.celsius = CELSIUS
    h.usetable_hh = 0
    for sec, n in zip(sections, nseg):
        sec.Ra = RA_OHM_CM
        sec.cm = CM_UF_CM2
        sec.insert("hh")
        sec.nseg = n
    soma = sections[0](0.5)
    clamp = h.IClamp(soma)
    clamp.delay, clamp.dur, clamp.amp = START_MS, STOP_MS - START_MS, amplitude_nA
    v_vec = h.Vector().record(soma._ref_v)
    spikes = h.Vector()
    nc = h.NetCon(soma._ref_v, None, sec=sections[0])
    nc.threshold = 0.0
    nc.record(spikes)
    pc = h.ParallelContext()
    pc.set_maxstep(10)
    t1 = time.perf_counter()
    h.finitialize(V0_MV)
    pc.psolve(DURATION_MS + DT_MS)  # one step more, as mnsim (a last-step crossing counts)
    n = round(DURATION_MS / DT_MS)
    v = np.array(v_vec.as_numpy()[:n])
    times = np.array(spikes.as_numpy())
    t2 = time.perf_counter()
    if len(sections) != len(nseg) or any(abs(s.L - length) > 1e-3
                                         for s, length in zip(sections, lengths)):
        raise SystemExit("Import3d's sections are not mnsim's, in the same order")
    del nc, clamp, v_vec, soma
    for sec in sections:
        h.delete_section(sec=sec)
    return Timing(t1 - t0, t2 - t1, t2 - t0, times[times <= DURATION_MS + 1e-9], v)


def neuron_sections() -> int:
    from neuron import h

    return sum(1 for _ in h.allsec())


def drop_mnsim_model() -> None:
    """mnsim keeps its last NEURON model alive until the next build; drop it (untimed) so the
    native run does not simulate it too."""
    from mnsim.backends.neuron.backend import _ACTIVE

    while _ACTIVE:
        _ACTIVE.pop().clear()


def bench_cell(repeats: int, amplitude: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    model = cell_model(amplitude)
    first_load_s = time.perf_counter() - t0
    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        cell_model(amplitude)
        loads.append(time.perf_counter() - t0)
    load_s = statistics.median(loads)
    cell = model.populations["cell"].cell
    nseg = list(cell.segment_counts)
    lengths = [s.length_um for s in cell.morphology.sections]
    amp_nA = float(model.stimuli["step"].values["amplitude"][0])

    def one(path: str) -> Timing:
        gc.collect()
        if neuron_sections():
            raise SystemExit("NEURON sections left over from a previous run")
        timing = mnsim_path(model) if path == "mnsim" else native_path(nseg, lengths, amp_nA)
        drop_mnsim_model()
        return timing

    warm = {path: one(path) for path in ("mnsim", "native")}
    runs: dict[str, list[Timing]] = {"mnsim": [], "native": []}
    for rep in range(repeats):
        for path in (("mnsim", "native") if rep % 2 == 0 else ("native", "mnsim")):
            runs[path].append(one(path))
    # mnsim puts spike times on the step grid; NEURON's t accumulates rounding (1e-10 ms)
    same_spikes = all(t.spikes.shape == warm["mnsim"].spikes.shape
                      and np.allclose(t.spikes, warm["mnsim"].spikes, atol=1e-6)
                      for ts in runs.values() for t in ts)
    return {"load_s": load_s, "first_load_s": first_load_s, "sections": len(nseg),
            "compartments": sum(nseg),
            "amplitude": amplitude, "warm": warm, "runs": runs,
            "spikes": (len(warm["mnsim"].spikes), len(warm["native"].spikes)),
            "same_spikes": bool(same_spikes),
            "v_max_diff_mV": float(np.abs(warm["mnsim"].v - warm["native"].v).max())}


# -- report -----------------------------------------------------------------------------------
def environment() -> str:
    from importlib.metadata import version

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; NEURON "
            f"{version('neuron')}, MorphIO {version('morphio')}; load average {load}")


def ms(values: list[float]) -> str:
    med = statistics.median(values) * 1000
    return f"{med:.1f}" if med < 100 else f"{med:.0f}"


def report(load: dict[str, Any], cell: dict[str, Any]) -> tuple[str, float]:
    lines = [f"machine: {environment()}", "",
             f"load_morphology({load['file']}, {load['bytes'] / 1000:.0f} kB, "
             f"{load['sections']} sections): first load {load['first_s'] * 1000:.1f} ms, "
             f"then median {load['median_s'] * 1000:.2f} ms (min {load['min_s'] * 1000:.2f}, "
             f"max {load['max_s'] * 1000:.2f})"]
    lines += [f"  (skipped, does not load: {s})" for s in load["skipped"]]
    runs = cell["runs"]
    lines += ["", f"granule cell + hh: {cell['sections']} sections, {cell['compartments']} "
                  f"segments, step {cell['amplitude']}; spikes mnsim {cell['spikes'][0]} / "
                  f"native {cell['spikes'][1]} (identical: {cell['same_spikes']}); "
                  f"max |v mnsim - v native| = {cell['v_max_diff_mV']:.2e} mV; "
                  f"mnsim.load of the model {cell['load_s'] * 1000:.1f} ms (first of the "
                  f"process {cell['first_load_s'] * 1000:.1f} ms)",
              f"medians of {len(runs['mnsim'])} alternating repetitions (ms):", "",
              "| | build | run | total |", "|---|---|---|---|"]
    for path in ("mnsim", "native"):
        ts = runs[path]
        lines.append(f"| {path} | {ms([t.build_s for t in ts])} | {ms([t.run_s for t in ts])} "
                     f"| {ms([t.total_s for t in ts])} |")
    ratios = {}
    for field in ("build_s", "run_s", "total_s"):
        mn = [getattr(t, field) for t in runs["mnsim"]]
        na = [getattr(t, field) for t in runs["native"]]
        per = [a / b for a, b in zip(mn, na)]
        ratios[field] = statistics.median(mn) / statistics.median(na)
        ratios[field + "_span"] = (min(per), max(per))
    lines.append("| mnsim / native | " + " | ".join(
        f"{ratios[f]:.2f} ({ratios[f + '_span'][0]:.2f}-{ratios[f + '_span'][1]:.2f})"
        for f in ("build_s", "run_s", "total_s")) + " |")
    return "\n".join(lines), ratios["run_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="alternating repetitions of the cell run (default %(default)s)")
    parser.add_argument("--load-repeats", type=int, default=20,
                        help="repeated loads of the morphology file (default %(default)s)")
    parser.add_argument("--amplitude", default="0.3 nA",
                        help="somatic step amplitude (default %(default)s)")
    args = parser.parse_args(argv)
    load = bench_load(args.load_repeats)
    cell = bench_cell(args.repeats, args.amplitude)
    text, run_ratio = report(load, cell)
    print(text)
    ok = cell["same_spikes"] and cell["v_max_diff_mV"] < 1e-2
    if not ok:
        print("!! mnsim and native disagree", file=sys.stderr)
    if run_ratio > 1.05:
        print(f"!! mnsim's run is {100 * (run_ratio - 1):.1f} % slower than native's "
              f"(target: within 5 %)", file=sys.stderr)
    return 0 if ok and run_ratio <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
