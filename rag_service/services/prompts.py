"""Prompt files under ``prompts/``: loaded once, rendered sandboxed with StrictUndefined, hashed for provenance."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from rag_service.domain.errors import ConfigurationError

_HEADER = re.compile(r"^\{#-?\s*prompt:\s*([\w.]+)\s*\|\s*variables:\s*([\w,\s]*?)\s*-?#\}")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "prompts"


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt file: its id, declared variables, source and content hash."""

    id: str
    variables: frozenset[str]
    source: str
    sha256: str


class PromptSet:
    """Every ``*.j2`` prompt of a directory."""

    def __init__(self, directory: Path) -> None:
        self._env = SandboxedEnvironment(
            undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False
        )
        self.prompts: dict[str, Prompt] = {}
        if not directory.is_dir():
            raise ConfigurationError(f"prompt directory {directory} does not exist")
        for path in sorted(directory.glob("*.j2")):
            text = path.read_text(encoding="utf-8")
            header = _HEADER.match(text)
            if header is None:
                raise ConfigurationError(
                    f"{path.name} does not start with a '{{#- prompt: id | variables: ... -#}}' line"
                )
            try:
                self._env.parse(text)
            except TemplateSyntaxError as exc:
                raise ConfigurationError(
                    f"{path.name}: template error on line {exc.lineno}: {exc.message}"
                ) from exc
            variables = frozenset(v.strip() for v in header.group(2).split(",") if v.strip())
            self.prompts[header.group(1)] = Prompt(
                header.group(1), variables, text, hashlib.sha256(text.encode()).hexdigest()
            )

    def render(self, prompt_id: str, **variables: Any) -> str:
        """Render a prompt; the variables given must be exactly the declared ones."""
        prompt = self.prompts.get(prompt_id)
        if prompt is None:
            raise ConfigurationError(f"no prompt '{prompt_id}'")
        if set(variables) != prompt.variables:
            raise ConfigurationError(
                f"prompt '{prompt_id}' declares {sorted(prompt.variables)}, got {sorted(variables)}"
            )
        return self._env.from_string(prompt.source).render(**variables).strip()

    def digest(self, *prompt_ids: str) -> str:
        """A short hash of the named prompts, recorded with every answer that used them."""
        h = hashlib.sha256()
        for pid in prompt_ids:
            h.update(self.prompts[pid].sha256.encode())
        return h.hexdigest()[:16]
