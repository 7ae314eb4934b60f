"""Discovery, default ids, sidecars and metadata overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sources import SourceFile, apply_overrides, discover, parse_meta_flags, read_sidecar
from rag_service.domain.documents import DocumentMeta
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

META = DocumentMeta(doc_id="a", title="A", source="a.md")


def test_discover_walks_folders_skips_hidden_and_sidecars(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("a.md", "sub/b.pdf", "sub/b.pdf.meta.json", ".hidden.md", ".git/x.md"):
        (tmp_path / name).write_text("x")
    files, missing = discover([tmp_path, tmp_path / "nope"])
    assert [f.path.relative_to(tmp_path).as_posix() for f in files] == ["a.md", "sub/b.pdf"]
    assert missing == [(str(tmp_path / "nope"), "no such file or directory")]


def test_default_doc_id_is_readable_and_url_safe(tmp_path: Path) -> None:
    f = tmp_path / "Cardiology Protocols" / "AF (2024).pdf"
    assert SourceFile(f, tmp_path).default_doc_id() == "Cardiology-Protocols--AF-2024.pdf"
    assert SourceFile(f, f).default_doc_id() == "AF-2024.pdf"


def test_sidecar_and_flags_override_loader_metadata(tmp_path: Path) -> None:
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF")
    (tmp_path / "x.pdf.meta.json").write_text(
        json.dumps({"organization": "NICE", "year": 2023, "ward": "ICU"})
    )
    sidecar, raw = read_sidecar(f)
    assert raw
    meta = apply_overrides(
        META, {**sidecar, **parse_meta_flags(["doc_type=guideline", "beds=12"])}, multi=False
    )
    assert (meta.organisation, meta.year, meta.doc_type) == ("NICE", 2023, "guideline")
    assert meta.extra == {"ward": "ICU", "beds": 12}


def test_bad_metadata_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="doc_type"):
        apply_overrides(META, {"doc_type": "blog"}, multi=False)
    with pytest.raises(IngestError, match="single-document"):
        apply_overrides(META, {"doc_id": "x"}, multi=True)
    f = tmp_path / "y.md"
    (tmp_path / "y.md.meta.json").write_text("{not json")
    with pytest.raises(IngestError, match="sidecar"):
        read_sidecar(f)
