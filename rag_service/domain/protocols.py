"""Protocols of the pluggable backends. Adapters implement them; services depend only on these."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rag_service.domain.answers import Draft, SupportResult
from rag_service.domain.audit import AuditRecord
from rag_service.domain.auth import ApiKey
from rag_service.domain.documents import Chunk, ChunkedDocument, DocumentMeta
from rag_service.domain.feedback import Feedback
from rag_service.domain.retrieval import Candidate, Evidence, SearchFilters
from rag_service.domain.uploads import IncomingFile, UploadResult

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns text into L2-normalised vectors."""

    @property
    def model_id(self) -> str:
        """A stable name of the model, recorded in the index and with every answer."""
        ...

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory (what readiness reports)."""
        ...

    def warm_up(self) -> None:
        """Load the model; called once by the app lifespan or the CLI, never at import."""
        ...

    def dimension(self) -> int:
        """Length of the vectors."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages, one row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one query, a single row."""
        ...


class TokenCounter(Protocol):
    """Counts tokens the way the embedding model does, so chunks fit the encoder."""

    def count(self, text: str) -> int:
        """Number of model tokens in ``text`` (without special tokens)."""
        ...


@dataclass(frozen=True, slots=True)
class VectorHit:
    """One stored passage: a dense search result (with its cosine score) or a fetched record."""

    chunk_id: str
    score: float
    text: str
    metadata: dict[str, str | int | float | bool]
    vector: Vectors | None = None


class VectorStore(Protocol):
    """Holds passage vectors with their text and provenance metadata."""

    @property
    def collection_name(self) -> str:
        """Name of the collection in use."""
        ...

    def open(self, identity: Mapping[str, str | int]) -> None:
        """Connect and open (or create) the collection, refusing one built with another model or chunking."""
        ...

    def ping(self) -> bool:
        """True when the store answers."""
        ...

    def upsert(self, docs: Sequence[tuple[DocumentMeta, Sequence[Chunk]]], vectors: Vectors) -> None:
        """Write passages; rows of ``vectors`` follow the chunks in order."""
        ...

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove passages by id; unknown ids are ignored."""
        ...

    def ids(self) -> set[str]:
        """Every stored passage id."""
        ...

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of the given passage ids are stored."""
        ...

    def count(self) -> int:
        """Number of stored passages."""
        ...

    def query(
        self,
        vector: Vectors,
        k: int,
        filters: SearchFilters | None = None,
        excluded: Collection[str] = (),
    ) -> list[VectorHit]:
        """Nearest passages to one query vector, best first, among documents passing the filters.

        ``excluded`` lists further document ids to leave out (e.g. superseded editions).
        """
        ...

    def fetch(self, chunk_ids: Sequence[str]) -> list[VectorHit]:
        """Stored passages by id, with their vectors; unknown ids are skipped."""
        ...


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What the catalog knows of one document."""

    meta: DocumentMeta
    content_hash: str
    status: str
    chunk_count: int
    file_path: str | None
    ingested_at: str


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the catalog knows of one ingested file."""

    path: str
    sha256: str
    size: int
    doc_ids: tuple[str, ...]


class DocumentCatalog(Protocol):
    """The transactional record of what is indexed: documents, passages and their files.

    It is the source of truth for the lexical index and for consistency: a document is only ``complete``
    once its vectors are written, and every passage id that may exist in the vector store is listed here.
    """

    def open(self, identity: Mapping[str, str]) -> None:
        """Open (or create) the catalog, refusing one built for another collection, model or chunking."""
        ...

    def close(self) -> None:
        """Release the catalog's resources."""
        ...

    def file(self, path: str) -> FileRecord | None:
        """The record of a file, if it was ingested."""
        ...

    def files(self) -> list[FileRecord]:
        """Every ingested file."""
        ...

    def document(self, doc_id: str) -> DocumentRecord | None:
        """One document, complete or pending."""
        ...

    def documents(self, *, offset: int = 0, limit: int | None = None) -> list[DocumentRecord]:
        """Documents ordered by id."""
        ...

    def document_count(self) -> int:
        """Number of documents."""
        ...

    def documents_of_file(self, path: str) -> list[str]:
        """Ids of the documents that came from one file."""
        ...

    def unfinished(self) -> list[str]:
        """Ids of documents whose last write or delete did not finish."""
        ...

    def chunk_count(self) -> int:
        """Passages of complete documents."""
        ...

    def chunk_ids(self, doc_id: str) -> set[str]:
        """Ids of every passage recorded for a document, including ones of an unfinished write."""
        ...

    def chunk_rows(self, doc_id: str) -> list[tuple[str, int, str, str, int | None]]:
        """(chunk id, ordinal, text, heading, page) of a document's passages, in reading order."""
        ...

    def begin_documents(self, docs: Sequence[ChunkedDocument], file_paths: Sequence[str | None]) -> None:
        """Mark documents pending and record their new passages before any vector is written."""
        ...

    def complete_documents(self, docs: Sequence[ChunkedDocument], file_paths: Sequence[str | None]) -> None:
        """Keep only the new passages of each document and mark it complete."""
        ...

    def begin_delete(self, doc_ids: Iterable[str]) -> None:
        """Mark documents as being deleted."""
        ...

    def finish_delete(self, doc_ids: Iterable[str]) -> None:
        """Forget documents and their passages."""
        ...

    def record_files(self, files: Sequence[FileRecord]) -> None:
        """Remember files as fully ingested."""
        ...

    def forget_files(self, paths: Iterable[str]) -> None:
        """Forget files (their documents are deleted separately)."""
        ...

    def lexical_version(self) -> int:
        """A counter bumped by every change of passages."""
        ...

    def iter_passages(self) -> Iterable[tuple[str, str, str]]:
        """(document id, document source, passage text as stored) of every passage of a complete document."""
        ...

    def iter_complete_chunks(self) -> Iterable[tuple[str, str, str]]:
        """(chunk id, document id, keyword text) of every passage of a complete document.

        The keyword text is the passage with its document title and heading path, so a query naming the
        topic matches passages that only mention it in a heading.
        """
        ...


class TextAnalyzer(Protocol):
    """Turns texts into the terms keyword matching compares, exactly as the lexical index sees them.

    Term coverage (reranking, extractive answers, support features, conflicts) must agree with the index's
    vocabulary and idf, so the analysis belongs to the lexical backend rather than to the services.
    """

    def analyze_texts(self, texts: Sequence[str]) -> list[list[str]]:
        """The terms of each text, in order (lower-cased, stop words removed, stemmed)."""
        ...


class LexicalIndex(Protocol):
    """Keyword (BM25) index over the catalog's passages."""

    def rebuild(self, items: Iterable[tuple[str, str, str]], version: int) -> int:
        """Rebuild from (chunk id, document id, text) and persist; returns the number of passages indexed."""
        ...

    def version(self) -> int | None:
        """Catalog version the persisted index was built from, or None when there is none."""
        ...

    def loaded_version(self) -> int | None:
        """Catalog version of the index held in memory, or None when none is loaded."""
        ...

    def built_count(self) -> int | None:
        """Passages in the persisted index, or None when there is none (to say how stale a stale one is)."""
        ...

    def load(self) -> None:
        """Load the persisted index into memory."""
        ...

    def search(
        self, query: str, k: int, allowed_docs: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best (chunk id, score) pairs for a query, only from ``allowed_docs`` when given."""
        ...

    def analyze(self, text: str) -> list[str]:
        """The index's terms of a text (lower-cased, stop words removed, stemmed), in order."""
        ...

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """Inverse document frequency of each term; terms the index has never seen get the highest."""
        ...


class Reranker(Protocol):
    """Scores fused candidates for relevance to the question, in [0, 1]; higher is better."""

    @property
    def name(self) -> str:
        """Which reranker this is, reported with every result."""
        ...

    def warm_up(self) -> None:
        """Load any model; called once at start-up."""
        ...

    def score(self, query: str, query_vector: Vectors, candidates: Sequence[Candidate]) -> list[float]:
        """Relevance of each candidate (its ``cosine`` is already set), in the same order."""
        ...


class AnswerBackend(Protocol):
    """Writes a draft answer from numbered evidence; every sentence should carry ``[n]`` markers."""

    @property
    def name(self) -> str:
        """Backend name, recorded with every answer."""
        ...

    @property
    def model(self) -> str:
        """Model behind the backend, recorded with every answer."""
        ...

    def draft(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """A draft citing ``evidence[n - 1]`` as ``[n]``."""
        ...


class SupportClaim(Protocol):
    """A sentence and the passages it cites."""

    @property
    def text(self) -> str:
        """The sentence."""
        ...

    @property
    def passages(self) -> tuple[str, ...]:
        """Texts of the cited passages."""
        ...


class SentenceVectorCache(Protocol):
    """Vectors of evidence text (passages and their sentences), computed once and kept beside the index.

    Keys are content hashes of the text, so a sentence shared by documents is stored once; each document's
    keys are recorded so that deleting the document removes the vectors only it used. Never holds question
    or answer text.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vector of each key that has one."""
        ...

    def put_many(
        self, items: Sequence[tuple[str, npt.NDArray[np.float32]]], doc_id: str | None = None
    ) -> None:
        """Store vectors (existing keys are kept); with ``doc_id``, record that the document uses them."""
        ...

    def forget(self, doc_ids: Sequence[str]) -> int:
        """Drop the documents' records and every vector no remaining document uses; returns vectors dropped."""
        ...

    def count(self) -> int:
        """How many vectors are stored."""
        ...

    def close(self) -> None:
        """Release the storage (it reopens on next use)."""
        ...


class SupportScorer(Protocol):
    """Judges whether cited passages support each sentence; scores in [0, 1]."""

    @property
    def name(self) -> str:
        """Scorer name, recorded with every answer."""
        ...

    @property
    def version(self) -> str:
        """What exactly scored (a fitted model's version, a model directory, a judge's model and prompt hash)."""
        ...

    def warm_up(self) -> None:
        """Load any model; called once at start-up (scoring warms up on first use otherwise)."""
        ...

    def score(self, claims: Sequence[SupportClaim]) -> list[SupportResult]:
        """One result per claim, in order."""
        ...


class ChatModel(Protocol):
    """A chat-completion model: messages in, text out."""

    @property
    def model(self) -> str:
        """Model name, recorded with every answer."""
        ...

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        """The reply to (role, content) messages; raises LlmUnavailableError or LlmTimeoutError."""
        ...


class FeedbackStore(Protocol):
    """Durable record of feedback on answers (SQLite by default, PostgreSQL by URL)."""

    def add(self, feedback: Feedback) -> None:
        """Store one piece of feedback; creates the table on first use."""
        ...

    def since(self, start: datetime) -> list[Feedback]:
        """Feedback created at or after ``start`` (timezone-aware), oldest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class FileIngester(Protocol):
    """Ingests uploaded files with the same pipeline, limits and idempotence as ``rag-ingest``."""

    def ingest_uploads(self, files: Sequence[IncomingFile]) -> list[UploadResult]:
        """One result per file, in order; a failing file never stops the others."""
        ...


class AuditStore(Protocol):
    """The append-only audit trail (SQLite by default, PostgreSQL by URL); records are never changed or removed."""

    def append(self, record: AuditRecord) -> None:
        """Store one record; creates the table on first use. Raises AuditUnavailableError when it cannot."""
        ...

    def export(self, since: datetime, until: datetime | None = None) -> Iterator[AuditRecord]:
        """Records with ``since <= time < until`` (timezone-aware), oldest first, read in batches."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class KeyStore(Protocol):
    """API keys as records plus the SHA-256 of each token (SQLite by default, PostgreSQL by URL)."""

    def add(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key; raises KeyExistsError when the name is taken (revoked keys keep theirs)."""
        ...

    def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        ...

    def candidates(self, prefix: str) -> list[tuple[ApiKey, str]]:
        """The keys (with their stored hashes) whose token starts with ``prefix``; usually one or none."""
        ...

    def revoke(self, name: str, at: datetime) -> ApiKey:
        """Mark a key revoked at ``at`` (its row stays); an already revoked key is returned unchanged.
        Raises KeyNotFoundError for an unknown name."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
