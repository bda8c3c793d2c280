"""Capabilities are declared, read without importing a simulator, and name who has what."""

import pytest

import mnsim
from mnsim.backends import backend_class, get_backend
from mnsim.comparison import runnable_backends
from mnsim.errors import BackendUnavailableError, CapabilityError


def test_every_backend_declares_the_catalogue():
    for info in mnsim.backends():
        assert set(info.cell_types) == {"HH_squid", "IF_curr_exp", "IF_curr_alpha",
                                        "IF_cond_exp", "EIF_cond_exp_isfa_ista", "Izhikevich"}
        assert info.stimulus_types == ("step_current",)
    features = {info.name: info.features for info in mnsim.backends()}
    assert features == {"neuron": ("temperature",), "brian2": ("temperature",), "nest": ()}


def test_check_names_the_missing_feature_and_who_has_it():
    warm = mnsim.load("hh_squid", set={"simulation.temperature": "20 degC"})
    with pytest.raises(CapabilityError) as err:
        backend_class("nest")().check(warm)
    assert str(err.value) == ("the nest backend does not support HH_squid at 20 degC (rates "
                              "scaled by q10 = 3 from 6.3 degC); supported by: neuron, brian2")
    backend_class("neuron")().check(warm)
    backend_class("nest")().check(mnsim.load("hh_squid"))  # 6.3 degC is fine


def test_compare_and_validate_leave_out_backends_that_cannot_run_a_model():
    warm = mnsim.load("hh_squid", set={"simulation.temperature": "20 degC"})
    names, skipped = runnable_backends(warm)
    assert "nest" not in names and "nest" in skipped


def test_unknown_backend_lists_known():
    with pytest.raises(BackendUnavailableError, match="unknown backend 'moose'; known: neuron, "
                                                      "brian2, nest"):
        get_backend("moose")
