"""Our own types for access control: roles, API-key records, key tokens and the refusals they lead to.

A key is a long random bearer token (``rag_`` + 43 URL-safe characters, 256 bits from ``secrets``). Only its
SHA-256 is stored, next to a short non-secret prefix that identifies it in listings and narrows the lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from rag_service.domain.errors import InvalidRequestError, RagError

TOKEN_PREFIX = "rag_"  # noqa: S105 - the fixed start of every token, not a secret
# Characters of the token shown in listings and used to find its row: "rag_" plus 8 random characters, 48
# bits, which tells keys apart without helping anyone guess the remaining 256 bits.
DISPLAY_CHARS = len(TOKEN_PREFIX) + 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Role(IntEnum):
    """What a key may do; each role includes everything of the ones below it.

    ``reader``: search, ask, chat, list documents and facets, give feedback; ``editor``: also upload,
    ingest and delete documents; ``admin``: also manage keys.
    """

    READER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The lower-case name used on the command line, in the database and in responses."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role called ``text`` (``reader``, ``editor`` or ``admin``).

        Raises:
            InvalidRequestError: An unknown role name.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.label for r in cls)
            raise InvalidRequestError(f"unknown role {text!r}; expected one of {names}") from None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key as stored and listed: never the token, never its hash."""

    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the key is still accepted."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: its record and the token, which is shown once and never stored."""

    key: ApiKey
    token: str


def new_token() -> str:
    """A fresh bearer token: 32 bytes from the operating system's CSPRNG, URL-safe, with a fixed prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, hex.

    A fast hash is right here, unlike for passwords: a token carries 256 random bits, so there is no
    dictionary to try and no brute force a slow hash (bcrypt, scrypt) would meaningfully delay; a slow hash
    would only cost every request milliseconds of CPU.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_prefix(token: str) -> str:
    """The non-secret start of a token, shown in listings and used to find its row."""
    return token[:DISPLAY_CHARS]


def check_key_name(name: str) -> str:
    """``name`` when it is a sane key name: 1-64 letters, digits, ``.``, ``_``, ``@`` or ``-``.

    Names end up in logs and in the audit trail, so they are kept free of spaces and control characters.

    Raises:
        InvalidRequestError: The name is not acceptable.
    """
    if not _NAME.match(name):
        raise InvalidRequestError(
            "a key name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


class AuthenticationError(RagError):
    """No key, or a key that is unknown or revoked (401, with ``WWW-Authenticate: Bearer``)."""

    code = "unauthorized"

    def __init__(self, message: str, *, token_given: bool = False) -> None:
        super().__init__(message)
        self.token_given = token_given


class PermissionDeniedError(RagError):
    """A valid key whose role is too low for the endpoint (403)."""

    code = "forbidden"


class RateLimitedError(RagError):
    """A key over its request rate or its concurrent-request limit (429, with ``Retry-After``)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class KeyInUseError(RagError):
    """An admin asked to revoke the very key its request carries (409): that would lock it out mid-session."""

    code = "key_in_use"


class KeyExistsError(RagError):
    """A key of that name already exists (revoked keys keep their name)."""

    code = "key_exists"


class KeyNotFoundError(RagError):
    """No key of that name."""

    code = "key_not_found"
