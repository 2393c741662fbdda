"""No literal secret anywhere in a JobSpec (names, placeholders, namespace, flavor...), none in any error text.

Each test plants a canary built with ``fake_token`` and searches everything that left: the exception's
str/repr/args and attributes, and (for the cases that once built) ``to_dict`` and the three renderings.
"""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from hfsecure_jupyter.detect import mask_secret
from hfsecure_jupyter.jobs import JobSpec, SecretValueError, parse_timeout
from hfsecure_jupyter.jobs.submit import MissingSecretError, resolve_secrets
from hfsecure_jupyter.testing import fake_token

KINDS = ["hf", "hf-org", "openai", "github", "aws"]


def error_text(exc: BaseException) -> str:
    """Everything an exception can show: message, repr, args and attributes."""
    return "\n".join([str(exc), repr(exc), repr(exc.args), repr(vars(exc))])


def shown(spec: JobSpec) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return "\n".join([repr(spec), str(spec), repr(spec.to_dict()), repr(spec.env), repr(spec.secrets),
                          repr(spec.to_mcp()), spec.to_python(), spec.to_cli()])


def build(make, canary):
    """Build with the canary; if it builds, show that it leaks nowhere (it must not build at all)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            spec = make(canary)
        except SecretValueError as exc:
            return exc
    text = shown(spec)  # reached only when the spec was built: say what it would have leaked
    pytest.fail(f"a spec holding a literal secret was built (leaks in renderings: {canary in text})")


# Where a builder once let a literal secret in (names, placeholder variables, namespace, flavor, ...).
PLACES = {
    "env name": lambda t: JobSpec.uv("print(1)", env={t: "1"}),
    "env name, empty value": lambda t: JobSpec.uv("print(1)", env={t: ""}),
    "secret name": lambda t: JobSpec.uv("print(1)", secrets={t: "$X"}),
    "secret name, empty placeholder": lambda t: JobSpec.uv("print(1)", secrets={t: ""}),
    "placeholder variable": lambda t: JobSpec.uv("print(1)", secrets={"X": "$" + t}),
    "braced placeholder variable": lambda t: JobSpec.uv("print(1)", secrets={"X": "${" + t + "}"}),
    "env placeholder variable": lambda t: JobSpec.uv("print(1)", env={"X": "$" + t}),
    "namespace": lambda t: JobSpec.uv("print(1)", namespace=t),
    "container namespace": lambda t: JobSpec.container("python:3.12", "python -V", namespace=t),
    "flavor": lambda t: JobSpec.uv("print(1)", flavor=t),
    "image": lambda t: JobSpec.uv("print(1)", image=t),
    "container image": lambda t: JobSpec.container(t, ["python", "-V"]),
    "container command": lambda t: JobSpec.container("python:3.12", ["echo", t]),
    "label name": lambda t: JobSpec.uv("print(1)", labels={t: "x"}),
    "label value": lambda t: JobSpec.uv("print(1)", labels={"run": t}),
    "python": lambda t: JobSpec.uv("print(1)", python=t),
    "python with a blank": lambda t: JobSpec.uv("print(1)", python="3.12 " + t),
    "dependency": lambda t: JobSpec.uv("print(1)", dependencies=["rich==" + t]),
    "dependency with a newline": lambda t: JobSpec.uv("print(1)", dependencies=[t + "\n"]),
    "script_args": lambda t: JobSpec.uv("print(1)", script_args=["--key", t]),
    "script path": lambda t: JobSpec.uv(t + ".py"),
    "with_token_secret name": lambda t: JobSpec.uv("print(1)").with_token_secret(t),
    "replace namespace": lambda t: JobSpec.uv("print(1)").replace(namespace=t),
    "replace env name": lambda t: JobSpec.container("python:3.12", "ls").replace(env={t: "1"}),
    # a label key that holds the canary glued to a digit, next to a secret value: the message names the key
    "label value under a key holding it": lambda t: JobSpec.uv("print(1)", labels={"1" + t: fake_token(seed=5)}),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("place", list(PLACES))
def test_a_literal_secret_anywhere_is_refused_masked(place, kind):
    canary = fake_token(kind)
    exc = build(PLACES[place], canary)
    assert canary not in error_text(exc)
    assert exc.preview and canary not in exc.preview
    if "under a key" not in place:
        assert exc.preview[-4:] == canary[-4:]


# A spec built past the builders (directly or with dataclasses.replace) is checked the same way.
FORGED = {
    "env name": lambda base, t: dataclasses.replace(base, env_items=((t, "1"),)),
    "secret name": lambda base, t: dataclasses.replace(base, secret_items=((t, "$X"),)),
    "placeholder variable": lambda base, t: dataclasses.replace(base, secret_items=(("X", "$" + t),)),
    "label name": lambda base, t: dataclasses.replace(base, label_items=((t, "x"),)),
    "namespace": lambda base, t: dataclasses.replace(base, namespace=t),
    "flavor": lambda base, t: dataclasses.replace(base, flavor=t),
    "kind": lambda base, t: dataclasses.replace(base, kind=t),
    "script_path": lambda base, t: dataclasses.replace(base, script_path=t + ".py"),
    "warnings": lambda base, t: dataclasses.replace(base, warnings=("note " + t,)),
    "direct construction": lambda base, t: JobSpec(kind="uv", image="python:3.12", script="print(1)\n",
                                                   namespace=t),
}


@pytest.mark.parametrize("place", list(FORGED))
def test_direct_construction_refuses_a_literal_secret(place):
    canary = fake_token()
    base = JobSpec.uv("print(1)")
    exc = build(lambda t: FORGED[place](base, t), canary)
    assert canary not in error_text(exc)


# Messages about bad (not secret-shaped as a whole) values quote them masked.
BAD_VALUES = {
    "timeout": (lambda t: JobSpec.uv("print(1)", timeout=t), ValueError),
    "timeout with a unit": (lambda t: JobSpec.uv("print(1)", timeout="30m " + t), ValueError),
    "parse_timeout": (lambda t: parse_timeout(t), ValueError),
    "python": (lambda t: JobSpec.uv("print(1)", python="3.12 " + t), ValueError),
    "dependency": (lambda t: JobSpec.uv("print(1)", dependencies=[t + "\n"]), ValueError),
    "flavor": (lambda t: JobSpec.uv("print(1)", flavor="gpu-" + t), ValueError),
    "missing script file": (lambda t: JobSpec.uv(t + ".py"), (ValueError, FileNotFoundError)),
    "missing script file in a folder": (lambda t: JobSpec.uv("/nonexistent/" + t + "/job.py"),
                                        (ValueError, FileNotFoundError)),
    "invalid env name": (lambda t: JobSpec.uv("print(1)", env={t + "-x": "1"}), ValueError),
    "invalid secret name": (lambda t: JobSpec.uv("print(1)", secrets={"1" + t: "$X"}), ValueError),
    "invalid namespace": (lambda t: JobSpec.uv("print(1)", namespace="-" + t), ValueError),
    "secret given twice": (lambda t: JobSpec.uv("print(1)", env={"API_KEY": "$" + t}, secrets={"API_KEY": "$B"}),
                           ValueError),
}


@pytest.mark.parametrize("kind", ["hf", "openai"])
@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_no_error_message_quotes_a_secret(case, kind):
    canary = fake_token(kind)
    make, expected = BAD_VALUES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(expected) as err:
            make(canary)
    assert canary not in error_text(err.value)


def test_masked_messages_still_say_what_was_wrong():
    canary = fake_token()
    with pytest.raises(ValueError) as err:
        parse_timeout(canary)
    assert f"timeout '{mask_secret(canary)}' is not a duration" in str(err.value)
    with pytest.raises(SecretValueError) as err:
        JobSpec.uv("print(1)", namespace=canary)
    assert str(err.value).startswith("namespace holds a literal") and mask_secret(canary) in str(err.value)


def test_resolve_secrets_never_names_a_secret_even_for_a_forged_spec(monkeypatch):
    canary = fake_token()
    spec = JobSpec.uv("print(1)").with_token_secret()
    object.__setattr__(spec, "secret_items", ((canary, "$" + canary),))  # forge past every check
    monkeypatch.delenv(canary, raising=False)
    with pytest.raises(MissingSecretError) as err:
        resolve_secrets(spec, token=fake_token())
    assert canary not in error_text(err.value) and canary not in repr(err.value.names)


@pytest.mark.parametrize("field", ["namespace", "flavor", "env_items", "secret_items"])
def test_renderings_of_a_forged_spec_raise_a_masked_secret_value_error(field):
    canary = fake_token()
    spec = JobSpec.container("python:3.12", ["python", "-V"], namespace="alice", env={"A": "1"})
    value = {"namespace": canary, "flavor": canary, "env_items": ((canary, "1"),),
             "secret_items": (("X", "$" + canary),)}[field]
    object.__setattr__(spec, field, value)
    for render in (spec.to_mcp, spec.to_python, spec.to_cli):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(SecretValueError) as err:
                render()
        assert canary not in error_text(err.value)


# --------------------------------------------------------------------------------------------- UTF-8

def _not_utf8(err: pytest.ExceptionInfo) -> str:
    assert not isinstance(err.value, UnicodeError), "a raw codec error, not a clear message"
    text = str(err.value)
    assert "not valid UTF-8 text" in text and "\n" not in text
    return text


def test_a_script_with_a_lone_surrogate_is_refused_with_a_clear_message():
    with pytest.raises(ValueError) as err:
        JobSpec.uv("x = 1\n\udcff = 1\n")
    text = _not_utf8(err)
    assert text.startswith("the script is not valid UTF-8 text (line 2, column 1")
    text.encode("utf-8")  # the message itself can be shown


@pytest.mark.parametrize("make", [
    lambda: JobSpec.uv("print(1)", script_args=["\udcff"]),
    lambda: JobSpec.uv("print(1)", env={"MODE": "\udcff"}),
    lambda: JobSpec.uv("print(1)", dependencies=["rich\udcff"]),
    lambda: JobSpec.uv("print(1)", labels={"run": "\udcff"}),
    lambda: JobSpec.container("python:3.12", ["echo", "\udcff"]),
    lambda: JobSpec(kind="uv", image="python:3.12", script="\udcff = 1\n"),
], ids=["script_args", "env", "dependency", "label", "command", "direct"])
def test_any_text_that_cannot_travel_as_utf8_is_refused(make):
    with pytest.raises(ValueError) as err:
        make()
    _not_utf8(err)


def test_a_script_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "job.py"
    path.write_bytes(b"x = '\xff'\n")
    with pytest.raises(ValueError) as err:
        JobSpec.uv(str(path))
    _not_utf8(err)


def test_hfjob_magic_shows_one_line_for_a_script_that_is_not_utf8():
    """The magic turns the builder's ValueError into a one-line UsageError (no traceback), before any Hub call."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    from hfsecure_jupyter.kernel import extension
    from hfsecure_jupyter.kernel.magics import HFSecureMagics

    if not InteractiveShell.initialized():
        cfg = Config()
        cfg.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=cfg)
    ip = InteractiveShell.instance()
    ip.register_magics(HFSecureMagics)
    try:
        with capture_output() as cap:
            result = ip.run_cell("%%hfjob --dry-run\n\udcff = 1\n", store_history=False)
    finally:
        extension._unregister_magics(ip, HFSecureMagics)
    err_lines = [ln for ln in cap.stderr.splitlines() if ln.strip()]
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert err_lines == [err_lines[0]] and "not valid UTF-8 text" in err_lines[0]
    assert "Traceback" not in cap.stdout + cap.stderr and "UnicodeEncodeError" not in cap.stdout + cap.stderr
