"""The results directory and resuming, without simulators: the point's run is replaced by a
fake that counts its calls, on an in-process Dask cluster."""

import csv
import math

import pytest

import mnsim
from mnsim.errors import MnsimError
from mnsim.sweeps import store as store_module
from mnsim.sweeps.store import Store

VARY = {"stimuli.step.amplitude": "1:4:1 uA/cm2"}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address=None,
                            scheduler_kwargs={"dashboard_address": ":0"}) as c:
        yield c


class Calls:
    """The fake's calls, in a file: Dask pickles the fake function (by value), so a list in
    its closure would be a copy."""

    def __init__(self, path):
        self.path = path
        path.write_text("")

    def add(self, amp, backend):
        with open(self.path, "a") as f:
            f.write(f"{amp}|{backend}\n")

    def clear(self):
        self.path.write_text("")

    def list(self):
        return [tuple(line.split("|")) for line in self.path.read_text().splitlines()]


@pytest.fixture
def fake_runs(monkeypatch, tmp_path):
    """Replace the worker's run_point: a point 'fires' amplitude x 10 spikes; the amplitudes
    in ``fail`` come back failed, as a simulator error would."""
    calls = Calls(tmp_path / "calls.txt")
    fail = set()

    def run_point(model, backend, measures, keep_block):
        amp = model.raw["stimuli"]["step"]["amplitude"]
        calls.add(amp, backend)
        if amp in fail:
            return {"status": "failed", "error": "SimulationError: boom", "values": {},
                    "block": None, "wall": 0.01}
        value = float(amp.split()[0]) * 10
        return {"status": "ok", "error": "", "block": None, "wall": 0.01,
                "values": {m.column: value for m in measures}}

    import mnsim.sweeps.task as task

    monkeypatch.setattr(task, "run_point", run_point)
    return calls, fail


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_table_resume_and_failed_points(tmp_path, client, fake_runs):
    calls, fail = fake_runs
    fail.add("3 uA/cm2")
    out = tmp_path / "sw"
    table = mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                        scheduler=client, out=out)
    assert len(calls.list()) == 4 and table.attrs["ran"] == 4 and table.attrs["failed"] == 1
    assert list(table.columns) == ["stimuli.step.amplitude (uA/cm2)", "backend", "spike_count",
                                   "status", "wall time (s)", "error", "key"]
    assert table["stimuli.step.amplitude (uA/cm2)"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert table["status"].tolist() == ["ok", "ok", "failed", "ok"]
    assert table["error"].tolist()[2] == "SimulationError: boom"
    assert math.isnan(table["spike_count"][2]) and table["spike_count"][3] == 40.0
    rows = read(out / "results.csv")
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "ok"]  # grid order
    assert {p.name for p in out.iterdir()} == {"results.csv", "model.yaml", "sweep.yaml"}
    assert mnsim.load(out / "model.yaml").sha256 == mnsim.load("hh_squid").sha256

    # again: the finished points are skipped, the failed one runs again (and now works)
    calls.clear()
    fail.clear()
    table = mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                        scheduler=client, out=out)
    assert calls.list() == [("3 uA/cm2", "nest")]
    assert (table.attrs["ran"], table.attrs["reused"]) == (1, 3)
    assert table["spike_count"].tolist() == [10.0, 20.0, 30.0, 40.0]

    # a larger grid and another measure: old points lacking it run again (no Blocks kept)
    calls.clear()
    table = mnsim.sweep("hh_squid", vary={"stimuli.step.amplitude": "0:5:1 uA/cm2"},
                        measures=["spike_count"], backends="nest", scheduler=client, out=out)
    assert sorted(calls.list()) == [("0 uA/cm2", "nest"), ("5 uA/cm2", "nest")]
    calls.clear()
    table = mnsim.sweep("hh_squid", vary={"stimuli.step.amplitude": "1,2 uA/cm2"},
                        measures=["spike_count", "mean_rate"], backends="nest",
                        scheduler=client, out=out)
    assert len(calls.list()) == 2 and table["mean_rate (Hz)"].tolist() == [10.0, 20.0]
    # the table keeps every point run in the directory, the current ones first
    rows = read(out / "results.csv")
    assert len(rows) == 6 and [r["stimuli.step.amplitude (uA/cm2)"] for r in rows[:2]] == [
        "1.0", "2.0"]
    assert rows[2]["mean_rate (Hz)"] == ""  # never measured there: not a NaN


def test_the_saved_definition_runs_the_same_sweep(tmp_path, client, fake_runs):
    calls, _ = fake_runs
    out = tmp_path / "sw"
    first = mnsim.sweep("hh_fi", vary=VARY, backends=["nest", "neuron"], scheduler=client,
                        out=out)
    calls.clear()
    again = mnsim.sweep(str(out / "sweep.yaml"), scheduler=client, out=out)
    assert calls.list() == [] and again.attrs["reused"] == 8
    assert again["key"].tolist() == first["key"].tolist()
    assert list(again.columns) == list(first.columns)


def test_a_directory_of_another_model_is_refused(tmp_path, client, fake_runs):
    out = tmp_path / "sw"
    mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                scheduler=client, out=out)
    with pytest.raises(MnsimError, match="holds a sweep of another model"):
        mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                    scheduler=client, out=out, set={"simulation.duration": "100 ms"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(MnsimError, match="not empty and holds no sweep"):
        mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                    scheduler=client, out=other)
    # a second sweep into a directory another is writing to
    (out / ".lock").write_text("some-other-host 12345")
    with pytest.raises(MnsimError, match="another sweep .some-other-host pid 12345. is writing"):
        mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                    scheduler=client, out=out)
    import socket

    (out / ".lock").write_text(f"{socket.gethostname()} 999999999")  # a process long gone
    assert mnsim.sweep("hh_squid", vary=VARY, measures=["spike_count"], backends="nest",
                       scheduler=client, out=out).attrs["reused"] == 4
    assert not (out / ".lock").exists()
    with pytest.raises(MnsimError, match="keep_blocks needs a results directory"):
        mnsim.sweep("hh_squid", vary=VARY, backends="nest", scheduler=client,
                    keep_blocks=True)
    with pytest.raises(MnsimError, match="sizes the local cluster only"):
        mnsim.sweep("hh_squid", vary=VARY, backends="nest", scheduler=client, workers=2)


def test_store_states_and_cells(tmp_path):
    s = Store(tmp_path, ["x", "backend", "m (Hz)", "status", "wall time (s)", "error", "key"])
    s.record({"x": 1.0, "backend": "nest", "m (Hz)": math.nan, "status": "ok",
              "wall time (s)": 0.5, "error": "", "key": "a"})
    s.record({"x": 2.0, "backend": "nest", "m (Hz)": 0.1 + 0.2, "status": "failed",
              "wall time (s)": 0.5, "error": "E: x", "key": "b"})
    s.flush(force=True)
    again = Store(tmp_path, ["x", "backend", "m (Hz)", "n", "status", "wall time (s)",
                             "error", "key"])
    assert again.rows["a"]["m (Hz)"] == "nan"  # measured, undefined: counts as measured
    assert again.rows["b"]["m (Hz)"] == "0.30000000000000004"  # full precision
    assert again.state("a", ["m (Hz)"], keep_blocks=False) == "reuse"
    assert again.state("a", ["m (Hz)", "n"], keep_blocks=False) == "run"  # no Block saved
    assert again.state("a", ["m (Hz)"], keep_blocks=True) == "run"
    (tmp_path / store_module.BLOCKS).mkdir()
    (tmp_path / store_module.BLOCKS / "a.pkl").write_bytes(b"")
    assert again.state("a", ["m (Hz)", "n"], keep_blocks=False) == "measure"
    assert again.state("b", ["m (Hz)"], keep_blocks=False) == "run"  # failed: again
    assert again.state("c", ["m (Hz)"], keep_blocks=False) == "run"
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    with pytest.raises(MnsimError, match="no 'key' column"):
        Store(tmp_path, ["key"])
