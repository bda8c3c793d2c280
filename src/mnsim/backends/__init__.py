"""The backend registry: name -> (simulator module it needs, class that drives it).

Listing backends never imports a simulator: availability is ``importlib.util.find_spec`` and
capabilities are class attributes of modules that import their simulator only when they run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnsim.errors import BackendUnavailableError

if TYPE_CHECKING:
    from mnsim.backends.base import Backend

# name -> (simulator import name, "module:Class")
REGISTRY: dict[str, tuple[str, str]] = {
    "neuron": ("neuron", "mnsim.backends.neuron.backend:NeuronBackend"),
    "brian2": ("brian2", "mnsim.backends.brian2.backend:Brian2Backend"),
    "nest": ("nest", "mnsim.backends.nest.backend:NestBackend"),
}


@dataclass(frozen=True)
class BackendInfo:
    name: str
    simulator: str
    installed: bool
    cell_types: tuple[str, ...]
    stimulus_types: tuple[str, ...]
    features: tuple[str, ...]


def backend_class(name: str) -> type[Backend]:
    if name not in REGISTRY:
        raise BackendUnavailableError(f"unknown backend '{name}'; known: {', '.join(REGISTRY)}")
    module, _, cls = REGISTRY[name][1].partition(":")
    return getattr(importlib.import_module(module), cls)


def backend_classes() -> dict[str, type[Backend]]:
    return {name: backend_class(name) for name in REGISTRY}


def is_installed(name: str) -> bool:
    return importlib.util.find_spec(REGISTRY[name][0]) is not None


def get_backend(name: str, threads: int = 1) -> Backend:
    """An instance of backend ``name``, or an error that lists the installed ones."""
    cls = backend_class(name)
    if not is_installed(name):
        installed = [n for n in REGISTRY if is_installed(n)]
        raise BackendUnavailableError(
            f"backend '{name}' needs the Python package '{REGISTRY[name][0]}', which is not "
            f"installed; installed backends: {', '.join(installed) or 'none'}")
    return cls(threads=threads)


def backends() -> list[BackendInfo]:
    """Every known backend, whether its simulator is installed, and what it supports."""
    infos = []
    for name, (simulator, _) in REGISTRY.items():
        caps = backend_class(name).capabilities
        infos.append(BackendInfo(name=name, simulator=simulator, installed=is_installed(name),
                                 cell_types=tuple(sorted(caps.cell_types)),
                                 stimulus_types=tuple(sorted(caps.stimulus_types)),
                                 features=tuple(sorted(caps.features))))
    return infos


class _CallableModule(types.ModuleType):
    """``mnsim.backends`` is both this package and the public function ``mnsim.backends()``:
    importing the package sets ``mnsim.backends`` to the module, so the module itself answers
    the call."""

    def __call__(self) -> list[BackendInfo]:
        return backends()


sys.modules[__name__].__class__ = _CallableModule
