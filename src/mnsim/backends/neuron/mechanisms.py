"""Compile NMODL mechanisms once per user and load them once per process.

A *library* is a set of NMODL sources (:class:`NmodlSource`: a file name, its bytes and the
mechanism names it defines) compiled together by NEURON's ``nrnivmodl`` into
``<cache>/nrnmech/<key>/``, where ``<cache>`` is ``$MNSIM_CACHE_DIR``, else
``$XDG_CACHE_HOME/mnsim``, else ``~/.cache/mnsim``, and ``<key>`` is the sha256 of the sources
(names and contents), the NEURON version and the architecture. A compile runs in a fresh
temporary directory inside ``<cache>/nrnmech`` that is renamed to its final name only once it
succeeded, so concurrent or interrupted compiles never leave a broken entry: a directory named
by its key is always complete.

Two kinds of library:

* mnsim's own (:func:`ensure_loaded`): the ``.mod`` files beside this module (and the ``.inc``
  files they INCLUDE) with the generated NMODL of every channel of mnsim's library
  (:func:`mnsim.channels.nmodl.to_nmodl`): one compile shared by every model;
* a cell's own (:func:`ensure_cell_mechanisms`): the generated NMODL of the model's channels
  and its ``.mod`` files, keyed by their content.

NEURON cannot unload a library nor define a mechanism twice: a library is loaded at most once
per process, only the sources not loaded yet are compiled into a cell's library, and a
mechanism name already loaded from other content is a :class:`SimulationError` that says to
run in a fresh process.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnsim.errors import SimulationError

MOD_DIR = Path(__file__).parent / "mod"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in nrnivmodl's output
_STALE_TMP_S = 3600.0  # temporary compile directories older than this are abandoned ones
_loaded: dict[str, Path] = {}  # key -> library loaded into this process
_defined: dict[str, tuple[str, str]] = {}  # mechanism name -> (sha256 of its source, origin)


@dataclass(frozen=True)
class NmodlSource:
    """One file of a library: ``filename`` in the compile directory, its bytes, the mechanism
    names it defines (none for an included ``.inc`` file) and where it comes from (for
    messages)."""

    filename: str
    text: bytes
    defines: tuple[str, ...] = ()
    origin: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text).hexdigest()


def cache_root() -> Path:
    """The per-user cache directory of mnsim (not created here)."""
    if os.environ.get("MNSIM_CACHE_DIR"):
        return Path(os.environ["MNSIM_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "mnsim"
    return Path.home() / ".cache" / "mnsim"


def mod_files() -> list[Path]:
    """mnsim's own NMODL files: the ``.mod`` files beside this module and the ``.inc`` files
    they INCLUDE, sorted by name."""
    return sorted([*MOD_DIR.glob("*.mod"), *MOD_DIR.glob("*.inc")])


def file_source(path: Path, origin: str = "") -> NmodlSource:
    """An NMODL file as a source (the mechanism it defines read from its NEURON block)."""
    from mnsim.channels.mod_file import read_mod

    data = path.read_bytes()
    defines = () if path.suffix != ".mod" else (read_mod(path).name,)
    return NmodlSource(path.name, data, defines, origin or str(path))


def channel_source(channel: Any, origin: str) -> NmodlSource:
    """The generated NMODL of a channel or calcium dynamics, as ``<name>.mod``."""
    from mnsim.channels.nmodl import to_nmodl

    return NmodlSource(f"{channel.name}.mod", to_nmodl(channel).encode(), (channel.name,),
                       origin)


def mnsim_sources() -> list[NmodlSource]:
    """mnsim's library: its own ``.mod`` files and every channel of the channel library."""
    from mnsim.channels.library import library

    own = [file_source(p, f"mnsim's {p.name}") for p in mod_files()]
    return own + [channel_source(ch, f"library channel {name}")
                  for name, ch in sorted(library().items())]


def cache_key(neuron_version: str, sources: Sequence[NmodlSource] | None = None) -> str:
    """sha256 of the NMODL sources' names and contents, the NEURON version and the machine
    architecture (a home directory may be shared by machines of different kinds)."""
    digest = hashlib.sha256(f"neuron {neuron_version} {platform.machine()}\n".encode())
    for src in sorted(sources if sources is not None else mnsim_sources(),
                      key=lambda x: x.filename):
        digest.update(f"{src.filename}\n".encode())
        digest.update(src.text)
    return digest.hexdigest()


def find_nrnivmodl() -> str:
    """``nrnivmodl`` next to the running Python, else on ``PATH``.

    Raises
    ------
    SimulationError
        Neither exists.
    """
    beside = Path(sys.executable).parent / "nrnivmodl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("nrnivmodl")
    if found:
        return found
    raise SimulationError("cannot compile the NEURON mechanisms of mnsim: 'nrnivmodl' is "
                          f"neither next to {sys.executable} nor on PATH; install NEURON "
                          "(pip install neuron) in this environment")


def _library(directory: Path) -> Path | None:
    """The compiled mechanism library inside an ``nrnivmodl`` output directory, if any."""
    for pattern in ("*/libnrnmech.so", "*/.libs/libnrnmech.so", "*/libnrnmech.dylib",
                    "*/.libs/libnrnmech.dylib", "*/libnrnmech.dll", "nrnmech.dll"):
        hits = sorted(directory.glob(pattern))
        if hits:
            return hits[0]
    return None


def _remove_stale(parent: Path) -> None:
    """Delete temporary compile directories left behind by killed processes."""
    now = time.time()
    for tmp in parent.glob(".tmp-*"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def _compile(sources: Sequence[NmodlSource], final: Path, what: str) -> None:
    """Compile ``sources`` with ``nrnivmodl`` and move the result to ``final`` atomically."""
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))
    try:
        for src in sources:
            (tmp / src.filename).write_bytes(src.text)
        proc = subprocess.run([find_nrnivmodl()], cwd=tmp, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0 or _library(tmp) is None:
            output = _ANSI.sub("", f"{proc.stdout}\n{proc.stderr}").strip()
            raise SimulationError(f"nrnivmodl ({find_nrnivmodl()}) failed to compile {what} "
                                  f"(exit code {proc.returncode}):\n{output}")
        try:
            os.rename(tmp, final)
        except OSError:
            if _library(final) is None:  # not a concurrent winner: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def library_path(neuron_version: str, sources: Sequence[NmodlSource] | None = None,
                 what: str = "the mnsim NEURON mechanisms") -> Path:
    """The compiled library of ``sources`` (default: mnsim's own, :func:`mnsim_sources`),
    compiling it if it is not cached.

    Raises
    ------
    SimulationError
        ``nrnivmodl`` is missing or failed; the message carries its output.
    """
    sources = mnsim_sources() if sources is None else list(sources)
    _check_names(sources)
    final = cache_root() / "nrnmech" / cache_key(neuron_version, sources)
    lib = _library(final) if final.is_dir() else None
    if lib is None:
        _compile(sources, final, what)
        lib = _library(final)
    if lib is None:
        raise SimulationError(f"no NEURON mechanism library in {final}; delete that directory "
                              "and run again")
    return lib


def ensure_loaded() -> None:
    """Compile (if needed) and load mnsim's own library into this process, once.

    Raises
    ------
    SimulationError
        The compile or the load failed, or another library defined one of its names.
    """
    sources = mnsim_sources()
    if _roles.get(_MNSIM) is not None:
        if _roles[_MNSIM] != _key(sources):
            raise SimulationError("the mnsim NEURON mechanisms changed since this process "
                                  "loaded them; NEURON cannot reload mechanisms: start a new "
                                  "process")
        return
    _load(sources, "the mnsim NEURON mechanisms and channel library", _MNSIM)


def ensure_cell_mechanisms(mechanisms: Iterable[Any]) -> None:
    """Load what a cell's mechanisms (:class:`~mnsim.catalogue.mechanisms.Resolved`) need:
    mnsim's library for a library channel, a library of the model's own channels and
    ``.mod`` files for those (only the ones this process has not loaded yet).

    Raises
    ------
    SimulationError
        A compile or load failed, or a mechanism name is already loaded from other content
        (NEURON cannot redefine a mechanism: run in a fresh process).
    """
    own: list[NmodlSource] = []
    for res in mechanisms:
        if res.origin == "library":
            ensure_loaded()
        elif res.origin == "model":
            own.append(channel_source(res.definition, f"the model's channel {res.name}"))
        elif res.origin == "mod":
            mod = res.definition
            own.append(NmodlSource(f"{mod.name}.mod", mod.text, (mod.name,), str(mod.path)))
            own += [NmodlSource(name, data, (), f"{name} (INCLUDEd by {mod.path})")
                    for name, data in mod.includes]
    fresh = [src for src in own if not src.defines or any(
        _defined.get(n, ("", ""))[0] != src.sha256 for n in src.defines)]
    if any(src.defines for src in fresh):
        _load(fresh, "the model's own NEURON mechanisms", None)


_MNSIM = "mnsim"
_roles: dict[str, str] = {}  # "mnsim" -> key of mnsim's library, once loaded


def _key(sources: Sequence[NmodlSource]) -> str:
    import neuron

    return cache_key(neuron.__version__, sources)


def _check_names(sources: Sequence[NmodlSource]) -> None:
    """Two files of one library may not share a file name or define one mechanism."""
    seen: dict[str, NmodlSource] = {}
    for src in sources:
        for key in (f"file {src.filename}", *(f"mechanism {n}" for n in src.defines)):
            if key in seen and seen[key].text != src.text:
                raise SimulationError(f"{key} comes from both {seen[key].origin} and "
                                      f"{src.origin} with different contents; rename one")
            seen[key] = src


def _load(sources: Sequence[NmodlSource], what: str, label: str | None) -> None:
    """Compile (if needed) and load ``sources`` as one library, after checking that none of
    their mechanisms is loaded from other content."""
    import neuron
    from neuron import h

    unique = list({src.filename: src for src in sources}.values())
    existing = _neuron_names(h)
    for src in unique:
        for name in src.defines:
            before = _defined.get(name)
            if before is not None and before[0] != src.sha256:
                raise SimulationError(
                    f"mechanism '{name}' is already loaded in this process from {before[1]}, "
                    f"and {src.origin} defines it differently; NEURON cannot redefine a "
                    f"mechanism: run this model in a fresh process (mnsim compare runs each "
                    f"backend in its own)")
            if before is None and name in existing:
                raise SimulationError(f"mechanism '{name}' ({src.origin}) is already defined "
                                      f"in this NEURON process by NEURON or by a library loaded "
                                      f"outside mnsim (an x86_64/ directory in the working "
                                      f"directory?); NEURON cannot load it twice: rename it or "
                                      f"run in a fresh process")
    key = cache_key(neuron.__version__, unique)
    if key not in _loaded:
        lib = library_path(neuron.__version__, unique, what)
        try:
            ok = h.nrn_load_dll(str(lib))
        except RuntimeError as exc:
            raise SimulationError(f"NEURON could not load {lib}: {exc}") from exc
        if not ok:
            raise SimulationError(f"NEURON could not load {lib}")
        _loaded[key] = lib
        for src in unique:
            for name in src.defines:
                _defined[name] = (src.sha256, src.origin)
    if label is not None:
        _roles[label] = key


def _neuron_names(h: Any) -> set[str]:
    """Names of the density mechanisms and point processes NEURON knows now."""
    names: set[str] = set()
    for kind in (0, 1):
        mt = h.MechanismType(kind)
        name = h.ref("")
        for i in range(int(mt.count())):
            mt.select(i)
            mt.selected(name)
            names.add(name[0])
    return names
