"""Shared test set-up: backend markers that skip with a reason when a simulator is missing,
and fail instead in CI, where all three simulators must be installed; ``requires_mpi`` does the
same for ``mpiexec`` (which ``.ci/run`` installs)."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

SIMULATORS = {"neuron": "neuron", "brian2": "brian2", "nest": "nest"}

os.environ.setdefault("PYNEST_QUIET", "1")


def backend_params() -> list:
    """``pytest.param`` per backend, each with its ``requires_<name>`` marker."""
    return [pytest.param(name, marks=getattr(pytest.mark, f"requires_{name}"), id=name)
            for name in SIMULATORS]


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name, module in SIMULATORS.items():
        if item.get_closest_marker(f"requires_{name}") is None:
            continue
        if importlib.util.find_spec(module) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{name} is not installed, but CI must run every backend "
                            f"(the README's set-up installs it)")
            pytest.skip(f"{name} is not installed (./dev installs it); backend test skipped")
    if item.get_closest_marker("requires_mpi") is not None and shutil.which("mpiexec") is None:
        if os.environ.get("CI"):
            pytest.fail("mpiexec not found, but CI must run the MPI tests (.ci/run installs "
                        "openmpi-bin)")
        pytest.skip("mpiexec not found: apt-get install openmpi-bin")
