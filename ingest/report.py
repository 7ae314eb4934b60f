"""The summary an ingest run prints, as a table or as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Failure:
    """One file (or one record of a file) that was not ingested, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """Counts of one run. ``failed`` lists every problem; the run's exit status is non-zero when it is not empty.

    ``chunks_written`` counts passages that got a new vector; passages of an edited document that did not
    change keep their stored vector and are not counted. ``warnings`` names documents that were ingested
    but deserve a look (instruction-like text in a passage); they do not make the run fail.
    """

    files_seen: int = 0
    ingested: int = 0
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    chunks_written: int = 0
    documents_written: int = 0
    documents_unchanged: int = 0
    documents_deleted: int = 0
    files_pruned: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[Failure] = field(default_factory=list)

    def warn(self, path: str, message: str) -> None:
        """Record a warning about a file that was ingested all the same."""
        self.warnings.append(Failure(path, message))

    def fail(self, path: str, reason: str) -> None:
        """Record a failure."""
        self.failed.append(Failure(path, reason))

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not interrupted."""
        return not self.failed and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return asdict(self)
