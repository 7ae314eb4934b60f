"""Without the 'llm' extra, the LLM backend fails at start-up with one line naming the extra to install."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from eval.cli import main as rag_eval
from rag_service.adapters.openai_chat import OpenAICompatibleChat
from rag_service.bootstrap import check_installed
from rag_service.cli import main as rag_serve
from rag_service.domain.errors import ConfigurationError
from rag_service.settings import LlmSettings, Settings

pytestmark = pytest.mark.unit

INSTALL = "pip install -e '.[llm]'"
LLM_ENV = {"RAG_LLM__BASE_URL": "http://127.0.0.1:9/v1", "RAG_LLM__MODEL": "any"}


@pytest.fixture
def no_llm_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """langchain-openai as if it were not installed (None in sys.modules makes its import fail)."""
    monkeypatch.setitem(sys.modules, "langchain_openai", None)


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in LLM_ENV.items():
        monkeypatch.setenv(key, value)


def test_the_chat_client_names_the_extra(no_llm_extra: None) -> None:
    with pytest.raises(ConfigurationError, match=r"pip install -e '\.\[llm\]'"):
        OpenAICompatibleChat(LlmSettings(base_url="http://127.0.0.1:9/v1", model="any"))


def test_settings_that_need_the_llm_are_checked_before_anything_runs(
    no_llm_extra: None, llm_env: None
) -> None:
    check_installed(Settings())  # extractive with the heuristic scorer: nothing optional needed
    with pytest.raises(ConfigurationError, match="'llm' extra"):
        check_installed(Settings(answer={"backend": "openai"}))


def test_rag_serve_exits_with_one_line(
    no_llm_extra: None, llm_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_ANSWER__BACKEND", "openai")
    assert rag_serve(["--port", "9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and INSTALL in err and "Traceback" not in err


def test_rag_eval_exits_with_one_line(
    no_llm_extra: None, llm_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = tmp_path / "pqal.json"
    entry = {
        "QUESTION": "Q?",
        "CONTEXTS": ["Text."],
        "LABELS": ["RESULTS"],
        "LONG_ANSWER": "A.",
        "final_decision": "yes",
    }
    dataset.write_text(json.dumps({"1": entry}))
    code = rag_eval(
        [
            "run",
            "--dataset",
            "pubmedqa",
            "--path",
            str(dataset),
            "--backend",
            "openai",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and INSTALL in err
    assert not (tmp_path / "run").exists()
