"""Ion-channel benchmark (issue 5): cells whose channels mnsim generates from YAML, run through
mnsim on NEURON against the same cells written by hand in NEURON, run time only.

Three paths per case, each run in a fresh Python process (NEURON cannot unload mechanisms):

* ``mnsim``: ``mnsim.run(model, "neuron")`` on the shipped model; *run* is the Block's
  ``run_time_s`` (``finitialize`` + ``psolve`` + collecting the recordings into arrays), *CPU*
  the process CPU time of the same call (``NeuronBackend._simulate``, timed from outside).
* ``native``: hand-written NEURON with the ORIGINAL ``.mod`` files of ``tests/data/mod``
  (ModelDB 139653), built by the reference scripts' own code; *run* = ``finitialize`` +
  ``ParallelContext.psolve`` to the same end (the duration plus one step, as mnsim) + the
  recordings into numpy arrays.
* ``generated``: the same hand-written cell and run with the mechanisms compiled from mnsim's
  GENERATED NMODL (``mnsim.channels.nmodl.to_nmodl(mnsim.channels.library.get(name))``, the
  text mnsim's own library compiles) instead of the originals; the parameters renamed
  (``g<SUFFIX>bar`` -> ``gbar``). ``generated / native`` isolates the generated code,
  ``mnsim / generated`` the rest of mnsim.
* diagnostics (``--paths``, not run by default): ``generated_nosi``, the same generated NMODL
  compiled with ``nrnivmodl -incflags -fno-semantic-interposition`` (the C++ compiler may then
  inline the ``mnsim_vtrap``/``mnsim_exprelr`` FUNCTIONs, which ``-fPIC`` alone forbids);
  ``generated_inline``, the generated NMODL with those calls written out in ``PROCEDURE rates``
  as LOCAL temporaries and an ``if`` (:func:`inline_traps`, a prototype of a fix: the same
  operations, no FUNCTION calls); ``native_sampled``, ``native`` with v recorded the way
  mnsim records it (``Vector.record(ref, times)`` at k dt + 1e-4 dt: one event per sample).

Cases:

* ``l5``: the Hay et al. (2011) L5 pyramidal cell, ``l5_pyramidal`` (default BAC protocol: a
  1.9 nA somatic pulse 295-300 ms and an Exp2Syn 0.02 uS 620 um up the apical trunk at
  300.025 ms), 400 ms at dt 0.025 ms, Crank-Nicolson, 34 degC, 979 segments; native:
  ``tests/models/native_l5pc.py``'s ``Cell`` (stub axon, cylinder soma, d_lambda 0.1) with
  the same stimuli and recordings (v at the soma and 200/400/600/620/800 um up the trunk,
  spikes at the soma).
* ``zoo``: ``channel_zoo``, one compartment with the twelve Blue Brain mechanisms, 2800 ms at
  dt 0.025 ms, backward Euler, 30 degC, a 0.3 nA and a 1 nA step; native: the cell of
  ``tests/models/native_course_cells.py``'s ``channel_zoo`` (its constants), v and spikes at
  the soma.

A warm-up process of every path first (compiles what is not cached: the original and the
generated libraries, mnsim's library); then ``--repeats`` rounds, each one process per path,
the order of the paths rotating from round to round. Each process builds and runs ``--inner``
times (default 2: the first run warms the process; the last one is reported). Medians with
min-max; ratios are ratios of medians, in brackets the smallest and largest ratio within a
round. The paths must give the same spike count and v within ``--v-tolerance`` mV of the
native run (exit code 1 if not).

    ./dev python scripts/bench_channels.py                     # both cases, 5 rounds, ~4 min
    ./dev python scripts/bench_channels.py --cases zoo --repeats 9
    ./dev python scripts/bench_channels.py --repeats 9 --json bench_channels.json \
        --paths native,generated,mnsim,generated_nosi,generated_inline,native_sampled  # ~12 min
"""

from __future__ import annotations

import argparse
import gc
import hashlib
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
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("native", "generated", "mnsim")
CASES = ("l5", "zoo")
BBP = ("CaDynamics_E2", "Ca_HVA", "Ca_LVAst", "Ih", "Im", "K_Pst", "K_Tst", "NaTa_t", "NaTs2_t",
       "Nap_Et2", "SK_E2", "SKv3_1")
L5_TRUNK_UM = (200.0, 400.0, 600.0, 620.0, 800.0)  # the model's recording sites
SUBSAMPLE = 4  # v returned to the parent every 4 steps (0.1 ms)


# -- the generated mechanisms -------------------------------------------------------------------
# variant -> (how the NMODL text is made, extra compile flags for nrnivmodl -incflags)
VARIANTS = {"generated": ("to_nmodl", ""),
            "generated_nosi": ("to_nmodl", "-fno-semantic-interposition"),
            "generated_inline": ("inline", "")}


def inline_traps(mech) -> str:
    """``to_nmodl(mech)`` with every ``mnsim_vtrap``/``mnsim_exprelr`` call written out in
    PROCEDURE rates as LOCAL temporaries and an ``if`` (the same operations in the same order,
    so the same numbers; no FUNCTION calls). A prototype of a fix, for this benchmark only."""
    import re

    from mnsim.channels import expr_tree
    from mnsim.channels.nmodl import to_nmodl

    temps: list[list[str]] = []  # statements that compute mnsim_t<k>
    original = expr_tree._nmodl_call

    def call(func: str, args: list[str]) -> str:
        if func not in ("exprelr", "vtrap"):
            return original(func, args)
        t = f"mnsim_t{len(temps)}"
        x = args[0] if func == "exprelr" else f"({args[0]})/({args[1]})"
        stmts = [f"{t} = {x}", f"if (fabs({t}) < {expr_tree.EXPRELR_SMALL!r}) {{",
                 f"    {t} = 1 - {t}/2", "} else {", f"    {t} = {t}/(exp({t}) - 1)", "}"]
        if func == "vtrap":
            stmts.append(f"{t} = ({args[1]})*{t}")
        temps.append(stmts)
        return t

    expr_tree._nmodl_call = call
    try:
        text = to_nmodl(mech)
    finally:
        expr_tree._nmodl_call = original
    used = re.compile(r"\bmnsim_t(\d+)\b")
    head, rest = text.split("PROCEDURE rates(v (mV)) {\n", 1) if temps else (text, "")
    if not rest:
        return text
    body, tail = rest.split("\n}\n", 1)
    out, names = [], []

    def emit(k: int) -> None:
        for j in sorted({int(m) for line in temps[k] for m in used.findall(line)} - {k}):
            emit(j)
        if f"mnsim_t{k}" not in names:
            names.append(f"mnsim_t{k}")
            out.extend(f"    {line}" for line in temps[k])

    for line in body.splitlines():
        if not line.strip().startswith("LOCAL"):
            for k in sorted(int(m) for m in used.findall(line)):
                emit(k)
        out.append(line)
    local = [i for i, line in enumerate(out) if line.strip().startswith("LOCAL")]
    if local:
        out[local[0]] += ", " + ", ".join(names)
    else:
        out.insert(0, "    LOCAL " + ", ".join(names))
    return head + "PROCEDURE rates(v (mV)) {\n" + "\n".join(out) + "\n}\n" + tail


def nmodl_text(name: str, variant: str) -> str:
    from mnsim.channels.library import get
    from mnsim.channels.nmodl import to_nmodl

    return (inline_traps if VARIANTS[variant][0] == "inline" else to_nmodl)(get(name))


def generated_library(variant: str = "generated") -> Path:
    """``libnrnmech.so`` of mnsim's generated NMODL of the twelve Blue Brain channels (as
    ``variant`` makes and compiles it), compiled once into
    ``<tmp>/mnsim-bench-channels/<sha256 of the texts, flags and NEURON's version>``."""
    import neuron

    from mnsim.backends.neuron.mechanisms import find_nrnivmodl

    flags = VARIANTS[variant][1]
    texts = {name: nmodl_text(name, variant) for name in BBP}
    digest = hashlib.sha256(f"{neuron.__version__} {platform.machine()} {flags}".encode())
    for name, text in texts.items():
        digest.update(name.encode() + text.encode())
    root = Path(tempfile.gettempdir()) / "mnsim-bench-channels"
    final = root / digest.hexdigest()[:16]
    if found := sorted(final.glob("*/libnrnmech.so")):
        return found[0]
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix="build-"))
    for name, text in texts.items():
        (work / f"{name}.mod").write_text(text)
    done = subprocess.run([find_nrnivmodl(), *(["-incflags", flags] if flags else []), "."],
                          cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nrnivmodl failed in {work}:\n{done.stdout}\n{done.stderr}")
    try:
        work.rename(final)
    except OSError:  # another process finished first
        shutil.rmtree(work, ignore_errors=True)
    return sorted(final.glob("*/libnrnmech.so"))[0]


def renamed(mech: str, name: str) -> str:
    """An original file's parameter name -> the generated mechanism's (``gNaTa_tbar`` ->
    ``gbar``; ``decay``, ``gamma``, ``g`` of pas ... unchanged)."""
    return "gbar" if name == f"g{mech}bar" else name


def load_generated(variant: str = "generated"):
    """NEURON's ``h`` with the generated mechanisms (loaded before any reference script's
    ``load_neuron``, which then finds ``NaTa_t`` defined and loads nothing)."""
    from neuron import h

    if not hasattr(h, "NaTa_t"):
        h.nrn_load_dll(str(generated_library(variant)))
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    return h


# -- hand-written cells -------------------------------------------------------------------------
def _native_l5pc():
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    import native_l5pc

    return native_l5pc


def l5_cell(generated: str | None):
    """native_l5pc's ``Cell``; with ``generated`` its parameter names mapped to the generated
    mechanisms' (the reference's own ``_biophysics`` on renamed tables, and its
    ``_distributions`` with the renamed attributes)."""
    nat = _native_l5pc()
    if not generated:
        nat.load_neuron()
        return nat.Cell()
    load_generated(generated)
    tables = ("SOMATIC", "APICAL", "BASAL", "AXONAL")

    class GeneratedCell(nat.Cell):
        def _biophysics(self) -> None:
            saved = {k: getattr(nat, k) for k in tables}
            try:
                for k in tables:
                    setattr(nat, k, {mech: {renamed(mech, n): v for n, v in params.items()}
                                     for mech, params in saved[k].items()})
                super()._biophysics()
            finally:
                for k, v in saved.items():
                    setattr(nat, k, v)

        def _distributions(self) -> None:  # native_l5pc.Cell._distributions, renamed
            dmax = self.longest_apical_um()
            lo, hi = nat.HOT_ZONE_UM
            for sec in self.apic:
                for seg in sec:
                    d = self.distance(seg)
                    seg.gbar_Ih = 0.0002 * (-0.8696 + 2.087 * np.exp(3.6161 * d / dmax))
                    inside = lo < d < hi
                    seg.gbar_Ca_LVAst = 0.0187 * (1.0 if inside else 0.01)
                    seg.gbar_Ca_HVA = 0.000555 * (1.0 if inside else 0.1)

    return GeneratedCell()


def l5_native_run(cell, sampled: bool = False) -> dict[str, Any]:
    """mnsim's default l5_pyramidal protocol written by hand on ``cell``."""
    nat = _native_l5pc()
    h = cell.h
    soma_sec = cell.soma[0]
    soma = soma_sec(0.5)
    pulse = h.IClamp(soma)
    pulse.delay, pulse.dur, pulse.amp = nat.PULSE_AT, nat.PULSE_MS, nat.PULSE_NA
    syn = h.Exp2Syn(cell.on_trunk(nat.EPSP_SITE_UM))
    syn.tau1, syn.tau2, syn.e = nat.EPSP_TAU0, nat.EPSP_TAU1, 0.0
    con = h.NetCon(None, syn)
    con.weight[0] = 0.02
    points = [soma] + [cell.on_trunk(d) for d in L5_TRUNK_UM]
    return _native_run(h, soma_sec, points, tstop=400.0, dt=0.025, secondorder=2,
                       celsius=nat.CELSIUS, v_init=nat.V_INIT,
                       events=[(con, nat.PULSE_AT + nat.BAC_DT + 0.025)],
                       keep=[pulse, syn, con], sampled=sampled)


def zoo_cell(generated: str | None):
    """native_course_cells.channel_zoo's cell (its constants; original or generated names)."""
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    import native_course_cells as ncc

    h = load_generated(generated) if generated else ncc.load_neuron()
    soma = h.Section(name="zoo_soma")
    soma.L = soma.diam = ncc.ZOO["L"]
    soma.insert("pas")
    soma.g_pas, soma.e_pas = ncc.ZOO["g_pas"], ncc.ZOO["e_pas"]
    for mech, params in ncc.ZOO_DENSITIES.items():
        soma.insert(mech)
        for name, value in params.items():
            setattr(soma, f"{renamed(mech, name) if generated else name}_{mech}", value)
    soma.ena, soma.ek = ncc.ZOO["ena"], ncc.ZOO["ek"]
    return h, soma


def zoo_native_run(h, soma, sampled: bool = False) -> dict[str, Any]:
    import native_course_cells as ncc

    clamps = [ncc.iclamp(h, soma(0.5), amp, start, ncc.ZOO_STEP_MS)
              for amp, start in ncc.ZOO_STEPS]
    return _native_run(h, soma, [soma(0.5)], tstop=ncc.ZOO_TSTOP, dt=ncc.DT, secondorder=0,
                       celsius=ncc.ZOO["celsius"], v_init=ncc.ZOO["v_init"], events=[],
                       keep=clamps, sampled=sampled)


def _native_run(h, soma_sec, points, *, tstop, dt, secondorder, celsius, v_init, events,
                keep, sampled=False) -> dict[str, Any]:
    """Fixed step, v at ``points`` every step, spikes at ``points[0]`` (threshold 0 mV);
    timed: finitialize + psolve(tstop + dt) + the recordings into numpy arrays. ``sampled``:
    v recorded as mnsim records it, ``Vector.record(ref, times)`` at k dt + 1e-4 dt (one
    event per sample) instead of every step."""
    if sampled:
        times = h.Vector(np.arange(round(tstop / dt)) * dt + 1e-4 * dt)
        rec = [h.Vector() for _ in points]
        for vec, seg in zip(rec, points):
            vec.record(seg._ref_v, times)
    else:
        rec = [h.Vector().record(seg._ref_v) for seg in points]
    spikes = h.Vector()
    detector = h.NetCon(points[0]._ref_v, None, sec=soma_sec)
    detector.threshold = 0.0
    detector.record(spikes)
    h.cvode_active(0)
    h.secondorder, h.celsius, h.dt = secondorder, celsius, dt
    pc = h.ParallelContext()
    pc.set_maxstep(10)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    h.finitialize(v_init)
    for nc, when in events:
        nc.event(when)
    pc.psolve(tstop + dt)
    v = [np.array(vec) for vec in rec]
    spike_ms = np.array(spikes)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    del keep, detector
    return {"run_s": wall, "cpu_s": cpu, "spikes_ms": spike_ms.tolist(),
            "v_soma": v[0][::SUBSAMPLE].tolist(), "v_last": v[-1][::SUBSAMPLE].tolist()}


# -- mnsim ----------------------------------------------------------------------------------------
def mnsim_run(model) -> dict[str, Any]:
    import mnsim
    from mnsim.backends.neuron.backend import NeuronBackend

    cpu: dict[str, float] = {}
    simulate = NeuronBackend._simulate

    def timed(self, m):  # the CPU time of exactly what run_time_s covers
        c0 = time.process_time()
        try:
            return simulate(self, m)
        finally:
            cpu["s"] = time.process_time() - c0

    NeuronBackend._simulate = timed
    try:
        gc.collect()
        block = mnsim.run(model, "neuron")
    finally:
        NeuronBackend._simulate = simulate
    seg = block.segments[0]
    v = seg.analogsignals[0].magnitude  # columns: the recorded locations, in the model's order
    return {"run_s": block.annotations["run_time_s"], "cpu_s": cpu["s"],
            "build_s": block.annotations["build_time_s"],
            "spikes_ms": [float(t) for st in seg.spiketrains for t in st.magnitude],
            "v_soma": v[::SUBSAMPLE, 0].tolist(), "v_last": v[::SUBSAMPLE, -1].tolist()}


# -- one process: build and run ``inner`` times --------------------------------------------------
def worker(case: str, path: str, inner: int) -> dict[str, Any]:
    runs = []
    if path == "mnsim":
        import mnsim

        name = "l5_pyramidal" if case == "l5" else "channel_zoo"
        model = mnsim.load(name)
        for _ in range(inner):
            runs.append(mnsim_run(model))
    else:
        generated = path if path in VARIANTS else None
        sampled = path == "native_sampled"
        for _ in range(inner):
            t0 = time.perf_counter()
            if case == "l5":
                cell = l5_cell(generated)
                built = time.perf_counter() - t0
                r = l5_native_run(cell, sampled)
            else:
                h, soma = zoo_cell(generated)
                built = time.perf_counter() - t0
                r = zoo_native_run(h, soma, sampled)
            r["build_s"] = built
            runs.append(r)
    from neuron import h

    secs = list(h.allsec())
    mechs = {m: sum(sec.nseg for sec in secs if sec.has_membrane(m)) for m in BBP + ("pas",)}
    out = runs[-1]
    out.update({"first_run_s": runs[0]["run_s"], "segments": sum(sec.nseg for sec in secs),
                "sections": len(secs), "secondorder": int(h.secondorder), "dt": float(h.dt),
                "celsius": float(h.celsius), "mechanism_segments": {k: v for k, v in
                                                                   mechs.items() if v}})
    return out


def spawn(case: str, path: str, inner: int) -> dict[str, Any]:
    env = dict(os.environ, PYNEST_QUIET="1")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", case, path,
                           "--inner", str(inner)], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{case}/{path} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- report ---------------------------------------------------------------------------------------
def _med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} ({min(xs):.3f}-{max(xs):.3f})"


def _ratio(num: list[float], den: list[float]) -> str:
    pair = [a / b for a, b in zip(num, den)]
    return (f"{statistics.median(num) / statistics.median(den):.3f} "
            f"({min(pair):.3f}-{max(pair):.3f})")


def report(results: dict[str, dict[str, list[dict]]], tol: float) -> bool:
    ok = True
    for case, paths in results.items():
        first = {p: runs[0] for p, runs in paths.items()}
        print(f"\n== {case}: {first['native']['segments']} segments "
              f"(mnsim {first['mnsim']['segments']}), secondorder "
              f"{ {p: r['secondorder'] for p, r in first.items()} }, dt "
              f"{ {p: r['dt'] for p, r in first.items()} }, celsius "
              f"{ {p: r['celsius'] for p, r in first.items()} }")
        ref = first["native"]
        for p, r in first.items():
            n = min(len(r["v_soma"]), len(ref["v_soma"]))
            dv = max(float(np.max(np.abs(np.subtract(r[k][:n], ref[k][:n]))))
                     for k in ("v_soma", "v_last"))
            same = (len(r["spikes_ms"]) == len(ref["spikes_ms"]) and dv <= tol
                    and r["mechanism_segments"] == ref["mechanism_segments"])
            ok &= same
            print(f"  {p:16} spikes {len(r['spikes_ms'])} "
                  f"({', '.join(f'{t:.3f}' for t in r['spikes_ms'][:4])}"
                  f"{' ...' if len(r['spikes_ms']) > 4 else ''}), max |v - native| "
                  f"{dv:.2g} mV, mechanisms per segment as native: "
                  f"{r['mechanism_segments'] == ref['mechanism_segments']}"
                  + ("" if same else "  <-- DIFFERS"))
        print(f"  {'path':16} {'run wall (s)':22} {'run CPU (s)':22} {'build (s)':22} "
              f"{'1st run in process (s)':22}")
        for p, runs in paths.items():
            print(f"  {p:16} {_med([r['run_s'] for r in runs]):22} "
                  f"{_med([r['cpu_s'] for r in runs]):22} "
                  f"{_med([r['build_s'] for r in runs]):22} "
                  f"{_med([r['first_run_s'] for r in runs]):22}")
        pairs = [(p, "native") for p in paths if p != "native"] + [("mnsim", "generated")]
        for num, den in pairs:
            if num in paths and den in paths:
                wall = _ratio([r["run_s"] for r in paths[num]], [r["run_s"] for r in paths[den]])
                cpu = _ratio([r["cpu_s"] for r in paths[num]], [r["cpu_s"] for r in paths[den]])
                print(f"  {num}/{den}: run wall {wall}, run CPU {cpu}")
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help="l5, zoo (comma-separated)")
    parser.add_argument("--paths", default=",".join(PATHS),
                        help="native, generated, mnsim; diagnostics: generated_nosi, "
                             "generated_inline, native_sampled (see the script's docstring)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds (one process per path)")
    parser.add_argument("--inner", type=int, default=2,
                        help="runs per process; the last is reported (default 2)")
    parser.add_argument("--v-tolerance", type=float, default=0.05,
                        help="largest allowed |v - native| (mV) at the recorded points")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(*a.worker, a.inner)))
        return 0
    cases = a.cases.split(",")
    paths = a.paths.split(",")
    known = set(PATHS) | set(VARIANTS) | {"native_sampled"}
    if "native" not in paths or not set(paths) <= known or not set(cases) <= set(CASES):
        parser.error(f"--paths: native and any of {', '.join(sorted(known - {'native'}))}; "
                     f"--cases: any of {', '.join(CASES)}")
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    for case in cases:  # compile caches (and the page cache) warm
        for p in paths:
            spawn(case, p, 1)
    results: dict[str, dict[str, list[dict]]] = {c: {p: [] for p in paths} for c in cases}
    for k in range(a.repeats):
        for case in cases:
            for p in paths[k % len(paths):] + paths[:k % len(paths)]:
                r = spawn(case, p, a.inner)
                results[case][p].append(r)
                print(f"round {k + 1} {case:4} {p:16} run {r['run_s']:.3f} s wall, "
                      f"{r['cpu_s']:.3f} s CPU; load {os.getloadavg()[0]:.2f}", flush=True)
    ok = report(results, a.v_tolerance)
    print(f"load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.json:
        a.json.write_text(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
