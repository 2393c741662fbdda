"""Which installed Jupyter kernels the guard really protects.

``hfsecure install-guard`` writes IPython kernel config, but a kernel whose Python cannot import
hfsecure_jupyter only logs an ImportError to the server's log and then runs every cell unguarded. So
``hfsecure status`` and ``install-guard`` ask every kernelspec jupyter_client knows
(:class:`jupyter_client.kernelspec.KernelSpecManager`, the list JupyterLab's launcher shows): its Python
runs ``import hfsecure_jupyter`` (with the kernelspec's environment, under a timeout), and the result
names each kernel that is not protected with the command that fixes it.

A kernel is *protected* when its Python imports the package and the guard is in a config directory that
kernel reads (the user's IPython profile, its own ``<sys.prefix>/etc/ipython``, or a system directory).

Example:
    >>> import sys
    >>> check = KernelCheck("py", "Python 3", sys.executable, "unprotected", "its Python cannot import hfsecure_jupyter",
    ...                     fix=f"{sys.executable} -m pip install hfsecure-jupyter")
    >>> check.line().startswith("kernel 'py' (Python 3): NOT PROTECTED")
    True
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping

__all__ = ["KernelCheck", "GuardState", "check_kernelspecs", "probe_python", "summary_lines"]

#: The states of one kernel: protected, unprotected (its Python lacks the package), not-configured (it
#: reads no config that loads the guard), unknown (its Python could not be run), not-ipython (no guard
#: applies: another language's kernel).
GuardState = Literal["protected", "unprotected", "not-configured", "unknown", "not-ipython"]

#: Prints the interpreter's prefix (where its own etc/ipython is), then imports the package.
_PROBE = "import sys; print(sys.prefix, flush=True); import hfsecure_jupyter"
_PACKAGE = "hfsecure-jupyter"


@dataclass(frozen=True)
class KernelCheck:
    """What one kernelspec's check found.

    Attributes:
        name: the kernelspec's name (``python3``); display_name: what the launcher shows.
        python: the interpreter its ``argv[0]`` names (resolved), None for a kernel that is not Python.
        state: a :data:`GuardState`.
        detail: why, in a few words.
        fix: the command that protects it ("" when nothing is to be done).
    """

    name: str
    display_name: str
    python: str | None
    state: GuardState
    detail: str = ""
    fix: str = ""

    @property
    def protected(self) -> bool:
        """True when the guard loads in this kernel."""
        return self.state == "protected"

    @property
    def needs_fix(self) -> bool:
        """True for an IPython kernel the guard does not (or may not) protect."""
        return self.state in ("unprotected", "not-configured", "unknown")

    def line(self) -> str:
        """One line for people."""
        head = f"kernel {self.name!r} ({self.display_name})"
        if self.state == "protected":
            return f"{head}: protected"
        if self.state == "not-ipython":
            return f"{head}: not an IPython kernel; the guard does not apply to it"
        label = {"unprotected": "NOT PROTECTED", "not-configured": "NOT PROTECTED", "unknown": "UNKNOWN"}[self.state]
        text = f"{head}: {label}: {self.detail}"
        return text + (f"; fix: {self.fix}" if self.fix else "")


def probe_python(python: str, env: Mapping[str, str] | None = None, timeout: float = 10.0,
                 cwd: str | None = None) -> tuple[str, str, str]:
    """Run ``python -c "import hfsecure_jupyter"`` in ``cwd`` (default: the temp folder, so that a checkout
    in the current folder does not count as installed): ``(outcome, prefix, detail)``.

    ``outcome`` is ``"ok"``, ``"missing"`` (the import failed) or ``"error"`` (it could not be run, or
    did not finish in ``timeout`` seconds); ``prefix`` is that Python's ``sys.prefix`` when it ran.

    Example:
        >>> import sys
        >>> probe_python(sys.executable + "-does-not-exist")[0]
        'error'
    """
    try:
        res = subprocess.run([python, "-c", _PROBE], env=dict(env) if env is not None else None,
                             cwd=cwd or tempfile.gettempdir(), stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "error", "", f"its Python did not answer in {timeout:g} s"
    except OSError as exc:
        return "error", "", f"its Python cannot be run ({exc.strerror or type(exc).__name__})"
    prefix = (res.stdout.splitlines() or [""])[0].strip()
    if res.returncode == 0:
        return "ok", prefix, ""
    if not prefix:
        return "error", "", f"its Python failed to start (exit status {res.returncode})"
    last = (res.stderr.strip().splitlines() or [f"exit status {res.returncode}"])[-1]
    from .. import detect

    return "missing", prefix, detect.redact(last[:200])


def _python_of(spec: Any) -> str | None:
    """The interpreter of a Python kernelspec, resolved the way jupyter_client starts it, else None."""
    argv = list(getattr(spec, "argv", None) or [])
    language = str(getattr(spec, "language", "") or "").lower()
    if not argv or (language != "python" and not any("ipykernel" in str(a) for a in argv)):
        return None
    exe = str(argv[0])
    # jupyter_client runs "python", "python3" and "python3.X" as its own interpreter.
    if exe in {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}:
        return sys.executable
    if os.sep not in exe:
        return shutil.which(exe) or exe
    return exe


def _fix_install(python: str) -> str:
    return f"{shlex.quote(python)} -m pip install {_PACKAGE}"


def check_kernelspecs(*, configured: Callable[[str], bool], timeout: float = 10.0,
                      manager: Any = None) -> list[KernelCheck]:
    """Check every installed kernelspec (in parallel, each probe bounded by ``timeout``).

    Args:
        configured: ``configured(prefix)`` tells whether a kernel whose Python has ``sys.prefix == prefix``
            reads a config that loads the guard (the user's profile, its own ``<prefix>/etc/ipython`` or
            a system directory).
        manager: a :class:`jupyter_client.kernelspec.KernelSpecManager` (default: a new one).

    Returns the checks sorted by kernel name; an empty list when jupyter_client is missing.
    """
    if manager is None:
        try:
            from jupyter_client.kernelspec import KernelSpecManager
            from jupyter_core.paths import jupyter_path
        except ImportError:
            return []
        # Its default list ends with the legacy $IPYTHONDIR/kernels, found through IPython's
        # get_ipython_dir(), which creates that directory: a check must not change the machine.
        ipdir = os.path.expanduser(os.environ.get("IPYTHONDIR") or os.path.join("~", ".ipython"))
        manager = KernelSpecManager(kernel_dirs=[*jupyter_path("kernels"), os.path.join(ipdir, "kernels")])
    specs: list[tuple[str, Any]] = []
    for name in sorted(manager.find_kernel_specs()):
        try:
            specs.append((name, manager.get_kernel_spec(name)))
        except Exception as exc:  # noqa: BLE001 - one broken kernel.json must not hide the others
            specs.append((name, exc))

    def check(item: tuple[str, Any]) -> KernelCheck:
        name, spec = item
        if isinstance(spec, Exception):
            return KernelCheck(name, name, None, "unknown", f"its kernel.json cannot be read ({type(spec).__name__})")
        display = str(getattr(spec, "display_name", "") or name)
        python = _python_of(spec)
        if python is None:
            return KernelCheck(name, display, None, "not-ipython")
        env = {**os.environ, **{str(k): str(v) for k, v in (getattr(spec, "env", None) or {}).items()}}
        outcome, prefix, detail = probe_python(python, env, timeout)
        if outcome == "error":
            return KernelCheck(name, display, python, "unknown", detail, fix=f"check the kernel's Python: {python}")
        if outcome == "missing":
            return KernelCheck(name, display, python, "unprotected",
                               f"its Python cannot import hfsecure_jupyter ({detail}), so the guard does not load "
                               "and cells run unchecked", fix=_fix_install(python))
        if not configured(prefix):
            return KernelCheck(name, display, python, "not-configured",
                               f"its Python ({prefix}) reads no config that loads the guard",
                               fix="hfsecure install-guard --user")
        return KernelCheck(name, display, python, "protected")

    if not specs:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(specs))) as pool:
        return list(pool.map(check, specs))


def summary_lines(checks: list[KernelCheck]) -> list[str]:
    """What ``hfsecure status`` and ``install-guard`` print about the kernels.

    Example:
        >>> summary_lines([KernelCheck("python3", "Python 3", "/usr/bin/python3", "protected")])
        ['kernels: 1 IPython kernel, all protected', "  kernel 'python3' (Python 3): protected"]
    """
    ipython = [c for c in checks if c.state != "not-ipython"]
    bad = [c for c in ipython if c.needs_fix]
    n = len(ipython)
    head = f"kernels: {n} IPython kernel{'s' if n != 1 else ''}"
    if not checks:
        return ["kernels: none found (jupyter kernelspec list)"]
    if bad:
        head += f", {len(bad)} NOT PROTECTED: {', '.join(repr(c.name) for c in bad)}"
    elif n:
        head += ", all protected"
    return [head] + ["  " + c.line() for c in checks]
