"""The backend registry: name -> the class that drives its simulator.

Listing backends never imports a simulator: a backend class names its simulator's module
(``module``) and declares its capabilities as class attributes, in a module that imports the
simulator only when a model runs; availability is ``importlib.util.find_spec``.
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

REGISTRY: dict[str, str] = {  # name -> "module:Class"
    "neuron": "mnsim.backends.neuron.backend:NeuronBackend",
    "brian2": "mnsim.backends.brian2.backend:Brian2Backend",
    "nest": "mnsim.backends.nest.backend:NestBackend",
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
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def backend_classes() -> dict[str, type[Backend]]:
    return {name: backend_class(name) for name in REGISTRY}


def is_installed(name: str) -> bool:
    return importlib.util.find_spec(backend_class(name).module) is not None


def get_backend(name: str, threads: int = 1) -> Backend:
    """An instance of backend ``name``, or an error that lists the installed ones."""
    cls = backend_class(name)
    if not is_installed(name):
        installed = [n for n in REGISTRY if is_installed(n)]
        raise BackendUnavailableError(
            f"backend '{name}' needs the Python module '{cls.module}', which is not "
            f"installed; installed backends: {', '.join(installed) or 'none'} (./dev installs "
            f"all three)")
    return cls(threads=threads)


def backends() -> list[BackendInfo]:
    """Every known backend, whether its simulator is installed, and what it supports."""
    infos = []
    for name in REGISTRY:
        cls = backend_class(name)
        caps = cls.capabilities
        infos.append(BackendInfo(name=name, simulator=cls.module, installed=is_installed(name),
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
