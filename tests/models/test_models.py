"""Every shipped model validates (its expect: entries pass) on every backend it claims."""

import pytest

import mnsim
from conftest import backend_params
from mnsim.spec import shipped_models


@pytest.mark.parametrize("backend", backend_params())
@pytest.mark.parametrize("name", shipped_models())
def test_model_validates(name, backend):
    report = mnsim.validate(name, backend)
    assert report.checks, f"{name} has no expect: entries"
    assert report.passed, report.table()
