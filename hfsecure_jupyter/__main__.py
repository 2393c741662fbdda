"""``python -m hfsecure_jupyter`` is the ``hfsecure`` command."""

import sys

from .cli import main

sys.exit(main())
