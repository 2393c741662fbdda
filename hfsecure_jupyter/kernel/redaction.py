"""Output redaction: mask secrets in everything the kernel publishes.

On ipykernel, every channel goes through a hook (see JUPYTER.md):

* ``stream`` (``print``, ``!cmd`` subprocess output, C-level output ipykernel captures): a hook on
  ``sys.stdout`` / ``sys.stderr`` registered *on the IOPub thread*, with one
  :class:`~hfsecure_jupyter.detect.StreamRedactor` per stream and request, so a token split across two
  flushes is still masked; whatever it holds back is sent at the end of the cell (``post_execute``).
* ``display_data`` / ``update_display_data``: ``shell.display_pub.register_hook``; every mimetype, nested
  JSON walked.
* ``execute_result``: ``shell.displayhook.register_hook``.
* ``error``: ``shell._showtraceback`` is wrapped (traceback lines and the ``evalue`` shown).
* a last net on the kernel's ``Session.send`` masks the ``execute_input`` broadcast (the code of a
  blocked cell), the ``execute_reply`` ``evalue``/``traceback``, and displays or errors sent from other
  threads (the hooks above are thread-local).
* comm messages (``comm_open`` / ``comm_msg`` / ``comm_close``: every ipywidgets state sync, user widgets
  and comms opened by user code included) are masked in the same net: ipykernel's ``Comm.publish_msg``
  builds the content and hands it to ``kernel.session.send``, the one place every comm message passes
  whatever thread sends it. Their ``data`` is walked (state dicts, lists, keys); binary ``buffers`` are
  left alone. The kernel-side object keeps the value the user set: the browser (and so the saved widget
  state) gets the mask.

What is masked: everything the detection core finds, plus every secret value this kernel knows (the
active Hugging Face token from ``HF_TOKEN`` / the token file / the tokens huggingface_hub already holds
in memory once the user has imported it, values of secret-looking environment variables, and
``c.HFSecure.extra_secret_env``), refreshed before each cell. That refresh never touches the network:
``huggingface_hub.get_token()`` is not called (under ``HF_OIDC_RESOURCE`` it exchanges a token over the
network, and it may refresh OAuth tokens), so a slow or unreachable Hub cannot stall a cell.

Not covered: ipykernel also copies output written at the file-descriptor level (``os.system``, C
extensions, subprocesses writing to the inherited fd 1/2, or to ``sys.stdout.fileno()``) to the kernel
process's own stdout/stderr, which usually lands in the Jupyter server's log or terminal. Those bytes
are written with ``os.write`` by ipykernel's fd-watcher thread, outside any hook, so they are NOT
masked there (they are masked in the notebook). Python-level echo (``OutStream.echo``, set when the
kernel runs with ``quiet=False``) is masked: the echo stream is wrapped with a redacting writer.

In terminal IPython there are no publish hooks for streams: results, displays and tracebacks are still
masked, printed output is not, and the extension says so once.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> tok = fake_token(seed=7)
    >>> redact_data({"text/plain": f"'{tok}'", "application/json": {"k": [tok]}}, detect.Redactor())
    {'text/plain': "'hf_****oOOL'", 'application/json': {'k': ['hf_****oOOL']}}
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

from .. import detect
from ..hub.held import known_secret_values, token_file_paths

if TYPE_CHECKING:  # pragma: no cover
    from .state import KernelState

__all__ = ["OutputRedaction", "redact_data", "known_secret_values", "token_file_paths"]

_DISPLAY_TYPES = frozenset({"display_data", "update_display_data", "execute_result", "error"})
# Widget and user comms: ipykernel's Comm.publish_msg sends them through kernel.session.send on iopub.
_COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})
_FAILED = "[hfsecure: this output was hidden because redacting it failed ({})]"
_KEEP_STREAMS = 16  # stream redactors kept per stream (one per recent request)


def redact_data(obj: Any, redactor: detect.Redactor) -> Any:
    """``obj`` (a MIME bundle or any JSON value) with every string redacted; unchanged parts are reused.

    Example:
        >>> redact_data(["a", {"b": 1}], detect.Redactor())
        ['a', {'b': 1}]
    """
    if isinstance(obj, str):
        return redactor.redact(obj) if obj else obj
    if isinstance(obj, dict):
        out = None
        for k, v in obj.items():
            nv = redact_data(v, redactor)
            nk = redactor.redact(k) if isinstance(k, str) and k else k
            if nv is not v or nk != k:
                if out is None:
                    out = dict(obj)
                if nk != k:
                    out.pop(k, None)
                out[nk] = nv
        return obj if out is None else out
    if isinstance(obj, (list, tuple)):
        items = [redact_data(v, redactor) for v in obj]
        if any(a is not b for a, b in zip(items, obj)):
            return type(obj)(items) if isinstance(obj, list) else tuple(items)
        return obj
    return obj


class _MaskedValue:
    """Stands for an exception value whose text held a secret: ``str()`` is the masked text."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__


class _StreamHook:
    """The IOPub-thread hook of one stream: a StreamRedactor per request (parent message)."""

    def __init__(self, owner: "OutputRedaction", stream: Any) -> None:
        self.owner = owner
        self.stream = stream
        self._open: dict[str, tuple[detect.StreamRedactor, dict]] = {}
        self.lock = threading.Lock()

    def __call__(self, msg: dict) -> dict | None:
        if not self.owner.active:
            return msg
        content = msg.get("content") or {}
        text = content.get("text")
        if not isinstance(text, str) or not text:
            return msg
        key = (msg.get("parent_header") or {}).get("msg_id", "")
        try:
            with self.lock:
                entry = self._open.pop(key, None)
                sr = entry[0] if entry else detect.StreamRedactor(self.owner.redactor)
                out = sr.feed(text)
                # Kept after its text went out too: a request's next write continues the same stream
                # (a token begun before a flush at the end of the cell is masked when the rest comes).
                self._open[key] = (sr, msg)
                while len(self._open) > _KEEP_STREAMS:
                    self._open.pop(next(iter(self._open)))
        except Exception as exc:  # noqa: BLE001 - hide rather than leak
            out = _FAILED.format(type(exc).__name__)
        content["text"] = out  # may be "" when all of it is held back (None would drop other buffers)
        return msg

    @property
    def pending(self) -> bool:
        return any(sr.pending for sr, _ in self._open.values())

    def flush_held(self, *, final: bool = False) -> None:
        """Send what is held back (redacted), as stream messages of the request it belongs to.

        Not ``final`` (the end of a cell): a thread may still be writing, so the start of a possible
        secret goes out masked and its continuation is masked when it comes.
        """
        with self.lock:
            entries = [e for e in self._open.values() if e[0].pending]
            if final:
                self._open = {}
            texts = [(sr.flush(final=final), last) for sr, last in entries]
        stream = self.stream
        for text, last in texts:
            if not text:
                continue
            msg = stream.session.msg("stream", {"name": stream.name, "text": text}, parent=last.get("parent_header"))
            stream.session.send(stream.pub_thread, msg, ident=stream.topic)


class _RedactingEcho:
    """Wraps an ``OutStream.echo`` file so the kernel's own stdout/stderr copy is masked too.

    Text that may be the start of a token is held back until :meth:`release` (end of the cell) or more
    text arrives; ``flush()`` flushes the wrapped file only, so a token split across flushes is masked.
    """

    def __init__(self, owner: "OutputRedaction", inner: Any) -> None:
        self.owner = owner
        self.inner = inner
        self._sr = detect.StreamRedactor(owner.redactor)
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        try:
            with self._lock:
                out = self._sr.feed(text) if self.owner.active else self._sr.flush() + text
        except Exception as exc:  # noqa: BLE001 - hide rather than leak
            out = _FAILED.format(type(exc).__name__) + "\n"
        if out:
            self.inner.write(out)
        return len(text)

    def release(self) -> None:
        """Write what is held back (redacted)."""
        try:
            with self._lock:
                out = self._sr.flush(final=False)  # a thread may still be writing
        except Exception as exc:  # noqa: BLE001
            out = _FAILED.format(type(exc).__name__) + "\n"
        if out:
            self.inner.write(out)
        self.inner.flush()

    def flush(self) -> None:
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, ... of the wrapped file
        return getattr(self.inner, name)


class OutputRedaction:
    """Installs and runs the output hooks for one shell (see the module doc)."""

    def __init__(self, state: "KernelState") -> None:
        self.state = state
        self.shell = state.shell
        self.stream_hooks: list[_StreamHook] = []
        self.echoes: list[_RedactingEcho] = []
        self.mode = "none"  # "ipykernel" or "terminal"
        self._main_thread = threading.get_ident()
        self.refresh_known()

    @property
    def redactor(self) -> detect.Redactor:
        return self.state.redactor

    @property
    def active(self) -> bool:
        return bool(self.state.settings.redact_outputs)

    # -- what is secret ---------------------------------------------------------------------------
    def refresh_known(self, *_: Any) -> None:
        """Re-read the secret values this kernel holds (env, token files, huggingface_hub if imported)."""
        settings = self.state.settings
        try:
            values = known_secret_values(settings.extra_secret_env)
        except Exception:  # noqa: BLE001 - keep the previous set
            return
        r = self.redactor
        r.fill, r.show_last = settings.mask_fill, settings.mask_show_last
        r.set_known(values)

    def redact_text(self, text: str) -> str:
        """``text`` masked (or a notice in its place if masking fails)."""
        if not text or not self.active:
            return text
        try:
            return self.redactor.redact(text)
        except Exception as exc:  # noqa: BLE001
            return _FAILED.format(type(exc).__name__)

    # -- installation ---------------------------------------------------------------------------
    def install(self) -> None:
        state, shell = self.state, self.shell
        state.register_event("pre_run_cell", self.refresh_known)
        display_pub: Any = getattr(shell, "display_pub", None)
        displayhook: Any = getattr(shell, "displayhook", None)
        zmq = hasattr(display_pub, "register_hook") and hasattr(displayhook, "register_hook")
        if zmq:
            self.mode = "ipykernel"
            display_pub.register_hook(self.display_hook)
            state.add_undo("display_pub hook", lambda: display_pub.unregister_hook(self.display_hook))
            displayhook.register_hook(self.display_hook)
            state.add_undo("displayhook hook", lambda: displayhook.unregister_hook(self.display_hook))
            for stream in {id(s): s for s in (sys.stdout, sys.stderr)}.values():
                if hasattr(stream, "register_hook") and getattr(stream, "pub_thread", None) is not None:
                    self._hook_stream(stream)
            state.register_event("post_execute", self.flush_streams)
            self._wrap_sessions([getattr(getattr(shell, "kernel", None), "session", None),
                                 getattr(display_pub, "session", None), getattr(displayhook, "session", None)]
                                + [getattr(s, "session", None) for s in (sys.stdout, sys.stderr)])
        else:
            self.mode = "terminal"
            self._wrap_method(displayhook, "write_format_data",
                              lambda orig: lambda fd, md=None: orig(self._redact_bundle(fd), md))
            self._wrap_method(display_pub, "publish",
                              lambda orig: lambda data, *a, **kw: orig(self._redact_bundle(data), *a, **kw))
            note = ("output redaction in terminal IPython covers results, displays and tracebacks; "
                    "printed output (stdout/stderr) is not masked here, only in Jupyter kernels")
            state.notes.append(note)
            print(f"hfsecure: {note}", file=sys.stderr)
        self._wrap_method(shell, "_showtraceback", lambda orig: self._make_showtraceback(orig))

    def _wrap_method(self, obj: Any, name: str, make: Callable[[Callable], Callable]) -> None:
        if obj is None or not hasattr(obj, name):
            return
        had_own = name in vars(obj)
        orig = getattr(obj, name)
        setattr(obj, name, make(orig))

        def _restore() -> None:
            if had_own:
                setattr(obj, name, orig)
            else:
                vars(obj).pop(name, None)

        self.state.add_undo(f"{type(obj).__name__}.{name}", _restore)

    def _wrap_echo(self, stream: Any) -> None:
        inner = getattr(stream, "echo", None)
        if inner is None or isinstance(inner, _RedactingEcho):
            return
        echo = _RedactingEcho(self, inner)
        stream.echo = echo
        self.echoes.append(echo)

        def _restore() -> None:
            echo.release()
            if getattr(stream, "echo", None) is echo:
                stream.echo = inner
            if echo in self.echoes:
                self.echoes.remove(echo)

        self.state.add_undo(f"{getattr(stream, 'name', 'stream')} echo", _restore)

    def _hook_stream(self, stream: Any) -> None:
        self._wrap_echo(stream)
        hook = _StreamHook(self, stream)
        self.stream_hooks.append(hook)
        # OutStream hooks are thread-local: they only act when registered on the IOPub thread.
        self._on_pub_thread(stream, lambda: stream.register_hook(hook))

        def _remove() -> None:
            def _unhook() -> None:
                hook.flush_held(final=True)
                stream.unregister_hook(hook)

            self._on_pub_thread(stream, _unhook)
            if hook in self.stream_hooks:
                self.stream_hooks.remove(hook)

        self.state.add_undo(f"{getattr(stream, 'name', 'stream')} hook", _remove)

    @staticmethod
    def _on_pub_thread(stream: Any, fn: Callable[[], None], timeout: float = 2.0) -> bool:
        done = threading.Event()

        def run() -> None:
            try:
                fn()
            finally:
                done.set()

        stream.pub_thread.schedule(run)
        return done.wait(timeout)

    def _wrap_sessions(self, sessions: list[Any]) -> None:
        seen: set[int] = set()
        for session in sessions:
            if session is None or id(session) in seen or not hasattr(session, "send"):
                continue
            seen.add(id(session))
            self._wrap_method(session, "send", lambda orig: self._make_send(orig))

    # -- hooks ----------------------------------------------------------------------------------
    def _redact_bundle(self, data: Any) -> Any:
        if not self.active or not data:
            return data
        try:
            return redact_data(data, self.redactor)
        except Exception as exc:  # noqa: BLE001
            return {"text/plain": _FAILED.format(type(exc).__name__)}

    def display_hook(self, msg: dict) -> dict | None:
        """display_pub / displayhook hook: mask every mimetype of the bundle (and its metadata)."""
        content = msg.get("content")
        if not self.active or not isinstance(content, dict) or "data" not in content:
            return msg
        content["data"] = self._redact_bundle(content["data"])
        if content.get("metadata"):
            content["metadata"] = self._redact_bundle(content["metadata"])
        return msg

    def flush_streams(self) -> None:
        """End of a cell: push buffered stream text through the hooks, then send what they hold."""
        for echo in list(self.echoes):
            try:
                echo.release()
            except Exception:  # noqa: BLE001 - the echo is a log copy; never break the cell
                pass
        hooks = list(self.stream_hooks)
        if not hooks:
            return

        def run() -> None:
            for hook in hooks:
                try:
                    hook.stream.flush()  # on the IOPub thread this flushes synchronously through the hook
                    if hook.pending:
                        hook.flush_held()
                except Exception:  # noqa: BLE001 - never break the kernel's output thread
                    pass

        self._on_pub_thread(hooks[0].stream, run)

    def _make_showtraceback(self, orig: Callable) -> Callable:
        def _showtraceback(etype: type, evalue: Any, stb: list[str]) -> Any:
            doctor = self.state.doctor
            if doctor is not None:
                stb = doctor.maybe_replace_traceback(etype, evalue, stb)
            if self.active:
                try:
                    stb = [self.redact_text(s) if isinstance(s, str) else s for s in stb]
                    text = str(evalue)
                    masked = self.redact_text(text)
                    if masked != text:
                        evalue = _MaskedValue(masked)
                except Exception as exc:  # noqa: BLE001
                    stb, evalue = [_FAILED.format(type(exc).__name__)], _MaskedValue("")
            return orig(etype, evalue, stb)

        return _showtraceback

    def _make_send(self, orig: Callable) -> Callable:
        def send(stream: Any, msg_or_type: Any, content: Any = None, *args: Any, **kwargs: Any) -> Any:
            if self.active:
                try:
                    msg_type = msg_or_type if isinstance(msg_or_type, str) else \
                        (msg_or_type.get("header") or {}).get("msg_type", msg_or_type.get("msg_type"))
                    if msg_type in _COMM_TYPES:
                        if isinstance(msg_or_type, dict):
                            msg_or_type["content"] = self._redact_comm(msg_or_type.get("content"))
                        else:
                            content = self._redact_comm(content)
                    # input_request: the prompt of input() / getpass() goes to the frontend on stdin.
                    elif msg_type in ("execute_input", "execute_reply", "input_request") or (
                            msg_type in _DISPLAY_TYPES and threading.get_ident() != self._main_thread):
                        if isinstance(msg_or_type, dict):
                            msg_or_type["content"] = self._redact_content(msg_type, msg_or_type.get("content"))
                        else:
                            content = self._redact_content(msg_type, content)
                except Exception:  # noqa: BLE001 - the hooks already ran; do not block the kernel
                    pass
            return orig(stream, msg_or_type, content, *args, **kwargs)

        return send

    def _redact_comm(self, content: Any) -> Any:
        """A comm message's content with its ``data`` masked (a copy: the caller's objects are untouched).

        If masking fails the data is withheld (a widget that stops syncing beats a token in the browser)."""
        if not isinstance(content, dict) or not content.get("data"):
            return content
        try:
            data = redact_data(content["data"], self.redactor)
        except Exception as exc:  # noqa: BLE001
            data = {"hfsecure": _FAILED.format(type(exc).__name__)}
        return content if data is content["data"] else dict(content, data=data)

    def _redact_content(self, msg_type: str, content: Any) -> Any:
        if not isinstance(content, dict):
            return content
        if msg_type == "execute_input":
            code = content.get("code")
            if isinstance(code, str) and code and (self.redactor.known_count or detect.might_contain_secret(code)):
                from .guard import mask_source

                masked = self.redact_text(code)
                if detect.might_contain_secret(masked):
                    masked = mask_source(masked, (), self.redactor)
                if masked != code:
                    content = dict(content, code=masked)
            return content
        return self._redact_bundle(content)
