"""kernel/state.py: the one registry of the extension's state, which the kernel parts import (not the loader)."""

from __future__ import annotations

import ast
from pathlib import Path

from hfsecure_jupyter.kernel import state as state_mod
from hfsecure_jupyter.kernel.state import KernelState, Rejection, drop_state, get_state, set_state

KERNEL = Path(state_mod.__file__).parent


class _Shell:
    pass


def test_set_get_drop() -> None:
    shell = _Shell()
    assert get_state(shell) is None
    st = KernelState.__new__(KernelState)
    set_state(shell, st)
    assert get_state(shell) is st
    drop_state(shell)
    drop_state(shell)  # absent: no error
    assert get_state(shell) is None


def test_unhashable_or_unreferenceable_shell_has_no_state() -> None:
    assert get_state(1) is None
    drop_state(1)


def test_rejection_summary_is_masked_and_short() -> None:
    assert Rejection("misuse").summary == "blocked (misuse)"


def test_no_kernel_part_imports_the_loader() -> None:
    for path in KERNEL.glob("*.py"):
        if path.name in ("extension.py", "__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = {a.name for a in node.names}
                assert not (node.module == "extension" and node.level == 1), path.name
                assert not (node.level == 1 and node.module is None and "extension" in names), path.name
