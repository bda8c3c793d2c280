COMMENT
mnsim IF_cond_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic
conductances.

Insert one in a single-compartment section whose total capacitance is c_m (nF). The point
process carries the leak, synaptic and offset currents, threshold detection, reset and the
refractory clamp (see mnsim_IF_curr_exp.mod). NetCon weights (uS): > 0 excitatory
(g_exc += w), < 0 inhibitory (g_inh += |w|).
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_cond_exp
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, tau_syn_E, tau_syn_I
    RANGE e_rev_E, e_rev_I, g_exc, g_inh, g_clamp, g_on, refractory
    NONSPECIFIC_CURRENT i
}

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
    tau_syn_E = 5 (ms)
    tau_syn_I = 5 (ms)
    e_rev_E = 0 (mV)
    e_rev_I = -70 (mV)
    g_on = 1e6 (uS)  : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    i (nA)
    g_clamp (uS)
    refractory
}

STATE {
    g_exc (uS)
    g_inh (uS)
}

INITIAL {
    g_exc = 0
    g_inh = 0
    g_clamp = 0
    refractory = 0
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE synapses METHOD cnexp
    i = (c_m / tau_m) * (v - v_rest) + g_exc * (v - e_rev_E) + g_inh * (v - e_rev_I)
        + g_clamp * (v - v_reset) - i_offset
}

DERIVATIVE synapses {
    g_exc' = -g_exc / tau_syn_E
    g_inh' = -g_inh / tau_syn_I
}

NET_RECEIVE (weight (uS)) {
    if (flag == 0) {
        if (weight > 0) {
            g_exc = g_exc + weight
        } else {
            g_inh = g_inh - weight
        }
    } else if (flag == 1) {
        WATCH (v > v_thresh) 2
    } else if (flag == 2) {
        if (refractory == 0) {
            net_event(t)
            v = v_reset
            if (tau_refrac > 0) {
                refractory = 1
                g_clamp = g_on
                net_send(tau_refrac, 3)
            }
        }
    } else if (flag == 3) {
        refractory = 0
        g_clamp = 0
        v = v_reset
    }
}
