"""A subclass that logs every interruption and writes its own note.

Run: ``GEMINI_API_KEY=... python examples/subclass_logging.py``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from _common import CONFIG, MODEL, real_client

from gemini_live_interrupt import InterruptAwareSession, Interruption

log = logging.getLogger("my_app")


class LoggingSession(InterruptAwareSession):
    """Logs each barge-in and keeps the note short."""

    def build_prompt(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        return (f"[Note from the app] You were cut off after: {heard[-200:]!r}. "
                f"The user said: {user_text!r}. Answer them, then go on if it still fits.")

    async def on_interruption(self, record: Interruption) -> None:
        log.info("barge-in %d: heard=%r said=%r injected=%s (%s)", record.episode,
                 record.heard, record.user_text, record.injected, record.reason)


async def main(client: Any = None) -> LoggingSession:
    """Tell a story, talk over it once; returns the session (its ``interruptions``)."""
    client = client or real_client()
    async with LoggingSession(client.aio.live.connect(model=MODEL, config=CONFIG)) as session:
        await session.send_realtime_input(text="Tell me a story.")
        count = 0
        async for _ in session.receive():
            count += 1
            if count == 15:
                await session.send_realtime_input(text="Wait, who is the hero?")
        async for _ in session.receive():
            pass
        for _ in range(100):  # the hook runs beside the receive loop
            if session.interruptions:
                break
            await asyncio.sleep(0.02)
    return session


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
