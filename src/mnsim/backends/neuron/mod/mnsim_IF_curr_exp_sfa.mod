COMMENT
mnsim IF_curr_exp_sfa: mnsim_IF_curr_exp.mod with spike-frequency adaptation, an adaptation
current w that jumps by b at each spike and decays with tau_w:

    c_m dv/dt = -(c_m / tau_m) (v - v_rest) + i_exc + i_inh + i_offset - w
    dw/dt = -w / tau_w

Everything else is mnsim_IF_curr_exp.mod's (read its comment): a self-event at the end of the
step during which v rose above v_thresh emits the spike, sets v = v_reset, clamps v there for
tau_refrac, and here also adds b to w. w decays exactly (cnexp) and, like the synaptic
currents, acts during a step with its exact mean over the step (f_W w), so the adaptation
charge of every step is exact.
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_IF_curr_exp_sfa
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset
    RANGE tau_syn_E, tau_syn_I, i_exc, i_inh, g_clamp, g_on, refractory
    RANGE b, tau_w, w, w_init
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
    b = 0 (nA)
    tau_w = 100 (ms)
    w_init = 0 (nA)
    g_on = 1e6 (uS) : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    i (nA)
    g_clamp (uS)
    refractory
    f_E           : step_mean(tau_syn_E): the mean factor of the synaptic kernels in a step
    f_I
    f_W           : step_mean(tau_w)
}

STATE {
    i_exc (nA)
    i_inh (nA)
    w (nA)
}

INITIAL {
    i_exc = 0
    i_inh = 0
    w = w_init
    g_clamp = 0
    refractory = 0
    f_E = step_mean(tau_syn_E)
    f_I = step_mean(tau_syn_I)
    f_W = step_mean(tau_w)
    syn_reset()
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE synapses METHOD cnexp
    i = (c_m / tau_m) * (v - v_rest) + g_clamp * (v - v_reset) - f_E * i_exc - f_I * i_inh
        - i_offset + f_W * w
}

DERIVATIVE synapses {
    i_exc' = -i_exc / tau_syn_E
    i_inh' = -i_inh / tau_syn_I
    w' = -w / tau_w
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
            i_exc = i_exc + syn_out
        } else {
            i_inh = i_inh + syn_out
        }
    } else if (flag == 1) {
        WATCH (v > v_thresh) 2
    } else if (flag == 2) {
        if (refractory == 0) {
            net_event(t)
            v = v_reset
            w = w + b
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
