"""A sweep definition: which model, what is varied, what is measured, on which backends, and
the numbers expected. Built from arguments (:func:`make_sweep`) or read from a sweep file
(:func:`load_sweep`): a shipped one in ``src/mnsim/sweeps/*.yaml`` (``mnsim sweep hh_fi``) or
any YAML file with ``model:`` and ``vary:`` (format: ``docs/sweeps.md``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnsim.errors import MnsimError, SpecError
from mnsim.sweeps.grid import Axis, grid, number_text, parse_vary
from mnsim.sweeps.measures import MeasureSpec, parse_measures

if TYPE_CHECKING:
    from mnsim.spec.model import Model
    from mnsim.sweeps.checks import SweepExpectation

SWEEPS_DIR = Path(__file__).resolve().parent
FIELDS = ("name", "title", "description", "model", "set", "vary", "measures", "backends",
          "expect")


@dataclass(frozen=True)
class Point:
    """One point of the grid on one backend: its values (one per axis), resolved model and
    key (the first 16 hex digits of sha256 of the model's hash and the backend)."""

    values: tuple[Decimal | str, ...]
    backend: str
    model: Model
    key: str


@dataclass(frozen=True)
class Sweep:
    """A sweep, checked: the base model (``set`` applied), its axes, measures and backends
    (``None``: every installed backend that can run the model), and ``expect`` entries."""

    name: str
    model: Model
    axes: tuple[Axis, ...]
    measures: tuple[MeasureSpec, ...]
    backends: tuple[str, ...] | None = None
    expect: tuple[SweepExpectation, ...] = ()
    title: str = ""
    description: str = ""
    origin: str = "<python>"
    overrides: Mapping[str, Any] = field(default_factory=dict)  # the file's `set:`

    def points(self, backends: Sequence[str]) -> list[Point]:
        """Every point on every backend, in grid order (backends innermost). Each point's
        model is the base model with the point's values set, checked as any model is.

        Raises
        ------
        SpecError
            A value the model refuses; the message names the point.
        """
        from mnsim.spec import load

        points = []
        for values in grid(self.axes):
            overrides = {a.path: a.override(v) for a, v in zip(self.axes, values)}
            try:
                model = load(self.model, set=overrides)
            except SpecError as exc:
                where = ", ".join(f"{k}={v}" for k, v in overrides.items())
                raise SpecError(f"sweep point {where}: {exc}") from None
            for backend in backends:
                points.append(Point(values=values, backend=backend, model=model,
                                    key=point_key(model, backend)))
        return points

    def to_data(self, model_file: str = "model.yaml") -> dict[str, Any]:
        """The definition as a sweep file whose model is ``model_file`` (the resolved base
        model, written beside it): ``mnsim sweep OUT/sweep.yaml`` runs the same sweep."""
        data: dict[str, Any] = {"name": self.name}
        if self.title:
            data["title"] = self.title
        if self.description:
            data["description"] = self.description
        data["model"] = model_file
        data["base_sha256"] = self.model.sha256
        data["vary"] = {a.path: [a.override(v) for v in a.values] for a in self.axes}
        data["measures"] = [m.to_data() for m in self.measures]
        if self.backends:
            data["backends"] = list(self.backends)
        if self.expect:
            data["expect"] = [dict(e.raw) for e in self.expect]
        return data


def point_key(model: Model, backend: str) -> str:
    """The key of a point: a hash of its resolved model and the backend."""
    return hashlib.sha256(f"{model.sha256}:{backend}".encode()).hexdigest()[:16]


def shipped_sweeps() -> list[str]:
    """Names of the sweeps shipped with mnsim (the course exercises)."""
    return sorted(p.stem for p in SWEEPS_DIR.glob("*.yaml"))


def is_sweep_source(source: Any) -> bool:
    """True for a :class:`Sweep`, a shipped sweep's name, a sweep file (a YAML file with
    top-level ``model:`` and ``vary:``) or a mapping with those keys."""
    if isinstance(source, Sweep):
        return True
    if isinstance(source, Mapping):
        return "vary" in source and "model" in source and "populations" not in source
    if not isinstance(source, (str, Path)):
        return False
    text = str(source)
    if (SWEEPS_DIR / f"{text}.yaml").is_file() and "/" not in text:
        return True
    path = Path(text)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        import yaml

        try:
            head = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return False
        return isinstance(head, dict) and "vary" in head and "model" in head
    return False


def make_sweep(model: Any, vary: Any, measures: Any = None, backends: Any = None, *,
               name: str | None = None, overrides: Mapping[str, Any] | None = None) -> Sweep:
    """A sweep of ``model`` (anything :func:`mnsim.load` accepts) built from arguments."""
    from mnsim.spec import load

    base = load(model, set=overrides or None)
    axes = parse_vary(vary)
    return Sweep(name=name or base.name, model=base, axes=tuple(axes),
                 measures=tuple(parse_measures(measures, base)),
                 backends=parse_backends(backends, "backends"), overrides=dict(overrides or {}))


def load_sweep(source: str | Path | Mapping[str, Any] | Sweep) -> Sweep:
    """Read a sweep file, a shipped sweep's name or a mapping with the same structure.

    Raises
    ------
    SpecError
        A missing or malformed field; the message names the file, line and field.

    Examples
    --------
    >>> sweep = load_sweep("lif_fi")
    >>> sweep.axes[0].column
    'stimuli.drive.amplitude (nA)'
    """
    from mnsim.spec.context import closest
    from mnsim.spec.yamlio import read_yaml

    if isinstance(source, Sweep):
        return source
    if isinstance(source, Mapping):
        raw, lines, file, folder = dict(source), {}, "<python>", Path.cwd()
    else:
        text = str(source)
        path = SWEEPS_DIR / f"{text}.yaml" if "/" not in text and not text.endswith(
            (".yaml", ".yml")) else Path(text)
        if not path.is_file():
            raise SpecError(f"no shipped sweep or sweep file named '{text}'"
                            f"{closest(text, shipped_sweeps())}; shipped sweeps: "
                            f"{', '.join(shipped_sweeps())}")
        raw, lines = read_yaml(path.read_text(encoding="utf-8"), str(path))
        file, folder = str(path), path.parent
    if not isinstance(raw, dict):
        raise SpecError("a sweep file is a mapping with model:, vary: and measures:", file=file)

    def fail(message: str, key: str) -> SpecError:
        return SpecError(message, file=file, field=key, line=lines.get((key,)))

    for key in raw:
        if key not in FIELDS and key != "base_sha256":
            raise fail(f"unknown field{closest(str(key), FIELDS)}; a sweep file has "
                       f"{', '.join(FIELDS)}", str(key))
    for key in ("model", "vary"):
        if key not in raw:
            raise fail("missing; a sweep names its `model:` and what it `vary:`s", key)
    overrides = raw.get("set") or {}
    if not isinstance(overrides, Mapping):
        raise fail("expected a mapping of field paths to values, e.g. {simulation.duration: "
                   "510 ms}", "set")
    model_source = raw["model"]
    if isinstance(model_source, str) and (model_source.endswith((".yaml", ".yml"))
                                          or "/" in model_source):
        model_source = str(folder / model_source)
    try:
        base = _load_model(model_source, overrides)
        axes = parse_vary(raw["vary"], where=f"{file}: vary") if isinstance(
            raw["vary"], Mapping) else None
        if axes is None:
            raise fail("expected a mapping of field paths to values, e.g. "
                       "{stimuli.step.amplitude: 0:20:0.5 uA/cm2}", "vary")
        measures = parse_measures(raw.get("measures"), base, where=f"{file}: measures")
    except SpecError:
        raise
    except MnsimError as exc:
        raise SpecError(str(exc)) from None
    sweep = Sweep(name=str(raw.get("name") or Path(file).stem), model=base, axes=tuple(axes),
                  measures=tuple(measures),
                  backends=parse_backends(raw.get("backends"), "backends", file),
                  title=str(raw.get("title") or ""),
                  description=str(raw.get("description") or ""), origin=file,
                  overrides=dict(overrides))
    from mnsim.sweeps.checks import parse_expect

    return replace(sweep, expect=tuple(parse_expect(raw.get("expect") or [], sweep, file,
                                                    lines)))


def _load_model(source: Any, overrides: Mapping[str, Any]) -> Model:
    from mnsim.spec import load

    return load(source, set=dict(overrides) or None)


def parse_backends(value: Any, key: str, file: str | None = None) -> tuple[str, ...] | None:
    from mnsim.backends import REGISTRY

    if value is None:
        return None
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else list(value)
    for name in names:
        if name not in REGISTRY:
            raise SpecError(f"unknown backend '{name}'; known: {', '.join(REGISTRY)}",
                            file=file, field=key if file else None)
    return tuple(dict.fromkeys(names)) or None


def describe_point(sweep: Sweep, values: Sequence[Decimal | str]) -> str:
    """``stimuli.step.amplitude=2.5 uA/cm2`` for messages and reports."""
    return ", ".join(f"{a.path}={a.override(v)}" for a, v in zip(sweep.axes, values))


__all__ = ["SWEEPS_DIR", "Point", "Sweep", "describe_point", "is_sweep_source", "load_sweep",
           "make_sweep", "number_text", "point_key", "shipped_sweeps"]
