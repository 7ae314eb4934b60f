"""Our own type for how strong the evidence behind one passage is: a graded recommendation or a study design."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, get_args

EvidenceSystem = Literal["grade", "acc_aha", "nice", "uspstf", "unknown"]
Strength = Literal["strong", "moderate", "weak", "unknown"]
Certainty = Literal["high", "moderate", "low", "very_low", "unknown"]
# Most to least robust, as the `min_design` filter and the ranking prior order them (DESIGN_ORDER); guideline
# comes first because a graded guideline summarises the designs below it.
StudyDesign = Literal[
    "guideline",
    "meta_analysis",
    "systematic_review",
    "randomised_trial",
    "cohort",
    "case_control",
    "case_report",
    "narrative_review",
    "unknown",
]

STRENGTHS: tuple[Strength, ...] = get_args(Strength)
CERTAINTIES: tuple[Certainty, ...] = get_args(Certainty)
DESIGN_ORDER: tuple[StudyDesign, ...] = get_args(StudyDesign)


@dataclass(frozen=True, slots=True)
class EvidenceStrength:
    """Normalised strength of one passage's evidence; every field is ``unknown`` when it cannot be known.

    Attributes:
        system: The grading scheme the passage's statement uses (GRADE, ACC/AHA, NICE wording, USPSTF).
        strength: Recommendation strength: ACC/AHA Class I, GRADE strong, NICE "offer" and USPSTF A are
            ``strong``; Class IIa and USPSTF B ``moderate``; GRADE weak/conditional, Class IIb, NICE
            "consider" and USPSTF C ``weak``.
        certainty: Certainty of the evidence: GRADE quality/certainty, or the ACC/AHA level (A high,
            B moderate, C-LD low, C-EO very low).
        study_design: The design of the study behind a literature passage, or ``guideline``.
        label: The statement as the source words it, e.g. ``Class IIa, LOE B-R``; empty when none.
    """

    system: EvidenceSystem = "unknown"
    strength: Strength = "unknown"
    certainty: Certainty = "unknown"
    study_design: StudyDesign = "unknown"
    label: str = ""

    def as_dict(self) -> dict[str, str]:
        """The fields as plain strings (API and reports)."""
        return asdict(self)


UNKNOWN_EVIDENCE = EvidenceStrength()
