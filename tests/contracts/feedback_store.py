"""What every FeedbackStore must do: keep each kind of feedback whole, return it by time, survive reopening."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rag_service.domain.errors import StoreUnavailableError
from rag_service.domain.feedback import CitedDocument, Feedback
from rag_service.domain.protocols import FeedbackStore

MakeStore = Callable[[], FeedbackStore]
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def feedback(n: int, at: datetime, **fields: object) -> Feedback:
    base: dict[str, object] = {
        "id": f"fb-{n}",
        "created_at": at,
        "kind": "answer",
        "question": f"Question {n} about the 30 mL/kg bolus?",
        "answer": "Give 30 mL/kg within 3 hours [1].",
        "citations": (CitedDocument(1, "ssc-2021", "ssc-2021#0", "Surviving Sepsis 2021", "2021", "abc123"),),
        "provenance": {
            "settings_hash": "s-hash",
            "prompt_hash": "p-hash",
            "documents": [{"doc_id": "ssc-2021"}],
        },
        "rating": "helpful",
    }
    return Feedback(**{**base, **fields})  # type: ignore[arg-type]


class FeedbackStoreContract:
    """Mix into a test class that provides ``make_store``: stores on one fresh database."""

    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: MakeStore) -> FeedbackStore:
        return make_store()

    def test_a_new_store_is_empty(self, store: FeedbackStore) -> None:
        assert store.since(T0 - timedelta(days=3650)) == []

    def test_every_kind_round_trips_whole(self, store: FeedbackStore) -> None:
        items = [
            feedback(1, T0),
            feedback(2, T0 + timedelta(seconds=1), rating="not_helpful", comment="Misses the 2021 update."),
            feedback(3, T0 + timedelta(seconds=2), kind="citation", rating=None, citation=1, comment="wrong"),
            feedback(4, T0 + timedelta(seconds=3), kind="sentence", rating=None, sentence=0),
        ]
        for item in reversed(items):
            store.add(item)
        assert store.since(T0) == items
        assert store.since(T0)[0].settings_hash == "s-hash" and store.since(T0)[0].prompt_hash == "p-hash"

    def test_since_is_inclusive_and_ordered_by_time(self, store: FeedbackStore) -> None:
        store.add(feedback(1, T0 + timedelta(hours=2)))
        store.add(feedback(2, T0 - timedelta(days=1)))
        store.add(feedback(3, T0))
        assert [f.id for f in store.since(T0)] == ["fb-3", "fb-1"]
        assert [f.id for f in store.since(T0 + timedelta(hours=3))] == []

    def test_times_in_other_zones_mean_the_same_instant(self, store: FeedbackStore) -> None:
        store.add(feedback(1, T0.astimezone(PLUS_TWO)))
        (found,) = store.since(T0.astimezone(PLUS_TWO))
        assert found.created_at == T0

    def test_feedback_survives_reopening(self, make_store: MakeStore) -> None:
        first = make_store()
        first.add(feedback(1, T0, comment="ünïcode and 'quotes'; DROP TABLE feedback;"))
        first.close()
        again = make_store()
        (found,) = again.since(T0)
        assert found.comment == "ünïcode and 'quotes'; DROP TABLE feedback;"

    def test_a_repeated_id_is_refused_and_the_first_kept(self, store: FeedbackStore) -> None:
        store.add(feedback(1, T0))
        with pytest.raises(StoreUnavailableError):
            store.add(feedback(1, T0, rating="not_helpful"))
        (kept,) = store.since(T0)
        assert kept.rating == "helpful"
