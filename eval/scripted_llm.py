"""A scripted OpenAI-compatible chat server that answers PubMedQA questions like a model would.

Run::

    python -m eval.scripted_llm --scenario faithful|hallucinate --pubmedqa PATH --port N [--seed S] [--log PATH]
        [--delay-s SECONDS]

``faithful`` answers with the authors' conclusion, each sentence cited to passages of its own abstract;
``hallucinate`` makes one seeded alteration to that answer (a number, a negation or a citation) and records
it in the ``--log`` JSONL file and at ``GET /alterations``. See :mod:`eval.llm_scenarios`. ``--delay-s``
holds every chat reply back that long (a slow model server, for ``eval.bench_faults llm``). The server binds
to 127.0.0.1 only and logs no request content.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from eval.llm_scenarios.answers import PubMedQaKey
from eval.llm_scenarios.model import SCENARIOS, ScriptedModel


class ChatRequest(BaseModel):
    """The part of an OpenAI chat-completions request the scripted model reads."""

    model_config = ConfigDict(extra="allow")

    model: str = "scripted"
    messages: list[dict[str, Any]]


def completion(model: str, content: str) -> dict[str, Any]:
    """An OpenAI chat-completion response carrying ``content`` (fixed id and time: replies are reproducible)."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def create_app(scripted: ScriptedModel, delay_s: float = 0.0) -> FastAPI:
    """The HTTP app serving ``scripted``, each chat reply held back ``delay_s`` seconds."""
    app = FastAPI(title=f"Scripted LLM ({scripted.scenario})")

    @app.post("/v1/chat/completions")
    async def chat_completions(request: ChatRequest) -> dict[str, Any]:
        """Reply to the last message as the scripted model."""
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        return completion(request.model, scripted.reply(request.messages))

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        """The one model served (also the readiness probe)."""
        return {"object": "list", "data": [{"id": f"scripted-{scripted.scenario}", "object": "model"}]}

    @app.get("/alterations")
    async def alterations() -> list[dict[str, Any]]:
        """Every alteration made so far, in order."""
        return scripted.alterations

    return app


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the PubMedQA items and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.scripted_llm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument(
        "--pubmedqa", type=Path, required=True, help="PubMedQA PQA-L JSON the questions are from"
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0, help="seeds the choice of alteration (with the PMID)")
    parser.add_argument(
        "--log", type=Path, default=None, help="JSONL file of the alterations (emptied first)"
    )
    parser.add_argument(
        "--delay-s", type=float, default=0.0, help="seconds every chat reply is held back (a slow server)"
    )
    args = parser.parse_args(argv)
    if not args.pubmedqa.is_file():
        print(f"scripted_llm: {args.pubmedqa}: no such file", file=sys.stderr)
        return 2
    if args.log is not None:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text("", encoding="utf-8")
    scripted = ScriptedModel(PubMedQaKey.load(args.pubmedqa), args.scenario, args.seed, args.log)
    uvicorn.run(
        create_app(scripted, args.delay_s),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
