"""Key management over HTTP, for ``admin`` keys (the same operations as ``rag-keys``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from rag_service.api.key_schemas import KeyBody, KeyCreated, KeyList, KeyOut
from rag_service.api.schemas import ErrorEnvelope
from rag_service.domain.auth import KeyInUseError, Role
from rag_service.services.keys import KeyService

router = APIRouter(prefix="/v1/keys", tags=["keys"])
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorEnvelope},
    409: {"model": ErrorEnvelope},
    422: {"model": ErrorEnvelope},
    503: {"model": ErrorEnvelope},
}


def get_keys(request: Request) -> KeyService:
    """The key service the app was created with."""
    keys: KeyService = request.app.state.keys
    return keys


KeysDep = Annotated[KeyService, Depends(get_keys)]


@router.get("", response_model=KeyList, responses=_ERRORS)
def list_keys(keys: KeysDep) -> KeyList:
    """Every key with its role, prefix, creation and revocation time; never the keys themselves."""
    return KeyList(keys=[KeyOut.of(k) for k in keys.list()])


@router.post("", status_code=201, response_model=KeyCreated, responses=_ERRORS)
def create_key(body: KeyBody, keys: KeysDep) -> KeyCreated:
    """Create a key; the response holds it this once (only its hash is stored). A taken name gets 409."""
    issued = keys.create(body.name, Role.parse(body.role))
    return KeyCreated(key=KeyOut.of(issued.key), token=issued.token)


@router.delete("/{name}", response_model=KeyOut, responses=_ERRORS)
def revoke_key(
    name: Annotated[str, Path(min_length=1, max_length=64)], keys: KeysDep, request: Request
) -> KeyOut:
    """Revoke a key: refused at once by this process, by other service processes within seconds. The key
    the request itself carries cannot be revoked this way (409 key_in_use; use another admin key or
    ``rag-keys revoke``), so an admin cannot lock themselves out by accident."""
    if name == getattr(request.state, "key_name", None):
        raise KeyInUseError(
            f"'{name}' is the key this request uses; revoke it with another admin key or rag-keys"
        )
    return KeyOut.of(keys.revoke(name))
