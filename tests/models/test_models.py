"""Every shipped model, and each of its variants, validates (its expect: entries pass) on every
backend that can run it. Network-scale runs are marked ``slow`` (deselected by default;
``./dev test -m slow`` runs them): more synapses than a backend builds in a few seconds. A
backend whose declared capabilities exclude the model (its cell types, stimuli, synapses:
``Backend.check`` raises ``CapabilityError``, as ``mnsim run`` would) is skipped with that
error as the reason, decided when the tests are collected."""

import pytest

import mnsim
from conftest import SIMULATORS
from mnsim.backends import backend_class
from mnsim.errors import CapabilityError
from mnsim.spec import shipped_models
from mnsim.spec.memory import expected_synapses

# synapses above which a run takes more than about half a minute on the CI machine
SLOW_ABOVE = {"neuron": 1_000_000, "brian2": 5_000_000, "nest": 5_000_000}


# validated elsewhere from the same runs that are held to their references: the Rallpacks in
# test_rallpack.py (reference traces), l5_pyramidal in test_l5_pyramidal.py (the hand-written
# NEURON cell; Brian2 there is a slow test)
VALIDATED_ELSEWHERE = {"rallpack1", "rallpack2", "rallpack3", "l5_pyramidal"}


def model_names() -> list[str]:
    names = []
    for name in sorted(set(shipped_models()) - VALIDATED_ELSEWHERE):
        names.append(name)
        names += [f"{name}:{variant}" for variant in mnsim.load(name).raw.get("variants", {})]
    return names


def cases() -> list:
    params = []
    for name in model_names():
        model = mnsim.load(name)
        synapses = sum(expected_synapses(p) for p in model.projections.values())
        for backend in SIMULATORS:
            marks = [getattr(pytest.mark, f"requires_{backend}")]
            if synapses > SLOW_ABOVE[backend]:
                marks.append(pytest.mark.slow)
            try:
                backend_class(backend)().check(model)
            except CapabilityError as err:
                marks.append(pytest.mark.skip(reason=f"not supported: {err}"))
            params.append(pytest.param(name, backend, marks=marks, id=f"{name}-{backend}"))
    return params


def test_variants_are_collected():
    assert {"hh_squid:weak", "hh_squid:medium", "hh_squid:strong"} <= set(model_names())


@pytest.mark.parametrize(("name", "backend"), cases())
def test_model_validates(name, backend):
    report = mnsim.validate(name, backend)
    assert report.checks, f"{name} has no expect: entries"
    assert report.passed, report.table()
