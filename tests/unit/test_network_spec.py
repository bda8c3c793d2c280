"""The network sections of a model description: every bad input of issue 3 section 6 is a
SpecError naming the file, line and field; good input becomes the typed model."""

import textwrap

import numpy as np
import pytest

from mnsim.errors import SpecError
from mnsim.spec import load

NET = """\
name: net
simulation: {duration: 100 ms, dt: 0.1 ms, seed: 3}
populations:
  exc: {size: 40, cell: {type: IF_cond_exp}}
  inh: {size: 10, cell: {type: IF_curr_exp}}
projections:
  ee:
    pre: exc
    post: exc
    connector: {rule: fixed_indegree, k: 5, allow_autapses: false}
    synapse: {weight: 2 nS, delay: 1 ms}
    receptor: excitatory
  ie:
    pre: inh[0:5]
    post: inh
    connector: {rule: fixed_probability, p: 0.5}
    synapse: {weight: -0.1 nA, delay: 0.5 ms}
    receptor: inhibitory
stimuli:
  drive: {type: poisson, target: exc, rate: 100 Hz, receptor: excitatory,
          synapse: {weight: 1 nS}}
record:
  exc: {variables: [spikes, gsyn_exc], first: 5}
"""


def load_net(tmp_path, old="", new="", name="model.yaml"):
    text = NET.replace(old, new)
    assert text != NET or old == "", "the test's replacement did not apply"
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load(path)


def net_error(tmp_path, old, new):
    with pytest.raises(SpecError) as err:
        load_net(tmp_path, old, new)
    return err.value


def test_good_network_is_typed(tmp_path):
    m = load_net(tmp_path)
    ee, ie = m.projections["ee"], m.projections["ie"]
    assert (ee.name, ie.name) == ("ee", "ie")
    assert (ee.pre_range, ee.post_range, ee.receptor) == ((0, 40), (0, 40), "excitatory")
    assert ee.synapse.weight == pytest.approx(0.002) and ee.synapse.delay_ms == 1.0
    assert ie.pre_range == (0, 5) and ie.synapse.weight == pytest.approx(-0.1)
    assert m.stimuli["drive"].synapse.delay_ms == pytest.approx(0.1)  # default: dt
    assert m.record["exc"].indices == (0, 1, 2, 3, 4) and m.connectivity == "shared"


def test_projection_to_missing_population(tmp_path):
    e = net_error(tmp_path, "post: inh\n", "post: inhh\n")
    assert e.field == "projections.ie.post" and e.line == 15
    assert "population 'inhh' does not exist (did you mean 'inh'?)" in str(e)


def test_slice_outside_population(tmp_path):
    e = net_error(tmp_path, "inh[0:5]", "inh[5:12]")
    assert e.field == "projections.ie.pre"
    assert "slice [5:12] does not select neurons of 'inh' (size 10)" in str(e)


def test_indegree_larger_than_source(tmp_path):
    e = net_error(tmp_path, "k: 5", "k: 40")
    assert e.field == "projections.ee.connector.k" and e.line == 10
    assert "fixed_indegree asks for k = 40 but there are only 39 pre neurons" in str(e)
    assert "allow_multapses: true" in str(e)


def test_weight_of_wrong_sign(tmp_path):
    e = net_error(tmp_path, "weight: -0.1 nA", "weight: 0.1 nA")
    assert e.field == "projections.ie.synapse.weight" and e.line == 17
    assert "weights onto the inhibitory receptor" in str(e) and "must be <= 0" in str(e)
    e = net_error(tmp_path, "weight: 2 nS", "weight: -2 nS")
    assert "must be >= 0" in str(e) and "uS" in str(e)


def test_weight_distribution_must_keep_its_sign(tmp_path):
    e = net_error(tmp_path, "weight: 2 nS", "weight: {distribution: normal, mu: 2 nS, sigma: 1 nS}")
    assert "bound the distribution with 'min'/'max'" in str(e)
    m = load_net(tmp_path, "weight: 2 nS",
                 "weight: {distribution: normal, mu: 2 nS, sigma: 1 nS, min: 0 nS}")
    assert m.projections["ee"].synapse.weight.support() == (0.0, np.inf)


def test_weight_in_wrong_unit(tmp_path):
    e = net_error(tmp_path, "weight: 2 nS", "weight: 2 nA")
    assert e.field == "projections.ee.synapse.weight"
    assert "conductance" in str(e) and "current" in str(e)


def test_delay_below_dt(tmp_path):
    e = net_error(tmp_path, "delay: 1 ms", "delay: 0.05 ms")
    assert e.field == "projections.ee.synapse.delay" and e.line == 11
    assert "delays must be at least one time step (dt = 0.1 ms), got '0.05 ms'" in str(e)
    e = net_error(tmp_path, "delay: 1 ms", "delay: {distribution: uniform, low: 0 ms, high: 1 ms}")
    assert "give the distribution a 'min'" in str(e)


def test_unknown_connector_and_receptor(tmp_path):
    e = net_error(tmp_path, "fixed_indegree", "fixed_indegre")
    assert "unknown connector rule 'fixed_indegre' (did you mean 'fixed_indegree'?)" in str(e)
    e = net_error(tmp_path, "receptor: inhibitory", "receptor: gaba")
    assert e.field == "projections.ie.receptor"
    assert "IF_curr_exp has no receptor 'gaba'; receptors: excitatory, inhibitory" in str(e)


def test_from_list_file_out_of_range(tmp_path):
    (tmp_path / "conns.csv").write_text("pre,post,weight,delay\n0,1,0.002,1.0\n3,40,0.002,1.0\n")
    e = net_error(tmp_path, "{rule: fixed_indegree, k: 5, allow_autapses: false}",
                  "{rule: from_list, connections: conns.csv}")
    assert e.field == "projections.ee.connector.connections"
    assert "file conns.csv: column 'post' holds 40, not a neuron index of 'exc'" in str(e)


def test_from_list_file_bad_column(tmp_path):
    (tmp_path / "conns.csv").write_text("pre,post,weigth\n0,1,0.002\n")
    e = net_error(tmp_path, "{rule: fixed_indegree, k: 5, allow_autapses: false}",
                  "{rule: from_list, connections: conns.csv}")
    assert "conns.csv: unknown column 'weigth' (did you mean 'weight'?)" in str(e)


def test_from_list_npz_and_inline(tmp_path):
    np.savez(tmp_path / "conns.npz", pre=np.array([0, 1]), post=np.array([2, 3]),
             weight=np.array([0.001, 0.002]), delay=np.array([1.0, 2.0]))
    m = load_net(tmp_path, "{rule: fixed_indegree, k: 5, allow_autapses: false}",
                 "{rule: from_list, connections: conns.npz}")
    from mnsim import draw
    c = draw.connections(m, "ee")
    assert c.pre.tolist() == [0, 1] and c.post.tolist() == [2, 3]
    assert c.weight.tolist() == [0.001, 0.002] and c.delay_ms.tolist() == [1.0, 2.0]
    m = load_net(tmp_path, "{rule: fixed_indegree, k: 5, allow_autapses: false}",
                 "{rule: from_list, connections: [[0, 1, 3 nS, 2 ms], [4, 4, 1 nS, 0.5 ms]]}")
    c = draw.connections(m, "ee")
    assert c.weight == pytest.approx([0.003, 0.001]) and c.delay_ms == pytest.approx([2, 0.5])


def test_spike_times_off_grid_and_outside(tmp_path):
    base = "drive: {type: poisson, target: exc, rate: 100 Hz,"
    e = net_error(tmp_path, base, "drive: {type: spike_times, target: exc, times: [10.05 ms],")
    assert e.field == "stimuli.drive.times.0" and "not on the time grid" in str(e)
    e = net_error(tmp_path, base, "drive: {type: spike_times, target: exc, times: [0 ms],")
    assert "outside the run" in str(e)


def test_network_too_large_for_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("MNSIM_MEMORY_LIMIT_GB", "0.001")
    e = net_error(tmp_path, "size: 40", "size: 40000")
    assert "this model needs about" in str(e) and "more than the 0.0 GB available" in str(e)
    assert "MNSIM_MEMORY_LIMIT_GB" in str(e)


def test_connectivity_mode(tmp_path):
    e = net_error(tmp_path, "record:", "compare: {connectivity: mixed}\nrecord:")
    assert e.field == "compare.connectivity" and "expected one of shared, native" in str(e)


def test_record_fraction_is_seeded_subset(tmp_path):
    m = load_net(tmp_path, "first: 5", "fraction: 0.25")
    again = load_net(tmp_path, "first: 5", "fraction: 0.25", name="again.yaml")
    assert len(m.record["exc"].indices) == 10 and m.record["exc"].indices == again.record[
        "exc"].indices
    assert list(m.record["exc"].indices) == sorted(set(m.record["exc"].indices))


def test_large_population_records_spikes_only_by_default(tmp_path):
    small = load_net(tmp_path, "exc: {variables: [spikes, gsyn_exc], first: 5}", "exc: {}")
    assert small.record["exc"].variables == ("spikes", "v")
    text = NET.replace("exc: {variables: [spikes, gsyn_exc], first: 5}", "exc: {}")
    path = tmp_path / "big.yaml"
    path.write_text(text.replace("exc: {size: 40", "exc: {size: 1001"))
    assert load(path).record["exc"].variables == ("spikes",)


def test_overlapping_slices_without_autapses_are_refused(tmp_path):
    e = net_error(tmp_path, "    pre: exc\n    post: exc\n",
                  "    pre: exc[0:30]\n    post: exc[10:40]\n")
    assert e.field == "projections.ee.connector.allow_autapses"
    assert "overlap without being the same neurons" in str(e)


def test_any_population_name_can_be_targeted(tmp_path):
    text = NET.replace("exc:", "L2/3e:").replace("pre: exc", "pre: L2/3e").replace(
        "post: exc", "post: L2/3e").replace("target: exc", "target: L2/3e")
    (tmp_path / "m.yaml").write_text(text)
    m = load(tmp_path / "m.yaml")
    assert m.stimuli["drive"].target == "L2/3e" and m.projections["ee"].pre_range == (0, 40)


def test_final_weights_survive_a_nix_file(tmp_path):
    import mnsim
    from mnsim.backends.base import RawResults
    from mnsim.results import final_weights, save, to_block
    from mnsim.results import load as load_results

    m = mnsim.load({"name": "w", "simulation": {"duration": "10 ms", "dt": "0.1 ms"},
              "populations": {"a": {"size": 2, "cell": {"type": "IF_curr_exp"}}},
              "projections": {"p": {"pre": "a", "post": "a", "receptor": "excitatory",
                                    "connector": {"rule": "all_to_all"},
                                    "synapse": {"type": "stdp", "weight": "0.1 nA",
                                                "w_max": "0.3 nA"}}}})
    raw = RawResults(spikes={}, signals=[], integration="test",
                     weights={"p": (np.array([0, 1]), np.array([0, 0]), np.array([0.1, 0.2]))})
    block = to_block(raw, m, backend="t", backend_version="0", build_time_s=0, run_time_s=0)
    again = load_results(save(block, tmp_path / "w.nix"))
    got = final_weights(again, "p")
    assert got["pre"].tolist() == [0, 1] and got["weight"].tolist() == [0.1, 0.2]
    assert got["unit"] == "nA"
