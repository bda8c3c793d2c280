"""Running one model on several backends, each in its own process, and holding them side by
side: per backend and population the spike count, mean rate, first spike, voltage RMSE against
the first backend, build and run time, and whether it agrees within the model's tolerances.
Networks are compared by population statistics; multicompartment cells by the geometry each
backend built (area and length within 0.1 %) and the values of the model's location measures
(``expect:`` entries such as input resistance or EPSP peak, within ``tolerances.measures``)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnsim.analysis import measure
from mnsim.backends import REGISTRY, backend_class, is_installed
from mnsim.errors import BackendUnavailableError, CapabilityError, MnsimError
from mnsim.results import load as load_block
from mnsim.results import save as save_block
from mnsim.results import signal
from mnsim.spec.yamlio import write_atomic

if TYPE_CHECKING:
    import neo

    from mnsim.spec.model import Model, Tolerances

COLUMNS = ("backend", "population", "spikes", "mean rate (Hz)", "first spike (ms)",
           "max spike shift (ms)", "v RMSE (mV)", "build (s)", "run (s)", "status")
CABLE_COLUMNS = ("backend", "population", "compartments", "area (um2)", "length (um)",
                 "spikes", "first spike (ms)", "max spike shift (ms)")
CABLE_TAIL = ("v RMSE (mV)", "build (s)", "run (s)", "status")
GEOMETRY_TOLERANCE = 1e-3  # relative: total area and length of the cell each backend built
NETWORK_COLUMNS = ("backend", "population", "neurons", "spikes", "rate (Hz)", "CV ISI",
                   "identical until (ms)", "build (s)", "run (s)", "status")
MODES = {
    "shared": "shared connectivity: every backend built the same drawn connections, weights, "
              "delays, input spike trains and noise currents",
    "native": "native connectivity: each simulator drew its own connections and inputs from "
              "the seed (statistical agreement only)",
}


@dataclass
class Row:
    backend: str
    population: str
    spikes: int | None = None
    mean_rate_hz: float | None = None
    first_spike_ms: float | None = None
    max_spike_shift_ms: float | None = None
    v_rmse_mV: float | None = None
    build_s: float | None = None
    run_s: float | None = None
    status: str = ""
    # networks
    neurons: int | None = None
    cv_isi: float | None = None
    identical_until_ms: float | None = None
    # multicompartment cells: what the backend built, and the location measures (by column
    # label, comparison_cable.measure_labels)
    geometry: dict[str, float] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)

    def cells(self, network: bool = False, measures: Sequence[str] = ()) -> list[str]:
        def f(x: float | None, fmt: str) -> str:
            return "" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, fmt)
        if measures or self.geometry:
            geo = self.geometry
            return [self.backend, self.population, f(geo.get("compartments"), ".0f"),
                    f(geo.get("area_um2"), ".1f"), f(geo.get("length_um"), ".1f"),
                    f(self.spikes, "d"), f(self.first_spike_ms, ".3f"),
                    f(self.max_spike_shift_ms, ".3f"),
                    *(f(self.measures.get(m), ".5g") for m in measures),
                    f(self.v_rmse_mV, ".3f"), f(self.build_s, ".2f"), f(self.run_s, ".2f"),
                    self.status]
        if network:
            return [self.backend, self.population, f(self.neurons, "d"), f(self.spikes, "d"),
                    f(self.mean_rate_hz, ".3f"), f(self.cv_isi, ".3f"),
                    f(self.identical_until_ms, ".1f"), f(self.build_s, ".2f"),
                    f(self.run_s, ".2f"), self.status]
        return [self.backend, self.population, f(self.spikes, "d"), f(self.mean_rate_hz, ".3f"),
                f(self.first_spike_ms, ".3f"), f(self.max_spike_shift_ms, ".3f"),
                f(self.v_rmse_mV, ".3f"), f(self.build_s, ".2f"), f(self.run_s, ".2f"),
                self.status]


@dataclass
class Comparison:
    model: Model
    backends: list[str]
    rows: list[Row]
    blocks: dict[str, neo.Block] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> why (capabilities)

    @property
    def reference(self) -> str | None:
        """The backend the others are compared with: the first that ran."""
        return next((n for n in self.backends if n in self.blocks), None)

    @property
    def agree(self) -> bool:
        """True when every backend ran and agrees with the first within the tolerances."""
        return not self.errors and bool(self.rows) and all(
            r.status in ("reference", "agrees") for r in self.rows)

    @property
    def network(self) -> bool:
        """Networks are compared by population statistics, not neuron by neuron."""
        return bool(self.model.projections)

    @property
    def cable(self) -> bool:
        """Multicompartment cells are compared by geometry and location measures."""
        return "multicompartment" in self.model.cell_types

    @property
    def measure_labels(self) -> list[str]:
        """The location measures of the model's ``expect:`` entries, as column labels (one
        per entry, unique: :func:`~mnsim.comparison_cable.measure_labels`)."""
        from mnsim.comparison_cable import measure_labels

        return list(measure_labels(self.model).values()) if self.cable else []

    @property
    def columns(self) -> tuple[str, ...]:
        if self.cable:
            return CABLE_COLUMNS + tuple(self.measure_labels) + CABLE_TAIL
        return NETWORK_COLUMNS if self.network else COLUMNS

    def _cells(self, row: Row) -> list[str]:
        return row.cells(self.network, self.measure_labels)

    def table(self, markdown: bool = False) -> str:
        columns = self.columns
        rows = [list(columns)] + [self._cells(r) for r in self.rows]
        if markdown:
            lines = ["| " + " | ".join(r) + " |" for r in rows]
            lines.insert(1, "|" + "|".join("---" for _ in columns) + "|")
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
                         for r in rows)

    def summary(self) -> str:
        tol = self.model.tolerances
        verdict = "agree" if self.agree else "DO NOT agree"
        if self.cable:
            limits = (f"area and length {GEOMETRY_TOLERANCE * 100:g} %, spike count "
                      f"±{tol.spike_count}, spike time {tol.spike_time_ms:g} ms, location "
                      f"measures {tol.measures_relative * 100:g} %"
                      + (f", v RMSE {tol.v_rmse_mV:g} mV" if tol.v_rmse_mV is not None else ""))
        elif self.network:
            limits = (f"population rate {tol.rate_relative * 100:g} %, CV ISI ±{tol.cv_isi:g}"
                      f"; {MODES[self.model.connectivity]}")
        else:
            limits = (f"spike count ±{tol.spike_count}, spike time {tol.spike_time_ms:g} ms, "
                      f"rate {tol.rate_relative * 100:g} %"
                      + (f", v RMSE {tol.v_rmse_mV:g} mV" if tol.v_rmse_mV is not None else ""))
        return (f"{self.model.name}: backends {verdict} (reference {self.reference}; "
                f"tolerances: {limits})"
                + "".join(f"\n  {name} skipped: {why}" for name, why in self.skipped.items()))

    def write_report(self, directory: str | Path) -> Path:
        """Write table.md, table.csv, one Block per backend, and the figures that apply:
        traces.png (v recorded), raster.png (spikes recorded), rates.png (networks)."""
        from mnsim.plotting import plot_raster, plot_rates, plot_traces

        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MnsimError(f"cannot write the report to '{out}': {exc.strerror or exc}; "
                             f"give a directory") from None
        write_atomic(out / "table.md", f"{self.summary()}\n\n{self.table(markdown=True)}\n")
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(self.columns)
        writer.writerows(self._cells(r) for r in self.rows)
        write_atomic(out / "table.csv", rows.getvalue())
        for name, block in self.blocks.items():
            save_block(block, out / f"{name}.pkl")
        records = self.model.record.values()
        if self.blocks and any("v" in rec.variables for rec in records):
            plot_traces(self.blocks, self.model, out / "traces.png")
        if self.blocks and any("spikes" in rec.variables for rec in records):
            plot_raster(self.blocks, self.model, out / "raster.png")
            if self.network:
                plot_rates(self.blocks, self.model, out / "rates.png")
        return out


def compare_backends(model: Model, backends: Sequence[str] | None = None) -> Comparison:
    """Run ``model`` on each backend in a fresh process.

    By default every installed backend that declares what the model needs (a backend that
    does not is listed in ``skipped`` with the reason); backends named explicitly are all run,
    and one that cannot run the model is an error row.
    """
    if backends:
        names, skipped = list(backends), {}
        for name in names:
            if name not in REGISTRY:
                raise BackendUnavailableError(f"unknown backend '{name}'; known: "
                                              f"{', '.join(REGISTRY)}")
    else:
        names, skipped = runnable_backends(model)
    blocks, errors = run_isolated(model, names)
    comparison = Comparison(model=model, backends=names, rows=[], blocks=blocks, errors=errors,
                            skipped=skipped)
    comparison.rows = _rows(comparison)
    return comparison


def runnable_backends(model: Model) -> tuple[list[str], dict[str, str]]:
    """The installed backends that declare what ``model`` needs, and why the others are left
    out (read from capabilities: no simulator is imported)."""
    names, skipped = [], {}
    for name in REGISTRY:
        if not is_installed(name):
            skipped[name] = f"its simulator ({backend_class(name).module}) is not installed"
            continue
        try:
            backend_class(name)().check(model)
            names.append(name)
        except CapabilityError as exc:
            skipped[name] = str(exc)
    if not names:
        raise BackendUnavailableError("no installed backend can run this model: "
                                      + "; ".join(skipped.values()))
    return names, skipped


def run_isolated(model: Model, names: Sequence[str]) -> tuple[dict[str, neo.Block],
                                                              dict[str, str]]:
    """Run ``model`` on each backend in a fresh Python process, one after the other (so their
    timings do not compete). Returns the Blocks and, per failed backend, its error line."""
    blocks, errors = {}, {}
    with tempfile.TemporaryDirectory(prefix="mnsim-") as tmp:
        model_file = Path(tmp) / "model.yaml"
        model.save(model_file)
        for name in names:
            print(f"running {model.name} on {name} ...", file=sys.stderr, flush=True)
            out = Path(tmp) / f"{name}.pkl"
            proc = subprocess.run([sys.executable, "-m", "mnsim.worker", str(model_file), name,
                                   str(out)], capture_output=True, text=True,
                                  env={**os.environ, "PYNEST_QUIET": "1"}, check=False)
            if proc.returncode == 0 and out.is_file():
                blocks[name] = load_block(out)
            else:
                lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
                errors[name] = lines[-1]
    return blocks, errors


def _rows(comparison: Comparison) -> list[Row]:
    if comparison.cable:
        from mnsim.comparison_cable import cable_rows  # it builds on this module's helpers

        return cable_rows(comparison)
    if comparison.network:
        return _network_rows(comparison)
    model, blocks = comparison.model, comparison.blocks
    ref_name = comparison.reference
    rows = []
    for name in comparison.backends:
        for pop, rec in model.record.items():
            row = Row(backend=name, population=pop)
            rows.append(row)
            if name in comparison.errors:
                row.status = f"error: {comparison.errors[name]}"
                continue
            block = blocks[name]
            row.build_s = block.annotations["build_time_s"]
            row.run_s = block.annotations["run_time_s"]
            problems: list[str] = []
            if "spikes" in rec.variables:
                spike_summary(row, block, pop)
            if "v" in rec.variables and name != ref_name:
                row.v_rmse_mV = rmse(blocks[ref_name], block, pop)
            if name == ref_name:
                row.status = "reference"
                continue
            if "spikes" in rec.variables:
                row.max_spike_shift_ms, spike_problems = spike_agreement(
                    blocks[ref_name], block, pop, rec.indices, model.tolerances)
                problems += spike_problems
            tol = model.tolerances.v_rmse_mV
            if tol is not None and row.v_rmse_mV is not None and row.v_rmse_mV > tol:
                problems.append(f"v RMSE {row.v_rmse_mV:.3g} mV > {tol:g} mV")
            row.status = "agrees" if not problems else "differs: " + "; ".join(problems[:3])
    return rows


def spike_summary(row: Row, block: neo.Block, pop: str) -> None:
    """Fill ``row``'s spike count, mean rate and first spike time from ``block``."""
    counts = measure("spike_count", block, pop)
    row.spikes = int(counts.sum())
    row.mean_rate_hz = float(np.mean(measure("mean_rate", block, pop)))
    first = float(np.nanmin(measure("first_spike_time", block, pop), initial=np.inf))
    row.first_spike_ms = None if np.isinf(first) else first


def spike_agreement(ref: neo.Block, other: neo.Block, pop: str, indices: Sequence[int],
                    tol: Tolerances) -> tuple[float | None, list[str]]:
    """The largest spike time shift between ``other`` and ``ref`` (None: no spike in both),
    and the problems beyond the tolerances ``tol`` (spike count, time, rate) per neuron."""
    from mnsim.results import spiketrains

    problems = []
    shifts = []
    ref_rates, rates = measure("isi_rate", ref, pop), measure("isi_rate", other, pop)
    for i, (a, b) in enumerate(zip(spiketrains(ref, pop), spiketrains(other, pop))):
        ta, tb = a.rescale("ms").magnitude, b.rescale("ms").magnitude
        label = f"{pop}[{indices[i]}]"
        if abs(len(ta) - len(tb)) > tol.spike_count:
            problems.append(f"{label}: {len(tb)} spikes vs {len(ta)}")
            continue
        n = min(len(ta), len(tb))
        if n:
            shift = float(np.max(np.abs(ta[:n] - tb[:n]))) if len(ta) == len(tb) else \
                abs(float(ta[0] - tb[0]))
            shifts.append(shift)
            if shift > tol.spike_time_ms:
                problems.append(f"{label}: spike times differ by {shift:.3g} ms")
        ra, rb = ref_rates[i], rates[i]
        if np.isfinite(ra) and np.isfinite(rb) and abs(rb - ra) > tol.rate_relative * abs(ra):
            problems.append(f"{label}: rate {rb:.4g} Hz vs {ra:.4g} Hz")
    return (max(shifts) if shifts else None), problems


def rmse(ref: neo.Block, other: neo.Block, pop: str) -> float | None:
    """RMS difference (mV) of population ``pop``'s v between two Blocks (None: not
    recorded), over the samples both have."""
    a, b = signal(ref, pop, "v"), signal(other, pop, "v")
    if a is None or b is None:
        return None
    x, y = a.rescale("mV").magnitude, b.rescale("mV").magnitude
    n = min(len(x), len(y))
    return float(np.sqrt(np.mean((x[:n] - y[:n]) ** 2)))


def _network_rows(comparison: Comparison) -> list[Row]:
    """Per backend and population: population rate and mean CV ISI against the reference's,
    and how long the spike trains stay identical (in the shared mode they start so)."""
    model, blocks = comparison.model, comparison.blocks
    ref_name, tol = comparison.reference, model.tolerances
    stats = {(name, pop): (float(measure("population_rate", block, pop)[0]),
                           float(measure("cv_isi", block, pop)[0]))
             for name, block in blocks.items()
             for pop, rec in model.record.items() if "spikes" in rec.variables}
    rows = []
    for name in comparison.backends:
        for pop, rec in model.record.items():
            if "spikes" not in rec.variables:
                continue
            row = Row(backend=name, population=pop, neurons=len(rec.indices))
            rows.append(row)
            if name in comparison.errors:
                row.status = f"error: {comparison.errors[name]}"
                continue
            block = blocks[name]
            row.build_s = block.annotations["build_time_s"]
            row.run_s = block.annotations["run_time_s"]
            row.spikes = int(measure("spike_count", block, pop).sum())
            row.mean_rate_hz, row.cv_isi = stats[name, pop]
            if name == ref_name:
                row.status = "reference"
                continue
            ref = blocks[ref_name]
            row.identical_until_ms = _identical_until(ref, block, pop, tol.spike_time_ms,
                                                      model.simulation.duration_ms)
            problems = []
            ref_rate, ref_cv = stats[ref_name, pop]
            if abs(row.mean_rate_hz - ref_rate) > tol.rate_relative * max(ref_rate, 1e-9):
                problems.append(f"rate {row.mean_rate_hz:.4g} Hz vs {ref_rate:.4g} Hz")
            if np.isfinite(ref_cv) != np.isfinite(row.cv_isi) or (
                    np.isfinite(ref_cv) and abs(row.cv_isi - ref_cv) > tol.cv_isi):
                problems.append(f"CV ISI {row.cv_isi:.3g} vs {ref_cv:.3g}")
            row.status = "agrees" if not problems else "differs: " + "; ".join(problems)
    return rows


def _identical_until(ref: neo.Block, other: neo.Block, pop: str, tol_ms: float,
                     duration_ms: float) -> float:
    """The first time at which a neuron's spike train differs (a spike missing, extra, or
    shifted by more than ``tol_ms``); the duration when none does."""
    from mnsim.results import spiketrains

    first = duration_ms
    for a, b in zip(spiketrains(ref, pop), spiketrains(other, pop)):
        ta, tb = a.magnitude, b.magnitude
        n = min(len(ta), len(tb))
        bad = np.flatnonzero(np.abs(ta[:n] - tb[:n]) > tol_ms)
        if bad.size:
            first = min(first, float(min(ta[bad[0]], tb[bad[0]])))
        elif len(ta) != len(tb):
            first = min(first, float((ta if len(ta) > n else tb)[n]))
    return first
