"""The Hay et al. (2011) layer-5b pyramidal cell written by hand in NEURON, the reference for
mnsim's ``l5_pyramidal`` (docs/l5-pyramidal.md), using nothing of mnsim: C060114A7.asc (shipped
in bluepyopt; not the paper's cell1.asc) read by Import3d, the original .mod files
(``tests/data/mod/`` or ``$MNSIM_L5PC_MOD_DIR``) compiled by nrnivmodl into a cache directory,
ModelDB 139653's L5PCbiophys3.hoc densities, L5PCtemplate.hoc axon stub and distance rules and
BAC_firing.hoc stimuli. NEURON loads a mechanism library once per process: a test runs
``python tests/models/native_l5pc.py --json`` in a subprocess (without ``--json``: a table).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
from native_build import compiled_mods

CHANNELS = ("CaDynamics_E2", "Ca_HVA", "Ca_LVAst", "Ih", "Im", "K_Pst", "K_Tst", "NaTa_t",
            "Nap_Et2", "SK_E2", "SKv3_1")
MOD_DIR = Path(__file__).resolve().parents[1] / "data" / "mod"
MORPHOLOGY = "tests/test_ephys/testdata/acc/l5pc/C060114A7.asc"  # inside the bluepyopt package
E_PAS, RA, V_INIT, CELSIUS = -90.0, 100.0, -80.0, 34.0  # L5PCbiophys3.hoc, BAC_firing.hoc

# L5PCbiophys3.hoc, region by region: mechanism -> {parameter: value}; ek -85, ena 50 where
# a K or Na channel is present; cm 2 uF/cm2 on apical and basal dendrites
SOMATIC = {"pas": {"g": 0.0000338}, "Ih": {"gIhbar": 0.0002},
           "CaDynamics_E2": {"decay": 460.0, "gamma": 0.000501},
           "Ca_LVAst": {"gCa_LVAstbar": 0.00343}, "Ca_HVA": {"gCa_HVAbar": 0.000992},
           "SKv3_1": {"gSKv3_1bar": 0.693}, "SK_E2": {"gSK_E2bar": 0.0441},
           "K_Tst": {"gK_Tstbar": 0.0812}, "K_Pst": {"gK_Pstbar": 0.00223},
           "Nap_Et2": {"gNap_Et2bar": 0.00172}, "NaTa_t": {"gNaTa_tbar": 2.04}}
APICAL = {"pas": {"g": 0.0000589}, "Ih": {}, "CaDynamics_E2": {"decay": 122.0, "gamma": 0.000509},
          "SK_E2": {"gSK_E2bar": 0.0012}, "SKv3_1": {"gSKv3_1bar": 0.000261},
          "NaTa_t": {"gNaTa_tbar": 0.0213}, "Im": {"gImbar": 0.0000675},
          "Ca_LVAst": {}, "Ca_HVA": {}}  # Ih, Ca_LVAst, Ca_HVA by distance: Cell._distributions
BASAL = {"pas": {"g": 0.0000467}, "Ih": {"gIhbar": 0.0002}}
AXONAL = {"pas": {"g": 0.0000325}}
HOT_ZONE_UM = (685.0, 885.0)  # the apical Ca "hot zone": 100x LVA, 10x HVA


def morphology_path() -> Path:
    """C060114A7.asc inside the installed bluepyopt package (an ImportError says so)."""
    if importlib.util.find_spec("bluepyopt") is None:
        raise ImportError(f"{MORPHOLOGY} comes with bluepyopt, which is not installed: "
                          f"pip install bluepyopt (mnsim's dev environment has it)")
    return Path(str(importlib.resources.files("bluepyopt") / MORPHOLOGY))


def mod_dir() -> Path:
    """The original ``.mod`` files: ``$MNSIM_L5PC_MOD_DIR``, else ``tests/data/mod``; a
    ``FileNotFoundError`` names the missing ones."""
    where = Path(os.environ.get("MNSIM_L5PC_MOD_DIR", MOD_DIR))
    missing = [f"{name}.mod" for name in CHANNELS if not (where / f"{name}.mod").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{where}: the original Hay et al. (2011) mechanisms {', '.join(missing)} are not "
            f"there; put ModelDB 139653's mechanisms/*.mod (BluePyOpt's examples/l5pc/"
            f"mechanisms are the same files) there or set MNSIM_L5PC_MOD_DIR to their directory")
    return where


def compiled_library(source: Path) -> Path:
    """``libnrnmech.so`` of the channels in ``source``, compiled once into
    ``<tmp>/mnsim-native-l5pc/<sha256 of the files and NEURON's version>``."""
    files = [source / f"{name}.mod" for name in CHANNELS]
    return compiled_mods(files, "mnsim-native-l5pc")


def load_neuron():
    """NEURON's ``h`` with the Hay mechanisms, ``Import3d`` and ``stdrun`` loaded."""
    from neuron import h

    if not hasattr(h, "NaTa_t"):
        h.nrn_load_dll(str(compiled_library(mod_dir())))
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    return h


class Cell:
    """The cell in NEURON: ``soma``, ``dend`` (basal), ``apic``, ``axon`` section lists
    (building one deletes every section that exists, an earlier cell's included).

    Parameters
    ----------
    soma : {"cylinder", "import3d"}
        ``cylinder``: L = diam = 2 r of the contour (mnsim's convention); ``import3d``:
        NEURON's soma from the contour's principal axis (what Hay's template builds).
    axon : {"stub", "reconstructed"}
        ``stub``: Hay's ``delete_axon``: two 30 um sections of 1 um at soma(0.5), passive;
        ``reconstructed``: the file's 128 axon sections, passive (g_pas of the axon).
    nseg : {"d_lambda", "hay"}
        ``d_lambda``: NEURON's rule (fixnseg.hoc) at ``d_lambda`` of the AC length constant at
        ``frequency`` Hz with the final Ra and cm; ``hay``: ``1 + 2 int(L / 40)`` (the template's).
    """

    def __init__(self, soma: str = "cylinder", axon: str = "stub", nseg: str = "d_lambda",
                 d_lambda: float = 0.1, frequency: float = 100.0) -> None:
        h = self.h = load_neuron()
        for sec in list(h.allsec()):
            h.delete_section(sec=sec)
        reader = h.Import3d_Neurolucida3()
        reader.quiet = 1
        reader.input(str(morphology_path()))
        h.Import3d_GUI(reader, 0).instantiate(None)
        self.soma, self.dend = list(h.soma), list(h.dend)
        self.apic, self.axon = list(h.apic), list(h.axon)
        if soma == "cylinder":  # r: mean distance of the contour from its centroid (NeuroM's)
            import morphio

            points = morphio.Morphology(str(morphology_path())).soma.points
            c = points.mean(axis=0)
            r = float(np.linalg.norm(points - c, axis=1).mean())
            h.pt3dclear(sec=self.soma[0])
            for dy in (-r, r):
                h.pt3dadd(c[0], c[1] + dy, c[2], 2 * r, sec=self.soma[0])
        if axon == "stub":
            for sec in self.axon:
                h.delete_section(sec=sec)
            self.axon = [h.Section(name=f"axon_stub[{i}]") for i in range(2)]
            for sec in self.axon:
                sec.L, sec.diam = 30.0, 1.0
            self.axon[0].connect(self.soma[0](0.5), 0)
            self.axon[1].connect(self.axon[0](1), 0)
        self.all = self.soma + self.dend + self.apic + self.axon
        self._biophysics()
        self.nseg_rule = nseg
        for sec in self.all:
            sec.nseg = (1 + 2 * int(sec.L / 40) if nseg == "hay"
                        else _nseg_d_lambda(h, sec, d_lambda, frequency))
        self._distributions()

    # -- Hay's L5PCbiophys3.hoc ---------------------------------------------------------------
    def _biophysics(self) -> None:
        for sec in self.all:
            sec.insert("pas")
            sec.cm, sec.Ra, sec.e_pas = 1.0, RA, E_PAS
        for secs, table, cm in ((self.soma, SOMATIC, 1.0), (self.apic, APICAL, 2.0),
                                (self.dend, BASAL, 2.0), (self.axon, AXONAL, 1.0)):
            for sec in secs:
                sec.cm = cm
                for mech, params in table.items():
                    if mech != "pas":
                        sec.insert(mech)
                    for name, value in params.items():
                        setattr(sec, f"{name}_{mech}", value)
                for ion, e in (("ek", -85.0), ("ena", 50.0)):  # where the ion is in use
                    if hasattr(sec, ion):
                        setattr(sec, ion, e)

    def distance(self, seg) -> float:
        """Path distance (um) from soma(0.5), where the apical trunk starts (Hay measures from
        apic[0](0), the same point)."""
        return self.h.distance(self.soma[0](0.5), seg)

    def longest_apical_um(self) -> float:
        """Hay's ``getLongestBranch("apic")``: the largest distance of an apical tip."""
        return max(self.distance(sec(1)) for sec in self.apic if not sec.children())

    def _distributions(self) -> None:
        """Hay's ``distribute_channels`` calls, evaluated at each segment's centre: Ih
        ``0.0002 (-0.8696 + 2.087 exp(3.6161 d / dmax))``, and the Ca hot zone."""
        dmax = self.longest_apical_um()
        for sec in self.apic:
            for seg in sec:
                d = self.distance(seg)
                seg.gIhbar_Ih = 0.0002 * (-0.8696 + 2.087 * np.exp(3.6161 * d / dmax))
                inside = HOT_ZONE_UM[0] < d < HOT_ZONE_UM[1]
                seg.gCa_LVAstbar_Ca_LVAst = 0.0187 * (1.0 if inside else 0.01)
                seg.gCa_HVAbar_Ca_HVA = 0.000555 * (1.0 if inside else 0.1)

    # -- places on the cell -------------------------------------------------------------------
    def trunk_path(self) -> list:
        """The apical sections from the soma to the farthest apical tip (mnsim's rule for
        ``{type: apical, distance: D}``)."""
        tip = max((sec for sec in self.apic if not sec.children()),
                  key=lambda sec: self.distance(sec(1)))
        path = [tip]
        while path[-1].parentseg() is not None and path[-1].parentseg().sec in self.apic:
            path.append(path[-1].parentseg().sec)
        return path[::-1]

    def on_trunk(self, d_um: float):
        """The segment of the trunk path at distance ``d_um`` (a junction: on the child)."""
        for sec in self.trunk_path():
            d0, d1 = self.distance(sec(0)), self.distance(sec(1))
            if d0 <= d_um < d1:
                return sec((d_um - d0) / (d1 - d0))
        raise ValueError(f"no point of the apical trunk at {d_um} um")

    def thickest_at(self, d_um: float):
        """Hay's ``locateSites("apic", d)`` with the BAC protocol's choice: of the apical
        points at distance ``d_um``, the one of largest diameter."""
        sites = []
        for sec in self.apic:
            d0, d1 = sorted((self.distance(sec(0)), self.distance(sec(1))))
            if d0 <= d_um <= d1:
                x = (d_um - d0) / (d1 - d0)
                sites.append((sec(x).diam, sec, x))
        _, sec, x = max(sites, key=lambda s: s[0])
        return sec(x)

    def geometry(self) -> dict:
        """Areas (um2) and lengths (um) by part, segment and section counts, the soma's L."""
        out = {"segments": sum(sec.nseg for sec in self.all), "sections": len(self.all),
               "soma_L_um": self.soma[0].L, "longest_apical_um": self.longest_apical_um()}
        for k, v in {"soma": self.soma, "basal": self.dend, "apical": self.apic,
                     "axon": self.axon}.items():
            out[f"{k}_area_um2"] = sum(seg.area() for sec in v for seg in sec)
            out[f"{k}_length_um"] = sum(sec.L for sec in v)
        return out


def _nseg_d_lambda(h, sec, d_lambda: float, frequency: float) -> int:
    """fixnseg.hoc's ``lambda_f`` over the 3-D points with the section's Ra and cm."""
    n = int(h.n3d(sec=sec))
    if n < 2:
        lam = 1e5 * np.sqrt(sec.diam / (4 * np.pi * frequency * sec.Ra * sec.cm))
    else:
        arc = np.array([h.arc3d(i, sec=sec) for i in range(n)])
        diam = np.array([h.diam3d(i, sec=sec) for i in range(n)])
        total = float(np.sum(np.diff(arc) / np.sqrt(diam[:-1] + diam[1:])))
        total *= np.sqrt(2) * 1e-5 * np.sqrt(4 * np.pi * frequency * sec.Ra * sec.cm)
        lam = sec.L / total
    return int((sec.L / (d_lambda * lam) + 0.9) / 2) * 2 + 1


# -- the protocols of BAC_firing.hoc ----------------------------------------------------------
PULSE_AT, PULSE_MS, PULSE_NA = 295.0, 5.0, 1.9  # somatic square pulse
BAC_DT, EPSP_TAU0, EPSP_TAU1, EPSP_NA = 5.0, 0.5, 5.0, 0.5  # epsp.mod: onset, rise, decay, peak
EPSP_SITE_UM, TRUNK_UM = 620.0, (200.0, 400.0, 600.0, 800.0)
STRONG_NA = 0.8  # an EPSP well inside the BAC window of this morphology (docs/l5-pyramidal.md)
PROTOCOLS = {"bap": (PULSE_NA, 0.0), "epsp": (0.0, EPSP_NA), "bac": (PULSE_NA, EPSP_NA),
             "epsp_0.8": (0.0, STRONG_NA), "bac_0.8": (PULSE_NA, STRONG_NA),
             "ca_burst": (0.0, 3 * EPSP_NA)}  # (somatic pulse, EPSP peak) in nA


def epsp_current_nA(t_ms: np.ndarray, onset: float, imax: float, tau0: float = EPSP_TAU0,
                    tau1: float = EPSP_TAU1) -> np.ndarray:
    """Hay's ``epsp.mod`` as an injected current (positive = into the cell): a difference of
    exponentials scaled to peak at ``imax``, zero before ``onset``."""
    tpeak = tau0 * tau1 * np.log(tau0 / tau1) / (tau0 - tau1)
    amp = imax / ((1 - np.exp(-tpeak / tau0)) - (1 - np.exp(-tpeak / tau1)))
    s = np.clip(np.asarray(t_ms, dtype=float) - onset, 0.0, None)
    return np.where(t_ms < onset, 0.0, amp * (np.exp(-s / tau1) - np.exp(-s / tau0)))


def run(cell: Cell, pulse_nA: float, epsp_nA: float, tstop: float = 400.0, dt: float = 0.025,
        method: str = "cn", syn_uS: float = 0.0) -> dict:
    """One BAC_firing.hoc protocol at fixed ``dt`` (``method`` ``cn``: NEURON's
    ``secondorder = 2``; ``be``: backward Euler); ``syn_uS`` > 0 adds an Exp2Syn (0.5/5 ms,
    0 mV, that peak conductance) at the EPSP site, activated one step after the EPSP onset (a
    spike input with a one-step delay). Returns t, v at the soma, on the trunk at TRUNK_UM
    and at the EPSP site, and the run's wall-clock and CPU seconds."""
    import time

    h = cell.h
    soma = cell.soma[0](0.5)
    site = cell.on_trunk(EPSP_SITE_UM)
    pulse = h.IClamp(soma)
    pulse.delay, pulse.dur, pulse.amp = PULSE_AT, PULSE_MS, pulse_nA
    epsp = h.IClamp(site)
    epsp.delay, epsp.dur = 0.0, 1e9
    # played at every half step: NEURON evaluates currents at t + dt/2, as epsp.mod's curr(t)
    t_play = np.arange(0.0, tstop + dt, dt / 2)
    amp, t_amp = h.Vector(epsp_current_nA(t_play, PULSE_AT + BAC_DT, epsp_nA)), h.Vector(t_play)
    amp.play(epsp._ref_amp, t_amp, 1)
    syn = h.Exp2Syn(site)
    syn.tau1, syn.tau2, syn.e = EPSP_TAU0, EPSP_TAU1, 0.0
    con = h.NetCon(None, syn)
    con.weight[0] = syn_uS
    points = {"soma": soma, "epsp_site": site}
    points.update({f"trunk_{d:g}": cell.on_trunk(d) for d in TRUNK_UM})
    rec = {k: h.Vector().record(seg._ref_v) for k, seg in points.items()}
    t = h.Vector().record(h._ref_t)
    h.cvode_active(0)
    h.secondorder = 2 if method == "cn" else 0
    h.celsius, h.dt, h.steps_per_ms = CELSIUS, dt, 1.0 / dt
    start, cpu = time.perf_counter(), time.process_time()  # wall clock and this process's CPU
    h.finitialize(V_INIT)
    if syn_uS > 0:
        con.event(PULSE_AT + BAC_DT + dt)
    h.continuerun(tstop)
    out = {"t": np.array(t), "seconds": time.perf_counter() - start,
           "cpu_seconds": time.process_time() - cpu}
    out.update({k: np.array(v) for k, v in rec.items()})
    return out


def crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> list[float]:
    """Upward crossings of ``threshold`` (linear between samples)."""
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return [float(t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k])) for k in i]


def measure(cell: Cell, tstop: float = 400.0, dt: float = 0.025, method: str = "cn",
            syn_uS: float = 0.0) -> dict:
    """Every number of the reference: geometry, rest, the bAP along the trunk and the BAC
    protocols (somatic spikes, the Ca spike at the EPSP site), with run times. With
    ``syn_uS`` > 0 the dendritic input of ``epsp_syn`` and ``bac_syn`` is an Exp2Syn."""
    out = {"geometry": cell.geometry(), "nseg_rule": cell.nseg_rule,
           "epsp_site": str(cell.on_trunk(EPSP_SITE_UM)),
           "hay_site": str(cell.thickest_at(EPSP_SITE_UM))}
    protocols = dict(PROTOCOLS)
    if syn_uS > 0:
        protocols.update({"epsp_syn": (0.0, 0.0), "bac_syn": (PULSE_NA, 0.0)})
    for name, (pulse, epsp) in protocols.items():
        r = run(cell, pulse, epsp, tstop, dt, method, syn_uS if name.endswith("_syn") else 0.0)
        t = r["t"]
        before = (t >= PULSE_AT - 10) & (t < PULSE_AT)
        after = t >= PULSE_AT
        dend = r["epsp_site"]
        res = {"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"],
               "rest_mV": float(r["soma"][before].mean()),
               "spikes_ms": crossings(t, r["soma"]),
               "soma_peak_mV": float(r["soma"][after].max()),
               "dend_rest_mV": float(dend[before].mean()),
               "dend_peak_mV": float(dend[after].max()),
               "dend_above_m20_ms": float(np.sum(dend[after] > -20.0) * dt)}
        if name == "bap":  # mnsim's epsp_peak: the maximum minus v at the window's start
            at = int(np.argmin(np.abs(t - PULSE_AT)))  # the sample at 295 ms, before the pulse
            res["bap_amplitude_mV"] = {
                f"{d:g}": float(r[k][after].max() - r[k][at])
                for d, k in [(0.0, "soma")] + [(d, f"trunk_{d:g}") for d in TRUNK_UM]}
            res["bap_peak_mV"] = {f"{d:g}": float(r[f"trunk_{d:g}"][after].max())
                                  for d in TRUNK_UM}
        out[name] = res
    return out


def main(argv: list[str]) -> None:
    """``native_l5pc.py [--soma cylinder|import3d] [--axon stub|reconstructed]
    [--nseg d_lambda|hay] [--d-lambda 0.1] [--method cn|be] [--tstop 400] [--json]``"""
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, choices in (("--soma", ["cylinder", "import3d"]), ("--nseg", ["d_lambda", "hay"]),
                          ("--axon", ["stub", "reconstructed"]), ("--method", ["cn", "be"])):
        ap.add_argument(flag, default=choices[0], choices=choices)
    for flag, default in (("--d-lambda", 0.1), ("--dt", 0.025), ("--tstop", 400.0),
                          ("--synapse", 0.0)):  # --synapse: Exp2Syn peak conductance, uS
        ap.add_argument(flag, type=float, default=default)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    cell = Cell(a.soma, a.axon, a.nseg, a.d_lambda)
    out = measure(cell, a.tstop, a.dt, a.method, a.synapse)
    if a.json:
        print(json.dumps(out))
        return
    g = out["geometry"]
    print(f"soma {a.soma} (L {g['soma_L_um']:.2f} um, area {g['soma_area_um2']:.1f} um2), "
          f"axon {a.axon}, nseg {a.nseg} {a.d_lambda:g}: {g['sections']} sections, "
          f"{g['segments']} segments; {a.method}, dt {a.dt} ms, {a.tstop:g} ms")
    print(f"longest apical path {g['longest_apical_um']:.1f} um; EPSP site {out['epsp_site']} "
          f"(Hay's thickest-branch rule: {out['hay_site']})")
    print(f"rest (285-295 ms): soma {out['bap']['rest_mV']:.2f} mV, EPSP site "
          f"{out['bap']['dend_rest_mV']:.2f} mV; bAP amplitude (peak - v at 295 ms): " + ", ".join(
              f"{d} um {v:.1f} mV" for d, v in out["bap"]["bap_amplitude_mV"].items()))
    print(f"{'protocol':10} {'spikes (ms)':28} {'soma peak':>9} {'dend peak':>9} "
          f"{'>-20 mV':>8} {'cpu s':>6}")
    for name in [k for k in out if isinstance(out[k], dict) and "spikes_ms" in out[k]]:
        r = out[name]
        spikes = ", ".join(f"{s:.1f}" for s in r["spikes_ms"]) or "-"
        print(f"{name:10} {spikes:28} {r['soma_peak_mV']:9.1f} {r['dend_peak_mV']:9.1f} "
              f"{r['dend_above_m20_ms']:8.2f} {r['cpu_seconds']:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
