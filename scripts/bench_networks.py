"""mnsim's overhead on networks against hand-written simulator code (issue 3, section 5).

* ``cuba``: ``vogels_abbott_cuba`` (Brette et al. 2007, benchmark 2): 4,000 ``IF_curr_exp``,
  p = 0.02, 1 s, dt 0.1 ms, *shared* connectivity: the native code builds from the arrays
  mnsim builds from (``mnsim.draw`` connections and kick trains, drawn in its timed build as
  in mnsim's; the model's initial v). Same network, but chaotic: totals agree closely.
* ``brunel``: ``brunel2000:small``: 2,500 ``IF_curr_delta``, in-degrees 1000/250, 20 kHz
  Poisson drive, 0.5 s, *native* connectivity (totals agree statistically). NEST:
  ``fixed_indegree`` rules, a ``poisson_generator``; Brian2: ``i='k for k in sample(N_pre,
  size=K)'``, ``PoissonInput`` (1000 x 20 Hz). NEURON has no connection rule: ``mnsim.draw``
  connections; and mnsim's cells take events on the time grid only (``NetStim``'s are not):
  mnsim's ``mnsim_Poisson`` (and ``mnsim_VecStim`` for cuba's kick), as mnsim's backend.

**mnsim** = ``mnsim.run(model, backend, threads=N)``: build and run are the Block's
``build_time_s`` / ``run_time_s``; total is the call's wall time (adds the checks and Neo).
**native** = hand-written: build = reset + create everything (drawing included), run =
simulate + count spikes. NEST: ``iaf_psc_exp`` / ``iaf_psc_delta``, ``Connect`` with id arrays
or rule dicts, ``spike_recorder``, ``local_num_threads`` = N. Brian2: the same equations,
``SpikeMonitor``, Cython, a fresh scope and ``Network`` per run. NEURON: a section per cell
with mnsim's compiled mechanisms (from its cache: NEURON loads a mechanism only once),
``NetCon`` s in a loop, ``ParallelContext.psolve``. Brian2 and NEURON use one thread. A
process per backend and model; a 20 ms warm-up of both paths (Brian2 compiles), then
repetitions alternating mnsim and native (the order flips), a ``gc.collect()`` before each.
A path that raises (a backend without network support yet) is reported; the other runs.

Output: one row per model and backend; medians in ms; ``ratio`` = mnsim / native (of the
medians; in brackets min-max of the per-repetition ratios); ``spikes`` = totals of all
neurons, mnsim / native (relative difference, ``!!`` beyond 15 %), mean rate. Then
``mnsim.results.to_block`` on fake RawResults (100,000 spikes, 4,000 trains), median of 7,
target < 50 ms. Exit code 1 if a path failed, totals disagree or Neo misses its target.

    ./dev python scripts/bench_networks.py                       # everything, 3 repetitions
    ./dev python scripts/bench_networks.py --quick               # smoke test: 200 ms runs
    ./dev python scripts/bench_networks.py --backends nest --models brunel --threads 2
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

BACKENDS = ("nest", "brian2", "neuron")
MODELS = {"cuba": "vogels_abbott_cuba", "brunel": "brunel2000:small"}
QUICK_MS, WARMUP_MS = 200.0, 20.0
SPIKE_TOLERANCE = 0.15  # relative difference of the spike totals that counts as disagreement
NEO_TARGET_S = 0.050


@dataclass
class Timing:
    build_s: float
    run_s: float
    total_s: float
    spikes: dict[str, int]  # population -> spikes of all its neurons


def load_model(key: str, duration_ms: float | None = None) -> Any:
    import mnsim

    over = {"simulation.duration": f"{duration_ms:g} ms", "expect": []} if duration_ms else None
    return mnsim.load(MODELS[key], set=over)


def offsets(model: Any) -> dict[str, int]:
    """First index of each population when all are numbered in one range (exc, then inh)."""
    sizes = np.cumsum([0] + [p.size for p in model.populations.values()])
    return dict(zip(model.populations, sizes[:-1].tolist()))


def count(ids: np.ndarray, model: Any) -> dict[str, int]:
    """Spikes per population from the 0-based global ids of the spiking neurons."""
    return {name: int(np.count_nonzero((ids >= first) & (ids < first + pop.size)))
            for (name, pop), first in zip(model.populations.items(), offsets(model).values())}


def shared_arrays(model: Any, inputs: bool = True) -> tuple[list, list]:
    """mnsim's draw in global ids: per projection (pre offset, post offset, receptor,
    Connections); per spike input (first target, trains, Connections), if ``inputs``."""
    from mnsim import draw

    off = offsets(model)
    projs = [(off[p.pre], off[p.post], p.receptor, draw.connections(model, name))
             for name, p in model.projections.items()]
    return projs, [(off[s.target] + s.target_range[0], draw.poisson_trains(model, s),
                    draw.input_connections(model, s))
                   for s in model.stimuli.values() if inputs]


def initial_v(model: Any) -> np.ndarray:
    return np.concatenate([np.broadcast_to(p.cell.initial["v"], (p.size,))
                           for p in model.populations.values()]).astype(float)


# -- NEST --------------------------------------------------------------------------------------
def nest_native(model: Any, key: str, threads: int) -> Timing:
    import nest

    sim, n = model.simulation, sum(p.size for p in model.populations.values())
    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": sim.dt_ms, "local_num_threads": threads,
                          "rng_seed": sim.seed, "print_time": False})
    if key == "cuba":
        cells = nest.Create("iaf_psc_exp", n, params={
            "C_m": 200.0, "tau_m": 20.0, "E_L": -49.0, "V_reset": -60.0, "V_th": -50.0,
            "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0})
        cells.V_m = initial_v(model)
        first = cells[0].global_id
        projs, inputs = shared_arrays(model)
        for pre_off, post_off, _, c in projs:  # nA -> pA; inhibitory weights are negative
            nest.Connect(c.pre + pre_off + first, c.post + post_off + first, "one_to_one",
                         syn_spec={"weight": c.weight * 1000.0, "delay": c.delay_ms})
        for target, trains, c in inputs:
            gens = nest.Create("spike_generator", len(trains))
            gens.set([{"spike_times": t} for t in trains])
            nest.Connect(gens, cells[target:target + len(trains)], "one_to_one",
                         syn_spec={"weight": c.weight * 1000.0, "delay": c.delay_ms})
    else:
        cells = nest.Create("iaf_psc_delta", n, params={
            "C_m": 250.0, "tau_m": 20.0, "E_L": 0.0, "V_reset": 10.0, "V_th": 20.0,
            "t_ref": 2.0, "V_m": nest.random.uniform(0.0, 20.0)})
        first, n_exc = cells[0].global_id, model.populations["exc"].size
        exc, inh = cells[:n_exc], cells[n_exc:]
        drive = nest.Create("poisson_generator", params={"rate": 20000.0})
        nest.Connect(drive, cells, syn_spec={"weight": 0.1, "delay": 1.5})
        for pre, post, k, w, auto in ((exc, exc, 1000, 0.1, False), (exc, inh, 1000, 0.1, True),
                                      (inh, exc, 250, -0.5, True), (inh, inh, 250, -0.5, False)):
            nest.Connect(pre, post, {"rule": "fixed_indegree", "indegree": k,
                                     "allow_autapses": auto, "allow_multapses": False},
                         {"weight": w, "delay": 1.5})
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)
    t1 = time.perf_counter()
    nest.Simulate(sim.duration_ms)
    spikes = count(np.asarray(recorder.get("events", "senders")) - first, model)
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, spikes)


# -- Brian2 ------------------------------------------------------------------------------------
CUBA_EQS = """
dv/dt = (v_rest - v)/tau_m + (i_exc + i_inh)/c_m : volt (unless refractory)
di_exc/dt = -i_exc/tau_syn_E : amp
di_inh/dt = -i_inh/tau_syn_I : amp
"""


def brian2_native(model: Any, key: str, threads: int) -> Timing:
    import brian2 as b2
    from brian2 import Hz, ms, mV, nA, nF

    sim, n = model.simulation, sum(p.size for p in model.populations.values())
    t0 = time.perf_counter()
    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = dt = sim.dt_ms * ms
    b2.seed(sim.seed)
    # Brian2 stamps a spike with the start of its step: one more step of refractoriness
    # holds v until tau_refrac after the end of that step, as NEST and NEURON do
    if key == "cuba":
        ns = {"c_m": 0.2 * nF, "tau_m": 20 * ms, "v_rest": -49 * mV, "v_reset": -60 * mV,
              "v_thresh": -50 * mV, "tau_syn_E": 5 * ms, "tau_syn_I": 10 * ms}
        cells = b2.NeuronGroup(n, CUBA_EQS, threshold="v >= v_thresh", reset="v = v_reset",
                               refractory=5 * ms + dt, method="exact", namespace=ns,
                               name="native_cells")
        cells.v = initial_v(model) * mV
        objects: list[Any] = [cells]
        projs, inputs = shared_arrays(model)
        for receptor, var in (("excitatory", "i_exc"), ("inhibitory", "i_inh")):
            mine = [(a, b, c) for a, b, r, c in projs if r == receptor]
            delay = np.concatenate([c.delay_ms for _, _, c in mine])
            assert np.all(delay == delay[0]), "one delay per receptor expected"
            syn = b2.Synapses(cells, cells, "w : amp (constant)", on_pre=f"{var}_post += w",
                              delay=delay[0] * ms, name=f"native_{receptor}")
            syn.connect(i=np.concatenate([c.pre + a for a, _, c in mine]),
                        j=np.concatenate([c.post + b for _, b, c in mine]))
            syn.w = np.concatenate([c.weight for _, _, c in mine]) * nA
            objects.append(syn)
        for k, (target, trains, c) in enumerate(inputs):
            # drawn times are step ends (the cells' convention), Brian2's step starts; a
            # second spike of one source in one step (p ~ 1e-3 per run) is dropped
            steps = np.concatenate(trains) / sim.dt_ms - 1.0
            ids = np.repeat(np.arange(len(trains)), [len(t) for t in trains])
            ids, steps = np.unique(np.rint([ids, steps]).astype(np.int64), axis=1)
            gen = b2.SpikeGeneratorGroup(len(trains), ids, steps * dt, name=f"native_gen{k}")
            syn = b2.Synapses(gen, cells, "w : amp (constant)", on_pre="i_exc_post += w",
                              delay=c.delay_ms[0] * ms, name=f"native_input{k}")
            syn.connect(j="i + target", namespace={"target": target})
            syn.w = c.weight * nA
            objects += [gen, syn]
    else:
        n_exc = model.populations["exc"].size
        ns = {"tau_m": 20 * ms, "v_rest": 0 * mV, "v_reset": 10 * mV, "v_thresh": 20 * mV,
              "J": 0.1 * mV, "g": 5.0}
        cells = b2.NeuronGroup(n, "dv/dt = (v_rest - v)/tau_m : volt (unless refractory)",
                               threshold="v >= v_thresh", reset="v = v_reset",
                               refractory=2 * ms + dt, method="exact", namespace=ns,
                               name="native_cells")
        cells.v = "v_rest + rand()*(v_thresh - v_rest)"
        exc, inh = cells[:n_exc], cells[n_exc:]
        objects = [cells, b2.PoissonInput(cells, "v", 1000, 20 * Hz,  # 1000 x 20 Hz = 20 kHz
                                          weight="J*int(not_refractory)")]
        for name, pre, post, indegree, w, no_self in (
                ("ee", exc, exc, 1000, "J", True), ("ei", exc, inh, 1000, "J", False),
                ("ie", inh, exc, 250, "-g*J", False), ("ii", inh, inh, 250, "-g*J", True)):
            syn = b2.Synapses(pre, post, on_pre=f"v_post += {w}*int(not_refractory_post)",
                              delay=1.5 * ms, name=f"native_{name}")
            size = f"size={indegree}"  # without autapses: skip j among N_pre - 1 choices
            syn.connect(i=f"k + int(k >= j) for k in sample(N_pre - 1, {size})" if no_self
                        else f"k for k in sample(N_pre, {size})", namespace={})
            objects.append(syn)
    monitor = b2.SpikeMonitor(cells, name="native_spikes")
    net = b2.Network(*objects, monitor)
    net.run(0 * ms, namespace=ns)  # code generation and compilation, as mnsim's build does
    t1 = time.perf_counter()
    net.run(sim.duration_ms * ms, namespace=ns)
    spikes = count(np.asarray(monitor.i[:]), model)
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, spikes)


# -- NEURON ------------------------------------------------------------------------------------
NEURON_CELLS = {  # mechanism, its parameters (c_m in nF is also the section's capacitance)
    "cuba": ("mnsim_IF_curr_exp", {"c_m": 0.2, "tau_m": 20.0, "v_rest": -49.0,
                                   "v_reset": -60.0, "v_thresh": -50.0, "tau_refrac": 5.0,
                                   "tau_syn_E": 5.0, "tau_syn_I": 10.0}),
    "brunel": ("mnsim_IF_curr_delta", {"c_m": 0.25, "tau_m": 20.0, "v_rest": 0.0,
                                       "v_reset": 10.0, "v_thresh": 20.0, "tau_refrac": 2.0}),
}


def neuron_native(model: Any, key: str, threads: int) -> Timing:
    """Hand-written NEURON code with mnsim's point processes; every object dropped on return."""
    from neuron import h

    mechanism, params = NEURON_CELLS[key]
    for name in (mechanism, "mnsim_VecStim" if key == "cuba" else "mnsim_Poisson"):
        if not hasattr(h, name):
            raise RuntimeError(f"mnsim has no NEURON mechanism {name} (yet)")
    sim, n = model.simulation, sum(p.size for p in model.populations.values())
    t0 = time.perf_counter()
    h.CVode().active(0)
    h.dt, h.secondorder = sim.dt_ms, 2
    v0 = (initial_v(model) if key == "cuba"
          else np.random.default_rng(sim.seed).uniform(0.0, 20.0, n))
    secs, cells, keep, tvec, idvec = [], [], [], h.Vector(), h.Vector()
    for i in range(n):
        secs.append(sec := h.Section())
        sec.L = sec.diam = np.sqrt(1e5 / np.pi)  # 1e-3 cm2: cm in uF/cm2 = capacitance in nF
        sec.cm, sec(0.5).v = params["c_m"], v0[i]
        cells.append(cell := getattr(h, mechanism)(sec(0.5)))
        for name, value in params.items():
            setattr(cell, name, value)
        keep.append(out := h.NetCon(cell, None))
        out.record(tvec, idvec, i)
    projs, inputs = shared_arrays(model, inputs=key == "cuba")
    # mnsim_IF_curr_delta emits its spikes check_delay steps late: shorten the delays as much
    lag = h.check_delay_mnsim_IF_curr_delta * sim.dt_ms if key == "brunel" else 0.0
    netcon = h.NetCon
    for pre_off, post_off, receptor, c in projs:
        ncs = [netcon(cells[a], cells[b], 0.0, d, w) for a, b, d, w in zip(
            (c.pre + pre_off).tolist(), (c.post + post_off).tolist(),
            (c.delay_ms - lag).tolist(), c.weight.tolist())]
        if receptor == "inhibitory":  # mnsim's weight vector: [1] is the receptor code
            for nc in ncs:
                nc.weight[1] = 1.0
        keep += ncs
    if key == "cuba":  # the kick: each train played by mnsim's VecStim (NEURON 9 has none)
        for first, trains, c in inputs:
            for j, (train, w, d) in enumerate(zip(trains, c.weight.tolist(),
                                                  c.delay_ms.tolist())):
                keep += [gen := h.mnsim_VecStim(), vec := h.Vector(train)]
                gen.play(vec)
                keep.append(netcon(gen, cells[first + j], 0.0, d, w))
    else:  # the drive: mnsim's Poisson generator (NEURON's NetStim is off the time grid)
        for i, cell in enumerate(cells):
            keep.append(gen := h.mnsim_Poisson())
            gen.rate, gen.start, gen.stop = 20000.0, 0.0, 1e9
            gen.ranvar.set_ids(sim.seed % 2**32, 0, i)
            keep.append(netcon(gen, cell, 0.0, 1.5, 0.1))
    pc = h.ParallelContext()
    pc.set_maxstep(10)
    t1 = time.perf_counter()
    h.finitialize()  # keeps the v set per section
    pc.psolve(sim.duration_ms + sim.dt_ms)  # one step more, as mnsim: a spike in the last
    stamps = np.round(tvec.as_numpy() / sim.dt_ms)  # step is delivered at the start of the
    spikes = count(idvec.as_numpy()[stamps * sim.dt_ms <= sim.duration_ms + 1e-9].astype(int),
                   model)  # next one; stamps on the grid
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, spikes)


def neuron_reset() -> None:
    """Drop mnsim's last NEURON model (kept until its next build; not timed) and check that no
    section survives, or a run would simulate another's cells too."""
    from neuron import h

    from mnsim.backends.neuron import backend

    while getattr(backend, "_ACTIVE", None):
        backend._ACTIVE.pop().clear()
    gc.collect()
    if any(True for _ in h.allsec()):
        raise RuntimeError("NEURON sections left over from a previous run")


NATIVE = {"nest": nest_native, "brian2": brian2_native, "neuron": neuron_native}


# -- the worker: one backend, one model ------------------------------------------------------
def mnsim_path(model: Any, backend: str, threads: int) -> Timing:
    import mnsim
    from mnsim.results import spiketrains

    t0 = time.perf_counter()
    block = mnsim.run(model, backend, threads=threads)
    total = time.perf_counter() - t0
    spikes = {pop: sum(len(st) for st in spiketrains(block, pop)) for pop in model.record}
    ann = block.annotations
    return Timing(ann["build_time_s"], ann["run_time_s"], total, spikes)


def run_worker(backend: str, key: str, repeats: int, quick: bool,
               threads: int) -> dict[str, Any]:
    """Warm up, then alternate mnsim and native runs of one model; return the timings."""
    import neo  # noqa: F401 (imported before any timing, as the simulator)

    __import__(backend)
    if backend == "neuron":
        from mnsim.backends.neuron.mechanisms import ensure_loaded

        ensure_loaded()
    model = load_model(key, QUICK_MS if quick else None)
    res: dict[str, Any] = {"mnsim": [], "native": [], "errors": {}, "neuron_ms": sum(
        p.size for p in model.populations.values()) * model.simulation.duration_ms}

    def one(path: str, m: Any, timed: bool = True) -> None:
        if path in res["errors"]:
            return
        gc.collect()
        try:
            if backend == "neuron":
                neuron_reset()
            timing = (mnsim_path(m, backend, threads) if path == "mnsim"
                      else NATIVE[backend](m, key, threads))
        except Exception as exc:  # reported; that path is skipped from then on
            res["errors"][path] = f"{type(exc).__name__}: {exc}".strip()[:400]
            return
        if timed:
            res[path].append(asdict(timing))

    warm = load_model(key, WARMUP_MS)
    one("mnsim", warm, timed=False)
    one("native", warm, timed=False)
    for rep in range(repeats):
        for path in (("mnsim", "native") if rep % 2 == 0 else ("native", "mnsim")):
            one(path, model)
    got = {p: sum(res[p][0]["spikes"].values()) if res[p] else res["errors"].get(p)
           for p in ("mnsim", "native")}
    print(f"  {backend:6s} {key:6s} spikes mnsim: {got['mnsim']}; native: {got['native']}",
          flush=True)
    return res


# -- Neo, the report -------------------------------------------------------------------------
def neo_benchmark(repeats: int = 7) -> list[float]:
    """``to_block`` on fake RawResults: 100,000 spikes in the 4,000 trains of cuba."""
    from mnsim.backends.base import RawResults
    from mnsim.results import to_block

    model, gen = load_model("cuba"), np.random.default_rng(1)
    raw = RawResults(spikes={name: [np.sort(np.round(gen.uniform(0.0, 1000.0, 25), 1))
                                    for _ in range(pop.size)]
                             for name, pop in model.populations.items()},
                     signals=[], integration="fake")
    times = []
    for _ in range(repeats + 1):  # the first one imports Neo
        gc.collect()
        t0 = time.perf_counter()
        to_block(raw, model, backend="-", backend_version="-", build_time_s=0, run_time_s=0)
        times.append(time.perf_counter() - t0)
    return times[1:]


def _cols(mn: list[float], na: list[float]) -> list[str]:
    """Median of each path in ms, ratio of the medians (min-max of the per-repetition ones)."""
    ms = ["-" if not v else f"{statistics.median(v) * 1000:.{0 if max(v) > 0.1 else 1}f}"
          for v in (mn, na)]
    if not mn or not na:
        return ms + ["-"]
    k = min(len(mn), len(na))  # paired repetitions (a path may fail after a few)
    per = [a / b for a, b in zip(mn, na)]
    med = statistics.median(mn[:k]) / statistics.median(na[:k])
    return ms + [f"{med:.2f} ({min(per):.2f}-{max(per):.2f})"]


def report(results: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """The Markdown table, and the problems found (failed paths, spike totals apart)."""
    head = ("| model | backend | spikes mnsim / native, rate | build mnsim | build native | "
            "ratio | run mnsim | run native | ratio | total mnsim | total native | ratio |")
    lines, problems = [head, "|" + "---|" * 12], []
    for key, backend in ((k, b) for k in MODELS for b in results if k in results[b]):
        r = results[backend][key]
        problems += [f"{key} on {backend}: {p} failed: {e}" for p, e in r["errors"].items()]
        tot = [statistics.median(sum(t["spikes"].values()) for t in r[p]) if r[p] else None
               for p in ("mnsim", "native")]
        spikes = " / ".join("failed" if v is None else f"{v:.0f}" for v in tot)
        if None not in tot:
            diff = (tot[0] - tot[1]) / max(tot[1], 1)
            bad = abs(diff) > SPIKE_TOLERANCE
            spikes += f" ({diff:+.1%}{' !!' if bad else ''})"
            problems += [f"{key} on {backend}: spike totals differ by {diff:+.1%}"] if bad else []
        rates = [v * 1000 / r["neuron_ms"] for v in tot if v is not None]
        spikes += f", {rates[0]:.1f} Hz" if rates else ""
        cells = [c for k in ("build_s", "run_s", "total_s")
                 for c in _cols(*([t[k] for t in r[p]] for p in ("mnsim", "native")))]
        lines.append(f"| {key} | {backend} | {spikes} | " + " | ".join(cells) + " |")
    return "\n".join(lines), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated backends (default: %(default)s)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated models (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repetitions per path (default 3; 1 with --quick)")
    parser.add_argument("--threads", type=int, default=1,
                        help="NEST's local_num_threads and mnsim.run(threads=N) (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MS:g} ms runs, for a smoke test")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(keys) - set(MODELS) or set(backends) - set(BACKENDS) or args.repeats < 1:
        parser.error(f"models: {', '.join(MODELS)}; backends: {', '.join(BACKENDS)}; "
                     "repeats >= 1")
    os.environ.setdefault("PYNEST_QUIET", "1")
    if args.worker:  # one backend, one model
        args.worker_out.write_text(json.dumps(
            run_worker(args.worker, keys[0], args.repeats, args.quick, args.threads)))
        return 0

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load {load}; {args.repeats} repetitions, {args.threads} "
          f"thread(s){f'; --quick: {QUICK_MS:g} ms runs' if args.quick else ''}", flush=True)
    results: dict[str, Any] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:  # a process per backend and model
        for backend, key in ((b, k) for b in backends for k in keys):
            out = Path(tmp) / f"{backend}-{key}.json"
            cmd = [sys.executable, __file__, "--worker", backend, "--worker-out", str(out),
                   "--models", key, "--repeats", str(args.repeats),
                   "--threads", str(args.threads)] + (["--quick"] if args.quick else [])
            if subprocess.run(cmd, check=False).returncode != 0 or not out.is_file():
                problems.append(f"{key} on {backend}: the worker process crashed (see above)")
                continue
            results.setdefault(backend, {})[key] = json.loads(out.read_text())
    neo_s = neo_benchmark()
    table, found = report(results)
    problems += found
    print("\nMedians in ms; ratio = mnsim / native, median (min-max of the per-repetition "
          "ratios); spikes: totals of all neurons, mnsim / native (difference), mean rate.\n")
    print(table)
    neo_med = statistics.median(neo_s)
    print(f"\nNeo: to_block of 100,000 spikes in 4,000 trains: {neo_med * 1000:.1f} ms median "
          f"({min(neo_s) * 1000:.1f}-{max(neo_s) * 1000:.1f}), target < "
          f"{NEO_TARGET_S * 1000:.0f} ms: {'ok' if neo_med < NEO_TARGET_S else 'MISSED'}")
    if neo_med >= NEO_TARGET_S:
        problems.append(f"Neo conversion takes {neo_med * 1000:.1f} ms (target < 50 ms)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
