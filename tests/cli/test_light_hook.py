"""The light install: the hfsecure-scan wheel (scan-dist/) and the pre-commit mirror (pre-commit-mirror/).

The wheel is built from this repository's own files, offline; it is run with the standard library alone
(``python -S``: no site-packages, so no Jupyter, no huggingface_hub, no hfsecure_jupyter) and must report
what ``hfsecure scan`` reports. The mirror is run by real pre-commit, installing from a local wheelhouse
with no index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests.cli.git_helpers import Repo, isolate_git

from hfsecure_jupyter.leaky_sample import build_notebook
from hfsecure_jupyter.testing import fake_token
from hfsecure_jupyter.version import package_version

REPO_ROOT = Path(__file__).resolve().parents[2]
MIRROR = REPO_ROOT / "pre-commit-mirror"
PRE_COMMIT = shutil.which("pre-commit") or shutil.which("pre-commit", path=os.path.dirname(sys.executable))

#: The modules of hfsecure_jupyter that the wheel maps into hfsecure_scan (what ``hfsecure scan`` may import).
SCAN_MODULES = {"version.py", "errors.py", "baseline.py", "githistory.py", "py.typed", "cli/__init__.py",
                "cli/__main__.py", "cli/scan.py", "cli/git.py"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hfsecure-scan wheel, built now from scan-dist/ (offline: no index, no build isolation)."""
    pytest.importorskip("hatchling", reason="building hfsecure-scan needs hatchling (the [test] extra has it)")
    out = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-w", str(out), str(REPO_ROOT / "scan-dist")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (whl,) = out.glob("hfsecure_scan-*.whl")
    return whl


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's files, unpacked into a folder (what ``pip install`` puts in site-packages)."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return target


def _expected_files() -> set[str]:
    src = REPO_ROOT / "hfsecure_jupyter"
    files = {"__init__.py"} | SCAN_MODULES
    for sub in ("detect", "report"):
        files |= {f"{sub}/{p.name}" for p in (src / sub).glob("*.py")}
    return {"hfsecure_scan/" + f for f in files}


def test_scan_wheel_maps_the_scan_modules_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        for name in names - {"hfsecure_scan/__init__.py"}:
            if name.startswith("hfsecure_scan/") and name.endswith(".py"):  # the same bytes as the source file
                assert zf.read(name) == (REPO_ROOT / "hfsecure_jupyter" / name[len("hfsecure_scan/"):]).read_bytes()
    ours = {n for n in names if ".dist-info/" not in n}
    assert ours == _expected_files()
    # Its own top-level package and script: installed beside hfsecure-jupyter, neither clobbers the other.
    assert all(n.startswith(("hfsecure_scan/", "hfsecure_scan-")) for n in names)
    # No dependency; the accelerators only as the optional `fast` extra.
    requires = re.findall(r"^Requires-Dist: (.*)$", meta, re.M)
    assert requires and all(r.endswith("; extra == 'fast'") for r in requires), requires
    assert f"\nVersion: {package_version()}\n" in meta
    assert re.search(r"^hfsecure-scan = hfsecure_scan\.cli\.scan:run$", entry, re.M)


def _sample(folder: Path) -> None:
    folder.mkdir()
    (folder / "leaky.ipynb").write_text(json.dumps(build_notebook()))
    (folder / "job.py").write_text(f"import os\nos.environ['WANDB_API_KEY'] = '{fake_token('github', seed=5)}'\n"
                                   f"login(token='hf_' + '{fake_token(seed=6)[3:]}')\n")
    (folder / "notes.md").write_text(f"key: {fake_token('openai', seed=7)}\n")
    (folder / "clean.py").write_text("import os\ntoken = os.environ['HF_TOKEN']\n")


def _findings(out: str) -> list[tuple]:
    doc = json.loads(out)
    return sorted((f["path"], f["rule"], f["line"], f["column"], f["preview"], f["fingerprint"])
                  for f in doc["findings"])


def test_light_wheel_scans_with_the_standard_library_alone_as_hfsecure_scan_does(unpacked: Path,
                                                                               tmp_path: Path) -> None:
    _sample(tmp_path / "work")
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    light = subprocess.run([sys.executable, "-S", "-c", "import sys; from hfsecure_scan.cli.scan import main; "
                            "sys.exit(main())", "--format", "json", "."],
                           cwd=tmp_path / "work", capture_output=True, text=True, env=env)
    full = subprocess.run([sys.executable, "-m", "hfsecure_jupyter.cli", "scan", "--format", "json", "."],
                          cwd=tmp_path / "work", capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert light.returncode == full.returncode == 1, light.stderr
    assert _findings(light.stdout) == _findings(full.stdout)
    assert json.loads(light.stdout)["version"] == package_version()  # from hfsecure-scan's own metadata
    assert len(_findings(light.stdout)) >= 5 and "Traceback" not in light.stderr
    # The text report and the dispatcher work there too; the Jupyter commands say they are absent.
    text = subprocess.run([sys.executable, "-S", "-m", "hfsecure_scan.cli", "scan", "clean.py"],
                          cwd=tmp_path / "work", capture_output=True, text=True, env=env)
    assert (text.returncode, text.stdout) == (0, "No secrets found in 1 file.\n"), text.stderr
    demo = subprocess.run([sys.executable, "-S", "-m", "hfsecure_scan.cli", "demo"], capture_output=True, text=True,
                          env=env)
    assert demo.returncode == 2 and "not available in this installation" in demo.stderr


def test_both_packages_work_side_by_side_in_one_process(unpacked: Path) -> None:
    # One environment holding both distributions: two packages, two module trees, no file in common.
    code = ("import hfsecure_jupyter.detect as a, hfsecure_scan.detect as b, sys\n"
            "assert a.RULES is not b.RULES and a.Finding is not b.Finding\n"
            "data = sys.argv[1].encode()\n"
            "print([f.rule for f in a.scan_bytes(data, path='x.py').findings] ==\n"
            "      [f.rule for f in b.scan_bytes(data, path='x.py').findings] == ['hf-user-token'])\n")
    done = subprocess.run([sys.executable, "-c", code, f"t = '{fake_token(seed=8)}'\n"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(unpacked)])})
    assert done.stdout.strip() == "True", done.stderr


def test_mirror_pins_this_release_and_names_the_same_hook() -> None:
    text = (MIRROR / "pyproject.toml").read_text()
    version = package_version()
    assert re.search(rf'^version = "{re.escape(version)}"$', text, re.M)
    assert re.search(rf'^dependencies = \["hfsecure-scan=={re.escape(version)}"\]$', text, re.M)
    hooks = (MIRROR / ".pre-commit-hooks.yaml").read_text()
    root = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text()
    assert re.findall(r"^- id: (\S+)", hooks, re.M) == re.findall(r"^- id: (\S+)", root, re.M) == ["hfsecure-scan"]
    assert re.search(r"^  entry: hfsecure-scan$", hooks, re.M) and re.search(r"^  language: python$", hooks, re.M)


def test_mirror_backend_writes_a_metadata_only_wheel(tmp_path: Path) -> None:
    sys.path.insert(0, str(MIRROR))
    try:
        import mirror_backend
    finally:
        sys.path.remove(str(MIRROR))
    name = mirror_backend.build_wheel(str(tmp_path))
    with zipfile.ZipFile(tmp_path / name) as zf:
        files = zf.namelist()
        meta = zf.read(next(n for n in files if n.endswith("METADATA"))).decode()
    assert all(".dist-info/" in n for n in files) and len(files) == 3
    assert f"Requires-Dist: hfsecure-scan=={package_version()}\n" in meta
    assert mirror_backend.get_requires_for_build_wheel() == []


#: What the hook's environment must not hold: the Jupyter side of hfsecure-jupyter.
HEAVY = ("jupyter", "ipykernel", "ipython", "huggingface_hub", "tornado", "traitlets", "ipywidgets",
         "hfsecure_jupyter")


@pytest.mark.slow
@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install pre-commit)")
def test_pre_commit_mirror_installs_hfsecure_scan_only_and_stops_a_secret(wheel: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    cache = tmp_path / "pre-commit-cache"
    monkeypatch.setenv("PRE_COMMIT_HOME", str(cache))
    # Offline: no index, no pip or virtualenv configuration of the machine, the wheelhouse only.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel.parent))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("VIRTUALENV_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    mirror = Repo(tmp_path / "mirror")
    for p in MIRROR.iterdir():
        if p.is_file():
            shutil.copy(p, mirror.root / p.name)
    mirror.commit("hfsecure-scan hook")
    mirror.git("tag", f"v{package_version()}")
    repo = Repo(tmp_path / "repo")
    repo.write(".pre-commit-config.yaml", f"repos:\n  - repo: {mirror.root}\n    rev: v{package_version()}\n"
                                          "    hooks:\n      - id: hfsecure-scan\n")
    repo.write("clean.py", "import os\ntoken = os.environ['HF_TOKEN']\n")
    repo.git("add", "-A")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "run"], cwd=repo.root, capture_output=True, text=True, timeout=600)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    tok = fake_token(seed=43)
    repo.write("leak.ipynb", json.dumps(build_notebook({k: tok for k in ("cell", "printed", "job", "traceback",
                                                                         "widget")})))
    repo.git("add", "leak.ipynb")
    leaky = run()
    assert leaky.returncode == 1, leaky.stdout + leaky.stderr
    assert "leak.ipynb:cells[" in leaky.stdout and "hf-user-token" in leaky.stdout
    assert tok not in leaky.stdout + leaky.stderr
    # The hook's environment: hfsecure-scan and the mirror's metadata, beside what virtualenv seeds.
    (site,) = cache.glob("repo*/py_env-*/lib/python*/site-packages")
    names = {p.name.lower() for p in site.iterdir()}
    assert "hfsecure_scan" in names and any(n.startswith("hfsecure_scan_pre_commit-") for n in names)
    assert not [n for n in names if n.startswith(HEAVY)], sorted(names)
    installed = {n.split("-")[0] for n in names if n.endswith(".dist-info")}
    assert installed <= {"hfsecure_scan", "hfsecure_scan_pre_commit", "pip", "setuptools", "wheel"}, installed


def test_each_command_names_itself_in_its_help_and_errors(unpacked: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(unpacked)])}
    light = "import sys; from hfsecure_scan.cli.scan import main; sys.exit(main())"  # the console script
    for args, prog in (([sys.executable, "-c", light], "hfsecure-scan"),
                       ([sys.executable, "-m", "hfsecure_jupyter.cli", "scan"], "hfsecure scan")):
        usage = subprocess.run([*args, "--help"], capture_output=True, text=True, env=env).stdout
        assert usage.startswith(f"usage: {prog} "), usage[:200]
        bad = subprocess.run([*args, "--format", "nope", "x.py"], capture_output=True, text=True, env=env)
        assert bad.returncode == 2 and bad.stderr.startswith(f"{prog}: error: ") and "Traceback" not in bad.stderr
