"""``python -m hfsecure_jupyter.emulator``: the same as ``hfsecure hub-emulator``."""

import sys

from .cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
