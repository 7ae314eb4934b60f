"""How current the evidence behind an answer is: the newest and oldest publication year of its citations.

An answer whose every cited document is older than ``answer.stale_after_years`` is flagged ``stale`` (shown,
not abstained on). Years come from the documents' ``year`` metadata only; a citation without one is counted as
undated and never given a guessed year. ``stale`` is three-valued:

* ``True``: every cited document has a year and all are older than the limit;
* ``False``: at least one cited document is within the limit, or the limit is 0 (never stale);
* ``None``: it cannot be told (no dated citation within the limit, and some citations are undated).

The age is counted in whole calendar years: with a limit of 10, evidence from 2016 is not stale in 2026 (10
years old), evidence from 2015 is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from rag_service.domain.answers import Citation, Currency


def today() -> date:
    """The current date in UTC: the default clock of the answer service."""
    return datetime.now(UTC).date()


def currency_of(citations: Sequence[Citation], stale_after_years: int, now: date) -> Currency:
    """The publication-year range of the cited documents and whether all of them are older than the limit.

    Args:
        citations: The answer's citations (one document may be cited more than once; it counts once).
        stale_after_years: Age in years beyond which evidence is old; 0 never flags an answer.
        now: Today, from the service's clock.
    """
    years: dict[str, int | None] = {}
    for c in citations:
        years.setdefault(c.evidence.doc_id, c.evidence.meta.year)
    dated = [y for y in years.values() if y is not None]
    undated = len(years) - len(dated)
    newest, oldest = (max(dated), min(dated)) if dated else (None, None)
    stale: bool | None
    recent = newest is not None and now.year - newest <= stale_after_years
    if stale_after_years == 0 or recent:
        stale = False
    elif undated or newest is None:
        stale = None
    else:
        stale = True
    return Currency(
        newest_year=newest,
        oldest_year=oldest,
        stale=stale,
        stale_after_years=stale_after_years,
        undated_citations=undated,
    )
