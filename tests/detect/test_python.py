"""(I)Python source: folding, escapes, f-strings, bytes, magics, shell lines, comments."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.python import mask_ipython


def secret_rows(src, **kw):
    return [(f.line, f.column, f.encoding) for f in detect.scan_python(src, **kw) if f.is_secret]


def test_join_of_literals(tok):
    src = f'tok = "".join(["{tok[:10]}", "{tok[10:20]}", "{tok[20:]}"])'
    assert secret_rows(src) == [(1, 17, "concatenation")]


def test_join_with_tuple_and_spaces(tok):
    src = f"tok = ''.join((\n  '{tok[:10]}',\n  '{tok[10:]}',\n))"
    assert secret_rows(src) == [(2, 4, "concatenation")]


def test_list_of_unrelated_strings_is_not_joined(tok):
    # Only a join folds a list: two list items that happen to abut are not one value.
    src = f'parts = ["{tok[:12]}", "{tok[12:]}"]'
    assert secret_rows(src) == []


def test_fstring_literal_part(tok):
    assert secret_rows(f'h = {{"Authorization": f"Bearer {tok}"}}') == [(1, 32, "")]


def test_fstring_concatenated_with_plain(tok):
    src = f'h = f"{{x}}{tok[:8]}" "{tok[8:]}"'
    assert [r[2] for r in secret_rows(src)] == ["concatenation"]


def test_bytes_and_raw_literals(tok):
    assert secret_rows(f'b = b"{tok}"') == [(1, 7, "")]
    assert secret_rows(f"r = rb'{tok}'") == [(1, 8, "")]


def test_backslash_continuation_inside_literal(tok):
    src = f'x = "{tok[:10]}\\\n{tok[10:]}"'
    assert secret_rows(src) == [(1, 6, "escaped")]


def test_octal_and_named_escapes(tok):
    octal = "".join(f"\\{ord(c):03o}" for c in tok)
    assert secret_rows(f'x = "{octal}"') == [(1, 6, "escaped")]


def test_comment_is_scanned(tok):
    assert secret_rows(f"x = 1  # old token {tok}") == [(1, 20, "")]


def test_unparseable_cell_still_scanned_as_text(tok):
    src = f"def broken(:\n    login('{tok}'"
    assert secret_rows(src) == [(2, 12, "")]


@pytest.mark.parametrize("src,masked", [
    ("!pip install x\nimport x", (0,)),
    ("x = !ls\nprint(x)", (0,)),
    ("%matplotlib inline\nimport torch", (0,)),
    ("if True:\n    !echo hi\n    y = 1", (1,)),
    ("a = b % c\nd = e != f", ()),
    ("model?\nx = 1", (0,)),
])
def test_mask_ipython_keeps_python_and_lines(src, masked):
    m = mask_ipython(src)
    assert m.masked_lines == masked
    assert m.python.count("\n") == src.count("\n")
    compile(m.python, "<cell>", "exec")


def test_cell_magic_with_python_body_is_folded(tok):
    src = f'%%time\nx = "{tok[:10]}" + "{tok[10:]}"'
    assert secret_rows(src) == [(2, 6, "concatenation")]


def test_bash_cell_magic_body_scanned_as_text(tok):
    assert secret_rows(f"%%bash\nexport HF_TOKEN={tok}\nhf auth whoami") == [(2, 17, "")]


def test_env_magic_and_shell_line(tok):
    assert secret_rows(f"%env HF_TOKEN={tok}") == [(1, 15, "")]
    assert secret_rows(f"!curl -H 'Authorization: Bearer {tok}' https://huggingface.co/api/whoami-v2") == [(1, 33, "")]


def test_suppressed_with_comment(tok):
    [f] = detect.scan_python(f'FAKE = "{tok}"  # hfsecure: allow (test fixture)')
    assert f.suppressed


def test_clean_code_with_hub_names_has_no_findings():
    src = ("from huggingface_hub import hf_hub_download, notebook_login\n"
           "notebook_login()\n"
           "path = hf_hub_download(repo_id='gpt2', filename='config.json', token=os.environ['HF_TOKEN'])\n"
           "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased', use_auth_token=True)\n")
    assert detect.scan_python(src) == []


# Issue 8 item 5: a cell that does not tokenize is still folded (tolerant tokenizer), so the guard
# blocks it before either half reaches the kernel.
def _broken_cells(t: str) -> dict[str, str]:
    a, b = t[:12], t[12:]
    return {
        "missing-paren": f'tok = ("{a}"\n       "{b}"\n',
        "missing-paren-plus": f'login(token="{a}" + "{b}"\nx = 1',
        "bad-indent": f'if True:\n    x = 1\n  tok = "{a}" + "{b}"\nprint(tok)',
        "bad-indent-before": f'if True:\n    x = 1\n  y = 2\ntok = "{a}" "{b}"',
        "unterminated-triple-quote": f'doc = """never closed\ntok = "{a}" + "{b}"',
        "unterminated-string-after": f'tok = "{a}" + "{b}"\nbad = "oops',
        "stray-dedent-then-magic": f'    x = 1\n  y = 2\n%time z = 3\ntok = "{a}" + \\\n  "{b}"',
    }


@pytest.mark.parametrize("name", list(_broken_cells("hf_" + "A" * 34)))
def test_split_token_in_a_cell_that_does_not_tokenize(tok, name):
    src = _broken_cells(tok)[name]
    [f] = [f for f in detect.scan_python(src) if f.is_secret]
    assert f.preview == detect.mask_secret(tok) and f.encoding == "concatenation"
    redacted = detect.apply_edits(src, f.edits)
    assert tok[:12] not in redacted and tok[12:] not in redacted


def test_tolerant_tokenizer_is_linear_in_the_number_of_errors(monkeypatch):
    # Every other line is a tokenize error: each restart reads a bounded amount (counting lines read).
    import tokenize

    from hfsecure_jupyter.detect import python as py

    real = tokenize.generate_tokens
    calls = 0

    def counting(readline):
        def rl():
            nonlocal calls
            calls += 1
            return readline()
        return real(rl)

    monkeypatch.setattr(tokenize, "generate_tokens", counting)
    for n in (300, 600):
        calls = 0
        # indents 0, 4, 2, 0, 4, 2...: every third line does not match an outer indentation level
        src = "".join(" " * (0, 4, 2)[i % 3] + f"x{i} = 1\n" for i in range(n))
        toks = py._tolerant_tokens(src)
        assert sum(t.type == py._RESTART for t in toks) >= n // 3 - 1  # it did start over at each
        assert calls <= 5 * n + 20, (n, calls)


def test_carriage_return_line_endings_with_misuse():
    # Python ends lines at a lone "\r": the line table did not, and misuse positions raised IndexError.
    src = 'x = """\r"""\rprint(len("abc"))\rrun_job(env={"HF_TOKEN": "x"})'
    assert [(f.rule, f.line) for f in detect.scan_python(src)] == [("secret-in-job-env", 4)]
    assert [f.line for f in detect.scan_python(src.replace("\r", "\r\n"))] == [4]


def test_a_format_string_whose_text_holds_digits_is_still_folded():
    # Only the specs of a format string decide whether it is run: a token's body with "7080" in it is
    # literal text, no width (a random token held such a run about one time in twenty, and was missed).
    from hfsecure_jupyter.testing import fake_token

    tok = "hf_314REqZST" + fake_token(seed=3)[12:-8] + "7080X1zI"
    assert detect.scan_text(tok)
    for src in (f'x = "%s{tok[12:]}" % "{tok[:12]}"', f'x = "{{}}{tok[12:]}".format("{tok[:12]}")'):
        assert [f.preview for f in detect.scan_python(src + "\nprint(x)") if f.is_secret] == [detect.mask_secret(tok)]


@pytest.mark.parametrize("src", ['x = "{:{}}".format("hf_abc", 10**8)', 'x = "%*s" % (10**8, "hf_abc")',
                                 'x = "%.*f" % (10**8, 1.0) + "hf_"', 'x = "%9999999s" % "hf_abc"'])
def test_a_width_taken_from_an_argument_is_not_run(src):
    # (The string would be 100 MB: the fold refuses a "*" width and a nested field, as a big number.)
    import tracemalloc

    tracemalloc.start()
    try:
        detect.scan_python(src.replace("10**8", "100000000"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20


# Statements that build a token from constants (the expression pass), and ordinary ones around them.
def _built(t: str) -> list[str]:
    a, b = t[:9], t[9:]
    return [f'x = "%s%s" % ("{a}", "{b}")', f'x = "{{}}{{}}".format("{a}", "{b}")', f'x = "".join(["{a}", "{b}"])',
            f'x = ("%s"\n     "%s") % (\n  "{a}", "{b}")', f'x = "{t[::-1]}"[::-1]', f'x = ("{t[::-1]}")  [ ::-1]',
            f'x = "{t[::-1]}" \\\n  [::-1]', f'f(y=("%s%s" % ("{a}", "{b}")))', f'x = f"{{\'%s%s\' % (\'{a}\', \'{b}\')}}"',
            f'x = "{{}}{{}}" . format("{a}", "{b}")', f'x = "%(p)s{b}" % {{"p": "{a}"}}']


_AROUND = ["y = f(a)[0]", "def g(a, b=1):", "    return a", "class C:", "    z = 1", "if y:", "    pass",
           "@dec", "w = {'k': 'v'}", "# a comment", "s = 'a' + 'b'", "print(x)"]


@pytest.mark.parametrize("seed", range(40))
def test_the_expression_pass_folds_only_at_sites_and_finds_what_a_whole_walk_finds(seed, monkeypatch):
    # Only the outermost expressions whose lines hold a fold site are folded (a walk of every node cost
    # ~1 us a node: 0.5 s for huggingface_hub's hf_api.py); the whole walk is the reference.
    import random

    from hfsecure_jupyter.detect import python as P
    from hfsecure_jupyter.testing import fake_token

    rng = random.Random(seed)
    lines = []
    for i in range(12):
        stmt = rng.choice(_built(fake_token(seed=seed * 100 + i)) + _AROUND)
        indent = "    " if lines and lines[-1].endswith(":") else ""
        lines.append(indent + stmt.replace("\n", "\n" + indent))
    if lines[-1].endswith(":"):
        lines.append("    pass")
    src = "\n".join(lines) + "\n"
    found = [(h.rule.id, h.start, h.end, h.secret) for h in P._expression_hits(src, src)]
    with monkeypatch.context() as m:
        m.setattr(P, "_fold_sites", lambda python, ends: list(range(1, len(ends) + 1)))
        assert found == [(h.rule.id, h.start, h.end, h.secret) for h in P._expression_hits(src, src)]


def test_every_built_form_is_at_a_site(tok):
    from hfsecure_jupyter.detect import python as P

    for stmt in _built(tok):
        src = "a = 1\n" + stmt + "\nprint(x)\n"
        assert [h.secret for h in P._expression_hits(src, src)] == [tok], stmt


def test_ordinary_code_around_one_built_token_is_not_folded_node_by_node(tok, monkeypatch):
    from hfsecure_jupyter.detect import python as P

    folds = []
    fold = P._fold
    monkeypatch.setattr(P, "_fold", lambda node, values: folds.append(1) or fold(node, values))
    body = "".join(f"def f{i}(a, b=1, *, c: int = 2):\n    return call(a, b, key=c) + 'x' + 's'\n" for i in range(2000))
    src = body + _built(tok)[0] + "\n"
    found = detect.scan_python(src, misuse=False)
    assert [f.preview for f in found] == [detect.mask_secret(tok)]
    assert len(folds) < 50, len(folds)  # (a whole walk: ~40,000 nodes)


_FSTRING_PIECES = ["{x}", "{repo.id}", "{a!r}", "{n:>10}", "{v:.2f}", "{x=}", "{{", "}}", "{", "}", "{'hf_'}", "{1}",
                   "{f(a)}", "{x:{w}}", "abc", " ", "hf_", "'", ":", "!", "=", "{a b}", "{_}", "\n", "é", "{x!z}"]


@given(st.lists(st.sampled_from(_FSTRING_PIECES), max_size=10).map("".join), st.sampled_from(["f", "rf", "F"]),
       st.sampled_from(['"', "'''"]))
@settings(max_examples=400, deadline=None)
def test_fstrings_of_named_fields_fold_as_the_parser_folds_them(content, prefix, quote):
    # ast.parse of each f-string cost ~0.2 ms (700 a package); one whose fields are names is read by a regex.
    from hfsecure_jupyter.detect import python as P

    # (a literal the scanner can hand over: its quote not inside, no line end inside one quote)
    assume(quote[0] not in content and (quote == "'''" or "\n" not in content))
    text = prefix + quote + content + quote
    fast = P._piece(text, 0, len(text))
    slow = P._named_fields_value
    try:
        P._named_fields_value = lambda content: None
        parsed = P._piece(text, 0, len(text))
    finally:
        P._named_fields_value = slow
    assert fast == parsed


_ESCAPE_PIECES = ["a", "hf_", " ", "\\\\", "\\n", "\\t", "\\x68", "\\x6", "\\u0068", "\\u00", "\\U00000068",
                  "\\N{LATIN SMALL LETTER H}", "\\N{NO SUCH NAME}", "\\150", "\\777", "\\0", "\\8", "\\s", "\\'",
                  '\\"', "\\\n", "\\a", "'", '"', "\n", "é"]


@given(st.lists(st.sampled_from(_ESCAPE_PIECES), max_size=10).map("".join), st.sampled_from(["", "r", "R", "u", "b", "rb", "Br"]),
       st.sampled_from(['"', "'''"]))
@settings(max_examples=500, deadline=None)
def test_literals_with_escapes_fold_as_literal_eval_reads_them(content, prefix, quote):
    # A raw literal is its text, a str literal's escapes the unicode_escape codec's: no compile each.
    import ast
    import warnings

    from hfsecure_jupyter.detect import python as P

    text = prefix + quote + content + quote
    assume(P._LITERAL_SCAN.fullmatch(text) is not None)  # (a literal the scanner hands over)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = None
    piece = P._piece(text, 0, len(text))
    if value is None:
        assert piece is None
    else:
        assert piece is not None and piece.value == (value.decode("latin-1") if isinstance(value, bytes) else value)


def _pieces_around(t: str) -> list[str]:
    """Statements that hold a piece of ``t`` (its first 9 characters, ending at a quote): chained to the rest
    in every way the token pass chains literals, built by the expression pass, or standing alone."""
    a, b = t[:9], t[9:]
    return [f'x = "{a}" + "{b}"', f'x = ("{a}"  # c\n     "{b}")', f'x = "{a}" \\\n  "{b}"', f'x = "".join(["{a}", "{b}"])',
            f"x = rb'{a}' b'{b}'", f'x = "{a}" f"{b}"', f'x = f"{{\'{a}\'}}{{\'{b}\'!s:>3}}"',
            f'x = f"{{\'{a}\'!s}}{{\'{b}\'}}"', f'x = f"{{\'{a}\':>3}}{{\'{b}\'}}"',
            f'x = "%s%s" % ("{a}", "{b}")', f'x = "{{1}}{{0}}".format("{b}", "{a}")', f'x = "{a}"\ny = "{b}"',
            f'ok = s.startswith("{a}")', f'd = {{"{a}": 1}}', f'x = ("{a}") + "{b}"', f'x = "{a}"[0] + "{b}"',
            "y = f(a)[0]", "print(x)", '# "hf_" + 1', "z = 'a' + 'b'"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 10_000)), min_size=1, max_size=8))
@example([(i, 1) for i in range(20)])
@example([(i, 2) for i in range(12, 20)])  # (none of them chains)
@example([(3, 1), (12, 2)])
@example([(7, 1), (13, 2)])
@example([(8, 1)])
@example([(1, 3)])
def test_the_token_pass_skipped_where_no_literal_continues_a_piece_loses_nothing(picks):
    # The token pass (python._scan_literals over the whole module) runs only when a literal may continue a
    # piece of a secret; where none can, it is skipped. Its reference: the pass run whenever a piece is there.
    from hfsecure_jupyter.detect import engine
    from hfsecure_jupyter.detect import python as P
    from hfsecure_jupyter.testing import fake_token

    src = "\n".join(_pieces_around(fake_token(seed=seed))[i] for i, seed in picks) + "\n"

    def rows():
        return [(f.rule, f.line, f.column, f.end_line, f.end_column, f.encoding) for f in detect.scan_python(src)]

    found = rows()
    real = P.literal_pieces
    try:
        P.literal_pieces = lambda text, mask=None: (engine.literal_pieces(text, mask)[0],) * 2  # type: ignore[assignment]
        assert found == rows()
    finally:
        P.literal_pieces = real


def test_a_piece_no_literal_can_continue_does_not_tokenize_the_module(tok, monkeypatch):
    # Real code is full of startswith("hf_"): huggingface_hub's hf_api.py (700 kB) read its literals for it.
    from hfsecure_jupyter.detect import python as P

    read = []
    real = P._scan_literals
    monkeypatch.setattr(P, "_scan_literals", lambda py: read.append(1) or real(py))
    body = "".join(f"def f{i}(s):\n    return s.startswith('hf_') or s + 'x'\n" for i in range(200))
    assert detect.scan_python(body + f"t = '{tok}'\n", misuse=False)[0].preview == detect.mask_secret(tok)
    assert read == []
    assert detect.scan_python(body + f"t = ('{tok[:9]}'  # c\n  '{tok[9:]}')\n", misuse=False)[0].encoding == "concatenation"
    assert read == [1]
