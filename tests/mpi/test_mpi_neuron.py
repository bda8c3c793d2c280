"""``mpiexec -n N mnsim run``: NEURON spreads a network over the ranks and rank 0 writes one
Block holding exactly the spike trains (and signals, and final weights) of one process; the
backends and commands that cannot use the ranks refuse, on rank 0 only, in one line."""

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mnsim
from mnsim.results import final_weights

pytestmark = [pytest.mark.requires_mpi, pytest.mark.requires_neuron]

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


def run_on(ranks, model, tmp_path, *sets):
    out = tmp_path / f"{ranks}.pkl"
    args = ["-m", "mnsim.cli", "run", str(model), "--backend", "neuron", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    proc = mpiexec(ranks, *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("saved") == 1  # rank 0 only
    return mnsim.load_results(out), proc


def test_two_ranks_give_the_spike_trains_of_one_process(tmp_path):
    # Vogels-Abbott CUBA, 4,000 neurons, 300 ms: chaotic, so one event delivered differently
    # would change thousands of spikes
    one, _ = run_on(1, "vogels_abbott_cuba", tmp_path, "simulation.duration=300 ms")
    two, proc = run_on(2, "vogels_abbott_cuba", tmp_path, "simulation.duration=300 ms")
    a, b = trains(one), trains(two)
    assert list(a) == list(b) and len(a) == 4000
    total = sum(t.size for t in a.values())
    assert total == sum(t.size for t in b.values())
    assert total > 9000  # 7,854 + 1,840 here
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert "2 MPI ranks" in two.annotations["integration"]
    assert "MPI" not in one.annotations["integration"]
    assert "exc: 7854 spikes" in proc.stdout  # what rank 0 printed is the whole network


@pytest.mark.parametrize("ranks", [2, 3])
def test_signals_stdp_weights_and_every_input_match_one_process(tmp_path, ranks):
    model = tmp_path / "rich.yaml"
    model.write_text(RICH)
    one, _ = run_on(1, model, tmp_path)
    many, _ = run_on(ranks, model, tmp_path)
    a, b = trains(one), trains(many)
    assert list(a) == list(b)
    assert sum(t.size for t in a.values()) > 200
    assert all(np.array_equal(a[k], b[k]) for k in a)
    signals = {s.name: s for s in many.segments[0].analogsignals}
    for sig in one.segments[0].analogsignals:
        other = signals[sig.name]
        assert other.shape == sig.shape
        np.testing.assert_array_equal(other.array_annotations["index"],
                                      sig.array_annotations["index"])
        np.testing.assert_array_equal(np.asarray(other), np.asarray(sig))
    w1, w2 = final_weights(one, "e_d"), final_weights(many, "e_d")
    assert w1["weight"].size == 90
    assert not np.allclose(w1["weight"], 0.5)  # stdp moved them
    for key in ("pre", "post", "weight"):
        np.testing.assert_array_equal(w1[key], w2[key])


def test_a_multicompartment_cell_runs_whole_on_one_rank(tmp_path):
    one, _ = run_on(1, "hh_axon_velocity", tmp_path)
    two, _ = run_on(2, "hh_axon_velocity", tmp_path)
    assert [t.tolist() for t in trains(one).values()] == [t.tolist() for t in trains(two).values()]
    np.testing.assert_array_equal(np.asarray(one.segments[0].analogsignals[0]),
                                  np.asarray(two.segments[0].analogsignals[0]))
    geometry = {k: v for k, v in one.annotations.items() if k.startswith("geometry.")}
    assert geometry and geometry == {k: v for k, v in two.annotations.items()
                                     if k.startswith("geometry.")}


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("mnsim:")]


@pytest.mark.requires_nest
def test_nest_without_mpi_is_refused_on_rank_0_in_one_line(tmp_path):
    proc = mpiexec(2, "-m", "mnsim.cli", "run", "lif_fi", "--backend", "nest", "-o",
                   str(tmp_path / "x.pkl"))
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert line.startswith("mnsim: error: this NEST was built without MPI")
    assert "mpiexec started 2 ranks" in line and "-Dwith-mpi=ON" in line
    assert "--threads" in line and "--backend neuron" in line
    assert "Traceback" not in proc.stderr and "FATAL" not in proc.stderr
    assert not (tmp_path / "x.pkl").exists()


def test_brian2_and_compare_are_refused(tmp_path):
    proc = mpiexec(2, "-m", "mnsim.cli", "run", "lif_fi", "--backend", "brian2")
    assert proc.returncode == 2
    assert error_lines(proc) == [error_lines(proc)[0]]
    assert "Brian2 has no MPI" in error_lines(proc)[0]
    proc = mpiexec(2, "-m", "mnsim.cli", "compare", "lif_fi")
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert "'mnsim compare' is not an MPI program" in line and "Traceback" not in proc.stderr


def test_a_failure_on_one_rank_is_reported_by_rank_0_and_nobody_hangs(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(textwrap.dedent("""\
        import sys
        from mnsim.backends.neuron import parallel
        from mnsim.errors import SimulationError
        register = parallel.register_cells
        def failing(h, lay, *args):
            if lay.rank == 1:
                raise SimulationError("injected on rank 1")
            register(h, lay, *args)
        parallel.register_cells = failing
        from mnsim.cli import main
        sys.exit(main(["run", "lif_fi", "--backend", "neuron"]))
        """))
    proc = mpiexec(2, str(script))
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert line == "mnsim: error: NEURON MPI rank 1 of 2 failed: injected on rank 1"
