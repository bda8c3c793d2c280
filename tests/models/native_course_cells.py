"""The course's three active cells written by hand in NEURON with the original ``.mod`` files:
the reference that mnsim's ``active_compartment``, ``ball_and_stick`` and ``channel_zoo``
models are checked against (docs/course-active-cells.md says where every setting comes from).

Nothing here is mnsim: ``h.Section``, ``insert``, ``IClamp``, ``Exp2Syn`` and ``Vector.record``
on the unmodified files of ``tests/data/mod/course`` (Mainen's ``na.mod``, Migliore's
``kdrca1.mod``, the Wang-Buzsaki ``WangBuzsaki.mod`` (phi 5) and ``WangBuszaki.mod`` (phi 1))
and of ``tests/data/mod`` (the Blue Brain channels of ModelDB 139653), compiled by
``nrnivmodl`` into a cache directory and loaded with ``h.nrn_load_dll``.

Spike times: ``spikes_ms``, 0 mV crossings interpolated between samples; ``stamps_ms``, the
end of the step in which v reaches 0 mV (a ``NetCon``'s times, and mnsim's on both backends).

NEURON loads a mechanism library once per process: run this file in a subprocess
(``python tests/models/native_course_cells.py --json``) from a test; ``python
native_course_cells.py`` prints the tables of docs/course-active-cells.md, with the time-step
study of the ball and stick and the channel_zoo variants with the channel left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from native_build import compiled_mods

DATA = Path(__file__).resolve().parents[1] / "data" / "mod"
COURSE_MODS = ("na", "kdrca1", "WangBuzsaki", "WangBuszaki")
BBP_MODS = ("CaDynamics_E2", "Ca_HVA", "Ca_LVAst", "Ih", "Im", "K_Pst", "K_Tst", "NaTa_t",
            "NaTs2_t", "Nap_Et2", "SK_E2", "SKv3_1")
DT = 0.025  # ms, backward Euler (NEURON's default), as the course runs
# (dt, NEURON's secondorder: 0 backward Euler, 2 Crank-Nicolson). The Wang-Buzsaki soma's AP
# peak and the active dendrite's velocity depend on dt (the instantaneous m is evaluated from
# v at the start of each step): the models run at 5 us with Crank-Nicolson (mnsim's default
# method), the synaptic train at 25 us; converged: Crank-Nicolson at 1 us.
BS_STEP, TRAIN_STEP, CONVERGED = (0.005, 2), (0.025, 2), (0.001, 2)

# -- active_compartment: tutorial 2 ------------------------------------------------------------
AC = {"L": 10.0, "g_pas": 1e-4, "e_pas": -73.0, "gbar_na": 5000.0,  # na.mod: pS/um2 = 0.5 S/cm2
      "gkdrbar_kdr": 0.1, "ena": 50.0, "ek": -85.0, "celsius": 30.0, "v_init": -73.0}
AC_STEPS = ((0.001, 100.0), (0.002, 400.0), (0.010, 700.0), (0.100, 1000.0))  # nA, start
AC_STEP_MS, AC_TSTOP = 100.0, 1200.0

# -- ball_and_stick: tutorial 3 ----------------------------------------------------------------
BS = {"soma_L": 20.0, "dend_diam": 2.0, "Ra": 150.0, "g_pas": 1 / 15000, "e_pas": -65.0,
      "ena": 55.0, "ek": -90.0, "v_init": -65.0, "stim": (0.25, 10.0, 3.0)}  # nA, delay, dur
BS_PASSIVE_L, BS_ACTIVE_L, BS_ACTIVE_SCALE = 1520.0, 2000.0, 0.4
BS_TSTOP, BS_ACTIVE_TSTOP = 60.0, 25.0  # ms; the active dendrite's echo comes after 25 ms
TRAIN = {"x": 0.9, "tau1": 0.5, "tau2": 5.0, "e": 0.0, "weight": 0.005, "delay": 0.1,
         "times": tuple(100.0 + 10.0 * k for k in range(10))}  # uS, ms

# -- channel_zoo: tutorial 4 -------------------------------------------------------------------
# BluePyOpt's L5PC release values for the soma's seven mechanisms; Hay et al. (2011)
# L5PCbiophys3.hoc somatic values for Nap_Et2, K_Pst, K_Tst, NaTa_t; Hay's apical Im.
ZOO_DENSITIES = {
    "NaTs2_t": {"gNaTs2_tbar": 0.983955}, "SKv3_1": {"gSKv3_1bar": 0.303472},
    "SK_E2": {"gSK_E2bar": 0.008407}, "Ca_HVA": {"gCa_HVAbar": 0.000994},
    "Ca_LVAst": {"gCa_LVAstbar": 0.000333}, "Ih": {"gIhbar": 0.00008},
    "CaDynamics_E2": {"gamma": 0.000609, "decay": 210.485284},
    "Nap_Et2": {"gNap_Et2bar": 0.00172}, "K_Pst": {"gK_Pstbar": 0.00223},
    "K_Tst": {"gK_Tstbar": 0.0812}, "NaTa_t": {"gNaTa_tbar": 2.04}, "Im": {"gImbar": 0.0000675}}
ZOO = {"L": 8.5, "g_pas": 3e-5, "e_pas": -75.0, "ena": 50.0, "ek": -85.0, "celsius": 30.0,
       "v_init": -75.0}
ZOO_STEPS = ((0.3, 200.0), (1.0, 1700.0))  # nA, start; each 1000 ms
ZOO_STEP_MS, ZOO_TSTOP = 1000.0, 2800.0


def compiled_library() -> Path:
    """``libnrnmech.so`` of the course and Blue Brain files, compiled once into
    ``<tmp>/mnsim-native-course/<sha256 of the files and NEURON's version>``."""
    files = [DATA / "course" / f"{n}.mod" for n in COURSE_MODS]
    files += [DATA / f"{n}.mod" for n in BBP_MODS]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"original mechanisms missing: {', '.join(missing)}; see "
                                f"tests/data/mod/course/SOURCES.md for where each comes from")
    return compiled_mods(files, "mnsim-native-course")


def load_neuron(tables: bool | None = None):
    """NEURON's ``h`` with the mechanisms and ``stdrun``; ``tables`` (when given): the rate tables
    of na.mod and the Wang-Buzsaki files on (their default) or off (their formulas, as mnsim)."""
    from neuron import h

    if not hasattr(h, "WangBuzsaki"):
        h.nrn_load_dll(str(compiled_library()))
    h.load_file("stdrun.hoc")
    if tables is not None:
        for mech in ("na", "WangBuzsaki", "WangBuszaki"):
            setattr(h, f"usetable_{mech}", int(tables))
    return h


def crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0,
              stamped: bool = False) -> list[float]:
    """Upward crossings of ``threshold`` (linear between samples); ``stamped``: the end of each
    step in which v reaches it (a ``NetCon``'s spike times at a fixed step)."""
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    if stamped:
        return [float(t[k + 1]) for k in i]
    return [float(t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k])) for k in i]


def nseg_d_lambda(sec, d_lambda: float = 0.1, frequency: float = 100.0) -> int:
    """NEURON's d_lambda rule for a cylinder (fixnseg.hoc's ``lambda_f``)."""
    lam = 1e5 * np.sqrt(sec.diam / (4 * np.pi * frequency * sec.Ra * sec.cm))
    return int((sec.L / (d_lambda * lam) + 0.9) / 2) * 2 + 1


def iclamp(h, seg, amp: float, delay: float, dur: float):
    """An ``IClamp`` at ``seg``: ``amp`` nA from ``delay`` for ``dur`` ms."""
    clamp = h.IClamp(seg)
    clamp.amp, clamp.delay, clamp.dur = amp, delay, dur
    return clamp


def simulate(h, tstop: float, celsius: float, v_init: float, probes: dict, dt: float = DT,
             secondorder: int = 0) -> dict:
    """Run at fixed ``dt`` (``secondorder`` 0: backward Euler, NEURON's default; 2:
    Crank-Nicolson); ``t`` and v at each probe segment."""
    rec = {k: h.Vector().record(seg._ref_v) for k, seg in probes.items()}
    t = h.Vector().record(h._ref_t)
    h.cvode_active(0)
    h.secondorder, h.celsius, h.dt, h.steps_per_ms = secondorder, celsius, dt, 1.0 / dt
    h.finitialize(v_init)
    h.continuerun(tstop)
    # t on the step grid: NEURON's accumulates rounding (2599.9999...), moving windows' edges
    return {"t": np.round(np.array(t) / dt) * dt, **{k: np.array(v) for k, v in rec.items()}}


def active_compartment() -> dict:
    """Tutorial 2: one 10 x 10 um compartment with Mainen's Na and Migliore's Kdr; four 100 ms
    steps (1, 2, 10, 100 pA) 200 ms apart in one run."""
    h = load_neuron()
    soma = h.Section(name="ac_soma")
    soma.L = soma.diam = AC["L"]
    for mech in ("pas", "na", "kdr"):
        soma.insert(mech)
    soma.g_pas, soma.e_pas = AC["g_pas"], AC["e_pas"]
    soma.gbar_na, soma.gkdrbar_kdr = AC["gbar_na"], AC["gkdrbar_kdr"]
    soma.ena, soma.ek = AC["ena"], AC["ek"]
    _clamps = [iclamp(h, soma(0.5), amp, start, AC_STEP_MS) for amp, start in AC_STEPS]
    r = simulate(h, AC_TSTOP, AC["celsius"], AC["v_init"], {"soma": soma(0.5)})
    t, v = r["t"], r["soma"]
    spikes, stamped = crossings(t, v), crossings(t, v, stamped=True)
    first = AC_STEPS[0][1]
    out = {"rest_mV": float(v[(t >= first - 20) & (t < first)].mean()), "steps": {}}
    for amp, start in AC_STEPS:
        inside = [s for s in spikes if start <= s < start + AC_STEP_MS]
        out["steps"][f"{amp * 1000:g} pA"] = {
            "count": len(inside), "times_ms": inside,
            "stamps_ms": [s for s in stamped if start <= s < start + AC_STEP_MS]}
    return out


def _ball_and_stick(h, dend_L: float, phi: int = 5):
    """Soma (L = diam = 20 um, the Wang-Buzsaki file with its own leak) and a dendrite
    attached at soma(1) with pas; both Ra 150 ohm cm, nseg by d_lambda 0.1 at 100 Hz."""
    mech = "WangBuzsaki" if phi == 5 else "WangBuszaki"
    soma, dend = h.Section(name="bs_soma"), h.Section(name="bs_dend")
    dend.connect(soma(1))
    soma.L = soma.diam = BS["soma_L"]
    dend.L, dend.diam = dend_L, BS["dend_diam"]
    for sec in (soma, dend):
        sec.Ra, sec.cm = BS["Ra"], 1.0
        sec.nseg = nseg_d_lambda(sec)
    soma.insert(mech)
    soma.ena, soma.ek = BS["ena"], BS["ek"]
    dend.insert("pas")
    dend.g_pas, dend.e_pas = BS["g_pas"], BS["e_pas"]
    return soma, dend, iclamp(h, soma(0.5), *BS["stim"]), mech


def ball_and_stick_passive(phi: int = 5, dt: float = BS_STEP[0],
                           secondorder: int = BS_STEP[1]) -> dict:
    """Tutorial 3, passive dendrite of 1520 um: peak v of the back-propagating AP at the soma,
    0.1, 0.5 of the dendrite and its tip (``phi``: 5, WangBuzsaki.mod; 1, WangBuszaki.mod)."""
    h = load_neuron()
    soma, dend, stim, _ = _ball_and_stick(h, BS_PASSIVE_L, phi)
    probes = {"soma(0.5)": soma(0.5), "dend(0.1)": dend(0.1), "dend(0.5)": dend(0.5),
              "dend(1)": dend(1.0)}
    r = simulate(h, BS_TSTOP, 6.3, BS["v_init"], probes, dt, secondorder)
    t = r["t"]
    return {"nseg": [soma.nseg, dend.nseg], "spikes_ms": crossings(t, r["soma(0.5)"]),
            "stamps_ms": crossings(t, r["soma(0.5)"], stamped=True),
            "peak_mV": {k: float(r[k].max()) for k in probes}}


def ball_and_stick_active(dt: float = BS_STEP[0], secondorder: int = BS_STEP[1],
                          scale: float = BS_ACTIVE_SCALE, tstop: float = BS_ACTIVE_TSTOP) -> dict:
    """The active dendrite (2000 um): the Wang-Buzsaki channels (phi 5) at ``scale`` x the
    somatic densities in the dendrite (its leak is the dendrite's pas: the file's gl is 0
    there); velocity between dend(0.25) and dend(0.75) from the 0 mV crossings."""
    h = load_neuron()
    soma, dend, stim, mech = _ball_and_stick(h, BS_ACTIVE_L)
    dend.insert(mech)
    dend.ena, dend.ek = BS["ena"], BS["ek"]
    for seg in dend:
        seg.gnabar_WangBuzsaki *= scale
        seg.gkbar_WangBuzsaki *= scale
        seg.gl_WangBuzsaki = 0.0
    probes = {"soma(0.5)": soma(0.5), "dend(0.25)": dend(0.25), "dend(0.75)": dend(0.75),
              "dend(1)": dend(1.0)}
    r = simulate(h, tstop, 6.3, BS["v_init"], probes, dt, secondorder)
    t = r["t"]
    first = {k: (crossings(t, r[k]) or [np.nan])[0] for k in probes}
    if np.isnan(first["dend(0.75)"]):
        raise ValueError(f"no action potential reaches dend(0.75) (0 mV) at {scale} x the "
                         f"somatic densities; propagation needs about 0.35 x or more")
    delay = first["dend(0.75)"] - first["dend(0.25)"]
    nodes = h.distance(dend(0.25), dend(0.75))  # between the segment centres holding them
    return {"nseg": [soma.nseg, dend.nseg], "first_crossing_ms": first,
            "spikes_ms": crossings(t, r["soma(0.5)"]), "tip_spikes_ms": crossings(t, r["dend(1)"]),
            "stamps_ms": crossings(t, r["soma(0.5)"], stamped=True),
            "peak_mV": {k: float(r[k].max()) for k in probes}, "node_distance_um": nodes,
            # mnsim's conduction_velocity: the nominal distance (0.5 L) / the nodes' delay
            "velocity_m_s": 0.5 * BS_ACTIVE_L / delay * 1e-3,
            "node_velocity_m_s": nodes / delay * 1e-3}


def ball_and_stick_train(dt: float = TRAIN_STEP[0], secondorder: int = TRAIN_STEP[1]) -> dict:
    """A train of ten inputs at 100 Hz on an exp2syn at dend(0.9) of the passive cell: peak
    depolarisation of the first EPSP and of the whole train at the synapse and the soma."""
    h = load_neuron()
    soma, dend, stim, _ = _ball_and_stick(h, BS_PASSIVE_L)
    stim.amp = 0.0
    syn = h.Exp2Syn(dend(TRAIN["x"]))
    syn.tau1, syn.tau2, syn.e = TRAIN["tau1"], TRAIN["tau2"], TRAIN["e"]
    nc = h.NetCon(None, syn)
    nc.weight[0] = TRAIN["weight"]
    fih = h.FInitializeHandler(lambda: [nc.event(s + TRAIN["delay"]) for s in TRAIN["times"]])
    probes = {"dend(0.9)": dend(TRAIN["x"]), "soma(0.5)": soma(0.5)}
    r = simulate(h, 300.0, 6.3, BS["v_init"], probes, dt, secondorder)
    del fih  # it had to live through finitialize, which queues the events
    t, t0 = r["t"], TRAIN["times"][0]
    out = {"spikes_ms": crossings(t, r["soma(0.5)"]), "events": len(TRAIN["times"])}
    for k in probes:
        base = float(r[k][np.searchsorted(t, t0)])
        one = (t >= t0) & (t < t0 + 10.0)
        out[k] = {"first_epsp_mV": float(r[k][one].max() - base),
                  "train_peak_mV": float(r[k][t >= t0].max() - base),
                  "train_peak_v_mV": float(r[k][t >= t0].max())}
    return out


def channel_zoo(off: str | None = None, remove: bool = False, area_L: float = ZOO["L"]) -> dict:
    """Tutorial 4: one compartment (L = diam = ``area_L`` um) with the twelve Blue Brain
    mechanisms at ZOO_DENSITIES and ``off`` (a mechanism name) switched off: its conductance
    (the first parameter in ZOO_DENSITIES; CaDynamics_E2's gamma: no calcium influx) 0, or,
    with ``remove``, not inserted; a 0.3 nA and a 1 nA step of 1000 ms, 500 ms apart."""
    h = load_neuron()
    soma = h.Section(name="zoo_soma")
    soma.L = soma.diam = area_L
    soma.insert("pas")
    soma.g_pas, soma.e_pas = ZOO["g_pas"], ZOO["e_pas"]
    for mech, params in ZOO_DENSITIES.items():
        if mech == off and remove:
            continue
        soma.insert(mech)
        for name, value in params.items():
            zero = mech == off and name == next(iter(params))
            setattr(soma, f"{name}_{mech}", 0.0 if zero else value)
    if hasattr(soma, "ena"):
        soma.ena = ZOO["ena"]
    if hasattr(soma, "ek"):
        soma.ek = ZOO["ek"]
    _clamps = [iclamp(h, soma(0.5), amp, start, ZOO_STEP_MS) for amp, start in ZOO_STEPS]
    r = simulate(h, ZOO_TSTOP, ZOO["celsius"], ZOO["v_init"], {"soma": soma(0.5)})
    t, v = r["t"], r["soma"]
    spikes = np.array(crossings(t, v))
    first = ZOO_STEPS[0][1]
    out = {"off": off, "removed": remove, "area_um2": soma(0.5).area(),
           "rest_mV": float(v[(t >= first - 50) & (t < first)].mean()),
           "spikes_ms": spikes.tolist(), "stamps_ms": crossings(t, v, stamped=True), "steps": {}}
    for amp, start in ZOO_STEPS:
        s = spikes[(spikes >= start) & (spikes < start + ZOO_STEP_MS)]
        late = s[s >= start + ZOO_STEP_MS / 2]
        tail = (t >= start + 0.9 * ZOO_STEP_MS) & (t < start + ZOO_STEP_MS)
        out["steps"][f"{amp:g} nA"] = {
            "count": int(len(s)), "last_spike_ms": float(s[-1] - start) if len(s) else None,
            "steady_rate_Hz": float(1000.0 / np.diff(late).mean()) if len(late) > 1 else 0.0,
            "late_mean_v_mV": float(v[tail].mean())}
    return out


def measure(keys: tuple[str, ...] = ("formulas", "tables")) -> dict:
    """Every model and variant at its own settings and the converged ball and stick, under
    ``formulas`` (rate tables off, as mnsim computes: what the tests compare with) and
    ``tables`` (the files' default); channel_zoo once (the Blue Brain files have none)."""
    out = {"channel_zoo": {str(k): channel_zoo(k) for k in (None, *ZOO_DENSITIES)}}
    for key in keys:
        load_neuron(tables=key == "tables")
        out[key] = {"active_compartment": active_compartment(),
                    "ball_and_stick": {f"phi{p}": ball_and_stick_passive(p) for p in (5, 1)},
                    "ball_and_stick_converged": ball_and_stick_passive(5, *CONVERGED),
                    "active_dendrite": ball_and_stick_active(),
                    "active_dendrite_converged": ball_and_stick_active(*CONVERGED),
                    "synapse_train": ball_and_stick_train()}
    load_neuron(tables=True)
    return out


def studies() -> dict:
    """What the tables add: the ball and stick at dt 25, 5, 1 us by each method, the active
    dendrite for 60 ms (its echo), and each channel_zoo channel removed instead of set to 0."""
    steps = [(dt, so) for so in (0, 2) for dt in (0.025, 0.005, 0.001)]
    load_neuron(tables=False)
    return {"dt": {f"{'BE' if so == 0 else 'CN'} {dt:g}": {
        "passive": ball_and_stick_passive(5, dt, so),
        "active": ball_and_stick_active(dt, so, tstop=BS_TSTOP)}
        for dt, so in steps}, "active_full": ball_and_stick_active(scale=1.0),
        "zoo_removed": {k: channel_zoo(k, remove=True) for k in ZOO_DENSITIES}}


def _print_zoo(rows: dict, removed: dict) -> None:
    """The channel_zoo table; after it, how each channel's removal differs from its 0."""
    print(f"{'channel_zoo':16} {'rest':>7} | {'0.3 nA: n':>9} {'rate':>6} {'late v':>7} | "
          f"{'1 nA: n':>7} {'last':>6} {'rate':>6} {'late v':>7} | removed: rest, max shift")
    for k, z in rows.items():
        a, b = z["steps"]["0.3 nA"], z["steps"]["1 nA"]
        last = f"{b['last_spike_ms']:.0f}" if b["last_spike_ms"] is not None else "-"
        other = ""
        if k in removed:
            x, y = np.array(removed[k]["stamps_ms"]), np.array(z["stamps_ms"])
            shift = f"{np.abs(x - y).max():.3f} ms" if len(x) == len(y) else f"{len(x)} spikes"
            other = f" | {removed[k]['rest_mV'] - z['rest_mV']:+.3f} mV, {shift}"
        print(f"{'all' if k == 'None' else 'no_' + k:16} {z['rest_mV']:7.3f} | {a['count']:9d} "
              f"{a['steady_rate_Hz']:6.1f} {a['late_mean_v_mV']:7.2f} | {b['count']:7d} "
              f"{last:>6} {b['steady_rate_Hz']:6.1f} {b['late_mean_v_mV']:7.2f}{other}")


def main(argv: list[str]) -> None:
    """``native_course_cells.py [--json]``: the tests' numbers as JSON, or every table."""
    import json

    if "--json" in argv:
        print(json.dumps(measure(("formulas",))))
        return
    out = measure()
    for key in ("formulas", "tables"):
        o, ac = out[key], out[key]["active_compartment"]
        print(f"-- rate tables {'on' if key == 'tables' else 'off'}\nactive_compartment: rest "
              f"(80-100 ms) {ac['rest_mV']:.4f} mV; spikes "
              + ", ".join(f"{k}: {s['count']}" for k, s in ac["steps"].items()))
        for name, bs in {**o["ball_and_stick"], "converged": o["ball_and_stick_converged"]}.items():
            print(f"ball_and_stick {name} (nseg {bs['nseg']}): peak mV "
                  + ", ".join(f"{k} {v:.3f}" for k, v in bs["peak_mV"].items()))
        for name in ("active_dendrite", "active_dendrite_converged"):
            a = o[name]
            print(f"{name}: {a['velocity_m_s']:.4f} m/s (nodes {a['node_distance_um']:.0f} um "
                  f"apart: {a['node_velocity_m_s']:.4f} m/s); peaks "
                  + ", ".join(f"{k} {v:.2f}" for k, v in a["peak_mV"].items()))
        tr = o["synapse_train"]
        print(f"synapse_train: soma spikes {len(tr['spikes_ms'])}; " + "; ".join(
            f"{k} first {v['first_epsp_mV']:.4f} mV, train {v['train_peak_mV']:.4f} mV (peak "
            f"{v['train_peak_v_mV']:.3f} mV)" for k, v in tr.items() if isinstance(v, dict)))
    extra = studies()
    print(f"active_dendrite at the full densities: {extra['active_full']['velocity_m_s']:.4f} "
          f"m/s\nball_and_stick by step, rate tables off (soma, dend(0.1), dend(0.5), dend(1) "
          f"peaks in mV; active dendrite velocity, soma and tip crossings in 60 ms):")
    for key, r in extra["dt"].items():
        a = r["active"]
        print(f"  {key:9} " + ", ".join(f"{v:.3f}" for v in r["passive"]["peak_mV"].values())
              + f"; {a['velocity_m_s']:.4f} m/s, soma "
              + ", ".join(f"{s:.2f}" for s in a["spikes_ms"]) + "; tip "
              + ", ".join(f"{s:.2f}" for s in a["tip_spikes_ms"]))
    _print_zoo(out["channel_zoo"], extra["zoo_removed"])


if __name__ == "__main__":
    main(sys.argv[1:])
