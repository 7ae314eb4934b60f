"""What every answering route holds while it answers: a slot, and a flag raised when its client goes away.

* **Slots** (``api.max_concurrent_answers``): each answer embeds, retrieves, reranks and verifies, holding
  tensors and passages in memory; bounding how many run at once bounds peak memory under a burst. A request
  waits up to ``api.answer_queue_s`` for a slot, then gets 503 ``overloaded`` with ``Retry-After``.
* **Disconnects**: a task on the event loop watches for ``http.disconnect`` while the (synchronous) answer
  runs in a worker thread; the answer service asks the flag between its steps and stops, so a client that
  gave up does not keep the LLM, the support scorer and a slot busy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request

from rag_service.api.state import ServiceState
from rag_service.domain.errors import OverloadedError

RETRY_AFTER_S = 2


async def _watch(request: Request, gone: threading.Event) -> None:
    # A receive that waits, not Request.is_disconnected(): that one only sees a message that is ready without
    # waiting, which never holds behind a middleware relaying receive through a task. The body has been read
    # by now, so what comes next is the disconnect (uvicorn also sends it once the response is complete, by
    # which time this task has been cancelled).
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
        await asyncio.sleep(0)


async def _take(slots: asyncio.Semaphore, wait_s: float) -> None:
    if not slots.locked():
        await slots.acquire()
        return
    try:
        if wait_s <= 0:
            raise TimeoutError
        await asyncio.wait_for(slots.acquire(), timeout=wait_s)
    except TimeoutError:
        raise OverloadedError(
            "too many answers are being computed; retry shortly", retry_after_s=RETRY_AFTER_S
        ) from None


async def answer_guard(request: Request) -> AsyncIterator[Callable[[], bool]]:
    """Hold an answer slot and watch the client; yields the ``cancelled`` check for ``AnswerService.ask``."""
    state: ServiceState = request.app.state.service
    slots = state.answer_slots
    if slots is not None:
        await _take(slots, state.components.settings.api.answer_queue_s)
    gone = threading.Event()
    watcher = asyncio.create_task(_watch(request, gone))
    try:
        yield gone.is_set
    finally:
        watcher.cancel()
        if slots is not None:
            slots.release()


# scope="function": the slot is given back as soon as the answer is computed, before the response is sent.
CancelledDep = Annotated[Callable[[], bool], Depends(answer_guard, scope="function")]
