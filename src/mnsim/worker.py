"""Run one model on one backend in a process of its own: ``python -m mnsim.worker MODEL.yaml
BACKEND OUT.pkl``. :mod:`mnsim.comparison` starts one per backend, so a crash or a compiled
mechanism in one simulator cannot touch another. Exit 0 and a pickled Block on success; exit 3
and the error on stderr (one line) otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from mnsim.api import run, save
    from mnsim.errors import MnsimError
    from mnsim.spec import load

    model_path, backend, out = argv
    try:
        save(run(load(model_path), backend), out)
    except MnsimError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
