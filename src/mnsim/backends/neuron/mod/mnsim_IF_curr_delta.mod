COMMENT
mnsim IF_curr_delta: leaky integrate-and-fire neuron whose synaptic inputs make v jump by the
weight (mV; Brunel 2000, NEST's iaf_psc_delta).

Insert one in a single-compartment section whose total capacitance is c_m (nF); the point
process carries the leak and offset currents, threshold detection, reset and the refractory
clamp (see mnsim_IF_curr_exp.mod). Synaptic input: NetCons with the weight vector of
mnsim_synapses.inc; the delivered weight is added to v, unless the event arrives within
tau_refrac after a spike (NEST discards inputs that arrive in (t_spike, t_spike + tau_refrac]).

NEST adds all the jumps of a time step, then compares v with v_thresh. NEURON delivers the
events of one time in no particular order, so neither a jump nor a crossing by integration
(the WATCH, flag 2) fires at once: each schedules a check (flag 4) at check_delay steps after
the step boundary, after every event of that boundary is in (every event of an mnsim model
arrives at a boundary, give or take NEURON's round-off); the check fires if v >= v_thresh.
NEURON cannot emit a spike at an earlier time than the present, so the spike leaves at the
check, check_delay steps late: the backend shortens the delays of this cell's NetCons by as
much (their events arrive at the boundaries again) and rounds the recorded times to the grid.
The recorders sample 1e-4 steps after a boundary, after the check: they see the reset.
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_curr_delta
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset
    RANGE g_clamp, g_on, t_spike, checking
    NONSPECIFIC_CURRENT i
}

INCLUDE "mnsim_synapses.inc"

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (nF) = (nanofarad)
    (uS) = (microsiemens)
}

PARAMETER {
    c_m = 1 (nF)
    tau_m = 20 (ms)
    v_rest = -65 (mV)
    v_reset = -65 (mV)
    v_thresh = -50 (mV)
    tau_refrac = 0.1 (ms)
    i_offset = 0 (nA)
    g_on = 1e6 (uS) : refractory clamp conductance
    check_delay = 1e-6  : (steps) the check after a boundary: above round-off, below 1e-4
}

ASSIGNED {
    v (mV)
    i (nA)
    g_clamp (uS)
    t_spike (ms)  : the last spike
    checking      : 1 while a check is scheduled
}

INITIAL {
    g_clamp = 0
    t_spike = -1e9
    checking = 0
    syn_reset()
    net_send(0, 1)
}

FUNCTION wait(te (ms)) (ms) {
    : the delay to te, never negative (an event that arrives late, from a NetCon whose delay
    : was not shortened by check_delay, is checked at once)
    wait = te - t
    if (wait < 0) {
        wait = 0
    }
}

BREAKPOINT {
    i = (c_m / tau_m) * (v - v_rest) + g_clamp * (v - v_reset) - i_offset
}

NET_RECEIVE (weight, receptor, synapse, q1, q2, q3, q4, q5, q6, q7, q8, z1, z2, z3, z4, z5, z6) {
    LOCAL tg, visit
    INITIAL {
        syn_initial(weight, synapse)
        z1 = syn_z1  z2 = syn_z2  z3 = syn_z3  z4 = syn_z4  z5 = syn_z5  z6 = syn_z6
    }
    visit = 0
    tg = on_grid(t)
    if (flag == 0) {
        if (synapse == 0) {
            syn_out = weight
        } else {
            syn_event(t, weight, synapse, q1, q2, q3, q4, q5, q6, q7, q8, z1, z2, z3, z4, z5, z6)
            weight = syn_weight
            z1 = syn_z1  z2 = syn_z2  z3 = syn_z3  z4 = syn_z4  z5 = syn_z5  z6 = syn_z6
            visit = syn_visit
        }
        if (tg - t_spike > tau_refrac + 0.5 * dt) {
            v = v + syn_out
            if (v >= v_thresh && checking == 0) {
                checking = 1
                net_send(wait(tg + check_delay * dt), 4)
            }
        }
    } else if (flag == 1) {
        WATCH (v > v_thresh) 2
    } else if (flag == 2) {
        if (checking == 0) {
            checking = 1
            net_send(wait(tg + check_delay * dt), 4)
        }
    } else if (flag == 4) {
        checking = 0
        if (v >= v_thresh && tg - t_spike > tau_refrac + 0.5 * dt) {
            t_spike = tg
            net_event(t)
            v = v_reset
            if (tau_refrac > 0) {
                g_clamp = g_on
                net_send(wait(tg + tau_refrac), 3)
            }
            visit = post_spike(tg)
        }
    } else if (flag == 3) {
        g_clamp = 0
        v = v_reset
    }
    if (visit) {
        FOR_NETCONS (w_, r_, s_, a1, a2, a3, a4, a5, a6, a7, a8, b1, b2, b3, b4, b5, b6) {
            if (s_ == 2) {
                stdp_count(t, a1, a2, a3, a4, a5, a6, a7, a8, b1, b2, b3, b4, b5, b6)
                w_ = syn_z1  b1 = syn_z1  b4 = syn_z4  b5 = syn_z5  b6 = syn_z6
            }
        }
    }
}
