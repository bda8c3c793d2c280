"""Every channel of mnsim's library against the original NMODL it was transcribed from, in NEURON.

The originals (tests/data/mod/, see SOURCES.md) are compiled as they are; the library's channels
are compiled from :func:`mnsim.channels.nmodl.to_nmodl` under the names ``mn_<name>`` (so both
can be loaded in one process). Two originals define SUFFIX ``kdr`` (Migliore's kdrca1.mod and
Wang & Buzsaki's kdr.mod): the second, in tests/data/mod/wb/, is a library of its own, run in a
process of its own. NEURON's built-in ``hh`` is the original of hh_na/hh_k/hh_leak
(tests/data/mod/hh.mod is its source, not compiled again).

Each process is this file run as a script (``python test_library.py SPEC OUT``): a single
compartment per channel and voltage step, SEClamp (rs 1e-3 MOhm) holding -80 mV for 50 ms then
stepping to -80 ... +40 mV for 100 ms, the original and the transcription side by side; the
largest difference of their currents must be below 1e-6 of the largest current (they compute
the same numbers; the rest is rounding). Current clamps check spike times: the calcium set
(Ca_HVA, Ca_LVAst, SK_E2, CaDynamics_E2 with NaTs2_t and SKv3_1 to spike) within 1e-3 ms, and
hh_na + hh_k + hh_leak against the built-in hh in the course's hh_squid protocol within the
issue's 0.01 ms (hh computing its rates; with its default rate tables only the first spike is
held to that: the tables' interpolation error moves the later spikes, by 0.11 ms at the 7th).

The libraries are compiled by mnsim's own NMODL cache (one ``nrnivmodl`` per content, kept in
``~/.cache/mnsim/nrnmech``), so only a changed file compiles again.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MOD_DIR = Path(__file__).resolve().parents[1] / "data" / "mod"
STEPS_MV = list(range(-80, 41, 10))
HOLD_MV, HOLD_MS, STEP_MS, DT_MS = -80.0, 50.0, 100.0, 0.025
RELATIVE = 1e-6          # voltage clamp: max |i_orig - i_mnsim| / max |i_orig|
CALCIUM_SPIKES_MS = 1e-3
HH_SPIKES_MS = 0.01      # the issue's requirement: library hh_* against NEURON's hh
ION_OF = {"ena": "na", "ek": "k", "eca": "ca", "cai": "ca"}
HAY = {"gamma": 0.000609, "decay": 210.0}  # Hay et al. (2011) L5PCbiophys3 somatic CaDynamics

pytestmark = pytest.mark.requires_neuron


# -- what runs where ------------------------------------------------------------------------
def _pair(name: str, orig: str, ref: str, celsius: float, **extra) -> dict:
    """A voltage-clamp run of one channel: the original mechanism ``orig`` beside
    ``mn_<name>``, comparing ``ref`` (an ion current, or the original's own nonspecific current,
    then ``i_mn_<name>`` on mnsim's side).

    A run (JSON, read by the worker) holds: ``celsius``; ``globals`` (NEURON globals, e.g.
    ``usetable_na``); ``ions`` (``ena``, ``ek``, ``cai`` of the sections with that ion); the
    mechanisms of each side, ``[suffix, {parameter: value}]``; ``records``, ``[label, reference
    on the original side, reference on mnsim's side]``; ``channels``, the library channels it
    checks; and for hh2 ``hh2_init`` (hh2's INITIAL sets its gates to 0: start them at steady
    state like mnsim's).
    """
    mn_ref = ref if ref in ("ina", "ik", "ica", "cai") else f"i_mn_{name}"
    return {"kind": "clamp", "channels": [name], "celsius": celsius,
            "orig": [[orig, extra.get("orig_params", {})]],
            "gen": [[f"mn_{name}", extra.get("gen_params", {})]],
            "records": [[ref, ref, mn_ref]], "globals": extra.get("globals", {}),
            "ions": extra.get("ions", {"ena": 50.0, "ek": -85.0})}


def _runs_main() -> dict[str, dict]:
    """Every run of the process that loads the originals of tests/data/mod/ (all but wb/)."""
    # SK_E2 half open: cai at its 0.00043 mM (no mechanism writes cai here: it stays)
    hay_ions = {"ena": 50.0, "ek": -85.0, "cai": 4.3e-4}
    runs = {
        "hh 6.3 degC": {
            "kind": "clamp", "channels": ["hh_na", "hh_k", "hh_leak"], "celsius": 6.3,
            "orig": [["hh", {}]],
            "gen": [["mn_hh_na", {}], ["mn_hh_k", {}], ["mn_hh_leak", {}]],
            "records": [["ina", "ina", "ina"], ["ik", "ik", "ik"],
                        ["il", "il_hh", "i_mn_hh_leak"]],
            "globals": {"usetable_hh": 0}, "ions": {"ena": 50.0, "ek": -77.0}},
        "tm 36 degC": {
            "kind": "clamp", "channels": ["tm_na", "tm_k"], "celsius": 36.0,
            "orig": [["hh2", {"gnabar": 0.1, "gkbar": 0.03, "vtraub": -63.0}]],
            "gen": [["mn_tm_na", {}], ["mn_tm_k", {}]],
            "records": [["ina", "ina", "ina"], ["ik", "ik", "ik"]], "globals": {},
            "ions": {"ena": 50.0, "ek": -90.0}, "hh2_init": True},
        "na_mainen 37 degC": _pair("na_mainen", "na", "ina", 37.0,
                                   orig_params={"gbar": 1000.0},  # pS/um2 = 0.1 S/cm2
                                   globals={"usetable_na": 0}),
        "kdr_migliore 37 degC": _pair("kdr_migliore", "kdr", "ik", 37.0),
        "na_slow 37 degC": _pair("na_slow", "na3", "ina", 37.0, orig_params={"ar2": 0.5},
                                 gen_params={"ar2": 0.5}),
        "Ih 34 degC": _pair("Ih", "Ih", "ihcn_Ih", 34.0),
        "calcium clamp 34 degC": {
            "kind": "clamp", "channels": ["Ca_HVA", "Ca_LVAst", "SK_E2", "CaDynamics_E2"],
            "celsius": 34.0,
            "orig": [["Ca_HVA", {"gCa_HVAbar": 0.001}], ["Ca_LVAst", {"gCa_LVAstbar": 0.003}],
                     ["SK_E2", {"gSK_E2bar": 0.04}], ["CaDynamics_E2", HAY]],
            "gen": [["mn_Ca_HVA", {"gbar": 0.001}], ["mn_Ca_LVAst", {"gbar": 0.003}],
                    ["mn_SK_E2", {"gbar": 0.04}], ["mn_CaDynamics_E2", HAY]],
            "records": [["ica", "ica", "ica"], ["ik", "ik", "ik"], ["cai", "cai", "cai"]],
            "globals": {}, "ions": {"ek": -85.0}},
        "CaDynamics_E2 alone 34 degC": {
            # the same original Ca_HVA on both sides: only the calcium shell differs
            "kind": "clamp", "channels": ["CaDynamics_E2"], "celsius": 34.0,
            "orig": [["Ca_HVA", {"gCa_HVAbar": 0.001}], ["CaDynamics_E2", {}]],
            "gen": [["Ca_HVA", {"gCa_HVAbar": 0.001}], ["mn_CaDynamics_E2", {}]],
            "records": [["ica", "ica", "ica"], ["cai", "cai", "cai"]], "globals": {},
            "ions": {}},
        "calcium spikes 34 degC": {
            # Hay et al.'s (2011) somatic densities (L5PCbiophys3), one compartment
            "kind": "spikes", "celsius": 34.0, "uA_per_cm2": 12.0, "start_ms": 20.0,
            "stop_ms": 580.0, "tstop": 600.0, "area_um2": 1000.0, "v0_mV": -75.0,
            "ions": {"ena": 50.0, "ek": -85.0},
            "orig": [["NaTs2_t", {"gNaTs2_tbar": 0.983}], ["SKv3_1", {"gSKv3_1bar": 0.303}],
                     ["SK_E2", {"gSK_E2bar": 0.0441}], ["Ca_HVA", {"gCa_HVAbar": 0.000992}],
                     ["Ca_LVAst", {"gCa_LVAstbar": 0.00343}], ["CaDynamics_E2", HAY],
                     ["pas", {"g": 3.38e-5, "e": -90.0}]],
            "gen": [["mn_NaTs2_t", {"gbar": 0.983}], ["mn_SKv3_1", {"gbar": 0.303}],
                    ["mn_SK_E2", {"gbar": 0.0441}], ["mn_Ca_HVA", {"gbar": 0.000992}],
                    ["mn_Ca_LVAst", {"gbar": 0.00343}], ["mn_CaDynamics_E2", HAY],
                    ["pas", {"g": 3.38e-5, "e": -90.0}]],
            "globals": {}, "record_cai": True},
    }
    # the course's hh_squid: 1000 um2, 10 uA/cm2 from 10 to 110 ms, dt 0.01 ms, 6.3 degC
    for name, usetable in (("hh spikes, tables on", 1), ("hh spikes, tables off", 0)):
        runs[name] = {"kind": "spikes", "celsius": 6.3, "dt": 0.01, "uA_per_cm2": 10.0,
                      "start_ms": 10.0, "stop_ms": 110.0, "tstop": 120.0, "area_um2": 1000.0,
                      "v0_mV": -65.0, "ions": {"ena": 50.0, "ek": -77.0},
                      "orig": [["hh", {}]],
                      "gen": [["mn_hh_na", {}], ["mn_hh_k", {}], ["mn_hh_leak", {}]],
                      "globals": {"usetable_hh": usetable}, "record_cai": False}
    for name, orig, ref in (("NaTa_t", "NaTa_t", "ina"), ("NaTs2_t", "NaTs2_t", "ina"),
                            ("Nap_Et2", "Nap_Et2", "ina"), ("K_Pst", "K_Pst", "ik"),
                            ("K_Tst", "K_Tst", "ik"), ("Im", "Im", "ik"),
                            ("SKv3_1", "SKv3_1", "ik"), ("SK_E2", "SK_E2", "ik"),
                            ("Ca_HVA", "Ca_HVA", "ica"), ("Ca_LVAst", "Ca_LVAst", "ica")):
        runs[f"{name} 34 degC"] = _pair(name, orig, ref, 34.0, ions=hay_ions)
    return runs


def _runs_wb() -> dict[str, dict]:
    """The run of the process that loads Wang & Buzsaki's originals (tests/data/mod/wb/)."""
    # ModelDB 26997's phi is its q10 of 5 from exptemp 27 degC: phi = 5 at 37 degC; its
    # reversals are its own erev (55, -90 mV), mnsim's the ions' (set to the same)
    return {"wb 37 degC": {
        "kind": "clamp", "channels": ["wb_na", "wb_k"], "celsius": 37.0,
        "orig": [["naf", {}], ["kdr", {}]], "gen": [["mn_wb_na", {}], ["mn_wb_k", {}]],
        "records": [["ina", "ina", "ina"], ["ik", "ik", "ik"]],
        "globals": {"usetable_naf": 0, "usetable_kdr": 0, "erev_naf": 55.0,
                    "erev_kdr": -90.0},
        "ions": {"ena": 55.0, "ek": -90.0}}}


# -- the NEURON side (this file run as a script) ----------------------------------------------
def _section(h, name, mechanisms, diam_um, ions):
    """One compartment (L = diam) with ``mechanisms`` and the ``ions`` it has set."""
    sec = h.Section(name=name)
    sec.L = sec.diam = diam_um
    sec.nseg = 1
    for mech, params in mechanisms:
        sec.insert(mech)
        for pname, value in params.items():
            setattr(sec(0.5), f"{pname}_{mech}", value)
    for attr, value in ions.items():  # ena, ek, cai: on the sections that have the ion
        if sec.has_membrane(f"{ION_OF[attr]}_ion"):
            setattr(sec, attr, value)
    return sec


def _hh2_steady(h, sec):
    """hh2's INITIAL sets m = h = n = 0: start its gates at steady state, like mnsim's."""
    sec.push()
    h.setdata_hh2(0.5)
    h.evaluate_fct_hh2(sec(0.5).v)
    h.pop_section()
    seg = sec(0.5)
    seg.m_hh2, seg.h_hh2, seg.n_hh2 = seg.m_inf_hh2, seg.h_inf_hh2, seg.n_inf_hh2


def _clamp(h, run):
    """Both sides at every step of :data:`STEPS_MV`, run together; per record the largest
    difference and the largest original current over all steps."""
    keep, traces = [], []
    for step in STEPS_MV:
        sides = {}
        for side in ("orig", "gen"):
            sec = _section(h, f"{side}_{step}", run[side], 10.0, run["ions"])
            clamp = h.SEClamp(sec(0.5))
            clamp.rs, clamp.dur1, clamp.amp1 = 1e-3, HOLD_MS, HOLD_MV
            clamp.dur2, clamp.amp2, clamp.dur3 = STEP_MS, float(step), 0.0
            col = 1 if side == "orig" else 2
            recs = {rec[0]: h.Vector().record(getattr(sec(0.5), f"_ref_{rec[col]}"))
                    for rec in run["records"]}
            keep += [sec, clamp]
            sides[side] = (sec, recs)
        traces.append(sides)
    h.finitialize(HOLD_MV)
    if run.get("hh2_init"):
        for sides in traces:
            _hh2_steady(h, sides["orig"][0])
        h.fcurrent()
    h.continuerun(HOLD_MS + STEP_MS)
    out = {}
    for label, *_ in run["records"]:
        orig = [np.asarray(s["orig"][1][label]) for s in traces]
        gen = [np.asarray(s["gen"][1][label]) for s in traces]
        out[label] = {"max_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(orig, gen)),
                      "max_ref": max(float(np.max(np.abs(a))) for a in orig)}
    return out


def _crossings(t, v, threshold=0.0):
    """Upward crossings of ``threshold``, linearly interpolated within the step."""
    t, v = np.asarray(t), np.asarray(v)
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return (t[i] + (threshold - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i])).tolist()


def _spikes(h, run):
    """Both sides under the same current step (``uA_per_cm2``); their spike times (and cai)."""
    keep, v, cai = [], {}, {}
    area_um2 = run["area_um2"]
    for side in ("orig", "gen"):
        sec = _section(h, side, run[side], (area_um2 / np.pi) ** 0.5, run["ions"])
        stim = h.IClamp(sec(0.5))
        stim.delay, stim.dur = run["start_ms"], run["stop_ms"] - run["start_ms"]
        stim.amp = run["uA_per_cm2"] * area_um2 * 1e-5  # uA/cm2 * um2 -> nA
        keep += [sec, stim]
        v[side] = h.Vector().record(sec(0.5)._ref_v)
        if run["record_cai"]:
            cai[side] = h.Vector().record(sec(0.5)._ref_cai)
    t = h.Vector().record(h._ref_t)
    h.finitialize(run["v0_mV"])
    h.continuerun(run["tstop"])
    out = {side: _crossings(t, v[side]) for side in v}
    if cai:
        a, b = np.asarray(cai["orig"]), np.asarray(cai["gen"])
        out["cai_rel_diff"] = float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
        out["cai_range"] = [float(a.min()), float(a.max())]
    return out


def _worker(spec_path: str, out_path: str) -> None:
    """Load the libraries of the spec, do its runs in order, write the results as JSON."""
    from neuron import h

    spec = json.loads(Path(spec_path).read_text())
    for lib in spec["libraries"]:
        if not h.nrn_load_dll(lib):
            raise RuntimeError(f"NEURON could not load {lib}")
    h.load_file("stdrun.hoc")
    h.secondorder = 0
    results = {}
    for name, run in spec["runs"].items():
        h.celsius, h.dt = run["celsius"], run.get("dt", DT_MS)
        for attr, value in run["globals"].items():
            setattr(h, attr, value)
        results[name] = (_clamp if run["kind"] == "clamp" else _spikes)(h, run)
    Path(out_path).write_text(json.dumps(results))


# -- the pytest side ------------------------------------------------------------------------
def _suffix(path: Path) -> str:
    """The SUFFIX an NMODL file defines."""
    return re.search(r"SUFFIX\s+(\w+)", path.read_text(encoding="utf-8")).group(1)


@pytest.fixture(scope="session")
def compiled() -> dict[str, str]:
    """The three libraries, compiled once per content (mnsim's NMODL cache): the originals
    of tests/data/mod/ but wb/ and hh.mod, Wang & Buzsaki's (wb/), the library as mn_<name>."""
    from mnsim.backends.neuron.mechanisms import NmodlSource, library_path
    from mnsim.channels.library import library
    from mnsim.channels.nmodl import to_nmodl

    version = importlib.metadata.version("neuron")

    def originals(paths):
        return [NmodlSource(p.name, p.read_bytes(), (_suffix(p),) if p.suffix == ".mod" else (),
                            str(p)) for p in paths]

    main = originals(p for p in sorted(MOD_DIR.glob("*.mod")) if p.name != "hh.mod")
    wb = originals(sorted((MOD_DIR / "wb").iterdir()))
    generated = []
    for name, mech in sorted(library().items()):
        renamed = dataclasses.replace(mech, name=f"mn_{name}")
        generated.append(NmodlSource(f"mn_{name}.mod", to_nmodl(renamed).encode(),
                                     (renamed.name,), f"library channel {name}"))
    return {"main": str(library_path(version, main, "the original NMODL of the library")),
            "wb": str(library_path(version, wb, "Wang & Buzsaki's original NMODL")),
            "generated": str(library_path(version, generated, "the library as mn_<name>"))}


def _run(tmp: Path, name: str, libraries: list[str], runs: dict) -> dict:
    """Run this file as the NEURON worker in a fresh process; its results."""
    spec, out = tmp / f"{name}.json", tmp / f"{name}.out.json"
    spec.write_text(json.dumps({"libraries": libraries, "runs": runs}))
    proc = subprocess.run([sys.executable, __file__, str(spec), str(out)], capture_output=True,
                          text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"the NEURON process ({name}) failed:\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def results(compiled, tmp_path_factory) -> dict[str, dict]:
    """The results of every run, from the two NEURON processes."""
    tmp = tmp_path_factory.mktemp("library")
    found = _run(tmp, "main", [compiled["main"], compiled["generated"]], _runs_main())
    found.update(_run(tmp, "wb", [compiled["wb"], compiled["generated"]], _runs_wb()))
    return found


def _clamp_runs() -> dict[str, dict]:
    """The voltage-clamp runs of both processes, by name."""
    return {name: run for name, run in {**_runs_main(), **_runs_wb()}.items()
            if run["kind"] == "clamp"}


def test_every_library_channel_is_checked():
    """No library channel escapes the comparison with its original."""
    from mnsim.channels.library import library

    checked = {ch for run in _clamp_runs().values() for ch in run["channels"]}
    assert set(library()) == checked


@pytest.mark.parametrize("name", sorted(_clamp_runs()))
def test_voltage_clamp_matches_original(results, name):
    """Every current of the run within :data:`RELATIVE` of the original's largest."""
    for label, found in results[name].items():
        assert found["max_ref"] > 0, f"{name}: no {label} current to compare"
        assert found["max_diff"] <= RELATIVE * found["max_ref"], (
            f"{name}, {label}: the transcription differs from the original by "
            f"{found['max_diff']:.3g} at most, {found['max_diff'] / found['max_ref']:.2g} of "
            f"the largest current {found['max_ref']:.3g}")


def _assert_same_spikes(found, tolerance_ms, at_least):
    """At least ``at_least`` spikes, as many on both sides, each within ``tolerance_ms``."""
    orig, gen = np.asarray(found["orig"]), np.asarray(found["gen"])
    assert len(orig) >= at_least, f"expected a spike train, got {len(orig)} spikes"
    assert len(gen) == len(orig), f"{len(orig)} spikes from the original, {len(gen)} here"
    assert np.max(np.abs(gen - orig)) <= tolerance_ms


def test_calcium_set_spike_train_matches_original(results):
    """Hay et al.'s somatic calcium set spikes as the originals do, cai follows them."""
    found = results["calcium spikes 34 degC"]
    _assert_same_spikes(found, CALCIUM_SPIKES_MS, at_least=5)
    assert found["cai_range"][1] > 2 * found["cai_range"][0]  # the shell fills: SK_E2 opens
    assert found["cai_rel_diff"] <= RELATIVE


def test_hh_channels_spike_like_builtin_hh(results):
    """hh_na + hh_k + hh_leak spike as NEURON's built-in hh (course's hh_squid)."""
    # the built-in hh computing its rates (usetable_hh = 0) is what hh_* transcribe
    _assert_same_spikes(results["hh spikes, tables off"], HH_SPIKES_MS, at_least=5)
    # with its default rate tables (interpolated every 1 mV) hh's train drifts from the exact
    # rates over the spikes; its first spike still agrees within the issue's 0.01 ms
    tabled = results["hh spikes, tables on"]
    assert len(tabled["gen"]) == len(tabled["orig"])
    assert abs(tabled["gen"][0] - tabled["orig"][0]) <= HH_SPIKES_MS


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
