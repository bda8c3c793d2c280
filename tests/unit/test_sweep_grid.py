"""Sweep definitions without simulators: the range syntax, the grid, point keys, measures and
sweep files."""

from decimal import Decimal

import pytest

import mnsim
from mnsim.errors import MnsimError, SpecError
from mnsim.sweeps import load_sweep, resolve, shipped_sweeps
from mnsim.sweeps.definition import point_key
from mnsim.sweeps.grid import grid, parse_axis, parse_vary


def values(spec, path="stimuli.step.amplitude"):
    axis = parse_axis(path, spec)
    return [axis.override(v) for v in axis.values]


def test_range_includes_the_stop_on_the_grid_and_counts_exactly():
    axis = parse_axis("stimuli.step.amplitude", "0:20:0.5uA/cm2")
    assert len(axis.values) == 41
    assert axis.values[0] == 0 and axis.values[-1] == 20 and axis.unit == "uA/cm2"
    assert axis.column == "stimuli.step.amplitude (uA/cm2)"
    # never beyond the stop; integer multiples of the step, no float accumulation
    assert values("0:1:0.3 nA") == ["0 nA", "0.3 nA", "0.6 nA", "0.9 nA"]
    assert values("0:1:0.1 nA")[3] == "0.3 nA"
    assert [axis.cell(v) for v in parse_axis("x", "0:1:0.1 nA").values][3] == 0.3
    assert values("20:0:-5 nA") == ["0 nA", "5 nA", "10 nA", "15 nA", "20 nA"]  # sorted


def test_units_lists_and_text():
    assert values("0.3, 0.5 nA") == ["0.3 nA", "0.5 nA"]
    assert values("300 pA, 0.5 nA") == ["0.3 nA", "0.5 nA"]  # one unit per axis
    assert values(["0:1:0.5 nA", "0.25 nA", "1 nA"]) == ["0 nA", "0.25 nA", "0.5 nA", "1 nA"]
    seeds = parse_axis("simulation.seed", "1:3:1")
    assert seeds.unit == "" and [seeds.cell(v) for v in seeds.values] == [1, 2, 3]
    types = parse_axis("populations.c.cell.type", "IF_curr_exp,IF_cond_exp")
    assert types.values == ("IF_curr_exp", "IF_cond_exp") and not types.numeric


@pytest.mark.parametrize("spec, message", [
    ("0:20:0uA/cm2", "zero step"),
    ("0:20:-1 nA", "never reaches its stop"),
    ("0:20 nA", "START:STOP:STEP"),
    ("0:x:1 nA", "'x' is not a number"),
    ("1 nA, 2 mV", "cannot be written in mV"),
    ("0:1:1e-6 nA", "more than 100000"),
    ("2 uA/cn2", "unknown unit 'cn'"),
    ("", "no values given"),
])
def test_bad_ranges_name_the_field_and_the_way_out(spec, message):
    with pytest.raises(MnsimError, match="--vary: stimuli.step.amplitude") as info:
        parse_axis("stimuli.step.amplitude", spec)
    assert message in str(info.value)


def test_vary_texts_make_a_grid_first_axis_slowest():
    axes = parse_vary(["stimuli.drive.mean=0.1,0.2 nA", "stimuli.drive.sigma=1:3:1 nA"])
    points = grid(axes)
    assert len(points) == 6
    assert points[:2] == [(Decimal("0.1"), Decimal(1)), (Decimal("0.1"), Decimal(2))]
    with pytest.raises(MnsimError, match="expects PATH=VALUES"):
        parse_vary(["stimuli.drive.mean"])
    with pytest.raises(MnsimError, match="varied twice"):
        parse_vary(["a.b=1,2", "a.b=3"])
    with pytest.raises(MnsimError, match="nothing to vary"):
        parse_vary([])


def test_points_are_keyed_by_resolved_model_and_backend():
    sweep = resolve("hh_squid", ["stimuli.step.amplitude=2.5,5 uA/cm2"], ["spike_count"],
                    ["neuron", "nest"])
    points = sweep.points(["neuron", "nest"])
    assert [(str(p.values[0]), p.backend) for p in points] == [
        ("2.5", "neuron"), ("2.5", "nest"), ("5", "neuron"), ("5", "nest")]
    assert len({p.key for p in points}) == 4
    same = mnsim.load("hh_squid", set={"stimuli.step.amplitude": "2.5 uA/cm2"})
    assert points[0].key == point_key(same, "neuron")
    assert points[0].model.raw["stimuli"]["step"]["amplitude"] == "2.5 uA/cm2"


def test_a_point_the_model_refuses_is_an_error_before_anything_runs():
    sweep = resolve("hh_squid", ["stimuli.step.amplitude=1,2 mV"], ["spike_count"], "nest")
    with pytest.raises(SpecError, match="sweep point stimuli.step.amplitude=1 mV: .*current"):
        sweep.points(["nest"])


@pytest.mark.parametrize("measures, message", [
    (["spike_cont"], "unknown measure 'spike_cont' (did you mean 'spike_count'?)"),
    (["spike_count@axon"], "population 'axon' is not recorded"),
    ([{"name": "spike_count", "index": 3}], "index 3 is not a recorded neuron"),
    ([{"name": "steady_rate", "window": ["10 ms"]}], "window is [START, STOP]"),
    ([{"name": "steady_rate", "window": ["10 mV", "20 mV"]}], "expected a time"),
    (["spike_count", {"name": "spike_count"}], "give each a different `label:`"),
])
def test_bad_measures(measures, message):
    with pytest.raises(MnsimError) as info:
        resolve("hh_squid", ["stimuli.step.amplitude=1 uA/cm2"], measures)
    assert message in str(info.value)


def test_shipped_sweeps_load_and_do_not_shadow_models():
    assert set(shipped_sweeps()) >= {"hh_fi", "lif_fi_curve", "lif_ou_rate"}
    assert not set(shipped_sweeps()) & set(mnsim.spec.shipped_models())
    hh = load_sweep("hh_fi")
    assert hh.model.simulation.duration_ms == 510.0
    assert len(hh.axes[0].values) == 41 + 11 + 9 + 1  # coarse, rheobase, onset, 9.8
    assert [e.kind for e in hh.expect] == ["onset", "onset", "point", "point", "point"]
    ou = load_sweep("lif_ou_rate")
    assert [a.column for a in ou.axes] == ["stimuli.drive.mean (nA)",
                                           "stimuli.drive.sigma (nA)"]
    assert len(grid(ou.axes)) == 24


def test_giving_vary_drops_a_shipped_sweeps_expectations():
    sweep = resolve("hh_fi", ["stimuli.step.amplitude=5,10 uA/cm2"])
    assert not sweep.expect and [m.name for m in sweep.measures] == ["spike_count",
                                                                     "steady_rate"]
    assert resolve("hh_fi", backends="nest").backends == ("nest",)
    assert len(resolve("hh_fi").expect) == 5


def test_sweep_file_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("model: hh_squid\nvary: {stimuli.step.amplitude: 0:5:1 uA/cm2}\n"
                    "measures: [spike_count]\nexpect:\n"
                    "  - {measure: spike_count, at: 7 uA/cm2, equals: 3}\n")
    with pytest.raises(SpecError, match=r"s.yaml:5: expect.0: .*7 uA/cm2 is not a value"):
        load_sweep(path)
    path.write_text("model: hh_squid\nvary: {stimuli.step.amplitude: 1 uA/cm2}\nmesures: []\n")
    with pytest.raises(SpecError, match=r"s.yaml:3: mesures: unknown field \(did you mean "
                                        r"'measures'\?\)"):
        load_sweep(path)
    with pytest.raises(SpecError, match="no shipped sweep or sweep file named 'hh_fj' "
                                        r"\(did you mean 'hh_fi'\?\)"):
        load_sweep("hh_fj")
