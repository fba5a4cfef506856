"""The voice app against the offline Live server: no API key, no network, no mocks."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from my_app import talk

from gemini_live_interrupt.testing import FakeLiveServer, SimulatedSpeaker, user_audio

# The server, the microphone and the speaker run twice as fast as real time. The library
# waits in real time (at most 0.3 s for the user's first words): keep it near real time.
SPEED = 2
STORY = "Once upon a time a small robot lived in a lighthouse by the sea, counting ships."


async def say(seconds: float, speech: bool = True) -> AsyncIterator[bytes]:
    """The microphone for `seconds`: 40 ms chunks of a tone the server's VAD takes as speech,
    or of silence."""
    for _ in range(round(seconds / 0.04)):
        await asyncio.sleep(0.04 / SPEED)
        yield user_audio(0.04, speech=speech)


async def conversation() -> tuple[Any, FakeLiveServer]:
    """The user asks for a story, listens to 2 s of it, then talks over it."""
    speakers: list[SimulatedSpeaker] = []

    def speaker(playback: Any) -> SimulatedSpeaker:  # plays in time, reports to playback
        speakers.append(SimulatedSpeaker(playback, speed=SPEED))
        return speakers[-1]

    async def microphone() -> AsyncIterator[bytes]:
        async for chunk in say(0.5):  # "Tell me a story."
            yield chunk
        async for chunk in say(1.0, speech=False):
            yield chunk
        await speakers[0].wait_until_played(2.0)
        async for chunk in say(0.6):  # "What is its name?", over the story
            yield chunk
        async for chunk in say(2.0, speech=False):
            yield chunk
        await server.wait_for(lambda: len(server.turns) == 2 and bool(server.turns[1].ended_at))

    async with FakeLiveServer(replies=[STORY, "Its name is Pip."], speed=SPEED,
                              user_transcripts=["Tell me a story.", "What is its name?"],
                              ) as server:
        session = await talk(server.client(), microphone(), speaker)
    return session, server


def test_the_model_is_told_what_the_user_heard() -> None:
    session, server = asyncio.run(conversation())
    (record,) = session.interruptions  # one barge-in, one record
    story, answer = server.turns
    assert record.injected, record.reason  # the note went out (by record.channel)
    played = story.heard_at(record.played_seconds)  # the words the speaker had played
    assert abs(len(record.heard.split()) - len(played.split())) <= 1
    assert len(record.heard) < len(STORY)
    assert answer.saw("Interruption note")  # the answer began with the note in its context
