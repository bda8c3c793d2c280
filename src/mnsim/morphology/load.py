"""``load_morphology(path)``: a SWC, Neurolucida ASC or H5 file (read by MorphIO) or a
NeuroML2 cell (read by libNeuroML) as mnsim's :class:`~mnsim.morphology.model.Morphology`.

Every fix-up is listed in ``Morphology.warnings``; anything that cannot be built is a
:class:`~mnsim.errors.MorphologyError` naming the file, the line or point, what is wrong and a
way out. The readers (and MorphIO, libNeuroML) are imported only when a file is loaded.
"""

from __future__ import annotations

from pathlib import Path

from mnsim.errors import MorphologyError
from mnsim.morphology.model import Morphology

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "morphologies"
"""mnsim's own morphologies (``src/mnsim/morphologies``), found by bare file name."""

MORPHIO_SUFFIXES = (".swc", ".asc", ".h5")
NEUROML_SUFFIXES = (".nml", ".xml")
SUFFIXES = MORPHIO_SUFFIXES + NEUROML_SUFFIXES


def resolve(path: str | Path, base: str | Path | None = None) -> Path:
    """The morphology file ``path`` names, looked up once: as given when absolute; else in
    ``base`` (a model file's directory; None: the working directory, and the path is
    returned as given), else among mnsim's own (:data:`SHIPPED_DIR`).

    Raises
    ------
    MorphologyError
        No such file: names where it was looked for and lists mnsim's own morphologies.
    """
    given = Path(path).expanduser()
    if given.is_absolute():
        places = [given]
    else:
        places = [given if base is None else Path(base) / given, SHIPPED_DIR / given]
    for place in places:
        if place.is_file():
            return place if base is None else place.resolve()
    if places[0].exists():
        raise MorphologyError("is not a file; way out: give the path of a morphology file",
                              file=str(path))
    names = ", ".join(shipped()) or "none"
    if given.is_absolute():
        raise MorphologyError(f"morphology file not found; way out: check the path, or use "
                              f"one of mnsim's own: {names}", file=str(path))
    where = "the working directory" if base is None else "the model file's directory"
    raise MorphologyError(f"morphology file not found in {where} nor among mnsim's own "
                          f"({names}); way out: check the path (relative to {where}), or give "
                          f"an absolute one", file=str(path))


def shipped() -> list[str]:
    """The file names of mnsim's own morphologies."""
    return sorted(p.name for p in SHIPPED_DIR.glob("*") if p.suffix.lower() in SUFFIXES)


def load_morphology(path: str | Path) -> Morphology:
    """Load a reconstructed cell.

    Parameters
    ----------
    path
        A ``.swc``, ``.asc`` (Neurolucida) or ``.h5`` (MorphIO's HDF5) file, or a NeuroML2
        ``.nml`` / ``.cell.nml`` file (its first cell with a morphology). A relative path
        that is not found from the working directory is looked up among mnsim's own
        morphologies (:func:`resolve`).

    Returns
    -------
    Morphology
        ``sections[0]`` is the soma (named ``soma``; ``soma`` is None when the file has none),
        then the neurites parents first, named ``axon[i]``, ``basal[i]``, ``apical[i]``,
        ``custom[i]`` (``i`` counts within the type, in file order). ``warnings`` lists every
        fix-up: the soma convention applied, zero diameters interpolated, zero-length sections
        dropped, and MorphIO's own warnings.

    Raises
    ------
    MorphologyError
        The file is missing, of an unknown kind, malformed, or describes something mnsim does
        not build (a branching soma, a negative diameter...): names the file, line or point id
        and a way out.

    Examples
    --------
    >>> cell = mnsim.load_morphology("mp_ma_40984_gc2.CNG.swc")  # doctest: +SKIP
    >>> round(cell.sections[0].area_um2, 1)                      # doctest: +SKIP
    1818.6
    """
    file = resolve(path)
    source = str(path) if file == Path(path).expanduser() else str(file)
    suffix = file.suffix.lower()
    if suffix in MORPHIO_SUFFIXES:
        from mnsim.morphology.read_morphio import read_morphio

        return read_morphio(file, source)
    if suffix in NEUROML_SUFFIXES:
        from mnsim.morphology.read_neuroml import read_neuroml

        return read_neuroml(file, source)
    raise MorphologyError(f"unknown kind of morphology file '{file.suffix or '(no suffix)'}'; "
                          f"way out: use {', '.join(SUFFIXES)} (SWC, Neurolucida ASC, MorphIO "
                          f"H5, NeuroML2), or convert it with MorphIO or NeuroM", file=source)
