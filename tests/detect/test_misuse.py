"""Misuse that leaks a token without a literal: warnings with a fix, never errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.misuse import MISUSE_RULES, is_secret_name, might_misuse


@pytest.mark.parametrize("src,rule", [
    ('run_job(image="python:3.12", command=["python"], env={"HF_TOKEN": get_token()})', "secret-in-job-env"),
    ('api.run_uv_job("train.py", env={"HF_TOKEN": os.environ["HF_TOKEN"]})', "secret-in-job-env"),
    ('hf_jobs("uv", {"script": "x.py", "env": {"HF_TOKEN": "$HF_TOKEN"}})', "secret-in-job-env"),
    ('run_job(image="x", command=["y"], env={"WANDB_API_KEY": key})', "secret-in-job-env"),
    ('create_scheduled_job(image="x", command=["y"], schedule="@daily", env={"T": hf_token})', "secret-in-job-env"),
    ("!hf jobs run -e HF_TOKEN python:3.12 python -c 'print(1)'", "secret-in-job-cli-env"),
    ("!hf jobs uv run --env HF_TOKEN=$HF_TOKEN train.py", "secret-in-job-cli-env"),
    ("!hf auth token", "token-printed-by-cli"),
    ("!huggingface-cli auth token", "token-printed-by-cli"),
    ("print(get_token())", "secret-echoed"),
    ('os.environ["HF_TOKEN"]', "secret-echoed"),
    ('tok = get_token()\nprint(f"using {tok}")', "secret-echoed"),
    ("%env HF_TOKEN", "secret-echoed"),
    ("!echo $HF_TOKEN", "secret-echoed"),
    ("!printenv HF_TOKEN", "secret-echoed"),
    ("print(os.environ)", "secret-echoed"),
    ('logger.info("token %s", os.getenv("HF_TOKEN"))', "secret-echoed"),
    ('display(userdata.get("HF_TOKEN"))', "secret-echoed"),
])
def test_misuse_is_a_warning_with_a_fix(src, rule):
    found = detect.scan_python(src)
    assert [f.rule for f in found] == [rule]
    [f] = found
    assert f.kind == "misuse" and f.severity == "warning" and not f.is_secret
    assert f.fix == MISUSE_RULES[rule][1] and f.message == MISUSE_RULES[rule][0]


@pytest.mark.parametrize("src", [
    'run_job(image="x", command=["y"], env={"DEBUG": "1"}, secrets={"HF_TOKEN": get_token()})',
    'hf_jobs("uv", {"script": "x.py", "secrets": {"HF_TOKEN": "$HF_TOKEN"}})',
    "!hf jobs uv run --secrets HF_TOKEN train.py",
    "!hf auth whoami",
    "for token in tokenizer(text):\n    print(token)",
    "pad_token = tokenizer.pad_token\nprint(pad_token)",
    'os.environ["TOKENIZERS_PARALLELISM"] = "false"\nprint(os.environ["TOKENIZERS_PARALLELISM"])',
    'login(token=os.environ["HF_TOKEN"])',
    'tok = get_token()\napi = HfApi(token=tok)',
    "%env TOKENIZERS_PARALLELISM=false",
])
def test_safe_code_is_quiet(src):
    assert detect.scan_python(src) == []


def test_misuse_preview_never_shows_a_literal(tok):
    found = detect.scan_python(f'run_job(image="x", command=["y"], env={{"HF_TOKEN": "{tok}"}})')
    assert {f.rule for f in found} == {"hf-user-token", "secret-in-job-env"}
    for f in found:
        assert tok not in repr(f) and tok not in f.preview


def test_names():
    assert is_secret_name("HF_TOKEN") and is_secret_name("WANDB_API_KEY") and is_secret_name("db_password")
    assert not is_secret_name("TOKENIZERS_PARALLELISM") and not is_secret_name("KEYBOARD")
    assert not might_misuse("x = 1\nprint(x)")


@pytest.mark.parametrize("cell,rule", [
    ("%%bash\nprintenv HF_TOKEN\necho done", "secret-echoed"),
    ("%%bash\nhf auth token\nls", "token-printed-by-cli"),
    ("%%sh\necho $HF_TOKEN", "secret-echoed"),
    ("%%bash\nhf jobs run -e HF_TOKEN python:3.12 true", "secret-in-job-cli-env"),
])
def test_misuse_in_shell_cell_magic_bodies(cell, rule):
    assert [f.rule for f in detect.scan_python(cell)] == [rule]
    assert detect.scan_python("%%bash\nls -la\n") == []


def test_raw_file_markers_skip_nlp_token_names_but_keep_token_variables():
    from hfsecure_jupyter.detect.misuse import might_misuse_bytes

    for clean in (b"ids = tokenizer.pad_token_id", b"x = mask_token", b"tokenizer.eos_token", b"hf_token_id = 3"):
        assert not might_misuse_bytes(clean), clean
    for leaky in (b"print(hf_token)", b"get_token()", b"!hf auth token", b"access_token = x", b"HF_TOKEN"):
        assert might_misuse_bytes(leaky), leaky


# Issue 7 item 5: forms that show nothing (each was a false secret-echoed or AWS finding).
@pytest.mark.parametrize("src", [
    'with open("token.txt", "w") as f:\n    f.write(os.environ["HF_TOKEN"])',
    'fh = open(p, "w")\nfh.write(get_token())',
    '!echo "$KEY" | docker login -u me --password-stdin registry.example.com',
    '!echo "${HF_TOKEN}" | gcloud secrets versions add hf-token --data-file=-',
    "%%bash\necho $HF_TOKEN | sudo docker login --username u --password-stdin",
    '!echo "HF_TOKEN=$HF_TOKEN" > .env',
    '!echo "$HF_TOKEN" >> ~/.cache/huggingface/token',
    '!echo "${HF_TOKEN_SECRET_NAME}"',
    "!echo $HF_TOKEN_ID $MODEL_TOKEN_PATH $HF_TOKEN_FILE $HF_TOKEN_URL $SECRET_ENV $API_KEY_NAME",
    "print(EOS_TOKENS)",
    "EOS_TOKENS",
    "print(PAD_TOKEN, MAX_NEW_TOKENS, SPECIAL_TOKENS)",
    'print(os.environ["HF_TOKEN_PATH"])',
    'run_job(image="x", command=["y"], env={"HF_TOKEN_PATH": "/secrets/t", "MODEL_ID": "m"})',
])
def test_forms_that_show_no_secret_are_quiet(src):
    assert detect.scan_python(src) == []


@pytest.mark.parametrize("src", [
    "import sys\nsys.stdout.write(get_token())",
    "sys.stderr.write(os.environ['HF_TOKEN'])",
    "!echo $HF_TOKEN | tee token.log",
    "!echo $HF_TOKEN | cat",
    "!echo $HF_TOKEN > /dev/stdout",
    "!echo $HF_TOKEN >&2",
    "!echo $HF_TOKEN 2>/dev/null",
    "!echo $HF_TOKEN && docker login --password-stdin",
    "print(HF_TOKEN)",
    "print(HF_TOKENS)",
])
def test_forms_that_still_show_a_secret(src):
    assert [f.rule for f in detect.scan_python(src)] == ["secret-echoed"]


def test_secret_names_by_their_ending():
    for name in ("HF_TOKEN_SECRET_NAME", "HF_TOKEN_ID", "TOKEN_PATH", "API_KEY_FILE", "SECRET_URL", "HF_TOKEN_ENV",
                 "EOS_TOKENS", "bos_token", "MAX_NEW_TOKENS", "AWS_ACCESS_KEY_ID"):
        assert not is_secret_name(name), name
    for name in ("HF_TOKEN", "HF_TOKENS", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "USER_TOKEN", "ACCESS_TOKEN"):
        assert is_secret_name(name), name


def test_aws_key_id_alone_in_a_presigned_url_is_public():
    from hfsecure_jupyter.testing import fake_token

    key = fake_token("aws")
    saved = (f"--2024-05-01--  https://bucket.s3.amazonaws.com/model.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
             f"X-Amz-Credential={key}%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T000000Z")
    assert detect.scan_text(saved) == []
    assert detect.scan_text(f"https://b.s3.amazonaws.com/k?AWSAccessKeyId={key}&Expires=1&Signature=x") == []
    assert [f.rule for f in detect.scan_text(f"aws_access_key_id = {key}")] == ["aws-access-key-id"]
    assert [f.rule for f in detect.scan_text(f"X-Amz-Credential: {key}")] == ["aws-access-key-id"]


def _nb_bytes(cells: list[dict]) -> bytes:
    import json

    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1,
                      sort_keys=True).encode()


def _cell(kind: str, src: str, **extra: object) -> dict:
    cell = {"cell_type": kind, "source": src.splitlines(keepends=True), "metadata": {}, **extra}
    if kind == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    return cell


def test_raw_markers_count_only_in_code_sources_on_a_line_that_may_misuse():
    from hfsecure_jupyter.detect.misuse import might_misuse_bytes

    prose = _cell("markdown", "Set HF_TOKEN in your settings, then print(HF_TOKEN) to check.\nDone.\n")
    warning = _cell("code", "model.fit()\n", outputs=[
        {"output_type": "stream", "name": "stderr", "text": ["The `use_auth_token` argument is deprecated\n", "x\n"]}])
    quiet = _cell("code", 'assert len(HF_TOKEN) > 0, "set it"\nmodel.fit()\n')
    assert not might_misuse_bytes(_nb_bytes([prose, warning, quiet]))
    for leaky in ("print(HF_TOKEN)\nx = 1\n", "x = 1\nHF_TOKEN\n", "!echo $HF_TOKEN\nx = 1\n",
                  'run_job(\n    image="x",\n    env={"HF_TOKEN": tok},\n)\nx = 1\n',
                  'tok = os.environ["HF_TOKEN"]\nx = 1\n', "%env HF_TOKEN\nx = 1\n"):
        assert might_misuse_bytes(_nb_bytes([prose, _cell("code", leaky)])), leaky


def test_a_notebook_parsed_for_misuse_alone_reports_it_beside_large_images():
    import base64

    img = base64.b64encode(bytes(range(256)) * 400).decode()
    out = {"output_type": "display_data", "metadata": {}, "data": {"image/png": img, "text/plain": ["<Figure>"]}}
    data = _nb_bytes([_cell("code", "plot()\n", outputs=[out]), _cell("code", "print(get_token())\n")])
    found = detect.scan_notebook(data).warnings
    assert [(f.rule, f.location) for f in found] == [("secret-echoed", "cells[1].source")]


_MISUSE_LINES = ["tok = get_token()", "t2 = tok", "x = os.environ['HF_TOKEN']", "print(tok)", "print(x, y)",
                 "logger.info(f'{t2}')", "y = f(a, g(b))", "run_job(image='i', env={'HF_TOKEN': tok})",
                 "def h(a):", "return tok", "class C:", "z = print(t2)",
                 "if tok:", "display(os.environ)", "ｐｒｉｎｔ(tok)", "café = tok", "print(café)",
                 "w = [print(i) for i in (tok,)]", "s = str(tok)", "HF_TOKEN = 'x'", "print(\n  tok)", "tok"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MISUSE_LINES), min_size=1, max_size=14))
def test_calls_walked_at_their_sites_find_what_a_whole_walk_finds(lines):
    # Only the expressions whose lines hold an echo or job word are walked for calls (the whole tree cost
    # ~1 us a node); the statements are still walked whole, in ast.walk's order (taint flows the same).
    import ast

    from hfsecure_jupyter.detect import misuse as M

    out, indent = [], ""
    for line in lines:  # (each block holds the lines after it)
        out.append(indent + line.replace("\n", "\n" + indent))
        indent += "    " if line.endswith(":") else ""
    src = "\n".join(out) + ("\n" + indent + "pass\n" if lines[-1].endswith(":") else "\n")
    tree = ast.parse(src)

    def found(sites):
        return [(rule, node.lineno, node.col_offset) for rule, node in M._Analyzer(tree).run(sites)]

    assert found(M._call_sites(src)) == found(None)


def test_ordinary_calls_around_one_echo_are_not_judged_one_by_one(monkeypatch):
    from hfsecure_jupyter.detect import misuse as M

    judged = []
    call = M._Analyzer._call
    monkeypatch.setattr(M._Analyzer, "_call", lambda self, node: judged.append(node) or call(self, node))
    src = "tok = get_token()\n" + "".join(f"y{i} = f(a, g(b, key=c))\n" for i in range(2000)) + "print(tok)\n"
    assert [f.rule for f in detect.scan_misuse(src)] == ["secret-echoed"]
    assert len(judged) < 10, len(judged)  # (a whole walk: 4,001 calls)


def test_a_module_is_parsed_once_for_folding_and_misuse(tok, monkeypatch):
    from hfsecure_jupyter.detect import misuse as M
    from hfsecure_jupyter.detect import python as P

    parses = []
    real = M.parse_or_none
    counted = lambda py: parses.append(1) or real(py)  # noqa: E731
    monkeypatch.setattr(M, "parse_or_none", counted)
    monkeypatch.setattr(P, "parse_or_none", counted)
    src = f'key = "%s%s" % ("{tok[:9]}", "{tok[9:]}")\nprint(get_token())\nrun_job(env={{"HF_TOKEN": get_token()}})\n'
    assert {f.rule for f in detect.scan_python(src)} == {"hf-user-token", "secret-echoed", "secret-in-job-env"}
    assert len(parses) == 1


def test_simple_statements_with_no_site_are_visited_not_walked(monkeypatch):
    # The statement walk visits every statement (assignments taint names) but walks into a simple one only
    # when its lines hold a site: a walk of every node cost ~1 us a node.
    import ast

    src = "tok = get_token()\n" + "".join(f"y{i} = f(a, g(b, key=c))\nimport m{i}\n" for i in range(1000)) + "print(tok)\n"
    walked = []
    real = ast.iter_child_nodes
    monkeypatch.setattr(ast, "iter_child_nodes", lambda node: walked.append(node) or real(node))
    assert [f.rule for f in detect.scan_misuse(src)] == ["secret-echoed"]
    assert len(walked) < 50, len(walked)  # (a walk of every statement: 2,002 of them)


@pytest.mark.parametrize("module", ["ast", "inspect", "json.decoder", "argparse"])
def test_every_statement_is_visited_in_the_order_ast_walk_takes(module):
    import ast
    import importlib
    import random

    from hfsecure_jupyter.detect import misuse as M

    with open(importlib.import_module(module).__file__, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    expected = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    rng = random.Random(module)
    for sites in ([], sorted(rng.sample(range(1, expected[-1].lineno + 1), 20))):
        seen: list = []
        list(M.expressions_at(tree, sites, seen.append))
        assert [n for n in seen if isinstance(n, ast.stmt)] == expected
