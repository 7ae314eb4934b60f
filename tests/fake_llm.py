"""A scripted OpenAI-compatible chat server for tests: `python -m tests.fake_llm --port N`.

It reads the numbered passages out of the answer prompt and replies according to a scenario word found in
the question (SCENARIO-good, -yes, -outofrange, -number, -malformed, -insufficient, -timeout, -500, -garbage), so
the service's parsing, verification, abstention and error handling run against a real HTTP server.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
JUDGE_PASSAGE = re.compile(r'<passage number="(\d+)">\n(.*?)\n</passage>', re.S)
STATEMENT = re.compile(r"^(\d+)\. \(passages ([\d, ]+)\) (.*)$", re.M)
SCENARIO = re.compile(r"SCENARIO-([a-z0-9]+)")
app = FastAPI()
calls: list[dict[str, Any]] = []


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0].rstrip(".")


def reply_for(messages: list[dict[str, Any]]) -> str | None:
    system = messages[0]["content"] if messages else ""
    user = messages[-1]["content"] if messages else ""
    if "standalone question" in system:
        return "Which vasopressor is started for adults in septic shock?"
    if "supports statements" in system:
        judged = {int(n): " ".join(t.lower().split()) for n, t in JUDGE_PASSAGE.findall(user)}
        lines = []
        for n, cited, text in STATEMENT.findall(user.split("Statements:", 1)[1]):
            evidence = " ".join(judged.get(int(c), "") for c in cited.split(","))
            found = text.strip().rstrip(".").lower() in evidence
            lines.append(f"{n}: {'SUPPORTED' if found else 'UNSUPPORTED'}")
        return "\n".join(lines)
    scenario = SCENARIO.search(user) or SCENARIO.search(system)
    kind = scenario.group(1) if scenario else "good"
    passages = {int(n): t for n, t in PASSAGE.findall(user)}
    one = first_sentence(passages.get(1, "Nothing"))
    two = first_sentence(passages.get(2, passages.get(1, "Nothing")))
    if kind == "good":
        return f"{one} [1]. {two} [2]."
    if kind == "yes":
        return f"Yes, {one[:1].lower()}{one[1:]} [1]."
    if kind == "outofrange":
        return f"{one} [1][9]. {two} [2]."
    if kind == "number":
        changed = re.sub(r"\d+", lambda m: str(int(m.group()) * 3 + 1), one, count=1)
        return f"{changed} [1]. {one} [1]. {two} [2]."
    if kind == "malformed":
        return f"{one} (1). {two} [two]. Antibiotics are always required [ 1 ]."
    if kind == "insufficient":
        return "INSUFFICIENT_EVIDENCE"
    if kind == "garbage":
        return "\x00\x01 ### {}[]"
    return None


@app.post("/v1/chat/completions")
async def completions(request: Request) -> Any:
    body = await request.json()
    calls.append(body)
    user = body["messages"][-1]["content"] if body.get("messages") else ""
    if "SCENARIO-timeout" in user:
        await asyncio.sleep(5)
    if "SCENARIO-500" in user:
        return PlainTextResponse("upstream exploded", status_code=500)
    content = reply_for(body.get("messages", []))
    return JSONResponse(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


@app.get("/calls")
async def recorded() -> list[dict[str, Any]]:
    return calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
