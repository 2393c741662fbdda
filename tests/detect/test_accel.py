"""The prefilters (raw-bytes gate, str mask) are sound against the full scan, and the optional ``re2``
accelerator gives exactly the answers of the standard-library path.

Inputs are built from the rules' own true and false samples (fake secrets made at run time) embedded in
JSON and code noise, as a cell's source, a plain text, or a whole notebook's bytes.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
from typing import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect import engine
from hfsecure_jupyter.detect.rules import RULES
from hfsecure_jupyter.testing import fake_token

HAVE_RE2 = importlib.util.find_spec("re2") is not None and not os.environ.get("HFSECURE_PURE_PYTHON")
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
# What surrounds a secret in notebooks: code, JSON structure, escapes, encodings, secret-ish names.
NOISE = ['{"cells": [{"source": ["', "x = 1\n", '"id": "4f2a9b1c",', "tokenizer = AutoTokenizer()\n", " key: ",
         "= '", '\\"', "\\n", "hf_hub_download(", "password", '"api_key": ', "%5F", "\\u0068", "aGZf", "hmX",
         "\u200b", "Bearer ", "A" * 20, "0123abcdXYZ" * 3, "sk-", "  ", ":", "=", '"', "'", "\\", "auth=",
         "Authorization: ", "é", "\ud800", "# " + "lorem ipsum " * 20 + "\n"]
SAMPLES = st.builds(lambda rule, seed, true: rule.samples(seed)[0 if true else 1], st.sampled_from(RULES),
                    st.integers(0, 10_000), st.booleans()).filter(bool).flatmap(st.sampled_from)
# Also as the encodings the decoders look for: base64 (at any alignment), reversed for a [::-1] slice.
ENCODED = st.builds(lambda t, pad: base64.b64encode(pad.encode() + t.encode("utf-8", "surrogatepass")).decode(),
                    SAMPLES, st.sampled_from(["", "x", "xy"])) | SAMPLES.map(lambda t: '"' + t[::-1] + '"[::-1]')
TEXT = st.lists(st.sampled_from(NOISE) | SAMPLES | ENCODED | st.text(max_size=8), max_size=14).map("".join)


def _nb(text: str) -> bytes:
    cell = {"cell_type": "code", "source": text.splitlines(keepends=True), "metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stdout", "text": [text[::-1]]}]}
    return json.dumps({"cells": [cell], "metadata": {"k": text}, "nbformat": 4, "nbformat_minor": 5}).encode(
        "utf-8", "surrogatepass")


HAVE_HS = HAVE_RE2 and importlib.util.find_spec("hyperscan") is not None


@pytest.fixture(params=["pure", "re2", "hyperscan"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    # "re2": RE2 alone; "hyperscan": its pass first, RE2 after it (the "re2" test name kept for both).
    if request.param != "pure" and not HAVE_RE2:
        pytest.skip("google-re2 is not installed (or HFSECURE_PURE_PYTHON is set)")
    if request.param == "hyperscan" and not HAVE_HS:
        pytest.skip("hyperscan is not installed")
    saved = list(engine._ACCEL)
    accelerated = request.param != "pure"
    assert engine.use_accelerator(accelerated) == accelerated
    if request.param == "re2":
        engine._ACCEL[0].multi = None
    else:
        assert request.param == "pure" or engine._ACCEL[0].multi is not None
    yield "pure" if request.param == "pure" else "re2"
    engine._ACCEL[:] = saved


@SETTINGS
@given(TEXT)
def test_gates_never_say_clean_for_what_the_full_scan_flags(mode, text):
    raw = text.encode("utf-8", "surrogatepass")
    found = detect.scan_text(text)
    if found:
        assert detect.might_contain_secret(text) and engine.prefilter_mask(text)
    if _raw_findable(found):
        assert detect.might_contain_secret(raw) and engine.raw_candidates(raw)
    if _raw_findable(detect.scan_python(text, misuse=False)):  # ([::-1] included: the Python scan reverses)
        assert engine.raw_candidates(raw)
    data = _nb(text)
    # The full scan of a parsed notebook skips no field; the raw gates decide whether bytes are parsed.
    if _raw_findable(detect.scan_notebook(json.loads(data), misuse=False).secrets):
        assert engine.raw_candidates(data)
        assert detect.scan_notebook(data, misuse=False).secrets


def _raw_findable(findings: list) -> bool:
    # (Base64 of "api_org_" was looked for in parsed fields only; since the one-pass gate, raw bytes too.)
    return bool(findings)


def _answers(text: str) -> tuple:
    raw, data = text.encode("utf-8", "surrogatepass"), _nb(text)
    return (engine.prefilter_mask(text), detect.might_contain_secret(text), engine.prefilter_mask(text * 9),
            detect.might_contain_secret(raw), engine.raw_candidates(raw), engine.raw_candidates(data),
            detect.might_contain_secret(data), [(h.rule.id, h.start, h.end) for h in detect.find_secrets(text * 3)])


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(TEXT)
def test_the_accelerator_answers_as_the_standard_library_path(text):
    pure, accelerated = _both_paths(lambda: _answers(text))
    assert accelerated == pure


@contextlib.contextmanager
def _accelerated() -> Iterator:
    """The accelerator turned on (RE2, and hyperscan when installed), as it was again afterwards."""
    saved = list(engine._ACCEL)
    try:
        assert engine.use_accelerator(True) is True
        yield engine._ACCEL[0]
    finally:
        engine._ACCEL[:] = saved


def _both_paths(answer, prepare=None, hyperscan: bool = True) -> tuple:
    """``answer()`` on the standard-library path, then with the accelerator (``prepare(accel)`` first;
    ``hyperscan=False``: RE2 alone)."""
    saved = list(engine._ACCEL)
    try:
        assert engine.use_accelerator(False) is False
        pure = answer()
        assert engine.use_accelerator(True) is True
        if not hyperscan:
            engine._ACCEL[0].multi = None
        if prepare is not None:
            prepare(engine._ACCEL[0])
        return pure, answer()
    finally:
        engine._ACCEL[:] = saved


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_accelerator_is_used_when_installed_and_can_be_turned_off(monkeypatch):
    saved = list(engine._ACCEL)
    try:
        assert engine.use_accelerator(True)
        monkeypatch.setenv("HFSECURE_PURE_PYTHON", "1")
        assert not engine.use_accelerator(True)
    finally:
        monkeypatch.delenv("HFSECURE_PURE_PYTHON")
        engine._ACCEL[:] = saved


def test_rotated_literal_search_finds_what_find_finds():
    # The raw gate searches a literal from its rarest byte; a miss or an off-by-one would lose keywords.
    for word in [b"hf_", b"lsv2_", b"api_org_", b"aGZf", b"Bearer ", b"\xef\xbb\xbf"]:
        rx, back = engine._rotated(word)
        for data in [word, b"x" + word, word + word, b"ab" + word[:-1], word[1:] + b"zz" + word]:
            got = []
            m = rx.search(data)
            while m is not None:
                got.append(m.start() - back)
                m = rx.search(data, got[-1] + 1 + back)
            want, i = [], data.find(word)
            while i >= 0:
                want.append(i)
                i = data.find(word, i + 1)
            assert got == want, (word, data)


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_accelerator_reads_the_context_checks_digit_lookahead_alike():
    # RE2 has no lookahead: "16 value characters, a digit within the first 200" is written out by hand.
    texts = []
    for k in [*range(22), 198, 199, 200, 201]:
        for n in (15, 16, 17, k + 1, 210):
            value = ("x" * k + "7" + "y" * 300)[:n]
            texts += [f'api_key = "{value}"' + " " * 200, f'{{"password": "{value}"}}' + " " * 200]
    saved = list(engine._ACCEL)
    try:
        engine.use_accelerator(False)
        pure = [_answers(t) for t in texts]
        assert engine.use_accelerator(True)
        assert [_answers(t) for t in texts] == pure
    finally:
        engine._ACCEL[:] = saved


MISUSE_TEXT = st.lists(st.sampled_from(
    ["TOKEN", "token(", "auth token", "hf_token", "hf_tokens", "pad_token", "my_token ", "environ)", "environ",
     "_KEY", "SECRET", "%env", "!env", "printenv", "printenvx", "env", " ", "x", "_", "\n", "é"]), max_size=8).map("".join)


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(MISUSE_TEXT)
def test_the_accelerated_misuse_markers_are_the_markers(text):
    from hfsecure_jupyter.detect import misuse

    data = text.encode()
    saved = list(engine._ACCEL)
    try:
        engine.use_accelerator(False)
        pure = misuse.might_misuse_bytes(data)
        assert engine.use_accelerator(True)
        assert misuse.might_misuse_bytes(data) == pure
    finally:
        engine._ACCEL[:] = saved


@pytest.mark.parametrize("form", [
    "x\npassword = '{v}'",                      # a new line inside one JSON string (\n in the raw bytes)
    "\x1bpassword = '{v}'",                     # any escape before the name (\u001b)
    # the word 60+ bytes before "="
    "API_KEY_FOR_THE_PRODUCTION_DEPLOYMENT_OF_THE_INFERENCE_SERVICE_EUROPE = '{v}'",
    "api_key =\t'{v}'",                         # a tab after the operator (\t in the raw bytes)
])
def test_the_raw_gate_reads_an_assignment_through_json_escapes(mode, form):
    import random

    rng = random.Random(7)
    value = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    text = form.replace("{v}", value)
    nb = {"cells": [{"cell_type": "markdown", "source": text, "metadata": {}}], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    assert len(detect.scan_notebook(nb).secrets) == 1  # the parsed fields hold it
    data = json.dumps(nb).encode()
    assert engine.raw_candidates(data)
    assert len(detect.scan_notebook(data).secrets) == 1  # and the raw bytes are not waved through


def test_the_raw_gate_sees_a_token_reversed_with_a_slice(mode):
    from hfsecure_jupyter.testing import fake_token

    src = f'tok = "{fake_token(seed=3)[::-1]}"[::-1]\nlogin(tok)\n'
    nb = {"cells": [{"cell_type": "code", "source": src, "metadata": {}, "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert len(detect.scan_notebook(nb).secrets) == 1
    assert len(detect.scan_notebook(json.dumps(nb).encode()).secrets) == 1  # the raw gate let it through


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_accelerator_is_loaded_only_once_enough_text_was_scanned(monkeypatch):
    # Compiling its patterns costs more than a short run scans: a hook over a few small files stays pure.
    monkeypatch.setattr(engine, "_ACCEL", [])
    monkeypatch.setattr(engine, "_SEEN", [0])
    detect.scan_text("x = 1\n" * 100)
    assert engine._ACCEL == []
    data = b'{"cells": []}' + b" " * engine._ACCEL_AFTER
    assert not engine.raw_candidates(data)
    assert engine._ACCEL and engine._ACCEL[0] is not None


# -- the one-pass gate: what it lets through, what it settles ---------------------------------------------

def _cells_nb(cells: list[dict], **extra: object) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **extra},
                      indent=1, sort_keys=True).encode()


def _code(src: str, outputs: list | None = None, **extra: object) -> dict:
    return {"cell_type": "code", "source": src.splitlines(keepends=True), "metadata": {}, "outputs": outputs or [],
            "execution_count": None, **extra}


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_superset_needs_a_secret_named_name_before_an_assigned_value():
    # Cell ids, colab metadata (authorship_tag) and a tokenizer on the line before: no name that the
    # context rules read as secret-named stands before the operator, so one DFA pass settles the bytes.
    accel = engine._Accel(__import__("re2"))
    value = "a1b2c3d4e5f6a7b8c9d0"
    quiet = _cells_nb([_code(f'tokenizer = AutoTokenizer()\nmodel_id = "{value}"\n', id="k0shQ8a7f3b2c")],
                      colab={"authorship_tag": "ABX9TyOEpq8DN/YYDlP" + value})
    assert accel.raw.search(quiet) is None
    loud = quiet.replace(b"model_id", b"api_key")
    assert accel.raw.search(loud) is not None
    assert engine.raw_candidates(loud) and detect.scan_notebook(loud).secrets


def test_a_keyword_inside_an_identifier_is_no_piece_of_a_secret(mode):
    # "k0shQr8_pu2s" (a Colab cell id) holds "r8_" right after a letter: no rule takes a key there.
    nb = _cells_nb([_code("x = 1\n", id="k0shQr8_pu2s")])
    assert not engine.raw_candidates(nb)
    # After an escape that ends in a letter ("\n"), a keyword does start a secret: still looked at.
    assert engine.raw_candidates(b'"x\\nr8_abc" "def"')


def test_the_raw_gate_sees_a_zero_width_character_inside_a_body(mode):
    from hfsecure_jupyter.testing import fake_token

    tok = fake_token(seed=11)
    text = tok[:4] + "\u200b" + tok[4:]
    assert detect.scan_text(text)
    assert engine.raw_candidates(text.encode())
    nb = {"cells": [{"cell_type": "markdown", "source": text, "metadata": {}}], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    assert detect.scan_notebook(json.dumps(nb, ensure_ascii=False).encode()).secrets


def test_inline_data_uri_images_are_skipped_like_image_outputs():
    payload = base64.b64encode(bytes(range(256)) * 40).decode()
    raw = ('["![fig](data:image/png;base64,' + payload + ')", "<img src=\\"data:image/jpeg;base64,' + payload
           + '\\">", "data:image/png;base64,' + payload + '!not plain"]').encode()
    out = engine.without_images(raw)
    assert out == ('["![fig](data:image/png;base64,)", "<img src=\\"data:image/jpeg;base64,\\">", '
                   '"data:image/png;base64,' + payload + '!not plain"]').encode()
    # An escaped quote is no payload's end: nothing after it is cut.
    odd = b'{"image/png": "AAAA\\", "k": "x"}'
    assert engine.without_images(odd) == odd


def test_a_payload_cut_is_never_a_place_the_gate_misses(mode):
    # The gate runs on the raw bytes first and cuts images only when they flag: whatever the exact test
    # finds in the cut bytes, the raw bytes' pass must not have waved through.
    from hfsecure_jupyter.testing import fake_token

    tok = fake_token(seed=5)
    img = base64.b64encode(bytes(range(256)) * 8).decode()
    cell = _code("x = 1\n", outputs=[{"output_type": "display_data", "metadata": {},
                                      "data": {"image/png": img, "text/plain": [f"{tok}"]}}])
    data = _cells_nb([cell])
    assert engine.raw_candidates(data) and detect.scan_notebook(data).secrets


def test_the_raw_gate_decodes_base64_of_an_org_token_and_what_its_run_holds(mode):
    from hfsecure_jupyter.testing import fake_token

    for secret in (fake_token("hf-org", seed=2), "x" + fake_token("hf-org", seed=3) + " " + fake_token("anthropic", seed=4)):
        text = base64.b64encode(secret.encode()).decode()
        assert detect.scan_text(text)
        assert engine.raw_candidates(text.encode())
        assert detect.scan_notebook(_nb(text), misuse=False).secrets


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_str_set_is_built_only_once_it_pays(monkeypatch):
    # Building it takes ~6 ms: a run that asks for a few small texts' masks keeps the checks it has.
    # (RE2 alone: with hyperscan, its pass gives the mask.)
    accel = engine._Accel(__import__("re2"))
    accel.multi = None
    monkeypatch.setattr(engine, "_ACCEL", [accel])
    texts = ["x = 1", "hf_hub_download('a')", "%5Fhf", "api_key = 'x'"]
    want = [engine.prefilter_mask(t) for t in texts]
    assert "mask" not in accel.__dict__
    assert [engine.prefilter_mask(t) for t in texts * engine._MASK_AFTER][:len(texts)] == want
    assert "mask" in accel.__dict__  # many texts asked: built, and the answers are the same
    fresh = engine._Accel(__import__("re2"))
    fresh.multi = None
    monkeypatch.setattr(engine, "_ACCEL", [fresh])
    big = "x = 1\n" * (engine._MASK_NOW // 6 + 1) + "hf_"
    assert engine.prefilter_mask(big) & 1 and "mask" in fresh.__dict__


_VALUES = st.text(alphabet="abcXYZ09_-.", min_size=10, max_size=40)


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(st.lists(st.sampled_from(['api_key = "', "token: '", " = ", '"', "\n"]) | _VALUES, max_size=12).map("".join))
@example('x = "0' + "abc" * 6 + '"')  # the value's only digit is its first character
@example('x = "' + "abc" * 66 + '1"')  # ... its 199th: in reach; one more and it is not
@example('x = "' + "abc" * 67 + '1"')
def test_the_str_set_confirms_the_checks_it_holds_relaxed(text):
    # The set holds the context checks without their digit (a DFA of ~3,000 states otherwise, on a file
    # of many assignments), and so does hyperscan's pass (written out, they cost it ~5 ns a byte); a
    # value with no digit in reach must not set their bit.
    def built(accel) -> None:  # (every text goes through the set)
        accel.__dict__.setdefault("mask", accel.mask)
        assert accel.mask_pays(0)

    for hyperscan in (False, True) if HAVE_HS else (False,):
        pure, accelerated = _both_paths(lambda: engine.prefilter_mask(text), built, hyperscan=hyperscan)
        assert accelerated == pure


def test_the_str_set_holds_no_counted_digit_search():
    # (what made it slow: the digit lookahead written out as 17 counted alternatives) RE2's set and
    # hyperscan's pass are built from these sources; the checks they hold relaxed are confirmed.
    relaxed = [bit.bit_length() - 1 for bit, _search in engine._STR_RELAXED]
    assert relaxed and all(engine._CHECKS_STR[i].pattern.endswith(engine._DIGIT_AHEAD) for i in relaxed)
    sources = engine._mask_sources()
    assert len(sources) == len(engine._CHECKS_STR) and not any("{16,199}" in src for src in sources)
    assert [sources[i] for i in relaxed] == [engine._relaxed(engine._CHECKS_STR[i].pattern) for i in relaxed]


def test_the_raw_gate_reads_a_name_written_with_json_escapes(mode):
    import random

    rng = random.Random(3)
    value = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    for name in ("p\\u0061ssword", "\\u0041PI_KEY", "api_\\u006bey"):  # (json.dumps escapes no ASCII: by hand)
        raw = ('{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["' + name + " = '" + value
               + "'\"]}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}").encode()
        assert engine.raw_candidates(raw), name
        assert len(detect.scan_notebook(raw).secrets) == 1, name


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
def test_the_superset_takes_a_keyword_only_at_a_left_boundary():
    # A DNA sequence holds "ACCA" (an AWS key's prefix) and "task-" holds "sk-" after letters: no rule
    # takes a key there, so one DFA pass settles these bytes; after an escape or a quote it looks closer.
    accel = engine._Accel(__import__("re2"))
    dna = b'"source": ["seq = \\"GTACCAGACAAAATTTGGTTAACCAGAACAGTCATTTAAAAG\\""]'
    assert accel.raw.search(dna) is None and accel.raw.search(b'"task-multilingual-model"') is None
    for before in (b'"', b" ", b"\\n", b"\\u0041", b"%3D", b"%253D", b"\\x41", b"\\101", b""):
        assert accel.raw.search(before + b"ACCAGACAAAATTTGGTTAA") is not None, before


def test_a_key_that_starts_inside_a_rejected_keyword_match_is_still_seen(mode):
    # "xsk-" is no key's start, but the "sk-" inside its body is one: the exact test looks again from the
    # next byte rather than skipping the whole match.
    from hfsecure_jupyter.testing import fake_token

    tok = fake_token("openai", seed=7)
    text = "xsk-" + tok
    assert detect.scan_text(text)
    assert engine.raw_candidates(text.encode())
    assert detect.scan_notebook(_nb(text), misuse=False).secrets
    # A piece of one that goes on in the next literal: the gate skipped the whole rejected match, and
    # waved through a notebook whose parsed cell holds the key.
    data = _cells_nb([_code(f'k = "xsk-{tok[:5]}" "{tok[5:]}"\n')])
    assert detect.scan_notebook(json.loads(data), misuse=False).secrets
    assert engine.raw_candidates(data) and detect.scan_notebook(data, misuse=False).secrets


def _image_nb(payloads: list[str], text: str = "x = 1\n") -> bytes:
    outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": p, "text/plain": ["<Figure>"]}}
               for p in payloads]
    return _cells_nb([_code(text, outputs=outputs)])


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(st.lists(st.sampled_from(["aGZf", "hmX", "oZl", "YXBpX29yZ1", "A" * 42, "iVBORw0KGgo", "\\n", "+/=",
                                 "-", "\\\"", "hf_", "\u200b", ")"]), max_size=12).map("".join),
       st.integers(0, 3), st.booleans())
def test_the_raw_gate_skips_exactly_the_payloads_without_images_cuts(junk, where, uri):
    # What the gate says of the raw bytes is what the superset says of the bytes without their images:
    # a match inside a plain base64 payload is skipped, one in a payload that is not plain is not.
    payload = base64.b64encode(bytes(range(256)) * 3).decode()
    body = payload[:where * 100] + ("aGZf" * 11) + payload[where * 100:] + junk
    data = _image_nb([body]) if not uri else _cells_nb([{"cell_type": "markdown", "metadata": {}, "id": "m1",
                                                         "source": [f"![f](data:image/png;base64,{body})"]}])
    saved = list(engine._ACCEL)
    try:
        assert engine.use_accelerator(True)
        want = engine._ACCEL[0].raw.search(engine.without_images(data)) is not None
        at = engine.raw_gate(data)
        assert (at >= 0) is want
        if want:  # where: the first match's place in the raw bytes
            assert engine._ACCEL[0].raw.search(data, at).start() == at
        else:
            assert not engine.raw_candidates(data)
    finally:
        engine._ACCEL[:] = saved


# Notebook-like bytes of image payloads (a header, pieces of base64 and of what is no base64, an end) and
# text between them.
_PAYLOAD = st.tuples(
    st.sampled_from(['"image/png": "', '"image/jpeg": "', "data:image/png;base64,", '"image/gif": \\"']),
    st.lists(st.sampled_from(["aGZf", "hmX", "oZl", "A" * 42, "iVBORw0KGgo", "+/=", "AKIA", "hf_", "\\n", "-",
                              '\\"', "a1B2" * 5, "TOKEN", "Bearer "]), max_size=8).map("".join),
    st.sampled_from(['"', ')"', '\\"', ""])).map("".join)
_TEXT = st.lists(st.sampled_from(['", "text/plain": "', '"api_key": "', "a1b2c3d4e5f6g7h8", "x" * 20, "hf_", "AKIA",
                                  "sk-", "TOKEN", "=", " ", "\u200b", "\\u0068", "%5F", '"', "\n"])
                 | st.text(alphabet="AZaz09+/", max_size=30), max_size=8).map("".join)


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
@settings(SETTINGS, max_examples=300)
@given(st.lists(_PAYLOAD | _TEXT, max_size=6).map("".join), st.booleans())
@example('{"image/png": "AKIA' + "A" * 42 + '"}', False)  # a keyword opens the payload: RE2 sees it at the quote
@example('{"image/png": "iVBOR' + "aGZf" + "A" * 42 + '/AKIAABCD", "x": "hf_abc"}', False)  # ends at its quote
def test_the_hyperscan_pass_leaves_the_gate_saying_what_re2_says(text, misuse_markers):
    # Hyperscan reports where matches end: the gate passes over those in plain image payloads and hands
    # the rest to RE2 from the last payload passed, so its answer is RE2's, payloads and quotes included.
    from hfsecure_jupyter.detect import misuse

    data = text.encode("utf-8")
    extra = misuse.RAW_MARKERS_RE2 if misuse_markers else b""
    with _accelerated() as accel:
        assert accel.multi is not None
        with_hs = engine.raw_gate(data, extra)
        # Asked only whether there is one: a place at or before it, never -1 when there is one.
        anywhere = engine.raw_gate(data, extra, where=False)
        assert anywhere >= -1 and (with_hs < 0 or 0 <= anywhere <= with_hs)
        accel.multi = None
        assert with_hs == engine.raw_gate(data, extra)


@SETTINGS
@given(st.lists(_PAYLOAD | _TEXT | TEXT, max_size=5).map("".join))
@example('{"source": "hf_hf_hf_"}')
def test_the_exact_tests_accept_nothing_the_superset_does_not(mode, text):
    # The notebook gate, having found the superset in its own pass, skips that pass in the exact tests
    # (superset_seen): their answer must be the same as with it.
    for data in (text.encode("utf-8", "surrogatepass"), _nb(text)):
        stripped = engine.without_images(data)
        assert (engine.raw_candidates_stripped(stripped, superset_seen=True)
                == engine.raw_candidates_stripped(stripped))


def test_a_notebook_past_the_gate_is_not_searched_for_the_superset_again(mode, monkeypatch):
    # hf_hf_hf_... (the gate's one match is at the end): the gate's pass over the notebook saw the
    # superset; the exact tests ran it again (~80 ms a MB) before reading the places it matches.
    searched = []
    has = engine._Accel.has
    monkeypatch.setattr(engine._Accel, "has", lambda self, pattern, data: searched.append(pattern) or has(
        self, pattern, data))
    tok = fake_token(seed=3)
    for text in ("hf_" * 50_000, f"t = '{tok}'"):
        searched.clear()
        report = detect.scan_bytes(_nb(text), path="x.ipynb")
        assert bool(report.findings) == (text != "hf_" * 50_000)
        assert engine.raw_superset() not in searched


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
@SETTINGS
@given(st.lists(_PAYLOAD | _TEXT | TEXT, max_size=5).map("".join))
@example('x = 1\nwandb.login(key="' + fake_token("assigned-secret", seed=1) + '")\n')  # a context rule's place
def test_hyperscan_answers_the_exact_tests_questions_as_re2(text):
    # The parts found (RE2::Set), whether the superset, the reversed-text check and the context checks
    # match anywhere: each hyperscan pass against RE2's, and the exact test's answer with either.
    data = text.encode("utf-8", "surrogatepass")
    with _accelerated() as accel:
        patterns = (engine.raw_superset(), engine._any_loose_pattern(), engine._context_pattern())
        def answers() -> tuple:
            return (accel.parts_found(data), [accel.has(p, data) for p in patterns],
                    engine._raw_context_exact(data, accel), engine._raw_candidates_exact(data, accel),
                    engine.raw_candidates_stripped(data))

        with_hs = answers()
        multi, accel.multi = accel.multi, None
        assert multi is not None and with_hs == answers()


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_a_failing_hyperscan_leaves_the_gate_to_re2(monkeypatch):
    # (Lose nothing: hyperscan only saves time; when it fails, RE2 answers, and every file is scanned.)
    with _accelerated() as accel:
        multi = accel.multi
        tok = __import__("hfsecure_jupyter.testing", fromlist=["fake_token"]).fake_token()
        data = _image_nb([], text=f'login("{tok}")\n')

        class Broken:
            def scan(self, *args, **kwargs):
                raise multi.hs.InvalidError("broken")

        multi.dbs = {(p, False): Broken() for p in (engine.raw_superset(),)}
        multi.fresh = set(multi.dbs)  # (as if compiled here: no second try)
        assert engine.raw_gate(data) == accel.raw.search(data).start()
        assert multi.off and detect.scan_notebook(data, misuse=False).secrets
        assert engine.raw_gate(b"x = 1") == -1


def test_a_base64_window_with_keywords_but_no_secret_is_not_searched(mode, monkeypatch):
    # "hf_hf_hf_..." encoded: every window decodes to keywords and no secret; with the accelerator, one
    # pass of the superset over the decoded bytes says so (it was a mask and every group's search, each
    # window: 40 us). An encoded token beside it is still found.
    from hfsecure_jupyter.testing import fake_token

    noise = " ".join(base64.b64encode(b"hf_" * k).decode() for k in range(20, 60))
    tok = fake_token(seed=3)
    calls = []
    real = engine._plain_hits
    monkeypatch.setattr(engine, "_plain_hits", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert engine._b64_hits(noise) == []
    assert (calls == []) is (mode == "re2")
    found = engine._b64_hits(noise + " " + base64.b64encode(b"= " + tok.encode()).decode())
    assert [h.secret for h in found] == [tok]


def test_a_notebook_flagged_by_misuse_markers_alone_is_read_in_place(mode, monkeypatch):
    # No secret can be there, so its images are not cut and its bytes are not checked again: the markers
    # are read where they stand, and what they say is the same.
    img = base64.b64encode(bytes(range(256)) * 200).decode()
    out = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": img, "text/plain": ["<Figure>"]}}]
    md = {"cell_type": "markdown", "metadata": {}, "id": "m1", "source": ["Set HF_TOKEN in your settings."]}
    quiet = _cells_nb([md, _code("plt.plot(x)\n", outputs=out)])
    loud = _cells_nb([md, _code("plt.plot(x)\n", outputs=out), _code('print(os.environ["HF_TOKEN"])\n', id="c2")])
    if mode == "re2":
        monkeypatch.setattr(engine, "without_images", lambda data: pytest.fail("images cut"))
    assert detect.scan_notebook(quiet).findings == []
    found = detect.scan_notebook(loud).findings
    assert [f.location for f in found] == ["cells[2].source"] and not detect.scan_notebook(loud).secrets


MISUSE_BITS = ['print(os.environ["HF_TOKEN"])\n', "HF_TOKEN = get_token()\n", "# set HF_TOKEN\n", "!echo $HF_TOKEN\n",
               "api_key = 'x'\n", "SECRET ", "TOKEN TOKEN TOKEN ", "x = 1\n", "\n"]


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(st.lists(st.sampled_from(MISUSE_BITS) | SAMPLES | st.sampled_from(NOISE), max_size=10).map("".join),
       st.lists(st.sampled_from(MISUSE_BITS), max_size=4).map("".join), st.booleans())
def test_the_one_pass_marker_gate_says_what_two_passes_say(code, md, image):
    # Each match read in turn (a secret's place ends it; a marker's line is read once) against the
    # superset's pass and the markers' pass from the first match on.
    from hfsecure_jupyter.detect import misuse, notebook

    img = base64.b64encode(bytes(range(256)) * 4).decode() + "hmXaGZf" * 8
    out = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": img}}] if image else []
    data = _cells_nb([{"cell_type": "markdown", "metadata": {}, "id": "m", "source": md.splitlines(True)},
                      _code(code, outputs=out)])
    saved = list(engine._ACCEL)
    try:
        assert engine.use_accelerator(True)
        at = engine.raw_gate(data, misuse.RAW_MARKERS_RE2)
        if at < 0:
            return
        two = None if engine.raw_gate(data, b"", at) != -1 else misuse.might_misuse_bytes(data, at)
        assert notebook._markers_only(data, at) == two
        for steps in (1, 2):  # (and after the fallback to two passes)
            notebook._MARKER_STEPS, saved_steps = steps, notebook._MARKER_STEPS
            try:
                assert notebook._markers_only(data, at) == two
            finally:
                notebook._MARKER_STEPS = saved_steps
    finally:
        engine._ACCEL[:] = saved


@pytest.mark.skipif(not HAVE_RE2, reason="google-re2 is not installed")
@SETTINGS
@given(st.lists(st.sampled_from(MISUSE_BITS + ['token = os.environ["HF_TOKEN"]\n', "log(TOKEN)\n", "é = userdata.get('x')\n",
                                               "x = secret\n", "PASSWORD", "(", "=", "[", "\r\n", "\ud800"])
                | st.text(max_size=6), max_size=12).map("".join))
def test_the_accelerated_misuse_test_of_a_cell_answers_as_the_standard_library_one(text):
    # (One hyperscan pass, or one RE2 pass, for every reference word, against a regex per word; and the
    # lines they are on.)
    from hfsecure_jupyter.detect import misuse

    for hyperscan in (False, True) if HAVE_HS else (False,):
        pure, accelerated = _both_paths(lambda: (misuse.might_misuse(text),
                                                 set(misuse._reference_lines(text))), hyperscan=hyperscan)
        assert accelerated == pure


# -- the context searches by hyperscan's ends: the operators RE2's searches find, and RE2 not imported ------

_CONTEXT_PIECES = ["api_key", "TOKEN", "password", "my_secret", "\\u0041", " ", "\t", "\\t", "\\", '"', "'",
                   "=", ":", "r", "b", "F", "x", "_", "-", "]", "\n", "a1b2c3d4e5f6a7b8", "0123456789abcdef0",
                   "hf_model", "key"]
_V = "a1b2c3d4" + "e5f6a7b8"


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
@SETTINGS
@given(st.lists(st.sampled_from(_CONTEXT_PIECES), max_size=24).map("".join))
@example(f'api_key = "{_V}a1b2"')  # (values joined at run time: the tree holds no secret-shaped literal)
@example(f'"token":\\t \\tr\\"{_V}"')  # (a tab written \t, a prefix, an escaped quote)
@example(f'password=\\t\\"{_V}0"')
@example(f'token=F"{_V}" secret: B"{_V}" key=R\'{_V}\'')
@example(f'key ="{_V}" key ="{_V}"')
def test_the_operators_read_back_from_hyperscan_ends_are_those_re2_finds(text):
    # RE2's searches give where each name run starts, hyperscan only where a match ends: the operator is
    # read back from the value's quote. Every operator RE2's way finds must be found (one missed is a
    # secret the gate lets through), and no other.
    data = text.encode("latin-1")
    with _accelerated() as accel:
        by_ends = engine._context_ops_by_ends(accel.multi, data)
        assert by_ends is not None
        for i, (pattern, group) in enumerate(zip(engine._RAW_RULES, engine._RULE_GROUPS)):
            if group[0].context is None:
                continue
            assert (list(engine._context_ops(i, pattern, data, accel, by_ends)) ==
                    list(engine._context_ops(i, pattern, data, accel))), i


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_a_folder_scan_with_hyperscan_does_not_import_re2(tmp_path):
    # Importing RE2 and compiling its first pattern were ~7 % of a folder scan's instructions; hyperscan's
    # passes settle these notebooks alone (one holds a secret-named assignment: the context searches run).
    import subprocess
    import sys

    value = "a1b2c3d4e5f6a7b8c9d0"
    for n in range(40):
        src = f'api_key = "{value}"\n' if n == 7 else "x = 1\n" * 2000  # (~0.5 MB: the accelerator loads)
        (tmp_path / f"n{n}.ipynb").write_bytes(_cells_nb([_code(src)]))
    code = ("import sys; from hfsecure_jupyter.cli import scan; code = scan.main(['--no-misuse', '-j', '1', "
            f"{str(tmp_path)!r}]); print(code, 're2' in sys.modules, file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if k != "HFSECURE_PURE_PYTHON"})
    assert p.stderr.split()[-2:] == ["1", "False"], p.stderr + p.stdout
    assert value not in p.stdout


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_an_re2_that_fails_when_first_needed_leaves_the_standard_library_path(monkeypatch):
    # With hyperscan, RE2 is imported only when a pass needs it; a build that fails then must cost speed,
    # not the scan: the call runs again without the accelerator, and so does every later one.
    import importlib

    tok = fake_token(seed=11)
    data = _cells_nb([_code(f'login(token="{tok}")\n')])
    real = importlib.import_module

    def broken(name: str, *args: object):
        if name == "re2":
            raise ImportError("a broken build")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", broken)
    monkeypatch.setattr(engine, "_ACCEL", [engine._Accel()])
    assert "re2" not in engine._ACCEL[0].__dict__
    assert engine.raw_gate(data) is None  # (RE2 would say where the match starts: the pure path's answer)
    assert engine._ACCEL == [None]
    monkeypatch.setattr(engine, "_ACCEL", [engine._Accel()])
    assert engine.accelerated_search(b"TOKEN") is None and engine._ACCEL == [None]
    monkeypatch.setattr(engine, "_ACCEL", [engine._Accel()])
    assert [f.preview for f in detect.scan_notebook(data).secrets] == [detect.mask_secret(tok)]


_PIECE_TEXT = st.lists(st.sampled_from(["hf_", "sk-", "sk-ant-", "api_org_", "AKIA", "tvly-", "xoxb-", "gh", "p_", "a",
                                        "Z9", "-", "_", "7" * 33, "x" * 20, '"', "'", "\\", "\\n", " ", "\n", "é",
                                        "\ud800"]), max_size=40).map("".join)


@SETTINGS
@given(text=_PIECE_TEXT)
def test_the_piece_check_says_what_the_forward_search_says(mode, text):
    # Hyperscan's pass, or the regexes (forwards where linear, backwards where not), equal the plain
    # forward search of rules.group_piece in every mode.
    import re

    from hfsecure_jupyter.detect.rules import group_piece

    expected = any(re.search(group_piece(g), text) for _c, g, _p in engine._GROUPS if not g[0].check)
    assert engine.may_continue_in_literal(text) == expected
    assert engine.may_continue_in_literal(text, engine.prefilter_mask(text)) == expected


_CHAIN_TEXT = st.lists(st.sampled_from(["hf_", "sk-", "api_org_", "tvly-", "abc", "7" * 33, '"', "'", "\\", " ", "\n",
                                        "+", ",", ")", "]", "}", ":", "!", "(", "f", "rb", "# c", "# " + "x" * 300,
                                        "\\\n", "\\\r\n", "\r", "\t", "=", "é"]), max_size=40).map("".join)


def _chains_by_hand(text: str, end: int, window: int | None = 256) -> bool:
    """What a piece ending at ``end`` may be continued by, read a character at a time (the engine's reading,
    its window included: a run that reaches ``window`` characters is taken to chain; hyperscan's pass
    reads with none)."""
    import re

    if text[end - 1] == "\\":
        return True
    stop = len(text) if window is None else min(len(text), end + window)
    i = end
    while i < stop:
        if text[i] in " \t\f\r\n":
            i += 1
        elif text.startswith("\\\n", i, stop) or text.startswith("\\\r\n", i, stop):
            i += 2 if text[i + 1] == "\n" else 3
        elif text[i] == "#":
            while i < stop and text[i] not in "\r\n":
                i += 1
        else:
            break
    if i >= stop:
        return stop < len(text)
    return text[i] in "+,}!:" or re.match(r"[rRbBfFuU]{0,2}[\"']", text[i:stop]) is not None


@SETTINGS
@given(text=_CHAIN_TEXT)
@example(text='s.startswith("hf_")\nb = 1')
@example(text='t = ("hf_abc"  # c\n  "def")')
@example(text='a = "hf_a"\nb = ("hf_a"\n "x")')  # (the second piece chains: each piece is read, not only the first)
def test_the_chained_piece_check_says_what_a_reading_by_hand_says(mode, text):
    # literal_pieces: is there a piece, and may a literal continue one (python's token pass runs only then).
    import re

    from hfsecure_jupyter.detect.rules import group_piece

    ends = sorted({m.start() + len(m.group(1)) for _c, g, _p in engine._GROUPS if not g[0].check
                   for m in re.finditer("(?=(" + group_piece(g) + "))", text)})
    assert len(ends) < engine._CHAIN_TRIES
    window = None if engine._ACCEL[0] is not None and engine._ACCEL[0].multi is not None else 256
    expected = (bool(ends), any(_chains_by_hand(text, e, window) for e in ends))
    assert engine.literal_pieces(text) == expected
    assert engine.literal_pieces(text, engine.prefilter_mask(text)) == expected
    assert engine.may_continue_in_literal(text) == expected[0]
    assert engine.may_continue_in_literal(text, chained=True) == expected[1]


def test_past_its_tries_a_text_of_pieces_may_chain(mode):
    # Without hyperscan, each piece's run is read at most _CHAIN_WINDOW characters, and past _CHAIN_TRIES
    # pieces the token pass decides: a text of pieces costs a bounded read each. Hyperscan's pass reads
    # every piece's run in C, to its end: its answer is exact.
    hyperscan = engine._ACCEL[0] is not None and engine._ACCEL[0].multi is not None
    text = 'x.startswith("hf_")\n' * engine._CHAIN_TRIES
    assert engine.literal_pieces(text) == (True, False)
    assert engine.literal_pieces(text + 'x.startswith("hf_")\n') == (True, not hyperscan)
    run = '"hf_a"' + " " * (engine._CHAIN_WINDOW + 8)
    assert engine.literal_pieces(run + "\nx") == (True, not hyperscan)
    assert engine.literal_pieces(run + '+ "bc"') == (True, True)


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
def test_hyperscan_reads_the_pieces_runs_with_no_python_call_a_piece(monkeypatch):
    # '"hf_" ' * 100,000 (a piece at every word, none continued): a call back a piece read each run in
    # Python (~3 us each, 0.44 s a MB) before the cap gave up; one pass now, whatever the count.
    calls = []
    monkeypatch.setattr(engine, "_chains_at", lambda text, end: calls.append(end) or True)
    with _accelerated():
        text = 'x = "hf_" ' * 50_000 + "\n"
        assert engine.literal_pieces(text) == (True, False)
        assert engine.literal_pieces(text + '"hf_a" "bc"') == (True, True)
        assert engine.literal_pieces('(\n"hf_a"  # a comment + "x"\n  "bc")') == (True, True)
        assert engine.literal_pieces('("hf_a"  # a comment + "x"\n  )') == (True, False)
        assert engine.literal_pieces('"hf_a\\\n bc"') == (True, True)
    assert calls == []


@pytest.mark.skipif(not HAVE_HS, reason="hyperscan is not installed")
@pytest.mark.parametrize("digit_at", [None, 5, 500])
def test_many_relaxed_matches_are_confirmed_by_one_search_not_a_call_each(monkeypatch, digit_at):
    # filename='model.safetensors' on every line: each match of the relaxed check (no digit) was
    # confirmed by a Python call back from hyperscan (20,000 calls per 2 MB); past a few, the exact
    # check's own search decides, with the same answer (a digit in reach at the first lines, far down, none).
    calls = []
    real = engine._DIGIT_IN_VALUE
    monkeypatch.setattr(engine, "_DIGIT_IN_VALUE", type("Counted", (), {
        "match": staticmethod(lambda data, pos: calls.append(pos) or real.match(data, pos))}))
    lines = ["hf_hub_download(filename='model.safetensors') token=None\n"] * 1000
    if digit_at is not None:
        lines[digit_at] = "hf_hub_download(filename='model-00001-of-00002.safetensors')\n"
    text = "".join(lines)
    pure, accelerated = _both_paths(lambda: engine.prefilter_mask(text))
    assert accelerated == pure
    assert len(calls) <= engine._CONFIRM_TRIES + 1, len(calls)
