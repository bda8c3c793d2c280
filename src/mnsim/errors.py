"""The exceptions mnsim raises. Every user-facing failure is an ``MnsimError``.

A ``SpecError`` (and its ``UnitError`` kin) carries where the problem is: the file, the
line and the dotted field path, so that the message reads like a compiler's::

    models/x.yaml:7: populations.cells.cell.params.tau_m: expected a time, got '20 mV' (a voltage)
"""

from __future__ import annotations


class MnsimError(Exception):
    """Base class of every error mnsim raises on purpose."""


class SpecError(MnsimError):
    """A model description is wrong: names the file, line and field, what was expected and given.

    Parameters
    ----------
    message
        What was expected, what was given, and a way out.
    field
        Dotted path of the offending field (``"stimuli.step.amplitude"``), if known.
    file
        The model file, or ``"<python>"`` / ``"--set"`` for models built in code or overrides.
    line
        1-based line number in ``file``, if known.
    """

    def __init__(self, message: str, *, field: str | None = None, file: str | None = None,
                 line: int | None = None) -> None:
        self.message = message
        self.field = field
        self.file = file
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"

    def located(self, *, field: str | None, file: str | None, line: int | None) -> SpecError:
        """Return a copy of this error that knows where it happened (keeps its class)."""
        return type(self)(self.message, field=field or self.field, file=file or self.file,
                          line=line or self.line)


class UnitError(SpecError):
    """A quantity has no unit, an unknown unit, or the wrong dimension."""


class CapabilityError(MnsimError):
    """A backend was asked for something it does not support; names who does."""


class BackendUnavailableError(MnsimError):
    """A backend's simulator is not installed or cannot be imported; lists those that are."""


class SimulationError(MnsimError):
    """A simulator failed while building or running a model, or returned malformed results."""


class MorphologyError(MnsimError):
    """A morphology file cannot be loaded as a cell: names the file, the line or point id
    (SWC sample, NeuroML segment) where the problem is, what is wrong and a way out.

    Parameters
    ----------
    message
        What is wrong and what the user can do about it.
    file
        The morphology file (``"<inline>"`` for sections given in a model file).
    line
        1-based line number in ``file``, if known.
    point
        The point's id in the file (SWC sample number, NeuroML segment id), if known.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 point: int | str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.point = point
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        what = f"point {point}: " if point is not None else ""
        super().__init__(f"{where}{what}{message}")
