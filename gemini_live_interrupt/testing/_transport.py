"""The asyncio side of one offline-server connection: a socket around a ``ServerSession``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ._session import ServerSession

__all__ = ["Transport"]

logger = logging.getLogger("gemini_live_interrupt.testing")


class Transport:
    """Moves frames between a WebSocket and a :class:`ServerSession` and keeps its clock.

    It owns the socket and nothing else: the session decides what to send and when.
    """

    def __init__(
        self, ws: ServerConnection, session: ServerSession, clock: Callable[[], float]
    ) -> None:
        self.ws = ws
        self.session = session
        self._clock = clock
        self.closed = False

    async def run(self) -> None:
        """Serve the socket until it closes."""
        session, ws = self.session, self.ws
        loop = asyncio.get_running_loop()
        recv: asyncio.Task[str | bytes] | None = None
        try:
            while not self.closed:
                await self.flush()
                if session.close is not None:
                    await self.close(*session.close)
                    break
                if recv is None:
                    recv = loop.create_task(ws.recv())
                deadline = session.deadline
                timeout = None if deadline is None else max(0.0, deadline - self._clock())
                done, _ = await asyncio.wait((recv,), timeout=timeout)
                if done:
                    raw, recv = recv.result(), None
                    session.receive_frame(raw, self._clock())
                else:
                    session.advance(self._clock())
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("session %d: offline server bug", session.index)
            await self.close(1011, "Internal error encountered.")
        finally:
            self.closed = True
            if recv is not None and not recv.done():
                recv.cancel()
            session.connection_closed(self._clock())

    async def flush(self) -> None:
        """Send what the session has queued, in order."""
        for frame in self.session.data_to_send():
            await self.send_raw(frame)

    async def send_raw(self, data: bytes | str) -> None:
        """Send one frame; a closed socket is noted, not raised."""
        if self.closed:
            return
        try:
            await self.ws.send(data)
        except ConnectionClosed:
            self.closed = True

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` (1006: abort the TCP connection without a close frame)."""
        if self.closed:
            return
        self.closed = True
        logger.info("session %d: closing with %d (%s)", self.session.index, code, reason)
        if code == 1006:
            self.ws.transport.abort()
            return
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close(code, reason)
