"""The chat page in real headless Chromium against the real app on loopback: the streamed answer, citation
chips and the evidence panel, verdicts, abstentions, follow-ups, copying, filters, failures and safety."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ARTIFACTS, Shoot
from tests.browser.corpus import FEVER_Q, GOUT_Q, OUT_OF_SCOPE_Q, SEPSIS_Q, XSS_Q, XSS_TEXT, XSS_TITLE

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Records when the first streamed sentence and the verified answer appear, relative to the submit.
TIMING_JS = """() => {
  window.__t = {};
  document.addEventListener("submit", () => { window.__t = {start: performance.now()}; }, true);
  const m = document.getElementById("messages");
  new MutationObserver(() => {
    const now = performance.now();
    if (!window.__t.first && m.querySelector(".sentence.pending")) window.__t.first = now;
    if (!window.__t.done && m.querySelector(".turn-answer .verdict")) window.__t.done = now;
  }).observe(m, {childList: true, subtree: true});
}"""


def ask(page: Page, question: str) -> None:
    """Type a question, send it with Enter and wait until its answer (or abstention) is complete."""
    answers = page.locator(".turn-answer .actions").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator(".turn-answer .actions")).to_have_count(answers + 1)


def last_answer(page: Page) -> Any:
    return page.locator(".turn-answer").last


def chip_titles(page: Page) -> list[str]:
    labels = (
        last_answer(page).locator(".chip").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    )
    return [str(label).split(": ", 1)[1] for label in labels]


def test_answer_streams_with_citation_chips_and_verdicts(page: Page, shoot: Shoot) -> None:
    page.evaluate(TIMING_JS)
    ask(page, SEPSIS_Q)
    t = page.evaluate("window.__t")
    # Sentences were shown as they arrived, before the verified answer replaced them.
    assert t["start"] <= t["first"] <= t["done"]
    answer = last_answer(page)
    sentences = answer.locator(".sentence")
    assert sentences.count() >= 1
    expect(sentences.first).to_contain_text("30 mL/kg")
    expect(answer.locator(".chip").first).to_have_text("1")
    assert "Surviving Sepsis Campaign 2021" in chip_titles(page)
    verdict = answer.locator(".verdict").first
    expect(verdict).to_contain_text("Supported")
    verdict.hover()
    expect(answer.locator(".tip").first).to_be_visible()
    expect(answer.locator(".tip").first).to_contain_text("support score")
    # How current the cited evidence is: the corpus's sepsis guidelines are dated, and recent enough.
    expect(answer.locator(".currency")).to_have_text(
        re.compile(r"^Evidence from (19|20)\d\d(–(19|20)\d\d)?\.$")
    )
    shoot(page, "01-answer")

    # The figures: time to the first streamed sentence and to the verified answer, and the page's weight.
    weight = page.evaluate(
        """() => performance.getEntries()
             .filter(e => e.entryType === "navigation" || e.entryType === "resource")
             .map(e => ({url: e.name, bytes: e.encodedBodySize, transfer: e.transferSize}))"""
    )
    origin = page.evaluate("location.origin")
    assert all(w["url"].startswith(origin) for w in weight), weight
    page_assets = [w for w in weight if "/v1/" not in w["url"]]
    figures = {
        "first_sentence_ms": round(t["first"] - t["start"], 1),
        "complete_answer_ms": round(t["done"] - t["start"], 1),
        "page_bytes": sum(w["bytes"] for w in page_assets),
        "page_requests": len(page_assets),
        "assets": page_assets,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-figures.json").write_text(json.dumps(figures, indent=2))


def test_citation_chip_opens_the_evidence_panel_with_the_quote_highlighted(page: Page, shoot: Shoot) -> None:
    ask(page, SEPSIS_Q)
    first = last_answer(page).locator(".sentence").first
    first.locator(".chip").first.click()
    panel = page.locator("#evidence")
    expect(panel).to_be_visible()
    expect(panel.locator(".doc-title")).to_have_text("Surviving Sepsis Campaign 2021")
    for text in ("SCCM", "2021", "Guideline"):
        expect(panel.locator(".provenance")).to_contain_text(text)
    mark = panel.locator("mark.quote")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(
        "For adults with sepsis-induced hypoperfusion we suggest 30 mL/kg of intravenous crystalloid fluid "
        "within the first 3 hours of resuscitation."
    )
    # The rest of the passage is there too, outside the highlight.
    expect(panel.locator(".passage")).to_contain_text("Use balanced crystalloids")
    shoot(page, "02-evidence-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_superseded_edition_is_marked_in_the_panel(page: Page) -> None:
    page.check("#f-include-superseded")
    page.check("input[name=organisations][value=SCCM]")
    ask(page, SEPSIS_Q)
    answer = last_answer(page)
    titles = chip_titles(page)
    assert "Surviving Sepsis Campaign 2016" in titles, titles
    answer.locator(".chip", has_text=str(titles.index("Surviving Sepsis Campaign 2016") + 1)).first.click()
    expect(page.locator("#evidence .superseded")).to_contain_text("Superseded edition")


def test_old_evidence_is_flagged_and_each_citation_says_how_strong_it_is(page: Page, shoot: Shoot) -> None:
    ask(page, GOUT_Q)
    answer = last_answer(page)
    expect(answer.locator(".sentence").first).to_contain_text("Colchicine 500 micrograms")
    currency = answer.locator(".currency")
    expect(currency).to_have_attribute("data-stale", "true")
    expect(currency.locator(".stale-flag")).to_contain_text("older than 10 years")
    expect(answer.locator(".evidence-strength")).to_contain_text(
        "[1] Strong recommendation, moderate certainty (GRADE)"
    )
    answer.locator(".chip").first.click()
    panel = page.locator("#evidence")
    expect(panel.locator("dd", has_text="Strong recommendation, moderate certainty")).to_be_visible()
    expect(
        panel.locator("dd", has_text="Strong recommendation, Moderate quality of evidence")
    ).to_be_visible()
    assert "null" not in panel.inner_text()
    shoot(page, "old-evidence")


def test_markdown_in_evidence_is_rendered_not_shown_raw(page: Page, shoot: Shoot) -> None:
    ask(page, FEVER_Q)
    answer = last_answer(page)
    # The answer is plain prose (the API's text has no Markdown); the cited passage keeps its formatting.
    expect(answer.locator(".answer-text")).to_contain_text("Paracetamol")
    text = answer.locator(".answer-text").inner_text()
    assert "**" not in text and not text.lstrip().startswith("- "), text
    answer.locator(".chip").first.click()
    passage = page.locator("#evidence .passage")
    expect(passage.locator("li")).to_have_count(2)
    expect(passage.locator("li strong")).to_have_text("Paracetamol")
    assert "**" not in passage.inner_text()
    expect(page.locator("#evidence .links a")).to_have_attribute("href", "https://doi.org/10.1000/nice.fever")
    shoot(page, "03-markdown-evidence")


def test_abstention_is_a_distinct_message_with_its_reason(page: Page, shoot: Shoot) -> None:
    ask(page, OUT_OF_SCOPE_Q)
    answer = last_answer(page)
    box = answer.locator(".abstention")
    expect(box).to_be_visible()
    expect(box).to_contain_text("No answer given")
    expect(box).to_contain_text("outside what the indexed documents cover")
    expect(box).to_contain_text("out_of_scope")
    expect(answer.locator(".sentence")).to_have_count(0)
    shoot(page, "04-abstention")


def test_follow_up_shows_the_rewritten_query_and_conversations_survive_a_reload(page: Page) -> None:
    ask(page, SEPSIS_Q)
    follow_up = "And which vasopressor should be started after that?"
    ask(page, follow_up)
    details = last_answer(page).locator("details.query")
    details.locator("summary").click()
    query = details.locator("p").inner_text()
    assert query != follow_up and "vasopressor" in query and len(query) > len(follow_up), query

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator(".turn-question .bubble")).to_have_text([SEPSIS_Q, follow_up])
    expect(page.locator("#conversations .conversation")).to_have_count(1)
    page.click("#new-conversation")
    expect(page.locator(".turn-answer")).to_have_count(0)
    ask(page, FEVER_Q)
    expect(page.locator("#conversations .conversation")).to_have_count(2)
    page.locator("#conversations .conversation", has_text=SEPSIS_Q[:30]).click()
    expect(page.locator(".turn-question .bubble")).to_have_text([SEPSIS_Q, follow_up])


def test_copy_gives_plain_text_with_a_numbered_reference_list(page: Page) -> None:
    ask(page, SEPSIS_Q)
    last_answer(page).locator("button.copy").click()
    expect(last_answer(page).locator(".action-status")).to_have_text("Copied with references.")
    copied = page.evaluate("navigator.clipboard.readText()")
    body, refs = copied.split("\n\nReferences\n")
    assert body.startswith("For adults with sepsis-induced hypoperfusion") and "[1]" in body
    assert "<" not in body and "**" not in body
    lines = refs.strip().splitlines()
    assert lines[0].startswith("[1] Surviving Sepsis Campaign 2021. SCCM, 2021.")
    assert all(line.startswith(f"[{i}] ") for i, line in enumerate(lines, 1))


def test_a_filter_changes_the_evidence(page: Page, shoot: Shoot) -> None:
    expect(page.locator("input[name=organisations][value='City Hospital']")).to_be_attached()
    ask(page, SEPSIS_Q)
    assert "Surviving Sepsis Campaign 2021" in chip_titles(page)
    page.check("input[name=organisations][value='City Hospital']")
    ask(page, SEPSIS_Q)
    assert set(chip_titles(page)) == {"Adult sepsis protocol"}
    expect(page.locator(".filters-used").last).to_contain_text("City Hospital")
    page.click("#filters-clear")
    page.fill("#f-year-max", "2015")
    ask(page, SEPSIS_Q)
    expect(last_answer(page).locator(".abstention")).to_be_visible()
    shoot(page, "05-filters")


def test_document_html_is_shown_as_text_and_never_runs(page: Page, server: str, shoot: Shoot) -> None:
    ask(page, XSS_Q)
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text("per day <script>")
    answer.locator(".chip").first.click()
    panel = page.locator("#evidence")
    expect(panel.locator(".doc-title")).to_have_text(XSS_TITLE)
    expect(panel.locator(".passage")).to_contain_text(XSS_TEXT.split("per day ")[1])
    expect(panel.locator(".provenance")).to_contain_text("<b>Evil</b> Trust")
    # A javascript: URL is never made a link.
    expect(panel.locator(".links a")).to_have_count(0)
    expect(page.locator("label", has_text="<b>Evil</b> Trust")).to_be_visible()
    shoot(page, "06-xss-as-text")
    page.goto(f"{server}/#documents")
    expect(page.locator("#doc-rows .doc-title", has_text="onerror")).to_have_text(XSS_TITLE)
    assert page.evaluate("window.__xss") is None
    assert page.locator("img, script:not([src]), b").count() == 0


def test_phone_width(page: Page, shoot: Shoot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    ask(page, SEPSIS_Q)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "07-phone-answer")
    last_answer(page).locator(".chip").first.click()
    panel = page.locator("#evidence")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] >= 380
    shoot(page, "08-phone-evidence")
    page.click("#evidence-close")
    expect(panel).to_be_hidden()


def focused(page: Page) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                 return {id: e.id, cls: e.className, tag: e.tagName, outline: s.outlineStyle}; }"""
        )
    )


def tab_to(page: Page, matches: str, limit: int = 60) -> dict[str, str]:
    """Press Tab until the focused element matches a CSS selector."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("sel => document.activeElement.matches(sel)", matches):
            return focused(page)
    raise AssertionError(f"Tab never reached {matches}")


def test_keyboard_only(page: Page, shoot: Shoot) -> None:
    tab_to(page, "#question")
    page.keyboard.type(SEPSIS_Q)
    page.keyboard.press("Enter")
    expect(page.locator(".turn-answer .actions")).to_have_count(1)
    chip = tab_to(page, ".chip")
    assert chip["outline"] != "none"
    page.keyboard.press("Enter")
    expect(page.locator("#evidence")).to_be_visible()
    assert focused(page)["id"] == "evidence-close"
    shoot(page, "09-keyboard-panel")
    page.keyboard.press("Escape")
    expect(page.locator("#evidence")).to_be_hidden()
    assert "chip" in focused(page)["cls"]
    tab_to(page, ".verdict")
    expect(page.locator(".turn-answer .tip").first).to_be_visible()


def test_service_down_says_so_and_offers_a_retry(page: Page) -> None:
    page.route("**/v1/ask", lambda route: route.abort("connectionrefused"))
    page.fill("#question", SEPSIS_Q)
    page.press("#question", "Enter")
    alert = last_answer(page).locator(".error[role=alert]")
    expect(alert).to_contain_text("cannot be reached")
    page.unroute("**/v1/ask")
    alert.locator("button.retry").click()
    expect(last_answer(page).locator(".verdict").first).to_be_visible()
    expect(last_answer(page).locator(".error")).to_have_count(0)


def test_a_stream_cut_mid_answer_is_never_shown_as_complete(page: Page, shoot: Shoot) -> None:
    cut = (
        'event: meta\ndata: {"query": "q", "provenance": {}}\n\n'
        'event: delta\ndata: {"text": "Give 30 mL/kg of crystalloid [1]."}\n\n'
    )

    def broken(route: Route) -> None:
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=cut)

    page.route("**/v1/ask", broken)
    page.fill("#question", SEPSIS_Q)
    page.press("#question", "Enter")
    answer = last_answer(page)
    expect(answer.locator(".error[role=alert]")).to_contain_text("Incomplete answer")
    expect(answer.locator(".answer-text.incomplete")).to_contain_text("Give 30 mL/kg")
    expect(answer.locator(".actions")).to_have_count(0)
    shoot(page, "10-stream-cut")
    page.unroute("**/v1/ask")
    answer.locator("button.retry").click()
    expect(answer.locator(".verdict").first).to_be_visible()
    expect(answer.locator(".incomplete")).to_have_count(0)
