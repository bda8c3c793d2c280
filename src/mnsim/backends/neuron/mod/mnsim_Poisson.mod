COMMENT
mnsim Poisson: an artificial cell that emits a Poisson train of `rate` (Hz) on
start <= t < stop, from its own Random123 stream (set_ids on `ranvar`). As NEURON's NetStim
with noise = 1, the intervals are exponential draws; unlike NetStim, each spike is emitted at
the end of the time step in which it falls (mnsim's spike convention, as the trains mnsim
draws itself: two spikes in one step are two events at the same time) and nothing is emitted
from `stop` on (NetStim has no end time).
ENDCOMMENT

NEURON {
    THREADSAFE
    ARTIFICIAL_CELL mnsim_Poisson
    RANGE rate, start, stop
    RANDOM ranvar
}

PARAMETER {
    rate = 0 (/s)
    start = 0 (ms)
    stop = 1e9 (ms)
}

ASSIGNED {
    dt (ms)
    tnext (ms)  : the next spike, in continuous time
}

INITIAL {
    random_setseq(ranvar, 0)
    if (rate > 0) {
        tnext = start + interval()
        if (tnext < stop) {
            net_send(wait(step_end(tnext)), 1)
        }
    }
}

NET_RECEIVE (w) {
    if (flag == 1) {
        net_event(t)
        tnext = tnext + interval()
        if (tnext < stop) {
            net_send(wait(step_end(tnext)), 1)
        }
    }
}

FUNCTION interval() (ms) {
    interval = 1000 * random_negexp(ranvar) / rate
}

FUNCTION wait(te (ms)) (ms) {
    : the delay to te, never negative (a spike in the present step: t may exceed te by a
    : rounding error)
    wait = te - t
    if (wait < 0) {
        wait = 0
    }
}

FUNCTION step_end(x (ms)) (ms) {
    : the end of the time step that holds x (as mnsim.draw.poisson_trains stamps)
    step_end = (floor(x / dt + 1e-9) + 1) * dt
}
