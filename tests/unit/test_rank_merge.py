"""Putting the ranks' recordings back together (mnsim.backends.ranks), as NEURON and an
MPI-enabled NEST both do on rank 0: plain arrays, no simulator, no MPI."""

import numpy as np
import pytest

from mnsim import mpi
from mnsim.backends.base import RawSignal
from mnsim.backends.ranks import Part, collective, merge
from mnsim.errors import CapabilityError, SimulationError
from mnsim.spec import load

MODEL = {
    "name": "two_pops",
    "simulation": {"duration": "10 ms", "dt": "0.1 ms"},
    "populations": {"a": {"size": 5, "cell": {"type": "IF_curr_exp"}},
                    "b": {"size": 3, "cell": {"type": "IF_curr_exp"}}},
    "projections": {"ab": {"pre": "a", "post": "b", "connector": {"rule": "all_to_all"},
                           "synapse": {"type": "stdp", "weight": "0.5 nA", "delay": "1 ms",
                                       "tau_plus": "20 ms", "tau_minus": "20 ms",
                                       "A_plus": 0.01, "A_minus": 0.01, "w_min": "0 nA",
                                       "w_max": "1 nA", "weight_dependence": "additive"},
                           "receptor": "excitatory"}},
    "record": {"a": {"variables": ["spikes", "v"], "indices": [4, 0, 3, 1]},
               "b": {"variables": ["spikes"]}},
}


def signal(indices, data):
    return RawSignal(population="a", variable="v", unit="mV", interval_ms=0.1,
                     data=np.asarray(data, dtype=float), indices=tuple(indices))


def two_ranks():
    """Neurons dealt round robin (gids a 0-4, b 5-7): rank 0 has a0 a2 a4 b1, rank 1 a1 a3
    b0 b2; each rank's recordings in its own order."""
    t = [np.array([1.0 + i, 5.0 + i]) for i in range(5)]
    r0 = Part(spikes={"a": (np.array([4, 0]), [t[4], t[0]]), "b": (np.array([1]), [t[1]])},
              signals=[signal([4, 0], [[40, 0], [41, 1]])],
              weights={"ab": (np.array([0, 1]), np.array([1, 1]), np.array([0.1, 0.2]))})
    r1 = Part(spikes={"a": (np.array([3, 1]), [t[3], t[1]]),
                      "b": (np.array([0, 2]), [t[0], t[2]])},
              signals=[signal([3, 1], [[30, 10], [31, 11]])],
              weights={"ab": (np.array([1, 0, 0]), np.array([2, 0, 2]),
                              np.array([0.3, 0.4, 0.5]))})
    return [r0, r1], t


def test_the_ranks_parts_become_one_process_results_in_the_recording_order():
    model = load(MODEL)
    parts, t = two_ranks()
    raw = merge(parts, model, "exact; 2 MPI ranks")
    assert model.record["a"].indices == (0, 1, 3, 4)  # the loader sorts them
    assert [a.tolist() for a in raw.spikes["a"]] == [t[i].tolist() for i in (0, 1, 3, 4)]
    assert [a.tolist() for a in raw.spikes["b"]] == [t[i].tolist() for i in (0, 1, 2)]
    (v,) = raw.signals
    assert v.indices == (0, 1, 3, 4)
    np.testing.assert_array_equal(v.data, [[0, 10, 30, 40], [1, 11, 31, 41]])
    pre, post, w = raw.weights["ab"]
    assert list(zip(pre.tolist(), post.tolist(), w.tolist())) == [
        (0, 0, 0.4), (0, 1, 0.1), (1, 1, 0.2), (0, 2, 0.5), (1, 2, 0.3)]  # by post, then pre
    assert raw.integration == "exact; 2 MPI ranks"


def test_a_rank_that_simulates_no_recorded_neuron_sends_empty_pieces():
    model = load(MODEL)
    parts, _ = two_ranks()
    empty = Part(spikes={"a": (np.zeros(0, np.int64), []), "b": (np.zeros(0, np.int64), [])},
                 signals=[signal([], np.zeros((2, 0)))])
    raw = merge([*parts, empty], model, "x")
    assert raw.signals[0].indices == (0, 1, 3, 4) and len(raw.spikes["a"]) == 4


def test_a_neuron_no_rank_recorded_or_two_ranks_recorded_is_an_error():
    model = load(MODEL)
    parts, t = two_ranks()
    parts[1].spikes["a"] = (np.array([3]), [t[3]])
    with pytest.raises(SimulationError, match=r"no MPI rank recorded the spikes of 'a' "
                                              r"neuron\(s\) \[1\]"):
        merge(parts, model, "x")
    parts, t = two_ranks()
    parts[1].signals = [signal([3, 0], [[30, 10], [31, 11]])]
    with pytest.raises(SimulationError, match=r"recordings of 'a.v' overlap"):
        merge(parts, model, "x")


def test_a_failure_on_one_rank_is_raised_on_every_rank():
    def ok():
        return 1

    def fails():
        raise SimulationError("no memory")

    # what each rank sees from its allgather: rank 1's error
    reports = [None, "no memory"]
    assert pytest.raises(SimulationError, collective, ok, lambda _: reports, "NEST"
                         ).match(r"^NEST MPI rank 1 of 2 failed: no memory$")
    with pytest.raises(SimulationError, match="^no memory$"):  # rank 1 raises its own
        collective(fails, lambda _: reports, "NEST")
    assert collective(ok, lambda _: [None, None], "NEST") == 1
    sent = []  # what a rank that failed with another error tells the others: its type too

    def key_error():
        raise KeyError("V_m")

    with pytest.raises(KeyError):
        collective(key_error, lambda report: sent.append(report) or [report, None], "NEST")
    assert sent == ["KeyError: 'V_m'"]


def test_nest_with_mpi_needs_mpi4py_under_mpiexec(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setattr(mpi, "nest_has_mpi", lambda: True)
    real = __import__("importlib.util").util.find_spec
    monkeypatch.setattr("importlib.util.find_spec",
                        lambda name, *a: None if name == "mpi4py" else real(name, *a))
    with pytest.raises(CapabilityError, match=r"this NEST has MPI, and mnsim gathers the "
                                              r"recordings of its 2 ranks with mpi4py, which "
                                              r"is not installed: pip install mpi4py"):
        mpi.check_backend("nest")
    monkeypatch.setattr("importlib.util.find_spec", real)
    if real("mpi4py") is not None:
        mpi.check_backend("nest")  # allowed


class FakeNest:
    """What mpi_ranks reads of NEST: its number of processes, its rank, its build."""

    def __init__(self, processes):
        self.processes = processes
        self.build_info = {"mpiexec": "/usr/bin/mpiexec"}

    def NumProcesses(self):  # noqa: N802 - NEST's name
        return self.processes

    def Rank(self):  # noqa: N802
        return 0


def test_nest_on_another_number_of_ranks_than_mpiexec_started_is_refused(monkeypatch):
    from mnsim.backends.nest.parallel import mpi_ranks

    monkeypatch.delenv("OMPI_COMM_WORLD_SIZE", raising=False)
    monkeypatch.delenv("PMI_SIZE", raising=False)
    assert mpi_ranks(FakeNest(1)) is None  # one process, no launcher
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")  # another MPI's mpiexec: NEST alone
    with pytest.raises(CapabilityError, match=r"mpiexec started 2 rank\(s\) but NEST runs on "
                                              r"1: start it with the mpiexec of the MPI "
                                              r"library NEST was built with "
                                              r"\(/usr/bin/mpiexec\)"):
        mpi_ranks(FakeNest(1))
