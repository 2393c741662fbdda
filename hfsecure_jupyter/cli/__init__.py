"""The ``hfsecure`` command: one entry point, one module per command group.

One module per command group: :mod:`.scan` (``scan``), :mod:`.git` (``install-git-filter``, ``git-clean``),
:mod:`.demo` (``demo``), :mod:`.status` (``status``, ``install-guard``, ``uninstall-guard``); ``hub-emulator``
is :mod:`hfsecure_jupyter.emulator.cli` (the emulator package, a library, exposes it and must not import
an adapter). Each exposes ``main(argv: list[str]) -> int``-style functions; this module only dispatches,
so ``hfsecure --help`` stays fast and imports nothing heavy.

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    hfsecure ...
    0
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Callable, NoReturn, Sequence

__all__ = ["main", "run", "call", "quick_exit", "COMMANDS", "QUICK_EXIT"]

# Module names from this package's own name: the same files are the ``hfsecure_scan`` package of the light
# hfsecure-scan distribution (scan-dist/), where the Jupyter commands are absent and say so.
_PKG = __package__ or "hfsecure_jupyter.cli"
_ROOT = _PKG.rpartition(".")[0]

#: name -> (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "scan": (f"{_PKG}.scan", "main", "scan files, folders or standard input for secrets"),
    "install-git-filter": (f"{_PKG}.git", "install_filter_main",
                           "mask secrets in what git stages (a clean filter for *.ipynb and more)"),
    "git-clean": (f"{_PKG}.git", "git_clean_main", "the clean filter itself (stdin to stdout)"),
    "demo": (f"{_PKG}.demo", "main", "open JupyterLab on the quickstart against an offline Hub (--scan-only: scan a leaky sample)"),
    "hub-emulator": (f"{_ROOT}.emulator.cli", "main", "serve an offline Hugging Face Hub on loopback"),
    "install-guard": (f"{_PKG}.status", "install_main",
                      "load the guard in every IPython kernel"),
    "uninstall-guard": (f"{_PKG}.status", "uninstall_main",
                        "stop loading the guard in every IPython kernel"),
    "status": (f"{_PKG}.status", "status_main",
               "show whether the guard is installed and where the token comes from"),
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: hfsecure COMMAND [ARGS ...]", "", "Keep Hugging Face tokens out of notebooks.", "",
             "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "Run 'hfsecure COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hfsecure`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Example:
        >>> main(["no-such-command"])  # the usage goes to stderr
        2
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        from ..version import package_version

        __version__ = package_version()

        print(f"hfsecure {__version__}")
        return 0
    name = args[0]
    if name not in COMMANDS:
        print(f"hfsecure: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func, _ = COMMANDS[name]
    try:
        run = getattr(__import__(module, fromlist=[func]), func)  # (importlib would cost a hook ~1 ms)
    except (ImportError, AttributeError) as exc:
        print(f"hfsecure: the {name!r} command is not available in this installation ({exc})", file=sys.stderr)
        return 2
    return call(run, args[1:])


def call(command: Callable[[list[str]], int | None], argv: list[str], prog: str = "hfsecure") -> int:
    """``command(argv)``'s exit status, an interrupt (130) or a reader that went away (0) included.

    Example:
        >>> call(lambda argv: len(argv), ["a", "b"])
        2
    """
    try:
        return int(command(argv) or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


#: The commands whose process :func:`run` ends at once when they return: they leave no thread, open file,
#: child process or exit handler behind (the interpreter's clean-up, freeing every module, was ~6 % of a
#: folder scan's instructions and more of a hook's; a server or the demo gets it).
QUICK_EXIT = frozenset({"scan", "git-clean"})


def run() -> None:
    """The ``hfsecure`` program: :func:`main` on ``sys.argv``, then the process's exit with its status."""
    code = main()
    if sys.argv[1:2] and sys.argv[1] in QUICK_EXIT:
        quick_exit(code)
    sys.exit(code)


def quick_exit(code: int, prog: str = "hfsecure") -> NoReturn:
    """End the process with ``code`` once standard output and error are flushed, without the interpreter's
    clean-up. Output that cannot be written (a full disk) is an error, 2, said on standard error; a reader
    that went away (``| head``) is not."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            pass
        except (OSError, ValueError) as exc:  # (ValueError: a closed stream)
            if stream is sys.stdout:
                try:
                    print(f"{prog}: error: cannot write the output: {getattr(exc, 'strerror', None) or exc}",
                          file=sys.stderr, flush=True)
                except (OSError, ValueError):
                    pass
                code = 2
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
