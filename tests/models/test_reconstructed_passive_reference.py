"""The reference numbers of models/reconstructed_passive.yaml (its ``expect:`` values) are the
independent solver's (tests/models/passive_tree.py: the cable equation on mnsim's geometry,
numpy/scipy only), recomputed here from the loaded model: no simulator, about a second."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import mnsim

sys.path.insert(0, str(Path(__file__).resolve().parent))
from passive_tree import epsp_peak_mV, input_resistance_MOhm  # noqa: E402


def test_expect_values_are_the_independent_solution():
    model = mnsim.load("reconstructed_passive")
    cell = model.populations["cell"].cell
    morph = cell.morphology
    # the uniform membrane, read from the model (every section alike)
    values = cell.values(0, np.array([0.5]))
    g_pas, e_pas = (float(values.mechanisms["pas"][k][0]) for k in ("g", "e"))
    cm, ri = float(values.cm[0]), cell.Ra_ohm_cm(0)
    assert (g_pas, e_pas, cm, ri) == (5e-5, -70.0, 1.0, 150.0)
    syn = cell.synapses["distal"]
    epsp = model.stimuli["epsp"]
    assert epsp.receptor == "distal" and syn.type == "exp2syn"
    at_syn = (syn.location.section, syn.location.x)
    points = {loc.label: (loc.section, loc.x) for loc in model.record["cell"].locations}
    assert points["{type: basal, distance: 150 um}"] == at_syn  # recorded at the synapse

    def solved(exp):
        where = points[exp.location]
        if exp.measure == "input_resistance":
            return input_resistance_MOhm(morph, g_pas, ri, where)
        assert exp.measure == "epsp_peak"
        p = syn.params
        return epsp_peak_mV(morph, g_pas, ri, cm, at_syn, where, epsp.synapse.weight,
                            p["tau1"], p["tau2"], p["e"], e_pas)

    checked = {(e.measure, e.location): (e.expected[0], solved(e)) for e in model.expect}
    assert sorted(checked) == [("epsp_peak", "soma(0.5)"),
                               ("epsp_peak", "{type: basal, distance: 150 um}"),
                               ("input_resistance", "soma(0.5)")]
    for key, (written, solution) in checked.items():
        assert written == pytest.approx(solution, rel=5e-4), key  # the file's number
    # the solver's numbers themselves (497.449 MOhm, 2.6802 and 24.208 mV)
    assert [round(s, 3) for _, s in sorted(checked.values())] == [2.68, 24.208, 497.449]
