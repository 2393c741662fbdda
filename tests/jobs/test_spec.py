"""JobSpec: secrets sorted out of env, literal values refused or replaced, placeholders only, immutable."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.jobs import (
    DEFAULT_UV_IMAGE,
    JobSpec,
    SecretMovedWarning,
    SecretValueError,
    add_token_check,
    format_timeout,
    parse_timeout,
)
from hfsecure_jupyter.jobs.spec import TOKEN_CHECK_MARKER
from hfsecure_jupyter.testing import fake_token

SCRIPT = "import os\nprint('hello from the job')\n"


def everything_shown(spec: JobSpec) -> str:
    """All text a spec ever shows or renders."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # to_mcp's note about non-HF placeholders
        return "\n".join([repr(spec), str(spec), repr(spec.to_dict()), repr(spec.to_mcp()), spec.to_python(),
                          spec.to_cli(), spec.to_cli(script_path="job.py"), *spec.warnings])


# --------------------------------------------------------------------------------------------- timeout/flavor

@pytest.mark.parametrize("given_, seconds", [
    ("30m", 1800), ("1h", 3600), ("90s", 90), (45, 45), (2.5, 3), ("1.5h", 5400), ("1h30m", 5400), ("2d", 172800),
    (" 10M ", 600), ("120", 120),
])
def test_timeout_is_stored_in_seconds(given_, seconds):
    assert parse_timeout(given_) == seconds
    assert JobSpec.uv(SCRIPT, timeout=given_).timeout == seconds
    assert parse_timeout(format_timeout(seconds)) == seconds  # renders back to the same value


@pytest.mark.parametrize("bad", ["soon", "10x", "-5m", "0", 0, -1, "", "m30"])
def test_bad_timeout_is_a_clear_value_error(bad):
    with pytest.raises(ValueError):
        JobSpec.uv(SCRIPT, timeout=bad)


def test_bool_timeout_is_refused():
    with pytest.raises(TypeError):
        parse_timeout(True)


def test_unknown_flavor_lists_close_matches():
    with pytest.raises(ValueError) as err:
        JobSpec.uv(SCRIPT, flavor="a10g-smal")
    assert "a10g-small" in str(err.value) and "unknown job flavor" in str(err.value)
    with pytest.raises(ValueError, match="h200x2"):
        JobSpec.container("python:3.12", ["true"], flavor="h200-x2")


def test_every_2_4_flavor_is_accepted():
    from huggingface_hub import JobHardware

    for flavor in JobHardware:
        assert JobSpec.uv(SCRIPT, flavor=flavor.value).flavor == flavor.value


# --------------------------------------------------------------------------------------------- env -> secrets

def test_literal_hf_token_in_env_becomes_placeholder_secret_with_warning(tok):
    with pytest.warns(SecretMovedWarning) as caught:
        spec = JobSpec.uv(SCRIPT, env={"HF_TOKEN": tok, "MODE": "fast"})
    assert spec.env == {"MODE": "fast"}
    assert spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}
    messages = " ".join(str(w.message) for w in caught)
    assert "hf_****" + tok[-4:] in messages and tok not in messages
    assert any("env['HF_TOKEN']" in w for w in spec.warnings)
    assert tok not in everything_shown(spec)


def test_literal_hf_token_under_another_env_name_moves_too(tok):
    with pytest.warns(SecretMovedWarning):
        spec = JobSpec.uv(SCRIPT, env={"MY_HUB_CREDENTIAL": f"'{tok}'"})
    assert spec.env == {} and spec.secrets == {"MY_HUB_CREDENTIAL": "$HF_TOKEN"}


@pytest.mark.parametrize("env, secrets", [
    ({"HF_TOKEN": "$HF_TOKEN"}, {"HF_TOKEN": "$HF_TOKEN"}),        # the hf_jobs tool trap
    ({"HF_TOKEN": "${HF_TOKEN}"}, {"HF_TOKEN": "$HF_TOKEN"}),
    ({"WANDB_API_KEY": ""}, {"WANDB_API_KEY": "$WANDB_API_KEY"}),  # bare name, like --secrets NAME
    ({"HUB": "$HF_TOKEN"}, {"HUB": "$HF_TOKEN"}),                  # a placeholder of a secret name
    ({"DB_PASSWORD": "${PGPASS_SECRET}"}, {"DB_PASSWORD": "$PGPASS_SECRET"}),
])
def test_secret_looking_env_entries_move_to_secrets(env, secrets):
    with pytest.warns(SecretMovedWarning):
        spec = JobSpec.uv(SCRIPT, env={**env, "KEEP": "1"})
    assert spec.secrets == secrets
    assert spec.env == {"KEEP": "1"}


def test_plain_env_and_numeric_settings_stay_in_env():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for ordinary entries
        spec = JobSpec.uv(SCRIPT, env={"TOKENIZERS_PARALLELISM": "false", "MAX_TOKENS": 512, "MODEL": "gpt2",
                                       "PROJECT": "$PROJECT_NAME"})
    assert spec.env == {"TOKENIZERS_PARALLELISM": "false", "MAX_TOKENS": "512", "MODEL": "gpt2",
                        "PROJECT": "$PROJECT_NAME"}
    assert spec.secrets == {}


@pytest.mark.parametrize("kind", ["openai", "github", "aws", "hf-org", "slack"])
def test_other_literal_secrets_in_env_are_refused_masked(kind):
    value = fake_token(kind)
    with pytest.raises(SecretValueError) as err:
        JobSpec.uv(SCRIPT, env={"SOME_SETTING": value})
    assert value not in str(err.value) and value not in repr(err.value)
    assert err.value.where == "env['SOME_SETTING']"
    assert "****" in err.value.preview and value not in err.value.preview


def test_secret_named_env_with_a_literal_value_is_refused():
    value = "correct-horse-battery-staple"
    with pytest.raises(SecretValueError) as err:
        JobSpec.container("python:3.12", ["true"], env={"DB_PASSWORD": value})
    assert value not in str(err.value)
    assert "secrets={'DB_PASSWORD': '$DB_PASSWORD'}" in str(err.value)


def test_token_inside_a_longer_env_value_is_refused(tok):
    with pytest.raises(SecretValueError) as err:
        JobSpec.uv(SCRIPT, env={"AUTH_HEADER_TEMPLATE_X": f"Bearer {tok}"})
    assert tok not in str(err.value)


# --------------------------------------------------------------------------------------------- secrets

def test_secrets_hold_placeholders_only(tok):
    spec = JobSpec.uv(SCRIPT, secrets={"A": None, "B": "${B_SRC}", "C": "$C"})
    assert spec.secrets == {"A": "$A", "B": "$B_SRC", "C": "$C"}
    with pytest.warns(SecretMovedWarning):
        spec = JobSpec.uv(SCRIPT, secrets={"HF_TOKEN": tok})
    assert spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}
    assert tok not in everything_shown(spec)


@pytest.mark.parametrize("value_kind", ["openai", "literal"])
def test_literal_secret_values_are_refused(value_kind):
    value = fake_token("openai") if value_kind == "openai" else "my-private-password-1"
    with pytest.raises(SecretValueError) as err:
        JobSpec.uv(SCRIPT, secrets={"API": value})
    assert value not in str(err.value)
    assert "'$API'" in str(err.value)


def test_same_name_with_two_placeholders_is_refused():
    with pytest.raises(ValueError, match="twice"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        JobSpec.uv(SCRIPT, env={"HF_TOKEN": "$OTHER_TOKEN"}, secrets={"HF_TOKEN": "$HF_TOKEN"})


def test_bad_names_are_refused():
    with pytest.raises(ValueError, match="not valid"):
        JobSpec.uv(SCRIPT, env={"1BAD": "x"})
    with pytest.raises(ValueError, match="not valid"):
        JobSpec.uv(SCRIPT, secrets={"BAD-NAME": "$X"})


def test_with_token_secret_adds_the_placeholder_and_drops_env_duplicate():
    spec = JobSpec.uv(SCRIPT, env={"A": "1"}).with_token_secret()
    assert spec.secrets == {"HF_TOKEN": "$HF_TOKEN"} and spec.env == {"A": "1"}
    assert JobSpec.uv(SCRIPT).with_token_secret("HUB_TOKEN").secrets == {"HUB_TOKEN": "$HF_TOKEN"}


# --------------------------------------------------------------------------------------------- literals elsewhere

def test_literal_token_in_script_is_refused_with_line_and_mask(tok):
    with pytest.raises(SecretValueError) as err:
        JobSpec.uv(f"import os\nx = 1\nlogin(token='{tok}')\n")
    msg = str(err.value)
    assert tok not in msg and "hf_****" + tok[-4:] in msg
    assert err.value.where == "script line 3"
    assert "$HF_TOKEN" in msg  # says what to do instead


def test_base64_encoded_token_in_script_is_refused(tok):
    import base64

    blob = base64.b64encode(f"token={tok}".encode()).decode()
    with pytest.raises(SecretValueError):
        JobSpec.uv(f"import base64\nprint(base64.b64decode('{blob}'))\n")


@pytest.mark.parametrize("where", ["command", "labels", "label_key", "script_args", "dependencies", "image"])
def test_literal_secrets_are_refused_everywhere(where, tok):
    if where == "command":
        build = lambda: JobSpec.container("python:3.12", ["python", "-c", f"print('{tok}')"])  # noqa: E731
    elif where == "labels":
        build = lambda: JobSpec.uv(SCRIPT, labels={"note": tok})  # noqa: E731
    elif where == "label_key":
        build = lambda: JobSpec.uv(SCRIPT, labels={tok: "x"})  # noqa: E731
    elif where == "script_args":
        build = lambda: JobSpec.uv(SCRIPT, script_args=["--token", tok])  # noqa: E731
    elif where == "dependencies":
        build = lambda: JobSpec.uv(SCRIPT, dependencies=[f"git+https://user:{tok}@example.com/pkg.git"])  # noqa
    else:
        build = lambda: JobSpec.container(f"registry.example/{tok}:1", ["true"])  # noqa: E731
    with pytest.raises(SecretValueError) as err:
        build()
    assert tok not in str(err.value)


def test_direct_construction_and_replace_cannot_smuggle_a_value(tok):
    with pytest.raises(SecretValueError):
        JobSpec(kind="uv", image=DEFAULT_UV_IMAGE, script=SCRIPT, secret_items=(("HF_TOKEN", tok),))
    spec = JobSpec.uv(SCRIPT)
    with pytest.raises(SecretValueError):
        dataclasses.replace(spec, env_items=(("HF_TOKEN", "$HF_TOKEN"),))
    with pytest.raises(SecretValueError):
        dataclasses.replace(spec, env_items=(("X", tok),))
    with pytest.raises(SecretValueError):
        spec.replace(script=f"print('{tok}')")


# --------------------------------------------------------------------------------------------- value object

def test_spec_is_immutable_and_hashable():
    spec = JobSpec.uv(SCRIPT, env={"A": "1"}, labels={"team": "ml"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.flavor = "t4-small"  # type: ignore[misc]
    spec.env["A"] = "changed"
    spec.labels["team"] = "x"
    assert spec.env == {"A": "1"} and spec.labels == {"team": "ml"}
    assert spec == JobSpec.uv(SCRIPT, env={"A": "1"}, labels={"team": "ml"})
    assert len({spec, JobSpec.uv(SCRIPT, env={"A": "1"}, labels={"team": "ml"})}) == 1
    assert spec != spec.replace(flavor="t4-small")


def test_script_sources(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    spec = JobSpec.uv(str(path))
    assert spec.script == SCRIPT and spec.script_path == str(path) and spec.is_inline
    with pytest.raises(FileNotFoundError, match="nope.py"):
        JobSpec.uv(str(tmp_path / "nope.py"))
    url = JobSpec.uv("https://example.com/train.py", dependencies=["trl"], script_args=["--lr", "1e-4"])
    assert not url.is_inline
    assert url.command == ["uv", "run", "--with", "trl", "https://example.com/train.py", "--lr", "1e-4"]
    one_liner = JobSpec.uv("print('x')")
    assert one_liner.script.endswith("\n") and one_liner.is_inline  # the hf_jobs tool needs a newline to inline it
    with pytest.raises(ValueError):
        JobSpec.uv("   ")


def test_command_matches_what_run_uv_job_builds_for_a_url():
    """Our URL command is the one huggingface_hub's run_uv_job would send (checked with its own helper)."""
    from huggingface_hub import HfApi

    spec = JobSpec.uv("https://example.com/a.py", dependencies=["rich", "trl>=0.9"], python="3.11",
                      script_args=["x"], namespace="alice")
    command, *_ = HfApi()._create_uv_command_env_and_secrets(
        script=spec.script, script_args=list(spec.script_args), dependencies=list(spec.dependencies),
        python=spec.python, env={}, secrets={}, namespace="alice", token=False)
    assert command == spec.command


def test_repr_and_str_show_placeholders_only(tok):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = JobSpec.uv(SCRIPT, env={"HF_TOKEN": tok, "MODE": "fast"}, dependencies=["rich"], timeout=5400,
                          namespace="alice", labels={"team": "ml"})
    r = repr(spec)
    assert r.startswith("JobSpec.uv(script=<inline, 2 lines>")
    assert "'$HF_TOKEN'" in r and "timeout='90m'" in r and "'MODE': 'fast'" in r
    s = str(spec)
    assert "HF_TOKEN <- $HF_TOKEN (resolved at submission)" in s and "timeout:  90m" in s
    assert tok not in everything_shown(spec)


def test_misuse_in_the_script_becomes_a_warning():
    spec = JobSpec.uv("from huggingface_hub import get_token\nprint(get_token())\n")
    assert any(w.startswith("script line 2:") for w in spec.warnings)


# --------------------------------------------------------------------------------------------- verify_token

PEP723 = '# /// script\n# requires-python = ">=3.10"\n# dependencies = []\n# ///\n'


def test_token_check_goes_after_the_pep723_block_docstring_and_future_imports():
    script = "#!/usr/bin/env python\n" + PEP723 + '"""Doc."""\nfrom __future__ import annotations\nprint(1)\n'
    out = add_token_check(script)
    lines = out.splitlines()
    assert lines[:5] == script.splitlines()[:5]  # shebang + PEP 723 block untouched, still first
    assert lines[7].endswith(TOKEN_CHECK_MARKER)
    assert lines[5:7] == ['"""Doc."""', "from __future__ import annotations"]
    compile(out, "<job>", "exec")  # __future__ import still legal
    assert add_token_check(out) == out
    # uv reads the block from the script: the regex of PEP 723 still finds it at the top
    import re

    block = re.search(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$", out)
    assert block and block.start() == len("#!/usr/bin/env python\n")


def test_token_check_for_plain_and_unparsable_scripts():
    assert add_token_check("print(1)\n").splitlines()[0].endswith(TOKEN_CHECK_MARKER)
    broken = "def (:\n"
    assert add_token_check(broken).splitlines()[1] == "def (:"


@pytest.mark.slow
def test_token_check_stops_the_script_without_hf_token_and_lets_it_run_with_it(tmp_path, tok):
    spec = JobSpec.uv(PEP723 + "print('ran')\n", verify_token=True).with_token_secret()
    assert spec.verify_token and TOKEN_CHECK_MARKER in spec.script_text and TOKEN_CHECK_MARKER not in spec.script
    path = tmp_path / "job.py"
    path.write_text(spec.script_text)
    env = {"PATH": "/usr/bin:/bin"}
    missing = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 1 and "ran" not in missing.stdout
    assert "HF_TOKEN is not set in this job" in missing.stderr and "secrets" in missing.stderr
    ok = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                        env={**env, "HF_TOKEN": tok}, timeout=60)
    assert ok.returncode == 0 and ok.stdout.strip() == "ran"
    assert tok not in ok.stdout + ok.stderr


def test_verify_token_without_the_secret_warns_and_url_is_refused():
    spec = JobSpec.uv(SCRIPT, verify_token=True)
    assert any("verify_token is on" in w for w in spec.warnings)
    assert not any("verify_token is on" in w for w in spec.with_token_secret().warnings)
    with pytest.raises(ValueError, match="inline"):
        JobSpec.uv("https://example.com/a.py", verify_token=True)


# --------------------------------------------------------------------------------------------- property

_NAMES = st.sampled_from(["HF_TOKEN", "WANDB_API_KEY", "DB_PASSWORD", "MODE", "MAX_TOKENS", "SEED", "LR",
                          "HUB", "OUTPUT_DIR"])


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(st.tuples(_NAMES, st.sampled_from(
    ["canary", "canary-quoted", "canary-bearer", "$HF_TOKEN", "${WANDB_API_KEY}", "$OUT", "", "512", "fast",
     "s3cret-value-xyz", "openai"])), max_size=5))
def test_whatever_env_is_given_no_value_is_left_or_shown(entries):
    canary = fake_token(seed=1234)
    other = fake_token("openai", seed=5)
    values = {"canary": canary, "canary-quoted": f'"{canary}"', "canary-bearer": f"Bearer {canary}",
              "openai": other}
    env = {name: values.get(v, v) for name, v in entries}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            spec = JobSpec.uv(SCRIPT, env=env)
    except SecretValueError as err:
        assert canary not in str(err) and other not in str(err)
        return
    except ValueError as err:  # same name twice with different placeholders
        assert "twice" in str(err) and canary not in str(err)
        return
    shown = everything_shown(spec) + " ".join(str(w.message) for w in caught)
    assert canary not in shown and other not in shown
    from hfsecure_jupyter import detect

    for name, value in spec.env.items():
        assert not detect.find_secrets(value)
        assert not detect.is_secret_name(name) or value in ("512",)
    for name, value in spec.secrets.items():
        assert value.startswith("$")
