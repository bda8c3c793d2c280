COMMENT
mnsim IF_curr_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic
currents. Insert one in a single-compartment section whose total capacitance is c_m (nF); the
point process carries the leak, the synaptic and offset currents, threshold detection, reset
and the refractory clamp, so the section needs no other mechanism.

On the step during which v rises above v_thresh a self-event is delivered at the end of that
step: it emits the spike (net_event), sets v = v_reset and clamps v there with a large
conductance for tau_refrac. NetCon weights (nA): > 0 excitatory, < 0 inhibitory.
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_curr_exp
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset
    RANGE tau_syn_E, tau_syn_I, i_exc, i_inh, g_clamp, g_on, refractory
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
    g_on = 1e6 (uS) : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    i (nA)
    g_clamp (uS)
    refractory
}

STATE {
    i_exc (nA)
    i_inh (nA)
}

INITIAL {
    i_exc = 0
    i_inh = 0
    g_clamp = 0
    refractory = 0
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE synapses METHOD cnexp
    i = (c_m / tau_m) * (v - v_rest) + g_clamp * (v - v_reset) - i_exc - i_inh - i_offset
}

DERIVATIVE synapses {
    i_exc' = -i_exc / tau_syn_E
    i_inh' = -i_inh / tau_syn_I
}

NET_RECEIVE (weight (nA)) {
    if (flag == 0) {
        if (weight > 0) {
            i_exc = i_exc + weight
        } else {
            i_inh = i_inh + weight
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
