"""The bundled demo corpus: clinical guideline summaries shipped in the open-medicine package (MIT).

They are a third party's summaries of published guidelines, useful to try the service; they are not
clinical guidance and must not be used for patient care.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag_service.domain.errors import ConfigurationError

DISCLAIMER = (
    "Demo text: third-party summary of a published guideline (open-medicine, MIT). Not for clinical use."
)


def demo_root() -> Path:
    """Folder of the guideline summaries inside the installed open-medicine package."""
    try:
        import open_medicine
    except ImportError as exc:
        raise ConfigurationError(
            "the demo corpus needs the package open-medicine (pip install open-medicine)"
        ) from exc
    root = Path(open_medicine.__file__).parent / "guidelines" / "content"
    if not root.is_dir():
        raise ConfigurationError(f"open-medicine is installed but has no guideline folder at {root}")
    return root


class DemoMetadata:
    """Per-file metadata for the demo corpus, from the package's own guideline registry."""

    def __init__(self, root: Path) -> None:
        registry = root.parent / "registry.json"
        entries = json.loads(registry.read_text()) if registry.is_file() else []
        self._by_id: dict[str, dict[str, Any]] = {
            e["id"]: e for e in entries if isinstance(e, dict) and "id" in e
        }

    def __call__(self, path: Path) -> Mapping[str, Any]:
        guideline = path.parent.name
        entry = self._by_id.get(guideline, {})
        meta: dict[str, Any] = {
            "doc_id": f"open-medicine.{guideline}.{path.stem}",
            "doc_type": "guideline",
            "series_id": f"open-medicine.{guideline}",
            "extra": {"corpus": "open-medicine", "disclaimer": DISCLAIMER},
        }
        if entry.get("title"):
            meta["title"] = entry["title"]
        if entry.get("organization"):
            meta["organisation"] = entry["organization"]
        if isinstance(entry.get("year"), int):
            meta["year"] = entry["year"]
            meta["version"] = str(entry["year"])
        if entry.get("doi"):
            meta["doi"] = entry["doi"]
            meta["url"] = f"https://doi.org/{entry['doi']}"
        return meta
