"""What ``mnsim morph info FILE`` prints: sections, points, length and area per section type,
the soma, the bounding box and the loader's warnings."""

from __future__ import annotations

from typing import Any

import numpy as np

from mnsim.morphology.model import SECTION_TYPES, Morphology

SOMA_KINDS = {
    "one_point": "one point, built as a cylinder L = diam",
    "three_point": "three points (NeuroMorpho), built as a cylinder L = diam",
    "cylinders": "a stack of points (frusta)",
    "contour": "a contour, built as the cylinder of its mean radius",
    "inline": "given inline",
    "": "none",
}


def summary(morph: Morphology) -> dict[str, Any]:
    """The numbers of :func:`format_info`, as a dict.

    Returns
    -------
    dict
        ``sections``, ``points``, ``soma_kind``, ``soma_area_um2`` (None without a soma),
        ``neurite_length_um``, ``by_type`` ({type: {sections, points, length_um, area_um2}} for
        the types present), ``bbox_um`` ((min xyz, max xyz)), ``warnings``.
    """
    by_type: dict[str, dict[str, float]] = {}
    for t in SECTION_TYPES:
        secs = [s for s in morph.sections if s.type == t]
        if secs:
            by_type[t] = {"sections": len(secs), "points": sum(len(s.points_um) for s in secs),
                          "length_um": morph.length_um(t), "area_um2": morph.area_um2(t)}
    allpts = np.concatenate([s.points_um for s in morph.sections])
    soma = morph.sections[morph.soma] if morph.soma is not None else None
    return {
        "source": morph.source,
        "sections": len(morph.sections),
        "points": int(len(allpts)),
        "soma_kind": morph.soma_kind,
        "soma_area_um2": soma.area_um2 if soma is not None else None,
        "neurite_length_um": sum(s.length_um for s in morph.sections if s.type != "soma"),
        "by_type": by_type,
        "bbox_um": (allpts.min(axis=0), allpts.max(axis=0)),
        "warnings": list(morph.warnings),
    }


def format_info(morph: Morphology) -> str:
    """A table a user reads: one row per section type, then the soma, box and warnings."""
    info = summary(morph)
    rows = [f"{info['source']}: {info['sections']} sections, {info['points']} points",
            "",
            f"  {'type':<8} {'sections':>8} {'points':>8} {'length (um)':>12} "
            f"{'area (um2)':>12}"]
    for t, v in info["by_type"].items():
        rows.append(f"  {t:<8} {v['sections']:>8} {v['points']:>8} {v['length_um']:>12.1f} "
                    f"{v['area_um2']:>12.1f}")
    total_area = morph.area_um2()
    rows.append(f"  {'all':<8} {info['sections']:>8} {info['points']:>8} "
                f"{morph.length_um():>12.1f} {total_area:>12.1f}")
    rows.append("")
    if info["soma_area_um2"] is None:
        rows.append("  soma: none (path distances start at the root section's start)")
    else:
        soma = morph.sections[morph.soma]
        rows.append(f"  soma: {SOMA_KINDS.get(info['soma_kind'], info['soma_kind'])}; area "
                    f"{info['soma_area_um2']:.1f} um2, length {soma.length_um:.2f} um")
    rows.append(f"  neurites: total length {info['neurite_length_um']:.1f} um")
    lo, hi = info["bbox_um"]
    rows.append("  bounding box (um): " + ", ".join(
        f"{axis} {a:.1f} .. {b:.1f}" for axis, a, b in zip("xyz", lo, hi)))
    if info["warnings"]:
        rows.append(f"  warnings ({len(info['warnings'])}):")
        rows.extend(f"    - {w}" for w in info["warnings"])
    else:
        rows.append("  warnings: none")
    return "\n".join(rows)
