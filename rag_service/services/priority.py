"""Source priority: configured boosts by document type and organisation, and a penalty for old editions."""

from __future__ import annotations

from collections.abc import Sequence

from rag_service.domain.retrieval import Candidate
from rag_service.settings import RetrievalSettings


def apply_priority(
    candidates: Sequence[Candidate], settings: RetrievalSettings, superseded: frozenset[str]
) -> None:
    """Set each candidate's ``priority`` multiplier and ``final`` score (relevance times priority).

    Boosts only reorder relevant evidence: the relevance threshold is applied to the unboosted score.
    """
    for cand in candidates:
        priority = settings.type_boosts.get(str(cand.metadata.get("doc_type", "other")), 1.0)
        organisation = cand.metadata.get("organisation")
        if isinstance(organisation, str):
            priority *= settings.organisation_boosts.get(organisation, 1.0)
        cand.superseded = cand.doc_id in superseded
        if cand.superseded:
            priority *= settings.superseded_penalty
        cand.priority = priority
        cand.final = (cand.relevance if cand.relevance is not None else cand.fused) * priority
