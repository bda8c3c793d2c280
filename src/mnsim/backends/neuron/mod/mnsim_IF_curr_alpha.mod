COMMENT
mnsim IF_curr_alpha: leaky integrate-and-fire neuron with alpha-function synaptic currents
(a weight w gives i(t) = w (t/tau) exp(1 - t/tau): peak w at t = tau_syn).

Insert one in a single-compartment section whose total capacitance is c_m (nF). The point
process carries the leak, synaptic and offset currents, threshold detection, reset and the
refractory clamp (see mnsim_IF_curr_exp.mod). The synaptic states are advanced by their exact
one-step propagator (fixed step only). NetCon weights (nA): > 0 excitatory, < 0 inhibitory.
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_curr_alpha
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, tau_syn_E, tau_syn_I
    RANGE i_exc, i_inh, y_exc, y_inh, g_clamp, g_on, refractory
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
    g_on = 1e6 (uS)  : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    dt (ms)
    i (nA)
    i_exc (nA)
    i_inh (nA)
    y_exc (nA)
    y_inh (nA)
    g_clamp (uS)
    refractory
}

INITIAL {
    i_exc = 0
    i_inh = 0
    y_exc = 0
    y_inh = 0
    g_clamp = 0
    refractory = 0
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE synapses
    i = (c_m / tau_m) * (v - v_rest) + g_clamp * (v - v_reset) - i_exc - i_inh - i_offset
}

PROCEDURE synapses() {
    : exact propagator of y' = -y/tau, i' = (e y - i)/tau over one step
    LOCAL decay
    decay = exp(-dt / tau_syn_E)
    i_exc = (i_exc + exp(1) * y_exc * dt / tau_syn_E) * decay
    y_exc = y_exc * decay
    decay = exp(-dt / tau_syn_I)
    i_inh = (i_inh + exp(1) * y_inh * dt / tau_syn_I) * decay
    y_inh = y_inh * decay
}

NET_RECEIVE (weight (nA)) {
    if (flag == 0) {
        if (weight > 0) {
            y_exc = y_exc + weight
        } else {
            y_inh = y_inh + weight
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
