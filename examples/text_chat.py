"""Text chat over the Live API with realtime text, interruption-aware.

Type a line while the model is still answering and it is cut off; the model is told what it
had said and what you typed.
Run: GEMINI_API_KEY=... python examples/text_chat.py
Offline (no API key, no network; the lines are typed for you):
python examples/text_chat.py --offline
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
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

from gemini_live_interrupt import InterruptAwareSession, connect


async def stdin_lines() -> AsyncIterator[str]:
    while line := await asyncio.to_thread(sys.stdin.readline):
        yield line.strip()


async def main(client: Any, lines: AsyncIterator[str] | None = None) -> InterruptAwareSession:
    """Chat until ``lines`` (default: standard input) ends; returns the session."""
    async with connect(client, model=MODEL, config=CONFIG) as session:

        async def print_replies() -> None:
            while True:  # receive() yields one model turn per call: call it again
                text, cut = "", False
                async for message in session.receive():
                    content = message.server_content
                    out = content.output_transcription if content else None
                    if out and out.text:
                        text += out.text
                    if content and content.interrupted:
                        cut = True
                say("model", text.strip() + (" [cut off]" if cut else ""))

        printer = asyncio.create_task(print_replies())
        async for line in lines or stdin_lines():
            if line:
                await session.send_realtime_input(text=line)
        await asyncio.sleep(1.0)  # let the last answer arrive
        printer.cancel()
    print_records(session)
    return session


async def offline() -> InterruptAwareSession:
    async with offline_server(replies=[STORY, "Dragons, then. A dragon lived by the sea."],
                              ) as server:

        async def typed() -> AsyncIterator[str]:
            say("you", "Tell me a story.")
            yield "Tell me a story."
            await server.wait_for(
                lambda: bool(server.turns) and len(server.turns[0].delivered.split()) >= 15)
            say("you", "Wait, what about dragons?  (typed while the model talks)")
            yield "Wait, what about dragons?"
            await server.wait_for(
                lambda: len(server.turns) == 2 and server.turns[1].ended_at is not None)

        return await main(server.client(), typed())


if __name__ == "__main__":
    asyncio.run(offline() if offline_requested(__doc__) else main(real_client()))
