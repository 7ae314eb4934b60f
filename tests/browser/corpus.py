"""The browser tests' corpus: the shared RECORDS plus a markdown-formatted guideline and a document whose
title and text hold HTML that must show as text and never run."""

from __future__ import annotations

from tests.corpora import RECORDS

XSS_TITLE = 'Lupus <img src=x onerror="window.__xss=1"> dosing'
XSS_TEXT = (
    "Hydroxychloroquine for lupus is dosed at no more than 5 mg/kg of real body weight per day "
    '<script>window.__xss=2</script> <img src=x onerror="window.__xss=3">.'
)
XSS_Q = "What daily dose of hydroxychloroquine is used for lupus?"
FEVER_Q = "Should paracetamol be given to febrile children who are distressed?"
SEPSIS_Q = "How much intravenous crystalloid fluid should adults with septic shock receive?"
OUT_OF_SCOPE_Q = "What is the capital of France?"
GOUT_Q = "What colchicine dose is recommended for acute gout flares?"

BROWSER_RECORDS = [
    *RECORDS,
    {
        "id": "nice-fever",
        "title": "Fever in under 5s",
        "text": "Key points:\n\n- **Paracetamol** may be given to febrile children who appear distressed.\n"
        "- Do not sponge febrile children with tepid water to reduce fever.",
        "doc_type": "guideline",
        "organisation": "NICE",
        "year": 2019,
        "doi": "10.1000/nice.fever",
    },
    {
        "id": "xss-lupus",
        "title": XSS_TITLE,
        "text": XSS_TEXT,
        "doc_type": "protocol",
        "organisation": "<b>Evil</b> Trust",
        "year": 2024,
        "url": "javascript:window.__xss=4",
    },
    {
        "id": "old-gout",
        "title": "Acute gout management 2004",
        "text": "Colchicine 500 micrograms two to four times daily is recommended for acute gout flares "
        "(Strong recommendation, Moderate quality of evidence).",
        "doc_type": "guideline",
        "organisation": "Rheumatology Society",
        "year": 2004,
    },
]
