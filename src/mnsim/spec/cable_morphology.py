"""The ``morphology:`` field of a ``type: multicompartment`` cell -> its
:class:`~mnsim.morphology.model.Morphology` (docs/model-format.md, "Multicompartment cells").

Two forms:

* a file name, ``morphology: cell.swc``: relative to the model file (the working directory for
  a model built in Python), else among mnsim's own (:func:`mnsim.morphology.load.resolve`);
* a mapping, ``morphology: {file: cell.swc}`` or ``{package: bluepyopt, path:
  tests/.../C060114A7.asc}`` (a file inside an installed Python package,
  :func:`mnsim.morphology.load.package_file`), with an optional ``replace_axon: {sections: 2,
  length: 30 um, diam: 1 um}`` (:func:`mnsim.morphology.edit.replace_axon`).

A file found beside the model is recorded in ``Model.raw`` by its absolute path, so a saved
model loads from anywhere; a package's file stays named by package and path (the same name
in every environment that has the package). The model's hash covers the final geometry
(``Morphology.sha256``, axon replaced), never the name.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path as FilePath
from typing import Any

from mnsim.errors import MorphologyError
from mnsim.morphology.edit import replace_axon
from mnsim.morphology.load import SHIPPED_DIR, load_morphology, package_file, resolve
from mnsim.morphology.model import Morphology
from mnsim.spec.context import Context, Path

MAPPING_FIELDS = ("file", "package", "path", "replace_axon")
AXON_FIELDS = ("sections", "length", "diam")


def file_morphology(cell: Mapping[str, Any], path: Path, ctx: Context,
                    base: FilePath | None) -> Morphology:
    """The morphology of the cell mapping ``cell`` at ``path`` (``populations.NAME.cell``),
    from its ``morphology`` field; ``base``: the model file's directory (None for a model
    built in Python). Rewrites a relative ``file`` in ``cell`` to its absolute path."""
    where = path + ("morphology",)
    given = cell["morphology"]
    if not isinstance(given, Mapping):
        file = _file(given, where, ctx, base)
        if SHIPPED_DIR not in file.parents and isinstance(cell, MutableMapping):
            cell["morphology"] = str(file.resolve())  # so the saved model loads from anywhere
        return _load(file, where, ctx)
    body = ctx.mapping(given, where, "morphology fields (file, or package and path; "
                                     "replace_axon)")
    ctx.keys(body, where, MAPPING_FIELDS)
    if ("file" in body) == ("package" in body):
        ctx.fail(where, "give the morphology either as 'file: NAME' or as 'package: NAME' with "
                        "'path: PATH' (a file inside an installed Python package)"
                        + (", not both" if "file" in body else ""))
    if "file" in body:
        if "path" in body:
            ctx.fail(where + ("path",), "'path' names a file inside 'package'; with 'file' "
                                        "give the file's own path there")
        file = _file(body["file"], where + ("file",), ctx, base)
        if SHIPPED_DIR not in file.parents and isinstance(body, MutableMapping):
            body["file"] = str(file.resolve())
    else:
        if "path" not in body:
            ctx.fail(where, f"missing required field 'path': the file's place inside package "
                            f"{body['package']!r}, e.g. path: tests/data/cell.asc")
        package = ctx.string(body["package"], where + ("package",))
        inside = ctx.string(body["path"], where + ("path",))
        try:
            file = package_file(package, inside)
        except MorphologyError as exc:
            ctx.fail(where + ("package",), str(exc))
    morph = _load(file, where, ctx)
    if "replace_axon" in body:
        morph = _replace_axon(body["replace_axon"], morph, where + ("replace_axon",), ctx)
    return morph


def _file(name: Any, where: Path, ctx: Context, base: FilePath | None) -> FilePath:
    name = ctx.string(name, where)
    try:
        return resolve(name, base)
    except MorphologyError as exc:
        ctx.fail(where, str(exc))


def _load(file: FilePath, where: Path, ctx: Context) -> Morphology:
    try:
        return load_morphology(file)
    except MorphologyError as exc:
        ctx.fail(where, f"cannot use this morphology: {exc}")


def _replace_axon(raw: Any, morph: Morphology, where: Path, ctx: Context) -> Morphology:
    """``replace_axon: {sections: N, length: L, diam: D}``: Hay et al. (2011)'s stub is
    ``{sections: 2, length: 30 um, diam: 1 um}``."""
    body = ctx.mapping(raw, where, "axon replacement fields (sections, length, diam), e.g. "
                                   "{sections: 2, length: 30 um, diam: 1 um}")
    ctx.keys(body, where, AXON_FIELDS, required=AXON_FIELDS)
    n = ctx.positive_int(body["sections"], where + ("sections",), "the number of sections")
    length = ctx.quantity(body["length"], "um", where + ("length",), positive=True)
    diam = ctx.quantity(body["diam"], "um", where + ("diam",), positive=True)
    try:
        return replace_axon(morph, n, length, diam)
    except MorphologyError as exc:
        ctx.fail(where, str(exc))
