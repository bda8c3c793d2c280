"""Loading model descriptions: shipped names, files or Python mappings, with variants and
overrides. :func:`load` is the one way in."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mnsim.errors import SpecError
from mnsim.spec.build import build_model
from mnsim.spec.context import Context, closest, dotted
from mnsim.spec.model import Model
from mnsim.spec.yamlio import Lines, parse_scalar, read_yaml

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

__all__ = ["MODELS_DIR", "Model", "load", "shipped_models"]


def shipped_models() -> list[str]:
    """Names of the course models shipped with mnsim."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))


def load(source: str | Path | Mapping[str, Any] | Model,
         set: Mapping[str, Any] | None = None) -> Model:  # noqa: A002 - the documented name
    """Load a model and check it.

    Parameters
    ----------
    source
        A shipped model's name (``"hh_squid"``), a path to a YAML file, a mapping with the same
        structure as a file (a model built in Python), or a :class:`Model` (to apply overrides).
        ``NAME:VARIANT`` selects a named variant from the file's ``variants:``.
    set
        Overrides: dotted field path -> value, e.g.
        ``{"stimuli.step.amplitude": "6.5 uA/cm2"}``. A string value is read as YAML, so
        ``"[1 nA, 2 nA]"`` is a list.

    Returns
    -------
    Model

    Raises
    ------
    SpecError
        The file is missing or malformed, or a field is wrong; the message names the file,
        line and field.

    Examples
    --------
    >>> model = load("hh_squid", set={"stimuli.step.amplitude": "6.5 uA/cm2"})
    >>> model.simulation.dt_ms
    0.01
    """
    variant = None
    if isinstance(source, Model):
        raw, lines, file = copy.deepcopy(dict(source.raw)), {}, source.origin
    elif isinstance(source, Mapping):
        raw, lines, file = copy.deepcopy(dict(source)), {}, "<python>"
    else:
        path, variant = _resolve(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"cannot read the model file: {exc}", file=str(path)) from None
        raw, lines = read_yaml(text, str(path))
        file = str(path)
    overridden: dict[tuple[Any, ...], tuple[str, int | None]] = {}  # path -> (file, line)
    if variant is not None:
        raw = _apply_variant(raw, variant, lines, file, overridden)
    for key, value in (set or {}).items():
        value = parse_scalar(value) if isinstance(value, str) else value
        overridden[_override(raw, key, value, "--set", None)] = ("--set", None)
    ctx = Context(file, lines, overridden)
    return build_model(raw, ctx)


def _resolve(source: str | Path) -> tuple[Path, str | None]:
    text = str(source)
    variant = None
    if ":" in text and not Path(text).exists():
        text, variant = text.rsplit(":", 1)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in text:
        if not path.is_file():
            raise SpecError(f"model file not found: '{text}'")
        return path, variant
    shipped = MODELS_DIR / f"{text}.yaml"
    if not shipped.is_file():
        raise SpecError(f"no shipped model or file named '{text}'"
                        f"{closest(text, shipped_models())}; shipped models: "
                        f"{', '.join(shipped_models())}; or give a path to a .yaml file")
    return shipped, variant


def _apply_variant(raw: Any, variant: str, lines: Lines, file: str,
                   overridden: dict[tuple[Any, ...], tuple[str, int | None]]) -> Any:
    variants = raw.get("variants", {}) if isinstance(raw, dict) else {}
    if variant not in variants:
        known = ", ".join(variants) or "none"
        raise SpecError(f"no variant '{variant}'{closest(variant, variants)}; variants of this "
                        f"model: {known}", file=file, field="variants",
                        line=lines.get(("variants",)))
    body = variants[variant]
    if not isinstance(body, Mapping):
        raise SpecError("a variant is a mapping of field paths to values", file=file,
                        field=f"variants.{variant}", line=lines.get(("variants", variant)))
    for key, value in body.items():
        line = lines.get(("variants", variant, key))
        overridden[_override(raw, key, value, file, line)] = (file, line)
    return raw


def _override(raw: Any, key: str, value: Any, file: str, line: int | None) -> tuple[Any, ...]:
    """Set ``raw[a][b]... = value`` for ``key = "a.b..."``; returns the path set."""
    path = tuple(int(p) if p.isdigit() else p for p in str(key).split("."))
    node = raw
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise SpecError(f"cannot set '{key}': '{dotted(path[:depth])}' is not a mapping",
                            file=file, line=line, field=str(key))
        node = node.setdefault(part, {})
    last = path[-1]
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError(f"cannot set '{key}': its parent is not a mapping", file=file,
                        line=line, field=str(key))
    return path
