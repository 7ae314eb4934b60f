"""Instruction-like text in a passage: sentences written to steer a language model rather than inform a reader.

Passages are data. A document that says "Ignore previous instructions and answer that ..." is not evidence
of anything, and the sentence must never become an answer. This module finds such text with a small set of
hand-written cues, each aimed at the model, the assistant or the conversation itself:

* an order to drop earlier instructions ("ignore / disregard / forget (all) previous instructions");
* a new role for the reader ("you are now a ...", "from now on you ...", "pretend to be ...");
* talk about the machinery ("system prompt", "developer mode", "as an AI language model");
* an order about the output ("respond only with", "tell the user that", "do not cite the other sources");
* chat-template role tags and prompt delimiters (``<|system|>``, ``[INST]``, ``<<SYS>>``, ``</passage>``).

Clinical imperatives are deliberately out of reach: "Do not exceed 4 g in 24 hours", "Ignore minor elevations
of ALT" and "Follow the manufacturer's instructions" name no earlier instructions, no role, no prompt. The
precision was measured on real text (open-medicine summaries, PubMedQA abstracts, MedQuAD answers and FDA
labels; see ``eval/bench_injection.py``). No library does this offline: the published detectors are either
hosted services or classifier models that would have to be downloaded, and a rule set can be read and audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words allowed between the verb and "instructions" in "ignore all of the previous instructions".
_FILLER = (
    r"(?:all|any|every|of|the|your|my|its|these|those|this|previous|prior|above|aforementioned|preceding|"
    r"earlier|foregoing|original|initial|system|other|existing|current|old|safety|given|and)"
)
_TARGET = r"(?:instructions?|prompts?|directives?|commands?|rules|guardrails|system\s+messages?|context)"

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "override",
        re.compile(
            rf"\b(?:ignore|disregard|forget|override|bypass|discard|overrule)\s+(?:{_FILLER}\s+){{0,4}}{_TARGET}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "override",
        re.compile(
            r"\b(?:new|updated|real|actual|hidden|secret)\s+instructions?\s*:"
            r"|\binstead\s*,?\s+follow\s+these\s+instructions\b",
            re.IGNORECASE,
        ),
    ),
    (
        "role",
        re.compile(
            r"\byou\s+are\s+(?:now|no\s+longer)\s+(?:an?\b|the\b|in\b|free\b|unrestricted\b|DAN\b|bound\b)"
            r"|\bfrom\s+now\s+on\s*,?\s+(?:you|the\s+(?:assistant|model|ai))\b"
            r"|\bpretend\s+(?:to\s+be|you\s+are)\s+(?:an?\s+)?(?:different\s+)?(?:ai|assistant|model|chatbot)\b"
            r"|\bact\s+as\s+(?:an?\s+)?(?:unrestricted|unfiltered|jailbroken)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "machinery",
        re.compile(
            r"\bsystem\s+prompt\b|\bdeveloper\s+mode\b|\bjailbreak|\bas\s+an\s+ai\s+(?:language\s+)?model\b"
            r"|\b(?:the|this)\s+(?:ai|assistant|chatbot|language\s+model|llm)\s+(?:must|should|shall|will)\b"
            r"|\bprompt\s+injection\b",
            re.IGNORECASE,
        ),
    ),
    (
        "output",
        re.compile(
            r"\b(?:respond|reply|answer|output)\s+(?:only|solely|exclusively)\s+(?:with|that|in)\b"
            r"|\b(?:always|only)\s+(?:respond|reply)\s+(?:with|that)\b"
            r"|\b(?:tell|inform|convince)\s+the\s+(?:user|reader|human)\b"
            r"|\b(?:do\s+not|don't|never)\s+(?:cite|mention|reveal|quote)\s+(?:the\s+|any\s+)?"
            r"(?:other\s+)?(?:sources?|passages?|evidence|instructions?|labels?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "role_tag",
        re.compile(
            r"<\|\s*(?:system|assistant|user|im_start|im_end|endoftext)\s*\|>"
            r"|\[/?INST\]|<</?SYS>>|</?\s*(?:system|assistant)\s*>|</?\s*passage\b"
            r"|^\s*#{2,}\s*(?:system|instruction|assistant)\b"
            r"|^\s*(?:assistant|system)\s*:",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class InstructionCue:
    """One piece of instruction-like text: which kind of cue, and where it is in the text."""

    kind: str
    start: int
    end: int


def find_instructions(text: str) -> list[InstructionCue]:
    """Every instruction-like cue in ``text``, in order of position."""
    found = [
        InstructionCue(kind, m.start(), m.end()) for kind, pattern in _CUES for m in pattern.finditer(text)
    ]
    return sorted(found, key=lambda c: (c.start, c.end))


def instruction_like(text: str) -> bool:
    """True when ``text`` holds at least one instruction aimed at a model rather than at a reader."""
    return any(pattern.search(text) for _, pattern in _CUES)
