"""Creating, listing, revoking and verifying API keys over a KeyStore.

Verification is on every request, so verified keys are remembered for ``cache_ttl_s`` seconds (5 by default)
instead of reading the database each time. That is the bound on revocation: a key revoked through this
service stops working at once in this process, and a key revoked by another process (``rag-keys revoke``)
stops working here within ``cache_ttl_s`` seconds. Unknown tokens are never cached, so a key created a moment
ago works at once.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rag_service.domain.auth import (
    ApiKey,
    AuthenticationError,
    IssuedKey,
    Role,
    check_key_name,
    new_token,
    token_hash,
    token_prefix,
)
from rag_service.domain.protocols import KeyStore

DEFAULT_CACHE_TTL_S = 5.0
# Bounds the memory of the cache whatever the number of keys; past it the cache starts over.
MAX_CACHED = 10_000


class KeyService:
    """Key management and verification; thread-safe (verification runs on the server's worker threads)."""

    def __init__(
        self,
        store: KeyStore,
        cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._ttl = cache_ttl_s
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[ApiKey, float]] = {}

    def create(self, name: str, role: Role) -> IssuedKey:
        """A new key named ``name``; the returned token is the only time it exists outside the caller.

        Raises:
            InvalidRequestError: The name is not acceptable.
            KeyExistsError: The name is taken (also by a revoked key).
        """
        token = new_token()
        key = ApiKey(name=check_key_name(name), role=role, prefix=token_prefix(token), created_at=self._now())
        self._store.add(key, token_hash(token))
        return IssuedKey(key=key, token=token)

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        return self._store.list_keys()

    def has_active_keys(self) -> bool:
        """Whether any key would be accepted (what the start-up message checks)."""
        return any(k.active for k in self._store.list_keys())

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key ``name``; from now on this service refuses it (others within their cache time).

        Raises:
            KeyNotFoundError: No key has that name.
        """
        key = self._store.revoke(name, self._now())
        with self._lock:
            self._cache = {h: entry for h, entry in self._cache.items() if entry[0].name != name}
        return key

    def cached(self, token: str) -> ApiKey | None:
        """The key of ``token`` when it was verified less than ``cache_ttl_s`` ago; never touches the store."""
        digest = token_hash(token)
        with self._lock:
            entry = self._cache.get(digest)
            if entry is not None and entry[1] > self._clock():
                return entry[0]
        return None

    def verify(self, token: str) -> ApiKey:
        """The active key whose token is ``token``.

        The row is found by the token's non-secret prefix and its hash compared with ``hmac.compare_digest``,
        so how long the check takes does not depend on how much of a guessed hash was right.

        Raises:
            AuthenticationError: No active key has this token.
            StoreUnavailableError: The key database cannot be read.
        """
        hit = self.cached(token)
        if hit is not None:
            return hit
        digest = token_hash(token)
        found: ApiKey | None = None
        for key, stored in self._store.candidates(token_prefix(token)):
            if hmac.compare_digest(stored.encode(), digest.encode()):
                found = key
        if found is None or not found.active:
            raise AuthenticationError("the API key is not valid (unknown or revoked)", token_given=True)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (found, self._clock() + self._ttl)
        return found

    def close(self) -> None:
        """Release the store's connections."""
        self._store.close()
