COMMENT
mnsim EIF_cond_exp_isfa_ista: adaptive exponential integrate-and-fire neuron (AdEx; Brette &
Gerstner 2005) with exponentially decaying synaptic conductances.

    c_m dv/dt = -g_L (v - v_rest) + g_L delta_T exp((v - v_thresh)/delta_T) - w + i_syn + i_offset
    tau_w dw/dt = a (v - v_rest) - w,        g_L = c_m / tau_m

Insert one in a single-compartment section whose total capacitance is c_m (nF). When v rises
above v_spike (v_thresh if delta_T = 0) a self-event at the end of that step emits the spike,
sets v = v_reset, w += b and clamps v at v_reset for tau_refrac (w keeps evolving).

The exponential current I_exp = g_L delta_T exp((v - v_thresh)/delta_T) is linearised once
per step at the v of the step's start, v0 (BEFORE BREAKPOINT), as I_exp(v0) + g_exp (v - v0),
and enters NEURON's implicit step through the slope g_exp = I_exp(v0)/delta_T. That slope
reaches c_m/dt exactly when the exponential alone would carry v to infinity within the step
(exp(-(v - v_thresh)/delta_T) falls at 1/tau_m), and a slope of 2 c_m/dt would make the
Crank-Nicolson step reverse and pull v down instead of letting it spike. So from a slope of
c_m/dt on, the spike belongs to this step: I_exp becomes the fixed current
2 c_m (v_spike - v_thresh)/dt (slope 0), which carries v across v_spike by at most about
v_spike - v_thresh. Below that (v < -34.8 mV for the usual parameters at dt = 0.01 ms, so
always when v_spike = -40 mV) the step is NEURON's usual linearised one. Letting v overshoot
freely instead (1e14 mV for v_spike = 20 mV at dt = 0.1 ms) would leave that value on the
section's zero-area end nodes, which Crank-Nicolson flips in sign every step without damping,
and rounding errors would leak it into v for the rest of the run. As in NEST's aeif models,
the exponential and the adaptation see v capped at v_spike.
Synaptic input: NetCons with the weight vector of mnsim_synapses.inc; the delivered
conductance (uS) is added to g_exc or g_inh, which act during a step with their exact mean
over the step (f_E g_exc; as in mnsim_IF_curr_exp.mod).
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_EIF_cond_exp_isfa_ista
    RANGE c_m, tau_m, v_rest, v_reset, v_thresh, v_spike, delta_T, a, b, tau_w, tau_refrac
    RANGE i_offset, tau_syn_E, tau_syn_I, e_rev_E, e_rev_I, w_init
    RANGE w, g_exc, g_inh, g_clamp, g_on, refractory, i_exp, g_exp
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
    c_m = 0.281 (nF)
    tau_m = 9.3667 (ms)
    v_rest = -70.6 (mV)
    v_reset = -70.6 (mV)
    v_thresh = -50.4 (mV)
    v_spike = -40 (mV)
    delta_T = 2 (mV)
    a = 0.004 (uS)
    b = 0.0805 (nA)
    tau_w = 144 (ms)
    tau_refrac = 0.1 (ms)
    i_offset = 0 (nA)
    tau_syn_E = 5 (ms)
    tau_syn_I = 5 (ms)
    e_rev_E = 0 (mV)
    e_rev_I = -80 (mV)
    w_init = 0 (nA)
    g_on = 1e6 (uS)  : refractory clamp conductance
}

ASSIGNED {
    v (mV)
    i (nA)
    i_exp (nA)  : the exponential current at v0, the v of the step's start
    g_exp (uS)  : its slope used in the step (see above)
    v0 (mV)
    g_clamp (uS)
    refractory
    f_E           : step_mean(tau_syn_E): the mean factor of the synaptic kernels in a step
    f_I
}

STATE {
    w (nA)
    g_exc (uS)
    g_inh (uS)
}

INITIAL {
    w = w_init
    g_exc = 0
    g_inh = 0
    g_clamp = 0
    refractory = 0
    linearise_exp()
    f_E = step_mean(tau_syn_E)
    f_I = step_mean(tau_syn_I)
    syn_reset()
    net_send(0, 1)
}

BEFORE BREAKPOINT {
    linearise_exp()
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = (c_m / tau_m) * (v - v_rest) - (i_exp + g_exp * (v - v0)) + w
        + f_E * g_exc * (v - e_rev_E) + f_I * g_inh * (v - e_rev_I)
        + g_clamp * (v - v_reset) - i_offset
}

DERIVATIVE states {
    w' = (a * (capped(v) - v_rest) - w) / tau_w
    g_exc' = -g_exc / tau_syn_E
    g_inh' = -g_inh / tau_syn_I
}

FUNCTION capped(v (mV)) (mV) {
    : v, at most v_spike (the right-hand side of NEST's aeif models sees min(V, V_peak))
    if (v > v_spike) {
        capped = v_spike
    } else {
        capped = v
    }
}

PROCEDURE linearise_exp() {
    : I_exp and its slope at v0 = v (capped at v_spike); from a slope of c_m/dt on (blow-up
    : within this step), the current that carries v across v_spike, with slope 0
    v0 = v
    i_exp = 0
    g_exp = 0
    if (delta_T > 0) {
        i_exp = (c_m / tau_m) * delta_T * exp((capped(v) - v_thresh) / delta_T)
        g_exp = i_exp / delta_T
        if (g_exp >= c_m / dt) {
            i_exp = 2 * c_m * (v_spike - v_thresh) / dt
            g_exp = 0
        }
    }
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
            g_exc = g_exc + syn_out
        } else {
            g_inh = g_inh + syn_out
        }
    } else if (flag == 1) {
        if (delta_T > 0) {
            WATCH (v > v_spike) 2
        } else {
            WATCH (v > v_thresh) 2
        }
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
