"""The functions behind ``mnsim.run``, ``mnsim.compare``, ``mnsim.validate``, ``mnsim.sweep``,
``mnsim.save`` and ``mnsim.load_results``; ``mnsim/__init__.py`` re-exports them lazily."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnsim.spec import Model, load

if TYPE_CHECKING:
    import neo
    import pandas as pd

    from mnsim.comparison import Comparison
    from mnsim.validation import Validation


def _model(model: str | Path | Mapping[str, Any] | Model,
           set: Mapping[str, Any] | None) -> Model:  # noqa: A002
    return load(model, set=set) if set or not isinstance(model, Model) else model


def run(model: str | Path | Mapping[str, Any] | Model, backend: str = "neuron", *,
        set: Mapping[str, Any] | None = None, threads: int = 1) -> neo.Block | None:  # noqa: A002
    """Run ``model`` on one backend in this process and return a ``neo.Block``.

    Under ``mpiexec`` with several ranks (NEURON, or NEST built with MPI; ``docs/mpi.md``) the
    network is spread over the ranks: rank 0 returns the Block of the whole network, the other
    ranks None.

    Parameters
    ----------
    model
        A :class:`~mnsim.spec.model.Model`, or anything :func:`mnsim.load` accepts.
    backend
        ``"neuron"``, ``"brian2"`` or ``"nest"``.
    set
        Overrides, as for :func:`mnsim.load`.
    threads
        Threads for simulators that use them (NEST).

    Raises
    ------
    CapabilityError
        The backend lacks something the model needs; the message names who has it.
    BackendUnavailableError
        The backend's simulator is not installed.
    """
    from mnsim.backends import get_backend

    return get_backend(backend, threads=threads).run(_model(model, set))


def compare(model: str | Path | Mapping[str, Any] | Model,
            backends: Sequence[str] | None = None, *,
            set: Mapping[str, Any] | None = None) -> Comparison:  # noqa: A002
    """Run ``model`` on several backends, each in its own process, and compare them.

    Returns a :class:`~mnsim.comparison.Comparison` with the table rows, the Blocks and
    ``agree`` (True when every backend matches the first within the model's tolerances).
    """
    from mnsim.comparison import compare_backends

    return compare_backends(_model(model, set), backends)


def validate(model: str | Path | Mapping[str, Any] | Model, backend: str = "neuron", *,
             set: Mapping[str, Any] | None = None,
             block: neo.Block | None = None) -> Validation:  # noqa: A002
    """Check a model's ``expect:`` entries on one backend (or on a given ``block``)."""
    from mnsim.validation import check_expectations

    resolved = _model(model, set)
    return check_expectations(resolved, block if block is not None else run(resolved, backend))


def sweep(model: Any, vary: Any = None, measures: Any = None,
          backends: str | Sequence[str] | None = None, workers: int | None = None,
          scheduler: Any = None, out: str | Path | None = None, keep_blocks: bool = False,
          progress: bool | None = None, *,
          set: Mapping[str, Any] | None = None) -> pd.DataFrame:  # noqa: A002
    """Run ``model`` at every point of a parameter grid on Dask worker processes (or a
    cluster) and return a tidy ``pandas.DataFrame``: one row per point and backend.

    ``mnsim.sweep("hh_squid", vary={"stimuli.step.amplitude": "0:20:0.5 uA/cm2"},
    measures=["steady_rate"], out="hh_fi")``; ``model`` may also name a shipped sweep
    (``"hh_fi"``) or a sweep file. Every argument is described in :func:`mnsim.sweeps.sweep`;
    the format and the resume rules in ``docs/sweeps.md``.
    """
    from mnsim.sweeps import sweep as _sweep

    return _sweep(model, vary, measures, backends, workers, scheduler, out, keep_blocks,
                  progress, set=set)


def save(block: neo.Block, path: str | Path) -> Path:
    """Save results to ``.nix`` or ``.pkl`` (atomically)."""
    from mnsim.results import save as _save

    return _save(block, path)


def load_results(path: str | Path) -> neo.Block:
    """Load results saved by :func:`save`."""
    from mnsim.results import load as _load

    return _load(path)
