"""What a uv script must install: its PEP 723 header, or else the imports that are not in the standard library.

A Job runs in a bare image (the uv image holds no package), so a script that imports ``huggingface_hub``
needs ``uv run --with huggingface_hub``. :func:`infer_dependencies` reads the script (its AST, never
running it) and answers with the distributions to pass as ``--with``:

* a PEP 723 ``# /// script`` header, when present, wins: its ``dependencies`` are the answer;
* else each top-level import that is neither in the standard library (``sys.stdlib_module_names``) nor
  relative, mapped to its distribution name where the two differ (:data:`IMPORT_TO_DISTRIBUTION`:
  ``PIL`` -> ``pillow``, ``sklearn`` -> ``scikit-learn``...). Imports guarded by
  ``try: ... except ImportError`` are optional and left out.

Example:
    >>> infer_dependencies("import os\\nimport yaml\\nfrom PIL import Image\\nimport numpy as np\\n").dependencies
    ['pyyaml', 'pillow', 'numpy']
    >>> infer_dependencies("# /// script\\n# dependencies = ['rich>=13']\\n# ///\\nimport numpy\\n").dependencies
    ['rich>=13']
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

__all__ = ["IMPORT_TO_DISTRIBUTION", "Dependencies", "ImportedDistribution", "infer_dependencies",
           "script_header_dependencies"]

#: Import names whose distribution on PyPI has another name (a dotted key wins over its first part).
IMPORT_TO_DISTRIBUTION: Mapping[str, str] = {
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dotenv": "python-dotenv",
    "dateutil": "python-dateutil",
    "attr": "attrs",
    "jwt": "pyjwt",
    "serial": "pyserial",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyopenssl",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "git": "gitpython",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "slugify": "python-slugify",
    "websocket": "websocket-client",
    "zmq": "pyzmq",
    "faiss": "faiss-cpu",
    "umap": "umap-learn",
    "Bio": "biopython",
    "llama_cpp": "llama-cpp-python",
    "mpl_toolkits": "matplotlib",
    "pkg_resources": "setuptools",
    "IPython": "ipython",
    "Levenshtein": "levenshtein",
    "igraph": "python-igraph",
    "gi": "pygobject",
    "ruamel.yaml": "ruamel.yaml",
    "google.protobuf": "protobuf",
    "google.cloud.storage": "google-cloud-storage",
    "google.cloud.bigquery": "google-cloud-bigquery",
    "google.generativeai": "google-generativeai",
    "google.genai": "google-genai",
    "azure.identity": "azure-identity",
    "azure.storage.blob": "azure-storage-blob",
}
# Namespace packages shared by many distributions: without a known dotted name, guessing would install
# the wrong thing, so they are left out with a note.
_AMBIGUOUS = frozenset({"google", "azure", "ruamel"})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names) | {"__future__"}
_PEP723 = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)[ \t]*$\s(?P<content>(?:^#(?:| .*)$\s)+)^# ///[ \t]*$")
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(?P<from>[A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+(?P<imp>[^#\n]+))",
                          re.MULTILINE)
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class ImportedDistribution:
    """One distribution the script imports: ``name`` (for ``--with``), the ``module`` imported, its ``line``."""

    name: str
    module: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"name": self.name, "module": self.module, "line": self.line}


@dataclass(frozen=True)
class Dependencies:
    """What a script must install.

    Attributes:
        dependencies: requirement strings for ``--with`` (the header's, or the imported distributions).
        source: ``pep723`` (the script's header), ``imports`` (inferred) or ``none`` (nothing to install).
        imported: the non-standard imports found, with their lines (also when the header wins).
        notes: what could not be decided (a namespace package, a script that does not parse).
    """

    dependencies: list[str] = field(default_factory=list)
    source: Literal["pep723", "imports", "none"] = "none"
    imported: list[ImportedDistribution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"dependencies": list(self.dependencies), "source": self.source,
                "imported": [d.to_dict() for d in self.imported], "notes": list(self.notes)}


def script_header_dependencies(script: str) -> list[str] | None:
    """The ``dependencies`` of the script's PEP 723 ``# /// script`` block, or None when it has none.

    Example:
        >>> script_header_dependencies('# /// script\\n# requires-python = ">=3.11"\\n# dependencies = [\\n'
        ...                            '#   "requests<3",\\n#   "rich",\\n# ]\\n# ///\\nimport requests\\n')
        ['requests<3', 'rich']
        >>> script_header_dependencies("import requests") is None
        True
    """
    if "# /// script" not in script:
        return None
    for m in _PEP723.finditer(script):
        if m.group("type") != "script":
            continue
        content = "".join(line[2:] if line.startswith("# ") else line[1:]
                          for line in m.group("content").splitlines(keepends=True))
        return _toml_dependencies(content)
    return None


def _toml_dependencies(content: str) -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: read the one key we need
        tomllib = None  # type: ignore[assignment]
    if tomllib is not None:
        try:
            data = tomllib.loads(content)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"the script's # /// script header is not valid TOML ({exc})") from None
        deps = data.get("dependencies", [])
    else:  # pragma: no cover - exercised on Python 3.10 only
        m = re.search(r"(?ms)^dependencies\s*=\s*(\[.*?\])", content)
        try:
            deps = ast.literal_eval(re.sub(r"(?m)#.*$", "", m.group(1))) if m else []
        except (ValueError, SyntaxError):
            raise ValueError("the script's # /// script header has a dependencies list that cannot be read") from None
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ValueError("the script's # /// script header: dependencies must be a list of strings")
    return [d.strip() for d in deps if d.strip()]


def _distribution(module: str) -> str | None:
    """The distribution that provides ``module`` (dotted), None for the standard library and the unknowable."""
    top = module.split(".", 1)[0]
    if not top or top in _STDLIB or top.startswith("_"):
        return None
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        name = IMPORT_TO_DISTRIBUTION.get(".".join(parts[:k]))
        if name is not None:
            return name
    if top in _AMBIGUOUS:
        return None
    return top


def _optional(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        if h.type is None:
            return True
        names = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        if any(isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS for n in names):
            return True
    return False


def _ast_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """(module, line) of every absolute import, in source order, leaving out those under try/except ImportError."""
    out: list[tuple[str, int]] = []
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:  # explicit stack: deep nesting must not hit the recursion limit
        node, optional = stack.pop()
        if isinstance(node, ast.Import) and not optional:
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not optional and not node.level and node.module:
            out.append((node.module, node.lineno))
        children: list[tuple[ast.AST, bool]] = []
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            guarded = optional or _optional(node.handlers)  # type: ignore[attr-defined]
            children += [(c, guarded) for c in node.body]  # type: ignore[attr-defined]
            body = {id(c) for c in node.body}  # type: ignore[attr-defined]
            rest = [c for c in ast.iter_child_nodes(node) if id(c) not in body]
            children += [(c, optional) for c in rest]
        else:
            children += [(c, optional) for c in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))
    return out


def _line_imports(script: str) -> list[tuple[str, int]]:
    """Imports found line by line, for a script that does not parse."""
    out: list[tuple[str, int]] = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", script)]
    for m in _IMPORT_LINE.finditer(script):
        line = bisect.bisect_right(line_starts, m.start())
        if m.group("from"):
            if not m.group("from").startswith("."):
                out.append((m.group("from"), line))
            continue
        for part in m.group("imp").split(","):
            name = part.strip().split(" ", 1)[0].strip("()")
            if re.fullmatch(r"[A-Za-z_][\w.]*", name):
                out.append((name, line))
    return out


def infer_dependencies(script: str) -> Dependencies:
    """The distributions ``script`` must install: its PEP 723 header when present, else its non-standard imports.

    Example:
        >>> deps = infer_dependencies("import sklearn.linear_model\\ntry:\\n    import ujson\\nexcept ImportError:\\n"
        ...                           "    import json\\nfrom . import local\\nimport cv2, huggingface_hub\\n")
        >>> deps.dependencies, deps.source
        (['scikit-learn', 'opencv-python', 'huggingface_hub'], 'imports')
        >>> [(d.module, d.line) for d in deps.imported]
        [('sklearn.linear_model', 1), ('cv2', 7), ('huggingface_hub', 7)]
        >>> infer_dependencies("print(1)").source
        'none'
    """
    if not isinstance(script, str):
        raise TypeError(f"infer_dependencies expects the script's text, not {type(script).__name__}")
    notes: list[str] = []
    try:
        modules = _ast_imports(ast.parse(script))
    except (SyntaxError, ValueError):
        modules = _line_imports(script)
        notes.append("the script does not parse as Python: its imports were read line by line")
    imported: list[ImportedDistribution] = []
    seen: set[str] = set()
    for module, line in modules:
        name = _distribution(module)
        if name is None:
            top = module.split(".", 1)[0]
            if top in _AMBIGUOUS and top not in seen:
                seen.add(top)
                notes.append(f"line {line}: import {module}: {top} is shared by many packages; add the one it "
                             "comes from with --with")
            continue
        if name.lower() not in seen:
            seen.add(name.lower())
            imported.append(ImportedDistribution(name, module, line))
    try:
        header = script_header_dependencies(script)
    except ValueError as exc:  # uv will say it too; the imports are the best guess meanwhile
        header = None
        notes.append(f"{exc}: dependencies were inferred from the imports instead")
    if header is not None:
        return Dependencies(header, "pep723", imported, notes)
    names = [d.name for d in imported]
    return Dependencies(names, "imports" if names else "none", imported, notes)
