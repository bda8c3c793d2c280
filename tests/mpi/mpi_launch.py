"""What the MPI tests share: a small network with a bit of everything, and ``mpiexec``."""

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np

import mnsim
from mnsim.results import final_weights

# a small network with a bit of everything the ranks must agree on: random weights and
# delays, HH cells (spikes from a v threshold), delta cells fed by stdp, depressing synapses
# from 9 cells onto a slice, Poisson, step, noise and spike-time inputs, v and a conductance
# recorded from a few neurons of each population
RICH = textwrap.dedent("""\
    name: rich
    simulation: {duration: 300 ms, dt: 0.1 ms, seed: 7}
    populations:
      exc:
        size: 60
        cell: {type: IF_cond_exp, params: {tau_refrac: 2 ms},
               initial: {v: {distribution: uniform, low: -65 mV, high: -52 mV}}}
      hh: {size: 7, cell: {type: HH_squid, area: 1000 um2}}
      delta: {size: 9, cell: {type: IF_curr_delta, params: {tau_refrac: 2 ms}}}
    projections:
      e_e: {pre: exc, post: exc, connector: {rule: fixed_probability, p: 0.2},
            synapse: {weight: {distribution: normal, mu: 3 nS, sigma: 1 nS, min: 0 nS},
                      delay: {distribution: uniform, low: 0.5 ms, high: 3 ms}},
            receptor: excitatory}
      hh_e: {pre: hh, post: exc, connector: {rule: all_to_all},
             synapse: {weight: 2 nS, delay: 1 ms}, receptor: inhibitory}
      e_d: {pre: exc, post: delta, connector: {rule: fixed_indegree, k: 10},
            synapse: {type: stdp, weight: 0.5 mV, delay: 1 ms, tau_plus: 20 ms,
                      tau_minus: 20 ms, A_plus: 0.05, A_minus: 0.06, w_min: 0 mV,
                      w_max: 1 mV, weight_dependence: additive}, receptor: excitatory}
      d_e: {pre: delta, post: "exc[0:30]", connector: {rule: all_to_all},
            synapse: {type: tsodyks_markram, U: 0.5, tau_rec: 100 ms, tau_facil: 0 ms,
                      weight: 5 nS, delay: 2 ms}, receptor: excitatory}
    stimuli:
      drive: {type: poisson, target: exc, rate: 800 Hz, receptor: excitatory,
              synapse: {weight: 4 nS, delay: 0.5 ms}}
      step: {type: step_current, target: "hh[0:5]", amplitude: 10 uA/cm2, start: 20 ms,
             stop: 250 ms}
      noise: {type: noise_current, target: "delta[2:9]", mean: 0.6 nA, std: 0.3 nA}
      kick: {type: spike_times, target: "delta[0:2]", times: [30 ms, 60 ms, 90 ms],
             receptor: excitatory, synapse: {weight: 30 mV, delay: 1 ms}}
    record:
      exc: {variables: [spikes, v, gsyn_exc], indices: [0, 1, 2, 5, 7, 30, 59],
            interval: 0.5 ms}
      hh: {variables: [spikes, v]}
      delta: {variables: [spikes, v]}
    """)


def mpiexec(n, *args, cwd=None, env=None):
    """``mpiexec -n n python -m mnsim.cli ARGS`` (as root and on few cores, Open MPI needs
    to be told that this is fine)."""
    command = [shutil.which("mpiexec"), "-n", str(n)]
    version = subprocess.run([command[0], "--version"], capture_output=True, text=True)
    if "Open MPI" in version.stdout + version.stderr or "OpenRTE" in version.stdout:
        command.append("--oversubscribe")
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none", "PYNEST_QUIET": "1",
           **(env or {})}
    return subprocess.run([*command, sys.executable, *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300, check=False)


def trains(block):
    return {(st.annotations["population"], st.annotations["index"]): np.asarray(st.magnitude)
            for st in block.segments[0].spiketrains}


def run_on(ranks, model, tmp_path, *sets, backend="neuron", threads=1):
    """``mnsim run`` on ``ranks`` MPI ranks; the Block rank 0 saved, and the process."""
    out = tmp_path / f"{backend}-{ranks}x{threads}.pkl"
    args = ["-m", "mnsim.cli", "run", str(model), "--backend", backend, "-o", str(out),
            "--threads", str(threads)]
    for s in sets:
        args += ["--set", s]
    proc = mpiexec(ranks, *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("saved") == 1  # rank 0 only
    return mnsim.load_results(out), proc


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("mnsim:")]




def assert_same_run(one, many, stdp=None):
    """The Blocks of 1 and of N ranks hold the same spike trains and signals, bit for bit
    (and the same final weights of projection ``stdp``). Returns one's trains and weights."""
    a, b = trains(one), trains(many)
    assert list(a) == list(b)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    signals = {s.name: s for s in many.segments[0].analogsignals}
    assert sorted(signals) == sorted(s.name for s in one.segments[0].analogsignals)
    for sig in one.segments[0].analogsignals:
        other = signals[sig.name]
        assert other.shape == sig.shape
        np.testing.assert_array_equal(other.array_annotations["index"],
                                      sig.array_annotations["index"])
        np.testing.assert_array_equal(np.asarray(other), np.asarray(sig))
    if stdp is None:
        return a, None
    w1, w2 = final_weights(one, stdp), final_weights(many, stdp)
    for key in ("pre", "post", "weight"):
        np.testing.assert_array_equal(w1[key], w2[key])
    return a, w1
