"""How long `import mnsim` and `mnsim list` take in a fresh interpreter (target: under 1 s).

Each is timed as a whole process, best of N runs, against a bare `python -c pass` run back to
back, so the figure is what a user waits for. Run: ``./dev python scripts/bench_startup.py``
"""

from __future__ import annotations

import subprocess
import sys
import time

RUNS = 7


def best_of(cmd: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    bare = best_of([sys.executable, "-c", "pass"])
    imp = best_of([sys.executable, "-c", "import mnsim"])
    lst = best_of([sys.executable, "-m", "mnsim.cli", "list"])
    print(f"python -c pass : {bare * 1000:7.1f} ms")
    print(f"import mnsim   : {imp * 1000:7.1f} ms  (target < 1000 ms)")
    print(f"mnsim list     : {lst * 1000:7.1f} ms  (target < 1000 ms)")


if __name__ == "__main__":
    main()
