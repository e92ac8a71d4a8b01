"""The shape of `chatcore.errors`: one public surface, private modules, no cycles, no Django.

Everything outside the package goes through `chatcore.errors` and its
`__all__`; the modules below it are private (`_name.py`) and may change freely.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import chatcore.errors as errors
from tests.public_api import assert_all_is_complete

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "chatcore.errors"
PACKAGE_DIR = ROOT / "chatcore" / "errors"
MODULES = sorted(m.name for m in pkgutil.iter_modules(errors.__path__))

ISSUE_NAMES = {
    "ErrorKind", "ProviderError", "ProviderTransportReset", "DeadlineExceeded", "ClassifiedError",
    "classify", "with_classification", "terminal_message", "retry_message", "provider_display_name",
    "kind_label", "normalize_provider",
}  # fmt: skip

# Tests that reach into the package on purpose, each with the reason. Keep it short.
INTERNAL_TESTS = {
    "tests/chatcore/errors/test_package.py": "this file: it names the private modules to check them",
    "tests/chatcore/errors/test_scanner.py": "the phrase index and its keys are private machinery",
    "tests/chatcore/errors/test_properties.py": "checks that classify never needs its last-resort guard",
}


# `chatcore.errors.<name>` in any text: an import, a string for importlib or
# mock.patch, a comment. Only public names (and dunders) may follow the dot.
_DOTTED = re.compile(r"(?<![\w.])chatcore\.errors\.([A-Za-z_]\w*)")
_SKIP_DIRS = {"node_modules", "__pycache__", "test-output", "static", "templates"}


def _python_files() -> Iterator[Path]:
    for top, dirs, files in os.walk(ROOT):  # does not follow the .venv symlink
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        for name in files:
            if name.endswith(".py"):
                yield Path(top, name)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _package_of(path: Path) -> list[str]:
    """The dotted package a file's relative imports start from."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1]


def _imported(path: Path, tree: ast.AST) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every import in a file; name is None for `import module`."""
    package = _package_of(path)
    for node in ast.walk(tree):  # TYPE_CHECKING blocks and function bodies included
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                yield module, alias.name


def violations(path: Path, source: str | None = None) -> list[str]:
    """How a file outside the package reaches past `chatcore.errors.__all__`."""
    if source is None:
        source = path.read_text(encoding="utf-8")
    public = set(errors.__all__)
    found = [
        f"names chatcore.errors.{m.group(1)}"
        for m in _DOTTED.finditer(source)
        if m.group(1) not in public and not m.group(1).startswith("__")
    ]
    for module, name in _imported(path, ast.parse(source)):
        if module.startswith(f"{PACKAGE}."):
            found.append(f"imports module {module}")
        elif module == PACKAGE and name is not None and name not in public:
            found.append(f"imports {name} from {PACKAGE}, which is not in its __all__")
    return found


def _outside_files() -> list[Path]:
    return [p for p in _python_files() if not p.is_relative_to(PACKAGE_DIR)]


def test_nothing_outside_the_package_imports_its_private_modules() -> None:
    files = _outside_files()
    assert any(_relative(p) == "bench/classify.py" for p in files)
    bad = {
        _relative(p): v
        for p in files
        if _relative(p) not in INTERNAL_TESTS
        for v in [violations(p)]
        if v
    }
    assert bad == {}


@pytest.mark.parametrize("listed", sorted(INTERNAL_TESTS))
def test_internal_tests_still_need_it(listed: str) -> None:
    assert violations(ROOT / listed), f"{listed} uses only public names: remove it from the list"


@pytest.mark.parametrize(
    ("line", "expected"),
    [("from chatcore.errors._classify import classify", "imports module chatcore.errors._classify"),
     ("from chatcore.errors.providers import normalize_provider", "imports module chatcore.errors.providers"),
     ("import chatcore.errors._signals", "imports module chatcore.errors._signals"),
     ("from chatcore.errors import _classify", "imports _classify from"),
     ("from chatcore.errors import Signal", "imports Signal from"),
     ("from ..errors._kinds import ErrorKind", "imports module chatcore.errors._kinds"),
     ("from ..errors import _messages", "imports _messages from"),
     ("patch('chatcore.errors._messages.terminal_text')", "names chatcore.errors._messages"),
     ("name = 'chatcore.errors.classifier'", "names chatcore.errors.classifier")],
    ids=["private_module", "old_module", "import_module", "private_name", "unexported_name",
         "relative_module", "relative_private_name", "patched_string", "module_string"],
)  # fmt: skip
def test_the_checker_catches_every_form(line: str, expected: str) -> None:
    # Relative imports resolve as if the line were in chatcore/runner/probe.py.
    got = violations(ROOT / "chatcore" / "runner" / "probe.py", line + "\n")
    assert any(v.startswith(expected) for v in got), got


def test_the_checker_passes_public_imports_and_prose() -> None:
    source = (
        "from chatcore.errors import ClassifiedError, classify\n"
        "from chatcore import errors\n"
        "import chatcore.errors\n"
        "from tests.chatcore.errors.chains import chained\n"
        '"""Raised as a `chatcore.errors.ProviderError`; see ``chatcore.errors.__all__``."""\n'
    )
    assert violations(ROOT / "chatcore" / "runner" / "probe.py", source) == []


def test_all_lists_the_issue_api_and_every_public_name() -> None:
    assert set(errors.__all__) >= ISSUE_NAMES
    public = {name for name in vars(errors) if not name.startswith("_")}
    assert public - {"annotations"} == set(errors.__all__)
    for name in errors.__all__:
        assert getattr(errors, name) is not None
    assert_all_is_complete(PACKAGE)


def test_every_module_is_private() -> None:
    assert MODULES and all(name.startswith("_") for name in MODULES), MODULES


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_a_complete_all(module: str) -> None:
    loaded = importlib.import_module(f"{PACKAGE}.{module}")
    declared = set(loaded.__all__)
    assert declared and all(hasattr(loaded, name) for name in declared)
    assert_all_is_complete(f"{PACKAGE}.{module}")


def _package_imports() -> dict[str, set[tuple[str, str | None]]]:
    """For each module of the package (and `__init__`), what it imports from the package."""
    graph: dict[str, set[tuple[str, str | None]]] = {}
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[path.stem] = {
            (module.removeprefix(f"{PACKAGE}."), name)
            for module, name in _imported(path, tree)
            if module.startswith(f"{PACKAGE}.")
        }
    return graph


def test_modules_use_only_what_their_siblings_declare() -> None:
    for module, imports in _package_imports().items():
        for sibling, name in imports:
            declared = importlib.import_module(f"{PACKAGE}.{sibling}").__all__
            assert name in declared, f"{module} imports {name} from {sibling}"


def test_no_import_cycle_even_under_type_checking() -> None:
    edges = {
        module: {sibling for sibling, _ in imports}
        for module, imports in _package_imports().items()
    }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join([*path, module])
        if module in done:
            return
        for sibling in sorted(edges.get(module, ())):
            visit(sibling, (*path, module))
        done.add(module)

    for module in sorted(edges):
        visit(module, ())


def test_no_private_stdlib_regex_internals() -> None:
    for path in PACKAGE_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for word in ("re._parser", "_parser", "_constants", "sre_parse", "sre_constants"):
            assert word not in source, f"{path.name} mentions {word}"


def test_importing_the_classifier_imports_no_django() -> None:
    code = (
        "import sys, chatcore.errors, pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(chatcore.errors.__path__):\n"
        "    importlib.import_module('chatcore.errors.' + m.name)\n"
        "chatcore.errors.classify('status 503')\n"
        "assert not any(n == 'django' or n.startswith('django.') for n in sys.modules), 'django'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
