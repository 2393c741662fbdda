"""``python -m hfsecure_jupyter.cli`` is the ``hfsecure`` command (the git clean filter runs it so)."""

from . import run

run()
