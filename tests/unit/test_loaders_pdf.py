"""PDF loader: page sections, outline headings, titles, and every way a PDF can be unusable."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from pypdf import PdfWriter

from ingest.loaders import pdf
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError
from tests.pdfs import make_pdf

pytestmark = pytest.mark.unit

PDF_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "pdfs"
WARFARIN = PDF_DIR / "fda_warfarin_highlights_2022.pdf"


def load(data: bytes, name: str = "label.pdf") -> LoadResult:
    return pdf.load(data, LoadContext(path=Path("docs") / name, default_doc_id="docs--" + name))


def test_one_section_per_page_with_one_based_page_numbers() -> None:
    result = load(make_pdf(["Warfarin dosing\nStart at 5 mg daily.", "Monitor the INR weekly."]))

    (doc,) = result.documents
    assert [s.page for s in doc.sections] == [1, 2]
    assert "Start at 5 mg daily." in doc.sections[0].text
    assert "Monitor the INR weekly." in doc.sections[1].text
    assert doc.meta.doc_id == "docs--label.pdf"
    assert doc.meta.source == str(Path("docs") / "label.pdf")
    assert doc.meta.year is None


def test_pages_without_text_are_skipped_but_numbering_is_kept() -> None:
    doc = load(make_pdf(["Cover text", "", "Third page text"])).documents[0]

    assert [s.page for s in doc.sections] == [1, 3]


def test_outline_gives_each_page_its_nested_heading() -> None:
    data = make_pdf(
        ["Label title\nIntro", "Dosing text", "More dosing", "Renal text", "Warnings text"],
        outline=[
            ("1 INDICATIONS", 0, None),
            ("2 DOSAGE", 1, None),
            ("2.1 Adults", 1, "2 DOSAGE"),
            ("2.2 Renal impairment", 3, "2 DOSAGE"),
            ("5 WARNINGS", 4, None),
        ],
    )

    paths = {s.page: s.heading_path[1:] for s in load(data).documents[0].sections}

    assert paths[1] == ("1 INDICATIONS",)
    # The page opening "2 DOSAGE" is filed under its deepest entry starting on the same page.
    assert paths[2] == ("2 DOSAGE", "2.1 Adults")
    # A page that opens no section continues the one before it.
    assert paths[3] == ("2 DOSAGE", "2.1 Adults")
    assert paths[4] == ("2 DOSAGE", "2.2 Renal impairment")
    assert paths[5] == ("5 WARNINGS",)


def test_heading_path_starts_with_the_title() -> None:
    data = make_pdf(["Some text"], title="Sepsis pathway 2024", outline=[("Overview", 0, None)])

    doc = load(data).documents[0]

    assert doc.meta.title == "Sepsis pathway 2024"
    assert doc.sections[0].heading_path == ("Sepsis pathway 2024", "Overview")


@pytest.mark.parametrize("generated", ["Microsoft Word - sepsis_v3.doc", "untitled", "report.pdf", "   "])
def test_generated_metadata_title_falls_back_to_first_line(generated: str) -> None:
    doc = load(make_pdf(["Sepsis pathway\nbody text"], title=generated)).documents[0]

    assert doc.meta.title == "Sepsis pathway"


def test_empty_user_password_is_opened() -> None:
    data = make_pdf(["Readable text"], user_password="", owner_password="owner-only")

    assert "Readable text" in load(data).documents[0].sections[0].text


def test_password_protected_pdf_is_refused() -> None:
    data = make_pdf(["Secret text"], user_password="secret")

    with pytest.raises(IngestError, match=r"encrypted PDF \(password required\)"):
        load(data)


def test_image_only_pdf_is_refused_with_ocr_hint() -> None:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)

    with pytest.raises(IngestError, match="image-only or scanned PDF; OCR is not supported"):
        load(buffer.getvalue())


def test_random_bytes_are_not_a_pdf() -> None:
    data = random.Random(7).randbytes(4096)

    with pytest.raises(IngestError, match=r"^not a PDF file$"):
        load(data)


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_file_has_no_text(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^no extractable text$"):
        load(data)


def test_corrupt_body_is_reported_as_corrupt() -> None:
    data = b"%PDF-1.7\n" + random.Random(3).randbytes(3000) + b"\n%%EOF\n"

    with pytest.raises(IngestError, match=r"^corrupt PDF: "):
        load(data)


def test_damaged_cross_reference_table_is_recovered() -> None:
    data = make_pdf(["Recoverable text"])
    # A wrong startxref offset is a classic harmless defect that readers repair.
    cut = data.rindex(b"startxref")
    damaged = data[:cut] + b"startxref\n99999\n%%EOF\n"

    doc = load(damaged).documents[0]

    assert "Recoverable text" in doc.sections[0].text


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared FDA label PDFs not available at {path.parent}")
    return path


@pytest.fixture(scope="module")
def warfarin() -> LoadResult:
    path = require(WARFARIN)
    return pdf.load(path.read_bytes(), LoadContext(path=path, default_doc_id="warfarin"))


def test_real_label_loads_every_page_in_order(warfarin: LoadResult) -> None:
    (doc,) = warfarin.documents
    pages = [s.page or 0 for s in doc.sections]

    assert pages == sorted(set(pages)) and pages[0] == 1 and len(pages) >= 40
    assert warfarin.record_errors == []
    assert sum("warfarin" in s.text.lower() for s in doc.sections) > 20


def test_real_label_has_readable_title_not_the_highlights_boilerplate(warfarin: LoadResult) -> None:
    title = warfarin.documents[0].meta.title

    assert title.upper().startswith("WARFARIN SODIUM")
    assert "These highlights" not in title


def test_real_label_pages_carry_outline_sections(warfarin: LoadResult) -> None:
    sections = warfarin.documents[0].sections
    contraindications = [s for s in sections if "4 CONTRAINDICATIONS" in s.heading_path]

    assert contraindications, "no page filed under the label's CONTRAINDICATIONS bookmark"
    assert "CONTRAINDICATIONS" in contraindications[0].text
    # Bookmarks nest: subsections sit under their numbered section.
    assert any(s.heading_path[1:3] == ("5 WARNINGS AND PRECAUTIONS", "5.1 Hemorrhage") for s in sections)


def test_truncated_real_pdf_is_refused() -> None:
    data = require(WARFARIN).read_bytes()

    with pytest.raises(IngestError, match=r"truncated PDF \(no end-of-file marker\)"):
        load(data[: len(data) // 2])


@pytest.mark.parametrize("name", sorted(p.name for p in PDF_DIR.glob("*.pdf")) or ["(none)"])
def test_every_shared_pdf_loads(name: str) -> None:
    path = require(PDF_DIR / name)

    result = pdf.load(path.read_bytes(), LoadContext(path=path, default_doc_id=path.stem))

    (doc,) = result.documents
    assert doc.sections and all(s.page is not None and s.page >= 1 for s in doc.sections)
    assert len(doc.meta.title) <= 150
    assert sum(len(s.text) for s in doc.sections) > 1000
