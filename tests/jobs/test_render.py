"""The three renderings describe the same job, and none holds a secret value.

* to_cli() is parsed by the real ``hf jobs ... --dry-run`` (huggingface_hub's own command line);
* to_mcp() is validated against the ``hf_jobs`` tool's argument schema (written below);
* to_python() is compiled here and executed against the emulator in test_submit.py.
"""

from __future__ import annotations

import ast
import base64
import os
import shlex
import shutil
import subprocess
import warnings

import pytest

from hfsecure_jupyter.emulator import parse_inline
from hfsecure_jupyter.jobs import DEFAULT_UV_IMAGE, JobSpec, SecretValueError
from hfsecure_jupyter.testing import fake_token

# The hf_jobs tool's arguments (Hugging Face MCP server): what each operation accepts and its types.
HF_JOBS_SCHEMA = {
    "uv": {
        "required": {"script"},
        "properties": {
            "script": str, "with_deps": list, "script_args": list, "python": str, "flavor": str, "env": dict,
            "secrets": dict, "timeout": str, "volumes": list, "detach": bool, "namespace": str, "image": str,
        },
    },
    "run": {
        "required": {"image", "command"},
        "properties": {
            "image": str, "command": (str, list), "flavor": str, "env": dict, "secrets": dict, "timeout": str,
            "volumes": list, "detach": bool, "namespace": str,
        },
    },
}


def validate_hf_jobs_call(call: dict) -> None:
    assert set(call) == {"operation", "args"}
    schema = HF_JOBS_SCHEMA[call["operation"]]
    args = call["args"]
    assert schema["required"] <= set(args), f"missing {schema['required'] - set(args)}"
    unknown = set(args) - set(schema["properties"])
    assert not unknown, f"arguments the tool does not know (it drops them silently): {unknown}"
    for key, value in args.items():
        assert isinstance(value, schema["properties"][key]), (key, value)
        if isinstance(value, dict):
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        if key in ("with_deps", "script_args") or (key == "command" and isinstance(value, list)):
            assert all(isinstance(v, str) for v in value)
    if "timeout" in args:
        assert args["timeout"][-1] in "smhd" and float(args["timeout"][:-1]) > 0


def mcp_server_command(args: dict) -> list[str]:
    """The command the hf_jobs tool builds for an inline uv script (its documented base64 approach)."""
    encoded = base64.b64encode(args["script"].encode()).decode()
    uv = ["uv", "run"] + [w for d in args.get("with_deps", []) for w in ("--with", d)]
    if args.get("python"):
        uv += ["-p", args["python"]]
    return ["/bin/sh", "-lc", f'echo "{encoded}" | base64 -d | {shlex.join(uv)} -']


def parse_dry_run(text: str) -> dict[str, list[str]]:
    """Parse ``hf jobs ... --dry-run``'s "Job configuration:" table: key -> its value lines."""
    lines = text.splitlines()
    start = lines.index("Job configuration:")
    table: dict[str, list[str]] = {}
    key = ""
    for line in lines[start + 1:]:
        if line.startswith("(dry run)"):
            break
        body = line[2:]
        name, _, rest = body.partition("  ")
        if name.strip():
            key = name.strip()
            table[key] = [rest.strip()]
        else:
            table[key].append(body.strip())
    return table


def hf_dry_run(cli: str, **env: str) -> tuple[dict[str, list[str]], str]:
    argv = shlex.split(cli)
    assert argv[:2] == ["hf", "jobs"] and "--dry-run" not in argv
    exe = shutil.which("hf")
    assert exe, "the hf command line (huggingface_hub) is installed"
    sub = argv[2:4] if argv[2] == "uv" else argv[2:3]
    argv = [exe, "jobs", *sub, "--dry-run", *argv[2 + len(sub):]]
    child_env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    child_env.update(env)
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env, timeout=120)
    assert done.returncode == 0, done.stderr
    return parse_dry_run(done.stdout), done.stdout + done.stderr


def spec_examples(tmp_path=None) -> list[JobSpec]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            JobSpec.uv("import os\nprint('hi', os.environ['MODE'])\n", dependencies=["rich>=13", "numpy"],
                       python="3.11", flavor="t4-small", timeout="90m", env={"MODE": "fast lane", "Q": "it's"},
                       labels={"team": "ml"}, namespace="alice", script_args=["--n", "2 3", "-e", "X=1"],
                       verify_token=True).with_token_secret(),
            JobSpec.uv("print(1)", timeout=95, secrets={"WANDB_API_KEY": "$WANDB_API_KEY"}),
            JobSpec.container("python:3.12", ["python", "-c", "import os; print(os.environ['A'])", "-e", "B=2"],
                              env={"A": "1"},
                              flavor="cpu-upgrade", timeout="2h").with_token_secret(),
            JobSpec.uv("https://example.com/train.py", dependencies=["trl"], script_args=["--lr", "1e-4", "--flavor", "x"],
                       flavor="a10g-small", timeout="1h").with_token_secret(),
        ]


# ---------------------------------------------------------------------------------------------- MCP

@pytest.mark.parametrize("index", range(4))
def test_mcp_rendering_follows_the_tool_schema_and_describes_the_spec(index):
    spec = spec_examples()[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call = spec.to_mcp()
    validate_hf_jobs_call(call)
    args = call["args"]
    assert "dependencies" not in args  # silently dropped by the tool: the key is with_deps
    assert args.get("env", {}) == spec.env and "HF_TOKEN" not in args.get("env", {})
    assert args.get("secrets", {}) == spec.secrets
    assert args["flavor"] == spec.flavor
    assert args.get("timeout") == spec.timeout_str and spec.timeout is not None
    assert args.get("namespace") == spec.namespace
    if spec.kind == "uv":
        assert call["operation"] == "uv"
        assert args.get("with_deps", []) == list(spec.dependencies)
        assert args.get("script_args", []) == list(spec.script_args)
        assert args.get("python") == spec.python
        assert args.get("image", DEFAULT_UV_IMAGE) == spec.image
        if spec.is_inline:
            assert "\n" in args["script"]  # the tool inlines a script only when it holds a newline
            ours, theirs = parse_inline(spec.command), parse_inline(mcp_server_command(args))
            assert ours is not None and theirs is not None
            assert (ours.script, ours.dependencies, ours.python) == (theirs.script, theirs.dependencies, theirs.python)
        else:
            assert args["script"] == spec.script
    else:
        assert call["operation"] == "run"
        assert args["image"] == spec.image and args["command"] == spec.command


def test_mcp_never_puts_the_token_placeholder_in_env():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = JobSpec.uv("print(1)", env={"HF_TOKEN": "$HF_TOKEN"})
    args = spec.to_mcp()["args"]
    assert "env" not in args and args["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}


def test_mcp_warns_about_placeholders_the_tool_does_not_substitute():
    with pytest.warns(UserWarning, match="WANDB_API_KEY"):
        JobSpec.uv("print(1)", secrets={"WANDB_API_KEY": None}).to_mcp()


# ---------------------------------------------------------------------------------------------- Python

@pytest.mark.parametrize("index", range(4))
def test_python_rendering_compiles_and_holds_no_value(index):
    spec = spec_examples()[index]
    code = spec.to_python()
    tree = ast.parse(code)
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert ("run_uv_job" if spec.kind == "uv" and not spec.is_inline else "run_job") in calls
    if "HF_TOKEN" in spec.secrets:
        assert "get_token()" in code and "_secret('HF_TOKEN')" in code
    assert ("namespace = 'alice'" in code) if spec.namespace else ('namespace = whoami()["name"]' in code)
    # every string constant is free of secrets and of the literal placeholders (they are read at run time)
    consts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not any(c in ("$HF_TOKEN", "$WANDB_API_KEY") for c in consts)


def test_python_rendering_builds_exactly_the_spec_command():
    """Run the rendered code up to the call, with run_job swapped for a recorder: same command, same kwargs."""
    spec = spec_examples()[0]
    code = spec.to_python()
    recorded: dict = {}

    class Job:
        id, url = "0" * 24, "http://hub/jobs/alice/0"

    def run_job(**kwargs):
        recorded.update(kwargs)
        return Job()

    canary = fake_token()
    code = code.replace("from huggingface_hub import get_token, run_job", "")
    exec(compile(code, "<rendered>", "exec"), {"run_job": run_job, "get_token": lambda: canary, "print": lambda *a: None})
    assert recorded["command"] == spec.command
    assert recorded["image"] == spec.image and recorded["env"] == spec.env
    assert recorded["secrets"] == {"HF_TOKEN": canary}  # read when it ran
    assert recorded["flavor"] == spec.flavor and recorded["timeout"] == spec.timeout_str
    assert recorded["labels"] == spec.labels and recorded["namespace"] == "alice"
    assert canary not in code


# ---------------------------------------------------------------------------------------------- CLI

@pytest.mark.parametrize("index", range(4))
def test_cli_rendering_never_carries_env_secrets_or_values(index):
    spec = spec_examples()[index]
    cli = spec.to_cli()
    words = shlex.split(cli)
    for name in spec.secrets:
        assert f"-e {name}" not in cli and f"--env {name}" not in cli
    secrets = [words[i + 1] for i, w in enumerate(words) if w in ("--secrets", "-s")]
    assert sorted(s.split("=")[0] for s in secrets) == sorted(spec.secrets)
    assert all(s == n or s.endswith(f"=${spec.secrets[n]}") for s in secrets for n in [s.split("=")[0]])
    assert shlex.split(spec.to_cli(multiline=True).replace("\\\n", " ")) == words


def _summary_env(lines: list[str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in lines if line)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(4))
def test_cli_rendering_parsed_by_real_hf_dry_run_is_the_same_job(index):
    spec = spec_examples()[index]
    canary = fake_token()
    table, output = hf_dry_run(spec.to_cli(), HF_TOKEN=canary, WANDB_API_KEY=fake_token("openai"))
    assert canary not in output  # bare --secrets: the CLI shows ***, never the value
    assert _summary_env(table.get("secrets", [])) == {n: "***" for n in spec.secrets}
    assert _summary_env(table.get("env", [])) == spec.env
    assert table["flavor"] == [spec.flavor]
    assert table.get("timeout") == [spec.timeout_str]
    labels = _summary_env(table.get("labels", []))
    labels.pop("name")  # the CLI names every job
    assert labels == spec.labels
    assert table.get("namespace", [None]) == [spec.namespace]
    assert table["image"] == [spec.image]
    assert shlex.split(table["command"][0]) == spec.command  # exactly what submit() and to_python() send
    if spec.kind == "uv" and not spec.is_inline:
        assert spec.script in table["command"][0]


@pytest.mark.slow
def test_cli_uv_file_form_parsed_by_real_hf_dry_run(tmp_path):
    spec = spec_examples()[0]
    path = tmp_path / "job.py"
    path.write_text(spec.script_text)
    table, output = hf_dry_run(spec.to_cli(script_path=str(path)), HF_TOKEN=fake_token())
    assert table["script"] == [str(path)]
    assert shlex.split(table["args"][0]) == list(spec.script_args)
    assert table["with"][0].split() == list(spec.dependencies)
    assert table["python"] == [spec.python] and table["flavor"] == [spec.flavor]
    assert table["timeout"] == [spec.timeout_str] and table["image"] == [spec.image]
    assert _summary_env(table["env"]) == spec.env
    assert _summary_env(table["secrets"]) == {"HF_TOKEN": "***"}


@pytest.mark.slow
def test_the_trap_we_never_emit_hf_dry_run_prints_an_env_token():
    """Why there is no ``-e HF_TOKEN`` in our renderings: 2.4.0's --dry-run prints its value in clear."""
    canary = fake_token()
    _, output = hf_dry_run("hf jobs run -e HF_TOKEN python:3.12 python -V", HF_TOKEN=canary)
    assert canary in output
    _, output = hf_dry_run("hf jobs run --secrets HF_TOKEN python:3.12 python -V", HF_TOKEN=canary)
    assert canary not in output and "HF_TOKEN=***" in output


def test_dry_run_parser_reads_multi_line_values():
    text = ("Job configuration:\n  image   python:3.12\n  env     A=1\n          B=2\n  labels  name=x\n"
            "(dry run) Job not submitted.\n")
    assert parse_dry_run(text) == {"image": ["python:3.12"], "env": ["A=1", "B=2"], "labels": ["name=x"]}


def test_secret_under_another_name_is_expanded_by_the_shell_not_written():
    spec = JobSpec.uv("print(1)").with_token_secret("HUB_TOKEN")
    cli = spec.to_cli()
    assert '--secrets "HUB_TOKEN=$HF_TOKEN"' in cli
    canary = fake_token()
    done = subprocess.run(["/bin/sh", "-c", "printf '%s\\n' " + cli.split("--secrets ", 1)[1].split(" ", 1)[0]],
                          capture_output=True, text=True, env={"HF_TOKEN": canary, "PATH": os.defpath})
    assert done.stdout.strip() == f"HUB_TOKEN={canary}"  # the value appears only when the shell runs it


def test_renderings_refuse_to_leak_even_if_a_spec_was_forged(tok):
    """The guard in render.py: a spec object that bypassed its checks still renders nothing secret."""
    from hfsecure_jupyter.jobs import render

    spec = JobSpec.container("python:3.12", ["python", "-V"])
    object.__setattr__(spec, "argv", ("echo", tok))  # forge past the frozen dataclass
    for fn in (render.to_mcp, render.to_python, render.to_cli):
        with pytest.raises(SecretValueError) as err:
            fn(spec)
        assert tok not in str(err.value) and tok not in repr(err.value) and err.value.preview.endswith(tok[-4:])
