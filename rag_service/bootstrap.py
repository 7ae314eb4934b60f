"""Composition root: builds the adapters named by the settings and wires them into services.

Constructing is cheap; nothing loads a model or opens a store until ``open_index`` or ``warm_up``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from rag_service.adapters.bm25_index import Bm25Analyzer, Bm25Index
from rag_service.adapters.chroma_store import ChromaVectorStore
from rag_service.adapters.embedder import HfTokenCounter, SentenceTransformerEmbedder
from rag_service.adapters.file_lock import exclusive_writer
from rag_service.adapters.openai_chat import OpenAICompatibleChat, require_llm_client
from rag_service.adapters.sql_audit import SqlAuditStore
from rag_service.adapters.sql_engine import require_driver
from rag_service.adapters.sql_feedback import SqlFeedbackStore
from rag_service.adapters.sql_keys import SqlKeyStore
from rag_service.adapters.sqlite_catalog import SqliteCatalog
from rag_service.adapters.sqlite_sentence_cache import SqliteSentenceCache
from rag_service.domain.documents import EMBEDDED_TEXT_LAYOUT
from rag_service.domain.errors import ConfigurationError
from rag_service.domain.protocols import (
    AnswerBackend,
    ChatModel,
    DocumentCatalog,
    Embedder,
    FeedbackStore,
    FileIngester,
    KeyStore,
    LexicalIndex,
    Reranker,
    SentenceVectorCache,
    SupportScorer,
    TextAnalyzer,
    TokenCounter,
    VectorStore,
)
from rag_service.services.answering import AnswerService, Rewriter
from rag_service.services.audit import AuditService
from rag_service.services.doc_view import DocumentView
from rag_service.services.drug_synonyms import default_synonyms
from rag_service.services.extractive import ExtractiveAnswerer, ExtractiveConfig
from rag_service.services.indexing import DocumentIndex
from rag_service.services.judge import LlmJudgeScorer
from rag_service.services.llm_answer import ANSWER_PROMPTS, REWRITE_PROMPTS, LlmAnswerer, LlmRewriter
from rag_service.services.phi import redact
from rag_service.services.prompts import DEFAULT_DIR as DEFAULT_PROMPTS
from rag_service.services.prompts import PromptSet
from rag_service.services.reranking import CosineReranker, FeatureReranker, SentenceReranker
from rag_service.services.retrieval import Retriever
from rag_service.services.search import SearchService
from rag_service.services.sentence_vectors import SentenceVectors
from rag_service.services.support import CalibratedSupportScorer
from rag_service.services.support_features import FEATURES
from rag_service.services.support_model import load_support_model
from rag_service.settings import AnswerSettings, RetrievalSettings, Settings, SupportScorerKind


def _needs_llm(answer: AnswerSettings) -> bool:
    return answer.backend == "openai" or answer.support_scorer == "llm_judge"


def check_installed(settings: Settings) -> None:
    """Fail fast when the settings need an optional package that is not installed.

    Raises:
        ConfigurationError: The message names the extra to install.
    """
    if _needs_llm(settings.answer):
        require_llm_client()
    require_driver(settings.feedback_url(), "feedback database")
    if settings.auth.enabled:
        require_driver(key_store_url(settings), "key database")
    if settings.audit.enabled:
        require_driver(settings.audit_url(), "audit database")


@dataclass(slots=True)
class Components:
    """Everything the service and the CLIs share, built from one settings object."""

    settings: Settings
    embedder: Embedder
    tokens: TokenCounter
    catalog: DocumentCatalog
    store: VectorStore
    lexical: LexicalIndex
    analyzer: TextAnalyzer
    index: DocumentIndex
    view: DocumentView
    reranker: Reranker
    feedback: FeedbackStore
    audit: AuditService
    sentence_cache: SentenceVectorCache

    def sentence_vectors(self) -> SentenceVectors:
        """Evidence-text vectors: the cache beside the index in front of this components' encoder."""
        return SentenceVectors(self.embedder, self.sentence_cache)

    def retriever(self) -> Retriever:
        """The evidence retriever over these components (cheap; holds no state of its own)."""
        return Retriever(
            self.settings.retrieval,
            self.embedder,
            self.store,
            self.lexical,
            self.index,
            self.view,
            self.reranker,
            default_synonyms() if self.settings.retrieval.drug_synonyms else None,
        )

    def identity(self) -> dict[str, str]:
        """What an index on disk must have been built with to be reused."""
        s = self.settings
        return {
            "collection": self.store.collection_name,
            "embedding_model": self.embedder.model_id,
            "chunk_tokens": str(s.chunking.chunk_tokens),
            "overlap_tokens": str(s.chunking.overlap_tokens),
            "max_seq_tokens": str(s.embedding.max_seq_tokens),
            "embedded_text_layout": EMBEDDED_TEXT_LAYOUT,
        }

    def search_service(self) -> SearchService:
        """Search with the configured limits."""
        return SearchService(self.settings.retrieval, self.retriever())

    def answer_service(self, search: SearchService) -> AnswerService:
        """Cited, verified answers with the configured backend and support scorer."""
        a = self.settings.answer
        extractive = ExtractiveAnswerer(
            self.embedder,
            self.analyzer,
            ExtractiveConfig(
                max_sentences=a.max_sentences,
                max_words=a.max_words,
                context_lead_in=a.context_lead_in,
                qualifier_weight=a.qualifier_weight,
            ),
            self.sentence_vectors(),
        )
        identity = {
            "settings_hash": self.settings.fingerprint(),
            "embedding_model": self.embedder.model_id,
            "collection": self.store.collection_name,
        }
        backend: AnswerBackend = extractive
        rewriter: Rewriter | None = None
        prompt = ("extractive", hashlib.sha256(a.model_dump_json().encode()).hexdigest()[:16])
        needs_llm = _needs_llm(a)
        prompts = PromptSet(a.prompts_dir or DEFAULT_PROMPTS) if needs_llm else None
        chat = OpenAICompatibleChat(self.settings.llm) if needs_llm else None
        if a.backend == "openai" and prompts is not None and chat is not None:
            redactor = redact if self.settings.privacy.redaction != "off" else None
            backend = LlmAnswerer(chat, prompts, a.max_sentences, redactor)
            rewriter = LlmRewriter(chat, prompts, redactor)
            prompt = ("answer", prompts.digest(*ANSWER_PROMPTS, *REWRITE_PROMPTS))
        return AnswerService(
            a,
            search,
            backend,
            self.support_scorer(prompts, chat),
            self.lexical,
            self.document_versions,
            identity,
            analyzer=self.analyzer,
            prompt=prompt,
            rewriter=rewriter,
            fallback=extractive if a.backend != "extractive" and a.fallback_to_extractive else None,
            refuse_phi=self.settings.privacy.redaction == "strict",
        )

    def support_scorer(
        self,
        prompts: PromptSet | None = None,
        chat: ChatModel | None = None,
        kind: SupportScorerKind | None = None,
    ) -> SupportScorer:
        """The citation-support scorer ``kind`` (default ``answer.support_scorer``); also the evaluation judge."""
        return build_support_scorer(
            self.settings,
            self.embedder,
            self.analyzer,
            kind=kind,
            prompts=prompts,
            chat=chat,
            sentences=self.sentence_vectors(),
        )

    def document_versions(self, doc_ids: Sequence[str]) -> list[dict[str, object]]:
        """Which edition of each document was used: what an audit needs to find it again."""
        out: list[dict[str, object]] = []
        for doc_id in doc_ids:
            record = self.catalog.document(doc_id)
            if record is None:
                continue
            m = record.meta
            out.append(
                {
                    "doc_id": doc_id,
                    "title": m.title,
                    "version": m.version,
                    "year": m.year,
                    "content_hash": record.content_hash[:16],
                    "ingested_at": record.ingested_at,
                }
            )
        return out

    def file_ingester(self) -> FileIngester:
        """Uploaded files through the ingest pipeline (same limits, idempotence and failure isolation)."""
        # Imported here: the ingest package builds on these components, so it cannot be imported at the top.
        from ingest.uploads import UploadIngester

        return UploadIngester(self)

    def open_index(self) -> None:
        """Open the catalog and the vector store, checking both match the settings."""
        identity = self.identity()
        self.catalog.open(identity)
        self.store.open(identity)
        self.lexical.load()

    def writer_lock(self) -> AbstractContextManager[None]:
        """Exclusive right to write to this data directory, across processes."""
        return exclusive_writer(Path(self.settings.data_dir))

    def close(self) -> None:
        """Release the catalog, sentence-vector, feedback-database and audit-database connections."""
        self.catalog.close()
        self.sentence_cache.close()
        self.feedback.close()
        self.audit.close()


def index_dir(settings: Settings) -> Path:
    """Where the catalog and lexical index of the configured collection live."""
    return Path(settings.data_dir) / "index" / settings.collection_name()


def build_reranker(
    settings: RetrievalSettings, lexical: LexicalIndex, analyzer: TextAnalyzer, embedder: Embedder
) -> Reranker:
    """The reranker named by ``settings.reranker``."""
    if settings.reranker == "none":
        return CosineReranker()
    features = FeatureReranker(settings, lexical, analyzer)
    if settings.reranker == "features":
        return features
    if settings.reranker == "sentence":
        return SentenceReranker(features, embedder)
    from rag_service.adapters.cross_encoder import CrossEncoderReranker

    assert settings.rerank_model is not None  # checked by the settings validator
    return CrossEncoderReranker(settings.rerank_model)


def build_support_scorer(
    settings: Settings,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    *,
    kind: SupportScorerKind | None = None,
    prompts: PromptSet | None = None,
    chat: ChatModel | None = None,
    sentences: SentenceVectors | None = None,
) -> SupportScorer:
    """The citation-support scorer ``kind`` (default ``answer.support_scorer``); ``sentences`` gives the
    calibrated scorer cached evidence vectors."""
    a = settings.answer
    kind = kind or a.support_scorer
    if kind == "nli":
        from rag_service.adapters.nli_scorer import NliSupportScorer

        if a.nli_model is None:
            raise ConfigurationError("the 'nli' scorer needs RAG_ANSWER__NLI_MODEL (a local model directory)")
        return NliSupportScorer(a.nli_model, device=settings.embedding.device)
    if kind == "llm_judge":
        prompts = prompts or PromptSet(a.prompts_dir or DEFAULT_PROMPTS)
        return LlmJudgeScorer(chat or OpenAICompatibleChat(settings.llm), prompts)
    return CalibratedSupportScorer(
        embedder, load_support_model(a.support_model, FEATURES), analyzer, sentences
    )


def build_feedback_store(settings: Settings) -> FeedbackStore:
    """The feedback database named by ``feedback.database_url`` (SQLite in the data directory by default)."""
    return SqlFeedbackStore(settings.feedback_url())


def build_audit(settings: Settings) -> AuditService:
    """The audit trail named by ``audit.database_url`` (SQLite in the data directory by default)."""
    return AuditService(
        SqlAuditStore(settings.audit_url()),
        enabled=settings.audit.enabled,
        store_question_text=settings.audit.store_question_text,
        redact_questions=settings.privacy.redaction != "off",
        settings_hash=settings.fingerprint(),
    )


def key_store_url(settings: Settings) -> str:
    """The API-key database: ``auth.database_url``, or a SQLite file in the data directory."""
    return settings.auth.database_url or f"sqlite:///{Path(settings.data_dir).resolve() / 'keys.sqlite3'}"


def build_key_store(settings: Settings) -> KeyStore:
    """The API-key store named by ``auth.database_url`` (SQLite in the data directory by default)."""
    return SqlKeyStore(key_store_url(settings))


def build_components(settings: Settings) -> Components:
    """Construct (but do not open or load) every component."""
    directory = index_dir(settings)
    catalog = SqliteCatalog(directory / "catalog.sqlite3")
    store = ChromaVectorStore(settings)
    lexical = Bm25Index(directory / "bm25")
    cache = SqliteSentenceCache(directory / "sentence_vectors.sqlite3")
    embedder = SentenceTransformerEmbedder(settings.embedding, settings.model_label())
    analyzer = Bm25Analyzer()
    return Components(
        settings=settings,
        embedder=embedder,
        tokens=HfTokenCounter(settings.embedding),
        catalog=catalog,
        store=store,
        lexical=lexical,
        analyzer=analyzer,
        index=DocumentIndex(catalog, store, lexical, cache),
        view=DocumentView(catalog),
        reranker=build_reranker(settings.retrieval, lexical, analyzer, embedder),
        feedback=build_feedback_store(settings),
        audit=build_audit(settings),
        sentence_cache=cache,
    )
