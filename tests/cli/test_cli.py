"""The mnsim command: exit codes 0 (ok), 1 (disagreement / failed expectation), 2 (user error,
one line, no traceback)."""

import subprocess
import sys

import pytest

from conftest import backend_params


def mnsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mnsim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_list_shows_backends_and_models():
    out = mnsim("list")
    assert out.returncode == 0, out.stderr
    for name in ("neuron", "brian2", "nest"):
        assert f"  {name}" in out.stdout
    assert "HH_squid" in out.stdout and "hh_squid" in out.stdout


@pytest.mark.parametrize("args, message", [
    (["run", "hh_squit"], "no shipped model or file named 'hh_squit'"),
    (["run", "hh_squid", "--set", "stimuli.step.amplitude=6.5 mV"],
     "--set: stimuli.step.amplitude: expected a current"),
    (["run", "hh_squid", "--set", "nonsense"], "--set expects PATH=VALUE"),
    (["run", "hh_squid", "--backend", "genesis"], "unknown backend 'genesis'"),
    (["validate", "no/such/file.yaml"], "model file not found"),
    (["compare", "hh_squid", "--backends", "neuron,moose"], "unknown backend 'moose'"),
])
def test_user_errors_exit_2_with_one_line(args, message):
    out = mnsim(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnsim: error: ") and message in lines[0]


def test_bad_yaml_file_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsimulation: {duration: 10 ms, dt: 0.1 ms}\npopulations:\n"
                    "  p: {size: 1, cell: {type: IF_curr_exp, params: {tau_m: 5 mV}}}\n")
    out = mnsim("run", str(path))
    assert out.returncode == 2
    assert f"{path}:4: populations.p.cell.params.tau_m: expected a time, got '5 mV'" \
        in out.stderr


@pytest.mark.requires_nest
def test_run_saves_and_plots(tmp_path):
    out = mnsim("run", "hh_squid", "--backend", "nest", "-o", str(tmp_path / "r.nix"),
                "--plot", str(tmp_path / "r.png"))
    assert out.returncode == 0, out.stderr
    assert "membrane: 7 spikes" in out.stdout
    assert (tmp_path / "r.nix").stat().st_size > 0 and (tmp_path / "r.png").stat().st_size > 0


@pytest.mark.requires_brian2
def test_validate_exit_codes():
    ok = mnsim("validate", "hh_squid", "--backend", "brian2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all passed" in ok.stdout
    bad = mnsim("validate", "hh_squid", "--backend", "brian2", "--set",
                "stimuli.step.amplitude=3 uA/cm2")
    assert bad.returncode == 1
    assert "spike_count" in bad.stdout and "FAIL" in bad.stdout


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
@pytest.mark.requires_nest
def test_compare_writes_report_and_exit_code(tmp_path):
    out = mnsim("compare", "hh_squid", "--report", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "hh_squid: backends agree" in out.stdout
    for name in ("table.md", "table.csv", "traces.png", "raster.png", "neuron.pkl",
                 "brian2.pkl", "nest.pkl"):
        assert (tmp_path / name).stat().st_size > 0, name
    strict = mnsim("compare", "hh_squid", "--backends", "neuron,nest", "--set",
                   "compare.tolerances.v_rmse=0 mV")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "DO NOT agree" in strict.stdout and "v RMSE" in strict.stdout


@pytest.mark.requires_neuron
@pytest.mark.requires_brian2
def test_compare_of_a_cable_model_shows_geometry_and_location_measures(tmp_path):
    out = mnsim("compare", "passive_cable", "--report", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "passive_cable: backends agree" in out.stdout
    assert "nest skipped" in out.stdout and "supported by: neuron, brian2" in out.stdout
    rows = [line.split(",") for line in (tmp_path / "table.csv").read_text().splitlines()]
    header, by_backend = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(by_backend) == {"neuron", "brian2"}
    assert "input_resistance @ cable(0) (MOhm)" in header
    for row in by_backend.values():
        assert float(row["area (um2)"]) == pytest.approx(3.14159 * 300, rel=1e-4)
        assert float(row["length (um)"]) == pytest.approx(300.0)
        assert float(row["input_resistance @ cable(0) (MOhm)"]) == pytest.approx(1245.5, rel=3e-3)
    strict = mnsim("compare", "passive_cable", "--set", "compare.tolerances.measures=0 %")
    assert strict.returncode == 1 and "DO NOT agree" in strict.stdout


@pytest.mark.parametrize("backend", backend_params())
def test_capability_error_is_a_user_error(backend):
    out = mnsim("run", "hh_squid", "--backend", backend, "--set",
                "simulation.temperature=20 degC")
    if backend == "nest":
        assert out.returncode == 2
        assert "nest backend does not support HH_squid at 20 degC" in out.stderr
        assert "supported by: neuron, brian2" in out.stderr
    else:
        assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args, message", [
    (["run", "hh_squid", "--threads", "0"], "expected a whole number >= 1, got '0'"),
    (["run", "hh_squid", "-o", "out.h5"], "cannot save results as 'out.h5': use one of .nix, .pkl"),
    (["run", "hh_squid", "--plot", "out.xyz"], "cannot save figure as 'out.xyz'"),
])
def test_bad_arguments_are_refused_before_running(tmp_path, args, message):
    out = mnsim(*args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())
