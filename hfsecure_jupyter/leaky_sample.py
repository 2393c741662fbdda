"""``hfsecure demo --scan-only``: make a leaky sample notebook and show what hfsecure finds in it.

The notebook is built now, with fake tokens made at run time (the package ships no token-shaped
string), and holds a token in each place people leak one: a cell's source, a printed output, a Hugging
Face Job's ``env``, a traceback that shows an ``Authorization: Bearer`` header, and a saved Password
widget state. A small job script passes a token through ``env`` without a literal (a misuse warning).
Works offline; exits 0 when the demo ran (the findings are the point, not a failure).

Example:
    >>> import tempfile, contextlib, io
    >>> d = tempfile.mkdtemp()
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = main(["--dir", d])
    >>> code, "hf-user-token" in out.getvalue()
    (0, True)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from . import report
from .detect.walk import run_scan
from .testing import fake_token

__all__ = ["main", "build_notebook", "write_demo", "NOTEBOOK_NAME", "JOB_SCRIPT_NAME"]

PROG = "hfsecure demo --scan-only"
NOTEBOOK_NAME = "leaky-notebook.ipynb"
JOB_SCRIPT_NAME = "submit_job.py"
_ESC = "\x1b"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _code(source: str, outputs: list[dict[str, Any]] | None = None, n: int | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": n, "id": f"cell-{n or 0}", "metadata": {},
            "outputs": outputs or [], "source": _lines(source)}


def build_notebook(tokens: dict[str, str] | None = None) -> dict[str, Any]:
    """A valid nbformat 4.5 notebook that leaks fake tokens in five places.

    ``tokens`` maps ``cell``, ``printed``, ``job``, ``traceback`` and ``widget`` to the token put there
    (fresh fake tokens by default).

    Example:
        >>> nb = build_notebook()
        >>> nb["nbformat"], len(nb["cells"]), "widgets" in nb["metadata"]
        (4, 6, True)
    """
    t = tokens or {k: fake_token() for k in ("cell", "printed", "job", "traceback", "widget")}
    red, reset = f"{_ESC}[0;31m", f"{_ESC}[0m"
    traceback = [
        f"{red}---------------------------------------------------------------------------{reset}",
        f"{red}HTTPError{reset}                                 Traceback (most recent call last)",
        f"Cell {red}In[4], line 3{reset}\n      1 import requests\n----> 3 r = requests.get(url, headers=headers)"
        "\n      4 r.raise_for_status()",
        f"{red}HTTPError{reset}: 401 Client Error: Unauthorized for url: https://huggingface.co/api/whoami-v2 "
        f"(request headers: {{'user-agent': 'python-requests/2.32', "
        f"'authorization': 'Bearer {t['traceback']}'}})",
    ]
    widget_id = "5f2c0e7a9b8d4c1e8a7b6c5d4e3f2a1b"
    widget_state = {
        "state": {widget_id: {
            "model_name": "PasswordModel", "model_module": "@jupyter-widgets/controls",
            "model_module_version": "2.0.0",
            "state": {"description": "Token:", "value": t["widget"], "layout": "IPY_MODEL_layout"},
        }},
        "version_major": 2, "version_minor": 0,
    }
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": _lines(
            "# A notebook that leaks its Hugging Face token\n\n"
            "Made by `hfsecure demo` with **fake** tokens. Each cell below leaks one the way people really do.")},
        _code(f'from huggingface_hub import login\n\nlogin(token="{t["cell"]}")  # pasted into the cell', n=1),
        _code("import os\nprint(os.environ[\"HF_TOKEN\"])  # checking that the token is set",
              [{"output_type": "stream", "name": "stdout", "text": [t["printed"] + "\n"]}], n=2),
        _code('from huggingface_hub import run_job\n\n'
              'job = run_job(\n    image="python:3.12",\n    command=["python", "train.py"],\n'
              f'    env={{"HF_TOKEN": "{t["job"]}"}},  # env is shown in plain text in the job page\n)', n=3),
        _code('import requests\nheaders = {"authorization": f"Bearer {token}"}\n'
              'r = requests.get(url, headers=headers)\nr.raise_for_status()',
              [{"output_type": "error", "ename": "HTTPError",
                "evalue": "401 Client Error: Unauthorized for url: https://huggingface.co/api/whoami-v2",
                "traceback": traceback}], n=4),
        _code('import ipywidgets as widgets\n\ntoken_box = widgets.Password(description="Token:")\ntoken_box',
              [{"output_type": "display_data", "metadata": {},
                "data": {"text/plain": ["Password(description='Token:')"],
                         "application/vnd.jupyter.widget-view+json": {
                             "model_id": widget_id, "version_major": 2, "version_minor": 0}}}], n=5),
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "widgets": {"application/vnd.jupyter.widget-state+json": widget_state},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


_JOB_SCRIPT = '''"""Submits a training job the unsafe way: the token travels in the job's plain-text env."""

from huggingface_hub import get_token, run_job

job = run_job(
    image="python:3.12",
    command=["python", "train.py"],
    env={"HF_TOKEN": get_token()},  # shown in every job listing: use secrets= instead
)
print(job.url)
'''


_DEMO_MARK = "# Made by 'hfsecure demo': fake tokens, never to be committed."


def _is_demo_dir(ignore_path: str) -> bool:
    try:
        with open(ignore_path, encoding="utf-8") as fh:
            return fh.readline().rstrip("\n") == _DEMO_MARK
    except (OSError, UnicodeDecodeError):
        return False


def write_demo(directory: str) -> list[str]:
    """Write the demo notebook, job script and a ``.gitignore`` (so it is never committed) into
    ``directory``; return the paths written.

    Example:
        >>> import tempfile, os
        >>> sorted(os.path.basename(p) for p in write_demo(tempfile.mkdtemp()))
        ['.gitignore', 'leaky-notebook.ipynb', 'submit_job.py']
    """
    os.makedirs(directory, exist_ok=True)
    ignore = os.path.join(directory, ".gitignore")
    targets = [os.path.join(directory, n) for n in (NOTEBOOK_NAME, JOB_SCRIPT_NAME, ".gitignore")]
    existing = [t for t in targets if os.path.lexists(t)]
    if existing and not _is_demo_dir(ignore):
        # Never overwrite the user's files: only a folder this command made before is rewritten.
        raise FileExistsError(f"{directory} already holds {', '.join(os.path.basename(t) for t in existing)}, "
                              "not written by 'hfsecure demo'; choose another --dir")
    written = []
    nb_path = os.path.join(directory, NOTEBOOK_NAME)
    with open(nb_path, "w", encoding="utf-8") as fh:
        json.dump(build_notebook(), fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    written.append(nb_path)
    job_path = os.path.join(directory, JOB_SCRIPT_NAME)
    with open(job_path, "w", encoding="utf-8") as fh:
        fh.write(_JOB_SCRIPT)
    written.append(job_path)
    with open(ignore, "w", encoding="utf-8") as fh:
        fh.write(_DEMO_MARK + "\n*\n")
    written.append(ignore)
    return written


def _what_next(directory: str) -> str:
    d = directory if " " not in directory else f'"{directory}"'
    return f"""
What next
  The tokens above are fake: they were made just now, for this demo.
  Block cells that hold a token, in every IPython kernel:   hfsecure install-guard
  ... or only in the notebook you have open:                %load_ext hfsecure_jupyter
  Mask every token in place (notebooks stay valid):         hfsecure scan --redact {d}
  Scan your own work (exit 1 when a secret is found):       hfsecure scan PATH [--format json|sarif]
  Check every commit: add the 'hfsecure-scan' hook to .pre-commit-config.yaml (see the README).
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hfsecure demo``: write the sample, scan it, print the report and what to do next.

    Example:
        >>> import contextlib, io, tempfile
        >>> with contextlib.redirect_stdout(io.StringIO()) as out:
        ...     code = main(["--dir", tempfile.mkdtemp(), "--format", "json"])
        >>> code, json.loads(out.getvalue())["summary"]["secrets"] > 0  # findings are not a failure
        (0, True)
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="Make a leaky sample notebook (fake tokens) and show what hfsecure finds in it.")
    parser.add_argument("--dir", default="hfsecure-demo", metavar="DIR",
                        help="where to write the sample (default: ./hfsecure-demo)")
    parser.add_argument("--format", "-f", choices=report.FORMATS, default="text", help="report format")
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        write_demo(args.dir)
    except FileExistsError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: cannot write the sample to {args.dir}: {exc.strerror or type(exc).__name__}",
              file=sys.stderr)
        return 2
    run = run_scan([args.dir])
    print(f"Wrote a leaky sample notebook and job script to {args.dir}/ and scanned them"
          f" (hfsecure scan {args.dir}):\n", file=sys.stdout if args.format == "text" else sys.stderr)
    print(report.render(args.format, run.reports, files_scanned=run.files_scanned, notes=run.notes,
                        errors=run.errors), end="")
    for e in run.errors:
        print(f"{PROG}: error: {report.clean_text(e)}", file=sys.stderr)
    if args.format == "text":
        print(_what_next(args.dir), end="")
    return 2 if run.errors else 0
