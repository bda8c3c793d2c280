"""Compile mnsim's NMODL mechanisms once per user and load them once per process.

The ``.mod`` files beside this module, and the ``.inc`` files they INCLUDE, are compiled by
NEURON's ``nrnivmodl`` into ``<cache>/nrnmech/<key>/``, where ``<cache>`` is
``$MNSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mnsim``, else ``~/.cache/mnsim``, and ``<key>`` is
the sha256 of those files (names and contents), the NEURON version and the architecture. A
compile runs in a fresh temporary directory inside ``<cache>/nrnmech`` that is renamed to its
final name only once it succeeded, so concurrent or interrupted compiles never leave a broken
entry: a directory named by its key is always complete. NEURON cannot unload a library, so
each one is loaded at most once per process.
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
from pathlib import Path

from mnsim.errors import SimulationError

MOD_DIR = Path(__file__).parent / "mod"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in nrnivmodl's output
_STALE_TMP_S = 3600.0  # temporary compile directories older than this are abandoned ones
_loaded: dict[str, Path] = {}  # key -> library loaded into this process


def cache_root() -> Path:
    """The per-user cache directory of mnsim (not created here)."""
    if os.environ.get("MNSIM_CACHE_DIR"):
        return Path(os.environ["MNSIM_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "mnsim"
    return Path.home() / ".cache" / "mnsim"


def mod_files() -> list[Path]:
    """The NMODL sources this backend compiles: the ``.mod`` files and the ``.inc`` files they
    INCLUDE, sorted by name."""
    return sorted([*MOD_DIR.glob("*.mod"), *MOD_DIR.glob("*.inc")])


def cache_key(neuron_version: str, files: list[Path] | None = None) -> str:
    """sha256 of the NMODL sources' names and contents, the NEURON version and the machine
    architecture (a home directory may be shared by machines of different kinds)."""
    digest = hashlib.sha256(f"neuron {neuron_version} {platform.machine()}\n".encode())
    for path in files if files is not None else mod_files():
        digest.update(f"{path.name}\n".encode())
        digest.update(path.read_bytes())
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


def _compile(files: list[Path], final: Path) -> None:
    """Compile ``files`` with ``nrnivmodl`` and move the result to ``final`` atomically."""
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))
    try:
        for path in files:
            shutil.copy2(path, tmp / path.name)
        proc = subprocess.run([find_nrnivmodl()], cwd=tmp, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0 or _library(tmp) is None:
            output = _ANSI.sub("", f"{proc.stdout}\n{proc.stderr}").strip()
            raise SimulationError(f"nrnivmodl ({find_nrnivmodl()}) failed to compile the mnsim "
                                  f"NEURON mechanisms (exit code {proc.returncode}):\n{output}")
        try:
            os.rename(tmp, final)
        except OSError:
            if _library(final) is None:  # not a concurrent winner: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def library_path(neuron_version: str) -> Path:
    """The compiled library of the current NMODL sources, compiling it if it is not cached.

    Raises
    ------
    SimulationError
        ``nrnivmodl`` is missing or failed; the message carries its output.
    """
    files = mod_files()
    final = cache_root() / "nrnmech" / cache_key(neuron_version, files)
    lib = _library(final) if final.is_dir() else None
    if lib is None:
        _compile(files, final)
        lib = _library(final)
    if lib is None:
        raise SimulationError(f"no NEURON mechanism library in {final}; delete that directory "
                              "and run again")
    return lib


def ensure_loaded() -> None:
    """Compile (if needed) and load mnsim's mechanisms into this process, once.

    Raises
    ------
    SimulationError
        The compile or the load failed.
    """
    import neuron
    from neuron import h

    key = cache_key(neuron.__version__)
    if key in _loaded:
        return
    if _loaded:
        raise SimulationError("the mnsim NEURON mechanisms changed since this process loaded "
                              "them; NEURON cannot reload mechanisms: start a new process")
    lib = library_path(neuron.__version__)
    if hasattr(h, "mnsim_IF_curr_exp"):
        raise SimulationError("mechanisms named mnsim_* are already loaded in this process from "
                              "elsewhere (an x86_64/ directory in the working directory?); "
                              "NEURON cannot load them twice")
    try:
        ok = h.nrn_load_dll(str(lib))
    except RuntimeError as exc:
        raise SimulationError(f"NEURON could not load {lib}: {exc}") from exc
    if not ok:
        raise SimulationError(f"NEURON could not load {lib}")
    _loaded[key] = lib
