"""The README's configuration reference lists every traitlets option, as generated from their help."""

from __future__ import annotations

from pathlib import Path

from hfsecure_jupyter.config import HFSecure, reference_table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_lists_every_trait() -> None:
    for name in HFSecure.class_traits(config=True):
        assert f"`c.HFSecure.{name}`" in README, name


def test_the_readme_table_is_the_generated_one() -> None:
    assert reference_table() in README  # regenerate: python -c "from hfsecure_jupyter.config import reference_table as r; print(r())"


def test_the_readme_first_command_ends_in_hfsecure_demo() -> None:
    first = next(line for line in README.splitlines() if line.startswith("python3 -m venv"))
    assert first.endswith("&& hfsecure demo")
