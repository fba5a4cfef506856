"""Existing Live API code, unchanged: one call to enable_interrupt_resume() wraps it.

Run: GEMINI_API_KEY=... python examples/shim_unchanged.py
Offline (no API key, no network): python examples/shim_unchanged.py --offline
"""

from __future__ import annotations

import asyncio
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

from gemini_live_interrupt import disable_interrupt_resume, enable_interrupt_resume

OVER = "Actually, make it about dragons."


async def existing_app(client: Any) -> Any:
    """Code written for the plain SDK; not a line of it knows about this library."""
    async with client.aio.live.connect(model=MODEL, config=CONFIG) as session:
        say("you", "Tell me a story.")
        await session.send_realtime_input(text="Tell me a story.")
        story, cut = "", False
        async for message in session.receive():  # the story's turn
            content = message.server_content
            if content and content.output_transcription and content.output_transcription.text:
                story += content.output_transcription.text
                if len(story.split()) >= 15 and not cut:  # the user types over the model
                    cut = True
                    say("you", f"{OVER}  (typed while the model talks)")
                    await session.send_realtime_input(text=OVER)
            if content and content.interrupted:
                story += " [cut off]"
        say("model", story.strip())
        answer = ""
        async for message in session.receive():  # the answer
            content = message.server_content
            if content and content.output_transcription and content.output_transcription.text:
                answer += content.output_transcription.text
        say("model", answer.strip())
        return session


async def main(client: Any) -> Any:
    """Run the unchanged app with the shim on; returns its session (an InterruptAwareSession)."""
    enable_interrupt_resume()
    try:
        session = await existing_app(client)
    finally:
        disable_interrupt_resume()
    print(f"the app's session: {type(session).__name__}")
    print_records(session)
    return session


async def offline() -> Any:
    async with offline_server(replies=[STORY, "Dragons, then. A dragon lived by the sea."],
                              ) as server:
        return await main(server.client())


if __name__ == "__main__":
    asyncio.run(offline() if offline_requested(__doc__) else main(real_client()))
