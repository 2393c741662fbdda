"""The guard blocks cells that hold a secret before any statement runs, and scrubs them from history."""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import string
import time

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.kernel import extension, guard
from hfsecure_jupyter.testing import fake_token


SENTINEL = "ran_{n} = True"


def _cases() -> list[tuple[str, str, list[str]]]:
    """(id, cell, secrets that must not survive) for every SCANNING.md row that is a cell, and more forms."""
    letters = fake_token(digits=False)
    digits = fake_token(digits=True)
    org = fake_token("hf-org", digits=False)
    t = fake_token()
    b64 = base64.b64encode(t.encode()).decode()
    pct = "hf%5F" + letters[3:]
    zw = "\u200b".join(t)
    esc = "\x1b"
    return [
        ("row1-login", f'login(token="{letters}")', [letters]),
        ("row3-digits", f'HF = "{digits}"', [digits]),
        ("row4-git-url", f"!git clone https://u:{t}@huggingface.co/spaces/u/x", [t]),
        ("row6-concat", f'tok = "{t[:12]}" + "{t[12:]}"', [t]),
        ("row7-implicit-join", f'tok = (\n    "{t[:15]}"\n    "{t[15:]}"\n)', [t]),
        ("row8-base64", f'import base64\ntok = base64.b64decode("{b64}")', [t, b64]),
        ("row9-percent", f'url = "https://huggingface.co/api/models?token={pct}"', [letters, pct]),
        ("row12-ansi-bearer", f"# {esc}[31m{{'authorization': 'Bearer {t}'}}{esc}[0m", [t]),
        ("row14-zero-width", f'tok = "{zw}"', [t, zw]),
        ("row15-legacy-org", f'import os\nos.environ["X"] = "{org}"', [org]),
        ("bash-magic", f"%%bash\necho {t}", [t]),
        ("script-magic", f"%%script python3\nprint('{t}')", [t]),
        ("shell-line", f"!echo {t}", [t]),
        ("shell-assign", f"out = !echo {t}", [t]),
        ("env-magic", f"%env HF_TOKEN={t}", [t]),
        ("comment", f"x = 1  # my token is {t}", [t]),
        ("time-magic", f'%%time\ntok = "{t}"', [t]),
        ("writefile-magic", f"%%writefile /tmp/hfsecure-should-not-exist.txt\n{t}", [t]),
        ("markdown-in-string", f'note = """your token ({t}) was saved"""', [t]),
        # issue 7 item 12: f-strings made of constants, and other constant expressions (item 2)
        ("fstring-constants", f"tok = f\"{{'{t[:12]}'}}{{'{t[12:]}'}}\"", [t, t[12:]]),
        ("percent-format", f'tok = "%s%s" % ("{t[:12]}", "{t[12:]}")', [t, t[12:]]),
        ("str-format", f'tok = "{{}}{{}}".format("{t[:12]}", "{t[12:]}")', [t, t[12:]]),
        ("reversed-literal", f"tok = {t[::-1]!r}[::-1]", [t, t[::-1]]),
        # issue 8 item 5: a split token in a cell that does not tokenize (the SyntaxError would show it)
        ("split-missing-paren", f'login(token="{t[:12]}" + "{t[12:]}"', [t, t[12:]]),
        ("split-bad-indent", f'if True:\n    x = 1\n  tok = "{t[:12]}" + "{t[12:]}"', [t, t[12:]]),
    ]


CASES = _cases()


@pytest.mark.parametrize("case_id,cell,secrets", CASES, ids=[c[0] for c in CASES])
def test_cell_with_secret_is_blocked_and_scrubbed(ip, state, capsys, history_of, case_id, cell, secrets):
    n = ip.execution_count
    source = f"{SENTINEL.format(n=n)}\n{cell}" if not cell.startswith("%%") else cell
    r = ip.run_cell(source, store_history=True)
    out = capsys.readouterr()
    assert isinstance(r.error_before_exec, guard.CellRejected), (case_id, r)
    assert f"ran_{n}" not in ip.user_ns  # no statement of it ran
    assert not os.path.exists("/tmp/hfsecure-should-not-exist.txt")
    shown = out.out + out.err
    assert "hfsecure blocked this cell" in shown
    assert "huggingface.co/settings/tokens" in shown or "revoke" in shown
    assert "hfsecure: allow" in shown and "HF_TOKEN" in shown and "login()" in shown
    assert "****" in shown
    assert len(shown.splitlines()) <= 25  # one screen
    kept = history_of(ip)
    for s in secrets:
        assert s not in shown
        assert s not in kept, f"{case_id}: secret left in history"
    assert str(n) and state.last_rejection is not None
    assert state.last_rejection.execution_count == n
    assert all(s not in repr(state.last_rejection) for s in secrets)
    # The masked cell is still there to look at. (The last entry, not In[n]: IPython 8 counts a
    # rejected cell twice, so its In list and execution_count drift apart; IPython 9 does not.)
    assert "****" in ip.user_ns["In"][-1]


def test_rejection_says_where_and_what(ip, capsys):
    t = fake_token()
    r = ip.run_cell(f'a = 1\nb = 2\nlogin(token="{t}")', store_history=True)
    shown = capsys.readouterr().out
    assert isinstance(r.error_before_exec, guard.CellRejected)
    assert "line 3" in shown and detect.mask_secret(t) in shown
    assert "Hugging Face user access token" in shown
    assert "Anyone who finds a leaked Hugging Face token can have it revoked" in shown
    assert t not in str(r.error_before_exec) and detect.mask_secret(t) in str(r.error_before_exec)


def _clean_cells() -> list[tuple[str, str]]:
    fill = "hf_" + "x" * 34
    seq = "hf_" + string.ascii_lowercase + string.ascii_uppercase[:8]
    ident = "hf_" + "AutoModelFor" + "SequenceClassification"
    return [
        ("row16-placeholders", 'a = "$HF_TOKEN"; b = "${HF_TOKEN}"; c = "{{ secrets.HF_TOKEN }}"'),
        ("row17-fills", f'a = "{fill}"; b = "hf_xxxxx"; c = "hf_..."; d = "hf_abc123..."'),
        ("row18-sequence", f'a = "{seq}"'),
        ("row19-identifiers", f"{ident} = 1\nclass P:\n    def _call_hf_processor(self): return 2\n"
                              "v = P()._call_hf_processor()"),
        ("row20-lookups", 'import os\nclass U:\n    def get(self, k): return None\nuserdata = U()\n'
                          'def get_token(): return None\n'
                          'a = os.environ.get("HF_TOKEN"); b = userdata.get("HF_TOKEN"); c = get_token()'),
        ("plain", "x = 1"),
        ("magics", "%time y = 2\n%env SOME_FLAG=1"),
        ("time-cell", "%%time\nz = 3"),
    ]


@pytest.mark.parametrize("case_id,cell", _clean_cells(), ids=[c[0] for c in _clean_cells()])
def test_clean_cells_run_unchanged(ip, capsys, case_id, cell):
    n = ip.execution_count
    r = ip.run_cell(f"{cell}\nclean_{n} = True", store_history=True)
    out = capsys.readouterr()
    assert r.error_before_exec is None and r.error_in_exec is None, (case_id, r)
    assert ip.user_ns[f"clean_{n}"] is True
    assert "hfsecure" not in out.err + out.out
    assert ip.history_manager.input_hist_raw[-1] == f"{cell}\nclean_{n} = True"  # kept verbatim


def test_suppressed_fake_runs(ip, capsys):
    t = fake_token()
    r = ip.run_cell(f'FAKE = "{t}"  # hfsecure: allow', store_history=True)
    assert r.success and ip.user_ns["FAKE"] == t
    assert "blocked" not in capsys.readouterr().out


def test_warn_policy_runs_masks_history_and_says_so(ip, state, capsys, history_of):
    state.settings.guard = "warn"  # takes effect on the next cell
    t = fake_token()
    r = ip.run_cell(f'WARNED = "{t}"', store_history=True)
    out = capsys.readouterr()
    assert r.success and ip.user_ns["WARNED"] == t
    assert "hfsecure warning" in out.err and detect.mask_secret(t) in out.err and t not in out.err
    assert t not in history_of(ip)


def test_off_policy_runs_silently(ip, state, capsys):
    state.settings.guard = "off"
    state.settings.misuse = "off"
    t = fake_token()
    r = ip.run_cell(f'OFF = "{t}"', store_history=True)
    assert r.success and ip.user_ns["OFF"] == t
    assert "hfsecure" not in capsys.readouterr().err


def test_policy_from_kernel_config(new_shell):
    sh = new_shell(guard="warn", misuse="block")
    try:
        st = extension.load(sh)
        assert st.settings.guard == "warn" and st.settings.misuse == "block"
        r = sh.run_cell("def get_token(): return 'x'\nprint(get_token())", store_history=True)
        assert isinstance(r.error_before_exec, guard.CellRejected) and r.error_before_exec.misuse
    finally:
        extension.unload(sh)


def test_misuse_warns_with_fix_and_runs(ip, capsys):
    r = ip.run_cell("def get_token(): return 'not-a-secret'\nprint(get_token())", store_history=True)
    out = capsys.readouterr()
    assert r.success and "not-a-secret" in out.out
    assert "hfsecure warning: this cell may leak a secret" in out.err
    assert "fix:" in out.err and "whoami" in out.err


def test_misuse_block_policy(ip, state, capsys):
    state.settings.misuse = "block"
    n = ip.execution_count
    r = ip.run_cell(f"ran_{n} = True\n!hf auth token", store_history=True)
    assert isinstance(r.error_before_exec, guard.CellRejected)
    assert f"ran_{n}" not in ip.user_ns
    assert "would leak a secret" in capsys.readouterr().out
    assert state.last_rejection.reason == "misuse"


def test_guard_crash_rejects_and_says_how_to_go_on(ip, state, capsys, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("detector exploded")

    monkeypatch.setattr(detect, "scan_python", boom)
    n = ip.execution_count
    r = ip.run_cell(f"ran_{n} = True", store_history=True)
    out = capsys.readouterr().out
    assert isinstance(r.error_before_exec, guard.GuardCheckFailed)
    assert f"ran_{n}" not in ip.user_ns
    assert "could not check this cell" in out and "%hfsecure guard off" in out and "RuntimeError" in out
    assert state.guard in ip.input_transformers_cleanup  # IPython did not drop the transformer
    assert state.last_rejection.reason == "check-failed"
    # the escape hatch still gets through
    r = ip.run_cell("%unload_ext hfsecure_jupyter", store_history=True)
    assert r.error_before_exec is None
    assert "running this command unchecked" in capsys.readouterr().err


def test_guard_crash_warn_policy_runs_unchecked(ip, state, capsys, monkeypatch):
    state.settings.guard_on_error = "warn"
    monkeypatch.setattr(detect, "scan_python", lambda *a, **k: 1 / 0)
    r = ip.run_cell("crash_ok = 1", store_history=True)
    assert r.success and ip.user_ns["crash_ok"] == 1
    assert "UNCHECKED" in capsys.readouterr().err


def test_check_complete_does_not_run_the_guard(ip):
    t = fake_token()
    assert ip.check_complete(f'x = "{t}"')[0] == "complete"
    assert ip.check_complete(f'x = ("{t}",')[0] == "incomplete"


def test_run_cell_without_history_is_guarded_too(ip):
    t = fake_token()
    r = ip.run_cell(f'NOHIST = "{t}"')
    assert isinstance(r.error_before_exec, guard.CellRejected)
    assert "NOHIST" not in ip.user_ns


def test_history_file_on_disk_never_holds_the_token(tmp_path, new_shell):
    """With a real history file the saving thread writes inputs: the token must never reach the file."""
    hist = tmp_path / "history.sqlite"
    sh = new_shell(str(hist))
    try:
        extension.load(sh)
        t = fake_token()
        for cell in (f'login(token="{t}")', "x = 1", f"!echo {t}", "y = 2"):
            sh.run_cell(cell, store_history=True)
        hm = sh.history_manager
        deadline = time.time() + 60  # a hang guard; the loop ends as soon as the cache drains
        while hm.db_input_cache and time.time() < deadline:  # the thread drains the cache
            time.sleep(0.02)
        hm.writeout_cache()
        rows = sqlite3.connect(str(hist)).execute("SELECT source, source_raw FROM history").fetchall()
        assert any("x = 1" in r[1] for r in rows)
        assert all(t not in r[0] and t not in r[1] for r in rows)
        assert t.encode() not in hist.read_bytes()
        for side in hist.parent.glob("history.sqlite*"):
            assert t.encode() not in side.read_bytes()
    finally:
        extension.unload(sh)
        sh.history_manager.end_session()
        if sh.history_manager.save_thread is not None:
            sh.history_manager.save_thread.stop()


def test_scrub_history_repairs_rows_already_written(ip, history_of):
    """The post_run_cell pass fixes copies written by other paths (e.g. a row already in the database)."""
    t = fake_token()
    hm = ip.history_manager
    n = ip.execution_count
    hm.writeout_cache()
    hm.db.execute("INSERT INTO history VALUES (?, ?, ?, ?)", (hm.session_number, 10_000 + n, f'x = "{t}"',
                                                                 f'x = "{t}"'))
    ip.user_ns["_i99999"] = f'x = "{t}"'
    guard.scrub_history(ip, {f'x = "{t}"': 'x = "hf_****"'})
    assert t not in history_of(ip)


def test_nested_magic_bodies_are_not_checked_twice(ip, state):
    before = state.guard.checks
    r = ip.run_cell("%%time\nq = 1", store_history=True)
    assert r.success
    assert state.guard.checks == before + 1


def test_mask_source_falls_back_to_placeholder(monkeypatch):
    monkeypatch.setattr(detect, "apply_edits", lambda text, edits: text)
    monkeypatch.setattr(detect.Redactor, "redact", lambda self, text: text)
    t = fake_token()
    masked = guard.mask_source(f'x = "{t}"')
    assert t not in masked and "hfsecure" in masked


def test_guard_crash_message_masks_known_env_secrets(ip, state, capsys, monkeypatch):
    other = "s3cr3t-" + secrets.token_hex(10)  # not token-shaped: only the kernel's known values catch it
    monkeypatch.setenv("WANDB_API_KEY", other)
    ip.user_ns["other"] = other

    def boom(source, *a, **k):
        raise RuntimeError(f"cannot parse {source!r}")

    monkeypatch.setattr(detect, "scan_python", boom)
    r = ip.run_cell(f"key = {other!r}", store_history=True)
    err = r.error_before_exec
    assert isinstance(err, guard.GuardCheckFailed)
    out = capsys.readouterr().out
    assert "could not check this cell" in out and "cannot parse" in out
    assert other not in out and other not in err.error_text and other not in str(err)
    assert "****" in err.error_text


def test_guard_check_failed_uses_the_given_redactor():
    other = "s3cr3t-" + secrets.token_hex(10)
    exc = guard.GuardCheckFailed(ValueError(f"near {other}"), detect.Redactor([other]))
    assert other not in exc.error_text and "near " in exc.error_text
    assert other in guard.GuardCheckFailed(ValueError(other)).error_text  # no redactor: shape-only, as before


@pytest.mark.parametrize("fill, show_last", [("[hidden]", 2), ("…", 6), ("****", 0)])
def test_block_message_and_history_follow_the_mask_settings(ip, state, capsys, history_of, fill, show_last):
    state.settings.mask_fill, state.settings.mask_show_last = fill, show_last
    t = fake_token()
    r = ip.run_cell(f'a = 1\nlogin(token="{t}")', store_history=True)
    shown = capsys.readouterr().out
    assert isinstance(r.error_before_exec, guard.CellRejected)
    want = detect.mask_secret(t, fill=fill, show_last=show_last)
    assert want in shown and want in str(r.error_before_exec) and want in state.last_rejection.summary
    if (fill, show_last) != ("****", 4):
        assert detect.mask_secret(t) not in shown
    assert want in ip.user_ns["In"][-1] and t not in history_of(ip)
    assert t[-max(show_last + 1, 5):] not in shown  # no more of it than asked for


def _rule_sample_cases() -> list[tuple[str, str, str]]:
    """(id, cell, secret) for each true sample of every token rule: the guard blocks each kind."""
    import random

    cases = []
    for rule in detect.RULES:
        token = rule.make_fake(random.Random(5))
        true, _false = rule.samples(5)
        for i, text in enumerate(true):
            cases.append((f"{rule.id}-{i}", f"x = {text!r}" if "\n" in text or "'" not in text else text, token))
    return cases


@pytest.mark.parametrize("case_id,cell,secret", _rule_sample_cases(), ids=[c[0] for c in _rule_sample_cases()])
def test_every_rule_sample_is_blocked_and_scrubbed(ip, capsys, history_of, case_id, cell, secret):
    n = ip.execution_count
    r = ip.run_cell(f"{SENTINEL.format(n=n)}\n{cell}", store_history=True)
    shown = "".join(capsys.readouterr())
    assert isinstance(r.error_before_exec, guard.CellRejected), (case_id, cell)
    assert f"ran_{n}" not in ip.user_ns
    assert "****" in shown and secret not in shown
    assert secret not in history_of(ip)
