"""Dependencies between modgate's packages point one way: the domains the pipeline strings
together (review/, moderation/, policy/, detection/, media/ …) never import the pipeline, the
pipeline never imports review/ (it is handed a ``ReviewLane``), and none of them hides a
dependency in an import inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import modgate

SOURCE = Path(modgate.__file__).parent


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every modgate module ``path`` imports, and whether the import sits inside a function."""
    tree = ast.parse(path.read_text())
    nested = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(name, id(node) in nested) for name in names if name.startswith("modgate")]
    return found


def _files(*parts: str) -> list[Path]:
    target = SOURCE.joinpath(*parts)
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


@pytest.mark.parametrize(
    "package", ["review", "moderation", "policy", "detection", "media", "taxonomy", "events"]
)
def test_the_domains_never_import_the_pipeline(package: str) -> None:
    for path in _files(package):
        for name, _inside in _imports(path):
            assert not name.startswith("modgate.pipeline"), f"{path.name} imports {name}"


def test_the_pipeline_never_imports_review() -> None:
    """The pipeline is handed its ``ReviewLane`` by the composition root."""
    for path in _files("pipeline"):
        for name, _inside in _imports(path):
            assert not name.startswith("modgate.review"), f"{path.name} imports {name}"


# Imports kept inside a function on purpose: the web stack is imported only by ``modgate serve``
# (start-up time of every other command), Celery only where the optional extra is used.
DEFERRED = {
    ("core_cli.py", "modgate.app"),
    ("core_cli.py", "modgate.openapi_document"),
    ("pipeline/cli.py", "modgate.pipeline.celery_app"),
    ("pipeline/executor.py", "modgate.pipeline.celery_app"),
}


def test_no_imports_hidden_in_functions() -> None:
    for path in _files():
        where = path.relative_to(SOURCE).as_posix()
        hidden = [
            name for name, inside in _imports(path) if inside and (where, name) not in DEFERRED
        ]
        assert not hidden, f"{where} imports {hidden} inside a function"
