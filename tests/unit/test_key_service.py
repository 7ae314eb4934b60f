"""KeyService over a real SQLite key store: tokens, hashes, verification and how long a revocation takes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag_service.adapters.sql_keys import SqlKeyStore
from rag_service.domain.auth import AuthenticationError, Role, token_hash
from rag_service.domain.errors import InvalidRequestError
from rag_service.services.keys import KeyService

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keys.sqlite3'}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(url: str, clock: Clock) -> Iterator[KeyService]:
    keys = KeyService(SqlKeyStore(url), cache_ttl_s=5.0, clock=clock)
    yield keys
    keys.close()


def test_a_created_key_verifies_and_only_its_hash_is_stored(service: KeyService, url: str) -> None:
    issued = service.create("ward-7", Role.EDITOR)
    assert issued.token.startswith("rag_") and len(issued.token) >= 40
    assert service.verify(issued.token) == issued.key
    raw = Path(url.removeprefix("sqlite:///")).read_bytes()
    assert issued.token.encode() not in raw
    assert token_hash(issued.token).encode() in raw


def test_wrong_tokens_are_refused(service: KeyService) -> None:
    issued = service.create("ward-7", Role.READER)
    for wrong in ("", "rag_", issued.token[:-1], issued.token + "x", issued.token[:12] + "A" * 43):
        with pytest.raises(AuthenticationError):
            service.verify(wrong)


def test_names_are_checked(service: KeyService) -> None:
    for bad in ("", "has space", "-leading", "x" * 65, "new\nline"):
        with pytest.raises(InvalidRequestError):
            service.create(bad, Role.READER)


def test_revoking_here_takes_effect_at_once(service: KeyService) -> None:
    issued = service.create("leaver", Role.READER)
    service.verify(issued.token)
    service.revoke("leaver")
    with pytest.raises(AuthenticationError):
        service.verify(issued.token)


def test_revoking_elsewhere_takes_effect_within_the_cache_time(
    service: KeyService, url: str, clock: Clock
) -> None:
    issued = service.create("leaver", Role.READER)
    service.verify(issued.token)
    other = KeyService(SqlKeyStore(url))  # e.g. rag-keys revoke in another process
    other.revoke("leaver")
    other.close()
    clock.now += 4.9
    assert service.verify(issued.token).name == "leaver"  # still cached: the stated bound, not longer
    clock.now += 0.2
    with pytest.raises(AuthenticationError):
        service.verify(issued.token)
