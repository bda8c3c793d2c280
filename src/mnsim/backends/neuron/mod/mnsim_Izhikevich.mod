COMMENT
mnsim Izhikevich: the Izhikevich (2003) simple model

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I,    du/dt = a (b v - u)

with v in mV, t in ms and I = (i_offset + injected current) / c_m, c_m = 1 pF as in PyNN and
NEST (10 pA gives I = 10). Insert one in a single-compartment section whose total capacitance
is c_m. When v rises above v_thresh (30 mV) a self-event at the end of that step emits the
spike and sets v = c, u += d. NetCon weights (mV) are added to v, as NEST's izhikevich does.
ENDCOMMENT

NEURON {
    POINT_PROCESS mnsim_Izhikevich
    RANGE a, b, c, d, i_offset, c_m, v_thresh, u_init, u
    NONSPECIFIC_CURRENT i
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (nF) = (nanofarad)
}

PARAMETER {
    a = 0.02 (/ms)
    b = 0.2 (/ms)
    c = -65 (mV)
    d = 2 (mV/ms)
    i_offset = 0 (nA)
    c_m = 0.001 (nF)
    v_thresh = 30 (mV)
    u_init = -14 (mV/ms)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    u (mV/ms)
}

INITIAL {
    u = u_init
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = -c_m * (0.04 * v * v + 5 * v + 140 - u) - i_offset
}

DERIVATIVE states {
    u' = a * (b * v - u)
}

NET_RECEIVE (weight (mV)) {
    if (flag == 0) {
        v = v + weight
    } else if (flag == 1) {
        WATCH (v > v_thresh) 2
    } else if (flag == 2) {
        net_event(t)
        v = c
        u = u + d
    }
}
