"""A small mixed corpus written to disk for ingestion tests: every format, plus files that must fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import SHARED_DATA

MARKDOWN = """# Sepsis management

Local protocol for adults with suspected sepsis.

## Initial resuscitation

### Fluids

Give 30 mL/kg of intravenous crystalloid within the first 3 hours for hypotension or lactate of 4 mmol/L or more.

### Vasopressors

Start norepinephrine if the mean arterial pressure stays below 65 mmHg after fluids.

## Antibiotics

Give broad-spectrum antibiotics within one hour of recognition of septic shock.
"""

HTML = """<!doctype html><html><head><title>Asthma action plan</title>
<meta name="citation_doi" content="10.1000/asthma.2024"></head>
<body><nav>Home | About</nav><h1>Asthma action plan</h1>
<h2>Reliever</h2><p>Use an inhaled short-acting beta agonist for acute symptoms.</p>
<h2>Controller</h2><p>Inhaled corticosteroids reduce exacerbations in persistent asthma.</p>
<script>var x = 1;</script></body></html>
"""

PUBMED = """<?xml version="1.0"?>
<PubmedArticleSet>
 <PubmedArticle><MedlineCitation><PMID>11111111</PMID><Article>
  <Journal><Title>Journal of Testing</Title><JournalIssue><PubDate><Year>2019</Year></PubDate></JournalIssue></Journal>
  <ArticleTitle>Metformin and lactic acidosis risk</ArticleTitle>
  <Abstract><AbstractText Label="BACKGROUND">Metformin is first-line therapy for type 2 diabetes.</AbstractText>
  <AbstractText Label="RESULTS">Lactic acidosis was rare in patients with an eGFR above 30.</AbstractText></Abstract>
 </Article></MedlineCitation></PubmedArticle>
 <PubmedArticle><MedlineCitation><PMID>22222222</PMID><Article>
  <Journal><Title>Journal of Testing</Title><JournalIssue><PubDate><Year>2021</Year></PubDate></JournalIssue></Journal>
  <ArticleTitle>Warfarin dosing by genotype</ArticleTitle>
  <Abstract><AbstractText>Genotype-guided warfarin dosing did not improve time in therapeutic range.</AbstractText></Abstract>
 </Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<PubmedArticleSet>&lol3;</PubmedArticleSet>
"""

JSONL_RECORDS = [
    {
        "id": "bulk-1",
        "title": "Hypertension targets",
        "text": "Aim for a blood pressure below 130/80 mmHg.",
        "year": 2017,
    },
    {
        "id": "bulk-2",
        "title": "Gout flare",
        "text": "Colchicine, NSAIDs or glucocorticoids treat gout flares.",
    },
    {
        "id": "bulk-3",
        "title": "Statins",
        "text": "High-intensity statins lower LDL cholesterol by 50% or more.",
    },
]

GOOD = ["sepsis.md", "notes.txt", "asthma.html", "articles.xml", "bulk.jsonl", "labels/warfarin.pdf"]
BAD = {
    "empty.txt": "no extractable text",
    "latin1.txt": "UTF-8",
    "random.pdf": "PDF",
    "truncated.pdf": "truncated",
    "bomb.xml": "XML",
    "slides.pptx": "unsupported file type",
    "broken.xml": "malformed XML",
}


def write_corpus(root: Path, *, bad: bool = True) -> Path:
    """Write the corpus under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sepsis.md").write_text(MARKDOWN)
    (root / "notes.txt").write_text("Ward notes\n\nCheck potassium before giving intravenous furosemide.\n")
    (root / "asthma.html").write_text(HTML)
    (root / "articles.xml").write_text(PUBMED)
    (root / "bulk.jsonl").write_text("\n".join(json.dumps(r) for r in JSONL_RECORDS) + "\n")
    (root / "labels").mkdir(exist_ok=True)
    pdf = SHARED_DATA / "pdfs" / "fda_warfarin_highlights_2022.pdf"
    shutil.copy(pdf, root / "labels" / "warfarin.pdf")
    (root / "labels" / "warfarin.pdf.meta.json").write_text(
        json.dumps(
            {"doc_type": "drug_label", "organisation": "FDA", "year": 2022, "series_id": "fda-warfarin"}
        )
    )
    if bad:
        (root / "empty.txt").write_text("   \n\n")
        (root / "latin1.txt").write_bytes("Dosis: 5 mg por día, café".encode("latin-1"))
        (root / "random.pdf").write_bytes(b"\x00\x01garbage" * 100)
        (root / "truncated.pdf").write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])
        (root / "bomb.xml").write_text(BOMB)
        (root / "slides.pptx").write_bytes(b"PK\x03\x04 not a real deck")
        (root / "broken.xml").write_text("<PubmedArticleSet><PubmedArticle></PubmedArticleSet>")
    return root
