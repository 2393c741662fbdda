"""The scan path (a pre-commit hook) imports only the standard library and the detection core, and only
the parts a run needs: a text report of a few Python files compiles no rule pattern it does not try,
tokenizes nothing without a keyword, and loads no report format, baseline or git code it was not asked for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.errors import CommandLineError
from hfsecure_jupyter.testing import fake_token

REPO_ROOT = Path(__file__).resolve().parents[2]

#: What ``hfsecure scan FILES`` may import from the package (besides the detection core, whose modules
#: all load: detect/__init__ re-exports them); everything else is imported when an option asks for it.
ALLOWED = {"hfsecure_jupyter", "hfsecure_jupyter.cli", "hfsecure_jupyter.cli.scan", "hfsecure_jupyter.report",
           "hfsecure_jupyter.report.shape", "hfsecure_jupyter.report.text", "hfsecure_jupyter.errors"}

#: Standard-library modules that cost a hook's start-up and that a text scan of a few files does not need.
HEAVY = ("importlib.metadata", "subprocess", "email", "zipfile", "asyncio", "sqlite3", "typing", "dataclasses",
         "inspect", "tokenize", "hashlib", "urllib.parse", "pathlib", "shutil", "random", "string", "base64",
         "math", "importlib.util", "argparse", "gettext", "locale", "array", "bisect", "binascii", "json")

# Only what the scan itself imports counts: an interpreter may load modules before any of ours at start-up
# (Debian's Python imports its /usr/lib/python3.X/sitecustomize.py in every venv made from it).
PROBE = """
import sys
startup = set(sys.modules)
from hfsecure_jupyter import cli
code = cli.main(["scan", *sys.argv[1:]])
new = set(sys.modules) - startup
mods = sorted(m for m in new if m.split(".")[0] not in sys.stdlib_module_names)
std = sorted(m for m in new if m.split(".")[0] in sys.stdlib_module_names)
from hfsecure_jupyter.detect import RULES
compiled = sorted(r.id for r in RULES if "_compiled" in vars(r.pattern))
print(code, " ".join(mods), "|", " ".join(std), "|", " ".join(compiled))
"""


def _probe(tmp_path: Path, *args: str) -> tuple[str, set[str], set[str], list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True).stdout.splitlines()[-1]
    head, std, compiled = out.split("|")
    code, _, mods = head.partition(" ")
    return code, set(mods.split()), set(std.split()), compiled.split()


def _files(tmp_path: Path, text: str) -> list[str]:
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.py"
        p.write_text(text)
        files.append(str(p))
    return files


@pytest.mark.parametrize("switches", [[], ["--no-misuse", "--strict"]])
def test_scan_imports_only_stdlib_and_detect(tmp_path: Path, switches: list[str]) -> None:
    # (switches too: a hook's args often hold one, and argparse is ~8 ms of its start-up)
    code, mods, std, _ = _probe(tmp_path, *switches, *_files(tmp_path, 'import os\ntoken = os.environ["HF_TOKEN"]\n'))
    assert code == "0"
    ours = {m for m in mods if m.startswith("hfsecure_jupyter")}
    others = mods - ours - {"__main__", "_distutils_hack"}
    assert ours - ALLOWED == {m for m in ours if m.startswith("hfsecure_jupyter.detect")}
    assert others == set(), others          # no third-party module at all
    assert sorted(m for m in std if m.startswith(HEAVY)) == []  # nor the costly standard-library parts


def test_a_file_without_keywords_loads_no_parser_and_compiles_no_rule(tmp_path: Path) -> None:
    # Typical Hugging Face code with no secret name, no literal to fold: no ast, tokenize or json, and no
    # rule's pattern compiled (patterns compile on first use; the prefilter alone ruled them out).
    src = ("import torch\nfrom transformers import AutoTokenizer\n"
           "tok = AutoTokenizer.from_pretrained('bert-base-uncased')\nprint(tok('hello')['input_ids'])\n")
    code, _, std, compiled = _probe(tmp_path, *_files(tmp_path, src))
    assert code == "0"
    assert {"ast", "tokenize", "json"} & std == set()
    assert compiled == []
    # The control: a leaky file compiles the rule that found it (so the probe sees compiles at all).
    (tmp_path / "leak.py").write_text(f"x = '{fake_token(seed=2)}'\n")
    code, _, _, compiled = _probe(tmp_path, str(tmp_path / "leak.py"))
    assert code == "1" and "hf-user-token" in compiled


@pytest.mark.parametrize("args, module", [
    (["--format", "json"], "hfsecure_jupyter.report.json"), (["--format", "sarif"], "hfsecure_jupyter.report.sarif"),
    (["--baseline", "base.txt"], "hfsecure_jupyter.baseline"), (["--write-baseline", "base.txt"],
                                                                 "hfsecure_jupyter.baseline"),
])
def test_report_formats_and_baselines_load_when_asked_for(tmp_path: Path, args: list[str], module: str) -> None:
    (tmp_path / "base.txt").write_text("# empty\n")
    _, plain, _, _ = _probe(tmp_path, *_files(tmp_path, "x = 1\n"))
    _, asked, _, _ = _probe(tmp_path, *args, *_files(tmp_path, "x = 1\n"))
    assert module not in plain and "hfsecure_jupyter.cli.git" not in plain
    assert module in asked


def test_an_hfsecureignore_file_is_still_read_without_options(tmp_path: Path) -> None:
    from hfsecure_jupyter import baseline
    from hfsecure_jupyter.cli import scan

    assert scan.IGNORE_FILE == baseline.IGNORE_FILE  # (named twice so that a plain scan skips the module)
    leak = tmp_path / "leak.py"
    leak.write_text(f"x = '{fake_token(seed=4)}'\n")
    assert _probe(tmp_path, str(leak))[0] == "1"
    rep = detect.scan_file(str(leak))
    (tmp_path / baseline.IGNORE_FILE).write_text(baseline.render_baseline([rep]))
    code, mods, _, _ = _probe(tmp_path, str(leak))
    assert code == "0" and "hfsecure_jupyter.baseline" in mods


def test_python_without_a_keyword_is_never_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    import tokenize

    from hfsecure_jupyter.detect import python as detect_python

    calls: list[str] = []
    real_tokens, real_groups = tokenize.generate_tokens, detect_python._string_groups

    def counting_tokens(readline):  # type: ignore[no-untyped-def]
        calls.append("tokenize")
        return real_tokens(readline)

    def counting_groups(*args):  # type: ignore[no-untyped-def]
        calls.append("fold")
        return real_groups(*args)

    monkeypatch.setattr(tokenize, "generate_tokens", counting_tokens)
    monkeypatch.setattr(detect_python, "_string_groups", counting_groups)
    for src in ("import os\nx = 1\n", "from huggingface_hub import hf_hub_download\nhf_hub_download('a', 'b')\n",
                "token_is_set = 'HF_TOKEN' in os.environ\n"):
        assert detect.scan_bytes(src.encode(), path="a.py").findings == []
    assert calls == []
    # The control: a token split over two literals is found by folding them (one regex pass, no tokenize).
    tok = fake_token(seed=9)
    found = detect.scan_bytes(f"t = '{tok[:10]}' '{tok[10:]}'\n".encode(), path="a.py").findings
    assert [f.rule for f in found] == ["hf-user-token"] and calls == ["fold"]


@pytest.mark.parametrize("argv", [[], ["a.py"], ["a.py", "dir/b.ipynb", "c d.txt"], ["--no-misuse", "dir"],
                                  ["--strict", "a.py", "b.py", "--no-fix", "--strict"], ["--redact", "--no-skip"],
                                  ["--all"], ["--no-misuse", "--strict", "--redact", "--no-skip", "--no-fix", "--all", "x"]])
def test_a_command_line_of_paths_is_read_as_the_parser_reads_it(argv: list[str]) -> None:
    from hfsecure_jupyter.cli import scan

    fast = scan._paths_only(argv)
    assert fast is not None and vars(fast) == vars(scan._parser().parse_args(argv))
    for other in (["-"], ["a.py", "--format", "json"], ["--", "-x.py"], ["--no-mis", "a.py"], ["-j", "1"],
                  ["--strict=1"], ["--git"], ["-f", "sarif"], ["a.py", "--strict", "b.py"]):
        assert scan._paths_only(other) is None
    with pytest.raises(CommandLineError):  # (the parser's own answer to a second run of paths)
        scan._parser().parse_args(["a.py", "--strict", "b.py"])


def test_every_switch_of_the_parser_is_read_without_it() -> None:
    # (a switch added to the parser and not to PATHS_ONLY_SWITCHES would only be slower; one whose
    # attribute differs would be read wrong: both fail here)
    from hfsecure_jupyter.cli import scan

    switches = {opt: action.dest for action in scan._parser()._actions
                if action.nargs == 0 and action.const is True for opt in action.option_strings}
    assert switches == scan.PATHS_ONLY_SWITCHES
