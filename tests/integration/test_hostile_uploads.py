"""Malicious files through POST /v1/documents and the ingest pipeline: each refused by name, the rest ingested.

XML bombs and external entities, PDFs carrying JavaScript (document-level or as the open action, also with a
hex-escaped name), a PDF with too many pages and one with a page far beyond the PDF size limit, an oversized
file, an archive named ``.md``, and file names that try to leave the upload folder. The service keeps serving.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from rag_service.api.app import create_app
from rag_service.bootstrap import Components
from tests.helpers import MakeComponents, ingest
from tests.pdfs import make_pdf

pytestmark = pytest.mark.integration

GOOD = (
    b"# Hyperkalaemia\n\nFor potassium above 6.5 mmol/L give 10 mL of 10% calcium gluconate intravenously.\n"
)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<PubmedArticleSet>&lol9;</PubmedArticleSet>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle>&secret;</PubmedArticle></PubmedArticleSet>
"""
ZIP_AS_MARKDOWN = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4


def _with_root(pdf: bytes, key: str, value: DictionaryObject) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_document_script() -> bytes:
    """A document-level script in the catalog's /Names tree, run by a viewer when the file opens."""
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
    )
    names = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("hello"), script])}
            )
        }
    )
    return _with_root(make_pdf(["Aspirin 75 mg daily."]), "/Names", names)


def pdf_with_open_action(escaped: bool = False) -> bytes:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('http://example.invalid');"),
        }
    )
    pdf = _with_root(make_pdf(["Aspirin 75 mg daily."]), "/OpenAction", action)
    # The names written with #xx escapes, as obfuscated files do (the reader rebuilds the shifted offsets).
    return pdf.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ") if escaped else pdf


def pdf_with_huge_page() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200000, 200000)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HOSTILE: dict[str, tuple[bytes, str]] = {
    "bomb.xml": (BILLION_LAUGHS, "unsafe XML"),
    "xxe.xml": (EXTERNAL_ENTITY, "unsafe XML"),
    "script.pdf": (pdf_with_document_script(), "JavaScript"),
    "open-action.pdf": (pdf_with_open_action(), "JavaScript"),
    "many-pages.pdf": (make_pdf([f"Page {n} text." for n in range(5)]), "over the 3-page limit"),
    "huge-page.pdf": (pdf_with_huge_page(), "beyond the PDF limit"),
    "oversized.txt": (b"word " * 20000, "limit"),
    "archive.md": (ZIP_AS_MARKDOWN, "binary content"),
}
LIMITS = {"max_file_mb": 0.05, "max_pdf_pages": 3}
OPEN = {"auth": {"enabled": False}, "api": {"allowed_hosts": ["testserver"]}}


@pytest.fixture
def client(make_components: MakeComponents) -> Iterator[tuple[Components, TestClient]]:
    c = make_components(ingest=LIMITS, **OPEN)
    with TestClient(create_app(c.settings, components=c)) as client:
        yield c, client


def test_escaped_script_names_are_seen_through() -> None:
    escaped = pdf_with_open_action(escaped=True)
    assert b"/JavaScript" not in escaped and b"/JS " not in escaped and b"/J#61vaScript" in escaped


def test_every_hostile_upload_is_refused_by_name_and_the_rest_is_served(
    client: tuple[Components, TestClient],
) -> None:
    c, http = client
    files = [("files", (name, data, "application/octet-stream")) for name, (data, _) in HOSTILE.items()]
    files += [
        ("files", ("escaped-action.pdf", pdf_with_open_action(escaped=True), "application/pdf")),
        ("files", ("../../etc/hyperkalaemia.md", GOOD, "text/markdown")),
        ("files", ("..\\..\\windows\\notes.txt", b"Dialysis patients need urgent review.", "text/plain")),
    ]
    res = http.post("/v1/documents", files=files)
    assert res.status_code == 200, res.text
    results = {r["filename"]: r for r in res.json()["files"]}
    for name, (_, reason) in HOSTILE.items():
        assert results[name]["status"] == "failed" and reason in str(results[name]["error"]), results[name]
        assert results[name]["doc_ids"] == []
    assert results["escaped-action.pdf"]["status"] == "failed"
    assert "JavaScript" in str(results["escaped-action.pdf"]["error"])
    # Names that climb out of the upload folder are reduced to their own file name, inside it.
    assert results["../../etc/hyperkalaemia.md"]["doc_ids"] == ["hyperkalaemia.md"]
    assert results["..\\..\\windows\\notes.txt"]["doc_ids"] == ["notes.txt"]
    uploads = (Path(c.settings.data_dir) / "uploads").resolve()
    stored = sorted(p.name for p in uploads.iterdir())
    assert stored == ["hyperkalaemia.md", "notes.txt"]  # refused files leave nothing behind
    assert not (uploads.parent.parent / "etc").exists()

    assert http.get("/readyz").status_code == 200
    found = http.post("/v1/search", json={"question": "calcium gluconate for high potassium"}).json()
    assert found["results"][0]["doc_id"] == "hyperkalaemia.md"
    assert http.get("/v1/facets").json()["documents"] == 2


def test_the_ingest_pipeline_refuses_the_same_files_and_keeps_going(
    make_components: MakeComponents, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, (data, _) in HOSTILE.items():
        (folder / name).write_bytes(data)
    (folder / "hyperkalaemia.md").write_bytes(GOOD)
    c = make_components(ingest=LIMITS, **OPEN)
    c.open_index()
    report = ingest(c, folder)
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert set(reasons) == set(HOSTILE)
    for name, (_, reason) in HOSTILE.items():
        assert reason in reasons[name], (name, reasons[name])
    assert report.ingested == 1 and c.catalog.document("hyperkalaemia.md") is not None
