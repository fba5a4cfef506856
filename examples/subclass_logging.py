"""A subclass that logs every interruption and writes its own note.

Run: GEMINI_API_KEY=... python examples/subclass_logging.py
Offline (no API key, no network): python examples/subclass_logging.py --offline
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from _common import (
    CONFIG,
    MODEL,
    STORY,
    offline_requested,
    offline_server,
    print_records,
    real_client,
    say,
)

from gemini_live_interrupt import InterruptAwareSession, Interruption

log = logging.getLogger("my_app")
OVER = "Wait, who is the hero?"


class LoggingSession(InterruptAwareSession):
    """Logs each barge-in and keeps the note short."""

    def build_prompt(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        return (f"[Note from the app] You were cut off after: {heard[-200:]!r}. "
                f"The user said: {user_text!r}. Answer them, then go on if it still fits.")

    async def on_interruption(self, record: Interruption) -> None:
        log.info("barge-in %d: heard=%r said=%r injected=%s (%s)", record.episode,
                 record.heard, record.user_text, record.injected, record.reason)


async def main(client: Any) -> LoggingSession:
    """Ask for a story, type over it once; returns the session (its ``interruptions``)."""
    # The config has both transcriptions: a session given the connect call directly cannot
    # add them (connect() and the shim do), and warns about the missing ones instead.
    async with LoggingSession(client.aio.live.connect(model=MODEL, config=CONFIG)) as session:
        say("you", "Tell me a story.")
        await session.send_realtime_input(text="Tell me a story.")
        story = ""
        async for message in session.receive():  # the story's turn, until it is cut off
            content = message.server_content
            if content and content.output_transcription and content.output_transcription.text:
                before, story = story, story + content.output_transcription.text
                if len(story.split()) >= 15 > len(before.split()):
                    say("you", f"{OVER}  (typed while the model talks)")
                    await session.send_realtime_input(text=OVER)
        async for _ in session.receive():  # the answer
            pass
        for _ in range(100):  # the hook runs beside the receive loop
            if session.interruptions:
                break
            await asyncio.sleep(0.02)
    print_records(session)
    return session


async def offline() -> LoggingSession:
    async with offline_server(replies=[STORY, "The robot is the hero.", "Fine."]) as server:
        return await main(server.client())


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stdout, format="log    %(message)s")
    log.setLevel(logging.INFO)
    asyncio.run(offline() if offline_requested(__doc__) else main(real_client()))
