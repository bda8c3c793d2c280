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
from mpi_launch import RICH, error_lines, mpiexec, run_on, trains

from mnsim.mpi import nest_has_mpi
from mnsim.results import final_weights

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
    a, b = trains(one), trains(many)
    assert list(a) == list(b)
    assert sum(t.size for t in a.values()) > 200
    assert sum(a[k].size for k in a if k[0] == "hh") > 50  # HH spikes: v crossings per rank
    assert all(np.array_equal(a[k], b[k]) for k in a)
    signals = {s.name: s for s in many.segments[0].analogsignals}
    assert len(signals) == 4
    for sig in one.segments[0].analogsignals:
        other = signals[sig.name]
        np.testing.assert_array_equal(other.array_annotations["index"],
                                      sig.array_annotations["index"])
        np.testing.assert_array_equal(np.asarray(other), np.asarray(sig))
    w1, w2 = final_weights(one, "e_d"), final_weights(many, "e_d")
    assert w1["weight"].size == 90
    assert not np.allclose(w1["weight"], 0.5)  # stdp moved them
    for key in ("pre", "post", "weight"):
        np.testing.assert_array_equal(w1[key], w2[key])


def test_nest_random_numbers_follow_the_virtual_processes_not_the_ranks(tmp_path):
    # brunel2000 draws its connections and Poisson input with NEST's own generators
    # (connectivity: native): 2 ranks x 1 thread give what 1 process x 2 threads gives
    args = ("brunel2000:small", tmp_path, "simulation.duration=100 ms")
    threads, _ = run_on(1, *args, backend="nest", threads=2)
    ranks, _ = run_on(2, *args, backend="nest")
    a, b = trains(threads), trains(ranks)
    assert len(a) == 2500 and sum(t.size for t in a.values()) > 5000
    assert all(np.array_equal(a[k], b[k]) for k in a)


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
