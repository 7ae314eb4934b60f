"""The run reports (report.md, report.html, figures) rendered from a small hand-made results document."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from eval.suite.render import write_reports
from eval.suite.results import finish

pytestmark = pytest.mark.unit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
XSS = "Is <script>alert(1)</script> | safe?"


def _item(
    qid: str,
    variant: str,
    question: str,
    gold: list[str],
    retrieved: dict[str, list[list[str]]],
    scores: dict[str, float],
    answer: dict[str, Any] | None,
    signals: dict[str, float | None],
) -> dict[str, Any]:
    return {
        "id": f"{qid}#{variant}",
        "qid": qid,
        "variant": variant,
        "question": question,
        "gold": {"doc_ids": gold, "answer": None, "decision": None, "must_have": [], "label": None},
        "retrieved": retrieved,
        "answer": answer,
        "scores": scores,
        "signals": {"abstained": None, "should_abstain": None, "support_score": None, "support_label": None}
        | signals,
        "ms": {},
    }


def _answer(text: str, sentences: list[tuple[str, float, float]], code: str | None = None) -> dict[str, Any]:
    """An answer; ``sentences`` are (verdict, score, citation recall)."""
    return {
        "text": text,
        "abstained": code is not None,
        "abstain_code": code,
        "citations": [],
        "sentences": [
            {
                "text": f"s{n}",
                "citations": [1],
                "verdict": v,
                "score": s,
                "citation_recall": r,
                "citation_precision": 1.0,
            }
            for n, (v, s, r) in enumerate(sentences)
        ],
    }


def _retrieval(row: str, mrr: float, hit1: float) -> dict[str, float]:
    return {f"retrieval.{row}.mrr@10": mrr, f"retrieval.{row}.hit@1": hit1}


QA_META: dict[str, Any] = {
    "dataset": "toyqa",
    "path": "data/toy.jsonl",
    "target": "in-process",
    "url": None,
    "backend": "extractive",
    "models": {"embedding": "mini", "reranker": None},
    "corpus": {"documents": 9, "passages": 20},
    "started_at": "2024-01-01T00:00:00+00:00",
    "k": 10,
    "rows": ["pipeline", "bm25", "dense"],
    "notes": ["toy run", "second | note"],
}


def _qa_results() -> dict[str, Any]:
    items = [
        _item(
            "q1",
            "answerable",
            "What treats X?",
            ["d1"],
            {
                "pipeline": [["d1"], ["d2"], ["d3"]],
                "bm25": [["d2"], ["d1"]],
                "dense": [["d3"], ["d2"], ["d1"]],
            },
            _retrieval("pipeline", 1.0, 1.0)
            | _retrieval("bm25", 0.5, 0.0)
            | _retrieval("dense", 1 / 3, 0.0)
            | {"answer.citation_recall": 1.0, "answer.citation_precision": 1.0},
            _answer("Drug A treats X [1].", [("supported", 0.9, 1.0)]),
            {"abstained": 0, "should_abstain": 0, "support_score": 0.8, "support_label": 1},
        ),
        _item(
            "q2",
            "answerable",
            XSS,
            ["d4", "d5"],
            {"pipeline": [["d6"], ["d7", "d7-dup"], ["d4"], ["d5"]], "bm25": [["d4"]], "dense": [["d5"]]},
            _retrieval("pipeline", 1 / 3, 0.0)
            | _retrieval("bm25", 1.0, 1.0)
            | _retrieval("dense", 1.0, 1.0)
            | {"answer.citation_recall": 0.5, "answer.citation_precision": 1.0},
            _answer(
                "Line one\nline <b>two</b> | with pipe", [("supported", 0.7, 1.0), ("unsupported", 0.2, 0.0)]
            ),
            {"abstained": 0, "should_abstain": 0, "support_score": 0.3, "support_label": 0},
        ),
        _item(
            "q3",
            "answerable",
            "Dose of Y?",
            ["d8"],
            {"pipeline": [["d9"], ["d8", "d8-dup"]], "bm25": [["d8"]], "dense": [["d9"]]},
            _retrieval("pipeline", 0.5, 0.0) | _retrieval("bm25", 1.0, 1.0) | _retrieval("dense", 0.0, 0.0),
            _answer("I cannot answer.", [], code="no_support"),
            {"abstained": 1, "should_abstain": 0},
        ),
        _item(
            "q1",
            "gold_removed",
            "What treats X?",
            [],
            {"pipeline": [["d2"], ["d3"]], "bm25": [["d2"]], "dense": [["d3"]]},
            {},
            _answer("Not in the sources.", [], code="insufficient_evidence"),
            {"abstained": 1, "should_abstain": 1},
        ),
    ]
    return finish(QA_META, items)


def _section(text: str, heading: str) -> str:
    """The text from ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    end = re.search(rf"^#{{1,{len(level)}}} ", text[start + len(heading) :], flags=re.MULTILINE)
    return text[start : start + len(heading) + end.start()] if end else text[start:]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], str, str]:
    """The reports of the toy QA run, rendered once for the module (drawing the figures takes a second)."""
    folder = tmp_path_factory.mktemp("report")
    paths = write_reports(_qa_results(), folder)
    md = (folder / "report.md").read_text(encoding="utf-8")
    page = (folder / "report.html").read_text(encoding="utf-8")
    return paths, md, page


def test_metrics_table_shows_pooled_values_counts_and_direction(written: tuple[list[Path], str, str]) -> None:
    _, md, _ = written
    assert md.startswith("# Evaluation report: toyqa\n")
    # Pipeline MRR: (1 + 1/3 + 1/2) / 3 answerable items; citation recall (1 + 0.5) / 2 answered items.
    assert "| retrieval.pipeline.mrr@10 | 0.6111 | 3 | higher is better |" in md
    assert "| answer.citation_recall | 0.7500 | 2 | higher is better |" in md
    assert "| abstention.rate_on_answerable | 0.3333 | 3 | lower is better |" in md
    assert "| support.auroc | 1.0000 | 2 | higher is better |" in md
    assert "### abstention" in md and "### support" in md


def test_run_metadata_skips_missing_keys_and_lists_notes(written: tuple[list[Path], str, str]) -> None:
    _, md, _ = written
    run = _section(md, "## Run")
    assert "| models.embedding | mini |" in run
    assert "| corpus.documents | 9 |" in run
    assert "| rows | pipeline, bm25, dense |" in run
    assert "url" not in run and "reranker" not in run and "judge" not in run
    assert "- second \\| note" in run


def test_baselines_table_compares_pipeline_with_bm25_and_dense(written: tuple[list[Path], str, str]) -> None:
    _, md, _ = written
    table = _section(md, "## Retrieval: pipeline against baselines")
    assert "| row | hit@1 | mrr@10 | n |" in table
    assert "| pipeline | 0.3333 | 0.6111 | 3 |" in table
    assert "| bm25 | 0.6667 | 0.8333 | 3 |" in table
    assert "| dense | 0.3333 | 0.4444 | 3 |" in table
    assert "| pipeline − bm25 | -0.3334 | -0.2222 |" in table


def test_variant_breakdown_recomputes_metrics_per_variant(written: tuple[list[Path], str, str]) -> None:
    _, md, _ = written
    table = _section(md, "## By question variant")
    assert (
        "| variant | items | abstention rate | answer.citation_precision | answer.citation_recall |" in table
    )
    assert "| answerable | 3 | 0.3333 | 1.0000 | 0.7500 |" in table
    assert "| gold_removed | 1 | 1.0000 | n/a | n/a |" in table


def test_worst_items_rank_lowest_mrr_first_and_flag_errors(written: tuple[list[Path], str, str]) -> None:
    _, md, _ = written
    lowest = _section(md, "### Lowest retrieval.pipeline.mrr@10 (answerable items)")
    order = [lowest.index(f"| {i}#answerable |") for i in ("q2", "q3")]
    assert order == sorted(order)
    assert "q1#answerable" not in lowest  # its gold document is at rank 1: nothing to inspect
    assert "d6<br>d7 / d7-dup<br>d4" in lowest  # top 3 retrieved ranks, duplicates kept together
    assert "| d4, d5 |" in lowest
    errors = _section(md, "### Citation and abstention errors")
    assert errors.index("q3#answerable") < errors.index("q2#answerable")
    assert "abstained but should have answered" in errors and "no_support" in errors
    assert "1 sentence(s) with citation recall < 1 (lowest 0.00)" in errors.replace("&lt;", "<")
    assert "q1#" not in errors  # q1 answered with full recall; q1#gold_removed abstained rightly


def test_untrusted_text_is_escaped(written: tuple[list[Path], str, str]) -> None:
    _, md, page = written
    assert "<script>" not in page and "<b>two</b>" not in page
    assert "Is &lt;script&gt;alert(1)&lt;/script&gt; | safe?" in page
    assert "Is &lt;script&gt;alert(1)&lt;/script&gt; \\| safe?" in md
    # A newline and a pipe inside an answer must not break the Markdown table row.
    assert "Line one<br>line &lt;b&gt;two&lt;/b&gt; \\| with pipe" in md
    for line in md.splitlines():
        if line.startswith("| q2#answerable"):
            # 8 cell borders in the item tables, 5 in the support-disagreement table
            assert len(re.findall(r"(?<!\\)\|", line)) in (8, 5)


def test_plots_are_real_pngs_embedded_in_the_html(written: tuple[list[Path], str, str]) -> None:
    paths, md, page = written
    folder = paths[0].parent
    pngs = sorted(p.name for p in paths if p.suffix == ".png")
    assert pngs == [
        "recall_at_k.png",
        "score_distributions.png",
        "sentence_scores.png",
        "support_by_label.png",
    ]
    assert paths[:2] == [folder / "report.md", folder / "report.html"]
    for name in pngs:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert f"]({name})" in md
        assert base64.b64encode(data).decode("ascii") in page
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert 'src="recall' not in page  # self-contained: no links to the files


def test_output_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    a, b = write_reports(_qa_results(), first, worst=2), write_reports(_qa_results(), second, worst=2)
    assert [p.name for p in a] == [p.name for p in b]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()
    lowest = _section(
        (first / "report.md").read_text(encoding="utf-8"),
        "### Lowest retrieval.pipeline.mrr@10 (answerable items)",
    )
    assert "q2#answerable" in lowest and "q3#answerable" in lowest and "q1#answerable" not in lowest


def test_support_only_run_without_retrieval_renders(tmp_path: Path) -> None:
    items = [
        {
            "id": f"c{n}",
            "question": f"claim {n}",
            "scores": {},
            "signals": {"support_score": score, "support_label": label},
        }
        for n, (score, label) in enumerate([(0.9, 1), (0.7, 1), (0.4, 0), (0.8, 0)])
    ]
    results = finish({"dataset": "expertqa", "judge": "heuristic"}, items)
    paths = write_reports(results, tmp_path)
    assert [p.name for p in paths] == ["report.md", "report.html", "support_by_label.png"]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| support.auroc | 0.7500 | 4 | higher is better |" in md
    assert "Retrieval: pipeline against baselines" not in md and "By question variant" not in md
    assert "No item has a citation or abstention error." in md
    assert (tmp_path / "support_by_label.png").read_bytes().startswith(PNG_MAGIC)


def test_empty_results_render(tmp_path: Path) -> None:
    paths = write_reports({"schema": 1, "meta": {}, "metrics": {}, "counts": {}, "items": []}, tmp_path)
    assert [p.name for p in paths] == ["report.md", "report.html"]
    assert "The run has no metrics." in (tmp_path / "report.md").read_text(encoding="utf-8")
