"""hfsecure install-guard / uninstall-guard / status against a temp IPYTHONDIR."""

from __future__ import annotations

import json
import sys

import pytest
from traitlets.config.loader import PyFileConfigLoader

from hfsecure_jupyter import cli
from hfsecure_jupyter.kernel import install


@pytest.fixture
def ipdir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    return tmp_path


def _extensions(directory) -> list[str]:
    """What IPython's own loader makes of the file (the real test that a kernel would load it)."""
    from traitlets.config import Config

    loader = PyFileConfigLoader(install.PY_NAME, path=str(directory))
    cfg = Config()
    cfg.InteractiveShellApp.extensions = ["earlier_ext"]  # from a lower-priority directory
    cfg.merge(loader.load_config())
    return list(cfg.InteractiveShellApp.extensions)


def test_install_user_then_uninstall(ipdir, capsys):
    assert cli.main(["install-guard"]) == 0
    prof = ipdir / "ipython" / "profile_default"
    assert "Installed" in capsys.readouterr().out
    assert _extensions(prof) == ["earlier_ext", "hfsecure_jupyter"]  # appended, not replacing
    assert cli.main(["install-guard", "--user"]) == 0
    assert "Already installed" in capsys.readouterr().out
    assert (prof / install.PY_NAME).read_text().count(install.BEGIN) == 1
    assert cli.main(["status", "--offline"]) == 0
    assert f"installed [user] in {prof}" in capsys.readouterr().out
    assert cli.main(["uninstall-guard"]) == 0
    assert not (prof / install.PY_NAME).exists()  # we created it, so it goes
    assert cli.main(["status", "--offline"]) == 0
    assert "guard: not installed" in capsys.readouterr().out


def test_users_own_config_is_kept_byte_for_byte(ipdir):
    prof = ipdir / "ipython" / "profile_default"
    prof.mkdir(parents=True)
    mine = "# my settings\nc.InteractiveShellApp.extensions = ['autoreload']\nc.InteractiveShell.xmode = 'Minimal'"
    (prof / install.PY_NAME).write_text(mine)
    assert install.install_main(["--user"]) == 0
    assert _extensions(prof) == ["autoreload", "hfsecure_jupyter"]
    assert install.uninstall_main([]) == 0
    assert (prof / install.PY_NAME).read_text() == mine


def test_sys_prefix_scope(ipdir, capsys):
    assert install.install_main(["--sys-prefix"]) == 0
    target = ipdir / "prefix" / "etc" / "ipython"
    assert install.is_installed_in(str(target)) == "block"
    assert not (ipdir / "ipython").exists()
    install.status_main(["--offline"])
    assert f"installed [sys-prefix] in {target}" in capsys.readouterr().out
    assert install.uninstall_main(["--sys-prefix"]) == 0
    assert install.is_installed_in(str(target)) == ""


def test_json_config_with_extensions_is_edited_instead(ipdir):
    prof = ipdir / "ipython" / "profile_default"
    prof.mkdir(parents=True)
    data = {"InteractiveShellApp": {"extensions": ["autoreload"]}, "IPKernelApp": {"matplotlib": "inline"}}
    (prof / install.JSON_NAME).write_text(json.dumps(data))
    res = install.install(str(prof))
    assert res.changed and res.how == "json" and not (prof / install.PY_NAME).exists()
    new = json.loads((prof / install.JSON_NAME).read_text())
    assert new["InteractiveShellApp"]["extensions"] == ["autoreload", "hfsecure_jupyter"]
    assert new["IPKernelApp"] == {"matplotlib": "inline"}
    assert install.uninstall(str(prof)).changed
    assert json.loads((prof / install.JSON_NAME).read_text()) == data


def test_unwritable_target_is_a_one_line_error(ipdir, capsys):
    (ipdir / "ipython").mkdir()
    (ipdir / "ipython" / "profile_default").write_text("a file where a directory should be")
    assert install.install_main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hfsecure install-guard: cannot update") and len(err.strip().splitlines()) == 1


def test_bad_flag_is_a_usage_error(ipdir):
    with pytest.raises(SystemExit) as exc:
        install.install_main(["--user", "--sys-prefix"])
    assert exc.value.code == 2


def test_status_reports_token_source_and_login(ipdir, capsys, monkeypatch):
    auth = pytest.importorskip("hfsecure_jupyter.hub.auth")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(ipdir / "no-token-here"))
    assert install.status_main(["--timeout", "1"]) == 0
    out = capsys.readouterr().out
    assert "token source: none" in out and "login: logged-out" in out
    assert auth.token_source().name == "none"


def test_status_never_prints_the_token(ipdir, capsys, monkeypatch, tok):
    pytest.importorskip("hfsecure_jupyter.hub.auth")
    monkeypatch.setenv("HF_TOKEN", tok)
    from huggingface_hub import constants  # imported first: it reads HF_ENDPOINT once, at import
    import huggingface_hub.hf_api  # noqa: F401 - its module-level `api` (run_job...) reads it once, at import

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: unreachable, fast
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    assert install.status_main(["--timeout", "1"]) == 0
    out = capsys.readouterr().out
    assert "token source: env:HF_TOKEN" in out and tok not in out


@pytest.mark.parametrize("mine", ["x = 1\n", "x = 1", "x = 1\n\n", ""])
def test_round_trip_is_exact(ipdir, mine):
    prof = ipdir / "ipython" / "profile_default"
    prof.mkdir(parents=True)
    (prof / install.PY_NAME).write_text(mine)
    install.install(str(prof))
    assert install.is_installed_in(str(prof)) == "block"
    install.uninstall(str(prof))
    path = prof / install.PY_NAME
    assert (path.read_text() if path.exists() else "") == mine


def _bad_profile(ipdir, kind):
    d = ipdir / "ipython" / "profile_bad"
    d.mkdir(parents=True)
    path = d / install.PY_NAME
    if kind == "utf8":
        path.write_bytes(b"c = get_config()\n#\xff\n")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["utf8", "dir"])
def test_unreadable_config_status_reports_it(ipdir, capsys, kind):
    path = _bad_profile(ipdir, kind)
    assert cli.main(["status", "--profile", "bad", "--offline"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert f"{path} unreadable: " in out
    assert ("not valid UTF-8" if kind == "utf8" else "directory") in out


@pytest.mark.parametrize("command", ["install-guard", "uninstall-guard"])
@pytest.mark.parametrize("kind", ["utf8", "dir"])
def test_unreadable_config_is_refused_and_left_alone(ipdir, capsys, kind, command):
    path = _bad_profile(ipdir, kind)
    before = path.read_bytes() if kind == "utf8" else None
    assert cli.main([command, "--profile", "bad"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert "unreadable" in err and str(path) in err
    if kind == "utf8":
        assert path.read_bytes() == before
    else:
        assert path.is_dir() and not any(path.iterdir())
    assert sorted(p.name for p in path.parent.iterdir()) == [install.PY_NAME]  # no temp file left either


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "a..b", "", "x\\y", "/abs"])
@pytest.mark.parametrize("command", ["install-guard", "uninstall-guard", "status"])
def test_bad_profile_names_are_refused(ipdir, capsys, name, command):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, f"--profile={name}", "--offline"] if command == "status"
                 else [command, f"--profile={name}"])
    assert exc.value.code == 2
    assert "invalid profile name" in capsys.readouterr().err
    assert not any(p.name == "x" for p in ipdir.rglob("*"))  # nothing written anywhere
    with pytest.raises(ValueError):
        install.config_dir("user", name)


def test_good_profile_names_are_accepted(ipdir, capsys):
    assert cli.main(["install-guard", "--profile", "work-2_v1.0"]) == 0
    assert install.is_installed_in(str(ipdir / "ipython" / "profile_work-2_v1.0")) == "block"
