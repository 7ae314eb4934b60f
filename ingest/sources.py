"""Finding files to ingest, their default document ids, and metadata from sidecars and the command line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ingest.loaders import SUPPORTED_EXTENSIONS
from ingest.loaders.meta import KNOWN_KEYS, STRING_FIELDS
from rag_service.domain.documents import DocumentMeta, MetaValue
from rag_service.domain.errors import IngestError

SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
# Sidecars and flags accept the same keys as front matter and JSONL records, plus the id.
_KEYS = {**KNOWN_KEYS, "doc_id": "doc_id", "id": "doc_id", "type": "doc_type", "document_type": "doc_type"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to ingest and the root it was found under (for its default document id)."""

    path: Path
    root: Path

    @property
    def key(self) -> str:
        """How the catalog names the file: its absolute path."""
        return str(self.path.resolve())

    def default_doc_id(self) -> str:
        """Readable id from the path below the root, e.g. 'cardiology--af-protocol.pdf'."""
        rel = self.path.name if self.root == self.path else str(self.path.relative_to(self.root))
        *dirs, name = Path(rel).parts
        stem, suffix = Path(name).stem, Path(name).suffix.lower()
        parts = [_slug(p) for p in dirs] + [_slug(stem) + suffix]
        return "--".join(parts)[:200]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+]+", "-", text).strip("-._") or "x"


def is_sidecar(path: Path) -> bool:
    """Sidecar metadata files are read with their document, never ingested themselves."""
    return path.name.endswith(SIDECAR_SUFFIXES)


def discover(paths: Sequence[Path]) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Expand files and folders into source files, sorted; missing paths are returned as failures."""
    found: dict[Path, SourceFile] = {}
    missing: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.setdefault(path.resolve(), SourceFile(path, path))
        elif path.is_dir():
            for file in _walk(path):
                found.setdefault(file.resolve(), SourceFile(file, path))
        else:
            missing.append((str(path), "no such file or directory"))
    return sorted(found.values(), key=lambda s: str(s.path)), missing


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p.startswith(".") for p in rel) or not path.is_file() or is_sidecar(path):
            continue
        yield path


def unsupported_reason(path: Path) -> str | None:
    """Why a file cannot be ingested by its name alone, or None."""
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_EXTENSIONS:
        return None
    shown = suffix or "(no extension)"
    return f"unsupported file type {shown}; supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"


def read_sidecar(path: Path) -> tuple[dict[str, Any], bytes]:
    """Metadata from '<file>.meta.json' or '<file>.meta.yaml' beside a file, with its raw bytes."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_name(path.name + suffix)
        if not sidecar.is_file():
            continue
        raw = sidecar.read_bytes()
        try:
            data = json.loads(raw) if suffix == ".meta.json" else yaml.safe_load(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise IngestError(f"unreadable metadata sidecar {sidecar.name}: {str(exc)[:200]}") from exc
        if not isinstance(data, dict):
            raise IngestError(f"metadata sidecar {sidecar.name} must hold a mapping of field names to values")
        return data, raw
    return {}, b""


def parse_meta_flags(pairs: Sequence[str]) -> dict[str, MetaValue]:
    """Turn '--meta key=value' flags into a mapping; numbers stay numbers."""
    out: dict[str, MetaValue] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--meta expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = int(value) if value.strip().isdigit() else value
    return out


def apply_overrides(meta: DocumentMeta, overrides: Mapping[str, Any], *, multi: bool) -> DocumentMeta:
    """Lay sidecar or command-line metadata over what the loader found; unknown keys go to ``extra``."""
    if not overrides:
        return meta
    data = meta.model_dump()
    extra = dict(data.pop("extra"))
    for raw_key, value in overrides.items():
        key = _KEYS.get(raw_key)
        if key in {"doc_id", "title"} and multi:
            raise IngestError(f"metadata '{raw_key}' can only be overridden for single-document files")
        if raw_key == "extra" and isinstance(value, dict):
            extra.update(value)
        elif key is not None:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            data[key] = str(value) if key in STRING_FIELDS and is_number else value
        elif isinstance(value, str | int | float | bool):
            extra[raw_key] = value
        else:
            raise IngestError(f"metadata '{raw_key}' must be a string, number or boolean")
    try:
        return DocumentMeta.model_validate({**data, "extra": extra})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise IngestError(f"invalid metadata {where}: {first['msg']}") from exc
