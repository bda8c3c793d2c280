"""Every shipped model, and each of its variants, validates (its expect: entries pass) on every
backend."""

import pytest

import mnsim
from conftest import backend_params
from mnsim.spec import shipped_models


def model_names() -> list[str]:
    names = []
    for name in shipped_models():
        names.append(name)
        names += [f"{name}:{variant}" for variant in mnsim.load(name).raw.get("variants", {})]
    return names


def test_variants_are_collected():
    assert {"hh_squid:weak", "hh_squid:medium", "hh_squid:strong"} <= set(model_names())


@pytest.mark.parametrize("backend", backend_params())
@pytest.mark.parametrize("name", model_names())
def test_model_validates(name, backend):
    report = mnsim.validate(name, backend)
    assert report.checks, f"{name} has no expect: entries"
    assert report.passed, report.table()
