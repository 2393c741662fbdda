"""Loading: idempotent, every hook removed on unload, no huggingface_hub import, fast."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from hfsecure_jupyter.kernel import extension


def snapshot(sh) -> dict:
    """Everything load touches, by identity."""
    ev = {name: list(cbs) for name, cbs in sh.events.callbacks.items()}
    return {
        "cleanup": list(sh.input_transformers_cleanup),
        "events": ev,
        "custom_exc": (sh.custom_exceptions, vars(sh).get("CustomTB")),
        "showtraceback": vars(sh).get("_showtraceback"),
        "store_inputs": vars(sh.history_manager).get("store_inputs"),
        "logger": vars(sh.logger).get("log"),
        "displayhook": vars(sh.displayhook).get("write_format_data"),
        "display_pub": vars(sh.display_pub).get("publish"),
        "magics": sorted(sh.magics_manager.magics["line"]) + sorted(sh.magics_manager.magics["cell"]),
    }


def test_load_is_idempotent_and_unload_restores_everything(new_shell):
    sh = new_shell()
    before = snapshot(sh)
    st = extension.load(sh)
    assert extension.load(sh) is st
    assert sh.input_transformers_cleanup.count(st.guard) == 1
    assert sum(cb == st.guard.post_run_cell for cb in sh.events.callbacks["post_run_cell"]) == 1
    assert snapshot(sh) != before
    assert {"input_transformers_cleanup", "history_manager.store_inputs", "InteractiveShell._showtraceback",
            "custom exception handler"} <= set(st.hooks)
    extension.unload(sh)
    assert extension.get_state(sh) is None
    assert snapshot(sh) == before
    extension.unload(sh)  # unloading twice is harmless
    st2 = extension.load(sh)  # and it loads again
    assert st2 is not st and st2.guard in sh.input_transformers_cleanup


def test_load_ext_and_unload_ext_magics(new_shell):
    sh = new_shell()
    before = snapshot(sh)
    sh.run_cell("%load_ext hfsecure_jupyter", store_history=True)
    assert extension.get_state(sh) is not None
    sh.run_cell("%load_ext hfsecure_jupyter", store_history=True)
    sh.run_cell("%unload_ext hfsecure_jupyter", store_history=True)
    assert extension.get_state(sh) is None
    after = snapshot(sh)
    assert after == before


def test_magics_registered_when_available_and_removed(new_shell):
    pytest.importorskip("hfsecure_jupyter.kernel.magics")
    sh = new_shell()
    st = extension.load(sh)
    assert st.magics_loaded and "hfsecure" in sh.magics_manager.magics["line"]
    extension.unload(sh)
    assert "hfsecure" not in sh.magics_manager.magics["line"]
    assert "hfjob" not in sh.magics_manager.magics["cell"]


def test_load_survives_missing_magics(new_shell, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "hfsecure_jupyter.kernel.magics", None)  # import fails
    sh = new_shell()
    st = extension.load(sh)
    assert not st.magics_loaded and st.guard in sh.input_transformers_cleanup
    assert "magics are unavailable" in capsys.readouterr().err
    assert any("unavailable" in n for n in st.notes)


def test_failed_load_takes_back_what_it_added(new_shell, monkeypatch):
    from hfsecure_jupyter.kernel import doctor

    sh = new_shell()
    before = snapshot(sh)

    def broken(self):
        raise RuntimeError("no")

    monkeypatch.setattr(doctor.Doctor, "install", broken)
    with pytest.raises(RuntimeError):
        extension.load(sh)
    assert extension.get_state(sh) is None
    assert snapshot(sh) == before


def test_settings_come_from_kernel_config(new_shell):
    sh = new_shell(guard="off", mask_show_last=2, extra_secret_env=["MY_PLAIN_NAME"])
    st = extension.load(sh)
    assert st.settings.guard == "off" and st.settings.extra_secret_env == ["MY_PLAIN_NAME"]
    assert st.redactor.show_last == 2


LOAD_SCRIPT = textwrap.dedent("""
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    c = Config(); c.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=c)
    before = set(sys.modules)
    ip.extension_manager.load_extension("hfsecure_jupyter")
    from hfsecure_jupyter.kernel.extension import get_state
    assert get_state(ip) is not None
    ip.run_cell("x = 1", store_history=True)
    print(json.dumps(sorted(set(sys.modules) - before)))
""")


@pytest.mark.slow
def test_loading_imports_only_the_core_the_kernel_adapter_and_the_standard_library():
    # What a load costs is what it imports (timings: benchmarks/bench_kernel.py): no Hub client, no HTTP
    # stack, no Jobs layer or emulator; only the detection core, the kernel adapter, the Hub layer's
    # login-status modules (which import huggingface_hub only when they call the Hub) and the standard
    # library.
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "hfsecure_jupyter.kernel.guard" in loaded and "hfsecure_jupyter.detect.engine" in loaded
    ours = {m for m in loaded if m == "hfsecure_jupyter" or m.startswith("hfsecure_jupyter.")}
    allowed = ("config", "constants", "errors", "detect", "kernel", "hub")  # constants, errors: no imports of theirs
    assert all(m.split(".")[1] in allowed for m in ours - {"hfsecure_jupyter"}), ours
    others = [m for m in loaded if m not in ours and m.split(".")[0] not in sys.stdlib_module_names
              and m.split(".")[0] != "IPython"]  # IPython's own submodules it loads on demand
    assert others == [], others
