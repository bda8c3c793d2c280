"""Capabilities are declared, read without importing a simulator, and name who has what."""

import pytest

import mnsim
from mnsim.backends import backend_class, get_backend
from mnsim.comparison import runnable_backends
from mnsim.errors import BackendUnavailableError, CapabilityError

# what a backend leaves out on purpose, and why (the README's model table says the same)
NOT_SUPPORTED = {"neuron": {"IF_cond_bw2001"},  # Wang (2002)'s cell: NEST and Brian2 only
                 "nest": {"multicompartment"}}  # NEST has no cable cells


def test_every_backend_declares_the_catalogue():
    from mnsim.backends import backend_class
    from mnsim.catalogue import CELL_TYPES, STIMULUS_TYPES
    from mnsim.catalogue.synapses import SYNAPSE_TYPES

    for info in mnsim.backends():
        missing = NOT_SUPPORTED.get(info.name, set())
        assert set(info.cell_types) == set(CELL_TYPES) - missing, info.name
        assert set(info.stimulus_types) == set(STIMULUS_TYPES), info.name
        assert backend_class(info.name).capabilities.synapse_types == set(SYNAPSE_TYPES)
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


def test_hh_in_a_cable_cell_away_from_6_3_degc_needs_temperature():
    from mnsim.backends.base import required_features

    axon = mnsim.load("hh_axon_velocity")  # hh everywhere, at 18.5 degC
    assert required_features(axon) == {"temperature": (
        "hh (multicompartment population 'axon') at 18.5 degC (rates scaled by q10 = 3 from "
        "6.3 degC)")}
    assert required_features(mnsim.load("hh_axon_velocity", set={
        "simulation.temperature": "6.3 degC"})) == {}
    # pas only: the temperature changes nothing
    assert required_features(mnsim.load("passive_cable", set={
        "simulation.temperature": "20 degC"})) == {}
