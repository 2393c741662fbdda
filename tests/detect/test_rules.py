"""Rules as data: every rule finds its own kind, and the validators never reject random bodies."""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.engine import raw_candidates
from hfsecure_jupyter.detect.misuse import MISUSE_RECORDS
from hfsecure_jupyter.detect.rules import RULES, looks_like_placeholder, rule_by_id
from hfsecure_jupyter.testing import FAKE_KINDS, fake_token

KIND_TO_RULE = {"hf": "hf-user-token", "hf-org": "hf-org-token", "openai": "openai-api-key",
                "anthropic": "anthropic-api-key", "github": "github-token",
                "github-fine-grained": "github-fine-grained-token", "aws": "aws-access-key-id",
                "google": "google-api-key", "slack": "slack-token", "replicate-api-token": "replicate-api-token",
                "groq-api-key": "groq-api-key", "langsmith-api-key": "langsmith-api-key",
                "tavily-api-key": "tavily-api-key", "pinecone-api-key": "pinecone-api-key",
                "perplexity-api-key": "perplexity-api-key", "bearer-token": "bearer-token"}
# Rules found by their context (a secret-named variable), not in prose: their samples say where.
CONTEXT_KINDS = {"assigned-secret": "assigned-secret", "keyed-secret": "keyed-secret"}


def test_every_rule_has_a_fake_kind_and_is_data():
    assert set(KIND_TO_RULE.values()) | set(CONTEXT_KINDS.values()) == {r.id for r in RULES}
    assert set(KIND_TO_RULE) | set(CONTEXT_KINDS) == set(FAKE_KINDS)
    for r in RULES:
        assert r.keywords and r.description and r.revoke_url.startswith("https://")


@pytest.mark.parametrize("kind", sorted(KIND_TO_RULE))
def test_each_rule_finds_its_kind_in_quotes_and_prose(kind):
    for seed in range(20):
        secret = fake_token(kind, seed=seed)
        for text in (f'key = "{secret}"', f"use {secret} here", f"{secret}"):
            found = detect.scan_text(text)
            assert [f.rule for f in found] == [KIND_TO_RULE[kind]], (text, found)
            assert secret not in repr(found)


@pytest.mark.parametrize("kind", ["hf", "hf-org", "github", "github-fine-grained", "aws", "google"])
def test_fixed_length_rules_refuse_a_longer_run(kind):
    secret = fake_token(kind, seed=1)
    assert detect.scan_text("x" + secret) == []
    assert detect.scan_text(secret + "Q7") == []
    assert len(detect.scan_text(" " + secret + " ")) == 1


@pytest.mark.parametrize("digits", [False, True])
def test_random_hf_bodies_are_never_placeholders(digits):
    # The product must not miss real tokens: 20,000 random bodies, none rejected.
    rng = random.Random(2026 + digits)
    alphabet = string.ascii_letters + (string.digits if digits else "")
    rule = rule_by_id("hf-user-token")
    rejected = 0
    for _ in range(20_000):
        body = "".join(rng.choice(alphabet) for _ in range(34))
        if not (any(c.islower() for c in body) and any(c.isupper() for c in body)):
            continue  # one in 10^10: not a real token shape
        rejected += not rule.validator(body)
    assert rejected == 0


@pytest.mark.parametrize("body", ["x" * 34, "abcdefghijklmnopqrstuvwxyzABCDEFGH", "AutoModelForSequenceClassification",
                                  "ThisIsMyExampleTokenValue12345678", "aAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaA",
                                  "0123456789" * 3 + "abcd", "YourTokenGoesHereReplaceMeNowPlease"])
def test_placeholders_and_words_are_rejected(body):
    assert looks_like_placeholder(body)


def test_single_case_body_is_not_an_hf_token():
    assert detect.scan_text("hf_" + fake_token(seed=4)[3:].lower()) == []
    assert detect.scan_text("hf_" + fake_token(seed=4)[3:].upper()) == []


def test_aws_example_key_is_allowed():
    assert detect.scan_text("AKIA" + "IOSFODNN7" + "EXAMPLE") == []


# -- every rule is checked against its own samples -----------------------------------------------------------

ALL_RULES = [*RULES, *MISUSE_RECORDS]


def test_every_rule_carries_samples_and_ids_are_unique():
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids))
    for r in ALL_RULES:
        true, false = r.samples()
        assert true and false, r.id


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_rule_finds_its_true_samples_and_not_its_false_ones(rule):
    for seed in range(3):
        true, false = rule.samples(seed)
        token = rule.make_fake(random.Random(seed)) if rule.kind == "secret" else ""
        for text in true:
            if rule.kind == "secret":
                found = detect.scan_text(text) + detect.scan_cell(text)
                assert rule.id in {f.rule for f in found}, (rule.id, text)
                assert detect.might_contain_secret(text) and raw_candidates(json.dumps(text).encode()), text
                masked = detect.redact(text)
                assert token not in masked and token[-4:] in masked or len(token) < 16
                if rule.context is None:  # a bare token of a prefix rule is masked too (keeping its prefix)
                    assert token[:rule.prefix_len] + "****" in detect.redact(token)
                assert token not in repr(found)
            else:
                assert rule.id in {f.rule for f in detect.scan_misuse(text)}, (rule.id, text)
        for text in false:
            found = (detect.scan_misuse(text) if rule.kind == "misuse"
                     else detect.scan_text(text) + detect.scan_cell(text))
            assert rule.id not in {f.rule for f in found}, (rule.id, text)


def test_the_engine_tables_are_derived_from_the_records():
    import importlib

    engine, redact, rules = (importlib.import_module(f"hfsecure_jupyter.detect.{m}")
                             for m in ("engine", "redact", "rules"))

    assert {r.id for g in engine._GROUPS for r in g[1]} == {r.id for r in RULES}
    assert len(engine._RAW_RULES) == len(engine._GROUPS) == len(rules.rule_groups())
    assert set(rules.RULE_KEYWORDS) <= set(engine.KEYWORDS)
    assert all(k in rules.MASK_PREFIXES for k in rules.RULE_KEYWORDS)
    assert redact._RULE_KEYWORDS is rules.RULE_KEYWORDS
    assert set(FAKE_KINDS) == {r.fake_kind for r in RULES}


_NEW_RULE = '''
    token_rule(
        "acme-api-key", "Acme API key", ("acme_",), "[A-Za-z0-9]{30}", provider="Acme",
        revoke_url="https://acme.example/keys", fake_kind="acme", fake=("ac" + "me_", (_ALNUM, 30)),
    ),
'''

_CHECK_NEW_RULE = '''
import json
from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.engine import prefilter_mask, raw_candidates
from hfsecure_jupyter.testing import fake_token
tok = fake_token("acme", seed=1)
text = 'client = Acme(key="' + tok + '")'
out = {
    "found": [f.rule for f in detect.scan_cell(text)],
    "prefiltered": [detect.might_contain_secret(text), detect.might_contain_secret("client = Acme()"),
                    bool(prefilter_mask(text)), raw_candidates(json.dumps({"source": [text]}).encode())],
    "masked": detect.redact(text) == 'client = Acme(key="acme_****' + tok[-4:] + '")',
    "preview": detect.mask_secret(tok) == "acme_****" + tok[-4:],
    "leaked": tok in repr(detect.scan_cell(text)),
}
print(json.dumps(out))
'''


def test_adding_a_token_kind_is_one_edit(tmp_path):
    # One record added to RULES in rules.py (in a copy of the package): found, prefiltered, masked, faked.
    import hfsecure_jupyter

    pkg = os.path.dirname(hfsecure_jupyter.__file__)
    copy = tmp_path / "hfsecure_jupyter"
    shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("__pycache__", "labextension", "static", "node_modules"))
    rules_py = copy / "detect" / "rules.py"
    source = rules_py.read_text()
    marker = "\n)\n# Rules found by their context"  # the end of the RULES tuple
    assert source.count(marker) == 1
    rules_py.write_text(source.replace(marker, _NEW_RULE.rstrip("\n") + marker))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", _CHECK_NEW_RULE], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result == {"found": ["acme-api-key"], "prefiltered": [True, False, True, True], "masked": True,
                      "preview": True, "leaked": False}


def _regexes():

    atom = st.sampled_from(["a", "\\-", "\\d", "[A-Za-z0-9]", "[0-9a-f_]", "[\\]x]", "_", "-"])
    rep = st.sampled_from(["", "?", "{3}", "{2,7}", "{16,500}"])
    leaf = st.builds(lambda a, r: a + r, atom, rep)
    return st.recursive(st.lists(leaf, min_size=1, max_size=4).map("".join),
                        lambda inner: st.builds(lambda alts, r: "(?:" + "|".join(alts) + ")" + r,
                                                st.lists(inner, min_size=1, max_size=3), rep)
                        | st.lists(inner, min_size=1, max_size=3).map("".join), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(_regexes())
def test_the_width_of_a_rule_pattern_is_the_regex_parsers(rx):
    # (Read without the regex parser at start-up; anything outside its subset goes to the parser.)
    from re import _parser

    from hfsecure_jupyter.detect import rules

    assert rules._max_width(rx) == _parser.parse(rx).getwidth()[1]
    assert rules._max_width(rx + "*") is None and rules._max_width("(" + rx + ")") is None


def test_the_alphabets_are_read_without_compiling_them():
    import re

    from hfsecure_jupyter.detect import rules

    for alphabet in {r.alphabet for r in rules.RULES} | {"a-c_\\-", "\\-a", "+/=", "0-9a-f"}:
        assert rules._class_members(alphabet) == frozenset(re.findall("[" + alphabet + "]", rules._PRINTABLE))
    assert rules._class_members("^a") is None and rules._class_members("\\w") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["sk-", "proj-", "T3Blbk", "FJ", "T3BlbkFJ", "a1B2c3D4e5F6g7H8", "-", "_", " ", '"']),
                max_size=24).map("".join))
def test_a_rule_with_a_marker_finds_what_its_pattern_finds(text):
    # A text without the marker is not matched at all: the marker must be in every secret of the rule.
    rule = rule_by_id("openai-api-key")
    assert rule.marker and rule.marker in rule.pattern.pattern
    expected = [m.span() for m in rule.pattern.finditer(text) if rule.validator(m.group("body"))]
    assert [m.span() for m in rule.finditer(text)] == expected
    assert [(h.start, h.end) for h in detect.find_secrets(text) if h.rule is rule] == expected


def test_every_marker_is_in_each_fake_secret_of_its_rule():
    import random

    for rule in RULES:
        if rule.marker:
            assert all(rule.marker in rule.make_fake(random.Random(seed)) for seed in range(20)), rule.id


@pytest.mark.parametrize("rule", [r for r in RULES if r.fake and r.context is None], ids=lambda r: r.id)
def test_a_keyword_is_a_boundary_after_an_escape_and_not_after_a_letter(rule):
    # (The rules with several keywords look behind after the whole keyword: the width must be its own.)
    import random

    t = rule.make_fake(random.Random(11))
    spans = lambda text: [(m.start(), m.end()) for m in rule.finditer(text)]  # noqa: E731
    assert spans("x" + t) == [] and spans("7" + t) == []
    for escape in ("\\n", "\\x3d", "\\u003d", "%3D", "%253D", "\\076", " ", "="):
        assert spans(escape + t) == [(len(escape), len(escape) + len(t))], escape


# Pieces of names, closers, operators and values: the context rules' matches, many to a text.
_CONTEXT_PIECES = ['"sha"', '"api_key"', "api", "key", "KEY", "Token", "tokens", "_", "-", "pad_token", "auth",
                   "x", "9", " ", "\t", ":", "=", '"', "'", "]", '\\"', "\n", "passwd", "_ids", "r",
                   ': "a1b2c3d4e5f6a7b8c9d0"', "= 'f00dfeedbeef12345678'", ': "hf_abcdefghijklmn0pqrst"']


def _context_reference(rule, text: str) -> list:
    # Rule.finditer as it was: the name before every match read by the Python loop.
    out = []
    for m in rule.pattern.finditer(text):
        if m.group("body").startswith(detect.rules.RULE_KEYWORDS):
            continue
        if rule.context.search(text, max(0, m.start() - 96), m.start()) is not None and rule.validator(m.group("body")):
            out.append(m.span())
    return out


_NAME_SEGMENTS = st.sampled_from(["HF", "TOKEN", "key", "Key", "api", "API", "tokens", "SECRET", "secrets", "pwd",
                                  "Passwd", "password", "auth", "AUTH", "credential", "Credentials", "ids", "pad",
                                  "x1", "keys", "tokenizer", "authkey", "", "9"])
_NAMES = st.lists(st.tuples(_NAME_SEGMENTS, st.sampled_from(["_", "-", ""])), max_size=5).map(
    lambda parts: "".join(a + b for a, b in parts))


_PAIRS = st.tuples(_NAMES, st.sampled_from(["", '"', "'", '"]', "]", '\\"']), st.sampled_from(["", " ", "\t "]),
                   st.sampled_from([':', '=']), st.sampled_from([' "a1b2c3d4e5f6a7b8c9d0"', "'q7Zx91KmP2vR8sLw4TnE'"])
                   ).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CONTEXT_PIECES) | _PAIRS, min_size=5, max_size=60).map("".join))
def test_context_rules_find_what_the_python_name_check_finds(text):
    # Past a few matches, a C match in the reversed text turns down names without a secret word; it
    # must be a superset of the Python check (same matches; the first few lines pass the fast test by).
    text = ('"sha": "a1b2c3d4e5f6a7b8c9d0"\n' + "x = 'f00dfeedbeef12345678'\n") * 8 + text
    for rid in ("assigned-secret", "keyed-secret"):
        rule = rule_by_id(rid)
        assert [m.span() for m in rule.finditer(text)] == _context_reference(rule, text)


@settings(max_examples=300, deadline=None)
@given(_NAMES | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", max_size=40),
       st.sampled_from(["", '\\"]', '"]', "']", "]", '\\"', '"', "'"]), st.sampled_from(["", " ", " \t "]))
def test_the_reversed_name_match_accepts_every_secret_name(name, closer, spaces):
    from hfsecure_jupyter.detect.rules import _NameContext

    c = _NameContext()
    for text in (name + closer + spaces, "x = " + name + closer + spaces, name.upper() + closer + spaces):
        if c.search(text, max(0, len(text) - 96), len(text)) is not None:
            assert c.name_test(text)(len(text)), text
