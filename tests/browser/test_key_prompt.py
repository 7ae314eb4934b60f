"""The chat page with access control on: it asks for a key, refuses a wrong one, works with a right one and
forgets it on request. A second server (auth on, its own small index) next to the package's auth-off one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.bootstrap import build_key_store
from rag_service.domain.auth import Role
from rag_service.services.keys import KeyService
from tests.browser.conftest import Shoot
from tests.browser.corpus import BROWSER_RECORDS, SEPSIS_Q
from tests.helpers import components_on, ingest, serve_in_thread, write_jsonl

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, str]]:
    """The app with auth on over the browser corpus, on loopback; yields its URL and a reader key."""
    root = tmp_path_factory.mktemp("secured-page")
    c = components_on(root / "data", warm_embedder, auth={"enabled": True})
    c.open_index()
    assert ingest(c, write_jsonl(root / "records.jsonl", BROWSER_RECORDS)).ok
    keys = KeyService(build_key_store(c.settings))
    token = keys.create("ward-7", Role.READER).token
    keys.close()
    with serve_in_thread(create_app(c.settings, components=c)) as base:
        yield base, token


@pytest.fixture
def tab(browser_context: BrowserContext, secured: tuple[str, str]) -> Iterator[Page]:
    """A new tab (empty session storage) on the secured service's page; fails the test on a script error."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{secured[0]}/")
    page.wait_for_selector("body[data-ready=true]")
    yield page
    page.close()
    assert errors == [], f"script errors in the page: {errors}"


def test_the_page_asks_for_a_key(tab: Page, shoot: Shoot) -> None:
    dialog = tab.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(tab.locator("#key-input")).to_have_attribute("type", "password")
    expect(tab.locator("#key-input")).to_be_focused()
    expect(tab.locator("#forget-key")).to_be_hidden()
    shoot(tab, "key-prompt")


def test_a_wrong_key_is_refused_with_a_message(tab: Page) -> None:
    tab.fill("#key-input", "rag_" + "x" * 43)
    tab.click("#key-save")
    expect(tab.locator("#key-error")).to_contain_text("not accepted")
    expect(tab.locator("#key-dialog")).to_be_visible()
    assert tab.evaluate("sessionStorage.getItem('rag.apiKey')") is None


def test_the_right_key_is_kept_for_the_tab_sent_with_every_call_and_forgotten_on_request(
    tab: Page, secured: tuple[str, str], shoot: Shoot
) -> None:
    sent: list[str | None] = []
    tab.on("request", lambda r: sent.append(r.headers.get("authorization")) if "/v1/" in r.url else None)
    tab.fill("#key-input", secured[1])
    tab.click("#key-save")
    tab.wait_for_selector("body[data-ready=true]")
    expect(tab.locator("#key-dialog")).to_be_hidden()
    expect(tab.locator("#forget-key")).to_be_visible()
    assert tab.evaluate("sessionStorage.getItem('rag.apiKey')") == secured[1]
    assert tab.evaluate("localStorage.getItem('rag.apiKey')") is None
    tab.fill("#question", SEPSIS_Q)
    tab.press("#question", "Enter")
    expect(tab.locator(".turn-answer .actions")).to_have_count(1)
    expect(tab.locator(".turn-answer .sentence").first).to_contain_text("30 mL/kg")
    assert sent and all(h == f"Bearer {secured[1]}" for h in sent), sent
    shoot(tab, "key-accepted")
    tab.click("#forget-key")
    tab.wait_for_selector("body[data-ready=true]")
    expect(tab.locator("#key-dialog")).to_be_visible()
    assert tab.evaluate("sessionStorage.getItem('rag.apiKey')") is None
