"""Our own types for files uploaded through the API: what arrives and what became of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Literal

UploadStatus = Literal["ingested", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """One uploaded file: the name the client gave and its content, read in pieces."""

    filename: str
    content: BinaryIO


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What one uploaded file became: its documents and passages, or why it failed."""

    filename: str
    status: UploadStatus
    doc_ids: tuple[str, ...] = ()
    passages: int = 0
    error: str | None = None
