"""What a Dask worker does for one point: run the model on the backend and measure the
Block. Every failure is caught and returned as the point's error (the sweep goes on); only a
crash of the process itself reaches the scheduler (the client records it). In a worker
process of one thread, output the simulator writes to the process's stdout and stderr
(NEURON's and NEST's C++ messages) is captured per point, so it does not scribble over the
progress bar; the last lines are added to the error message of a point that fails
unexpectedly."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mnsim.spec.model import Model
    from mnsim.sweeps.measures import MeasureSpec


@contextlib.contextmanager
def captured_output() -> Iterator[Any]:
    """Redirect file descriptors 1 and 2 to a temporary file while the block runs."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            yield tmp
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _own_process() -> bool:
    """True in a worker process that runs one task at a time (a nanny's child with one
    thread): only there may a task redirect the process's stdout and stderr. Not in a client
    that runs tasks in its own threads (``Client(processes=False)``), nor in a worker with
    several threads (their redirections would cross)."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return False
    try:
        from distributed import get_worker

        worker = get_worker()
        state = getattr(worker, "state", worker)
        return getattr(state, "nthreads", 0) == 1
    except (ImportError, ValueError):
        return False


def _tail(tmp: Any, lines: int = 3) -> str:
    tmp.seek(0)
    text = tmp.read()[-4000:].decode("utf-8", "replace")
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)


def measure_block(block: Any, measures: Sequence[MeasureSpec]) -> dict[str, float]:
    """Every measure's column and value for one Block."""
    return {m.column: m.evaluate(block) for m in measures}


def run_point(model: Model, backend: str, measures: Sequence[MeasureSpec],
              keep_block: bool) -> dict[str, Any]:
    """Run one point; returns ``{"status", "error", "wall", "values", "block"}``.

    ``status`` is ``"ok"`` or ``"failed"``; ``block`` is the Neo Block when ``keep_block``.
    """
    start = time.perf_counter()
    result: dict[str, Any] = {"status": "failed", "error": "", "values": {}, "block": None}
    with captured_output() if _own_process() else contextlib.nullcontext() as tmp:
        try:
            from mnsim.api import run

            block = run(model, backend)
            result["values"] = measure_block(block, measures)
            result["status"] = "ok"
            if keep_block:
                result["block"] = block
        except Exception as exc:  # noqa: BLE001 - a point's failure is data, not a crash
            from mnsim.errors import MnsimError

            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            output = "" if isinstance(exc, MnsimError) or tmp is None else _tail(tmp)
            result["error"] = message + (f" [output: {output}]" if output else "")
    result["wall"] = time.perf_counter() - start
    return result
