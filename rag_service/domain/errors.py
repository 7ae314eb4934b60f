"""Errors the service and ingestion raise on purpose, each with a message safe to show to a user."""

from __future__ import annotations


class RagError(Exception):
    """Base class: the message is meant for the user and never contains document or question text."""

    code = "internal_error"


class ConfigurationError(RagError):
    """Settings that cannot work, found at start-up."""

    code = "configuration_error"


class IndexMismatchError(ConfigurationError):
    """An existing index was built with another embedding model or chunking than the settings ask for."""

    code = "index_mismatch"


class StoreUnavailableError(RagError):
    """The vector store cannot be reached."""

    code = "store_unavailable"


class DataDirUnwritableError(StoreUnavailableError):
    """The data directory cannot be written: read-only, no permission, or the disk is full."""

    code = "data_dir_unwritable"


class DocumentNotFoundError(RagError):
    """No document with the requested id."""

    code = "document_not_found"


class ModelNotFoundError(RagError):
    """A model id the service does not answer as."""

    code = "model_not_found"


class IngestError(RagError):
    """A file that cannot be ingested; the message says why, in words a user can act on."""

    code = "ingest_error"


class IndexBusyError(RagError):
    """Another process is writing to the same index."""

    code = "index_busy"


class InvalidRequestError(RagError):
    """A request the service cannot take as it is (beyond what the schema checks), e.g. over a limit."""

    code = "invalid_request"


class PhiDetectedError(InvalidRequestError):
    """A question holding patient identifiers while privacy.redaction is 'strict'; the message names the kinds."""

    code = "phi_detected"


class LlmUnavailableError(RagError):
    """The LLM server failed or answered with something unusable."""

    code = "llm_unavailable"


class LlmTimeoutError(LlmUnavailableError):
    """The LLM server did not answer in time."""

    code = "llm_timeout"


class OverloadedError(RagError):
    """Too many answers in progress; the client should retry after ``retry_after_s`` seconds."""

    code = "overloaded"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class RequestCancelledError(RagError):
    """The client went away, so the rest of the work for its request was skipped."""

    code = "client_closed_request"
