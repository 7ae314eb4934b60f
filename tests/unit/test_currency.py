"""Currency of an answer: the newest and oldest publication year of its citations, and the staleness flag."""

from __future__ import annotations

from datetime import date

import pytest

from rag_service.domain.answers import Citation, Currency
from rag_service.domain.documents import DocumentMeta
from rag_service.domain.retrieval import Evidence
from rag_service.services.currency import currency_of

pytestmark = pytest.mark.unit

NOW = date(2026, 6, 1)


def cited(*years: int | None) -> list[Citation]:
    """One citation per year, each from its own document."""
    out = []
    for n, year in enumerate(years, start=1):
        meta = DocumentMeta(doc_id=f"d{n}", title="Guideline", source=f"d{n}.md", year=year)
        ev = Evidence(n, f"d{n}-c", f"d{n}", "Text.", 1.0, 1.0, {}, meta, (), None, False, ())
        out.append(Citation(n, ev))
    return out


def test_no_year_gives_nulls_never_a_guess() -> None:
    assert currency_of(cited(None, None), 10, NOW) == Currency(None, None, None, 10, 2)


def test_mixed_years_give_the_range_and_a_recent_source_is_not_stale() -> None:
    c = currency_of(cited(2009, None, 2021, 2014), 10, NOW)
    assert (c.newest_year, c.oldest_year, c.stale, c.undated_citations) == (2021, 2009, False, 1)


def test_all_old_is_stale() -> None:
    c = currency_of(cited(2001, 2012), 10, NOW)
    assert (c.newest_year, c.oldest_year, c.stale) == (2012, 2001, True)


def test_old_with_an_undated_source_cannot_be_told() -> None:
    assert currency_of(cited(2001, None), 10, NOW).stale is None


def test_boundary_exactly_the_limit_is_not_stale_one_more_year_is() -> None:
    assert currency_of(cited(2016), 10, NOW).stale is False
    assert currency_of(cited(2015), 10, NOW).stale is True
    assert currency_of(cited(2015), 10, date(2025, 12, 31)).stale is False


def test_limit_zero_never_flags() -> None:
    c = currency_of(cited(1990), 0, NOW)
    assert (c.newest_year, c.stale, c.stale_after_years) == (1990, False, 0)


def test_a_document_cited_twice_counts_once() -> None:
    first, second = cited(2020, None)
    twice = Citation(2, first.evidence)
    assert currency_of([first, twice], 10, NOW).undated_citations == 0
    assert currency_of([first, twice, second], 10, NOW).undated_citations == 1
