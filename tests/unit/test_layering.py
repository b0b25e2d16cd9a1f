"""Imports in services/ run one way: common (and the testing support beside it) at the bottom, then the
crawler, the extractor and the store, then the pipeline that runs them together; nothing imports tests/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("crawler", "extractor", "store", "pipeline")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in it (functions and
    TYPE_CHECKING blocks too), as absolute names."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            yield base
            # `from services import pipeline` imports services.pipeline
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def imports_of(path: Path) -> set[str]:
    return set(
        imported_modules(path.read_text("utf-8"), module_name(path), is_package=path.name == "__init__.py")
    )


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


def within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(REPO)} imports {module}"
        for path in files
        for module in sorted(imports_of(path))
        if within(module, *forbidden)
    ]


def test_the_checker_finds_every_kind_of_import() -> None:
    source = (
        "import tests.support\n"
        "from services import pipeline\n"
        "from . import sibling\n"
        "from ..store import tables\n"
        "def later() -> None:\n"
        "    from services.pipeline.replay import run_replay\n"
    )
    found = set(imported_modules(source, "services.crawler.adapters.fetcher"))
    assert {
        "tests.support",
        "services.pipeline",
        "services.crawler.adapters.sibling",
        "services.crawler.store.tables",
        "services.pipeline.replay",
    } <= found
    assert set(imported_modules("from .domain import x", "services.extractor", is_package=True)) >= {
        "services.extractor.domain.x"
    }
    assert within("services.pipeline.replay", "services.pipeline")
    assert not within("services.pipelines", "services.pipeline")


@pytest.mark.parametrize("lower", ["common", "testing"])
def test_common_and_testing_import_no_service(lower: str) -> None:
    files = sources(f"services/{lower}")
    assert files
    assert violations(files, tuple(f"services.{s}" for s in SERVICES)) == []


def test_no_service_imports_the_pipeline() -> None:
    files = sources("services/crawler", "services/extractor", "services/store")
    assert violations(files, ("services.pipeline",)) == []


def test_nothing_in_services_or_bench_imports_the_tests() -> None:
    files = sources("services", "bench")
    assert violations(files, ("tests",)) == []
