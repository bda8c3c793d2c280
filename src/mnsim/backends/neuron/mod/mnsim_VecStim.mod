COMMENT
mnsim VecStim: an artificial cell that emits one event at each time of a Vector (play(vec)),
in order; a time given twice is emitted twice. NEURON 9 ships no VecStim; this is the VecStim
of NEURON's examples (share/examples/nrniv/netcon/vecevent.mod), with the Vector held in a
BBCOREPOINTER as there. The Vector must be sorted; the cell keeps a reference to it.
ENDCOMMENT

NEURON {
    THREADSAFE
    ARTIFICIAL_CELL mnsim_VecStim
    BBCOREPOINTER ptr
}

ASSIGNED {
    index
    etime (ms)
    ptr
}

INITIAL {
    index = 0
    element()
    if (index > 0) {
        net_send(wait(etime), 1)
    }
}

NET_RECEIVE (w) {
    if (flag == 1) {
        net_event(t)
        element()
        if (index > 0) {
            net_send(wait(etime), 1)
        }
    }
}

FUNCTION wait(te (ms)) (ms) {
    : the delay to te, never negative (a time given twice: t may exceed it by a rounding error)
    wait = te - t
    if (wait < 0) {
        wait = 0
    }
}

DESTRUCTOR {
VERBATIM
    IvocVect* vv = (IvocVect*) (_p_ptr);
    if (vv) {
        hoc_obj_unref(*vector_pobj(vv));
    }
ENDVERBATIM
}

PROCEDURE element() {
    : the next time into etime (index counts from 1), or index = -1 after the last
VERBATIM
    {
        int i = (int) index;
        if (i >= 0) {
            IvocVect* vv = (IvocVect*) (_p_ptr);
            if (vv && i < vector_capacity(vv)) {
                etime = vector_vec(vv)[i];
                index += 1.;
            } else {
                index = -1.;
            }
        }
    }
ENDVERBATIM
}

PROCEDURE play() {
    : play(vec): emit the times of vec from the next initialisation on
VERBATIM
    {
        IvocVect* vnew = NULL;
        void** pv = (void**) (&_p_ptr);
        if (ifarg(1)) {
            vnew = vector_arg(1);
            hoc_obj_ref(*vector_pobj(vnew));
        }
        if (*pv) {
            hoc_obj_unref(*vector_pobj((IvocVect*) *pv));
        }
        *pv = vnew;
    }
ENDVERBATIM
}

VERBATIM
static void bbcore_write(double* x, int* d, int* xx, int* offset, _threadargsproto_) {}
static void bbcore_read(double* x, int* d, int* xx, int* offset, _threadargsproto_) {}
ENDVERBATIM
