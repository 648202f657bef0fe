"""One direction through the house: every module keeps the layer rule of `tinygrad_lite.layers`.

The checker (`layer_check`) reads the sources with `ast`; the throw-away packages
below show that it reports each kind of offence with its module and line.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from layer_check import Rules, check, package_modules

from tinygrad_lite import layers

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "tinygrad_lite"


def test_every_module_keeps_the_layer_rule() -> None:
    problems = check(PACKAGE_DIR, Rules.of(layers))
    assert not problems, "\n".join(map(str, problems))


def test_the_layer_map_names_only_modules_that_exist() -> None:
    modules = package_modules(PACKAGE_DIR)
    listed = [module for _, names in layers.LAYERS for module in names]
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert sorted(set(listed) - set(modules)) == []
    assert set(layers.LAYER_OF) == set(listed)
    assert list(layers.LAYER_NAMES) == [name for name, _ in layers.LAYERS]
    for module in (*layers.PUBLIC_API, *layers.PUBLIC_API_ONLY, *layers.IMPORTED_ONLY_BY):
        assert module in modules, module
    for importer, imported in layers.CONDITIONAL_IMPORTS:
        assert importer in modules and imported in modules


def test_the_readme_architecture_section_lists_every_module_in_its_layer() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    shown: dict[str, str] = {}
    layer = ""
    for line in section.splitlines():
        heading = re.match(r"^\d+\. \*\*(\w+)\*\*", line)
        if heading:
            layer = heading.group(1)
        entry = re.match(r"^\s+- `(tinygrad_lite[\w.]*)`: \S", line)
        if entry:
            shown[entry.group(1)] = layer
    rules = Rules.of(layers)
    expected = {}
    for module in package_modules(PACKAGE_DIR):
        rank = rules.layer_of(module)
        assert rank is not None, module
        expected[module] = rules.layer_name(rank)
    assert shown == expected


# ------------------------------------------------------------- the checker on toy packages

TOY_RULES = Rules(
    package="toy",
    layers=(
        ("core", ("toy.core", "toy.helpers")),
        ("tools", ("toy.tools",)),
        ("api", ("toy",)),
        ("app", ("toy.app", "toy.course")),
    ),
    public_api=("toy",),
    public_api_only=("toy.course",),
    imported_only_by={"toy.course": ("toy.app",)},
    optional_third_party=("matplotlib",),
)

CLEAN = {
    "__init__.py": "from toy.tools import shout\n",
    "core.py": "def double(x):\n    return 2 * x\n\n_secret = 1\n",
    "helpers.py": "from toy.core import double\n",
    "tools.py": "from toy.core import double\n\ndef shout(x):\n    return double(x)\n",
    "app.py": "from toy import course\n",
    "course/__init__.py": "from toy import shout\n",
    "course/lesson.py": (
        "from toy import shout\n\ndef plot():\n    import matplotlib\n    return matplotlib\n"
    ),
}


def make_package(tmp_path: Path, **changes: str) -> Path:
    """The clean toy package, with files replaced or added (``tools="..."``,
    ``course__lesson="..."`` for ``course/lesson.py``)."""
    files = dict(CLEAN)
    for name, text in changes.items():
        files[name.replace("__", "/") + ".py"] = text
    for name, text in files.items():
        path = tmp_path / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path / "toy"


def messages(package: Path) -> list[str]:
    return [f"{p.module}:{p.line}: {p.message}" for p in check(package, TOY_RULES)]


def test_the_clean_toy_package_has_no_problem(tmp_path: Path) -> None:
    assert messages(make_package(tmp_path)) == []


def test_a_back_edge_is_reported_with_its_module_and_line(tmp_path: Path) -> None:
    package = make_package(tmp_path, helpers='"""Helpers."""\n\nfrom toy.app import course\n')
    assert messages(package) == [
        "toy.helpers:3: imports toy.app (layer 'app') from layer 'core': a back edge"
    ]
    (problem,) = check(package, TOY_RULES)
    assert problem.path == package / "helpers.py" and problem.line == 3
    assert str(problem).startswith(f"{package / 'helpers.py'}:3: toy.helpers: ")


def test_a_back_edge_that_closes_a_cycle_is_reported_twice(tmp_path: Path) -> None:
    package = make_package(tmp_path, core="from toy.tools import shout\n")
    assert messages(package) == [
        "toy.core:1: imports toy.tools (layer 'tools') from layer 'core': a back edge",
        "toy.core:1: import cycle: toy.core -> toy.tools",
    ]


def test_a_private_name_from_another_module_is_reported(tmp_path: Path) -> None:
    package = make_package(tmp_path, helpers="import os\nfrom toy.core import _secret, double\n")
    assert messages(package) == ["toy.helpers:2: imports the private name _secret from toy.core"]
    package = make_package(tmp_path, helpers="from toy import core\n\nVALUE = core._secret\n")
    assert messages(package) == [
        "toy.helpers:3: reads the private name core._secret of another module"
    ]


def test_a_cycle_within_one_layer_is_reported(tmp_path: Path) -> None:
    package = make_package(tmp_path, core="from toy.helpers import double\n")
    assert messages(package) == ["toy.core:1: import cycle: toy.core -> toy.helpers"]


def test_an_import_inside_a_function_is_reported_even_without_a_cycle(tmp_path: Path) -> None:
    package = make_package(
        tmp_path,
        tools="def shout(x):\n    from toy.core import double\n    import json\n    return x\n",
    )
    assert messages(package) == [
        "toy.tools:2: imports toy.core inside a function",
        "toy.tools:3: imports json inside a function",
    ]
    package = make_package(
        tmp_path, tools="import sys\nif sys.version_info > (3,):\n    from toy import core\n"
    )
    assert messages(package) == ["toy.tools:3: imports toy.core inside a module-level block"]
    allowed = make_package(
        tmp_path,
        tools="from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy import core\n",
    )
    assert messages(allowed) == []


def test_the_leaf_and_public_api_rules(tmp_path: Path) -> None:
    package = make_package(tmp_path, course__lesson="from toy.tools import shout\n")
    assert messages(package) == ["toy.course.lesson:1: imports toy.tools, which is not public API"]
    package = make_package(tmp_path, helpers="from toy.course import lesson\n")
    assert messages(package) == [
        "toy.helpers:1: imports toy.course.lesson (layer 'app') from layer 'core': a back edge",
        "toy.helpers:1: imports toy.course.lesson, a leaf imported only by ('toy.app',)",
    ]
    package = make_package(tmp_path, tools="from toy.course import lesson\n")
    assert "toy:1: import cycle: toy -> toy.course.lesson -> toy.tools" in messages(package)


def test_a_module_missing_from_the_map_is_reported(tmp_path: Path) -> None:
    package = make_package(tmp_path, extra="X = 1\n")
    assert messages(package) == ["toy.extra:1: is not in the layer map"]


@pytest.mark.parametrize("module", ["tinygrad_lite.seed", "tinygrad_lite.seed.network"])
def test_the_course_is_in_the_top_layer_with_the_command_line(module: str) -> None:
    rules = Rules.of(layers)
    rank = rules.layer_of(module)
    assert rank == rules.layer_of("tinygrad_lite.cli.seed") == len(layers.LAYERS) - 1
