"""Output redaction pieces, in process (the real-kernel test checks what iopub carries)."""

from __future__ import annotations

import secrets
import sys
import threading

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.kernel import redaction
from hfsecure_jupyter.testing import fake_token


def test_redact_data_walks_every_mimetype_and_nesting():
    t = fake_token()
    bundle = {"text/plain": f"'{t}'", "text/html": f"<b>{t}</b>", "application/json": {"a": [1, {"b": t}], t: 2},
              "image/png": "iVBORw0KGgo="}
    out = redaction.redact_data(bundle, detect.Redactor())
    assert t not in repr(out)
    assert out["image/png"] is bundle["image/png"] and out["application/json"]["a"][0] == 1
    assert bundle["text/plain"] == f"'{t}'"  # the input is not modified in place


def test_known_values_env_token_files_and_exclusions(tmp_path, monkeypatch):
    other = "s3cr3t-" + secrets.token_hex(10)
    plain = "plainvalue-" + secrets.token_hex(6)
    monkeypatch.setenv("MY_SERVICE_API_KEY", other)
    monkeypatch.setenv("UNUSUAL_NAME", plain)
    monkeypatch.setenv("PWD", "/some/working/dir")
    tok_file, stored = tmp_path / "token", tmp_path / "stored_tokens"
    t1, t2 = fake_token(), fake_token()
    tok_file.write_text(t1 + "\n")
    stored.write_text(f"[work]\nhf_token = {t2}\n")
    monkeypatch.setenv("HF_TOKEN_PATH", str(tok_file))
    values = redaction.known_secret_values(use_hub=False)
    assert {other, t1, t2} <= set(values)
    assert plain not in values and "/some/working/dir" not in values
    assert plain in redaction.known_secret_values(["UNUSUAL_NAME"], use_hub=False)


class FakeSession:
    def __init__(self):
        self.sent = []

    def msg(self, msg_type, content, parent=None):
        return {"msg_type": msg_type, "content": content, "parent_header": parent or {}}

    def send(self, stream, msg, ident=None):
        self.sent.append(msg)


class FakeStream:
    name = "stdout"
    topic = b"stream.stdout"

    def __init__(self):
        self.session = FakeSession()
        self.pub_thread = None

    def flush(self):
        pass


class FakeOwner:
    active = True

    def __init__(self, known=()):
        self.redactor = detect.Redactor(known)


def _msg(text, parent="p1"):
    return {"content": {"name": "stdout", "text": text}, "parent_header": {"msg_id": parent}}


@pytest.mark.parametrize("cut", [1, 3, 10, 20, 36])
def test_stream_hook_masks_a_token_split_across_messages(cut):
    t = fake_token()
    stream = FakeStream()
    hook = redaction._StreamHook(FakeOwner(), stream)
    shown = hook(_msg("key: " + t[:cut]))["content"]["text"] + hook(_msg(t[cut:] + " end\n"))["content"]["text"]
    hook.flush_held()
    shown += "".join(m["content"]["text"] for m in stream.session.sent)
    assert t not in shown and detect.mask_secret(t) in shown and shown.endswith(" end\n")


def test_stream_hook_holds_a_trailing_prefix_until_the_cell_ends():
    t = fake_token()
    stream = FakeStream()
    hook = redaction._StreamHook(FakeOwner(), stream)
    first = hook(_msg("partial " + t[:25]))["content"]["text"]
    assert t[:25] not in first and hook.pending
    hook.flush_held()  # what post_execute does: the rest never came
    assert stream.session.sent[0]["parent_header"] == {"msg_id": "p1"}
    assert not hook.pending


def test_stream_hook_masks_known_values_and_keeps_requests_apart():
    other = "s3cr3t-" + secrets.token_hex(10)
    stream = FakeStream()
    hook = redaction._StreamHook(FakeOwner([other]), stream)
    a = hook(_msg("A " + other[:9], "p1"))["content"]["text"]
    b = hook(_msg("B unrelated\n", "p2"))["content"]["text"]
    c = hook(_msg(other[9:] + "\n", "p1"))["content"]["text"]
    assert b == "B unrelated\n"
    assert other not in a + c and "****" in a + c


def test_terminal_shell_masks_results_displays_and_tracebacks(ip, state, capsys, monkeypatch):
    t = fake_token()
    ip.user_ns["parts"] = (t[:10], t[10:])  # the cell text never holds the token
    ip.run_cell("''.join(parts)", store_history=True)
    ip.display_pub.publish(data={"text/plain": "".join(ip.user_ns["parts"])}, metadata={})
    ip.run_cell("raise ValueError('bad ' + ''.join(parts))", store_history=True)
    out = capsys.readouterr().out
    assert t not in out
    assert out.count(detect.mask_secret(t)) >= 3
    assert state.output.mode == "terminal"


def test_known_values_refresh_before_each_cell(ip, state, monkeypatch, capsys):
    other = "s3cr3t-" + secrets.token_hex(10)
    ip.run_cell("1", store_history=True)
    monkeypatch.setenv("WANDB_API_KEY", other)
    ip.user_ns["v"] = other
    ip.run_cell("v", store_history=True)
    out = capsys.readouterr().out
    assert other not in out and "****" in out


def test_redact_outputs_off_passes_through(ip, state, capsys):
    state.settings.redact_outputs = False
    t = fake_token()
    ip.user_ns["parts"] = (t[:10], t[10:])
    ip.run_cell("''.join(parts)", store_history=True)
    assert t in capsys.readouterr().out  # the switch really switches


def test_session_net_masks_execute_input_and_reply(ip, state):
    t = fake_token()
    sent = []

    def orig(stream, msg_or_type, content=None, *a, **k):
        sent.append((msg_or_type, content))

    send = state.output._make_send(orig)
    send(None, "execute_input", {"code": f'x = "{t}"', "execution_count": 1})
    send(None, "execute_reply", {"status": "error", "evalue": f"bad {t}", "traceback": [f"E {t}"]})
    send(None, {"header": {"msg_type": "display_data"}, "content": {"data": {"text/plain": t}}})
    send(None, "kernel_info_reply", {"banner": "x"})
    assert t not in repr(sent[:2])
    assert sent[3] == ("kernel_info_reply", {"banner": "x"})
    # a display from another thread (thread-local hooks do not see it) is masked by the net too
    th = threading.Thread(target=send, args=(None, {"header": {"msg_type": "display_data"},
                                                    "content": {"data": {"text/plain": t}}}))
    th.start(); th.join()
    assert t not in repr(sent[4])


def test_session_net_masks_comm_data_and_keeps_the_callers_objects(ip, state):
    t = fake_token()
    sent = []

    def orig(stream, msg_or_type, content=None, *a, **k):
        sent.append((msg_or_type, content, k.get("buffers")))

    send = state.output._make_send(orig)
    state_dict = {"value": t, "description": "token", "nested": [{"k": f"Bearer {t}"}]}
    content = {"data": {"state": state_dict, "buffer_paths": []}, "comm_id": "c1", "target_name": "jupyter.widget"}
    buf = memoryview(b"binary")
    send(None, "comm_open", content, buffers=[buf])
    send(None, "comm_msg", {"data": {"method": "update", "state": {"value": t}}, "comm_id": "c1"})
    send(None, {"header": {"msg_type": "comm_msg"}, "content": {"data": {"x": t}, "comm_id": "c2"}})
    send(None, "comm_close", {"data": {"bye": t}, "comm_id": "c1"})
    assert t not in repr(sent) and "hf_****" in repr(sent[0])
    assert sent[0][2] == [buf]                      # binary buffers are passed as they were
    assert state_dict["value"] == t and content["data"]["state"] is state_dict  # the kernel keeps its value
    # off: redact_outputs = False sends comms as they are
    state.settings.redact_outputs = False
    try:
        send(None, "comm_msg", {"data": {"x": t}, "comm_id": "c3"})
    finally:
        state.settings.redact_outputs = True
    assert t in repr(sent[-1])


def test_comm_data_is_withheld_when_masking_fails(ip, state, monkeypatch):
    sent = []
    send = state.output._make_send(lambda stream, m, content=None, *a, **k: sent.append(content))

    def boom(*a, **k):
        raise RuntimeError("x")

    monkeypatch.setattr(redaction, "redact_data", boom)
    send(None, "comm_msg", {"data": {"x": fake_token()}, "comm_id": "c1"})
    assert list(sent[0]["data"]) == ["hfsecure"] and "RuntimeError" in sent[0]["data"]["hfsecure"]


@pytest.fixture
def no_network(monkeypatch):
    """Every outgoing connection attempt is recorded and refused (so nothing can hang either)."""
    import socket

    attempts = []

    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise ConnectionRefusedError("hfsecure test: no network on this path")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def oidc_env(monkeypatch):
    """HF_OIDC_RESOURCE set (get_token() would exchange a token over the network), no cached token."""
    import huggingface_hub  # noqa: F401 - the real trigger: the user imported it
    from huggingface_hub.utils import _auth

    monkeypatch.setenv("HF_OIDC_RESOURCE", "user/alice")
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", "a.b.c")
    monkeypatch.setattr(_auth, "_OIDC_TOKEN_CACHE", None)
    return _auth


def test_known_values_never_touch_the_network_under_oidc(no_network, oidc_env):
    assert "huggingface_hub" in sys.modules
    redaction.known_secret_values()
    assert no_network == []  # get_token() would try the OIDC exchange here


def test_known_values_take_an_already_exchanged_oidc_token(no_network, oidc_env, monkeypatch):
    t = fake_token()
    monkeypatch.setattr(oidc_env, "_OIDC_TOKEN_CACHE", {"resource": "user/alice", "token": t, "expires_at": 0.0})
    assert t in redaction.known_secret_values()
    assert t not in redaction.known_secret_values(use_hub=False)
    monkeypatch.setattr(oidc_env, "_OIDC_TOKEN_CACHE", ["not", "the", "expected", "shape"])
    redaction.known_secret_values()  # a changed internal shape is ignored, not an error
    assert no_network == []


def test_cell_refresh_under_oidc_makes_no_network_call(ip, state, no_network, oidc_env, capsys):
    t = fake_token()
    oidc_env._OIDC_TOKEN_CACHE = {"resource": "user/alice", "token": t, "expires_at": 0.0}
    ip.user_ns["parts"] = (t[:5], t[5:])
    ip.run_cell("''.join(parts)", store_history=True)
    assert no_network == []
    out = capsys.readouterr().out
    assert t not in out and "****" in out


def test_echo_copy_is_masked_even_split_across_writes():
    import io

    other = "s3cr3t-" + secrets.token_hex(10)
    t = fake_token()
    inner = io.StringIO()
    echo = redaction._RedactingEcho(FakeOwner([other]), inner)
    echo.write("a " + t[:12])
    echo.flush()  # an ipykernel flush must not release a token prefix
    echo.write(t[12:] + " b " + other[:5])
    echo.write(other[5:] + "\n")
    echo.release()
    assert t not in inner.getvalue() and other not in inner.getvalue()
    assert detect.mask_secret(t) in inner.getvalue() and inner.getvalue().endswith("\n")


def test_stream_echo_is_wrapped_and_restored(ip, state):
    import io

    t = fake_token()
    stream, inner = FakeStream(), io.StringIO()
    stream.echo = inner
    state.output._wrap_echo(stream)
    stream.echo.write(f"token {t}\n")
    state.output.flush_streams()
    assert t not in inner.getvalue() and detect.mask_secret(t) in inner.getvalue()
    from hfsecure_jupyter.kernel import extension

    extension.unload(ip)
    assert stream.echo is inner


# Last in the file: without the fix, the hung exchange keeps huggingface_hub's OIDC lock.
def test_known_values_do_not_hang_on_a_silent_hub(oidc_env, monkeypatch):
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)  # accepts, never answers
    import huggingface_hub.hf_api  # noqa: F401 - its module-level `api` (run_job...) reads the endpoint at import
    from huggingface_hub import constants

    url = f"http://127.0.0.1:{srv.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)  # read once, at import
    done = threading.Event()
    th = threading.Thread(target=lambda: (redaction.known_secret_values(), done.set()), daemon=True)
    th.start()
    try:
        assert done.wait(5), "known_secret_values() hung on an unanswering Hub"
    finally:
        srv.close()


@pytest.mark.parametrize("cut", [1, 2, 5, 20, 36])
def test_stream_hook_masks_a_token_a_thread_writes_after_the_cell(cut):
    # The cell ends (flush_held) while a thread is still writing a token one character at a time:
    # the held start went out unmasked, then the rest.
    t = fake_token()
    stream = FakeStream()
    hook = redaction._StreamHook(FakeOwner(), stream)
    shown = "".join(hook(_msg(c))["content"]["text"] for c in "tok: " + t[:cut])
    hook.flush_held()
    shown += "".join(m["content"]["text"] for m in stream.session.sent)
    shown += "".join(hook(_msg(c))["content"]["text"] for c in t[cut:] + " end\n")
    hook.flush_held()
    assert shown.startswith("tok: ") and shown.endswith(" end\n")
    body = t[3:]
    assert not any(body[k:k + 5] in shown for k in range(len(body) - 4)), shown


def test_session_net_masks_an_input_prompt(ip, state):
    t = fake_token()
    sent = []

    def orig(stream, msg_or_type, content=None, *a, **k):
        sent.append((msg_or_type, content))

    send = state.output._make_send(orig)
    send(None, "input_request", {"prompt": f"token was {t}, new one: ", "password": False})
    assert t not in repr(sent) and "hf_****" in sent[0][1]["prompt"]
