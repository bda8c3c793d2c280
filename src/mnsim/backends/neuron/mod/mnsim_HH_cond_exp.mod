COMMENT
mnsim HH_cond_exp: single-compartment Hodgkin-Huxley neuron with Traub & Miles (1991) kinetics
and exponentially decaying synaptic conductances (NEST's hh_cond_exp_traub, PyNN's
HH_cond_exp), in absolute units: conductances in uS, currents in nA. Insert one in a
single-compartment section whose total capacitance is the cell's cm (nF).

    i = gbar_Na m^3 h (v - e_rev_Na) + gbar_K n^4 (v - e_rev_K) + g_leak (v - e_rev_leak)
        + g_exc (v - e_rev_E) + g_inh (v - e_rev_I) - i_offset

with NEST's rate functions of V = v - v_offset (1/ms). The gates start at their steady state
for the initial v; they and the conductances are advanced by cnexp (exact for the v of the
step).

Spikes follow NEST's rule, which is not a threshold crossing: a spike is emitted at the end of
a step at whose end v >= v_offset + 30 mV and v is lower than at the step's start (v has just
passed its peak), unless the previous spike is less than tau_refrac + dt before (NEST skips
the check for tau_refrac/dt steps after a spike); v is not reset or clamped. The rule is
evaluated after each step (AFTER SOLVE) and a detected peak flips `parity`; the two WATCH
statements turn each flip into a self-event at that time, which emits the spike (NEURON allows
net_event only in NET_RECEIVE, and a WATCH fires only when its condition turns true, so one
condition could not fire in two consecutive steps).

Synaptic input: NetCons with the weight vector of mnsim_synapses.inc; the delivered
conductance (uS) is added to g_exc or g_inh, which act during a step with their exact mean
over the step (f_E g_exc; see mnsim_IF_curr_exp.mod).
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_HH_cond_exp
    RANGE gbar_Na, gbar_K, g_leak, v_offset, e_rev_Na, e_rev_K, e_rev_leak, e_rev_E, e_rev_I
    RANGE tau_syn_E, tau_syn_I, tau_refrac, i_offset
    RANGE m, h, n, g_exc, g_inh, v_prev, t_spike, parity
    NONSPECIFIC_CURRENT i
}

INCLUDE "mnsim_synapses.inc"

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
}

PARAMETER {
    gbar_Na = 20 (uS)
    gbar_K = 6 (uS)
    g_leak = 0.01 (uS)
    v_offset = -63 (mV)
    e_rev_Na = 50 (mV)
    e_rev_K = -90 (mV)
    e_rev_leak = -65 (mV)
    e_rev_E = 0 (mV)
    e_rev_I = -80 (mV)
    tau_syn_E = 0.2 (ms)
    tau_syn_I = 2 (ms)
    tau_refrac = 2 (ms)
    i_offset = 0 (nA)
}

ASSIGNED {
    v (mV)
    i (nA)
    minf
    hinf
    ninf
    mtau (ms)
    htau (ms)
    ntau (ms)
    v_prev (mV)   : v at the end of the previous step
    t_spike (ms)  : the last spike
    parity        : flips at each spike
    f_E           : step_mean(tau_syn_E): the mean factor of the synaptic kernels in a step
    f_I
}

STATE {
    m
    h
    n
    g_exc (uS)
    g_inh (uS)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
    g_exc = 0
    g_inh = 0
    v_prev = v
    t_spike = -1e9
    parity = 0
    f_E = step_mean(tau_syn_E)
    f_I = step_mean(tau_syn_I)
    syn_reset()
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar_Na * m * m * m * h * (v - e_rev_Na) + gbar_K * n * n * n * n * (v - e_rev_K)
        + g_leak * (v - e_rev_leak) + f_E * g_exc * (v - e_rev_E)
        + f_I * g_inh * (v - e_rev_I) - i_offset
}

AFTER SOLVE {
    if (v >= v_offset + 30 && v < v_prev && t - t_spike > tau_refrac + 0.5 * dt) {
        t_spike = on_grid(t)
        parity = 1 - parity
    }
    v_prev = v
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
    n' = (ninf - n) / ntau
    g_exc' = -g_exc / tau_syn_E
    g_inh' = -g_inh / tau_syn_I
}

PROCEDURE rates(v (mV)) {
    LOCAL u, a, b
    UNITSOFF
    u = v - v_offset
    a = 0.32 * vtrap(13 - u, 4)
    b = 0.28 * vtrap(u - 40, 5)
    mtau = 1 / (a + b)
    minf = a * mtau
    a = 0.128 * exp((17 - u) / 18)
    b = 4 / (1 + exp((40 - u) / 5))
    htau = 1 / (a + b)
    hinf = a * htau
    a = 0.032 * vtrap(15 - u, 5)
    b = 0.5 * exp((10 - u) / 40)
    ntau = 1 / (a + b)
    ninf = a * ntau
    UNITSON
}

FUNCTION vtrap(x, y) {
    : x / (exp(x/y) - 1), continuous at x = 0
    if (fabs(x / y) < 1e-6) {
        vtrap = y * (1 - x / y / 2)
    } else {
        vtrap = x / (exp(x / y) - 1)
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
        WATCH (parity > 0.5) 2
        WATCH (parity < 0.5) 2
    } else if (flag == 2) {
        net_event(t)
        visit = post_spike(t)
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
