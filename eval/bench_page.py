"""How fast the chat page shows an answer, and how much it transfers, in a real browser.

Run against a running service (for example the demo: ``bash scripts/demo.sh`` in another terminal)::

    python -m eval.bench_page --url http://127.0.0.1:8000 --out eval/reports/page_demo.json

Needs Debian's Chromium at ``/usr/bin/chromium`` and the ``playwright`` package (both come with
``scripts/setup.sh test``). For each question it opens a fresh page, types the question, presses Enter and
records, from that moment: the first streamed sentence on screen and the verified answer (its verdicts) on
screen. It also sums what the page itself loaded (HTML, scripts, styles; not the API calls). Figures: median
and p95 over the questions, after one warm-up question.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.report import emit

QUESTIONS = (
    "What fluid volume is recommended for initial resuscitation in septic shock?",
    "Which antibiotics are recommended for outpatient community-acquired pneumonia?",
    "What is the first-line treatment for acute gout flares?",
    "When should anticoagulation be started after a transient ischaemic attack with atrial fibrillation?",
    "What blood pressure target is recommended for adults with hypertension?",
    "How is diabetic ketoacidosis treated in adults?",
    "What is the recommended management of acute pancreatitis in the first 24 hours?",
    "Which statin intensity is recommended after an acute coronary syndrome?",
    "How should osteoporosis be treated in postmenopausal women at high fracture risk?",
    "What is the initial treatment for major depressive disorder?",
)
# Headless Chromium without outside network: no sandbox (containers), no GPU, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Marks when the first streamed sentence and the verified answer appear, relative to the submit.
# Only answers that appear after the submit count (the page may show a stored conversation).
TIMING_JS = """() => {
  window.__t = {};
  const m = document.getElementById("messages");
  const answers = () => m.querySelectorAll(".turn-answer .actions").length;
  document.addEventListener("submit", () => {
    window.__t = {start: performance.now(), before: answers()};
  }, true);
  new MutationObserver(() => {
    const t = window.__t;
    if (t.start === undefined) return;
    const now = performance.now();
    const done = answers() > t.before;
    if (!t.first && (m.querySelector(".sentence.pending") || done)) t.first = now;
    if (!t.done && done) t.done = now;
  }).observe(m, {childList: true, subtree: true});
}"""
ASSETS_JS = """() => performance.getEntries()
  .filter(e => (e.entryType === "navigation" || e.entryType === "resource") && !e.name.includes("/v1/"))
  .map(e => ({url: e.name, bytes: e.encodedBodySize}))"""


def measure(
    url: str, questions: tuple[str, ...], chromium: str, timeout_s: float, api_key: str | None = None
) -> dict[str, Any]:
    """Ask each question in a fresh page; the first one only warms the service up. With ``api_key`` the
    page finds the key already entered (in its session storage), as after a clinician typed it once."""
    from playwright.sync_api import sync_playwright  # the test extra; only this benchmark needs it

    rows: list[dict[str, Any]] = []
    assets: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        if api_key:
            context.add_init_script(f"sessionStorage.setItem('rag.apiKey', {json.dumps(api_key)});")
        try:
            for i, question in enumerate((questions[0], *questions)):
                page = context.new_page()
                page.goto(url, wait_until="networkidle")
                page.evaluate("localStorage.clear()")
                page.reload(wait_until="networkidle")
                page.evaluate(TIMING_JS)
                page.fill("#question", question)
                page.press("#question", "Enter")
                # Polled from here: the page's CSP (no 'unsafe-eval') refuses wait_for_function's predicate.
                deadline = time.monotonic() + timeout_s
                while not page.evaluate("() => window.__t.done !== undefined"):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no answer within {timeout_s} s")
                    page.wait_for_timeout(5)
                t = page.evaluate("window.__t")
                abstained = page.locator(".turn-answer .abstention").count() > 0
                if i == 0:
                    assets = page.evaluate(ASSETS_JS)
                else:
                    rows.append(
                        {
                            "question": i,
                            "first_sentence_ms": round(t["first"] - t["start"], 1),
                            "complete_answer_ms": round(t["done"] - t["start"], 1),
                            "abstained": abstained,
                        }
                    )
                page.close()
        finally:
            context.close()
    first = [r["first_sentence_ms"] for r in rows]
    done = [r["complete_answer_ms"] for r in rows]
    return {
        "url": url,
        "questions": len(rows),
        "abstained": sum(r["abstained"] for r in rows),
        "first_sentence_ms": {"median": statistics.median(first), "p95": percentile(first, 95)},
        "complete_answer_ms": {"median": statistics.median(done), "p95": percentile(done, 95)},
        "page_bytes": sum(int(a["bytes"]) for a in assets),
        "page_requests": len(assets),
        "assets": assets,
        "per_question": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--limit", type=int, default=len(QUESTIONS), help="questions to ask (after warm-up)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="longest wait for one answer")
    parser.add_argument("--out", type=Path, default=None, help="where to write the figures (JSON)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("RAG_EVAL_API_KEY"),
        help="API key (reader role) the page sends, when the service has access control on "
        "(default: $RAG_EVAL_API_KEY)",
    )
    args = parser.parse_args(argv)
    figures = measure(
        args.url.rstrip("/") + "/", QUESTIONS[: args.limit], args.chromium, args.timeout_s, args.api_key
    )
    emit(figures, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
