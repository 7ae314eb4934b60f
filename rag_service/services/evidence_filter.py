"""Evidence strength in search: the ``filters.evidence`` conditions and the optional ranking prior."""

from __future__ import annotations

from collections.abc import Sequence

from rag_service.domain.documents import HEADING_SEPARATOR
from rag_service.domain.evidence import DESIGN_ORDER, EvidenceStrength
from rag_service.domain.retrieval import Candidate, EvidenceFilter
from rag_service.services.evidence_strength import evidence_strength, publication_types_of

_STRENGTH_SCORE = {"strong": 1.0, "moderate": 0.67, "weak": 0.33}
_DESIGN_SCORE = {
    "meta_analysis": 1.0,
    "systematic_review": 0.9,
    "randomised_trial": 0.8,
    "cohort": 0.5,
    "case_control": 0.4,
    "narrative_review": 0.2,
    "case_report": 0.1,
}


def candidate_evidence(cand: Candidate) -> EvidenceStrength:
    """The evidence strength of a candidate passage, from the text and metadata the store returned."""
    heading = str(cand.metadata.get("heading", ""))
    organisation = cand.metadata.get("organisation")
    return evidence_strength(
        cand.text,
        tuple(heading.split(HEADING_SEPARATOR)) if heading else (),
        doc_type=str(cand.metadata.get("doc_type", "other")),
        organisation=organisation if isinstance(organisation, str) else None,
        publication_types=publication_types_of(
            {"publication_types": cand.metadata.get("x_publication_types")}
        ),
    )


def evidence_score(ev: EvidenceStrength) -> float:
    """How strong the evidence is, in [0, 1]: the better of the recommendation strength and the design.

    A guideline passage without a parsed rating and every ``unknown`` score 0, so the prior never favours
    a passage for what is not known about it.
    """
    return max(_STRENGTH_SCORE.get(ev.strength, 0.0), _DESIGN_SCORE.get(ev.study_design, 0.0))


def passes(ev: EvidenceStrength, f: EvidenceFilter) -> bool:
    """Whether a passage's evidence meets every condition of the filter."""
    if f.systems and ev.system not in f.systems:
        return False
    if f.strengths and ev.strength not in f.strengths:
        return False
    if f.certainties and ev.certainty not in f.certainties:
        return False
    if f.designs and ev.study_design not in f.designs:
        return False
    if f.min_design is None:
        return True
    return ev.study_design != "unknown" and DESIGN_ORDER.index(ev.study_design) <= DESIGN_ORDER.index(
        f.min_design
    )


def apply_evidence(
    candidates: Sequence[Candidate], prior: float, evidence_filter: EvidenceFilter | None
) -> list[Candidate]:
    """Raise priorities by the evidence prior (if any) and drop candidates failing the evidence filter.

    Like source priority, the prior scales ``priority`` and ``final`` only; relevance, which the threshold
    compares, is left alone. With no prior and no filter the candidates are returned unchanged and unparsed.
    """
    active_filter = (
        evidence_filter if evidence_filter is not None and not evidence_filter.is_empty() else None
    )
    if prior <= 0 and active_filter is None:
        return list(candidates)
    kept: list[Candidate] = []
    for cand in candidates:
        ev = candidate_evidence(cand)
        if active_filter is not None and not passes(ev, active_filter):
            continue
        if prior > 0:
            boost = 1.0 + prior * evidence_score(ev)
            cand.priority *= boost
            cand.final *= boost
        kept.append(cand)
    return kept
