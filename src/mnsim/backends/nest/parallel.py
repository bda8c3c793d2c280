"""NEST across MPI ranks (``mpiexec -n N mnsim run MODEL --backend nest``, a NEST built with
MPI; see ``docs/mpi.md``).

NEST spreads the network itself. Every rank makes the same ``Create``, ``Connect`` and status
calls (the arrays mnsim draws are the same on every rank); NEST keeps on each rank the
neurons of its virtual processes (node ids dealt round robin over ranks x threads) with the
connections onto them, and exchanges the spikes. Devices exist on every rank and see only
that rank's neurons, so what mnsim adds is the gathering:

* each rank records its own neurons (:func:`local`) and turns what it recorded into a
  :class:`~mnsim.backends.ranks.Part`, which rank 0 gathers with mpi4py (NEST has no Python
  gather) and merges (:func:`mnsim.backends.ranks.merge`); the other ranks return None;
* the final ``stdp`` weights are read where the connections are (on the target's rank), but
  the weight owed to the last spike pairs needs the presynaptic spikes of every rank
  (:meth:`MpiRanks.all_spike_steps`);
* a failure on one rank while building or collecting is raised on all of them
  (:meth:`MpiRanks.collective`); one inside NEST's run ends the job
  (:meth:`MpiRanks.abort_on_error`): the other ranks wait in NEST's spike exchange.

NEST's own random numbers (``connectivity: native``, native Poisson and noise generators)
depend on the number of virtual processes, not on how they are split: ``mpiexec -n 2`` gives
what ``--threads 2`` gives in one process. What mnsim draws (the default) does not depend on
either.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from mnsim.backends import ranks
from mnsim.backends.base import RawResults
from mnsim.errors import CapabilityError
from mnsim.spec.model import Model

if TYPE_CHECKING:
    from types import ModuleType

T = TypeVar("T")


@dataclass
class MpiRanks:
    """This process's place among NEST's MPI ranks, and mpi4py's communicator."""

    comm: Any  # mpi4py.MPI.Comm
    rank: int
    n: int

    def collective(self, step: Callable[[], T]) -> T:
        """Run ``step`` on every rank; if it failed on any, raise on all."""
        return ranks.collective(step, self.comm.allgather, "NEST")

    def abort_on_error(self, step: Callable[[], T]) -> T:
        """Run ``step`` (NEST's ``Simulate``); if it fails, print the error and end the whole
        job (``MPI_Abort``, exit code 2): the other ranks are inside NEST's spike exchange and
        cannot be told otherwise."""
        try:
            return step()
        except Exception as exc:  # noqa: BLE001 - reported, then the job ends
            traceback.print_exc()
            print(f"mnsim: error: NEST MPI rank {self.rank} of {self.n} failed during the run: "
                  f"{ranks.describe(exc)}; ending the job", file=sys.stderr, flush=True)
            self.comm.Abort(2)
            raise  # not reached

    def all_spike_steps(self, mine: tuple[np.ndarray, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Every rank's (neuron, step) spike arrays, sorted by neuron then step."""
        got = self.comm.allgather(mine)
        neurons = np.concatenate([g[0] for g in got])
        steps = np.concatenate([g[1] for g in got])
        order = np.lexsort((steps, neurons))
        return neurons[order], steps[order]

    def gather(self, part: ranks.Part, model: Model, integration: str) -> RawResults | None:
        """Every rank's part merged on rank 0; None on the other ranks."""
        parts = self.comm.gather(part, root=0)
        if self.rank != 0:
            return None
        return ranks.merge(parts, model, f"{integration}; {self.n} MPI ranks (NEST's own "
                                         f"distribution and spike exchange)")


def mpi_ranks(nest: ModuleType) -> MpiRanks | None:
    """The ranks when NEST runs on several; None in one process.

    Raises
    ------
    CapabilityError
        NEST runs alone although the launcher started several ranks (another MPI's
        mpiexec), or mpi4py is missing or runs on another MPI than NEST.
    """
    from mnsim.mpi import DOCS, launched_ranks

    n, launched = int(nest.NumProcesses()), launched_ranks()
    if n == 1 < launched:  # another MPI's mpiexec: every rank would run the whole network
        built_with = getattr(nest, "build_info", {}).get("mpiexec") or "see nest.build_info"
        raise CapabilityError(f"mpiexec started {launched} rank(s) but NEST runs on {n}: "
                              f"start it with the mpiexec of the MPI library NEST was built "
                              f"with ({built_with})")
    if n <= 1:
        return None
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise CapabilityError(f"NEST runs on {n} MPI ranks and mnsim gathers their "
                              f"recordings with mpi4py, which is not installed ({exc}): "
                              f"pip install mpi4py, built for the MPI library NEST uses "
                              f"(see {DOCS})") from exc
    comm = MPI.COMM_WORLD
    if comm.Get_size() != n or comm.Get_rank() != int(nest.Rank()):
        raise CapabilityError(f"mpi4py sees rank {comm.Get_rank()} of {comm.Get_size()}, NEST "
                              f"rank {int(nest.Rank())} of {n}: they use different MPI "
                              f"libraries; reinstall mpi4py against NEST's (pip install "
                              f"--no-binary mpi4py --force-reinstall mpi4py)")
    return MpiRanks(comm, comm.Get_rank(), n)


def local(nodes: Any) -> np.ndarray:
    """Which nodes of ``nodes`` this rank simulates (a boolean per node; NEST's ``local``)."""
    if len(nodes) == 0:
        return np.zeros(0, dtype=bool)
    return np.atleast_1d(np.asarray(nodes.get("local"), dtype=bool))
