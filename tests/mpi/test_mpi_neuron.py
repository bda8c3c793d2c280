"""``mpiexec -n N mnsim run``: NEURON spreads a network over the ranks and rank 0 writes one
Block holding exactly the spike trains (and signals, and final weights) of one process; the
backends and commands that cannot use the ranks refuse, on rank 0 only, in one line."""

import textwrap

import numpy as np
import pytest
from mpi_launch import RICH, assert_same_run, error_lines, mpiexec, run_on, trains

from mnsim.mpi import nest_has_mpi

pytestmark = [pytest.mark.requires_mpi, pytest.mark.requires_neuron]


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
    a, w = assert_same_run(one, many, stdp="e_d")
    assert sum(t.size for t in a.values()) > 200
    assert len(one.segments[0].analogsignals) == 4
    assert w["weight"].size == 90
    assert not np.allclose(w["weight"], 0.5)  # stdp moved them


def test_a_multicompartment_cell_runs_whole_on_one_rank(tmp_path):
    one, _ = run_on(1, "hh_axon_velocity", tmp_path)
    two, _ = run_on(2, "hh_axon_velocity", tmp_path)
    assert [t.tolist() for t in trains(one).values()] == [t.tolist() for t in trains(two).values()]
    np.testing.assert_array_equal(np.asarray(one.segments[0].analogsignals[0]),
                                  np.asarray(two.segments[0].analogsignals[0]))
    geometry = {k: v for k, v in one.annotations.items() if k.startswith("geometry.")}
    assert geometry and geometry == {k: v for k, v in two.annotations.items()
                                     if k.startswith("geometry.")}


@pytest.mark.requires_nest
def test_nest_without_mpi_is_refused_on_rank_0_in_one_line(tmp_path):
    if nest_has_mpi():
        pytest.skip("this NEST is built with MPI (tests/mpi/test_mpi_nest.py runs it); the "
                    "refusal is for the PyPI wheel, which CI installs")
    proc = mpiexec(2, "-m", "mnsim.cli", "run", "lif_fi", "--backend", "nest", "-o",
                   str(tmp_path / "x.pkl"))
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert line.startswith("mnsim: error: this NEST was built without MPI")
    assert "mpiexec started 2 ranks" in line and "with-mpi=ON" in line
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
