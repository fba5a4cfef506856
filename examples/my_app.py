"""A voice app: the microphone goes to Gemini, its answers to the speaker."""

import asyncio
import contextlib
from collections.abc import AsyncIterable
from typing import Any

from google import genai
from google.genai import types

from gemini_live_interrupt import InterruptAwareSession, connect

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
CONFIG = {"response_modalities": ["AUDIO"]}  # connect() adds the transcription it needs


async def talk(client: genai.Client, microphone: AsyncIterable[bytes],
               speaker: Any) -> InterruptAwareSession:
    """Talk until the microphone ends; returns the session, whose records say what happened.

    microphone: PCM16 mono 16 kHz chunks. speaker: makes the app's audio output from
    session.playback, which the output tells what it has played (so the note says what the
    user heard); it has write(pcm) and clear().
    """
    async with connect(client, model=MODEL, config=CONFIG) as session, \
            speaker(session.playback) as out:

        async def play_answers() -> None:
            while True:  # receive() yields one model turn per call: call it again
                spoke = cut = False
                async for message in session.receive():
                    content = message.server_content
                    if content and content.interrupted:
                        out.clear()  # the user talks over the model: stop at once
                        cut = spoke  # and play no more of this turn (some may still come)
                    elif content and content.model_turn and not cut:
                        for part in content.model_turn.parts or ():
                            if part.inline_data and part.inline_data.data:
                                spoke = True
                                out.write(part.inline_data.data)

        player = asyncio.create_task(play_answers())  # receives while the microphone sends
        try:
            async for chunk in microphone:
                await session.send_realtime_input(
                    audio=types.Blob(data=chunk, mime_type="audio/pcm;rate=16000"))
        finally:
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player
    return session
