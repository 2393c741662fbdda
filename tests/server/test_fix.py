"""fix_source: the literal becomes code that reads the token; everything else stays."""

from __future__ import annotations

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.server.errors import CoreError
from hfsecure_jupyter.server.fix import fix_source


def _at(source, tok):
    [f] = [f for f in detect.scan_python(source, misuse=False) if f.is_secret]
    return {"line": f.line, "column": f.column}


@pytest.mark.parametrize("template,expected,imports", [
    ('key = "{t}"', 'import os\nkey = os.environ["HF_TOKEN"]', ["import os"]),
    ("import os\nkey = '{t}'  # mine", 'import os\nkey = os.environ["HF_TOKEN"]  # mine', []),
    ('login(token="{t}")', "from huggingface_hub import get_token\nlogin(token=get_token())",
     ["from huggingface_hub import get_token"]),
    ('from huggingface_hub import HfApi, get_token\napi = HfApi("{t}")',
     'from huggingface_hub import HfApi, get_token\napi = HfApi(get_token())', []),
    ('h = {{"Authorization": "Bearer {t}"}}', 'import os\nh = {"Authorization": \'Bearer \' + os.environ["HF_TOKEN"]}',
     ["import os"]),
    ("%%time\nk = '{t}'", '%%time\nimport os\nk = os.environ["HF_TOKEN"]', ["import os"]),
])
def test_fix_replaces_the_literal(tok, template, expected, imports):
    src = template.format(t=tok)
    out = fix_source(src, **_at(src, tok))
    assert (out["source"], out["imports"]) == (expected, imports)
    assert not [f for f in detect.scan_python(out["source"], misuse=False) if f.is_secret]


def test_fix_a_concatenation_replaces_every_piece(tok):
    src = f"k = ('{tok[:12]}'\n     '{tok[12:]}')\nprint(k)"
    out = fix_source(src, **_at(src, tok))
    assert out["source"] == 'import os\nk = (os.environ["HF_TOKEN"])\nprint(k)'


def test_fix_other_providers_read_their_variable(make_token):
    key = make_token("openai")
    src = f"client = OpenAI(api_key='{key}')"
    out = fix_source(src, **_at(src, key))
    assert out["replacement"] == 'os.environ["OPENAI_API_KEY"]'


@pytest.mark.parametrize("template", ["!hf auth login --token {t}", "# my token {t}", "k = f'{t}{{x}}'"])
def test_fix_outside_a_plain_literal_is_refused(tok, template):
    src = template.format(t=tok)
    with pytest.raises(CoreError) as err:
        fix_source(src, **_at(src, tok))
    assert err.value.code == "cannot-fix" and tok not in str(err.value)


def test_fix_position_inside_the_token_works(tok):
    src = f"k = '{tok}'"
    assert fix_source(src, line=1, column=12)["replacement"] == 'os.environ["HF_TOKEN"]'
    with pytest.raises(CoreError):
        fix_source(src, line=2, column=1)
