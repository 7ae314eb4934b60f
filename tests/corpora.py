"""Corpora the tests ingest: a mixed folder of every format (plus files that must fail), and a small set of
JSONL records with editions, a local protocol, a duplicate and literature for retrieval and answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import SHARED_DATA

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
GOOD_WITHOUT_PDF = GOOD[:-1]
# Documents the good files hold: one per file, except three JSONL records and two PubMed articles.
DOCUMENTS = 9
BAD = {
    "empty.txt": "no extractable text",
    "latin1.txt": "UTF-8",
    "random.pdf": "PDF",
    "truncated.pdf": "truncated",
    "bomb.xml": "XML",
    "slides.pptx": "unsupported file type",
    "broken.xml": "malformed XML",
}


def write_corpus(root: Path, *, bad: bool = True, pdf: bool = True) -> Path:
    """Write the corpus under ``root`` and return it.

    ``pdf=False`` leaves out the drug label (150 of the corpus's 163 passages) for tests of incremental
    behaviour that do not need it; ``GOOD_WITHOUT_PDF`` then lists the good files.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "sepsis.md").write_text(MARKDOWN)
    (root / "notes.txt").write_text("Ward notes\n\nCheck potassium before giving intravenous furosemide.\n")
    (root / "asthma.html").write_text(HTML)
    (root / "articles.xml").write_text(PUBMED)
    (root / "bulk.jsonl").write_text("\n".join(json.dumps(r) for r in JSONL_RECORDS) + "\n")
    label = SHARED_DATA / "pdfs" / "fda_warfarin_highlights_2022.pdf"
    if pdf:
        (root / "labels").mkdir(exist_ok=True)
        shutil.copy(label, root / "labels" / "warfarin.pdf")
        (root / "labels" / "warfarin.pdf.meta.json").write_text(
            json.dumps(
                {"doc_type": "drug_label", "organisation": "FDA", "year": 2022, "series_id": "fda-warfarin"}
            )
        )
    if bad:
        (root / "empty.txt").write_text("   \n\n")
        (root / "latin1.txt").write_bytes("Dosis: 5 mg por día, café".encode("latin-1"))
        (root / "random.pdf").write_bytes(b"\x00\x01garbage" * 100)
        (root / "truncated.pdf").write_bytes(label.read_bytes()[: label.stat().st_size // 2])
        (root / "bomb.xml").write_text(BOMB)
        (root / "slides.pptx").write_bytes(b"PK\x03\x04 not a real deck")
        (root / "broken.xml").write_text("<PubmedArticleSet><PubmedArticle></PubmedArticleSet>")
    return root


SEPSIS_Q = "How much intravenous crystalloid fluid should adults with septic shock receive?"
SEPSIS_2016 = (
    "In septic shock give at least 30 mL/kg of intravenous crystalloid fluid within the first 3 hours. "
    "Reassess haemodynamic status frequently after the initial fluid bolus."
)
SEPSIS_2021 = (
    "For adults with sepsis-induced hypoperfusion we suggest 30 mL/kg of intravenous crystalloid fluid "
    "within the first 3 hours of resuscitation. Use balanced crystalloids rather than normal saline."
)
ASTHMA = (
    "Inhaled corticosteroids reduce the risk of severe asthma exacerbations in adults and adolescents. "
    "Every adult with asthma should receive an inhaled corticosteroid-containing controller."
)
RECORDS = [
    {
        "id": "ssc-2016",
        "title": "Surviving Sepsis Campaign 2016",
        "text": SEPSIS_2016,
        "doc_type": "guideline",
        "organisation": "SCCM",
        "year": 2016,
        "series_id": "ssc",
        "version": "2016",
    },
    {
        "id": "ssc-2021",
        "title": "Surviving Sepsis Campaign 2021",
        "text": SEPSIS_2021,
        "doc_type": "guideline",
        "organisation": "SCCM",
        "year": 2021,
        "series_id": "ssc",
        "version": "2021",
    },
    {
        "id": "local-sepsis",
        "title": "Adult sepsis protocol",
        "text": "Our emergency department gives a 30 mL/kg crystalloid bolus to adults in septic shock and "
        "starts norepinephrine when the mean arterial pressure stays below 65 mmHg.",
        "doc_type": "protocol",
        "organisation": "City Hospital",
        "year": 2023,
        "ward": "emergency",
    },
    {
        "id": "gina-asthma",
        "title": "Asthma management",
        "text": ASTHMA,
        "doc_type": "guideline",
        "organisation": "GINA",
        "year": 2022,
    },
    {
        "id": "gina-asthma-copy",
        "title": "Asthma management",
        "text": ASTHMA,
        "doc_type": "guideline",
        "organisation": "GINA",
        "year": 2022,
    },
    {
        "id": "pmid-1",
        "title": "Metformin and lactic acidosis",
        "text": "Lactic acidosis was rare among metformin users with an eGFR above 30 mL/min in this cohort.",
        "doc_type": "literature",
        "journal": "Diabetes Care",
        "year": 2019,
        "pmid": "1",
    },
    {
        "id": "pmid-2",
        "title": "Warfarin genotype dosing",
        "text": "Genotype-guided warfarin dosing did not improve the time in therapeutic INR range.",
        "doc_type": "literature",
        "journal": "NEJM",
        "year": 2013,
        "pmid": "2",
    },
]
