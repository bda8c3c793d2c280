"""Voltage clamp of channels in NEURON (:mod:`mnsim.channels.clamp`).

One single-segment section per step of the protocol, every channel inserted (their currents
are recorded apart: under a clamp with ``cai`` constant they do not interact), an ``SEClamp``
with a series resistance of 1e-9 MOhm (the recorded v equals the command to 1e-9 mV), backward
Euler at the protocol's dt. ``i_<name>`` is the generated mechanism's current density.
Calcium: ``eca`` and ``cai`` held at the protocol's values (``ion_style`` of constant
concentrations and reversal), as on Brian2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnsim.channels.clamp import ClampProtocol, ClampTraces
from mnsim.channels.model import Channel

SERIES_RESISTANCE_MOHM = 1e-9
ION_REVERSAL = {"na": "ena", "k": "ek", "ca": "eca"}


def clamp_currents(channels: Sequence[Channel],
                   protocol: ClampProtocol) -> dict[str, ClampTraces]:
    """Clamp ``channels`` (library or model channels: their NMODL is compiled and loaded as
    for a cell) through ``protocol``.

    Returns
    -------
    dict
        Channel name -> :class:`ClampTraces` (outward mA/cm2).
    """
    from neuron import h

    from mnsim.backends.neuron.mechanisms import ensure_cell_mechanisms
    from mnsim.catalogue.mechanisms import Resolved
    from mnsim.channels.library import library

    lib = library()
    ensure_cell_mechanisms([Resolved(ch.mechanism, "library" if lib.get(ch.name) == ch
                                     else "model", ch) for ch in channels])
    h.load_file("stdrun.hoc")
    h.celsius = protocol.celsius
    h.dt = protocol.dt_ms
    h.secondorder = 0
    sections, clamps, records = [], [], []
    for k, step in enumerate(protocol.steps_mV):
        sec = h.Section(name=f"mnsim_clamp_{k}")
        sec.L = sec.diam = 10.0
        sec.nseg = 1
        for ch in channels:
            sec.insert(ch.name)
        for ion, attr in ION_REVERSAL.items():
            if any(ch.ion == ion for ch in channels):
                setattr(sec, attr, protocol.reversal_mV[ion])
        if any(ch.ion == "ca" or ch.uses_cai for ch in channels):
            # eca as given and cai constant: NEURON would otherwise start eca from Nernst
            # because a mechanism reads cai (its default ion style)
            h.ion_style("ca_ion", 1, 1, 0, 0, 0, sec=sec)
            sec.cai = protocol.cai_mM
        vc = h.SEClamp(sec(0.5))
        vc.rs = SERIES_RESISTANCE_MOHM
        vc.dur1, vc.amp1 = protocol.hold_ms, protocol.hold_mV
        vc.dur2, vc.amp2 = protocol.step_ms, step
        seg = sec(0.5)
        v = h.Vector().record(seg._ref_v, protocol.dt_ms)
        cur = {ch.name: h.Vector().record(getattr(seg, f"_ref_i_{ch.name}"), protocol.dt_ms)
               for ch in channels}
        sections.append(sec)
        clamps.append(vc)
        records.append((v, cur))
    h.finitialize(protocol.hold_mV)
    h.continuerun(protocol.duration_ms)
    n = int(round(protocol.duration_ms / protocol.dt_ms)) + 1
    out = {}
    for ch in channels:
        v = np.array([np.asarray(rec[0])[:n] for rec in records])
        i = np.array([np.asarray(rec[1][ch.name])[:n] for rec in records])
        out[ch.name] = ClampTraces(v, i, protocol.dt_ms)
    del clamps, sections
    return out
