"""Under which launcher mnsim thinks it runs, what it refuses there, and which rank builds
which neuron (no simulator, no MPI: the launchers' variables are set by hand)."""

import numpy as np
import pytest

from mnsim import mpi
from mnsim.backends.neuron.parallel import Layout, spread
from mnsim.errors import CapabilityError

LAUNCHER = ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_SIZE", "PMI_RANK",
            "MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_STEP_NUM_TASKS",
            "SLURM_NTASKS")


@pytest.fixture
def env(monkeypatch):
    for name in LAUNCHER:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_launcher_is_one_rank(env):
    assert mpi.launched_ranks() == 1 and mpi.launched_rank() == 0
    mpi.check_backend("brian2")  # nothing to refuse in one process


@pytest.mark.parametrize("variables, ranks, rank", [
    ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3", "PMIX_RANK": "3"}, 4, 3),
    ({"PMI_SIZE": "2", "PMI_RANK": "1"}, 2, 1),  # MPICH, Intel MPI, srun --mpi=pmi2
    ({"PMIX_RANK": "5", "SLURM_STEP_NUM_TASKS": "8", "SLURM_NTASKS": "16"}, 8, 5),  # srun pmix
    ({"SLURM_NTASKS": "16"}, 1, 0),  # an sbatch script outside srun: one process
])
def test_launchers_are_recognised(env, variables, ranks, rank):
    for name, value in variables.items():
        env.setenv(name, value)
    assert (mpi.launched_ranks(), mpi.launched_rank()) == (ranks, rank)


def test_commands_other_than_run_are_refused_under_mpiexec(env):
    env.setenv("OMPI_COMM_WORLD_SIZE", "2")
    mpi.check_command("run", "neuron")
    with pytest.raises(CapabilityError, match=r"'mnsim sweep' is not an MPI program, but "
                                              r"mpiexec started 2 copies of it"):
        mpi.check_command("sweep")
    with pytest.raises(CapabilityError, match="Brian2 has no MPI: mpiexec started 2 ranks"):
        mpi.check_command("run", "brian2")


def test_gids_are_dealt_round_robin_over_all_populations():
    # populations a (3 neurons, gids 0-2) and b (4 neurons, gids 3-6) on 2 ranks
    lay = [Layout(None, r, 2, {"a": 0, "b": 3}, {"a": 3, "b": 4}) for r in (0, 1)]
    assert lay[0].local("a").tolist() == [True, False, True]
    assert lay[1].local("a").tolist() == [False, True, False]
    assert lay[0].local("b").tolist() == [False, True, False, True]  # gids 4 and 6
    assert lay[1].owns("b", 0) and not lay[1].owns("b", 1)
    both = lay[0].local("b").astype(int) + lay[1].local("b").astype(int)
    assert np.all(both == 1)  # every neuron on exactly one rank
    assert spread(["x", "y"], lay[0].local("b")) == [None, "x", None, "y"]
