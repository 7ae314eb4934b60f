"""MedQuAD: one patient-information document per answered pair, never the question text."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from ingest.loaders import xml
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError

pytestmark = pytest.mark.unit

MEDQUAD_TAR = Path(__file__).parents[2].parent / "shared" / "data" / "medquad.tar.gz"
# An early member of the archive, so the test does not have to read through all of it.
REAL_MEMBER = "medquad/7_SeniorHealth_QA/0000051.xml"

SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000123 /a" source="NIHSeniorHealth" url="http://nihseniorhealth.gov/gout/toc.html">
<Focus>Gout</Focus>
<FocusAnnotations><UMLS><CUIs><CUI>C0018099</CUI></CUIs></UMLS></FocusAnnotations>
<QAPairs>
 <QAPair pid="1">
  <Question qid="0000123-1" qtype="information">QUESTION-TEXT What is (are) Gout ?</Question>
  <Answer>Gout is a form of   arthritis.
     It causes sudden pain.</Answer>
 </QAPair>
 <QAPair pid="2">
  <Question qid="0000123-2" qtype="treatment">What are the treatments for Gout ?</Question>
  <Answer></Answer>
 </QAPair>
 <QAPair pid="3">
  <Question qid="0000123-3" qtype="treatment">What are the treatments for Gout ?</Question>
  <Answer>Colchicine and NSAIDs treat flares.</Answer>
 </QAPair>
</QAPairs>
</Document>
"""


def load(data: bytes, path: Path = Path("0000123.xml")) -> LoadResult:
    return xml.load(data, LoadContext(path=path, default_doc_id=path.name))


def test_each_answered_pair_is_a_document() -> None:
    result = load(SAMPLE)

    assert [d.meta.doc_id for d in result.documents] == [
        "medquad-nihseniorhealth-0000123_a-1",
        "medquad-nihseniorhealth-0000123_a-3",
    ]
    assert result.record_errors == []


def test_pair_metadata() -> None:
    meta = load(SAMPLE).documents[0].meta

    assert meta.title == "Gout"
    assert meta.url == "http://nihseniorhealth.gov/gout/toc.html"
    assert meta.organisation == "NIHSeniorHealth"
    assert meta.doc_type == "patient_info"
    assert meta.extra == {"question_type": "information", "question_id": "0000123-1", "focus": "Gout"}


def test_answer_is_the_only_text_and_the_question_is_left_out() -> None:
    doc = load(SAMPLE).documents[0]

    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (("Gout",), "Gout is a form of arthritis.\nIt causes sudden pain.")
    ]
    assert "QUESTION-TEXT" not in repr(doc)


def test_file_without_answers_is_refused() -> None:
    # Like the MedlinePlus collections, whose answers were removed for copyright reasons.
    unanswered = b"""<Document id="9" source="MPlusDrugs" url="https://example.org/a"><Focus>Abacavir</Focus>
    <QAPairs>
     <QAPair pid="1"><Question qid="9-1" qtype="usage">How to use Abacavir ?</Question><Answer/></QAPair>
     <QAPair pid="2"><Question qid="9-2" qtype="side effects">Risks ?</Question><Answer> </Answer></QAPair>
    </QAPairs></Document>"""

    with pytest.raises(IngestError, match=r"^no answered question-answer pairs$"):
        load(unanswered)


def test_real_medquad_file_loads(tmp_path: Path) -> None:
    if not MEDQUAD_TAR.exists():
        pytest.skip(f"MedQuAD archive not available at {MEDQUAD_TAR}")
    with tarfile.open(MEDQUAD_TAR, "r:gz") as archive:
        member = next((m for m in archive if m.name == REAL_MEMBER), None)
        assert member is not None, f"{REAL_MEMBER} missing from the archive"
        archive.extract(member, tmp_path, filter="data")
    path = tmp_path / REAL_MEMBER

    result = load(path.read_bytes(), path)

    assert len(result.documents) >= 5
    first = result.documents[0]
    assert first.meta.doc_id == "medquad-nihseniorhealth-0000051-1"
    assert first.meta.title == "Paget's Disease of Bone"
    assert first.meta.url == "http://nihseniorhealth.gov/pagetsdiseaseofbone/toc.html"
    assert first.meta.extra["question_type"] == "information"
    assert "enlarged and misshapen" in first.sections[0].text
    assert all("What is (are)" not in d.sections[0].text for d in result.documents)


def test_files_sharing_a_root_id_get_distinct_ids(tmp_path: Path) -> None:
    from ingest.loaders.base import LoadContext
    from ingest.loaders.medquad_xml import from_element
    from ingest.loaders.xml import parse_xml

    xml = (
        '<Document id="0000013_2" source="CancerGov"><Focus>{focus}</Focus><QAPairs>'
        '<QAPair pid="1"><Question qid="q1">What is it?</Question><Answer>An answer.</Answer></QAPair>'
        "</QAPairs></Document>"
    )
    ids = []
    for stem, focus in (("0000013_2", "Chronic neoplasms"), ("0000013_2_1", "Polycythemia Vera")):
        path = tmp_path / f"{stem}.xml"
        root = parse_xml(xml.format(focus=focus).encode(), 50)
        ids.append(from_element(root, LoadContext(path=path, default_doc_id=stem)).documents[0].meta.doc_id)
    assert ids == ["medquad-cancergov-0000013_2-1", "medquad-cancergov-0000013_2_1-1"]


def test_cdc_disease_file_variant_is_read_like_a_document(tmp_path: Path) -> None:
    # Part of MedQuAD's CDC collection uses <DiseaseFile fid=...> as the root instead of <Document id=...>.
    data = (
        b'<DiseaseFile fid="0000397" source="CDC" url="http://www.cdc.gov/parasites/taeniasis/">'
        b'<Focus>Parasites - Taeniasis</Focus><QAPairs><QAPair pid="1">'
        b'<Question qid="0000397-1" qtype="information">What is (are) Parasites - Taeniasis ?</Question>'
        b"<Answer>Taeniasis is a parasitic infection caused by tapeworms.</Answer></QAPair></QAPairs></DiseaseFile>"
    )
    path = tmp_path / "0000397.xml"
    result = xml.load(data, LoadContext(path=path, default_doc_id="0000397"))
    assert [d.meta.doc_id for d in result.documents] == ["medquad-cdc-0000397-1"]
    assert result.documents[0].meta.url == "http://www.cdc.gov/parasites/taeniasis/"
    assert "What is (are)" not in result.documents[0].sections[0].text
