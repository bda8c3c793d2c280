"""Running a sweep's points on Dask distributed.

By default a ``LocalCluster`` of worker *processes*, one thread each (NEURON and NEST keep
global state in their process, and NEURON cannot unload compiled mechanisms), as many as
there are CPUs available to this process (at most one per point), started for the sweep and
closed after it. A scheduler address (``tcp://host:8786``) or a ``distributed.Client`` sends
the same tasks to an existing cluster. Workers are reused from point to point: a simulator is
imported and NEURON's mechanisms loaded once per worker, Brian2 compiles once per model
(cached on disk), and every run resets the simulator's state on entry.

The local cluster queues at most one task per worker (``worker-saturation`` 1.0; Dask queues
only when a sweep has more than two tasks per worker thread) and reports a task failed the
first time its worker dies (``allowed_failures`` 0); :func:`run_points` then runs that point
once more, on a fresh worker (the nanny restarts the dead one), and records it as crashed if
that worker dies too. A simulator that crashes its process so costs two worker restarts and
its own point, nothing else. (An external cluster keeps its own ``allowed_failures``: by
default Dask itself retries a task whose worker died up to 3 times.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mnsim.errors import MnsimError

if TYPE_CHECKING:
    from distributed import Client

    from mnsim.sweeps.definition import Point
    from mnsim.sweeps.measures import MeasureSpec

CRASH = ("the worker process died twice while running this point (the simulator crashed, or "
         "the worker ran out of memory: see its memory limit); the other points went on")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(scheduler: Any, workers: int | None, tasks: int) -> Iterator[Client]:
    """A client for ``scheduler``: a ``distributed.Client`` (used as is), an address, or
    None (a local cluster of ``workers`` processes, by default one per CPU)."""
    import dask
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        if workers is not None:
            raise MnsimError("workers= sizes the local cluster only; an existing cluster "
                             "keeps its own workers (scale it with cluster.scale(N))")
        yield scheduler
        return
    if scheduler is not None:
        if workers is not None:
            raise MnsimError("--workers sizes the local cluster only; the cluster at "
                             f"{scheduler} keeps its own workers")
        try:
            client = Client(str(scheduler), timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise MnsimError(f"cannot reach the Dask scheduler at '{scheduler}': {exc}; start "
                             f"one (`dask scheduler`, then `dask worker {scheduler}` on each "
                             f"machine) or leave --scheduler out to use local worker "
                             f"processes") from None
        try:
            yield client
        finally:
            client.close()
        return
    _refuse_in_bootstrap()
    n = workers if workers is not None else max(1, min(available_cpus(), tasks))
    if n < 1:
        raise MnsimError(f"workers must be at least 1, got {n}")
    try:
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   # no dashboard; its HTTP server (health checks) on
                                   # a free port, not 8787 (another cluster may have it)
                                   scheduler_kwargs={"allowed_failures": 0,
                                                     "dashboard_address": ":0"},
                                   env={"PYNEST_QUIET": "1"})
    except RuntimeError as exc:
        raise MnsimError(f"the local Dask worker processes did not start ({exc}); in a "
                         f"script, call mnsim.sweep under `if __name__ == \"__main__\":` "
                         f"(each worker process imports the script)") from None
    quiet = _CrashReports()  # the table records crashes; no log lines over the progress bar
    logging.getLogger("distributed.scheduler").addFilter(quiet)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
        logging.getLogger("distributed.scheduler").removeFilter(quiet)


class _CrashReports(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Task %s marked as failed because")


def _refuse_in_bootstrap() -> None:
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise MnsimError("mnsim.sweep was called while a Dask worker process was starting: "
                         "a script that calls mnsim.sweep must do so under `if __name__ == "
                         "\"__main__\":` (each worker process imports the script)")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (a batch system ending the job) into KeyboardInterrupt while the sweep
    runs, so the table is written before the process ends."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main_thread_imports() -> Any:
    """A worker plugin that imports the simulators that must be imported in a process's main
    thread: Brian2 installs a SIGINT handler when imported, which Python allows only there,
    and a worker runs its tasks in another thread. ``setup`` runs on each worker's event loop
    (its main thread), also on workers started later (after a crash)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class MainThreadImports(WorkerPlugin):
        idempotent = True
        name = "mnsim-main-thread-imports"

        def setup(self, worker: Any) -> None:
            import importlib
            import warnings

            from mnsim.sweeps.task import captured_output

            with captured_output(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with contextlib.suppress(ImportError):  # the point then reports it
                    importlib.import_module("brian2")

    return MainThreadImports()


def run_points(client: Client, points: Sequence[Point], measures: Sequence[MeasureSpec],
               keep_blocks: bool, on_result: Any, name: str = "sweep",
               task: Any = None) -> None:
    """Submit every point and call ``on_result(point, result)`` as each one finishes (in the
    order they finish). A point whose worker dies runs once more (the crash may have been
    another point's: a worker can hold two tasks when a sweep has few points); if its worker
    dies again it is a failure with :data:`CRASH`. Nothing else stops the loop but an
    interrupt (then the rest are cancelled). ``task`` replaces
    :func:`mnsim.sweeps.task.run_point` (tests).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from mnsim.sweeps.task import run_point

    task = task or run_point
    if any(p.backend == "brian2" for p in points):
        client.register_plugin(_main_thread_imports())
    token = uuid.uuid4().hex[:8]

    def submit(point: Point, attempt: int) -> Any:
        return client.submit(task, point.model, point.backend, measures, keep_blocks,
                             key=f"mnsim-{name}-{point.key}-{token}-{attempt}", pure=False)

    futures = {submit(point, 0): (point, 0) for point in points}
    pending = as_completed(list(futures))
    try:
        for future in pending:
            point, attempt = futures.pop(future)
            try:
                result = future.result()
            except KilledWorker:
                if attempt == 0:
                    retry = submit(point, 1)
                    futures[retry] = (point, 1)
                    pending.add(retry)
                    continue
                result = _failed(CRASH)
            except Exception as exc:  # noqa: BLE001 - the cluster's failure of one point
                result = _failed(" ".join(f"{type(exc).__name__}: {exc}".split()))
            future.release()
            on_result(point, result)
    except BaseException:
        client.cancel(list(futures))
        raise


def _failed(error: str) -> dict[str, Any]:
    return {"status": "failed", "error": error, "values": {}, "block": None,
            "wall": float("nan")}


def progress_bar(total: int, name: str, progress: bool | None) -> Any:
    """A tqdm bar on stderr with an ETA; by default only when stderr is a terminal or the
    sweep runs in a Jupyter kernel (not in a batch job's log or a pipe)."""
    from tqdm import tqdm

    interactive = sys.stderr.isatty() or "ipykernel" in sys.modules
    enabled = interactive if progress is None else bool(progress)
    return tqdm(total=total, desc=name, unit="point", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)
