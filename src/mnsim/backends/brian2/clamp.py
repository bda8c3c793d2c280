"""Voltage clamp of channels in Brian2 (:mod:`mnsim.channels.clamp`).

A ``NeuronGroup`` with one neuron per step of the protocol whose ``v`` is the command itself
(``v = v_command(t, i)``, a 2-D ``TimedArray``), the channels' fragments
(:func:`mnsim.channels.equations.brian2_fragment`) integrated by exponential Euler, gates
started at steady state at the holding potential. The channels are the point-neuron use of
the same fragments a ``SpatialNeuron`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnsim.channels.clamp import ClampProtocol, ClampTraces
from mnsim.channels.model import Channel

MA_PER_CM2 = 10.0  # A/m2 in one mA/cm2


def clamp_currents(channels: Sequence[Channel], protocol: ClampProtocol,
                   target: str = "cython") -> dict[str, ClampTraces]:
    """Clamp ``channels`` through ``protocol`` in one Brian2 run.

    Returns
    -------
    dict
        Channel name -> :class:`ClampTraces` (outward mA/cm2).
    """
    import brian2 as b2

    from mnsim.channels.equations import brian2_fragment

    b2.start_scope()
    b2.prefs.codegen.target = target
    frags = [brian2_fragment(ch) for ch in channels]
    n_hold = int(round(protocol.hold_ms / protocol.dt_ms))
    n_total = int(round(protocol.duration_ms / protocol.dt_ms)) + 1
    command = np.full((n_total, len(protocol.steps_mV)), protocol.hold_mV)
    command[n_hold:, :] = np.asarray(protocol.steps_mV)[None, :]
    v_command = b2.TimedArray(command * b2.mV, dt=protocol.dt_ms * b2.ms)
    shared = ("v = v_command(t, i) : volt\n"
              "celsius : 1 (constant, shared)\n"
              "ena : volt (constant, shared)\nek : volt (constant, shared)\n"
              "eca : volt (constant, shared)\ncai : mmolar (constant, shared)\n")
    eqs = shared + "".join(f.equations for f in frags)
    group = b2.NeuronGroup(len(protocol.steps_mV), eqs, method="exponential_euler",
                           namespace={"v_command": v_command}, dt=protocol.dt_ms * b2.ms,
                           name="mnsim_clamp")
    group.celsius = protocol.celsius
    rev = protocol.reversal_mV
    group.ena, group.ek, group.eca = rev["na"] * b2.mV, rev["k"] * b2.mV, rev["ca"] * b2.mV
    group.cai = protocol.cai_mM * b2.mmolar
    for ch, frag in zip(channels, frags):
        for p in ch.params:
            var, si = frag.parameters[p.name]
            setattr(group, f"{var}_", _default(p) * si)
        for state, expr in frag.steady_state.items():
            setattr(group, state, expr)
    currents = [f.current for f in frags]
    mon = b2.StateMonitor(group, ["v", *currents], record=True, dt=protocol.dt_ms * b2.ms)
    net = b2.Network(group, mon)
    net.run(protocol.duration_ms * b2.ms + protocol.dt_ms * b2.ms, namespace={})
    v = np.asarray(mon.v_)[:, :n_total] / 1e-3
    return {ch.name: ClampTraces(v, -np.asarray(getattr(mon, f"{cur}_"))[:, :n_total]
                                 / MA_PER_CM2, protocol.dt_ms)
            for ch, cur in zip(channels, currents)}


def _default(param) -> float:
    """A parameter's default in its catalogue unit."""
    from mnsim.units import to_unit

    return to_unit(param.default, param.unit)
