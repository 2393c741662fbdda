"""``python -m hfsecure_jupyter`` is the ``hfsecure`` command."""

from .cli import run

run()
