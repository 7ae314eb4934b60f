"""Chat model over any OpenAI-compatible server, through LangChain's ChatOpenAI client.

LangChain objects stay in this module: callers pass (role, content) pairs and get text back.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from typing import Any

from rag_service.domain.errors import ConfigurationError, LlmTimeoutError, LlmUnavailableError
from rag_service.settings import LlmSettings

log = logging.getLogger(__name__)

MISSING_CLIENT = (
    "the LLM client (langchain-openai) is not installed; answer.backend='openai' and "
    "support_scorer='llm_judge' need the 'llm' extra: pip install -e '.[llm]'"
)
_CLIENT_MODULES = ("langchain_openai", "openai")


def require_llm_client() -> None:
    """Check the optional LLM client is installed, without importing it.

    Raises:
        ConfigurationError: It is not; the message names the extra to install.
    """
    for name in _CLIENT_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken install, or a module blocked in sys.modules
            found = False
        if not found:
            raise ConfigurationError(MISSING_CLIENT)


class OpenAICompatibleChat:
    """Completions from vLLM, Ollama, llama.cpp server, TGI, OpenAI or Azure, with timeouts and retries.

    Raises:
        ConfigurationError: On construction, when the 'llm' extra is not installed.
    """

    def __init__(self, settings: LlmSettings) -> None:
        require_llm_client()
        self._s = settings
        self._client: Any = None

    @property
    def model(self) -> str:
        return self._s.model or ""

    def _chat(self) -> Any:
        if self._client is None:
            try:
                from langchain_openai import ChatOpenAI
            except ImportError as exc:
                raise ConfigurationError(MISSING_CLIENT) from exc

            self._client = ChatOpenAI(
                model=self._s.model,
                base_url=self._s.base_url,
                api_key=self._s.api_key,
                timeout=self._s.timeout_s,
                max_retries=self._s.max_retries,
                temperature=self._s.temperature,
                max_completion_tokens=self._s.max_tokens,
            )
        return self._client

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        chat = self._chat()
        import openai  # installed with langchain-openai, which _chat() has just imported

        try:
            reply = chat.invoke(list(messages))
        except openai.APITimeoutError as exc:
            raise LlmTimeoutError(f"the LLM server did not answer within {self._s.timeout_s:g} s") from exc
        except openai.APIStatusError as exc:
            raise LlmUnavailableError(f"the LLM server answered HTTP {exc.status_code}") from exc
        except openai.APIConnectionError as exc:
            raise LlmUnavailableError("the LLM server cannot be reached") from exc
        except openai.OpenAIError as exc:
            raise LlmUnavailableError(f"the LLM call failed: {type(exc).__name__}") from exc
        content = reply.content
        if isinstance(content, list):  # content blocks: keep the text ones
            content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
        if not isinstance(content, str):
            raise LlmUnavailableError("the LLM server returned no text")
        return content
