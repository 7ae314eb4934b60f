"""How ``rag-serve`` runs the app under uvicorn: keep-alive, request-head and graceful-shutdown timeouts.

uvicorn times out idle keep-alive connections but not a client that sends its request head slowly (slowloris):
such a connection would hold a socket and a parser forever. The protocol classes here arm a timer when a
connection opens (and when the first byte of each later request arrives) and disarm it once the request head
is complete; a head not complete in ``api.header_timeout_s`` gets 408 and the connection is closed. The body
is timed by the ``BodyLimit`` middleware (``api.body_timeout_s``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from rag_service.settings import Settings

log = logging.getLogger(__name__)

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 34\r\n"
    b"connection: close\r\n\r\nthe request head took too long.\r\n\r\n"
)


class _HeadTimeout(asyncio.Protocol):
    """Closes a connection whose request head is not complete within ``head_timeout_s`` seconds.

    Mixed in before uvicorn's protocol class. Both of uvicorn's HTTP protocols replace ``self.cycle`` when a
    request head has been parsed, which is what tells a complete head here.
    """

    head_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None
    _head_cycle: object = None
    _head_bytes: bool = False
    _head_transport: asyncio.BaseTransport | None = None

    def _arm(self) -> None:
        self._head_cycle = getattr(self, "cycle", None)
        self._head_bytes = False
        self._head_timer = asyncio.get_running_loop().call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        transport = self._head_transport
        if (
            transport is None
            or transport.is_closing()
            or getattr(self, "cycle", None) is not self._head_cycle
        ):
            return
        log.info("connection closed: request head not complete in %.0f s", self.head_timeout_s)
        if self._head_bytes and isinstance(transport, asyncio.WriteTransport):
            transport.write(_TIMED_OUT)
        transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._head_transport = transport
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle: Any = getattr(self, "cycle", None)
        if self._head_timer is None and (cycle is None or cycle.response_complete):
            self._arm()  # the first bytes of the next request on a kept-alive connection
        if self._head_timer is not None:
            self._head_bytes = True
        super().data_received(data)
        if self._head_timer is not None and getattr(self, "cycle", None) is not self._head_cycle:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class HeadTimeoutH11(_HeadTimeout, H11Protocol):
    """uvicorn's h11 protocol with a request-head timeout."""


def protocol_class(head_timeout_s: float) -> type[asyncio.Protocol]:
    """The HTTP protocol uvicorn would pick (httptools when installed, else h11) with the head timeout."""
    base: type[_HeadTimeout] = HeadTimeoutH11
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        class HeadTimeoutHttpTools(_HeadTimeout, HttpToolsProtocol):
            """uvicorn's httptools protocol with a request-head timeout."""

        base = HeadTimeoutHttpTools
    except ImportError:  # httptools is optional in uvicorn
        pass
    return type(base.__name__, (base,), {"head_timeout_s": head_timeout_s})


def uvicorn_config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration ``rag-serve`` runs with (logging is configured by the service itself)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=protocol_class(settings.api.header_timeout_s),
        timeout_keep_alive=max(1, round(settings.api.timeout_keep_alive_s)),
        timeout_graceful_shutdown=10,
    )


def serve(app: Any, settings: Settings, host: str, port: int) -> None:
    """Run ``app`` until interrupted."""
    uvicorn.Server(uvicorn_config(app, settings, host, port)).run()
