"""One traitlets Configurable, read from kernel and server config files.

Set traits in ``ipython_kernel_config.py`` / ``ipython_config.py`` (``c.HFSecure.guard = "warn"``) or
``jupyter_server_config.py``. Every trait has ``help=``; no ad-hoc environment parsing.

Example:
    >>> HFSecure().guard
    'block'
"""

from __future__ import annotations

from traitlets import Bool, Enum, Float, Int, List, Unicode
from traitlets.config import Configurable

__all__ = ["HFSecure"]


class HFSecure(Configurable):
    """Settings shared by the kernel guard, output redaction, the server extension and the CLI."""

    guard = Enum(
        ["block", "warn", "off"], default_value="block", config=True,
        help="What the kernel does with a cell that holds a literal secret: 'block' rejects it before any "
             "of it runs, 'warn' runs it and shows a warning, 'off' does nothing.",
    )
    misuse = Enum(
        ["block", "warn", "off"], default_value="warn", config=True,
        help="What the kernel does with code that leaks a secret without a literal (a token in a job's env, "
             "'!hf auth token', print(get_token())): 'warn' (default), 'block' or 'off'.",
    )
    redact_outputs = Bool(
        True, config=True,
        help="Mask secrets in everything the kernel publishes (streams, displays, results, errors).",
    )
    guard_on_error = Enum(
        ["block", "warn"], default_value="block", config=True,
        help="What the kernel does when the guard itself fails to check a cell (a bug): 'block' does not run "
             "the cell and says how to go on (%hfsecure guard off), 'warn' runs it unchecked with a warning.",
    )
    mask_fill = Unicode(
        "****", config=True, help="What stands for the hidden part of a secret in masked previews.",
    )
    mask_show_last = Int(
        4, min=0, max=8, config=True,
        help="How many trailing characters of a secret a masked preview keeps (0 hides them all).",
    )
    extra_secret_env = List(
        Unicode(), default_value=[], config=True,
        help="More environment variable names whose values are masked in outputs, beyond names that look "
             "secret (*TOKEN*, *KEY*, *SECRET*, *PASSWORD*).",
    )
    hub_timeout = Float(
        5.0, min=0.1, config=True,
        help="Seconds any single call to the Hugging Face Hub may take before it is given up as 'unknown'.",
    )
    rotate_after_days = Int(
        90, min=0, config=True,
        help="Token age in days after which the login widget and the sidebar remind you to rotate it (0: never).",
    )
    status_ttl = Float(
        300.0, min=0.0, config=True,
        help="Seconds a login status (whoami) is cached before a background refresh.",
    )
    # -- the server extension (jupyter_server_config.py) -------------------------------------------------
    on_save = Enum(
        ["redact", "refuse", "off"], default_value="redact", config=True,
        help="What the server does when a notebook or text file being saved holds a secret: 'redact' "
             "writes it with every secret masked (hf_****wxyz) and every other byte as sent, 'refuse' "
             "rejects the save with a message naming the cells, 'off' saves it unchanged.",
    )
    max_request_bytes = Int(
        64 * 1024 * 1024, min=1024, config=True,
        help="Largest request body (bytes) the server extension's REST routes accept; larger bodies get "
             "413 'too-large'.",
    )
    jobs_ttl = Float(
        60.0, min=0.0, config=True,
        help="Seconds the server caches the list of recent Hugging Face Jobs before a background refresh.",
    )
    save_events_max = Int(
        200, min=1, config=True,
        help="How many save-hook events (what a save masked, or a hook failure) the server keeps for the "
             "sidebar to read from /hfsecure/saves; older ones are dropped.",
    )


def reference_table() -> str:
    """The README's configuration reference: one Markdown row per trait of :class:`HFSecure`, from its
    ``help=`` text (``tests/test_readme_config.py`` checks that the README holds this table).

    Example:
        >>> table = reference_table()
        >>> table.splitlines()[0]
        '| setting | default | what it does |'
        >>> all(f"`c.HFSecure.{name}`" in table for name in HFSecure.class_traits(config=True))
        True
    """
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    defaults = HFSecure()
    for name, trait in sorted(HFSecure.class_traits(config=True).items()):
        default = getattr(defaults, name)
        shown = f'"{default}"' if isinstance(default, str) else repr(default)
        help_text = " ".join(str(trait.help).split()).replace("|", "\\|")
        rows.append(f"| `c.HFSecure.{name}` | `{shown}` | {help_text} |")
    return "\n".join(rows)
