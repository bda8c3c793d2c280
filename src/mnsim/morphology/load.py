"""``load_morphology(path)``: a SWC, Neurolucida ASC or H5 file (read by MorphIO) or a
NeuroML2 cell (read by libNeuroML) as mnsim's :class:`~mnsim.morphology.model.Morphology`.

Every fix-up is listed in ``Morphology.warnings``; anything that cannot be built is a
:class:`~mnsim.errors.MorphologyError` naming the file, the line or point, what is wrong and a
way out. The readers (and MorphIO, libNeuroML) are imported only when a file is loaded.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path, PurePosixPath

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


_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def package_file(package: str, path: str) -> Path:
    """The file at ``path`` (``/``-separated, relative) inside the installed Python package
    ``package`` (a top-level import name such as ``bluepyopt``).

    The package is located with :func:`importlib.util.find_spec`, which does not import it:
    naming a package in a model file runs none of its code.

    Raises
    ------
    MorphologyError
        ``package`` is not a top-level import name, is not installed (way out: ``pip install``
        it), is a module rather than a package, or holds no file at ``path`` (or ``path`` is
        absolute or leaves the package): names the package, the path and what to do.
    """
    label = f"{package}:{path}"
    if not _PACKAGE.match(package):
        raise MorphologyError(f"'{package}' is not the import name of a top-level Python "
                              f"package (letters, digits, _); way out: name the package (e.g. "
                              f"bluepyopt) and give the file's place inside it as 'path'",
                              file=label)
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if not parts or PurePosixPath(path).is_absolute() or ".." in parts:
        raise MorphologyError(f"the path inside package '{package}' must be relative and stay "
                              f"inside it, got '{path}'; way out: give it as in the package, "
                              f"e.g. tests/data/cell.asc", file=label)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise MorphologyError(f"the morphology comes with the Python package '{package}', which "
                              f"is not installed; way out: pip install {package} (or give the "
                              f"file itself as the morphology)", file=label)
    roots = list(spec.submodule_search_locations or [])
    if not roots:
        raise MorphologyError(f"'{package}' is a module ({spec.origin}), not a package with "
                              f"files inside it; way out: name the package that holds "
                              f"'{path}'", file=label)
    for root in roots:
        place = Path(root).joinpath(*parts)
        if place.is_file():
            return place
    version = _version(package)
    raise MorphologyError(f"the installed package '{package}'{version} has no file '{path}' "
                          f"(looked in {', '.join(roots)}); way out: check the path inside the "
                          f"package, or pip install a version of {package} that ships it",
                          file=label)


def _version(package: str) -> str:
    """`` (version X)`` of the distribution of that name, or an empty string."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f" (version {version(package)})"
    except PackageNotFoundError:
        return ""


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
