"""``mnsim sweep``: the table on stdout, exit codes (0 ok; 1 a failed point or expectation;
2 a user error, one line), the results directory, resuming after an interruption, plots, and
the shipped sweeps' expectations on the fast backends (all three: tests/sweep, slow)."""

import csv
import signal
import subprocess
import sys
import time

import pytest

HH = ["sweep", "hh_squid", "--measure", "spike_count", "--backend", "nest"]


def mnsim(*args):
    return subprocess.run([sys.executable, "-m", "mnsim.cli", *args], capture_output=True,
                          text=True, check=False)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.requires_nest
def test_failed_points_are_recorded_the_others_finish_and_run_again(tmp_path):
    args = [*HH, "--vary", "stimuli.step.amplitude=3,6.5,10uA/cm2",
            "--vary", "simulation.temperature=6.3,10degC", "--out", str(tmp_path / "out"),
            "--plot", str(tmp_path / "map.png")]
    out = mnsim(*args)
    assert out.returncode == 1, out.stderr  # a point failed
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["stimuli.step.amplitude", "(uA/cm2)", "simulation.temperature",
                                "(degC)", "backend", "spike_count", "status", "error"]
    assert lines[1].split()[:5] == ["3", "6.3", "nest", "1", "ok"]
    assert lines[2].split()[:5] == ["3", "10", "nest", "NaN", "failed"]
    assert "CapabilityError: the nest backend does not support HH_squid at 10 degC" in lines[2]
    assert [line.split()[3] for line in lines[3:7:2]] == ["6", "7"]  # 6.5, 10 uA/cm2 at 6.3
    assert "hh_squid: 6 points x 1 backend: 6 run, 0 reused, 3 failed; results in" in out.stdout
    assert (tmp_path / "map.png").stat().st_size > 10_000  # a heat map
    table = rows(tmp_path / "out" / "results.csv")
    assert [r["status"] for r in table] == ["ok", "failed"] * 3
    assert out.stderr == ""  # no progress bar, no simulator chatter off a terminal
    again = mnsim(*args)
    assert "6 points x 1 backend: 3 run, 3 reused, 3 failed" in again.stdout


@pytest.mark.requires_nest
def test_an_interrupted_sweep_resumes_where_it_stopped(tmp_path):
    out_dir = tmp_path / "out"
    # 1 s runs of 5 HH membranes: ~0.3 s a point on NEST, 12 points on one worker
    args = [sys.executable, "-m", "mnsim.cli", *HH, "--vary",
            "stimuli.step.amplitude=1:12:1uA/cm2", "--workers", "1", "--out", str(out_dir),
            "--set", "simulation.duration=1000 ms", "--set", "stimuli.step.stop=1000 ms",
            "--set", "populations.membrane.size=5"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    table = out_dir / "results.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not table.is_file() or len(rows(table)) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # as a batch system ending the job
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    done = len(rows(table))
    assert 3 <= done < 12
    assert f"interrupted after {done} of 12 points" in err and "run the same command" in err
    again = subprocess.run(args, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert f"12 points x 1 backend: {12 - done} run, {done} reused, 0 failed" in again.stdout
    assert len(rows(table)) == 12 and {r["status"] for r in rows(table)} == {"ok"}


@pytest.mark.parametrize("args, message", [
    (["sweep", "hh_squid"], "--vary: nothing to vary"),
    (["sweep", "hh_squid", "--vary", "stimuli.step.amplitude=0:20:0uA/cm2"], "zero step"),
    (["sweep", "hh_squid", "--vary", "stimuli.step.amplitude=1uA/cm2", "--measure", "rate"],
     "unknown measure 'rate'"),
    (["sweep", "hh_squid", "--vary", "a.b=1,2", "--vary", "c.d=1", "--vary", "e.f=1",
      "--plot", "x.png"], "--plot draws one varied field (lines) or two"),
    (["sweep", "hh_squid", "--vary", "stimuli.step.amplitude=1uA/cm2", "--plot", "x.jpg"],
     "cannot save a figure as 'x.jpg'"),
    (["sweep", "hh_squid", "--vary", "stimuli.step.amplitude=1uA/cm2", "--scheduler",
      "tcp://127.0.0.1:9", "--workers", "2"], "--workers sizes the local cluster only"),
    (["sweep", "hh_squid", "--vary", "stimuli.step.amplitude=1uA/cm2", "--backends", "moose"],
     "unknown backend 'moose'"),
    (["sweep", "hh_fj"], "no shipped model or file named 'hh_fj'"),
])
def test_user_errors_exit_2_with_one_line(args, message):
    out = mnsim(*args)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnsim: error: ") and message in lines[0]


@pytest.mark.requires_neuron
@pytest.mark.requires_nest
@pytest.mark.parametrize("name", ["hh_fi", "lif_fi_curve"])
def test_shipped_sweeps_meet_their_expectations_on_neuron_and_nest(name, tmp_path):
    out = mnsim("sweep", name, "--backends", "neuron,nest", "--plot", str(tmp_path / "f.png"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert f"{name}: expectations all passed" in out.stdout
    assert (tmp_path / "f.png").stat().st_size > 10_000
    assert out.stderr == ""  # NEURON's import chatter stays in the workers' captured output


def test_list_names_the_shipped_sweeps():
    out = mnsim("list")
    assert "sweeps: hh_fi, lif_fi_curve, lif_ou_rate (mnsim sweep NAME)" in out.stdout
