"""The chat page without a browser: served at / with its Content-Security-Policy, loading only same-origin
assets, with no inline script or style and no HTML assembled from strings in its scripts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import STATIC, create_app
from rag_service.settings import Settings
from tests.helpers import OPEN_ACCESS

pytestmark = pytest.mark.integration


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    """The app without its lifespan: the page and its assets need no models or index."""
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", **OPEN_ACCESS)))  # type: ignore[arg-type]


class _Assets(HTMLParser):
    """Collects the URLs a page loads and any inline script, style or event-handler attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"] or "")
        if tag in {"img", "iframe", "audio", "video", "source"} and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "style":
            self.inline.append("<style>")
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"{tag}[{name}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline <script>")


def test_page_is_served_with_a_strict_csp_and_same_origin_assets(api: TestClient) -> None:
    res = api.get("/")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    csp = res.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert res.headers["x-content-type-options"] == "nosniff"

    parser = _Assets()
    parser.feed(res.text)
    assert parser.inline == []
    assert parser.urls, "the page loads its script and stylesheet"
    for url in parser.urls:
        assert url.startswith("/static/") or url.startswith("data:"), url
        if url.startswith("/static/"):
            asset = api.get(url)
            assert asset.status_code == 200, url
            assert "content-security-policy" in asset.headers


def test_every_script_module_is_served_and_same_origin(api: TestClient) -> None:
    scripts = sorted(STATIC.rglob("*.js"))
    assert len(scripts) > 1
    for path in scripts:
        url = "/static/" + path.relative_to(STATIC).as_posix()
        res = api.get(url)
        assert res.status_code == 200, url
        assert "javascript" in res.headers["content-type"], url
        for spec in re.findall(r"""^import .* from "([^"]+)";""", path.read_text(), flags=re.M):
            assert spec.startswith("./"), f"{url} imports {spec}"
            assert (path.parent / spec).resolve().is_file(), f"{url} imports missing {spec}"


def test_scripts_never_assign_html() -> None:
    """Documents, answers and feedback reach the page only as text: no innerHTML, outerHTML,
    insertAdjacentHTML, document.write or eval anywhere in the page's scripts."""
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    for path in sorted(Path(STATIC).rglob("*.js")):
        hits = [line for line in path.read_text().splitlines() if forbidden.search(line)]
        assert hits == [], f"{path.name}: {hits}"


def test_api_routes_and_docs_keep_their_own_headers(api: TestClient) -> None:
    assert "content-security-policy" not in api.get("/healthz").headers
    assert api.get("/static/missing.js").status_code == 404
