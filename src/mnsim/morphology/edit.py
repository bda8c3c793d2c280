"""Edits of a loaded :class:`~mnsim.morphology.model.Morphology` that models ask for by name.

:func:`replace_axon` is Hay et al. (2011)'s and BluePyOpt's axon replacement: the reconstructed
axon (cut at the slice surface, and too long to simulate cheaply) is removed and a short chain
of cylinders takes its place at the soma's middle. Every edit returns a new ``Morphology``
(sections are immutable) whose ``warnings`` say what was changed; its ``sha256`` differs from
the original's, so a model built on it is a different model.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mnsim.errors import MorphologyError
from mnsim.morphology.model import Morphology, Section


def replace_axon(morph: Morphology, sections: int, length_um: float,
                 diam_um: float) -> Morphology:
    """Remove every axon section and chain ``sections`` cylinders from the soma's middle.

    What Hay et al. (2011)'s ``delete_axon`` (ModelDB 139653, ``L5PCtemplate.hoc``) does with
    ``sections=2, length_um=30, diam_um=1``: ``axon[0](0)`` at ``soma(0.5)``, ``axon[k](0)``
    at ``axon[k-1](1)``. The new sections are named ``axon[0]``, ``axon[1]``, ...; they take
    the place (in section order) of the first removed axon section, and every other section
    keeps its name. They are laid out in a straight line from the soma's centre towards the
    first point of the removed axon (along -y if that point is the centre itself), so plots
    show them where the axon left; only their lengths and diameters enter a simulation.

    Parameters
    ----------
    morph
        A cell with a soma and at least one axon section; no section of another type may grow
        from an axon section (it would be left without a parent).
    sections
        How many cylinders (a whole number >= 1).
    length_um, diam_um
        Length and diameter of each (um, > 0).

    Returns
    -------
    Morphology
        The edited cell, with one more warning: how many axon sections of what length and area
        were removed and what replaced them.

    Raises
    ------
    MorphologyError
        The cell has no soma, or no axon, or a non-axon section grows from its axon: names
        the file and a way out.
    ValueError
        ``sections``, ``length_um`` or ``diam_um`` out of range (a programming error: the spec
        builder checks the model's values).

    Examples
    --------
    >>> from mnsim.morphology.load import package_file
    >>> asc = package_file("bluepyopt", "tests/test_ephys/testdata/acc/l5pc/C060114A7.asc")
    >>> cell = replace_axon(mnsim.load_morphology(asc), 2, 30.0, 1.0)  # doctest: +SKIP
    >>> [s.name for s in cell.sections if s.type == "axon"]            # doctest: +SKIP
    ['axon[0]', 'axon[1]']
    """
    if isinstance(sections, bool) or not isinstance(sections, int) or sections < 1:
        raise ValueError(f"sections must be a whole number >= 1, got {sections!r}")
    if not (length_um > 0 and diam_um > 0):
        raise ValueError(f"length and diameter must be above zero, got {length_um!r} um, "
                         f"{diam_um!r} um")
    if morph.soma is None:
        raise MorphologyError("replace_axon needs a soma (the new axon starts at soma(0.5)), "
                              "and this cell has none; way out: remove replace_axon, or use a "
                              "morphology with a soma", file=morph.source)
    axon = morph.of_type("axon")
    if not axon:
        raise MorphologyError("replace_axon: this cell has no axon section to replace; way out: "
                              "remove replace_axon (to add an axon, write the cell's sections "
                              "out)", file=morph.source)
    removed = set(axon)
    for i, sec in enumerate(morph.sections):
        if i not in removed and sec.parent in removed:
            raise MorphologyError(
                f"replace_axon: section {sec.name} ({sec.type}) grows from axon section "
                f"{morph.sections[sec.parent].name}; removing the axon would leave it without a "
                f"parent; way out: remove replace_axon, or give that branch the axon type in "
                f"the file", file=morph.source)
    kept = [i for i in range(len(morph.sections)) if i not in removed]
    at = sum(1 for i in kept if i < axon[0])  # the stubs' place: where the axon started
    new_index = {old: (k if k < at else k + sections) for k, old in enumerate(kept)}
    stubs = _stubs(morph, axon[0], sections, length_um, diam_um, new_index[morph.soma], at)
    out = [morph.sections[old] if morph.sections[old].parent is None
           else replace(morph.sections[old], parent=new_index[morph.sections[old].parent])
           for old in kept]
    out[at:at] = stubs
    length = sum(morph.sections[i].length_um for i in axon)
    area = sum(morph.sections[i].area_um2 for i in axon)
    note = (f"replace_axon: the {len(axon)} axon section{'s' * (len(axon) != 1)} "
            f"({length:.1f} um, {area:.1f} um2) removed; {sections} cylinder"
            f"{'s' * (sections != 1)} of {length_um:g} um and {diam_um:g} um diameter "
            f"(axon[0]{f'..axon[{sections - 1}]' if sections > 1 else ''}) chained from "
            f"soma(0.5) in their place")
    return Morphology(sections=tuple(out), source=morph.source,
                      warnings=(*morph.warnings, note), soma=new_index[morph.soma],
                      soma_kind=morph.soma_kind)


def _stubs(morph: Morphology, first_axon: int, n: int, length_um: float, diam_um: float,
           soma: int, at: int) -> list[Section]:
    """``n`` cylinders in a line from the soma's centre towards where the axon left, to sit
    at indices ``at``, ``at + 1``, ... of the new section list (``soma``: the soma's index
    there): the first at ``soma(0.5)``, each next at the previous one's end."""
    centre = morph.sections[morph.soma].point_at(0.5)[0]
    direction = np.array([0.0, -1.0, 0.0])
    for point in morph.sections[first_axon].points_um:
        step = point - centre
        if np.linalg.norm(step) > 1e-9:
            direction = step / np.linalg.norm(step)
            break
    return [Section(name=f"axon[{k}]", type="axon",
                    points_um=np.stack([centre + k * length_um * direction,
                                        centre + (k + 1) * length_um * direction]),
                    diam_um=np.array([diam_um, diam_um]),
                    parent=soma if k == 0 else at + k - 1, parent_x=0.5 if k == 0 else 1.0)
            for k in range(n)]
