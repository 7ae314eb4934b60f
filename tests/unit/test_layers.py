"""Imports go one way: api -> services -> domain <- adapters, wired together only by the composition root.

Every module of ``rag_service``, ``ingest`` and ``eval`` is parsed (not imported) and each import, including
ones inside functions and ``TYPE_CHECKING`` blocks, is checked against the rules below.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rag_service", "ingest", "eval")

# What each layer must not import (prefixes of module names).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "rag_service.domain": (
        "rag_service.services",
        "rag_service.adapters",
        "rag_service.api",
        "rag_service.bootstrap",
        "rag_service.cli",
        "rag_service.settings",
    ),
    "rag_service.services": (
        "rag_service.adapters",
        "rag_service.api",
        "rag_service.bootstrap",
        "rag_service.cli",
    ),
    "rag_service.adapters": (
        "rag_service.services",
        "rag_service.api",
        "rag_service.bootstrap",
        "rag_service.cli",
    ),
    "rag_service.api": ("rag_service.adapters", "rag_service.bootstrap", "rag_service.cli"),
    "rag_service.bootstrap": ("rag_service.api", "rag_service.cli"),
    "ingest": ("rag_service.api", "rag_service.cli"),
    "eval": ("rag_service.api", "rag_service.cli"),
}

# The only imports allowed despite FORBIDDEN: (importing module, imported module) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("rag_service.api.app", "rag_service.bootstrap"): "the app factory builds the components in its lifespan",
    ("rag_service.api.state", "rag_service.bootstrap"): "what the app holds is the components it was given",
    ("eval.suite.targets", "rag_service.api.answer_schemas"): (
        "the in-process target reads the app's answers with the API's own response schema (the wire format,"
        " built on domain types only); it reaches the app itself only through create_app"
    ),
}

# eval reaches the app only through its factory.
EVAL_MAY_IMPORT_FROM_API = ("rag_service.api.app",)


@dataclass(frozen=True)
class Import:
    module: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, name: str, is_package: bool = False) -> list[Import]:
    """Every import of module ``name`` given its source, relative ones resolved to absolute names."""
    package = name if is_package else name.rpartition(".")[0]
    out: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend(Import(name, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` may import a module: check pkg.mod as well as pkg.
            out.append(Import(name, base, node.lineno))
            out.extend(Import(name, f"{base}.{alias.name}", node.lineno) for alias in node.names)
    return out


def all_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            found.extend(imports_in(source, module_name(path), path.name == "__init__.py"))
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(found: list[Import]) -> list[str]:
    """One line per wrong import statement (``from a import b`` is reported once, as ``a``, when both are)."""
    out: list[Import] = []
    for imp in found:
        for layer, forbidden in FORBIDDEN.items():
            if not within(imp.module, layer):
                continue
            for prefix in forbidden:
                if not within(imp.target, prefix) or within(imp.target, layer):
                    continue
                if any(m == imp.module and within(imp.target, t) for m, t in EXCEPTIONS):
                    continue
                if layer == "eval" and any(within(imp.target, ok) for ok in EVAL_MAY_IMPORT_FROM_API):
                    continue
                out.append(imp)
    reported = {(i.module, i.line, i.target) for i in out}
    return sorted({str(i) for i in out if (i.module, i.line, i.target.rpartition(".")[0]) not in reported})


def test_every_import_follows_the_layer_order() -> None:
    found = all_imports()
    # The scan reads real imports (guards against a check that passes because it saw nothing).
    assert any(
        i.module == "rag_service.bootstrap" and within(i.target, "rag_service.adapters") for i in found
    )
    problems = violations(found)
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


def test_the_check_catches_each_kind_of_wrong_import() -> None:
    wrong = [
        Import("rag_service.domain.text", "rag_service.services.citations", 1),
        Import("rag_service.services.conflicts", "rag_service.adapters.bm25_index", 1),
        Import("rag_service.adapters.nli_scorer", "rag_service.services.support", 1),
        Import("rag_service.api.routes.ask", "rag_service.adapters.embedder", 1),
        Import("rag_service.api.routes.ask", "rag_service.bootstrap", 1),
        Import("ingest.cli", "rag_service.api.app", 1),
        Import("eval.suite.runner", "rag_service.api.answer_schemas", 1),
        Import("eval.suite.targets", "rag_service.api.state", 1),
    ]
    assert len(violations(wrong)) == len(wrong)
    allowed = [
        Import("eval.suite.targets", "rag_service.api.app", 1),
        Import("rag_service.api.app", "rag_service.bootstrap", 1),
        Import("rag_service.services.answering", "rag_service.domain.text", 1),
        Import("rag_service.adapters.nli_scorer", "rag_service.adapters.cross_encoder", 1),
    ]
    assert violations(allowed) == []


def test_relative_imports_are_resolved() -> None:
    found = imports_in(
        "from ..adapters import bm25_index\nfrom . import citations\n", "rag_service.services.x"
    )
    assert [i.target for i in found] == [
        "rag_service.adapters",
        "rag_service.adapters.bm25_index",
        "rag_service.services",
        "rag_service.services.citations",
    ]
    assert violations(found) == ["rag_service.services.x (line 1) imports rag_service.adapters"]
