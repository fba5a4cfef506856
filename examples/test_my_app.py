"""A pytest test of a Live API app against the offline server: no key, no network, no mocks.

Run: ``pytest examples/test_my_app.py`` (needs ``pip install -e ".[dev]"``).
"""

from __future__ import annotations

from typing import Any

from gemini_live_interrupt import connect
from gemini_live_interrupt.testing import FakeLiveServer

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
CONFIG: dict[str, Any] = {"response_modalities": ["AUDIO"], "output_audio_transcription": {},
                          "input_audio_transcription": {}}
STORY = "Once upon a time a small robot lived in a lighthouse by the sea, counting ships."


async def my_app(client: Any) -> Any:
    """The app under test: asks for a story and talks over it."""
    async with connect(client, model=MODEL, config=CONFIG) as session:
        await session.send_realtime_input(text="Tell me a story.")
        count = 0
        async for _ in session.receive():
            count += 1
            if count == 10:
                await session.send_realtime_input(text="What about dragons?")
        async for _ in session.receive():  # the answer (the note itself starts no reply)
            pass
        return session


async def test_the_model_is_told_what_the_user_heard_and_said() -> None:
    async with FakeLiveServer(replies=[STORY, "Dragons, then."], speed=30) as server:
        session = await my_app(server.client())
    (record,) = session.interruptions
    assert record.injected and record.user_text == "What about dragons?"
    assert STORY.startswith(record.heard)
    note = next(m for m in server.received if "Interruption note" in str(m.data))
    # 2.5's channel: a context update (model-role content on google-genai < 3), no reply.
    assert note.kind in ("context_update", "client_content")
    assert "What about dragons?" in str(note.data)
