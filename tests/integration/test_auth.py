"""Access control of the API, with auth on: every route's policy, 401/403 on every protected route, limits
(429 + Retry-After), the host check, CORS, key management over HTTP and the rag-keys CLI."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.api.auth import POLICY, PUBLIC, access_for
from rag_service.bootstrap import Components, build_key_store
from rag_service.domain.auth import Role
from rag_service.keys_cli import main as rag_keys
from rag_service.services.keys import KeyService
from tests.helpers import MakeComponents, components_on, run_main, serve_in_thread

pytestmark = pytest.mark.integration

AUTH_ON = {"enabled": True, "rate_per_minute": 0, "max_concurrent": 0}


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    """The app with auth on over an empty index, started, and one key of each role (made with rag-keys)."""
    data_dir = tmp_path_factory.mktemp("auth") / "data"
    c = components_on(data_dir, warm_embedder, auth=AUTH_ON)
    tokens: dict[Role, str] = {}
    for role in Role:
        code, out, err = run_main(
            rag_keys, "--data-dir", str(data_dir), "create", f"{role.label}-1", "--role", role.label
        )
        assert code == 0, err
        tokens[role] = out.strip().splitlines()[-1]
    with TestClient(create_app(c.settings, components=c)) as client:
        yield client, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def concrete(path: str) -> str:
    """A request path for a route template: every parameter becomes 'x'."""
    return re.sub(r"\{[^}]+\}", "x", path)


def routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, route template, whether it is a FastAPI route, which runs the app's dependencies) of every
    route of the app, included routers flattened; a mount counts as GET of its path."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        path = str(ctx.path)
        if isinstance(ctx.original_route, Mount):
            out.append(("GET", path, False))
            continue
        for method in sorted(ctx.methods or ()):
            if method != "HEAD":
                out.append((method, path, isinstance(ctx.original_route, APIRoute)))
    return out


def protected_routes(app: FastAPI) -> list[tuple[str, str, Role]]:
    out = []
    for method, path, _ in routes(app):
        required = access_for(method, path)
        if required != PUBLIC:
            out.append((method, path, required))
    return out


def test_every_route_of_the_app_has_a_policy_entry_and_every_entry_a_route(
    make_components: MakeComponents,
) -> None:
    app = create_app(make_components().settings)
    found = routes(app)
    seen = {(method, path) for method, path, _ in found}
    assert len(seen) == len(found), "one method and template served by two routes"
    # Only FastAPI routes run the app-level dependency that enforces the policy: anything else must be public.
    unguarded = [(m, p) for m, p, guarded in found if not guarded and access_for(m, p) != PUBLIC]
    assert not unguarded, f"routes outside FastAPI's dependencies cannot be protected: {unguarded}"
    missing = sorted(seen - set(POLICY))
    assert not missing, f"routes without an access policy in rag_service.api.auth.POLICY: {missing}"
    stale = sorted(set(POLICY) - seen)
    assert not stale, f"policy entries of routes the app does not have: {stale}"
    assert {m for m, _ in seen} >= {"GET", "POST", "DELETE"}


def test_every_protected_route_refuses_a_request_without_a_key_or_with_a_wrong_one(
    secured: tuple[TestClient, dict[Role, str]],
) -> None:
    client, _ = secured
    routes = protected_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 14
    for method, path, _ in routes:
        for headers in ({}, bearer("rag_" + "A" * 43), {"Authorization": "Basic dXNlcjpwYXNz"}):
            res = client.request(method, concrete(path), headers=headers)
            assert res.status_code == 401, (method, path, headers, res.text)
            assert res.json()["error"]["code"] == "unauthorized"
            assert res.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_protected_route_refuses_a_role_below_its_own_and_admits_its_own(
    secured: tuple[TestClient, dict[Role, str]],
) -> None:
    client, tokens = secured
    checked_403 = 0
    for method, path, required in protected_routes(client.app):  # type: ignore[arg-type]
        for role in Role:
            res = client.request(method, concrete(path), headers=bearer(tokens[role]))
            if role < required:
                assert res.status_code == 403, (method, path, role, res.text)
                assert res.json()["error"]["code"] == "forbidden"
                checked_403 += 1
            else:
                # Past access control: the route's own answer (200, 404 for 'x', 422 for an empty body...).
                assert res.status_code not in (401, 403, 429), (method, path, role, res.text)
    assert checked_403 >= 6


def test_public_routes_need_no_key(secured: tuple[TestClient, dict[Role, str]]) -> None:
    client, _ = secured
    for path in ("/healthz", "/readyz", "/metrics", "/", "/static/app.js", "/openapi.json", "/docs"):
        assert client.get(path).status_code in (200, 503), path  # /readyz may say 503 on an empty index


def test_a_reader_searches_and_an_editor_deletes(secured: tuple[TestClient, dict[Role, str]]) -> None:
    client, tokens = secured
    res = client.post(
        "/v1/search", json={"question": "septic shock fluids"}, headers=bearer(tokens[Role.READER])
    )
    assert res.status_code == 200, res.text
    res = client.delete("/v1/documents/nope", headers=bearer(tokens[Role.EDITOR]))
    assert res.status_code == 404


def test_the_schema_marks_protected_operations(secured: tuple[TestClient, dict[Role, str]]) -> None:
    client, _ = secured
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/search"]["post"]["security"] == [{"bearer": []}]
    assert "401" in schema["paths"]["/v1/documents/{doc_id}"]["delete"]["responses"]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_key_management_over_http_is_for_admins(secured: tuple[TestClient, dict[Role, str]]) -> None:
    client, tokens = secured
    admin = bearer(tokens[Role.ADMIN])
    made = client.post("/v1/keys", json={"name": "temp-1", "role": "reader"}, headers=admin)
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert (
        client.post("/v1/keys", json={"name": "temp-1", "role": "reader"}, headers=admin).status_code == 409
    )
    listed = client.get("/v1/keys", headers=admin).json()["keys"]
    assert "temp-1" in {k["name"] for k in listed}
    assert token not in str(listed)
    assert client.get("/v1/facets", headers=bearer(token)).status_code == 200
    revoked = client.delete("/v1/keys/temp-1", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    # Revoked through this process: refused at once.
    assert client.get("/v1/facets", headers=bearer(token)).status_code == 401
    assert client.delete("/v1/keys/nobody", headers=admin).status_code == 404
    # An admin cannot revoke the key it is using (and so lock itself out); the key keeps working.
    itself = client.delete("/v1/keys/admin-1", headers=admin)
    assert itself.status_code == 409 and itself.json()["error"]["code"] == "key_in_use"
    assert client.get("/v1/keys", headers=admin).status_code == 200


def test_other_hosts_are_refused_in_the_envelope(secured: tuple[TestClient, dict[Role, str]]) -> None:
    client, _ = secured
    res = client.get("/healthz", headers={"Host": "rebinding.example:8000"})
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "invalid_host"
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200


def test_cors_allows_only_the_configured_origins(make_components: MakeComponents) -> None:
    settings = make_components(api={"cors_origins": ["https://ward.example"]}, auth=AUTH_ON).settings
    client = TestClient(create_app(settings))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    ok = client.options("/v1/search", headers={"Origin": "https://ward.example", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://ward.example"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    other = client.options("/v1/search", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    # Without configured origins no CORS header is ever sent: the browser keeps calls same-origin.
    closed = TestClient(create_app(make_components(auth=AUTH_ON).settings))
    res = closed.get("/healthz", headers={"Origin": "https://ward.example"})
    assert "access-control-allow-origin" not in res.headers


def _issue(settings_components: Components, name: str, role: Role) -> str:
    keys = KeyService(build_key_store(settings_components.settings))
    try:
        return keys.create(name, role).token
    finally:
        keys.close()


def test_a_key_over_its_rate_gets_429_with_retry_after(make_components: MakeComponents) -> None:
    c = make_components(auth={**AUTH_ON, "rate_per_minute": 3})
    fast, other = _issue(c, "fast", Role.READER), _issue(c, "other", Role.READER)
    with TestClient(create_app(c.settings, components=c)) as client:
        for _ in range(3):
            assert client.get("/v1/facets", headers=bearer(fast)).status_code == 200
        res = client.get("/v1/facets", headers=bearer(fast))
        assert res.status_code == 429 and res.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(res.headers["Retry-After"]) <= 60
        assert client.get("/v1/facets", headers=bearer(other)).status_code == 200
        assert client.get("/healthz").status_code == 200  # public routes are not counted


def test_a_key_over_its_requests_in_flight_gets_429_until_its_stream_ends(tmp_path: Path) -> None:
    """Over real HTTP: a streamed response holds its slot until its last byte; the route is a test route."""
    settings = components_on(tmp_path / "data", None, auth={**AUTH_ON, "max_concurrent": 1}).settings  # type: ignore[arg-type]
    app = create_app(settings)  # no lifespan needed: the test routes use no service
    release = threading.Event()

    async def slow(request: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"first\n"
            while not release.is_set():
                await asyncio.sleep(0.02)
            yield b"last\n"

        return StreamingResponse(body(), media_type="text/plain")

    async def whoami(request: Request) -> dict[str, str | None]:
        role = request.state.key_role
        return {"key_name": request.state.key_name, "key_role": role.label if role else None}

    app.add_api_route("/v1/test-slow", slow)  # unlisted in POLICY: needs admin
    app.add_api_route("/v1/test-whoami", whoami)
    keys = KeyService(build_key_store(settings))
    token = keys.create("busy", Role.ADMIN).token
    keys.close()
    with serve_in_thread(app) as base, httpx.Client(base_url=base, headers=bearer(token), timeout=10) as http:
        with http.stream("GET", "/v1/test-slow") as streaming:
            lines = streaming.iter_lines()
            assert next(lines) == "first"
            refused = http.get("/v1/test-whoami")
            assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
            release.set()
            assert list(lines) == ["last"]
        who = http.get("/v1/test-whoami")
        assert who.status_code == 200, who.text
        assert who.json() == {"key_name": "busy", "key_role": "admin"}


def test_start_up_says_when_auth_is_off_and_when_no_key_exists(
    make_components: MakeComponents, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="rag_service.api.auth")
    off = make_components()  # the test default: auth off, stated explicitly in tests/helpers.py
    with TestClient(create_app(off.settings, components=off)) as client:
        assert client.get("/v1/facets").status_code == 200
    assert "AUTHENTICATION IS OFF" in caplog.text
    caplog.clear()
    on = make_components(auth=AUTH_ON)
    with TestClient(create_app(on.settings, components=on)):
        pass
    assert "rag-keys create NAME --role admin" in caplog.text


def test_rag_keys_prints_the_key_once_lists_without_it_and_revokes(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out, _ = run_main(rag_keys, "--data-dir", data, "create", "ward-7", "--role", "editor")
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert re.fullmatch(r"rag_[A-Za-z0-9_-]{43}", token)
    code, listing, _ = run_main(rag_keys, "--data-dir", data, "list")
    assert code == 0 and "ward-7" in listing and "editor" in listing and token[:12] in listing
    assert token not in listing
    code, _, err = run_main(rag_keys, "--data-dir", data, "create", "ward-7")
    assert code == 1 and "already exists" in err
    code, out, _ = run_main(rag_keys, "--data-dir", data, "revoke", "ward-7")
    assert code == 0 and "revoked" in out
    code, listed, _ = run_main(rag_keys, "--data-dir", data, "--json", "list")
    assert code == 0 and '"revoked_at": "20' in listed
    code, _, err = run_main(rag_keys, "--data-dir", data, "revoke", "nobody")
    assert code == 1 and "no key named" in err
    with pytest.raises(SystemExit) as usage:
        run_main(rag_keys, "--data-dir", data, "create", "x", "--role", "superuser")
    assert usage.value.code == 2


@pytest.mark.parametrize("role", [None, Role.READER])
def test_an_upload_is_refused_before_its_body_is_read(
    secured: tuple[TestClient, dict[Role, str]], role: Role | None
) -> None:
    client, tokens = secured
    headers = [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x")]
    if role is not None:
        headers.append((b"authorization", f"Bearer {tokens[role]}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/v1/documents",
        "raw_path": b"/v1/documents",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    body_reads = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal body_reads
        body_reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    assert status == (401 if role is None else 403)
    assert body_reads == 0
