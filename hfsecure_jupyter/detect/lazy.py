"""Start-up helpers of the detection core: regexes compiled on first use, and small record classes.

A pre-commit hook runs ``hfsecure scan`` over a few files, so the process lives ~50 ms and import time is
most of it. Compiling the ~170 patterns of the rules costs more than scanning those files, and
``dataclasses`` brings ``inspect`` and ``typing`` (~15 ms together). This module gives the core the two
things it used them for, at a fraction of the cost:

* :func:`lazy_compile`: a pattern that compiles itself the first time a method is called (then its
  methods are the compiled pattern's own bound methods: no overhead on later calls);
* :func:`lazy_tuple`: a tuple (of patterns) built the first time it is read;
* :func:`lazy_import`: a standard-library module (``ast``, ``tokenize``, ``json``) imported the first time
  the module that names it uses it (then the name is the module itself);
* :func:`record`: ``__init__``, ``__repr__``, ``__eq__`` (and ``__hash__`` and immutability when frozen)
  from a class's annotations, like ``dataclasses.dataclass`` for the subset the core uses, with
  :func:`field`, :func:`replace` and :func:`as_dict`.

Example:
    >>> p = lazy_compile(r"hf_(\\w+)")
    >>> "_compiled" in vars(p), p.search("x hf_abc").group(1), "_compiled" in vars(p)
    (False, 'abc', True)
    >>> @record(frozen=True)
    ... class Span:
    ...     start: int
    ...     end: int = 0
    ...     tags: list = field(default_factory=list)
    >>> s = Span(1, 3)
    >>> s, s == Span(1, 3), replace(s, end=5).end, as_dict(s)
    (Span(start=1, end=3, tags=[]), True, 5, {'start': 1, 'end': 3, 'tags': []})
"""

from __future__ import annotations

import _thread  # (built in: no start-up cost, unlike threading)
import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing itself costs the scan ~3 ms at start-up: only for the type checker)
    from typing import Any, AnyStr, Callable, TypeVar, dataclass_transform

    T = TypeVar("T")
else:
    def dataclass_transform(**_: object) -> "Callable[[T], T]":
        """(``typing.dataclass_transform`` tells the type checker that :func:`record` works as a dataclass.)"""
        return lambda f: f

__all__ = ["lazy_compile", "LazyPattern", "lazy_tuple", "lazy_import", "record", "field", "replace", "as_dict", "record_fields",
           "collector_paused"]

# What a compiled pattern offers; copied onto the lazy pattern when it compiles.
_PATTERN_ATTRS = ("match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
                  "pattern", "flags", "groups", "groupindex")


class LazyPattern:
    """A regular expression compiled the first time it is used (see :func:`lazy_compile`)."""

    def __init__(self, source: "Any", flags: int = 0) -> None:
        self._source = source  # the pattern, or a function that returns it (built on first use too)
        self._flags = flags

    def compiled(self) -> "re.Pattern[Any]":
        """The compiled pattern (compiled now if it was not yet)."""
        try:
            return self.__dict__["_compiled"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        src = self._source() if callable(self._source) else self._source
        pat = re.compile(src, self._flags)
        d = self.__dict__
        for name in _PATTERN_ATTRS:
            d[name] = getattr(pat, name)
        d["_compiled"] = pat
        return pat

    def __getattr__(self, name: str) -> "Any":
        # Called only for what the instance lacks: the pattern's methods, before the first compile.
        if name.startswith("__") or name not in _PATTERN_ATTRS:
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source!r})" if not callable(self._source) else "lazy_compile(<built on use>)"


def lazy_compile(source: "AnyStr | Callable[[], AnyStr]", flags: int = 0) -> "re.Pattern[AnyStr]":
    """``re.compile(source, flags)``, done the first time the pattern is used.

    ``source`` may be a function returning the pattern, so that building it costs nothing until then.
    The result is used like a compiled pattern (``search``, ``finditer``, ``sub``, ``pattern`` ...); it is
    not an instance of ``re.Pattern`` and cannot be passed to ``re.search(pattern, ...)``.

    Example:
        >>> lazy_compile(lambda: "a+").fullmatch("aaa") is not None
        True
    """
    return LazyPattern(source, flags)  # type: ignore[return-value]


class _LazyTuple:
    """A tuple built the first time it is iterated, indexed, sliced or measured (see :func:`lazy_tuple`)."""

    __slots__ = ("_make", "_items")

    def __init__(self, make: "Callable[[], Any]") -> None:
        self._make = make
        self._items: "tuple[Any, ...] | None" = None

    def _get(self) -> "tuple[Any, ...]":
        items = self._items
        if items is None:
            items = self._items = tuple(self._make())
        return items

    def __iter__(self) -> "Any":
        return iter(self._get())

    def __getitem__(self, i: "Any") -> "Any":
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())

    def __add__(self, other: "Any") -> "Any":
        return _LazyTuple(lambda: self._get() + tuple(other))

    def __repr__(self) -> str:
        return f"lazy_tuple({self._items!r})" if self._items is not None else "lazy_tuple(<built on use>)"


def lazy_tuple(make: "Callable[[], Any]") -> "tuple[Any, ...]":
    """A tuple of ``make()``'s items, made the first time it is read (iterated, indexed, sliced, ``len``,
    ``+``): for the prefilter checks of a kind of input that a run may never see (raw bytes when only
    Python files are scanned).

    Example:
        >>> t = lazy_tuple(lambda: [1, 2, 3])
        >>> t[0], list(t[1:]), len(t), list(t + (4,))
        (1, [2, 3], 3, [1, 2, 3, 4])
    """
    return _LazyTuple(make)  # type: ignore[return-value]


class _LazyModule:
    """Stands for a module in one namespace until first used; then the namespace holds the module."""

    def __init__(self, name: str, namespace: dict[str, "Any"], bound_as: str) -> None:
        self._lazy = (name, namespace, bound_as)

    def __getattr__(self, attr: str) -> "Any":
        if attr == "_lazy":
            raise AttributeError(attr)
        name, namespace, bound_as = self._lazy
        module = __import__(name)
        if namespace.get(bound_as) is self:
            namespace[bound_as] = module  # later lookups find the module itself: no indirection
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._lazy[0]!r} (imported on first use)>"


def lazy_import(name: str, namespace: dict[str, "Any"]) -> "Any":
    """A stand-in for the top-level module ``name``, bound in ``namespace`` (a module's ``globals()``) under
    the same name: the first attribute lookup imports it and puts the module there in its place.

    Use it as ``json = lazy_import("json", globals())`` beside ``import json`` for the type checker.

    Example:
        >>> ns = {}
        >>> ns["colorsys"] = lazy_import("colorsys", ns)
        >>> ns["colorsys"].rgb_to_hsv(1, 0, 0), type(ns["colorsys"]).__name__
        ((0.0, 1.0, 1), 'module')
    """
    return _LazyModule(name, namespace, name)


class collector_paused:
    """A ``with`` block during which Python's cyclic garbage collector does not run (as it was after).

    A scan that finds thousands of secrets makes a few records per finding, none of them in a reference
    cycle; the collector, woken every 700 allocations, then walks ever more live objects for nothing
    (a third of the time of a file of 20,000 tokens). Only the cycle collector pauses: memory is still
    freed by reference counting.

    Example:
        >>> import gc
        >>> with collector_paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """

    __slots__ = ()
    # Shared by every thread (the collector is the process's): the first block in records whether it was
    # on and pauses it, the last one out puts it back; a block never turns on a collector it found off.
    # (The lock is made here, not on first use, where two threads could each make one.)
    _depth: "list[Any]" = [0, False, _thread.allocate_lock()]  # blocks open, was it on, their lock

    def __enter__(self) -> None:
        import gc

        state = self._depth
        with state[2]:
            if state[0] == 0:
                state[1] = gc.isenabled()
                gc.disable()
            state[0] += 1

    def __exit__(self, *exc: object) -> None:
        import gc

        state = self._depth
        with state[2]:
            state[0] -= 1
            if state[0] == 0 and state[1]:
                gc.enable()


_MISSING = object()


class _Field:
    __slots__ = ("default", "default_factory", "repr", "compare")

    def __init__(self, default: "Any", default_factory: "Any", repr: bool, compare: bool) -> None:
        self.default, self.default_factory, self.repr, self.compare = default, default_factory, repr, compare


def field(*, default: "Any" = _MISSING, default_factory: "Callable[[], Any] | Any" = _MISSING, repr: bool = True,
          compare: bool = True) -> "Any":
    """A field's default as ``dataclasses.field`` gives it: ``default_factory`` makes one per instance;
    ``repr=False`` / ``compare=False`` leave the field out of ``repr`` / ``==`` and the hash."""
    return _Field(default, default_factory, repr, compare)




def record_fields(obj_or_cls: "Any") -> tuple[str, ...]:
    """The field names of a :func:`record` class (or instance), in order.

    Example:
        >>> @record
        ... class P:
        ...     x: int
        >>> record_fields(P)
        ('x',)
    """
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return getattr(cls, "__record_fields__")  # type: ignore[no-any-return]


def _init_source(names: "list[str]", defaults: "dict[str, Any]", frozen: bool, post_init: bool) -> str:
    params, items = [], []
    for n in names:
        d = defaults.get(n, _MISSING)
        params.append(n if d is _MISSING else f"{n}=_d_{n}")
        value = f"_d_{n}.default_factory() if {n} is _d_{n} else {n}" if isinstance(d, _Field) else n
        items.append(f"{n!r}: {value}")
    # The instance's dict in one go (3x faster than a setattr per field: a scan makes ~20,000 findings
    # per MB of tokens). Frozen or not, a field is a plain attribute: no descriptor to honour.
    body = ["  _set(self, '__dict__', {" + ", ".join(items) + "})"] if names else []
    if post_init:
        body.append("  self.__post_init__()")
    return f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"


@dataclass_transform(field_specifiers=(field,))
def record(cls: "type[T] | None" = None, /, *, frozen: bool = False) -> "Any":
    """Class decorator: ``__init__``, ``__repr__`` and ``__eq__`` from the annotated fields (with
    ``__hash__`` and no assignment when ``frozen``), as ``dataclasses.dataclass`` writes them. Fields of
    a base record come first; :func:`field` sets a default factory or leaves a field out of ``repr`` and
    ``==``. Annotations written ``ClassVar[...]`` are not fields.
    """
    def wrap(c: "type[T]") -> "type[T]":
        names: list[str] = []
        defaults: dict[str, Any] = {}
        left_out: set[str] = set()
        for b in reversed(c.__mro__[1:]):
            own = vars(b)
            if "__record_fields__" in own:
                names += [n for n in own["__record_fields__"] if n not in names]
                defaults.update(own["__record_defaults__"])
                left_out |= own["__record_left_out__"]
        for name, ann in c.__dict__.get("__annotations__", {}).items():
            if isinstance(ann, str) and ann.replace("typing.", "").startswith("ClassVar"):
                continue
            default = c.__dict__.get(name, _MISSING)
            if isinstance(default, _Field):
                if not (default.repr and default.compare):
                    left_out.add(name)
                if default.default_factory is not _MISSING:
                    delattr(c, name)  # (each instance sets its own)
                else:
                    default = default.default
                    if default is _MISSING:
                        delattr(c, name)
                    else:
                        setattr(c, name, default)
            if name not in names:
                names.append(name)
            if default is _MISSING:
                defaults.pop(name, None)
            else:
                defaults[name] = default
        post_init = hasattr(c, "__post_init__")

        def make_init() -> "Callable[..., None]":
            ns: dict[str, Any] = {"_set": object.__setattr__, **{f"_d_{n}": v for n, v in defaults.items()}}
            exec(_init_source(names, defaults, frozen, post_init), ns)  # noqa: S102 - generated here
            made: Callable[..., None] = ns["__init__"]
            made.__qualname__ = f"{c.__qualname__}.__init__"
            return made

        def init(self: "Any", *args: "Any", **kwargs: "Any") -> None:
            # The real __init__ is compiled on the first instance (a record a run never makes costs nothing).
            made = make_init()
            if c.__dict__.get("__init__") is init:
                type.__setattr__(c, "__init__", made)
            made(self, *args, **kwargs)
        shown = tuple(n for n in names if n not in left_out)

        def __repr__(self: "Any") -> str:
            return f"{type(self).__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")"

        def __eq__(self: "Any", other: object) -> bool:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in shown)

        members: dict[str, Any] = {"__init__": init, "__repr__": __repr__, "__eq__": __eq__, "__hash__": None,
                                   "__record_fields__": tuple(names), "__record_defaults__": defaults,
                                   "__record_left_out__": frozenset(left_out), "__match_args__": tuple(names)}
        if frozen:
            def __hash__(self: "Any") -> int:
                return hash(tuple(getattr(self, n) for n in shown))

            def __setattr__(self: "Any", name: str, value: "Any") -> None:
                raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

            members.update(__hash__=__hash__, __setattr__=__setattr__, __delattr__=__setattr__)
        for key, value in members.items():
            setattr(c, key, value)
        return c

    return wrap if cls is None else wrap(cls)


def replace(obj: "T", **changes: "Any") -> "T":
    """A copy of the record ``obj`` with ``changes`` (``dataclasses.replace``)."""
    values = {n: getattr(obj, n) for n in record_fields(obj)}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)


def as_dict(obj: "Any") -> "Any":
    """The record ``obj`` as a dict, records, lists, tuples and dicts inside it converted too
    (``dataclasses.asdict``)."""
    if hasattr(type(obj), "__record_fields__"):
        return {n: as_dict(getattr(obj, n)) for n in getattr(type(obj), "__record_fields__")}
    if isinstance(obj, (list, tuple)):
        return type(obj)(as_dict(v) for v in obj)
    if isinstance(obj, dict):
        return {k: as_dict(v) for k, v in obj.items()}
    return obj
