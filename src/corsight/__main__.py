"""``python -m corsight`` and the ``corsight`` command: the command line, or one line saying which
extra to install when ``pip install corsight`` brought only the dependency-free core."""

from __future__ import annotations

import sys


def run() -> None:
    """Start the command line; without click (a core-only install) say what to install, exit 2."""
    try:
        from corsight.cli import main
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("corsight"):
            raise
        sys.stderr.write(f"corsight: error: the command line needs {exc.name}: pip install 'corsight[cli]'\n")
        sys.exit(2)
    main()


if __name__ == "__main__":
    run()
