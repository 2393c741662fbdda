"""hfsecure_jupyter.detect.hsdb: loading hyperscan, its databases kept in the cache folder.

(That the engine's answers with hyperscan are RE2's is tested in test_accel.py.)
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from hfsecure_jupyter.detect import engine, hsdb

HAVE_HS = importlib.util.find_spec("hyperscan") is not None and hsdb.load_hyperscan() is not None


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_hyperscan_databases_are_kept_in_the_cache_and_loaded_from_it(tmp_path, monkeypatch):
    # Compiling one takes ~100 ms, more than a whole command's scan: a later run loads it (and must give
    # it the scratch space that compiling makes; without it every scan fails).
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    hs = hsdb.load_hyperscan()
    pattern = engine.raw_superset()
    data = b'x = 1\n"image/png": "' + b"aGZf" * 12 + b'"\ny = "hf_abc"\n'

    def ends(multi: hsdb.Databases) -> list:
        found: list = []
        assert multi.scan(pattern, data, lambda _i, _f, to, _fl, _c: found.append(to) or 0) is True
        return found

    first = hsdb.Databases(hs)
    want = ends(first)
    assert want and (pattern, False) in first.fresh
    (cached,) = (tmp_path / "hfsecure-jupyter").iterdir()
    second = hsdb.Databases(hs)
    assert ends(second) == want and (pattern, False) not in second.fresh  # loaded, not compiled
    cached.write_bytes(b"not a database")  # damaged: compiled again, and the answers the same
    assert ends(hsdb.Databases(hs)) == want


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_the_cache_keeps_the_newest_databases_only(tmp_path, monkeypatch):
    # Each change of the rules writes new databases: the old ones are removed, the one in use stays.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "hfsecure-jupyter"
    folder.mkdir()
    for i in range(hsdb.CACHE_KEEP + 5):
        old = folder / f"gate-1-{i:016x}.hsdb"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    (folder / "notes.txt").write_text("not ours")
    hsdb.Databases(hsdb.load_hyperscan())._database(engine.raw_superset())
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == hsdb.CACHE_KEEP + 1 and "notes.txt" in left
    assert "gate-1-0000000000000000.hsdb" not in left  # the oldest went first
    assert any(n.startswith(f"gate-{len(engine.raw_superset())}-") for n in left)  # the new one stays


def test_with_no_home_the_databases_are_kept_nowhere(monkeypatch):
    # (expanduser gives "~" back when it finds no home: never a cache folder under the working directory)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert hsdb.cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/x")
    assert hsdb.cache_dir() == os.path.join("/var/cache/x", "hfsecure-jupyter")


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_hyperscan_loads_without_typing():
    # Its package's __init__ imports typing for type hints (~8 ms of a command's start): the extension
    # module is loaded alone, and works.
    import subprocess
    import sys

    code = ("import sys; from hfsecure_jupyter.detect import hsdb; hs = hsdb.load_hyperscan(); "
            "assert hs is not None and hs.__name__ == 'hyperscan._hs_ext', hs; "
            "print('typing' in sys.modules, 'hashlib' in sys.modules, 'importlib.util' in sys.modules, "
            "'contextlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # (importlib.util imports contextlib: ~1 ms of a command's start)
    assert out.split() == ["False", "False", "False", "False"]
