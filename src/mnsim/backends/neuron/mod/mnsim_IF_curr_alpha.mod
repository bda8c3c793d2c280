COMMENT
mnsim IF_curr_alpha: leaky integrate-and-fire neuron with alpha-function synaptic currents
(a weight w gives i(t) = w (t/tau) exp(1 - t/tau): peak w at t = tau_syn).

Insert one in a single-compartment section whose total capacitance is c_m (nF). The point
process carries the leak, synaptic and offset currents, threshold detection, reset and the
refractory clamp (see mnsim_IF_curr_exp.mod). The synaptic states are advanced by their exact
one-step propagator (fixed step only). Synaptic input: NetCons with the weight vector of
mnsim_synapses.inc; the delivered weight (nA, negative onto the inhibitory receptor) is added
to y_exc or y_inh. During a step the membrane sees the current's exact mean over the step
(f_E i_exc + e r_E y_exc; see mnsim_IF_curr_exp.mod).
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_curr_alpha
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, tau_syn_E, tau_syn_I
    RANGE i_exc, i_inh, y_exc, y_inh, g_clamp, g_on, refractory
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
    tau_syn_E = 5 (ms)
    tau_syn_I = 5 (ms)
    g_on = 1e6 (uS)  : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    i (nA)
    i_exc (nA)
    i_inh (nA)
    y_exc (nA)
    y_inh (nA)
    g_clamp (uS)
    refractory
    f_E           : step_mean(tau_syn_E): the mean factor of the synaptic kernels in a step
    f_I
    r_E           : step_mean_ramp(tau_syn_E), for the rising part
    r_I
}

INITIAL {
    i_exc = 0
    i_inh = 0
    y_exc = 0
    y_inh = 0
    g_clamp = 0
    refractory = 0
    f_E = step_mean(tau_syn_E)
    f_I = step_mean(tau_syn_I)
    r_E = step_mean_ramp(tau_syn_E)
    r_I = step_mean_ramp(tau_syn_I)
    syn_reset()
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE synapses
    i = (c_m / tau_m) * (v - v_rest) + g_clamp * (v - v_reset) - i_offset
        - (f_E * i_exc + exp(1) * r_E * y_exc) - (f_I * i_inh + exp(1) * r_I * y_inh)
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

NET_RECEIVE (weight, receptor, synapse, q1, q2, q3, q4, q5, q6, q7, q8, z1, z2, z3, z4, z5, z6) {
    LOCAL visit
    INITIAL {
        syn_initial(weight, synapse)
        z1 = syn_z1  z2 = syn_z2  z3 = syn_z3  z4 = syn_z4  z5 = syn_z5  z6 = syn_z6
    }
    visit = 0
    if (flag == 0) {
        if (synapse == 0) {
            syn_out = weight
        } else {
            syn_event(t, weight, synapse, q1, q2, q3, q4, q5, q6, q7, q8, z1, z2, z3, z4, z5, z6)
            weight = syn_weight
            z1 = syn_z1  z2 = syn_z2  z3 = syn_z3  z4 = syn_z4  z5 = syn_z5  z6 = syn_z6
            visit = syn_visit
        }
        if (receptor == 0) {
            y_exc = y_exc + syn_out
        } else {
            y_inh = y_inh + syn_out
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
            visit = post_spike(t)
        }
    } else if (flag == 3) {
        refractory = 0
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
