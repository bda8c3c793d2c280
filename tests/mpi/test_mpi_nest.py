"""``mpiexec -n N mnsim run --backend nest`` with a NEST built with MPI: NEST spreads the
network, rank 0 writes one Block holding exactly the spike trains (signals, final weights) of
one process with the same number of virtual processes.

The NEST wheel on PyPI (what ``./dev`` and CI install) has no MPI, so this file runs only
where an MPI-enabled NEST is installed (docs/mpi.md shows how to build one:
``pip install --no-binary nest-simulator nest-simulator==3.10.0 -C
cmake.define.with-mpi=ON`` and mpi4py); without one, the refusal is tested in
test_mpi_neuron.py."""

import textwrap

import numpy as np
import pytest
from mpi_launch import RICH, assert_same_run, error_lines, mpiexec, run_on, trains

from mnsim.mpi import nest_has_mpi

pytestmark = [
    pytest.mark.requires_mpi, pytest.mark.requires_nest,
    pytest.mark.skipif(not nest_has_mpi(), reason="this NEST is built without MPI (the PyPI "
                       "wheel): build one as docs/mpi.md shows to run these tests"),
]


def test_two_ranks_give_the_spike_trains_of_one_process(tmp_path):
    # Vogels-Abbott CUBA, 4,000 neurons, 300 ms, mnsim's drawn connectivity: chaotic, so one
    # event delivered differently would change thousands of spikes
    one, _ = run_on(1, "vogels_abbott_cuba", tmp_path, "simulation.duration=300 ms",
                    backend="nest")
    two, proc = run_on(2, "vogels_abbott_cuba", tmp_path, "simulation.duration=300 ms",
                       backend="nest")
    a, b = trains(one), trains(two)
    assert list(a) == list(b) and len(a) == 4000
    total = sum(t.size for t in a.values())
    assert total > 9000  # 7,934 + 1,859 here
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert "2 MPI ranks (NEST's own distribution" in two.annotations["integration"]
    assert "MPI" not in one.annotations["integration"]
    assert f"exc: {sum(a[k].size for k in a if k[0] == 'exc')} spikes" in proc.stdout


@pytest.mark.parametrize("ranks", [2, 3])
def test_signals_stdp_weights_and_every_input_match_one_process(tmp_path, ranks):
    model = tmp_path / "rich.yaml"
    model.write_text(RICH)
    one, _ = run_on(1, model, tmp_path, backend="nest")
    many, _ = run_on(ranks, model, tmp_path, backend="nest")
    a, w = assert_same_run(one, many, stdp="e_d")
    assert sum(t.size for t in a.values()) > 200
    assert sum(a[k].size for k in a if k[0] == "hh") > 50  # HH spikes: v crossings per rank
    assert len(one.segments[0].analogsignals) == 4
    assert w["weight"].size == 90
    assert not np.allclose(w["weight"], 0.5)  # stdp moved them


def test_nest_random_numbers_follow_the_virtual_processes_not_the_ranks(tmp_path):
    # brunel2000 draws its connections and Poisson input with NEST's own generators
    # (connectivity: native): 2 ranks x 1 thread give what 1 process x 2 threads gives
    args = ("brunel2000:small", tmp_path, "simulation.duration=100 ms")
    threads, _ = run_on(1, *args, backend="nest", threads=2)
    ranks, _ = run_on(2, *args, backend="nest")
    a, b = trains(threads), trains(ranks)
    assert len(a) == 2500 and sum(t.size for t in a.values()) > 5000
    assert all(np.array_equal(a[k], b[k]) for k in a)


# a rank may simulate none of a population's neurons, or none of the recorded ones: a
# 1-neuron population with a current set through I_e from 0.5 ms (before a generator can act)
# and one recorded neuron; and enough recorded samples that the run is simulated in chunks,
# which must be the same on every rank (each Simulate call ends in a barrier)
SPARSE = textwrap.dedent("""\
    name: sparse
    simulation: {duration: 200 ms, dt: 0.1 ms, seed: 3}
    populations:
      one: {size: 1, cell: {type: IF_curr_exp}}
      hh: {size: 2, cell: {type: HH_squid, area: 1000 um2}}
      many: {size: 3001, cell: {type: IF_curr_exp}}
    projections:
      one_many: {pre: one, post: many, connector: {rule: all_to_all},
                 synapse: {weight: 0.3 nA, delay: 1 ms}, receptor: excitatory}
      many_many: {pre: many, post: many, connector: {rule: fixed_indegree, k: 5},
                  synapse: {weight: 0.1 nA, delay: 1 ms}, receptor: excitatory}
    stimuli:
      early: {type: step_current, target: one, amplitude: 1 nA, start: 0.5 ms, stop: 150 ms}
      hh_step: {type: step_current, target: "hh[1:2]", amplitude: 10 uA/cm2, start: 20 ms,
                stop: 150 ms}
      drive: {type: step_current, target: many, amplitude: 1 nA, start: 10 ms, stop: 150 ms}
    record:
      one: [spikes, v]
      hh: {variables: [spikes, v], indices: [1]}
      many: {variables: [spikes, v], indices: EVEN}
    """).replace("EVEN", str(list(range(0, 3001, 2))))
# (NEST deals node ids round robin: the even neurons of `many` all live on one of 2 ranks,
# which alone would need a second chunk if each rank sized its chunks by its own samples)


@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_without_a_recorded_neuron_and_chunked_runs_match_one_process(tmp_path, ranks):
    model = tmp_path / "sparse.yaml"
    model.write_text(SPARSE)
    one, _ = run_on(1, model, tmp_path, backend="nest")
    many, _ = run_on(ranks, model, tmp_path, backend="nest")
    a, _ = assert_same_run(one, many)
    assert a[("one", 0)].size >= 5 and a[("hh", 1)].size > 5
    assert sum(t.size for t in a.values()) > 1501


def test_a_failure_inside_the_run_ends_the_job_with_the_error(tmp_path):
    # one adaptive-exponential cell driven to -1000 nA: NEST's GSL solver fails inside
    # Simulate on the rank that holds it, while the others wait in the spike exchange
    model = tmp_path / "unstable.yaml"
    model.write_text(textwrap.dedent("""\
        name: unstable
        simulation: {duration: 50 ms, dt: 0.1 ms, seed: 3}
        populations:
          p: {size: 4, cell: {type: EIF_cond_exp_isfa_ista}}
        projections:
          pp: {pre: p, post: p, connector: {rule: all_to_all},
               synapse: {weight: 1 nS, delay: 1 ms}, receptor: excitatory}
        stimuli:
          kill: {type: step_current, target: "p[1:2]", amplitude: -1000 nA, start: 5 ms,
                 stop: 40 ms}
        record:
          p: [spikes]
        """))
    proc = mpiexec(2, "-m", "mnsim.cli", "run", str(model), "--backend", "nest")
    assert proc.returncode != 0
    (line,) = error_lines(proc)
    assert line.startswith("mnsim: error: NEST MPI rank ")
    assert "of 2 failed during the run: " in line and "ending the job" in line
    assert "NumericalInstability" in line


def test_a_failure_on_one_rank_is_reported_by_rank_0_and_nobody_hangs(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(textwrap.dedent("""\
        import sys
        from mnsim.backends.nest import backend
        from mnsim.errors import SimulationError
        connect = backend.connect_spike_inputs
        def failing(nest, *args):
            if nest.Rank() == 1:
                raise SimulationError("injected on rank 1")
            connect(nest, *args)
        backend.connect_spike_inputs = failing
        from mnsim.cli import main
        sys.exit(main(["run", "lif_fi", "--backend", "nest"]))
        """))
    proc = mpiexec(2, str(script))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = error_lines(proc)
    assert line == "mnsim: error: NEST MPI rank 1 of 2 failed: injected on rank 1"
