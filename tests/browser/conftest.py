"""Browser fixtures: one small index and one real server (uvicorn on loopback) for every browser test, Debian's
Chromium driven by Playwright with a fresh profile, and screenshots kept as test artifacts.

Outside CI a missing Chromium (or Playwright) skips the browser tests with the reason; with CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from eval.bench_page import CHROMIUM_ARGS
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.api.app import create_app
from rag_service.bootstrap import Components
from tests.browser.corpus import BROWSER_RECORDS
from tests.helpers import REPO, components_on, ingest, serve_in_thread, write_jsonl

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"


def _unavailable(reason: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {reason} (scripts/setup.sh test installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


class Shoot(Protocol):
    def __call__(self, page: Page, name: str) -> Path: ...


@pytest.fixture(scope="session")
def browser_index(
    tmp_path_factory: pytest.TempPathFactory, warm_embedder: SentenceTransformerEmbedder
) -> Components:
    """The browser corpus ingested once; closed by the server's lifespan."""
    root = tmp_path_factory.mktemp("browser-index")
    c = components_on(root / "data", warm_embedder)
    c.open_index()
    report = ingest(c, write_jsonl(root / "records.jsonl", BROWSER_RECORDS))
    assert report.ok, report
    return c


@pytest.fixture(scope="session")
def server(browser_index: Components) -> Iterator[str]:
    """The real app served by uvicorn on a loopback port for the whole session; yields its base URL."""
    with serve_in_thread(create_app(browser_index.settings, components=browser_index)) as base:
        yield base


# Package scope: the sync driver keeps an asyncio loop running in this thread while it is open, which would
# break later tests that call asyncio.run(); it is closed when the browser tests are done.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser_context(
    playwright_driver: Playwright, tmp_path_factory: pytest.TempPathFactory, server: str
) -> Iterator[BrowserContext]:
    """Headless Debian Chromium on a fresh profile directory, clipboard allowed for the page's origin."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 860},
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext, server: str) -> Iterator[Page]:
    """A new tab on the chat page with empty browser storage; fails the test on a script error."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(f"{server}/")
    tab.evaluate("localStorage.clear()")
    tab.reload()
    tab.wait_for_selector("body[data-ready=true]")
    yield tab
    tab.close()
    unexpected = [e for e in errors if "Failed to load resource" not in e]
    assert unexpected == [], f"script errors in the page: {unexpected}"


@pytest.fixture(scope="session")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> Shoot:
    """Save a full-page screenshot under pytest's temporary folder and copy it to test-artifacts/."""
    folder = tmp_path_factory.mktemp("screenshots")
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, ARTIFACTS / path.name)
        return path

    return save
