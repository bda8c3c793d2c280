"""``mnsim compare`` for multicompartment cells: per backend the geometry it built (total area
and length, within 0.1 % of the reference backend's), its spikes (count, first spike, the
largest shift of a spike time from the reference's) and the value of each of the model's
location measures (``expect:`` entries such as input resistance or EPSP peak at a recorded
location, within ``tolerances.measures``), one column per entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnsim.catalogue.measures import MEASURES
from mnsim.comparison import GEOMETRY_TOLERANCE, Row, rmse, spike_agreement, spike_summary

if TYPE_CHECKING:
    from mnsim.comparison import Comparison
    from mnsim.spec.model import Expectation, Model


def location_expectations(model: Model) -> dict[int, Expectation]:
    """The model's ``expect:`` entries that are location measures, by their index."""
    return {k: e for k, e in enumerate(model.expect) if MEASURES[e.measure].scope == "location"}


def measure_labels(model: Model) -> dict[int, str]:
    """A column label per location measure, by ``expect:`` index, unique: the measure, the
    location and the unit, with the window when the entry gives one
    (``mean_v @ soma(0.5) [230-250 ms] (mV)``); labels still alike also name the stimulus,
    then the entry (``expect[3]``)."""
    expectations = location_expectations(model)
    parts = {k: [e.measure, f"@ {e.location}" if e.location else ""]
             for k, e in expectations.items()}
    for k, e in expectations.items():
        if e.window_ms is not None:
            parts[k].append(f"[{e.window_ms[0]:g}-{e.window_ms[1]:g} ms]")
    for extra in ("stimulus", "index"):
        texts = [" ".join(p for p in words if p) for words in parts.values()]
        for k, e in expectations.items():
            if texts.count(" ".join(p for p in parts[k] if p)) < 2:
                continue
            if extra == "stimulus" and e.stimulus is not None:
                parts[k].append(f"({e.stimulus})")
            elif extra == "index":
                parts[k].append(f"expect[{k}]")
    labels = {}
    for k, e in expectations.items():
        unit = MEASURES[e.measure].unit
        labels[k] = " ".join(p for p in parts[k] if p) + (f" ({unit})" if unit != "1" else "")
    return labels


def cable_rows(comparison: Comparison) -> list[Row]:
    """Per backend and multicompartment population: the geometry it built and the model's
    location measures, each against the reference backend's; v RMSE over all locations."""
    from mnsim.results import geometry
    from mnsim.validation import check_expectations

    model, blocks, tol = comparison.model, comparison.blocks, comparison.model.tolerances
    ref_name = comparison.reference
    labels = measure_labels(model)
    values: dict[str, dict[str, float]] = {}  # backend -> column label -> value
    for name, block in blocks.items():
        # one check per location measure, in expect: order
        located = [c for c in check_expectations(model, block).checks if c.location is not None]
        values[name] = {labels[k]: c.got for k, c in zip(labels, located)}
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
            row.measures = values[name]
            if model.populations[pop].cell.type == "multicompartment":
                row.geometry = geometry(block, pop)
            if "spikes" in rec.variables:
                spike_summary(row, block, pop)
            if "v" in rec.variables and name != ref_name:
                row.v_rmse_mV = rmse(blocks[ref_name], block, pop)
            if name == ref_name:
                row.status = "reference"
                continue
            problems: list[str] = []
            ref_geo = geometry(blocks[ref_name], pop) if row.geometry else {}
            for key, what in (("area_um2", "area"), ("length_um", "length")):
                if ref_geo and abs(row.geometry[key] - ref_geo[key]) > \
                        GEOMETRY_TOLERANCE * abs(ref_geo[key]):
                    problems.append(f"{what} {row.geometry[key]:.6g} vs {ref_geo[key]:.6g}")
            for key, ref_value in values[ref_name].items():
                got = row.measures.get(key, np.nan)
                if not np.isclose(got, ref_value, rtol=tol.measures_relative, atol=0.0,
                                  equal_nan=True):
                    problems.append(f"{key}: {got:.5g} vs {ref_value:.5g}")
            if tol.v_rmse_mV is not None and row.v_rmse_mV is not None and \
                    row.v_rmse_mV > tol.v_rmse_mV:
                problems.append(f"v RMSE {row.v_rmse_mV:.3g} mV > {tol.v_rmse_mV:g} mV")
            if "spikes" in rec.variables:
                row.max_spike_shift_ms, spike_problems = spike_agreement(
                    blocks[ref_name], block, pop, rec.indices, tol)
                problems += spike_problems
            row.status = "agrees" if not problems else "differs: " + "; ".join(problems[:3])
    return rows
