"""The misuse analysis parses a module only when its syntax tree can find something (issue 8).

The reference is the whole-tree analysis as it was: ``misuse._tree_may_find`` switched off, so that every
module is parsed and walked. The new one must give exactly the same findings.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect import misuse
from hfsecure_jupyter.detect.ipython import mask_ipython

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SAMPLES = [s for r in misuse.MISUSE_RECORDS for s in r.true_samples + r.false_samples]
# Noise that moves where the last statement starts: strings and comments holding code, brackets and line
# ends; continued lines; clauses; decorators; values shown as Out[n]; broken code.
_NOISE = [
    'os.environ["HF_TOKEN"] = get_token()  # token api_org_ sk- AKIA hfsecure',
    "tok = get_token()", "tok", "os.environ", "HF_TOKEN", '"$HF_TOKEN"', "x = 1", "x", "f(x)", "pass",
    "s = '''\nprint(get_token())\n'''", 's = """\nos.environ\n"""', "os.environ + '''\nx = 1 #'''",
    "'''\nz = 1 #'''", "y = (1,\n2)", "y = [\nos.environ]", "(os.environ\n)", "z = 1 + \\\n2", "\\\nos.environ",
    "# a comment (with [ brackets\n", "# ends with a backslash \\", "x = ')'  # '(", 'x = "\\"("',
    "if x:\n    tok\nelse:\n    pass", "try:\n    pass\nexcept Exception:\n    os.environ",
    "@decorator\ndef f():\n    return os.environ", "class C:\n    x = get_token()", "a = 1; os.environ",
    "a = b = get_token()", "b = a", "key = api_key", "f'{tok}'", 'f"{os.environ}"', "os.environ['HF_TOKEN']",
    "!echo $HF_TOKEN", "%env HF_TOKEN", "x = !ls", "(", ")", "'''", '"unterminated', "else:", "  indented",
    "\n", "", "   ", "\t# tab comment", "\f", "x = 1\r", "print", "job", "logging", "blog(tok)",
]


def _reference(source: str) -> list:
    saved = misuse._tree_may_find
    misuse._tree_may_find = lambda py: True  # type: ignore[assignment]
    try:
        return misuse.misuse_findings(source, mask_ipython(source))
    finally:
        misuse._tree_may_find = saved


def _pieces() -> st.SearchStrategy[str]:
    piece = st.sampled_from(_SAMPLES + _NOISE)
    return st.lists(piece, min_size=1, max_size=8).map("\n".join)


@SETTINGS
@given(_pieces())
def test_same_findings_as_the_whole_tree(source):
    assert misuse.misuse_findings(source, mask_ipython(source)) == _reference(source)


@SETTINGS
@given(_pieces(), st.text(alphabet="()[]{}'\"#\\\n x=+:;", max_size=12))
def test_same_findings_with_punctuation_noise(source, noise):
    source = source + noise if noise.startswith("\n") else source + "\n" + noise
    assert misuse.misuse_findings(source, mask_ipython(source)) == _reference(source)


@pytest.mark.parametrize("source,may", [
    ('os.environ["HF_TOKEN"] = get_token()', False),
    ("tok = get_token()\ntok", True),
    ("os.environ + '''\nx = 1 #'''", True),   # the last line alone would parse as an assignment
    ("x = '''\nos.environ\n'''", False),
    ("y = (\nos.environ)\nz = 1", False),
    ("y = (1,\nos.environ)", False),
    ("z = 1 + \\\nos.environ", False),
    ("\\\nos.environ", True),
    ("a = 1; os.environ", True),
    ("x = 1\nprint(y)", True),              # an echoing call: the whole tree decides
    ("x = 1\nrun_job(image='x')", True),
    ("x = 1\nblog(y)", False),
])
def test_tree_may_find(source, may):
    assert misuse._tree_may_find(mask_ipython(source).python) is may


def test_dense_assignments_are_not_parsed_whole(monkeypatch):
    """The keyword-ish shape (every line reads a token, none shows it): only its last line is parsed."""
    line = 'os.environ["HF_TOKEN"] = get_token()  # token api_org_ sk- AKIA hfsecure\n'
    source = line * 2000
    parsed: list[int] = []
    real = ast.parse

    def counting(text, *args, **kwargs):
        parsed.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(misuse.ast, "parse", counting)
    assert misuse.scan_misuse(source) == []
    assert sum(parsed) <= 2 * len(line)
