"""Runs NEURON on the compiled test channels in its own process (NEURON cannot unload a
library) and prints the results as JSON: ``python run_neuron.py LIBRARY SCENARIO``.

Scenarios: ``hh`` (NEURON's built-in hh, with and without its rate tables, beside the
transcribed sq_na + sq_k + sq_leak), ``calcium`` (the calcium shell, a calcium leak, sk and
ca_hva under voltage clamp), ``cell`` (one compartment with every test channel).
"""

import json
import sys

import numpy as np
from neuron import h

AREA_UM2 = 100.0
STIM_UA_PER_CM2 = 10.0
GBAR_CA_HVA, GBAR_SK = 5e-5, 2e-4  # S/cm2 in the "cell" scenario: four spikes, adapting
CELL_TSTOP_MS = 60.0


def section(name, mechanisms):
    sec = h.Section(name=name)
    sec.L = sec.diam = (AREA_UM2 / np.pi) ** 0.5  # area pi d L = AREA_UM2
    sec.nseg = 1
    for mech in mechanisms:
        sec.insert(mech)
    return sec


def stimulate(sec):
    stim = h.IClamp(sec(0.5))
    stim.delay, stim.dur = 0, 1e9
    stim.amp = STIM_UA_PER_CM2 * 1e-3 * AREA_UM2 * 1e-8 * 1e6  # mA/cm2 * cm2 -> nA
    return stim


def crossings(t, v, threshold=0.0):
    """Upward threshold crossings, linearly interpolated between steps."""
    t, v = np.asarray(t), np.asarray(v)
    idx = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return [float(t[i] + (threshold - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i]))
            for i in idx]


def run(tstop, dt=0.01):
    h.dt, h.secondorder, h.celsius = dt, 2, 6.3
    h.finitialize(-65)
    while h.t < tstop - dt / 2:
        h.fadvance()


def hh():
    out = {}
    for usetable in (0, 1):
        h.usetable_hh = usetable
        builtin, generated = section("builtin", ["hh"]), section("gen", ["sq_na", "sq_k",
                                                                         "sq_leak"])
        stims = [stimulate(builtin), stimulate(generated)]
        t = h.Vector().record(h._ref_t)
        vb = h.Vector().record(builtin(0.5)._ref_v)
        vg = h.Vector().record(generated(0.5)._ref_v)
        run(50.0)
        out[f"hh_usetable{usetable}"] = crossings(t, vb)
        out["generated"] = crossings(t, vg)
        diff = np.abs(np.asarray(vb) - np.asarray(vg))
        out[f"max_dv_mV_usetable{usetable}"] = float(np.max(diff))
        del stims
    return out


def calcium():
    out = {}
    shell = section("shell", ["ca_dyn"])
    leak = section("leak", ["ca_dyn", "ca_leak"])
    h.ion_style("ca_ion", 3, 1, 0, 0, 1, sec=leak)  # eca a parameter, never recomputed
    leak(0.5).eca = 120.0
    clamp = h.SEClamp(leak(0.5))
    clamp.dur1, clamp.amp1, clamp.rs = 1e9, -20.0, 1e-6
    sk = section("sk", ["sk"])
    hva = section("hva", ["ca_hva"])
    hva_clamp = h.SEClamp(hva(0.5))
    hva_clamp.dur1, hva_clamp.amp1, hva_clamp.rs = 1e9, 0.0, 1e-6
    cdi = section("cdi", ["ca_cdi"])
    cdi_clamp = h.SEClamp(cdi(0.5))
    cdi_clamp.dur1, cdi_clamp.amp1, cdi_clamp.rs = 1e9, -10.0, 1e-6
    t = h.Vector().record(h._ref_t)
    rec = {"shell_cai": shell(0.5)._ref_cai, "leak_cai": leak(0.5)._ref_cai,
           "leak_ica": leak(0.5)._ref_ica, "leak_v": leak(0.5)._ref_v,
           "hva_m": hva(0.5)._ref_m_ca_hva, "hva_h": hva(0.5)._ref_h_ca_hva,
           "hva_v": hva(0.5)._ref_v}
    vecs = {k: h.Vector().record(ref) for k, ref in rec.items()}
    h.dt, h.secondorder, h.celsius = 0.025, 0, 6.3
    h.finitialize(-70)
    out["shell_cai0"] = shell(0.5).cai
    sk(0.5).cai = 4e-4  # no mechanism writes cai here: it stays
    cdi(0.5).cai = 2e-3
    while h.t < 100.0 - h.dt / 2:
        h.fadvance()
    out["t"] = list(t)
    out.update({k: list(v) for k, v in vecs.items()})
    out["sk_z"], out["sk_i"], out["sk_v"], out["sk_ek"] = (sk(0.5).z_sk, sk(0.5).i_sk,
                                                           sk(0.5).v, sk(0.5).ek)
    seg = cdi(0.5)
    out["cdi"] = {"v": seg.v, "eca": seg.eca, "cai": seg.cai, "i": seg.i_ca_cdi,
                  "ica": seg.ica, "hc": seg.hc_ca_cdi, "m": seg.m_ca_cdi}
    return out


def cell():
    sec = section("cell", ["sq_na", "sq_k", "sq_leak", "ca_hva", "sk", "ca_dyn"])
    sec(0.5).gbar_ca_hva = GBAR_CA_HVA
    sec(0.5).gbar_sk = GBAR_SK
    stim = stimulate(sec)
    t = h.Vector().record(h._ref_t)
    v = h.Vector().record(sec(0.5)._ref_v)
    cai = h.Vector().record(sec(0.5)._ref_cai)
    run(CELL_TSTOP_MS)
    del stim
    return {"spikes": crossings(t, v), "t": list(t), "cai": list(cai)}


if __name__ == "__main__":
    h.nrn_load_dll(sys.argv[1])
    print(json.dumps({"hh": hh, "calcium": calcium, "cell": cell}[sys.argv[2]]()))
