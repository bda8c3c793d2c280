"""mnsim's overhead against hand-written simulator code, for the shipped point-neuron models.

Each case is run on each backend two ways, alternately, in one process per backend:

* **mnsim**: ``mnsim.run(model, backend)``. Build and run times are the Block's
  ``build_time_s`` and ``run_time_s`` annotations (the run includes collecting the recordings
  into arrays); the total is the wall time of the whole call, which adds the model check, the
  raw-results check and the conversion to Neo.
* **native**: the same model written by hand in the simulator's own API, as a competent user
  would; build is reset + creating the network, run is simulating + collecting spike trains
  (one array per neuron) and sampled ``v`` into numpy arrays, so both paths do the same work.

Native versions:

* NEURON: one section per cell, ``IClamp``, ``NetCon.record``, ``Vector.record``,
  ``ParallelContext.psolve`` (the fastest fixed-step loop; ``h.continuerun`` steps in hoc and
  costs about 1.3 us more per step). ``hh`` with its rate tables off and ``secondorder = 2``,
  as mnsim runs it, so the numerics are the same. NEURON has no built-in equivalent of PyNN's
  ``IF_curr_exp`` (``IntFire1`` has no synaptic current and no refractory clamp), so the LIF
  cells are mnsim's compiled ``mnsim_IF_curr_exp`` point process driven by hand-written NEURON
  code: what is measured there is mnsim's Python layer, not its mechanism.
* Brian2: a ``NeuronGroup`` with the same equations (shared parameters as namespace constants,
  amplitudes per neuron), ``SpikeMonitor``, ``StateMonitor``, Cython target, one ``Network``
  per run. The HH membrane uses mnsim's exponential-midpoint state updater (Brian2 has no
  second-order exponential integrator), so both paths integrate the same way.
* NEST: ``hh_psc_alpha`` / ``iaf_psc_exp``, ``step_current_generator`` (amplitude times one
  connection delay early, so the current acts from the step it should) or ``I_e`` for a current
  on for the whole run, ``spike_recorder``, ``multimeter``.

After a warm-up run of both paths (Brian2 compiles or loads its Cython code, NEURON loads the
mechanisms, Neo is imported), each repetition runs mnsim and native in alternating order, with
a garbage collection before each. Spike counts of both paths are printed and must agree.

Run::

    PYNEST_QUIET=1 .venv/bin/python scripts/bench_point_neurons.py
    .venv/bin/python scripts/bench_point_neurons.py --quick                # a short check
    .venv/bin/python scripts/bench_point_neurons.py --backends nest,brian2 --repeats 7 \\
        --json bench.json

Each backend runs in its own child process (``--worker``), so simulators never share one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BACKENDS = ("neuron", "brian2", "nest")
GENERATOR_DELAY_MS = 1.0  # NEST connection delay of the hand-written current generators


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One benchmark model, with what the hand-written versions need to know about it.

    Cell parameters are written out literally in the native builders (as a user would), equal
    to those of the shipped ``hh_squid.yaml`` and ``lif_fi.yaml``; the spike-count check
    catches any difference.
    """

    name: str
    model: str  # shipped model name
    cell: str  # "hh" or "lif"
    amplitudes: tuple[float, ...]  # one per neuron: uA/cm2 (hh) or nA (lif)
    start_ms: float
    stop_ms: float
    duration_ms: float
    dt_ms: float
    record_v: bool  # v of every neuron sampled every step, besides spikes
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.amplitudes)

    @property
    def n_steps(self) -> int:
        return round(self.duration_ms / self.dt_ms)


def make_cases(lif_size: int, hh_size: int) -> list[Case]:
    """``hh_squid`` and ``lif_fi`` as shipped, and both scaled up with spikes recorded only."""
    lif_amps = tuple(np.round(np.linspace(0.3, 1.0, lif_size), 6))
    hh_amps = tuple(np.round(np.linspace(6.5, 20.0, hh_size), 6))
    return [
        Case("hh_squid", "hh_squid", "hh", (10.0,), 10.0, 110.0, 120.0, 0.01, True),
        Case("lif_fi", "lif_fi", "lif", (0.3, 0.5, 1.0), 0.0, 1000.0, 1000.0, 0.01, True),
        Case(f"lif_fi x{lif_size}", "lif_fi", "lif", lif_amps, 0.0, 1000.0, 1000.0, 0.01,
             False, overrides={
                 "populations.cells.size": lif_size,
                 "stimuli.drive.amplitude": [f"{a:g} nA" for a in lif_amps],
                 "record.cells": ["spikes"], "expect": []}),
        Case(f"hh_squid x{hh_size}", "hh_squid", "hh", hh_amps, 10.0, 110.0, 120.0, 0.01,
             False, overrides={
                 "populations.membrane.size": hh_size,
                 "stimuli.step.amplitude": [f"{a:g} uA/cm2" for a in hh_amps],
                 "record.membrane": ["spikes"], "expect": []}),
    ]


# -- results both paths return ------------------------------------------------------------------
@dataclass
class Timing:
    build_s: float
    run_s: float
    total_s: float
    counts: list[int]  # spikes per neuron


def split_trains(senders: np.ndarray, times: np.ndarray, n: int) -> list[np.ndarray]:
    """Spike times per neuron (``senders`` are 0-based neuron indices), each sorted."""
    order = np.lexsort((times, senders))
    senders, times = senders[order], times[order]
    return np.split(times, np.searchsorted(senders, np.arange(1, n)))


# -- NEURON ------------------------------------------------------------------------------------
HH_AREA_UM2 = 1000.0  # hh_squid's membrane area
LIF_AREA_UM2 = 1e5  # 1e-3 cm2: the section's cm in uF/cm2 is then its capacitance in nF


def neuron_native(case: Case) -> Timing:
    """Hand-written NEURON code; every object is dropped on return."""
    from neuron import h

    t0 = time.perf_counter()
    h.CVode().active(0)
    h.dt = case.dt_ms
    h.secondorder = 2
    h.celsius = 6.3
    h.usetable_hh = 0
    secs, objects, spike_vecs, v_vecs = [], [], [], []
    for amp in case.amplitudes:
        sec = h.Section()
        if case.cell == "hh":
            sec.L = sec.diam = np.sqrt(HH_AREA_UM2 / np.pi)
            sec.insert("hh")  # NEURON's defaults are the squid membrane's parameters
            sec(0.5).el_hh = -54.3
            clamp_nA = amp * HH_AREA_UM2 * 1e-5  # uA/cm2 * um2 -> nA
            nc = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
            nc.threshold = 0.0
        else:
            sec.L = sec.diam = np.sqrt(LIF_AREA_UM2 / np.pi)
            sec.cm = 0.25
            cell = h.mnsim_IF_curr_exp(sec(0.5))
            cell.c_m, cell.tau_m, cell.tau_refrac = 0.25, 20.0, 2.0
            cell.v_rest = cell.v_reset = -70.0
            cell.v_thresh = -50.0
            cell.tau_syn_E = cell.tau_syn_I = 5.0
            objects.append(cell)
            clamp_nA = amp
            nc = h.NetCon(cell, None)
        stim = h.IClamp(sec(0.5))
        stim.delay, stim.dur, stim.amp = case.start_ms, case.stop_ms - case.start_ms, clamp_nA
        spikes = h.Vector()
        nc.record(spikes)
        if case.record_v:
            v_vecs.append(h.Vector().record(sec(0.5)._ref_v))
        secs.append(sec)
        objects += [stim, nc]
        spike_vecs.append(spikes)
    pc = h.ParallelContext()
    pc.set_maxstep(10)
    t1 = time.perf_counter()
    h.finitialize(-65.0 if case.cell == "hh" else -70.0)
    # one step more: a threshold crossed in the last step is delivered (stamped with the
    # duration) at the start of the next one; mnsim does the same
    pc.psolve(case.duration_ms + case.dt_ms)
    trains = [times[times <= case.duration_ms + 1e-9]
              for times in (np.array(vec.as_numpy()) for vec in spike_vecs)]
    if v_vecs:
        v = np.column_stack([vec.as_numpy()[:case.n_steps] for vec in v_vecs])
        assert v.shape == (case.n_steps, case.size)
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, [t.size for t in trains])


def neuron_sections() -> int:
    """Sections alive in NEURON: 0 between runs, or a run would simulate another's cells."""
    from neuron import h

    return sum(1 for _ in h.allsec())


def neuron_setup() -> None:
    from mnsim.backends.neuron.mechanisms import ensure_loaded

    ensure_loaded()  # mnsim_IF_curr_exp for the native LIF cells


def neuron_drop_mnsim() -> None:
    """mnsim keeps its last NEURON model alive until the next build; drop it now so the native
    run does not simulate it too (not timed: the next mnsim build would do it itself)."""
    from mnsim.backends.neuron.backend import _ACTIVE

    while _ACTIVE:
        _ACTIVE.pop().clear()


# -- Brian2 ------------------------------------------------------------------------------------
BRIAN2_HH = """
dv/dt = (gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) + gL*(EL - v) + I_stim/area)/Cm : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
alpha_m = 1/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
I_stim = I_amp*int(t_in_timesteps >= on_step and t_in_timesteps < off_step) : amp
I_amp : amp (constant)
"""
BRIAN2_LIF = """
dv/dt = (v_rest - v)/tau_m + (i_exc + i_inh + I_stim)/c_m : volt (unless refractory)
di_exc/dt = -i_exc/tau_syn_E : amp
di_inh/dt = -i_inh/tau_syn_I : amp
I_stim = I_amp*int(t_in_timesteps >= on_step and t_in_timesteps < off_step) : amp
I_amp : amp (constant)
"""


def brian2_native(case: Case) -> Timing:
    """Hand-written Brian2 code in a fresh scope and ``Network``."""
    import brian2 as b2
    from brian2 import ms, mV, nA, nF, umetre

    t0 = time.perf_counter()
    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = case.dt_ms * ms
    steps = {"on_step": round(case.start_ms / case.dt_ms),
             "off_step": round(case.stop_ms / case.dt_ms)}
    if case.cell == "hh":
        from mnsim.backends.brian2.integrator import exponential_midpoint

        area = HH_AREA_UM2 * umetre**2
        ns = {"area": area, "Cm": 1 * b2.ufarad / b2.cm**2,
              "gNa": 0.12 * b2.siemens / b2.cm**2, "gK": 0.036 * b2.siemens / b2.cm**2,
              "gL": 0.0003 * b2.siemens / b2.cm**2, "ENa": 50 * mV, "EK": -77 * mV,
              "EL": -54.3 * mV, **steps}
        group = b2.NeuronGroup(case.size, BRIAN2_HH, threshold="v > 0*mV",
                               refractory="v > 0*mV", method=exponential_midpoint,
                               namespace=ns, name="native_hh")
        group.v = -65 * mV
        group.m = "alpha_m/(alpha_m + beta_m)"
        group.h = "alpha_h/(alpha_h + beta_h)"
        group.n = "alpha_n/(alpha_n + beta_n)"
        group.I_amp = np.asarray(case.amplitudes) * 1e-2 * b2.amp / b2.metre**2 * area
    else:
        ns = {"c_m": 0.25 * nF, "tau_m": 20 * ms, "v_rest": -70 * mV, "v_reset": -70 * mV,
              "v_thresh": -50 * mV, "tau_syn_E": 5 * ms, "tau_syn_I": 5 * ms, **steps}
        # Brian2 stamps a spike with the start of its step: one more step of refractoriness
        # holds v until 2 ms after the end of that step, as NEST and NEURON do.
        group = b2.NeuronGroup(case.size, BRIAN2_LIF, threshold="v >= v_thresh",
                               reset="v = v_reset", refractory=2 * ms + b2.defaultclock.dt,
                               method="exact", namespace=ns, name="native_lif")
        group.v = -70 * mV
        group.I_amp = np.asarray(case.amplitudes) * nA
    spikes = b2.SpikeMonitor(group, name="native_spikes")
    objects = [group, spikes]
    if case.record_v:
        state = b2.StateMonitor(group, "v", record=True, name="native_state")
        objects.append(state)
    net = b2.Network(*objects)
    t1 = time.perf_counter()
    net.run(case.duration_ms * ms, namespace={})
    trains = split_trains(np.asarray(spikes.i[:]), np.asarray(spikes.t_[:]), case.size)
    if case.record_v:
        v = np.asarray(state.v_).T
        assert v.shape == (case.n_steps, case.size)
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, [t.size for t in trains])


# -- NEST --------------------------------------------------------------------------------------
def nest_native(case: Case) -> Timing:
    """Hand-written PyNEST code after ``ResetKernel``."""
    import nest

    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": case.dt_ms, "print_time": False})
    amps = np.asarray(case.amplitudes)
    if case.cell == "hh":
        # densities times 1000 um2: 1 uF/cm2 -> 10 pF, 1 S/cm2 -> 10000 nS, 1 uA/cm2 -> 10 pA
        cells = nest.Create("hh_psc_alpha", case.size, params={
            "C_m": 10.0, "g_Na": 1200.0, "g_K": 360.0, "g_L": 3.0, "E_Na": 50.0,
            "E_K": -77.0, "E_L": -54.3, "V_m": -65.0})  # gates start at steady state
        gens = nest.Create("step_current_generator", case.size)
        # a generator's current reaches the neuron one connection delay late
        times = [case.start_ms - GENERATOR_DELAY_MS, case.stop_ms - GENERATOR_DELAY_MS]
        gens.set([{"amplitude_times": times, "amplitude_values": [a * 10.0, 0.0]}
                  for a in amps])
        nest.Connect(gens, cells, "one_to_one", syn_spec={"delay": GENERATOR_DELAY_MS})
    else:
        cells = nest.Create("iaf_psc_exp", case.size, params={
            "C_m": 250.0, "tau_m": 20.0, "E_L": -70.0, "V_reset": -70.0, "V_th": -50.0,
            "t_ref": 2.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0, "V_m": -70.0})
        cells.I_e = (amps * 1000.0).tolist()  # on for the whole run
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)
    if case.record_v:
        meter = nest.Create("multimeter", params={"interval": case.dt_ms,
                                                  "record_from": ["V_m"]})
        nest.Connect(meter, cells)
    t1 = time.perf_counter()
    nest.Simulate(case.duration_ms)
    events = recorder.get("events")
    first = cells[0].global_id
    trains = split_trains(np.asarray(events["senders"]) - first, np.asarray(events["times"]),
                          case.size)
    if case.record_v:
        ev = meter.get("events")  # sample k * dt (k >= 1), grouped by neuron within a slice
        v = np.full((case.n_steps, case.size), np.nan)
        v[np.rint(ev["times"] / case.dt_ms).astype(int) - 1, ev["senders"] - first] = ev["V_m"]
    t2 = time.perf_counter()
    return Timing(t1 - t0, t2 - t1, t2 - t0, [t.size for t in trains])


NATIVE: dict[str, Callable[[Case], Timing]] = {
    "neuron": neuron_native, "brian2": brian2_native, "nest": nest_native}


# -- the worker: one backend, every case ----------------------------------------------------------
def mnsim_path(model: Any, backend: str) -> Timing:
    import mnsim
    from mnsim.results import spiketrains

    t0 = time.perf_counter()
    block = mnsim.run(model, backend)
    total = time.perf_counter() - t0
    pop = next(iter(model.populations))
    counts = [len(st) for st in spiketrains(block, pop)]
    ann = block.annotations
    return Timing(ann["build_time_s"], ann["run_time_s"], total, counts)


def run_worker(backend: str, cases: list[Case], repeats: int) -> dict[str, Any]:
    """Warm up, then alternate mnsim and native runs of every case; return the timings."""
    import mnsim

    neuron = backend == "neuron"
    if neuron:
        neuron_setup()
    native = NATIVE[backend]
    out: dict[str, Any] = {}
    for case in cases:
        t0 = time.perf_counter()
        model = mnsim.load(case.model, set=case.overrides or None)
        load_s = time.perf_counter() - t0

        def one(path: str, model: Any = model, case: Case = case) -> Timing:
            gc.collect()
            if neuron and neuron_sections():
                raise RuntimeError("NEURON sections left over from a previous run")
            timing = mnsim_path(model, backend) if path == "mnsim" else native(case)
            if neuron:
                neuron_drop_mnsim()
            return timing

        warm = {path: one(path) for path in ("mnsim", "native")}
        runs: dict[str, list[Timing]] = {"mnsim": [], "native": []}
        for rep in range(repeats):
            for path in (("mnsim", "native") if rep % 2 == 0 else ("native", "mnsim")):
                runs[path].append(one(path))
        counts = {path: warm[path].counts for path in warm}
        differing = sum(a != b for a, b in zip(counts["mnsim"], counts["native"]))
        print(f"  {backend:6s} {case.name:16s} spikes mnsim {sum(counts['mnsim']):7d}  "
              f"native {sum(counts['native']):7d}  neurons with different counts: "
              f"{differing}/{case.size}  (warm-up total: mnsim {warm['mnsim'].total_s:.2f} s, "
              f"native {warm['native'].total_s:.2f} s; mnsim.load {load_s * 1000:.0f} ms)",
              flush=True)
        consistent = all(r.counts == counts[p] for p in runs for r in runs[p])
        out[case.name] = {
            "load_s": load_s, "spikes_mnsim": sum(counts["mnsim"]),
            "spikes_native": sum(counts["native"]), "neurons_differing": differing,
            "counts_repeatable": consistent,
            "warmup": {p: asdict(t) | {"counts": None} for p, t in warm.items()},
            "runs": {p: [asdict(t) | {"counts": None} for t in ts] for p, ts in runs.items()},
        }
    return out


# -- the report ---------------------------------------------------------------------------------
def _ratio(mn: list[float], na: list[float]) -> str:
    per_rep = [a / b for a, b in zip(mn, na)]
    med = statistics.median(mn) / statistics.median(na)
    return f"{med:.2f} ({min(per_rep):.2f}-{max(per_rep):.2f})"


def _ms(values: list[float]) -> str:
    med = statistics.median(values) * 1000
    return f"{med:.1f}" if med < 100 else f"{med:.0f}"


def _span(values: list[float]) -> str:
    return f"{min(values) * 1000:.1f}-{max(values) * 1000:.1f}"


def report(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables: medians and ratios, then each path's min-max."""
    head = ("| case | backend | spikes mnsim / native | build mnsim | build native | ratio "
            "| run mnsim | run native | ratio | total mnsim | total native | ratio "
            "| mnsim other |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    detail = ["| case | backend | path | build (ms) | run (ms) | total (ms) |",
              "|---|---|---|---|---|---|"]
    cases = list(dict.fromkeys(c for res in results.values() for c in res))
    for case in cases:
        for backend, res in results.items():
            if case not in res:
                continue
            r = res[case]
            cols = {p: {k: [t[k] for t in r["runs"][p]] for k in ("build_s", "run_s", "total_s")}
                    for p in ("mnsim", "native")}
            m, n = cols["mnsim"], cols["native"]
            other = [t - b - u for t, b, u in zip(m["total_s"], m["build_s"], m["run_s"])]
            spikes = f"{r['spikes_mnsim']} / {r['spikes_native']}"
            if r["neurons_differing"]:
                spikes += f" ({r['neurons_differing']} differ)"
            lines.append(
                f"| {case} | {backend} | {spikes} "
                f"| {_ms(m['build_s'])} | {_ms(n['build_s'])} "
                f"| {_ratio(m['build_s'], n['build_s'])} "
                f"| {_ms(m['run_s'])} | {_ms(n['run_s'])} | {_ratio(m['run_s'], n['run_s'])} "
                f"| {_ms(m['total_s'])} | {_ms(n['total_s'])} "
                f"| {_ratio(m['total_s'], n['total_s'])} | {_ms(other)} |")
            for p in ("mnsim", "native"):
                detail.append(f"| {case} | {backend} | {p} | {_span(cols[p]['build_s'])} "
                              f"| {_span(cols[p]['run_s'])} | {_span(cols[p]['total_s'])} |")
    return "\n".join(lines + ["", "Spread of each path (min-max over the repetitions):", ""]
                     + detail)


def environment() -> dict[str, str]:
    """CPU, cores, load, Python and package versions (read without importing simulators)."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    env = {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
           "platform": platform.platform()}
    if hasattr(os, "getloadavg"):
        env["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for dist in ("mnsim", "neuron", "brian2", "nest-simulator", "neo", "numpy", "Cython"):
        try:
            env[dist] = version(dist)
        except PackageNotFoundError:
            env[dist] = "not installed"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated backends (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repetitions per path (default 5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="a short check: 2 repetitions, small scaled variants")
    parser.add_argument("--lif-size", type=int, default=None,
                        help="neurons of the scaled lif_fi (default 1000; 100 with --quick)")
    parser.add_argument("--hh-size", type=int, default=None,
                        help="membranes of the scaled hh_squid (default 100; 10 with --quick)")
    parser.add_argument("--json", type=Path, help="also write every timing to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    lif_size = args.lif_size or (100 if args.quick else 1000)
    hh_size = args.hh_size or (10 if args.quick else 100)
    cases = make_cases(lif_size, hh_size)
    os.environ.setdefault("PYNEST_QUIET", "1")

    if args.worker:
        results = run_worker(args.worker, cases, repeats)
        args.worker_out.write_text(json.dumps(results))
        return 0

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(unknown)}")
    env = environment()
    print(f"{env['cpu']}, {env['cores']} cores, load {env.get('loadavg', '?')}; Python "
          f"{env['python']}; NEURON {env['neuron']}, Brian2 {env['brian2']}, NEST "
          f"{env['nest-simulator']}, Neo {env['neo']}; {repeats} repetitions", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            out = Path(tmp) / f"{backend}.json"
            cmd = [sys.executable, __file__, "--worker", backend, "--worker-out", str(out),
                   "--repeats", str(repeats), "--lif-size", str(lif_size),
                   "--hh-size", str(hh_size)]
            proc = subprocess.run(cmd, check=False)
            if proc.returncode != 0:
                print(f"{backend}: worker failed (exit code {proc.returncode})", file=sys.stderr)
                return 1
            results[backend] = json.loads(out.read_text())
    env["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print("Medians in ms; ratio = mnsim / native, median (min-max of the per-repetition "
          "ratios); 'mnsim other' = total - build - run (model check, results check, Neo).")
    print()
    print(report(results))
    print(f"\nload average at the end: {env['loadavg_end']}")
    mismatched = [(b, c) for b, res in results.items() for c, r in res.items()
                  if r["spikes_mnsim"] != r["spikes_native"] or r["neurons_differing"]
                  or not r["counts_repeatable"]]
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "repeats": repeats,
                                         "results": results}, indent=1))
    if mismatched:
        print(f"spike counts differ between mnsim and native: {mismatched}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
