"""Real sweeps on real backends, small enough for the default suite: an f-I curve on each
backend against the analytic LIF rate, Blocks kept and measured again without running, a
worker that crashes. One Dask cluster of two worker processes serves the module (the
command-line tests start their own, as users do)."""

import logging
import os

import pytest

import mnsim
from conftest import backend_params
from mnsim.analysis.theory import lif_rate
from mnsim.sweeps import resolve
from mnsim.sweeps.engine import CRASH, dask_client, run_points

LIF = dict(cm_nF=0.25, tau_m_ms=20.0, v_rest_mV=-70.0, v_reset_mV=-70.0, v_thresh_mV=-50.0,
           tau_refrac_ms=2.0)
AMPS = [0.2, 0.3, 0.5, 1.0, 2.0]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=logging.ERROR,
                                     scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("backend", backend_params())
def test_lif_fi_curve_on_each_backend_is_the_analytic_curve(backend, client):
    table = mnsim.sweep("lif_fi_curve", vary=[f"stimuli.drive.amplitude="
                                              f"{','.join(map(str, AMPS))} nA"],
                        backends=backend, scheduler=client,
                        set={"simulation.duration": "500 ms", "stimuli.drive.stop": "500 ms"})
    assert table["status"].tolist() == ["ok"] * 5 and table.attrs["ran"] == 5
    assert table["stimuli.drive.amplitude (nA)"].tolist() == AMPS
    rates = table["steady_rate (Hz)"].to_numpy()
    expected = lif_rate(AMPS, **LIF)  # 0, 26.43, 63.04, 128.97, 214.10 Hz
    assert rates[0] == 0.0
    assert rates[1:] == pytest.approx(expected[1:], rel=0.005)
    assert (table["wall time (s)"] > 0).all()


@pytest.mark.requires_nest
def test_blocks_are_kept_and_new_measures_come_from_them(tmp_path, client):
    out = tmp_path / "hh"
    vary = {"stimuli.step.amplitude": "3,6.5,10,20 uA/cm2"}
    table = mnsim.sweep("hh_squid", vary=vary, measures=["spike_count"], backends="nest",
                        scheduler=client, out=out, keep_blocks=True)
    # hh_squid's 100 ms steps: the counts of its variants weak, medium, (none), strong
    assert table["spike_count"].tolist() == [1.0, 6.0, 7.0, 9.0]
    blocks = sorted((out / "blocks").iterdir())
    assert [b.name for b in blocks] == sorted(f"{k}.pkl" for k in table["key"])
    block = mnsim.load_results(blocks[0])
    assert block.annotations["backend"] == "nest"
    # a measure added later: computed from the saved Blocks, nothing runs
    again = mnsim.sweep("hh_squid", vary=vary, measures=["spike_count", "first_spike_time"],
                        backends="nest", scheduler=client, out=out, keep_blocks=True)
    assert (again.attrs["ran"], again.attrs["remeasured"]) == (0, 4)
    assert again["first_spike_time (ms)"].tolist() == pytest.approx([14.61, 12.49, 11.90,
                                                                    11.27], abs=0.1)


def crash_on_the_second_point(model, backend, measures, keep_block):
    """A stand-in for a simulator that takes its process down (a segfault)."""
    if model.raw["stimuli"]["step"]["amplitude"] == "2 uA/cm2":
        os._exit(11)
    return {"status": "ok", "error": "", "values": {m.column: 1.0 for m in measures},
            "block": None, "wall": 0.0}


def test_a_crashing_worker_costs_only_its_point():
    import cloudpickle

    cloudpickle.register_pickle_by_value(__import__(__name__))  # workers cannot import tests
    sweep = resolve("hh_squid", ["stimuli.step.amplitude=1:4:1 uA/cm2"], ["spike_count"])
    points = sweep.points(["nest"])
    results = {}
    with dask_client(None, 2, len(points)) as c:  # mnsim's own local cluster
        run_points(c, points, sweep.measures, False,
                   lambda p, r: results.update({str(p.values[0]): r}),
                   task=crash_on_the_second_point)
        c.wait_for_workers(2, timeout=60)  # the nanny started a new one
    assert {v: r["status"] for v, r in results.items()} == {
        "1": "ok", "2": "failed", "3": "ok", "4": "ok"}
    assert results["2"]["error"] == CRASH
