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
        try:
            while not self.closed:
                await self.flush()
                if session.close is not None:
                    await self.close(*session.close)
                    break
                deadline = session.deadline
                try:
                    if deadline is None:
                        raw = await ws.recv()
                    else:
                        # Cancelling recv() loses nothing (websockets >= 13).
                        async with asyncio.timeout_at(self._loop_time(deadline)):
                            raw = await ws.recv()
                except TimeoutError:
                    session.advance(self._clock())
                    continue
                session.receive_frame(raw, self._clock())
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("session %d: offline server bug", session.index)
            await self.close(1011, "Internal error encountered.")
        finally:
            self.closed = True
            session.connection_closed(self._clock())

    def _loop_time(self, server_time: float) -> float:
        loop = asyncio.get_running_loop()
        return loop.time() + (server_time - self._clock())

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
