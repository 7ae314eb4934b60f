"""Settings come from the environment, fail fast, and name the collection after model and chunking."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag_service.settings import Settings

pytestmark = pytest.mark.unit


def test_environment_variables_with_prefix_and_nesting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAG_EMBEDDING__BATCH_SIZE", "7")
    monkeypatch.setenv("RAG_STORE__HOST", "chroma")
    s = Settings()
    assert (s.data_dir, s.embedding.batch_size, s.store.host, s.api.port) == (tmp_path, 7, "chroma", 8000)


def test_collection_name_follows_model_and_chunking() -> None:
    a = Settings()
    b = Settings(chunking={"chunk_tokens": 300, "overlap_tokens": 32})
    assert a.collection_name() == "rag_all-minilm-l6-v2_c200o32s256t1"
    assert b.collection_name() != a.collection_name()
    assert a.fingerprint() != b.fingerprint()


def test_the_encoder_input_limit_is_part_of_the_collection() -> None:
    a = Settings()
    b = Settings(embedding={"max_seq_tokens": 128})
    assert b.collection_name() == "rag_all-minilm-l6-v2_c200o32s128t1"
    assert a.fingerprint() != b.fingerprint()


def test_local_model_directory_changes_the_collection(tmp_path: Path) -> None:
    model = tmp_path / "My Model"
    model.mkdir()
    s = Settings(embedding={"model": str(model)})
    assert "my-model-" in s.collection_name()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"embedding": {"model": "/no/such/model"}},
        {"chunking": {"chunk_tokens": 100, "overlap_tokens": 100}},
        {"store": {"collection_prefix": "bad prefix!"}},
        {"api": {"port": 0}},
    ],
)
def test_nonsense_fails_fast(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**kwargs)  # type: ignore[arg-type]


def test_the_fingerprint_follows_answer_settings_not_access_or_deployment() -> None:
    base = Settings()
    same = Settings(auth={"enabled": False}, api={"allowed_hosts": ["rag"], "port": 9000}, log_level="DEBUG")
    assert same.fingerprint() == base.fingerprint()
    assert Settings(answer={"max_sentences": 2}).fingerprint() != base.fingerprint()
    assert Settings(retrieval={"drug_synonyms": False}).fingerprint() != base.fingerprint()
