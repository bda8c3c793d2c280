TITLE leak_pS: a leak whose conductance is in pS/um2 (an mnsim test of .mod files)
COMMENT
NEURON's pas written again, with the conductance in the units many published channels use
(1 pS/um2 = 1e-4 S/cm2): i = gl (v - el), outward, mA/cm2.
  PARAMETER { ignored = 1 (mV) }  : inside a comment: not a parameter
ENDCOMMENT

NEURON {
    SUFFIX leak_pS
    NONSPECIFIC_CURRENT i
    RANGE gl, el, i
    GLOBAL unused_global
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (pS) = (picosiemens)
    (um) = (micron)
}

PARAMETER {
    gl = 1 (pS/um2)    : 1e-4 S/cm2
    el = -70 (mV)      ? the reversal potential
    unused_global = 3 (1)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = (1e-4)*gl*(v - el)
}
