"""Compile original ``.mod`` files for the hand-written NEURON references
(native_course_cells.py, native_l5pc.py), independently of mnsim's own compile cache: once per
content into ``<tmp>/<cache>/<sha256 of the files and NEURON's version>``, built in a temporary
directory renamed into place, so concurrent or interrupted builds never leave a broken one."""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def compiled_mods(files: list[Path], cache: str) -> Path:
    """``libnrnmech.so`` of ``files`` (compiled now if not cached under ``cache``)."""
    import neuron

    digest = hashlib.sha256(f"{neuron.__version__} {platform.machine()}".encode())
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    root = Path(tempfile.gettempdir()) / cache
    final = root / digest.hexdigest()[:16]
    if found := sorted(final.glob("*/libnrnmech.so")):
        return found[0]
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix="build-"))  # renamed to `final` once built
    for path in files:
        shutil.copy(path, work / path.name)
    nrnivmodl = Path(sys.executable).parent / "nrnivmodl"
    done = subprocess.run([str(nrnivmodl if nrnivmodl.is_file() else "nrnivmodl"), "."],
                          cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nrnivmodl failed in {work}:\n{done.stdout}\n{done.stderr}")
    try:
        work.rename(final)
    except OSError:  # another process finished first: use its build
        shutil.rmtree(work, ignore_errors=True)
    return sorted(final.glob("*/libnrnmech.so"))[0]
