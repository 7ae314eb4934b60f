"""The PHI rule set: kinds found, clinical text left alone, placeholders, determinism, strict refusal."""

from __future__ import annotations

import json
import logging

import pytest

from rag_service.domain.errors import PhiDetectedError
from rag_service.logs import JsonFormatter, request_id
from rag_service.services.answering import AnswerService
from rag_service.services.phi import find_phi, phi_kinds, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("Mrs Adaeze Okonkwo has a cough.", "NAME", "Adaeze Okonkwo"),
        ("Patient named Tomasz Wieczorek, 54, has chest pain.", "NAME", "Tomasz Wieczorek"),
        ("Emily Carter's potassium was 6.3.", "NAME", "Emily Carter"),
        ("Seen on 14/03/2025 in clinic.", "DATE", "14/03/2025"),
        ("Discharged on 4th February 2025.", "DATE", "4th February 2025"),
        ("Seen on March 3, 2025.", "DATE", "March 3, 2025"),
        ("Call 07700 900461 before changing the dose.", "PHONE", "07700 900461"),
        ("Call (555) 201-8874.", "PHONE", "(555) 201-8874"),
        ("Her MRN is 00482913.", "MRN", "00482913"),
        ("NHS number 943 476 5919, on sertraline.", "MRN", "943 476 5919"),
        ("Email linda.marsh58@examplemail.com today.", "EMAIL", "linda.marsh58@examplemail.com"),
        ("He lives at 42 Rowan Street, Bristol.", "ADDRESS", "42 Rowan Street"),
        ("Postcode LS6 2QT.", "ADDRESS", "LS6 2QT"),
        ("A 94-year-old woman with AF.", "AGE", "94-year-old"),
    ],
)
def test_each_kind_is_found(text: str, kind: str, found: str) -> None:
    spans = find_phi(text)
    assert [(text[s.start : s.end], s.kind) for s in spans] == [(found, kind)]


@pytest.mark.parametrize(
    "text",
    [
        "Adults with septic shock should receive 30 mL/kg of intravenous crystalloid within 3 hours.",
        "A Glasgow Coma Scale score of 8 or less usually indicates the need for airway protection.",
        "Levodopa remains the most effective symptomatic treatment for Parkinson disease.",
        "Addison disease presents with fatigue; Bell palsy is treated with prednisolone 50 mg for 10 days.",
        "Target blood pressure is below 140/90 mmHg in people aged under 80 years; a 67-year-old man.",
        "Adrenaline 0.5 mg intramuscularly (0.5 mL of 1 in 1000) is first-line for anaphylaxis.",
        "The NICE guideline NG51 was updated in 2024; CURB-65 of 3 suggests severe pneumonia.",
        "Oxygen saturation was 95% on air and the heart rate was 96 bpm.",
    ],
)
def test_clinical_text_is_left_alone(text: str) -> None:
    assert find_phi(text) == []
    assert redact(text) == text


def test_redaction_uses_typed_placeholders() -> None:
    text = "Mr Harold Finch, DOB 02/11/1958, MRN A4471902, phone 020 7946 0321: is 30 mL/kg of fluid right?"
    assert redact(text) == "Mr [NAME], DOB [DATE], MRN [MRN], phone [PHONE]: is 30 mL/kg of fluid right?"
    assert phi_kinds(text) == ["NAME", "DATE", "PHONE", "MRN"]


def test_detection_is_deterministic() -> None:
    text = "Dr Anjali Deshmukh asks if Mrs Rosa Delgado, 58 Hawthorn Road, CB1 3JP, can have contrast."
    assert len({tuple(find_phi(text)) for _ in range(5)}) == 1
    assert redact(text) == "Dr [NAME] asks if Mrs [NAME], [ADDRESS], [ADDRESS], can have contrast."


def test_strict_refusal_names_kinds_but_not_text() -> None:
    with pytest.raises(PhiDetectedError) as caught:
        AnswerService._refuse_identifiers("Dose for Mrs Evelyn Tran?", [("user", "She was born 9 July 1949")])
    message = str(caught.value)
    assert "NAME" in message and "DATE" in message
    assert "Evelyn" not in message and "1949" not in message
    assert caught.value.code == "phi_detected"


def test_log_lines_are_json_with_request_id_and_escaped_controls() -> None:
    record = logging.LogRecord("rag_service.x", logging.INFO, __file__, 1, "bad %s", ("a\nb\x1b[31m",), None)
    token = request_id.set("rid-123")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in line and "\x1b" not in line
    entry = json.loads(line)
    assert entry["msg"] == "bad a\nb\x1b[31m"
    assert entry["request_id"] == "rid-123"
    assert entry["level"] == "INFO"
