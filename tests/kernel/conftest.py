"""Fixtures for the kernel tests: an in-process IPython shell with history in memory."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from hfsecure_jupyter.kernel import extension


def make_shell(hist_file: str = ":memory:", **hfsecure: object) -> InteractiveShell:
    """A fresh (non-singleton) shell; ``hfsecure`` sets ``c.HFSecure.*``."""
    c = Config()
    c.HistoryManager.hist_file = hist_file
    for k, v in hfsecure.items():
        setattr(c.HFSecure, k, v)
    return InteractiveShell(config=c)


@pytest.fixture(scope="module")
def singleton_shell() -> InteractiveShell:
    """IPython's singleton shell (what get_ipython() returns), with history in memory."""
    if not InteractiveShell.initialized():
        cfg = Config()
        cfg.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=cfg)
    return InteractiveShell.instance()


@pytest.fixture(scope="session")
def bare_shell() -> InteractiveShell:
    """One shell for the session (creating one costs ~100 ms); tests load/unload the extension."""
    return make_shell()


@pytest.fixture
def ip(bare_shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch):
    """The session shell with the extension loaded (unloaded, and settings reset, afterwards)."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    extension.unload(bare_shell)
    extension.load(bare_shell)
    yield bare_shell
    extension.unload(bare_shell)


@pytest.fixture
def state(ip: InteractiveShell) -> extension.KernelState:
    s = extension.get_state(ip)
    assert s is not None
    return s


def history_texts(shell: InteractiveShell) -> str:
    """Everything the shell keeps of its inputs: In, _ih, _i*, the parsed history and the database."""
    hm = shell.history_manager
    hm.writeout_cache()
    parts = [repr(shell.user_ns.get("In")), repr(shell.user_ns.get("_ih")), repr(hm.input_hist_parsed),
             repr(hm.input_hist_raw), repr([hm._i00, hm._i, hm._ii, hm._iii])]
    parts += [repr(v) for k, v in shell.user_ns.items() if k.startswith("_i")]
    parts += [repr(row) for row in hm.db.execute("SELECT * FROM history")]
    return "\n".join(parts)


@pytest.fixture
def history_of():
    """``history_of(shell)`` -> every stored copy of the shell's inputs, as one string."""
    return history_texts


@pytest.fixture
def new_shell():
    """Factory for fresh shells (``new_shell(hist_file, **hfsecure_traits)``); unloaded at teardown."""
    made = []

    def factory(hist_file: str = ":memory:", **hfsecure: object) -> InteractiveShell:
        sh = make_shell(hist_file, **hfsecure)
        made.append(sh)
        return sh

    yield factory
    for sh in made:
        extension.unload(sh)
        hm = sh.history_manager
        if hm is not None and hm.save_thread is not None:
            hm.save_thread.stop()
