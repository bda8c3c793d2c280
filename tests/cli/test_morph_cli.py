"""mnsim morph info|plot FILE: the numbers a user reads, the figure, and one-line errors."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import SHARED_MORPHOLOGIES as SHARED

needs_shared = pytest.mark.usefixtures("shared_dir")


def mnsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mnsim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_info_of_a_shipped_cell():
    out = mnsim("morph", "info", "mp_ma_40984_gc2.CNG.swc")
    assert out.returncode == 0, out.stderr
    assert "29 sections" in out.stdout
    assert "soma: one point, built as a cylinder L = diam; area 1818.6 um2" in out.stdout
    assert "neurites: total length 1759.2 um" in out.stdout
    assert "bounding box (um): x " in out.stdout and "warnings: none" in out.stdout


@needs_shared
def test_info_lists_the_warnings():
    out = mnsim("morph", "info", str(SHARED / "l22.swc"))
    assert out.returncode == 0, out.stderr
    assert "area 1363.7 um2" in out.stdout and "warnings (3):" in out.stdout
    assert "MorphIO and NeuroM report 2283.4 um2" in out.stdout


@needs_shared
def test_plot_writes_the_figure(tmp_path):
    out = mnsim("morph", "plot", str(SHARED / "C010398B-P2.asc"), "-o", str(tmp_path / "c.png"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "c.png").stat().st_size > 10_000
    assert "warning: soma: a contour of 15 points" in out.stdout


def test_plot_default_name_is_beside_the_user(tmp_path):
    out = mnsim("morph", "plot", "mp_ma_40984_gc2.CNG.swc", "--projections", "xy", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "mp_ma_40984_gc2.CNG.png").is_file()


@pytest.mark.parametrize("args, message", [
    (["morph", "info", "no/such/cell.swc"], "no/such/cell.swc: morphology file not found"),
    (["morph", "plot", "mp_ma_40984_gc2.CNG.swc", "-o", "x.txt"], "cannot save a figure"),
    (["morph", "plot", "mp_ma_40984_gc2.CNG.swc", "--projections", "xq", "-o", "x.png"],
     "projections: expected some of xy, xz, zy"),
])
def test_errors_are_one_line(tmp_path, args, message):
    out = mnsim(*args, cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnsim: error: ") and message in lines[0]
    assert not (tmp_path / "x.png").exists()


@needs_shared
def test_branching_soma_is_a_one_line_error():
    out = mnsim("morph", "info", str(SHARED / "dCH-cobalt.CNG.swc"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{SHARED / 'dCH-cobalt.CNG.swc'}:34: point 9: the soma branches here" in out.stderr


@pytest.mark.requires_neuron
def test_plot_colours_a_simulated_cell_by_its_peak_voltage(tmp_path):
    model = tmp_path / "bap.yaml"
    model.write_text("""
name: bap
simulation: {duration: 10 ms, dt: 0.025 ms}
populations:
  cell:
    size: 1
    cell:
      type: multicompartment
      morphology: mp_ma_40984_gc2.CNG.swc
      regions:
        all: {cm: 1 uF/cm2, Ra: 150 ohm*cm, mechanisms: {pas: {g: 5e-5 S/cm2, e: -65 mV}}}
        soma: {mechanisms: {hh: {}}}
stimuli:
  step: {type: step_current, target: cell, amplitude: 1 nA, start: 1 ms, stop: 3 ms}
record:
  cell: {variables: [v], locations: all}
""")
    run = mnsim("run", str(model), "--backend", "neuron", "-o", str(tmp_path / "r.pkl"))
    assert run.returncode == 0, run.stdout + run.stderr
    out = mnsim("morph", "plot", "mp_ma_40984_gc2.CNG.swc", "--results",
                    str(tmp_path / "r.pkl"), "-o", str(tmp_path / "peak.png"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "peak.png").stat().st_size > 10_000

    import mnsim as api
    from mnsim.morphology.plot import recorded_values

    morph = api.load_morphology("mp_ma_40984_gc2.CNG.swc")
    values, label = recorded_values(morph, api.load_results(tmp_path / "r.pkl"))
    assert label == "peak v (mV)" and len(values) == len(morph.sections)
    assert values[0] > 20 and np.all(np.isfinite(values))  # the soma fired; every section
    assert values.min() < values[0]  # the spike fades into the thin dendrites
