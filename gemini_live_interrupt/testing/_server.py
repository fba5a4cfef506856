"""FakeLiveServer: an offline Gemini Live (BidiGenerateContent) endpoint the real SDK talks to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

from google.genai import Client, types
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ._script import DEFAULT_REPLY, Script
from ._session import ServerSession
from ._timing import ServiceTiming
from ._tls import make_tls_pair
from ._transport import Transport
from ._types import ClientMessage, Context, ModelTurn, Quirks, Replies, ToolCall

__all__ = ["DEFAULT_REPLY", "FakeLiveServer"]

logger = logging.getLogger("gemini_live_interrupt.testing")


class FakeLiveServer:
    """A local TLS WebSocket server speaking the Live API's BidiGenerateContent protocol.

    The unmodified ``google.genai`` SDK connects to it through :meth:`client` (or
    :attr:`http_options`) and cannot tell it from the real endpoint. A scripted model answers
    with ``replies``, spoken as paced PCM audio with output transcription; user speech (realtime
    text, or realtime audio through an energy VAD) interrupts it as the service does.

    Args:
        replies: the model's replies in order (each a string, a :class:`ToolCall`, or a
            function of the context returning one), or one such function for every reply.
            Once a list is exhausted the model says ``"OK."``.
        speed: multiple of real time at which model audio is sent; every delay of ``timing``
            is divided by it too, so a test runs ``speed`` times faster than a conversation.
        chunk_seconds: audio seconds per ``inlineData`` chunk.
        user_transcripts: what successive user *audio* utterances say (their input
            transcription, and what the model hears).
        timing: when the service reacts; ``None`` is :meth:`ServiceTiming.field`, the timings
            reported for the real service. :meth:`ServiceTiming.instant` reacts at once.
        quirks: service behaviours; ``None`` picks :meth:`Quirks.for_model` per connection.
        seed: seeds the random draws of ``timing`` (the same seed, the same run).

    Example::

        async with FakeLiveServer(replies=["Hello there, friend."], speed=20) as server:
            async with server.client().aio.live.connect(model=MODEL, config=CONFIG) as s:
                await s.send_realtime_input(text="Hi")
                async for message in s.receive():
                    ...
    """

    def __init__(
        self,
        replies: Replies = (),
        *,
        speed: float = 1.0,
        chunk_seconds: float = 0.04,
        user_transcripts: Sequence[str] = (),
        timing: ServiceTiming | None = None,
        quirks: Quirks | None = None,
        seed: int | None = 0,
    ) -> None:
        for name, value in (("speed", speed), ("chunk_seconds", chunk_seconds)):
            if not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if isinstance(replies, str | ToolCall):
            raise TypeError(f"replies must be a sequence or a callable, got {replies!r}")
        if timing is not None and not isinstance(timing, ServiceTiming):
            raise TypeError(f"timing must be a ServiceTiming or None, got {timing!r}")
        if quirks is not None and not isinstance(quirks, Quirks):
            raise TypeError(f"quirks must be a Quirks or None, got {quirks!r}")
        self.timing = timing if timing is not None else ServiceTiming.field()
        self._script = Script(
            replies, user_transcripts=user_transcripts, speed=speed,
            chunk_seconds=chunk_seconds, timing=self.timing, quirks=quirks, seed=seed,
            on_change=self.notify,
        )
        self.speed = speed
        self.chunk_seconds = chunk_seconds
        self.quirks = quirks

        self.received: list[ClientMessage] = self._script.received
        """Every client frame, in order of arrival, across connections."""
        self.turns: list[ModelTurn] = self._script.turns
        """Every model turn across connections."""

        self._tls = make_tls_pair()
        self._server: Server | None = None
        self._port = 0
        self._connections: list[Transport] = []
        self._changed = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening on ``127.0.0.1`` (an ephemeral port). ``async with`` calls it."""
        if self._server is not None:
            raise RuntimeError("FakeLiveServer already started")
        self._script.restart_clock()
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            ssl=self._tls.server,
            process_request=self._check_path,
            max_size=16 * 2**20,
        )
        self._port = self._server.sockets[0].getsockname()[1] if self._server.sockets else 0
        logger.debug("offline Live server listening on %s", self.url)

    async def close(self) -> None:
        """Close every connection (code 1001) and stop listening. ``async with`` calls it."""
        for conn in list(self._connections):
            await conn.close(1001, "Server shutting down.")
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- client side -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``: the ``base_url`` for the SDK."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def ssl_context(self) -> Any:
        """A client-side ``ssl.SSLContext`` that trusts the server's throwaway CA."""
        return self._tls.client

    @property
    def http_options(self) -> types.HttpOptions:
        """``HttpOptions`` pointing the SDK at this server, for users who build their Client."""
        return types.HttpOptions(
            base_url=self.url, async_client_args={"ssl": self._tls.client}
        )

    def client(self) -> Client:
        """A ``google.genai.Client`` (API key ``"fake-key"``) connected to this server."""
        return Client(api_key="fake-key", http_options=self.http_options)

    # -- state -------------------------------------------------------------------------------

    @property
    def context(self) -> Context:
        """What the model knows in the most recent session (the live list)."""
        return self._script.latest_context

    def now(self) -> float:
        """Seconds since the server started (``time.monotonic`` based)."""
        return self._script.now()

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` is true; it is re-evaluated on every state change.

        Raises:
            TimeoutError: still false after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition still false after {timeout} s")
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    def notify(self) -> None:
        """Wake :meth:`wait_for` waiters (called on every state change)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # -- fault injection ---------------------------------------------------------------------

    async def go_away(self, time_left: str = "10s") -> None:
        """Send ``goAway {timeLeft}`` on every open connection (the connection stays open)."""
        for conn in self._open():
            conn.session.send_message({"goAway": {"timeLeft": time_left}})
            await conn.flush()

    async def drop(self, code: int = 1011, reason: str = "Internal error encountered.") -> None:
        """Close every open connection with ``code`` (1006: drop TCP without a close frame)."""
        for conn in self._open():
            await conn.close(code, reason)

    async def send_raw(self, data: bytes | str) -> None:
        """Send ``data`` as one frame (bytes: binary, str: text) on every open connection."""
        for conn in self._open():
            await conn.send_raw(data)

    async def phantom_interrupt(self) -> None:
        """Send ``serverContent.interrupted`` with no user speech behind it."""
        for conn in self._open():
            conn.session.send_message({"serverContent": {"interrupted": True}})
            await conn.flush()

    def _open(self) -> Iterator[Transport]:
        return iter([c for c in self._connections if not c.closed])

    # -- websocket plumbing ------------------------------------------------------------------

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0].rstrip("/")
        if path.endswith(("BidiGenerateContent", "BidiGenerateContentConstrained")):
            return None
        logger.warning("rejected WebSocket path %s", request.path)
        return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")

    async def _handle(self, ws: ServerConnection) -> None:
        session = ServerSession(self._script, len(self._connections), self.now())
        conn = Transport(ws, session, self.now)
        self._connections.append(conn)
        self.notify()
        try:
            await conn.run()
        finally:
            self.notify()
