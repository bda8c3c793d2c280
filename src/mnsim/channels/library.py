"""The channels mnsim ships: every ``*.yaml`` in ``channels/library/``, read once per process.

A file's stem is the mechanism's name (``NaTa_t.yaml`` holds ``name: NaTa_t``).
"""

from __future__ import annotations

import functools
from pathlib import Path

from mnsim.channels.model import CalciumDynamics, Channel
from mnsim.channels.read import read_channel
from mnsim.errors import SpecError
from mnsim.spec.context import closest

LIBRARY_DIR = Path(__file__).parent / "library"


@functools.cache
def _read_all() -> dict[str, Channel | CalciumDynamics]:
    return {path.stem: read_channel(path, name=path.stem)
            for path in sorted(LIBRARY_DIR.glob("*.yaml"))}


def library() -> dict[str, Channel | CalciumDynamics]:
    """Every library mechanism by name (read and checked once; a new dict each call).

    Raises
    ------
    SpecError
        A library file is wrong (its message names the file and line).
    """
    return dict(_read_all())


def get(name: str) -> Channel | CalciumDynamics:
    """The library mechanism called ``name``.

    Raises
    ------
    SpecError
        No such mechanism: the message suggests the closest name and lists them all.
    """
    mechanisms = _read_all()
    if name not in mechanisms:
        raise SpecError(f"no channel '{name}' in mnsim's library{closest(name, mechanisms)}; "
                        f"the library has: {', '.join(mechanisms) or '(none)'}")
    return mechanisms[name]
