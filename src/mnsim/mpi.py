"""Running under ``mpiexec``: which rank this process is, which commands and backends may run
there, and starting and ending MPI for NEURON.

Only ``mnsim run`` (and :func:`mnsim.run`) is an MPI program, on NEURON (its
``ParallelContext`` spreads the cells over the ranks, :mod:`mnsim.backends.neuron.parallel`)
and on a NEST built with MPI (NEST spreads them itself, :mod:`mnsim.backends.nest.parallel`);
rank 0 returns the one Block. NEST without MPI (the wheel on PyPI) is refused, Brian2 always
(it has no MPI), and ``compare``, ``validate``, ``sweep``, ``list`` and ``morph`` are not MPI
programs. A refusal is a
:class:`~mnsim.errors.CapabilityError` on every rank; the command line prints it on rank 0
only. See ``docs/mpi.md``.

How many ranks were started is read from the launcher's environment (Open MPI, MPICH, Intel
MPI, MVAPICH, Slurm's PMI): nothing here imports an MPI library. NEURON then loads the MPI
library itself (``h.nrnmpi_init()``); when the library has no unversioned ``libmpi.so`` name
(Debian's ``openmpi-bin`` without ``libopenmpi-dev``), ``MPI_LIB_NRN_PATH`` is set to the one
the dynamic loader finds, unless the user set it.
"""

from __future__ import annotations

import atexit
import functools
import os
import sys
from typing import Any

from mnsim.errors import CapabilityError, SimulationError

# launcher variables: number of ranks and this process's rank (first one set wins). Open MPI's
# mpiexec sets OMPI_*, MPICH's and Intel MPI's (and srun --mpi=pmi2) PMI_*, MVAPICH's MV2_*;
# srun --mpi=pmix sets PMIX_RANK, and the step's size is Slurm's
SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK", "PMIX_RANK")
PMIX_SIZE_VARIABLES = ("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS")
MPI_COMMANDS = frozenset({"run"})
DOCS = "docs/mpi.md"
NEST_MPI_HOWTO = ("an MPI-enabled NEST: pip install --force-reinstall --no-deps --no-binary "
                  "nest-simulator nest-simulator==3.10.0 -C cmake.define.with-mpi=ON, then "
                  "mpi4py")

_STATE: dict[str, Any] = {}  # "pc": NEURON's ParallelContext once MPI is started


def _env_int(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return default


def launched_ranks() -> int:
    """How many processes ``mpiexec`` (or ``srun``) started in this job; 1 without one."""
    size = _env_int(SIZE_VARIABLES, 0)
    if size == 0 and "PMIX_RANK" in os.environ:
        size = _env_int(PMIX_SIZE_VARIABLES, 0)
    return max(size, 1)


def launched_rank() -> int:
    """This process's rank in the job (0 without a launcher)."""
    return _env_int(RANK_VARIABLES, 0)


def check_command(command: str, backend: str | None = None) -> None:
    """Refuse what cannot run on several ranks; call only when :func:`launched_ranks` > 1.

    Parameters
    ----------
    command
        The ``mnsim`` subcommand (``run``, ``compare``, ...).
    backend
        The backend ``run`` was given.

    Raises
    ------
    CapabilityError
        ``command`` is not an MPI program, or ``backend`` cannot use the ranks.
    """
    n = launched_ranks()
    if command not in MPI_COMMANDS:
        raise CapabilityError(f"'mnsim {command}' is not an MPI program, but mpiexec started "
                              f"{n} copies of it: run it without mpiexec (only 'mnsim run' "
                              f"uses MPI, with --backend neuron or an MPI-enabled NEST; see "
                              f"{DOCS})")
    if backend is not None:
        check_backend(backend)


def check_backend(backend: str) -> None:
    """Refuse a backend that would run one whole copy of the network per rank.

    Raises
    ------
    CapabilityError
        Brian2 (no MPI), NEST without MPI, or NEST with MPI but without mpi4py (which
        gathers its ranks' recordings).
    """
    n = launched_ranks()
    if n <= 1 or backend == "neuron":
        return
    if backend == "brian2":
        raise CapabilityError(f"Brian2 has no MPI: mpiexec started {n} ranks, each would run "
                              f"the whole network; run with one process (Brian2's own "
                              f"parallelism: its C++ standalone mode with OpenMP), or use "
                              f"--backend neuron under mpiexec (see {DOCS})")
    if backend == "nest":
        if not nest_has_mpi():
            raise CapabilityError(f"this NEST was built without MPI (the PyPI wheel is): "
                                  f"mpiexec started {n} ranks, each would run the whole "
                                  f"network; run one process with --threads N, use "
                                  f"--backend neuron under mpiexec, or install {NEST_MPI_HOWTO}"
                                  f" (see {DOCS})")
        import importlib.util

        if importlib.util.find_spec("mpi4py") is None:
            raise CapabilityError(f"this NEST has MPI, and mnsim gathers the recordings of "
                                  f"its {n} ranks with mpi4py, which is not installed: pip "
                                  f"install mpi4py (built for the MPI library NEST uses; see "
                                  f"{DOCS})")


@functools.cache
def nest_has_mpi() -> bool:
    """Whether the installed NEST was built with MPI (False when NEST is missing).

    Asked in a child process without the launcher's variables: a NEST built without MPI
    exits its process on import under ``mpiexec`` (exit code 127, "You seem to be using NEST
    via an MPI launcher").
    """
    import importlib.util
    import subprocess

    if importlib.util.find_spec("nest") is None:
        return False
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_LAUNCHER_PREFIXES) and k not in _LAUNCHER_NAMES}
    env["PYNEST_QUIET"] = "1"
    try:
        proc = subprocess.run([sys.executable, "-c", _NEST_HAS_MPI], env=env, text=True,
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.stdout.strip().endswith("True")


_LAUNCHER_PREFIXES = ("OMPI_", "PMI_", "PMIX_", "MV2_", "HYDRA_", "PRTE_")
_LAUNCHER_NAMES = frozenset({"MPI_LOCALNRANKS", "MPI_LOCALRANKID"})
_NEST_HAS_MPI = """
import nest
info = getattr(nest, "build_info", None)  # NEST >= 3.6: a dict
if isinstance(info, dict) and "have_mpi" in info:
    print(bool(info["have_mpi"]))
else:
    print(bool(nest.ll_api.sli_func("statusdict/have_mpi ::")))
"""


def neuron_context() -> tuple[Any, int, int]:
    """NEURON's ``ParallelContext`` with MPI started when this process is one of several
    ranks: (pc, rank, number of ranks); (pc, 0, 1) in a single process.

    Raises
    ------
    SimulationError
        ``mpiexec`` started several ranks but NEURON could not load an MPI library.
    """
    import ctypes.util

    from neuron import h

    if "pc" in _STATE:
        pc = _STATE["pc"]
        return pc, int(pc.id()), int(pc.nhost())
    n = launched_ranks()
    if n > 1:
        if "MPI_LIB_NRN_PATH" not in os.environ:
            found = ctypes.util.find_library("mpi")
            if found:
                os.environ["MPI_LIB_NRN_PATH"] = found
        h.nrnmpi_init()
    pc = h.ParallelContext()
    if n > 1 and int(pc.nhost()) != n:
        raise SimulationError(f"mpiexec started {n} ranks but NEURON runs on {int(pc.nhost())}:"
                              f" it could not load an MPI library (see its message above); "
                              f"set MPI_LIB_NRN_PATH=/path/to/libmpi.so (Open MPI) or "
                              f"libmpich.so (MPICH), or install one: apt-get install "
                              f"openmpi-bin")
    _STATE["pc"] = pc
    if n > 1:
        atexit.register(_finalize)
        sys.excepthook = _abort_on_exception(sys.excepthook)
    return pc, int(pc.id()), int(pc.nhost())


def _finalize() -> None:
    """MPI_Finalize at exit (NEURON's Python module does not, and Open MPI's mpiexec counts
    a rank that exits without it as failed). Python's exit code is kept."""
    import ctypes

    try:
        lib = ctypes.CDLL(None)  # NEURON loaded libmpi with RTLD_GLOBAL
        done = ctypes.c_int(0)
        lib.MPI_Finalized(ctypes.byref(done))
        if not done.value:
            lib.MPI_Finalize()
    except (OSError, AttributeError):  # no MPI symbols: nothing to finalize
        pass


def _abort_on_exception(previous: Any) -> Any:
    """An excepthook that prints the traceback and leaves without MPI_Finalize, which would
    wait for the other ranks for ever: mpiexec then stops the whole job."""
    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        previous(kind, value, tb)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(1)

    return hook
