"""The functions behind ``mnsim.run``, ``mnsim.compare``, ``mnsim.validate``, ``mnsim.save``
and ``mnsim.load_results``; ``mnsim/__init__.py`` re-exports them lazily."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnsim.spec import Model, load

if TYPE_CHECKING:
    import neo

    from mnsim.comparison import Comparison
    from mnsim.validation import Validation


def _model(model: str | Path | Mapping[str, Any] | Model,
           set: Mapping[str, Any] | None) -> Model:  # noqa: A002
    return load(model, set=set) if set or not isinstance(model, Model) else model


def run(model: str | Path | Mapping[str, Any] | Model, backend: str = "neuron", *,
        set: Mapping[str, Any] | None = None, threads: int = 1) -> neo.Block:  # noqa: A002
    """Run ``model`` on one backend in this process and return a ``neo.Block``.

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


def save(block: neo.Block, path: str | Path) -> Path:
    """Save results to ``.nix`` or ``.pkl`` (atomically)."""
    from mnsim.results import save as _save

    return _save(block, path)


def load_results(path: str | Path) -> neo.Block:
    """Load results saved by :func:`save`."""
    from mnsim.results import load as _load

    return _load(path)
