"""Request and response bodies of the key-management endpoints (``admin`` only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.domain.auth import ApiKey

RoleName = Literal["reader", "editor", "admin"]


class KeyOut(BaseModel):
    """One key as listed: never the key itself, never its hash."""

    name: str
    role: RoleName
    prefix: str = Field(description="The first characters of the key, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """The listing of ``key``."""
        return cls(
            name=key.name,
            role=key.role.label,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            active=key.active,
        )


class KeyList(BaseModel):
    """Every key, revoked ones included, oldest first."""

    keys: list[KeyOut]


class KeyBody(BaseModel):
    """A key to create."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "ward-7", "role": "reader"}]}
    )

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
    role: RoleName


class KeyCreated(BaseModel):
    """The new key's record and the key itself, shown this once and never again."""

    key: KeyOut
    token: str = Field(description="The API key to send as 'Authorization: Bearer <token>'.")
