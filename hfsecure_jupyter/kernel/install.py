"""``hfsecure install-guard`` / ``uninstall-guard`` / ``status``: load the guard in every IPython kernel.

IPython kernels read ``ipython_kernel_config.py`` (and ``.json``) from the profile directory
(``$IPYTHONDIR/profile_default``, the ``--user`` default), from ``<sys.prefix>/etc/ipython``
(``--sys-prefix``) and from the system directories. IPython has no ``.d`` directory for kernel config,
so install-guard appends one marked block to ``ipython_kernel_config.py``::

    c.InteractiveShellApp.extensions.append("hfsecure_jupyter")

``append`` merges with the extensions other files list instead of replacing them, and everything else
in the user's file is kept byte for byte; uninstall-guard removes exactly that block (and the file, if
install-guard created it and nothing else is in it). When the same directory's
``ipython_kernel_config.json`` sets ``InteractiveShellApp.extensions`` (it would override the ``.py``),
the name is added to that list instead, keeping the other keys.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> install(d).changed, is_installed_in(d), uninstall(d).changed, is_installed_in(d)
    (True, 'block', True, '')
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from ..errors import ConfigUnreadable

__all__ = ["install", "uninstall", "is_installed_in", "config_dir", "search_dirs", "install_main",
           "uninstall_main", "status_main", "EXTENSION", "ConfigUnreadable", "check_profile"]

EXTENSION = "hfsecure_jupyter"
PY_NAME = "ipython_kernel_config.py"
JSON_NAME = "ipython_kernel_config.json"
BEGIN = "# >>> hfsecure-jupyter guard (added by `hfsecure install-guard`; remove with `hfsecure uninstall-guard`) >>>"
END = "# <<< hfsecure-jupyter guard <<<"
_CREATED = "# file created by hfsecure install-guard"
_EOL_NOTE = " [newline added]"  # the user's file lacked a final newline: uninstall takes it back
BLOCK = f'{BEGIN}\nc.InteractiveShellApp.extensions.append("{EXTENSION}")\n{END}\n'


_PROFILE_RE = re.compile(r"[\w.-]+")


def check_profile(name: str) -> str:
    """``name`` if it is a safe IPython profile name (letters, digits, ``-``, ``_``, ``.``), else ValueError.

    Example:
        >>> check_profile("work-2")
        'work-2'
        >>> check_profile("../x")
        Traceback (most recent call last):
        ...
        ValueError: invalid profile name '../x': use letters, digits, '-', '_' and '.' (no '..' and no path separators)
    """
    if not _PROFILE_RE.fullmatch(name or "") or ".." in name:
        raise ValueError(f"invalid profile name {name!r}: use letters, digits, '-', '_' and '.' "
                         "(no '..' and no path separators)")
    return name


@dataclass
class Result:
    """What install/uninstall did: ``path`` written (or checked) and whether anything ``changed``."""

    path: str
    changed: bool
    how: str = ""


def ipython_dir() -> str:
    """``$IPYTHONDIR`` or ``~/.ipython`` (computed the way IPython does, without starting it)."""
    return os.path.expanduser(os.environ.get("IPYTHONDIR") or os.path.join("~", ".ipython"))


def config_dir(scope: str = "user", profile: str = "default") -> str:
    """The directory kernel config is written to for ``scope`` ``user`` or ``sys-prefix``.

    Example:
        >>> config_dir("sys-prefix").endswith(os.path.join("etc", "ipython"))
        True
    """
    if scope == "sys-prefix":
        return os.path.join(sys.prefix, "etc", "ipython")
    return os.path.join(ipython_dir(), f"profile_{check_profile(profile)}")


def search_dirs(profile: str = "default") -> list[tuple[str, str]]:
    """Every directory an IPython kernel reads its config from, highest priority first, with a label.

    Example:
        >>> dirs = search_dirs()
        >>> dirs[0] == ("user", config_dir("user")), dirs[1] == ("sys-prefix", config_dir("sys-prefix"))
        (True, True)
    """
    dirs = [("user", config_dir("user", profile)), ("sys-prefix", config_dir("sys-prefix"))]
    if os.name != "nt":
        dirs += [("system", "/usr/local/etc/ipython"), ("system", "/etc/ipython")]
    return dirs


def _read(path: Path) -> str | None:
    """The file's text, None when it does not exist, :class:`ConfigUnreadable` when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ConfigUnreadable(path, f"not valid UTF-8 (byte {exc.object[exc.start:exc.start + 1]!r} "
                                     f"at offset {exc.start})") from None
    except OSError as exc:
        raise ConfigUnreadable(path, exc.strerror or type(exc).__name__) from None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".hfsecure-tmp")
    tmp.write_text(text, encoding="utf-8")
    if path.exists():
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except OSError:
            pass
    os.replace(tmp, path)


def _json_extensions(path: Path) -> tuple[dict | None, list | None]:
    text = _read(path)
    if text is None:
        return None, None
    data = json.loads(text)  # a broken file is the user's: raise (reported as a one-line error)
    exts = data.get("InteractiveShellApp", {}).get("extensions") if isinstance(data, dict) else None
    return data, exts if isinstance(exts, list) else None


def is_installed_in(directory: str) -> str:
    """How the guard is enabled in ``directory``: ``"block"`` (ours), ``"json"``, ``"manual"`` or ``""``.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); before = is_installed_in(d)
        >>> with open(os.path.join(d, PY_NAME), "w") as fh:
        ...     _ = fh.write('c.InteractiveShellApp.extensions = ["hfsecure_jupyter"]\\n')
        >>> before, is_installed_in(d)
        ('', 'manual')
    """
    d = Path(directory)
    py = _read(d / PY_NAME) or ""
    if BEGIN in py:
        return "block"
    try:
        _, exts = _json_extensions(d / JSON_NAME)
    except (ValueError, OSError):
        exts = None
    if exts and EXTENSION in exts:
        return "json"
    if f'"{EXTENSION}"' in py or f"'{EXTENSION}'" in py:
        return "manual"
    return ""


def install(directory: str) -> Result:
    """Enable the guard for kernels reading ``directory`` (idempotent).

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); r = install(d)
        >>> r.changed, r.how, os.path.basename(r.path), install(d).changed
        (True, 'block', 'ipython_kernel_config.py', False)
    """
    d = Path(directory)
    found = is_installed_in(directory)
    if found:
        return Result(str(d / (JSON_NAME if found == "json" else PY_NAME)), False, found)
    data, exts = _json_extensions(d / JSON_NAME)
    if data is not None and exts is not None:
        # The JSON list would override an append in the .py file: add the name there instead.
        exts.append(EXTENSION)
        _write(d / JSON_NAME, json.dumps(data, indent=2) + "\n")
        return Result(str(d / JSON_NAME), True, "json")
    path = d / PY_NAME
    old = _read(path)
    if old is None:
        new = f"{_CREATED}\n{BLOCK}"
    elif old.endswith("\n") or not old:
        new = old + BLOCK
    else:
        new = old + "\n" + BLOCK.replace(BEGIN, BEGIN + _EOL_NOTE, 1)
    _write(path, new)
    return Result(str(path), True, "block")


def uninstall(directory: str) -> Result:
    """Remove what :func:`install` added in ``directory`` (nothing else).

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); _ = install(d)
        >>> uninstall(d).changed, os.listdir(d)  # the file install created is gone again
        (True, [])
    """
    d = Path(directory)
    path = d / PY_NAME
    old = _read(path)
    if old is not None and BEGIN in old:
        start = old.index(BEGIN)
        end_at = old.find(END, start)
        end = len(old) if end_at < 0 else end_at + len(END)
        if old[end:end + 1] == "\n":
            end += 1
        before = old[:start]
        if old.startswith(_EOL_NOTE, start + len(BEGIN)) and before.endswith("\n"):
            before = before[:-1]  # the newline install added after the user's last line
        new = before + old[end:]
        if new.strip() in ("", _CREATED):
            path.unlink()
        else:
            _write(path, new)
        return Result(str(path), True, "block")
    try:
        data, exts = _json_extensions(d / JSON_NAME)
    except (ValueError, OSError):
        data, exts = None, None
    if data is not None and exts is not None and EXTENSION in exts:
        exts[:] = [e for e in exts if e != EXTENSION]
        _write(d / JSON_NAME, json.dumps(data, indent=2) + "\n")
        return Result(str(d / JSON_NAME), True, "json")
    return Result(str(path), False, "")


def _profile_arg(value: str) -> str:
    try:
        return check_profile(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scope_parser(name: str, what: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"hfsecure {name}", description=what)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--user", dest="scope", action="store_const", const="user",
                   help="your IPython profile ($IPYTHONDIR/profile_<name>; the default)")
    g.add_argument("--sys-prefix", dest="scope", action="store_const", const="sys-prefix",
                   help=f"this Python environment ({os.path.join(sys.prefix, 'etc', 'ipython')})")
    p.add_argument("--profile", default="default", type=_profile_arg,
                   help="IPython profile for --user (default: %(default)s)")
    p.set_defaults(scope="user")
    return p


def install_main(argv: Sequence[str]) -> int:
    """``hfsecure install-guard [--user|--sys-prefix]``.

    Example:
        >>> import os, tempfile
        >>> old = os.environ.get("IPYTHONDIR"); os.environ["IPYTHONDIR"] = tempfile.mkdtemp()
        >>> install_main(["--user", "--no-kernels"])  # doctest: +ELLIPSIS
        Installed: new IPython kernels load the hfsecure guard (...ipython_kernel_config.py).
        Restart running kernels to use it; `hfsecure uninstall-guard` undoes this.
        0
        >>> _ = os.environ.pop("IPYTHONDIR") if old is None else os.environ.update(IPYTHONDIR=old)
    """
    parser = _scope_parser("install-guard", "Load the hfsecure guard in every IPython kernel.")
    _add_kernel_flags(parser)
    args = parser.parse_args(list(argv))
    directory = config_dir(args.scope, args.profile)
    try:
        res = install(directory)
    except (OSError, ValueError) as exc:
        print(f"hfsecure install-guard: cannot update {directory}: {exc}", file=sys.stderr)
        return 2
    if res.changed:
        print(f"Installed: new IPython kernels load the hfsecure guard ({res.path}).")
        print("Restart running kernels to use it; `hfsecure uninstall-guard` undoes this.")
    else:
        print(f"Already installed ({res.path}).")
    if args.kernels:
        from .kernelspecs import summary_lines

        checks = _kernel_checks(args.profile, args.kernel_timeout)
        bad = [c for c in checks if c.needs_fix]
        for c in bad:  # loudly: a guard that is silently absent is the worst failure
            print(f"hfsecure install-guard: warning: {c.line()}", file=sys.stderr)
        if bad:
            print(summary_lines(checks)[0])
    return 0


def uninstall_main(argv: Sequence[str]) -> int:
    """``hfsecure uninstall-guard [--user|--sys-prefix]``.

    Example:
        >>> import os, tempfile
        >>> old = os.environ.get("IPYTHONDIR"); os.environ["IPYTHONDIR"] = tempfile.mkdtemp()
        >>> _ = install(config_dir("user"))
        >>> uninstall_main(["--user"])  # doctest: +ELLIPSIS
        Removed the hfsecure guard from ...ipython_kernel_config.py. Running kernels keep it until restarted.
        0
        >>> _ = os.environ.pop("IPYTHONDIR") if old is None else os.environ.update(IPYTHONDIR=old)
    """
    args = _scope_parser("uninstall-guard", "Stop loading the hfsecure guard in IPython kernels.").parse_args(
        list(argv))
    directory = config_dir(args.scope, args.profile)
    try:
        res = uninstall(directory)
    except OSError as exc:
        print(f"hfsecure uninstall-guard: cannot update {directory}: {exc}", file=sys.stderr)
        return 2
    if res.changed:
        print(f"Removed the hfsecure guard from {res.path}. Running kernels keep it until restarted.")
    else:
        print(f"Not installed in {directory}; nothing changed.")
        for label, d in search_dirs(args.profile):
            if d == directory:
                continue
            try:
                how = is_installed_in(d)
            except OSError as exc:
                print(f"  ({d} [{label}]: {exc})")
                continue
            if how:
                print(f"  (still enabled in {d} [{label}])")
    return 0


def _kernel_checks(profile: str, timeout: float) -> list:
    """Every installed kernelspec checked: can its Python load the guard, and does it read the config?"""
    from .kernelspecs import check_kernelspecs

    shared = [d for label, d in search_dirs(profile) if label != "sys-prefix"]

    def installed(d: str) -> bool:
        try:
            return bool(is_installed_in(d))
        except OSError:  # unreadable: reported with the guard lines
            return False

    def configured(prefix: str) -> bool:
        return any(installed(d) for d in shared) or (bool(prefix) and installed(os.path.join(prefix, "etc", "ipython")))

    return check_kernelspecs(configured=configured, timeout=timeout)


def _add_kernel_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-kernels", dest="kernels", action="store_false",
                   help="do not check which installed Jupyter kernels can load the guard")
    p.add_argument("--kernel-timeout", type=float, default=15.0,
                   help="seconds each kernel's Python may take to answer (default: %(default)s)")


def _login_lines(timeout: float) -> list[str]:
    from .. import detect
    from ..config import HFSecure
    from ..hub import StatusService

    service = StatusService(HFSecure())  # this command's own: one check, then the process ends
    lines = []
    try:
        src = service.token_source()
        lines.append(f"token source: {src.name}")
        if src.shadows:
            lines.append(f"  (it hides: {', '.join(src.shadows)})")
    except Exception as exc:  # noqa: BLE001
        lines.append(f"token source: unknown ({type(exc).__name__})")
    try:
        st = service.get_status(timeout=timeout)
        parts = [f"login: {st.state}"]
        if st.user:
            parts.append(f"as {st.user}")
        if st.role:
            parts.append(f"({st.role} token)")
        if st.error:
            parts.append(f"- {st.error}")
        lines.append(detect.redact(" ".join(parts)))
    except Exception as exc:  # noqa: BLE001
        lines.append(f"login: unknown ({type(exc).__name__})")
    return lines


def status_main(argv: Sequence[str]) -> int:
    """``hfsecure status``: where the guard is installed, the token source and the login status.

    Example:
        >>> import os, tempfile
        >>> old = os.environ.get("IPYTHONDIR"); os.environ["IPYTHONDIR"] = tempfile.mkdtemp()
        >>> import contextlib, io; _ = install(config_dir("user"))
        >>> with contextlib.redirect_stdout(io.StringIO()) as out:
        ...     code = status_main(["--offline", "--no-kernels"])  # no Hub call, no kernel started
        >>> code, "guard: installed [user]" in out.getvalue(), "login: not checked (--offline)" in out.getvalue()
        (0, True, True)
        >>> _ = os.environ.pop("IPYTHONDIR") if old is None else os.environ.update(IPYTHONDIR=old)
    """
    p = argparse.ArgumentParser(prog="hfsecure status",
                                description="Show whether the guard is installed and where the token comes from.")
    p.add_argument("--profile", default="default", type=_profile_arg,
                   help="IPython profile to look at (default: %(default)s)")
    p.add_argument("--offline", action="store_true", help="do not ask the Hub who is logged in")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the Hub (default: %(default)s)")
    _add_kernel_flags(p)
    args = p.parse_args(list(argv))
    found, unreadable = [], []
    for label, d in search_dirs(args.profile):
        try:
            how = is_installed_in(d)
        except ConfigUnreadable as cu_exc:
            unreadable.append((label, cu_exc))
            continue
        except OSError as exc:
            unreadable.append((label, ConfigUnreadable(Path(d), exc.strerror or type(exc).__name__)))
            continue
        if how:
            found.append((label, d, how))
    for label, cu in unreadable:
        print(f"guard: unknown [{label}], {cu.path} unreadable: {cu.reason}")
    if found:
        for label, d, how in found:
            kind = " (set by hand)" if how == "manual" else ""
            print(f"guard: installed [{label}] in {d}{kind}")
    elif not unreadable:
        print("guard: not installed (run `hfsecure install-guard`, or `%load_ext hfsecure_jupyter` in a notebook)")
    if args.kernels:
        from .kernelspecs import summary_lines

        checks = _kernel_checks(args.profile, args.kernel_timeout)
        bad = [c for c in checks if c.needs_fix]
        if found and bad:
            print(f"guard: NOT active in {len(bad)} kernel{'s' if len(bad) != 1 else ''}: "
                  + ", ".join(repr(c.name) for c in bad) + " (see below)")
        for line in summary_lines(checks):
            print(line)
    if args.offline:
        print("login: not checked (--offline)")
        from ..hub import auth

        print(f"token source: {auth.token_source().name}")
    else:
        for line in _login_lines(args.timeout):
            print(line)
    return 0
