"""Every prompt file renders with exactly its declared variables; broken ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from rag_service.domain.errors import ConfigurationError
from rag_service.services.prompts import DEFAULT_DIR, PromptSet

pytestmark = pytest.mark.unit

SAMPLE = {
    "max_sentences": 4,
    "question": "What dose?",
    "evidence": [{"number": 1, "title": "T", "heading": "H", "year": 2024, "text": "Give 5 mg."}],
    "history": [{"role": "user", "content": "About warfarin."}],
    "passages": [{"number": 1, "text": "Give 5 mg daily."}],
    "statements": [{"number": 1, "text": "Give 5 mg daily.", "cited": [1]}],
}


def test_every_prompt_renders_with_its_declared_variables() -> None:
    prompts = PromptSet(DEFAULT_DIR)
    assert {"answer.system", "answer.user", "rewrite.system", "rewrite.user"} <= set(prompts.prompts)
    for pid, prompt in prompts.prompts.items():
        text = prompts.render(pid, **{k: SAMPLE[k] for k in prompt.variables})
        assert text and "{{" not in text and "{%" not in text
    user = prompts.render("answer.user", question="What dose?", evidence=SAMPLE["evidence"])
    assert '<passage number="1" title="T" section="H" year="2024">' in user and "Give 5 mg." in user
    assert "INSUFFICIENT_EVIDENCE" in prompts.render("answer.system", max_sentences=3)


def test_missing_or_extra_variables_are_errors() -> None:
    prompts = PromptSet(DEFAULT_DIR)
    with pytest.raises(ConfigurationError):
        prompts.render("answer.user", question="q")
    with pytest.raises(ConfigurationError):
        prompts.render("answer.system", max_sentences=3, surprise=1)


def test_a_prompt_without_header_or_with_bad_syntax_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.j2").write_text("no header {{ x }}")
    with pytest.raises(ConfigurationError, match="does not start"):
        PromptSet(tmp_path)
    (tmp_path / "a.j2").write_text("{#- prompt: a | variables: x -#}\n{% if x %}")
    with pytest.raises(ConfigurationError, match="template error"):
        PromptSet(tmp_path)


def test_the_sandbox_blocks_attribute_escapes(tmp_path: Path) -> None:
    (tmp_path / "a.j2").write_text("{#- prompt: a | variables: x -#}\n{{ x.__class__.__mro__ }}")
    with pytest.raises(SecurityError):
        PromptSet(tmp_path).render("a", x="s")
