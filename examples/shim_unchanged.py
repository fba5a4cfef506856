"""Existing Live API code, unchanged: one call to ``enable_interrupt_resume()`` wraps it.

Run: ``GEMINI_API_KEY=... python examples/shim_unchanged.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _common import CONFIG, MODEL, real_client

from gemini_live_interrupt import disable_interrupt_resume, enable_interrupt_resume


async def existing_app(client: Any) -> Any:
    """Code written for the plain SDK; not a line of it knows about this library."""
    async with client.aio.live.connect(model=MODEL, config=CONFIG) as session:
        await session.send_realtime_input(text="Tell me a story.")
        count = 0
        async for _message in session.receive():
            count += 1
            if count == 15:  # the user talks over the model
                await session.send_realtime_input(text="Actually, make it about dragons.")
        async for _ in session.receive():  # the answer
            pass
        await asyncio.sleep(0.2)
        return session


async def main(client: Any = None) -> Any:
    """Run the unchanged app with the shim on; returns its session (an InterruptAwareSession)."""
    enable_interrupt_resume()
    try:
        session = await existing_app(client or real_client())
    finally:
        disable_interrupt_resume()
    for record in session.interruptions:
        print(f"barge-in {record.episode}: heard {record.heard!r}, said {record.user_text!r}, "
              f"note sent: {record.injected}")
    return session


if __name__ == "__main__":
    asyncio.run(main())
