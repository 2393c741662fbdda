"""Through a real kernel: what the frontend receives on iopub (and the shell channel) holds no secret.

One kernel for the module. The guard is installed with ``hfsecure install-guard --user`` into a temp
IPYTHONDIR, so this also proves the kernel-config route loads the extension. The user's token (a canary)
is the kernel's ``HF_TOKEN``; cells print, display, return, raise and echo it, and every message is
searched for it at the end (and per cell).
"""

from __future__ import annotations

import importlib
import json
import os
import secrets

import pytest

from hfsecure_jupyter.kernel import install
from tests.kernel.kernel_helpers import kernel_execute
from hfsecure_jupyter.testing import fake_token

pytestmark = pytest.mark.slow

CANARY = fake_token()                      # the user's token (HF_TOKEN in the kernel)
UNKNOWN = fake_token(digits=False)         # a token the kernel does not know: only detection can mask it
OTHER = "s3cr3t-" + secrets.token_hex(12)  # a non-HF secret in a secret-looking env var: only known-value masking
SEEN: list[dict] = []                      # every message received, for the final sweep


def _leaks(obj: object) -> list[str]:
    text = json.dumps(obj, default=str)
    plain = text.replace("\\u200b", "")
    return [name for name, s in (("CANARY", CANARY), ("UNKNOWN", UNKNOWN), ("OTHER", OTHER))
            if s in text or s in plain]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    jupyter_client = importlib.import_module("jupyter_client.manager")
    ipdir = tmp_path_factory.mktemp("ipython")
    old = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(ipdir)
    try:
        assert install.install_main(["--user"]) == 0
    finally:
        if old is None:
            os.environ.pop("IPYTHONDIR", None)
        else:
            os.environ["IPYTHONDIR"] = old
    env = dict(os.environ, IPYTHONDIR=str(ipdir), HF_TOKEN=CANARY, MY_SERVICE_API_KEY=OTHER,
               JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("PYTEST_CURRENT_TEST", None)  # ipykernel captures fd-level output only outside pytest
    km, kc = jupyter_client.start_new_kernel(kernel_name="python3", env=env, startup_timeout=60)
    try:
        # Every test reads the token as ``t``, whichever test ran before it in this kernel (with
        # ``pytest -n 2`` the tests of this module are spread over two kernels, in no set order).
        _, reply = run(kc, "import os; t = os.environ['HF_TOKEN']")
        assert reply["content"]["status"] == "ok", reply
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code: str, timeout: float = 30) -> tuple[list[dict], dict]:
    """Execute ``code``; return (iopub messages of this request, the execute_reply); record all in SEEN."""
    return kernel_execute(kc, code, timeout, seen=SEEN)


def stream_text(msgs: list[dict], name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == name)


def outputs(msgs: list[dict]) -> list[dict]:
    return [m for m in msgs if m["msg_type"] not in ("status", "execute_input")]


def test_extension_loaded_by_kernel_config(kernel):
    msgs, reply = run(kernel, "from hfsecure_jupyter.kernel.extension import get_state\n"
                              "st = get_state(get_ipython()); print(st is not None, st.output.mode)\n"
                              "import sys; print('huggingface_hub' in sys.modules)")
    assert reply["content"]["status"] == "ok"
    assert stream_text(msgs).split() == ["True", "ipykernel", "False"]


@pytest.mark.parametrize("code,expect", [
    ("import os; t = os.environ['HF_TOKEN']; print('before', t, 'after')", "before hf_****"),
    ("import sys; print(t, file=sys.stderr)", None),
    ("print(t[:20], end=''); print(t[20:])", "hf_****"),
    ("import sys, time\nprint(t[:20], end=''); sys.stdout.flush(); time.sleep(0.3); print(t[20:])", "hf_****"),
    ("for ch in t: print(ch, end='', flush=True)\nprint()", "hf_****"),
    ("!echo $HF_TOKEN", "hf_****"),
    ("import os; _ = os.system('echo fd-level $HF_TOKEN')", None),
    ("import ctypes; libc = ctypes.CDLL(None); libc.printf(b'C-level %s\\n', t.encode()); libc.fflush(None)", None),
    ("print(os.environ['MY_SERVICE_API_KEY'])", "****"),
], ids=["print", "stderr", "two-pieces", "two-flushes", "char-by-char", "shell-echo", "os-system", "c-level",
        "known-non-hf-secret"])
def test_streams_are_masked(kernel, code, expect):
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert not _leaks(msgs), [m["content"] for m in outputs(msgs)]
    text = stream_text(msgs) + stream_text(msgs, "stderr")
    if expect:
        assert expect in text
    assert outputs(msgs), "the cell produced no output at all"


def test_reversed_literal_is_masked_when_printed(kernel):
    # The cell's text holds no token: it is built at run time from a variable (a reversed *constant*,
    # '"..."[::-1]', is folded and blocked by the guard: see test_guard).
    code = f's = "{UNKNOWN[::-1]}"\nprint(s[::-1])'
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok"
    assert not _leaks(msgs)
    assert "hf_****" + UNKNOWN[-4:] in stream_text(msgs)


def test_displays_and_results_are_masked(kernel):
    code = ("from IPython.display import display, HTML\n"
            "display({'text/plain': t, 'text/html': f'<b>{t}</b>', 'application/json': {'k': [t, {'n': t}]}},"
            " raw=True)\n"
            "display(HTML(f'<i>{t}</i>'))\n"
            "h = display('first ' + t, display_id=True)\n"
            "h.update('second ' + t)\n"
            "t")
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok"
    kinds = [m["msg_type"] for m in outputs(msgs)]
    assert kinds.count("display_data") == 3 and "update_display_data" in kinds and "execute_result" in kinds
    assert not _leaks(msgs), [m["content"] for m in outputs(msgs)]
    first = next(m for m in msgs if m["msg_type"] == "display_data")["content"]["data"]
    assert set(first) == {"text/plain", "text/html", "application/json"}
    assert "hf_****" in first["text/html"] and first["application/json"]["k"][1]["n"].startswith("hf_****")
    result = next(m for m in msgs if m["msg_type"] == "execute_result")
    assert "hf_****" in result["content"]["data"]["text/plain"]


def test_errors_are_masked_in_iopub_and_reply(kernel):
    msgs, reply = run(kernel, "def f(x):\n    raise ValueError(f'bad token {x}')\nf(t)")
    err = [m for m in msgs if m["msg_type"] == "error"]
    assert err and "hf_****" in err[0]["content"]["evalue"]
    assert reply["content"]["status"] == "error" and "hf_****" in reply["content"]["evalue"]
    assert not _leaks(msgs) and not _leaks(reply)


def test_blocked_cell_sends_nothing_and_leaves_no_history(kernel):
    n_before = len(SEEN)
    msgs, reply = run(kernel, f'leaked_var = "{CANARY}"\nprint("this must not run")')
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "CellRejected"
    assert "this must not run" not in stream_text(msgs)
    shown = json.dumps([m["content"] for m in outputs(msgs)])
    assert "hfsecure blocked this cell" in shown and "settings/tokens" in shown
    # execute_input is broadcast before any hook runs; the Session.send net masks it too
    echo = next(m for m in msgs if m["msg_type"] == "execute_input")
    assert "hf_****" in echo["content"]["code"]
    assert not _leaks(SEEN[n_before:])
    check = ("import os, time, sqlite3\n"
             "tok = os.environ['HF_TOKEN']; hm = get_ipython().history_manager\n"
             "deadline = time.time() + 60\n"
             "while hm.db_input_cache and time.time() < deadline: time.sleep(0.02)\n"
             "places = repr(In) + repr(_ih) + repr(hm.input_hist_raw) + repr([v for k, v in globals().items()"
             " if k.startswith('_i')])\n"
             "rows = sqlite3.connect(str(hm.hist_file)).execute('select source, source_raw from history').fetchall()\n"
             "raw = open(hm.hist_file, 'rb').read()\n"
             "print('ns', 'LEAK' if tok in places else 'CLEAN', 'db', 'LEAK' if tok in repr(rows) else 'CLEAN',"
             " 'file', 'LEAK' if tok.encode() in raw else 'CLEAN', 'var', 'leaked_var' in globals(), len(rows) > 0)")
    msgs, reply = run(kernel, check)
    assert stream_text(msgs).split() == ["ns", "CLEAN", "db", "CLEAN", "file", "CLEAN", "var", "False", "True"]


def test_hub_error_shows_the_diagnosis(kernel):
    code = ("from huggingface_hub.errors import LocalTokenNotFoundError\n"
            "raise LocalTokenNotFoundError(f'Token is required, but no token found ({t})')")
    for _ in range(2):  # first: the cell that imports huggingface_hub; then: the custom exception slot
        msgs, reply = run(kernel, code)
        err = [m for m in msgs if m["msg_type"] == "error"]
        assert err, [m["msg_type"] for m in msgs]
        tb = "\n".join(err[0]["content"]["traceback"])
        assert "fix:" in tb and "login" in tb and "%tb" in tb
        assert "Traceback" not in tb and len(err[0]["content"]["traceback"]) <= 8
        assert not _leaks(msgs) and not _leaks(reply)
    msgs, _ = run(kernel, "print(type(get_ipython().CustomTB).__name__, get_ipython().custom_exceptions != ())")
    assert stream_text(msgs).split() == ["method", "True"]


def test_token_followed_by_keyword_characters_is_masked(kernel):
    # A token whose body ends in "hf", written with "_backup" after it: the holdback looked at the
    # last "hf_" only and released the first part of the token.
    code = "import os, sys; u = os.environ['HF_TOKEN'][:-2] + 'hf'\nsys.stdout.write(u + '_backup'); sys.stdout.flush()"
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok"
    text = stream_text(msgs)
    assert CANARY[:-2] not in text and CANARY[3:20] not in text and text.endswith("_backup"), text


def test_input_prompt_is_masked_on_the_stdin_channel(kernel):
    import queue

    kernel.allow_stdin = True
    msg_id = kernel.execute("import os; x = input('token ' + os.environ['HF_TOKEN'] + ' ok? ')", allow_stdin=True)
    req = kernel.get_stdin_msg(timeout=30)
    SEEN.append(req)
    assert req["msg_type"] == "input_request"
    assert CANARY not in req["content"]["prompt"] and "hf_****" in req["content"]["prompt"]
    kernel.input("y")
    while True:
        reply = kernel.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok"
    try:
        while True:
            SEEN.append(kernel.get_iopub_msg(timeout=1))
    except queue.Empty:
        pass


def test_token_written_by_a_thread_after_the_cell_is_masked(kernel):
    import queue
    import time

    code = ("import os, sys, threading, time\nt = os.environ['HF_TOKEN']\n"
            "def w():\n    for ch in t + ' done\\n':\n        sys.stdout.write(ch); sys.stdout.flush(); time.sleep(0.01)\n"
            "threading.Thread(target=w).start(); time.sleep(0.1)")
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok"
    late = []
    deadline = time.time() + 10
    while "done" not in stream_text(msgs + late) and time.time() < deadline:
        try:
            late.append(kernel.get_iopub_msg(timeout=1))
        except queue.Empty:
            pass
    SEEN.extend(late)
    text = stream_text(msgs + late)
    assert "done" in text
    body = CANARY[3:]
    assert not any(body[k:k + 6] in text for k in range(len(body) - 5)), text


def _comm_msgs(msgs: list[dict]) -> list[dict]:
    return [m for m in msgs if m["msg_type"].startswith("comm_")]


def test_widget_and_user_comm_messages_are_masked(kernel):
    """A Text widget holding the token, a Password widget set after display, a comm opened by user code:
    the browser gets the mask, the kernel keeps the value (issue 11.7)."""
    msgs, reply = run(kernel, "import ipywidgets as w, os\nt = os.environ['HF_TOKEN']\n"
                              "box = w.Text(value=t); display(box)\npw = w.Password(); display(pw)")
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = _comm_msgs(msgs)
    assert opens and not _leaks(opens) and "hf_****" in json.dumps(opens, default=str)
    msgs, _ = run(kernel, "pw.value = t\nbox.value = t + ' '\nfrom comm import create_comm\n"
                          "c = create_comm(target_name='user.comm', data={'token': t})\nc.send({'again': [t]})\n"
                          "print(box.value.strip() == t, pw.value == t)")
    comms = _comm_msgs(msgs)
    assert len(comms) >= 4 and not _leaks(comms)
    assert stream_text(msgs).split() == ["True", "True"]


def test_nothing_leaked_anywhere(kernel):
    """The final sweep over every message of every cell above (iopub and shell replies)."""
    msgs, _ = run(kernel, "print('done')")
    assert len(SEEN) > 50
    leaks = [(m["msg_type"], _leaks(m)) for m in SEEN if _leaks(m)]
    assert not leaks, leaks


def test_unload_in_the_kernel_removes_the_hooks(kernel):
    code = ("import sys\nip = get_ipython()\n"
            "%unload_ext hfsecure_jupyter\n"
            "from hfsecure_jupyter.kernel.extension import get_state\n"
            "ours = lambda f: 'hfsecure' in getattr(f, '__module__', '') or 'OutputRedaction' in f.__qualname__\n"
            "print(get_state(ip) is None, ours(ip._showtraceback), ours(ip.kernel.session.send),"
            " any(type(getattr(h, '__self__', None)).__name__ == 'OutputRedaction' for h in ip.display_pub._hooks))")
    msgs, reply = run(kernel, code)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stream_text(msgs).split() == ["True", "False", "False", "False"]
    msgs, _ = run(kernel, f'print("{UNKNOWN[::-1]}"[::-1])')  # now unprotected: the canary gets out
    assert UNKNOWN in stream_text(msgs)
    SEEN.clear()

