"""``python -m hfsecure_jupyter.cli`` is the ``hfsecure`` command (the git clean filter runs it so)."""

import sys

from . import main

sys.exit(main())
