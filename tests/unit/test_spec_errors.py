"""Every user error of the model description: a SpecError naming file, line, field, what
was expected and what was given."""

import textwrap

import pytest

from mnsim.errors import SpecError, UnitError
from mnsim.spec import load

GOOD = """\
name: t
simulation: {duration: 100 ms, dt: 0.1 ms}
populations:
  cells:
    size: 3
    cell:
      type: IF_curr_exp
      params: {tau_m: 20 ms, v_thresh: -50 mV}
stimuli:
  drive: {type: step_current, target: cells, amplitude: [0.3 nA, 0.5 nA, 1.0 nA]}
record:
  cells: [spikes, v]
"""


def load_text(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text))
    return load(path), str(path)


def error(tmp_path, old, new, cls=SpecError):
    text = GOOD.replace(old, new)
    assert text != GOOD, "the test's replacement did not apply"
    with pytest.raises(cls) as err:
        load_text(tmp_path, text)
    return err.value


def test_good_model_loads(tmp_path):
    model, _ = load_text(tmp_path, GOOD)
    assert model.populations["cells"].size == 3


def test_unknown_cell_type_lists_known(tmp_path):
    e = error(tmp_path, "type: IF_curr_exp", "type: IF_curr_exq")
    assert e.line == 7 and e.field == "populations.cells.cell.type"
    assert "unknown cell type 'IF_curr_exq' (did you mean 'IF_curr_exp'?)" in str(e)
    assert "HH_squid, HH_cond_exp, IF_curr_exp, IF_curr_alpha, IF_curr_delta" in str(e)
    assert str(e).startswith(f"{tmp_path / 'model.yaml'}:7: ")


def test_unknown_parameter_lists_valid_and_suggests(tmp_path):
    e = error(tmp_path, "tau_m: 20 ms", "tau_mem: 20 ms")
    assert e.line == 8 and e.field == "populations.cells.cell.params.tau_mem"
    assert "unknown parameter 'tau_mem' for IF_curr_exp (did you mean 'tau_m'?)" in str(e)
    assert "valid: cm, tau_m, v_rest" in str(e)


def test_wrong_dimension(tmp_path):
    e = error(tmp_path, "tau_m: 20 ms", "tau_m: 20 mV", UnitError)
    assert e.field == "populations.cells.cell.params.tau_m" and e.line == 8
    assert "expected a time, got '20 mV' (a voltage)" in str(e)


def test_missing_unit(tmp_path):
    e = error(tmp_path, "tau_m: 20 ms", "tau_m: 20", UnitError)
    assert "expected a time with a unit, e.g. '20 ms', got 20 (no unit)" in str(e)


@pytest.mark.parametrize("old, new, field, message", [
    ("size: 3", "size: 0", "populations.cells.size",
     "expected a population size as a positive whole number, got 0"),
    ("size: 3", "size: -2", "populations.cells.size",
     "expected a population size as a positive whole number, got -2"),
    ("size: 3", "size: 2.5", "populations.cells.size", "positive whole number, got 2.5"),
    ("duration: 100 ms", "duration: 0 ms", "simulation.duration",
     "expected a value above zero, got '0 ms'"),
    ("duration: 100 ms", "duration: -5 ms", "simulation.duration",
     "expected a value above zero, got '-5 ms'"),
    ("dt: 0.1 ms", "dt: 0.3 ms", "simulation.dt", "whole number of time steps"),
])
def test_non_positive_sizes_and_durations(tmp_path, old, new, field, message):
    e = error(tmp_path, old, new)
    assert e.field == field and message in str(e)


def test_list_of_wrong_length(tmp_path):
    e = error(tmp_path, "[0.3 nA, 0.5 nA, 1.0 nA]", "[0.3 nA, 0.5 nA]")
    assert e.field == "stimuli.drive.amplitude" and e.line == 10
    assert "expected one value or a list of 3 (one per target neuron), got a list of 2" in str(e)


def test_stimulus_targeting_missing_population(tmp_path):
    e = error(tmp_path, "target: cells", "target: cels")
    assert e.field == "stimuli.drive.target" and e.line == 10
    assert "population 'cels' does not exist (did you mean 'cells'?)" in str(e)


def test_current_density_on_a_point_neuron(tmp_path):
    e = error(tmp_path, "[0.3 nA, 0.5 nA, 1.0 nA]", "10 uA/cm2")
    assert "IF_curr_exp cells have no membrane area; give a current" in str(e)


def test_unrecordable_variable(tmp_path):
    e = error(tmp_path, "[spikes, v]", "[spikes, w]")
    assert e.field == "record.cells.variables.1"
    assert "IF_curr_exp cannot record 'w'" in str(e) and "recordable: spikes, v" in str(e)


def test_unknown_top_level_field(tmp_path):
    e = error(tmp_path, "record:", "recrod:")
    assert e.line == 11 and "unknown field 'recrod' (did you mean 'record'?)" in str(e)


def test_malformed_yaml_names_the_line(tmp_path):
    e = error(tmp_path, "    size: 3", "\tsize: 3")
    assert e.line == 5 and "malformed YAML: found character '\\t'" in str(e)


def test_key_given_twice(tmp_path):
    e = error(tmp_path, "params: {tau_m: 20 ms,", "params: {tau_m: 20 ms, tau_m: 10 ms,")
    assert e.line == 8 and "key 'tau_m' is given twice" in str(e)


def test_missing_file_and_unknown_shipped_model():
    with pytest.raises(SpecError, match="model file not found: 'nope/x.yaml'"):
        load("nope/x.yaml")
    with pytest.raises(SpecError, match="no shipped model or file named 'hh_squit' "
                                        r"\(did you mean 'hh_squid'\?\)"):
        load("hh_squit")


def test_bad_override_is_attributed_to_set():
    with pytest.raises(UnitError) as err:
        load("hh_squid", set={"stimuli.step.amplitude": "6.5 mV"})
    assert str(err.value).startswith("--set: stimuli.step.amplitude: expected a current")


def test_unknown_variant():
    with pytest.raises(SpecError, match="no variant 'AI'; variants of this model: weak, "
                                        "medium, strong"):
        load("hh_squid:AI")
    with pytest.raises(SpecError, match="no variant 'AI'; variants of this model: none"):
        load("lif_fi:AI")


def test_expectation_errors(tmp_path):
    text = GOOD + "expect:\n  - {measure: spike_rate, population: cells, equals: 3}\n"
    with pytest.raises(SpecError, match="unknown measure 'spike_rate'"):
        load_text(tmp_path, text)
    text = GOOD + "expect:\n  - {measure: isi_rate, population: cells, value: 3 Hz}\n"
    with pytest.raises(SpecError, match="'value' needs a 'tolerance'"):
        load_text(tmp_path, text)


def test_parameter_bounds(tmp_path):
    e = error(tmp_path, "tau_m: 20 ms", "tau_m: 0 ms")
    assert e.field == "populations.cells.cell.params.tau_m"
    assert "tau_m must be above zero, got '0 ms'" in str(e)
    e = error(tmp_path, "tau_m: 20 ms", "tau_refrac: -1 ms")
    assert "tau_refrac must be >= 0, got '-1 ms'" in str(e)


def test_stimulus_times_on_the_time_grid(tmp_path):
    e = error(tmp_path, "amplitude: [0.3 nA, 0.5 nA, 1.0 nA]}",
              "amplitude: 1 nA, start: 10.05 ms}")
    assert e.field == "stimuli.drive.start"
    assert "start (10.05 ms) must lie on the time grid (a whole number of dt = 0.1 ms)" in str(e)


@pytest.mark.parametrize("old, new, field, message", [
    ("v_thresh: -50 mV}", "v_thresh: -50 mV, v_reset: -45 mV}",
     "populations.cells.cell.params.v_reset",
     "IF_curr_exp needs v_reset below v_thresh (-50 mV); got v_reset = -45 mV"),
    ("params: {tau_m", "initial: {v: -40 mV}\n      params: {tau_m",
     "populations.cells.cell.initial.v",
     "IF_curr_exp needs v below v_thresh (-50 mV); got v = -40 mV"),
    ("tau_m: 20 ms", "tau_refrac: 0.25 ms", "populations.cells.cell.params.tau_refrac",
     "tau_refrac must be a whole number of time steps (dt = 0.1 ms); got 0.25 ms"),
    ("dt: 0.1 ms}", "dt: 0.1 ms, seed: 4294967295}", "simulation.seed",
     "expected a whole number from 0 to 4294967293"),
    ("[spikes, v]", "{variables: [spikes], indices: []}", "record.cells.indices",
     "expected at least one neuron index"),
    ("amplitude: [0.3 nA, 0.5 nA, 1.0 nA]}", "amplitude: 1 nA, start: 100 ms, stop: 200 ms}",
     "stimuli.drive.start", "start (100 ms) must be before the end of the run (100 ms)"),
    ("duration: 100 ms", "duration: 1e400 ms", "simulation.duration",
     "expected a finite number, got '1e400 ms'"),
])
def test_values_every_backend_needs(tmp_path, old, new, field, message):
    e = error(tmp_path, old, new)
    assert e.field == field and message in str(e), str(e)


def test_expectation_values_are_checked(tmp_path):
    text = GOOD + "expect:\n  - {measure: spike_count, population: cells, equals: 1.5}\n"
    with pytest.raises(SpecError, match="a spike count is a whole number >= 0, got 1.5"):
        load_text(tmp_path, text)
    text = GOOD + ("expect:\n  - {measure: isi_rate, population: cells, value: 3 Hz, "
                   "tolerance: -1 Hz}\n")
    with pytest.raises(SpecError, match="a tolerance must be >= 0"):
        load_text(tmp_path, text)


def test_error_in_a_variant_points_at_the_variant_line(tmp_path):
    text = GOOD + "variants:\n  slow:\n    populations.cells.cell.params.tau_m: 5 mV\n"
    path = tmp_path / "model.yaml"
    path.write_text(text)
    with pytest.raises(UnitError) as err:
        load(f"{path}:slow")
    assert err.value.file == str(path) and err.value.line == 15
    assert "expected a time, got '5 mV'" in str(err.value)


def test_unreadable_and_unsupported_yaml(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(SpecError, match="cannot read the model file"):
        load(binary)
    merge = tmp_path / "merge.yaml"
    merge.write_text("a: &b {x: 1}\nc:\n  <<: *b\n")
    with pytest.raises(SpecError, match="keys must be plain names") as err:
        load(merge)
    assert err.value.line == 3
