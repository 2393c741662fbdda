"""detect.lazy: patterns compiled on first use, modules imported on first use, and records (the core's
dataclasses without the dataclasses module)."""

from __future__ import annotations

import re
import sys

import pytest

from hfsecure_jupyter.detect import RULES, Finding, ScanReport
from hfsecure_jupyter.detect.lazy import as_dict, field, lazy_compile, lazy_import, record, record_fields, replace


def test_lazy_pattern_compiles_once_on_first_use_and_then_is_the_pattern() -> None:
    built: list[int] = []

    def source() -> str:
        built.append(1)
        return r"hf_(\w+)"

    p = lazy_compile(source, re.ASCII)
    assert built == []
    assert p.search("x hf_abc").group(1) == "abc"  # type: ignore[union-attr]
    assert [m.group(1) for m in p.finditer("hf_a hf_b")] == ["a", "b"]
    assert p.sub("X", "hf_a") == "X" and p.pattern == r"hf_(\w+)" and p.flags & re.ASCII
    assert built == [1]
    compiled = vars(p)["_compiled"]
    assert p.search.__self__ is compiled  # type: ignore[attr-defined]  # later calls go straight to re
    with pytest.raises(AttributeError):
        p.no_such_method  # type: ignore[attr-defined]


def test_lazy_patterns_match_as_compiled_ones() -> None:
    for rule in RULES:
        for text in rule.samples(seed=3)[0]:
            assert [m.span() for m in rule.pattern.finditer(text)] == \
                [m.span() for m in re.compile(rule.pattern.pattern).finditer(text)]


def test_lazy_import_puts_the_module_in_place_on_first_use() -> None:
    ns: dict[str, object] = {}
    ns["colorsys"] = proxy = lazy_import("colorsys", ns)
    assert ns["colorsys"] is proxy
    assert proxy.rgb_to_hsv(0, 0, 1)[0] == pytest.approx(2 / 3)  # type: ignore[attr-defined]
    assert ns["colorsys"] is sys.modules["colorsys"]


@record(frozen=True)
class Span:
    start: int
    end: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", repr=False, compare=False)


@record
class Box:
    items: list[int] = field(default_factory=list)
    inner: Span | None = None


@record
class Labelled(Box):
    label: str = ""


def test_records_behave_as_dataclasses() -> None:
    a, b = Span(1, 2, note="x"), Span(1, 2, note="y")
    assert a == b and hash(a) == hash(b) and repr(a) == "Span(start=1, end=2, tags=())"
    assert a != Span(1, 3) and Box().items is not Box().items
    with pytest.raises(AttributeError):
        a.start = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        Span()  # type: ignore[call-arg]
    c = replace(a, end=9)
    assert (c.start, c.end, c.note) == (1, 9, "x") and a.end == 2
    with pytest.raises(TypeError):
        replace(a, nope=1)
    box = Box(inner=a)
    box.items.append(3)  # not frozen
    assert as_dict(box) == {"items": [3], "inner": {"start": 1, "end": 2, "tags": (), "note": "x"}}
    assert Box.__hash__ is None and Box() == Box() and Box().items is not Box().items
    sub = Labelled([1], label="L")
    assert record_fields(sub) == ("items", "inner", "label") and sub.items == [1]
    assert repr(sub) == "Labelled(items=[1], inner=None, label='L')"


def test_core_records_keep_their_fields() -> None:
    f = Finding("r", "secret", "error", "", 1, 2, 1, 5, "p", "fp")
    assert record_fields(Finding)[:3] == ("rule", "kind", "severity")
    assert f == replace(f, edits=("ignored by ==",))  # edits: compare=False, as before
    assert "edits" not in repr(f) and "edits" not in f.to_dict()
    rep = ScanReport(path="a.py")
    assert rep.findings == [] and rep.findings is not ScanReport().findings


def test_the_collector_pause_is_one_for_every_thread():
    # Two scans in two threads (a server saving two notebooks): the collector is paused until the last
    # one ends, then on again; a block alone never turns on a collector it found off.
    import gc
    import threading

    from hfsecure_jupyter.detect.lazy import collector_paused

    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["while the second still scans"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert seen == {"while the second still scans": False}
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
