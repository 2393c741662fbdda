"""infer_dependencies: the --with a uv script needs, from its PEP 723 header or its non-standard imports."""

from __future__ import annotations

import sys

import pytest

from hfsecure_jupyter.jobs.deps import IMPORT_TO_DISTRIBUTION, infer_dependencies, script_header_dependencies


@pytest.mark.parametrize("module, dist", [
    ("PIL", "pillow"), ("sklearn", "scikit-learn"), ("cv2", "opencv-python"), ("yaml", "pyyaml"),
    ("bs4", "beautifulsoup4"), ("skimage", "scikit-image"), ("dotenv", "python-dotenv"),
    ("google.protobuf", "protobuf"), ("huggingface_hub", "huggingface_hub"), ("datasets", "datasets"),
])
def test_import_names_map_to_distributions(module, dist):
    assert infer_dependencies(f"import {module}\n").dependencies == [dist]
    assert infer_dependencies(f"from {module} import x\n").dependencies == [dist]


def test_the_standard_library_and_relative_imports_install_nothing():
    code = "".join(f"import {m}\n" for m in sorted(sys.stdlib_module_names) if not m.startswith("_")
                   and m not in ("antigravity", "this"))
    code += "from . import sibling\nfrom .pkg import thing\nfrom __future__ import annotations\n"
    deps = infer_dependencies(code)
    assert deps.dependencies == [] and deps.source == "none"


def test_order_is_first_use_and_each_once():
    code = ("import numpy as np\nfrom transformers import AutoModel\nimport numpy.linalg\n"
            "def f():\n    import PIL.Image\n    from PIL import ImageOps\n")
    deps = infer_dependencies(code)
    assert deps.dependencies == ["numpy", "transformers", "pillow"]
    assert [(d.module, d.line) for d in deps.imported] == [("numpy", 1), ("transformers", 2), ("PIL.Image", 5)]


def test_optional_imports_are_left_out():
    code = ("try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
            "try:\n    import orjson\nexcept (ModuleNotFoundError, AttributeError):\n    orjson = None\n"
            "try:\n    import rich\nfinally:\n    pass\n")
    assert infer_dependencies(code).dependencies == ["rich"]


def test_pep723_header_wins():
    code = ('# /// script\n# requires-python = ">=3.11"\n# dependencies = [\n#   "requests<3",\n'
            '#   "rich",  # pretty\n# ]\n# ///\nimport requests\nimport numpy\n')
    deps = infer_dependencies(code)
    assert deps.source == "pep723" and deps.dependencies == ["requests<3", "rich"]
    assert [d.name for d in deps.imported] == ["requests", "numpy"]
    assert script_header_dependencies("# /// script\n# dependencies = []\n# ///\nimport numpy\n") == []
    # another block type is not the script header
    assert script_header_dependencies("# /// pyproject\n# dependencies = ['x']\n# ///\n") is None


def test_a_broken_header_falls_back_to_the_imports_and_says_so():
    deps = infer_dependencies("# /// script\n# dependencies = [\n# ///\nimport numpy\n")
    assert deps.dependencies == ["numpy"] and "not valid TOML" in deps.notes[0]


def test_a_namespace_package_is_not_guessed():
    deps = infer_dependencies("import google.auth\nimport azure.storage.blob\n")
    assert deps.dependencies == ["azure-storage-blob"]
    assert any("google is shared by many packages" in n for n in deps.notes)


def test_a_script_that_does_not_parse_is_read_line_by_line():
    deps = infer_dependencies("import yaml, os\nfrom sklearn import svm\n!pip install x\nprint(\n")
    assert deps.dependencies == ["pyyaml", "scikit-learn"]
    assert "does not parse" in deps.notes[0]


def test_table_values_are_requirement_names():
    import re

    for module, dist in IMPORT_TO_DISTRIBUTION.items():
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", dist), module
        assert module.split(".")[0] not in sys.stdlib_module_names, module


def test_cost_is_linear_in_the_script():
    # Counted, not timed: the import list grows with the script, and a deep nest does not recurse.
    small = infer_dependencies("import numpy\n" * 100)
    assert small.dependencies == ["numpy"] and len(small.imported) == 1
    deep = "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "import numpy\n"
    assert infer_dependencies(deep).dependencies == ["numpy"]


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="script's text"):
        infer_dependencies(None)  # type: ignore[arg-type]
