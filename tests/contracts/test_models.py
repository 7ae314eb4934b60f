"""The Embedder, SupportScorer and ChatModel contracts against the real model, the scripted LLM over HTTP,
and the in-process fakes."""

from __future__ import annotations

import pytest

from eval.llm_scenarios.answers import PubMedQaKey
from eval.llm_scenarios.model import ScriptedModel
from rag_service.adapters.bm25_index import Bm25Analyzer
from rag_service.adapters.embedder import SentenceTransformerEmbedder
from rag_service.adapters.openai_chat import OpenAICompatibleChat
from rag_service.domain.protocols import ChatModel, Embedder, SupportScorer
from rag_service.services.judge import LlmJudgeScorer
from rag_service.services.prompts import DEFAULT_DIR, PromptSet
from rag_service.services.support import CalibratedSupportScorer
from rag_service.services.support_model import load_support_model
from rag_service.settings import LlmSettings
from tests.contracts.models import ChatModelContract, EmbedderContract, SupportScorerContract
from tests.fakes import HashingEmbedder, ScriptedChat


def scripted_chat() -> ScriptedChat:
    return ScriptedChat(ScriptedModel(PubMedQaKey([]), "faithful"))


def http_chat(base_url: str) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(LlmSettings(base_url=base_url, model="scripted", max_retries=0))


@pytest.mark.unit
class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashingEmbedder()


@pytest.mark.integration
class TestSentenceTransformerEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, warm_embedder: SentenceTransformerEmbedder) -> Embedder:
        return warm_embedder


@pytest.mark.integration
class TestCalibratedScorer(SupportScorerContract):
    @pytest.fixture
    def scorer(self, warm_embedder: SentenceTransformerEmbedder) -> SupportScorer:
        return CalibratedSupportScorer(warm_embedder, load_support_model(), Bm25Analyzer())


@pytest.mark.unit
class TestJudgeOverTheScriptedModel(SupportScorerContract):
    @pytest.fixture
    def scorer(self) -> SupportScorer:
        return LlmJudgeScorer(scripted_chat(), PromptSet(DEFAULT_DIR))


@pytest.mark.integration
class TestJudgeOverHttp(SupportScorerContract):
    @pytest.fixture
    def scorer(self, fake_llm: str) -> SupportScorer:
        return LlmJudgeScorer(http_chat(fake_llm), PromptSet(DEFAULT_DIR))


@pytest.mark.unit
class TestScriptedChat(ChatModelContract):
    @pytest.fixture
    def chat(self) -> ChatModel:
        return scripted_chat()


@pytest.mark.integration
class TestOpenAICompatibleChat(ChatModelContract):
    @pytest.fixture
    def chat(self, fake_llm: str) -> ChatModel:
        return http_chat(fake_llm)
