"""Text chat over the Live API with realtime text, interruption-aware.

Type a line while the model is still answering and it is cut off; the model is told what it
had said and what you typed. Run: ``GEMINI_API_KEY=... python examples/text_chat.py``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

from _common import CONFIG, MODEL, real_client

from gemini_live_interrupt import connect


async def stdin_lines() -> AsyncIterator[str]:
    while line := await asyncio.to_thread(sys.stdin.readline):
        yield line.strip()


async def main(client: Any = None, lines: AsyncIterator[str] | None = None) -> list[str]:
    """Chat until ``lines`` ends; returns the model's replies (their transcripts)."""
    client = client or real_client()
    replies: list[str] = []
    async with connect(client, model=MODEL, config=CONFIG) as session:

        async def print_replies() -> None:
            while True:
                text = ""
                async for message in session.receive():  # one turn
                    content = message.server_content
                    out = content.output_transcription if content else None
                    if out and out.text:
                        text += out.text
                    if content and content.interrupted:
                        print("  [cut off]", flush=True)
                replies.append(text)
                print(f"model: {text}", flush=True)

        printer = asyncio.create_task(print_replies())
        async for line in lines or stdin_lines():
            if line:
                await session.send_realtime_input(text=line)
        await asyncio.sleep(1.0)  # let the last answer arrive
        printer.cancel()
    return replies


if __name__ == "__main__":
    asyncio.run(main())
