"""What every KeyStore must do: keep keys whole with their hashes, refuse a taken name, revoke without deleting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rag_service.domain.auth import ApiKey, KeyExistsError, KeyNotFoundError, Role
from rag_service.domain.protocols import KeyStore

MakeStore = Callable[[], KeyStore]
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def key(name: str, role: Role = Role.READER, at: datetime = T0, prefix: str | None = None) -> ApiKey:
    return ApiKey(name=name, role=role, prefix=prefix or f"rag_{name[:8]:_<8}", created_at=at)


class KeyStoreContract:
    """Mix into a test class that provides ``make_store``: stores on one fresh database."""

    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: MakeStore) -> KeyStore:
        return make_store()

    def test_a_new_store_is_empty(self, store: KeyStore) -> None:
        assert store.list_keys() == []
        assert store.candidates("rag_abcdefgh") == []

    def test_keys_round_trip_with_their_roles_oldest_first(self, store: KeyStore) -> None:
        items = [
            key("ward-7", Role.READER, T0),
            key("pharmacy", Role.EDITOR, T0 + timedelta(minutes=1)),
            key("ops", Role.ADMIN, T0 + timedelta(minutes=2)),
        ]
        for i, item in enumerate(reversed(items)):
            store.add(item, f"{i:064x}")
        assert store.list_keys() == items
        assert all(k.active for k in store.list_keys())

    def test_candidates_are_found_by_prefix_with_the_stored_hash(self, store: KeyStore) -> None:
        store.add(key("a", prefix="rag_AAAAAAAA"), "a" * 64)
        store.add(key("b", prefix="rag_BBBBBBBB"), "b" * 64)
        assert store.candidates("rag_BBBBBBBB") == [(key("b", prefix="rag_BBBBBBBB"), "b" * 64)]
        assert store.candidates("rag_CCCCCCCC") == []

    def test_times_in_other_zones_mean_the_same_instant(self, store: KeyStore) -> None:
        store.add(key("zoned", at=T0.astimezone(PLUS_TWO)), "c" * 64)
        (found,) = store.list_keys()
        assert found.created_at == T0 and found.created_at.tzinfo is not None

    def test_a_taken_name_is_refused_and_the_first_key_kept(self, store: KeyStore) -> None:
        store.add(key("ward-7", Role.READER), "d" * 64)
        with pytest.raises(KeyExistsError):
            store.add(key("ward-7", Role.ADMIN), "e" * 64)
        (kept,) = store.list_keys()
        assert kept.role is Role.READER
        assert store.candidates(kept.prefix) == [(kept, "d" * 64)]

    def test_revoking_keeps_the_row_and_its_first_time(self, store: KeyStore) -> None:
        store.add(key("leaver"), "f" * 64)
        revoked = store.revoke("leaver", T0 + timedelta(days=1))
        assert revoked.revoked_at == T0 + timedelta(days=1) and not revoked.active
        again = store.revoke("leaver", T0 + timedelta(days=2))
        assert again.revoked_at == T0 + timedelta(days=1)
        (listed,) = store.list_keys()
        assert listed == revoked
        assert store.candidates(listed.prefix) == [(revoked, "f" * 64)]

    def test_a_revoked_name_cannot_be_reused(self, store: KeyStore) -> None:
        store.add(key("leaver"), "1" * 64)
        store.revoke("leaver", T0)
        with pytest.raises(KeyExistsError):
            store.add(key("leaver"), "2" * 64)

    def test_revoking_an_unknown_name_says_so(self, store: KeyStore) -> None:
        with pytest.raises(KeyNotFoundError):
            store.revoke("nobody", T0)

    def test_keys_survive_reopening(self, make_store: MakeStore) -> None:
        first = make_store()
        first.add(key("o'brien@ward-7", Role.EDITOR), "9" * 64)
        first.close()
        again = make_store()
        (found,) = again.list_keys()
        assert found.name == "o'brien@ward-7" and found.role is Role.EDITOR
