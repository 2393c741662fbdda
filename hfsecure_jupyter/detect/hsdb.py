"""Hyperscan, the optional SIMD matcher, for the detection core: loading it, and its compiled pattern
databases, kept in the user's cache folder.

The engine asks it first where it is installed (the ``fast`` extra) and RE2 where it fails; the answers
are the same (``tests/detect/test_accel.py``).

Example:
    >>> hs = load_hyperscan()
    >>> hs is None or Databases(hs).hits(b"hf_[a-z]+", b"x = 'hf_abc'")
    True
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Any

__all__ = ["load_hyperscan", "cache_dir", "CACHE_KEEP", "Databases"]


def _stop(*_args: Any) -> int:
    return 1


def load_hyperscan() -> Any:
    """The optional ``hyperscan`` module, or None. Its package's ``__init__`` adds only type hints to the
    extension module, and imports ``typing`` for them (~8 ms of a command's start, about what hyperscan
    then saves it): the extension is loaded on its own when it is where that package keeps it."""
    import importlib
    import importlib.machinery  # (not importlib.util: it imports contextlib, ~1 ms of a command's start)
    import sys

    if os.environ.get("HFSECURE_HYPERSCAN") == "0":  # (RE2 alone: how benchmarks/ measures what it adds)
        return None
    try:
        found = sys.modules.get("hyperscan._hs_ext")
        if found is not None:
            return found
        spec = importlib.machinery.PathFinder.find_spec("hyperscan")
        if spec is None or not spec.submodule_search_locations:  # (elsewhere, or not a package: the usual way)
            return importlib.import_module("hyperscan")
        folder = list(spec.submodule_search_locations)[0]
        names = [n for n in os.listdir(folder) if n.startswith("_hs_ext.") and
                 n.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
        if len(names) != 1:
            return importlib.import_module("hyperscan")
        path = os.path.join(folder, names[0])
        loader = importlib.machinery.ExtensionFileLoader("hyperscan._hs_ext", path)
        ext_spec = importlib.machinery.ModuleSpec("hyperscan._hs_ext", loader, origin=path)
        module = loader.create_module(ext_spec)
        module.__spec__, module.__loader__, module.__file__ = ext_spec, loader, path
        loader.exec_module(module)
        sys.modules["hyperscan._hs_ext"] = module
        return module
    except Exception:  # absent, or a build that does not load here: RE2 alone
        return None


def cache_dir() -> "str | None":
    """Where compiled databases are kept, or None when there is no home to keep them in (never a folder
    relative to where the command runs)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hfsecure-jupyter") if os.path.isabs(base) else None


#: Databases kept in the cache folder
CACHE_KEEP = 16  # (the mask, the gate's two, the parts, ... a version: the newest versions' worth)


def _prune(folder: str) -> None:
    """Remove all but the :data:`CACHE_KEEP` most recently used databases in ``folder`` (each rule
    change writes new ones; the old would pile up)."""
    found = []
    for entry in os.scandir(folder):
        if entry.name.startswith("gate-") and entry.name.endswith((".hsdb", ".tmp")):
            try:
                found.append((entry.stat().st_mtime, entry.path))
            except OSError:
                pass
    for _mtime, path in sorted(found, reverse=True)[CACHE_KEEP:]:
        try:
            os.remove(path)
        except OSError:
            pass


class Databases:
    """Hyperscan databases of the detection core's patterns, each compiled on first use: compiling one
    takes up to ~100 ms, so each is kept in the user's cache folder (:func:`cache_dir`) once compiled,
    and loaded from there (a few microseconds) by later runs. Every method answers None when hyperscan
    fails (the caller asks RE2 then)."""

    def __init__(self, hs: Any) -> None:
        self.hs = hs
        self.dbs: dict[Any, Any] = {}
        self.fresh: set[Any] = set()  # (pattern, every) of the databases compiled by this process
        self.off = False  # hyperscan failed on a database it compiled itself: RE2 alone from then on

    def _database(self, pattern: "bytes | tuple[bytes, ...]", every: bool = False) -> Any:
        hs = self.hs
        # A tuple: several patterns, each reported once by its index (as an RE2::Set), or at every match
        # with ``every``.
        patterns = pattern if isinstance(pattern, tuple) else (pattern,)
        single = isinstance(pattern, tuple) and not every
        joined = b"\0".join(patterns) + (b"\0set" if single else b"\0every" if every else b"")
        # (hashlib loads OpenSSL, ~3 ms of a command's start: a file name needs no cryptographic hash; a
        # database that this hyperscan or CPU cannot run fails to load, and is compiled again)
        where = repr(getattr(hs, "__file__", "")).encode()
        key = int.from_bytes(joined + b"\0" + where, "big") % ((1 << 61) - 1)
        folder = cache_dir()
        path = os.path.join(folder, f"gate-{len(joined)}-{key:016x}.hsdb") if folder else ""
        if path and (pattern, every) not in self.fresh:
            try:
                with open(path, "rb") as fh:
                    db = hs.loadb(fh.read(), mode=hs.HS_MODE_BLOCK)
                db.scratch = hs.Scratch(db)  # (compile makes one; a loaded database has none)
                try:
                    os.utime(path)  # (in use: the cache's clean-up keeps the newest)
                except OSError:
                    pass
                return db
            except Exception:  # none yet, unreadable, or from another build or CPU: compiled again
                pass
        self.fresh.add((pattern, every))
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        flags = [hs.HS_FLAG_SINGLEMATCH if single else 0] * len(patterns)
        db.compile(expressions=list(patterns), ids=list(range(len(patterns))), elements=len(patterns), flags=flags)
        if not path:
            return db
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(hs.dumpb(db))
            os.replace(tmp, path)  # (whole or absent: another run may be reading it)
            _prune(os.path.dirname(path))
        except OSError:  # a read-only home: compiled again next time
            pass
        return db

    def hits(self, pattern: bytes, data: "bytes | memoryview") -> "bool | None":
        """Whether ``pattern`` matches somewhere in ``data``, or None when hyperscan failed."""
        done = self.scan(pattern, data, _stop)
        return None if done is None else not done

    def found(self, patterns: "tuple[bytes, ...]", data: bytes) -> "frozenset[int] | None":
        """The indices of ``patterns`` that match somewhere in ``data``, or None when hyperscan failed."""
        ids: set[int] = set()
        done = self.scan(patterns, data, lambda i, _from, _to, _flags, _ctx: ids.add(i))
        return None if done is None else frozenset(ids)

    def scan(self, pattern: "bytes | tuple[bytes, ...]", data: "bytes | memoryview", on_match: Any,
             every: bool = False) -> "bool | None":
        """Run ``on_match`` on every match end of ``pattern`` in ``data`` (of a tuple of patterns: on the first
        of each, or with ``every`` on every one): True when it ran to the end, False when ``on_match``
        stopped it, None when hyperscan failed (a database loaded from the cache that this CPU cannot run
        is dropped, to be compiled again)."""
        if self.off:
            return None
        key = (pattern, every)
        try:
            db = self.dbs.get(key)
            if db is None:
                db = self.dbs[key] = self._database(pattern, every)
            db.scan(data, match_event_handler=on_match)
        except self.hs.ScanTerminated:
            return False
        except self.hs.ScratchInUseError:  # another thread is scanning with it: RE2 this time
            return None
        except Exception:
            self.dbs.pop(key, None)
            if key in self.fresh:
                self.off = True
            self.fresh.add(key)
            return None
        return True
