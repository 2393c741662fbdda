"""hfsecure-scan: the scanner of hfsecure-jupyter, alone (``hfsecure-scan PATH ...``, as ``hfsecure scan``).

The modules of this package are hfsecure-jupyter's own files (``hfsecure_jupyter.detect``, ``.report``,
``.cli.scan`` ...), mapped here by ``scan-dist/pyproject.toml`` when the wheel is built: the same code
under another name, so that both distributions can be installed in one environment.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use, as in hfsecure_jupyter
        from .version import package_version

        value = package_version()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
