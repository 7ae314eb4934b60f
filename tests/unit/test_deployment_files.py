"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine): their structure is checked instead."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rag_service.settings import Settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_every_service_has_a_healthcheck_and_the_service_waits_for_healthy_dependencies(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"rag", "chroma", "postgres", "llm"}
    for name, service in services.items():
        check = service["healthcheck"]
        assert check["test"][0] == "CMD" and check["interval"] and check["retries"] > 0, name
    rag = services["rag"]
    assert rag["build"] == "."
    assert "/readyz" in " ".join(rag["healthcheck"]["test"])
    depends = rag["depends_on"]
    assert set(depends) == {"chroma", "postgres", "llm"}
    assert all(d["condition"] == "service_healthy" for d in depends.values())
    # Chroma is always there; the optional services are waited for only when their profile runs.
    assert depends["chroma"].get("required", True) is True
    assert depends["postgres"]["required"] is False and depends["llm"]["required"] is False


def test_optional_services_are_profiles_and_the_core_ones_are_not(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["profiles"] == ["postgres"]
    assert services["llm"]["profiles"] == ["llm"]
    assert "profiles" not in services["rag"] and "profiles" not in services["chroma"]


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    mounts = {
        name: {v.split(":", 1)[0] for v in service.get("volumes", [])}
        for name, service in compose["services"].items()
    }
    assert mounts == {
        "chroma": {"chroma-data"},
        "rag": {"rag-data"},
        "postgres": {"postgres-data"},
        "llm": {"llm-models"},
    }
    assert set().union(*mounts.values()) == declared


def test_the_service_environment_is_read_by_the_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose["services"]["rag"]["environment"]
    assert env["RAG_STORE__HOST"] == "chroma" and env["RAG_STORE__PORT"] == "8000"
    # Reached as http://rag:8000 inside the network and through the loopback port outside it.
    assert set(json.loads(env["RAG_API__ALLOWED_HOSTS"])) >= {"rag", "127.0.0.1", "localhost"}
    assert "RAG_AUTH__ENABLED" not in env  # access control stays on
    passed_through = {k for k, v in env.items() if v is None}
    assert {"RAG_FEEDBACK__DATABASE_URL", "RAG_LLM__BASE_URL", "RAG_LLM__MODEL"} <= passed_through
    for key in list(env):
        monkeypatch.delenv(key, raising=False)
    # The fixed values and the profiles' documented ones, as the settings would read them in the container.
    example = {
        "RAG_FEEDBACK__DATABASE_URL": "postgresql://rag:rag@postgres:5432/rag",
        "RAG_ANSWER__BACKEND": "openai",
        "RAG_LLM__BASE_URL": "http://llm:11434/v1",
        "RAG_LLM__MODEL": compose["services"]["llm"]["environment"]["LLM_MODEL"]
        .split(":-", 1)[1]
        .rstrip("}"),
        "RAG_LLM__API_KEY": "unused",
    }
    assert set(example) == passed_through
    for key, value in env.items():
        monkeypatch.setenv(key, example[key] if value is None else str(value))
    settings = Settings()
    assert settings.store.host == "chroma" and settings.store.port == 8000
    assert settings.data_dir == Path("/data") and settings.log_level == "INFO"
    assert settings.feedback_url().startswith("postgresql://") and settings.answer.backend == "openai"
    assert settings.llm.base_url == "http://llm:11434/v1" and settings.llm.model
    assert settings.auth.enabled and "rag" in settings.api.allowed_hosts


def test_the_api_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    assert compose["services"]["rag"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("chroma", "postgres", "llm"):
        assert "ports" not in compose["services"][name], name


def test_the_image_installs_cpu_torch_and_runs_as_a_non_root_user(dockerfile: str) -> None:
    assert dockerfile.startswith("#") and re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert 'ARG TORCH_SPEC="torch==2.13.0"' in dockerfile
    assert 'ARG TORCH_INDEX_URL="https://download.pytorch.org/whl/cpu"' in dockerfile
    torch_install = dockerfile.index('pip install --index-url "${TORCH_INDEX_URL}" "${TORCH_SPEC}"')
    assert torch_install < dockerfile.index('pip install ".[llm,postgres]"')
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/readyz", dockerfile, re.M)
    assert dockerfile.rstrip().splitlines()[-1].startswith('CMD ["rag-serve"')
