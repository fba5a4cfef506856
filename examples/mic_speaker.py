"""Talk to the model through your microphone and speakers, with playback reporting.

The app is talk() of my_app.py (the README's quickstart); this adds a speaker and a microphone
on your sound devices. Needs PortAudio and ``pip install sounddevice`` (imported only when
this runs on real devices). Use headphones, or the model hears itself.
Run: GEMINI_API_KEY=... python examples/mic_speaker.py   (Ctrl-C ends it)
Offline (no API key, no network, no sound devices: a simulated speaker, a scripted
microphone): python examples/mic_speaker.py --offline
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from _common import STORY, offline_requested, offline_server, print_records, real_client, say
from my_app import talk

MIC_RATE, SPEAKER_RATE = 16000, 24000  # the Live API takes 16 kHz and sends 24 kHz PCM16


class DeviceSpeaker:
    """The default output device; reports to ``session.playback`` what it actually played."""

    def __init__(self, playback: Any) -> None:
        import sounddevice  # lazy: needs PortAudio

        self._sd, self._playback = sounddevice, playback
        self._queue = bytearray()
        self._loop = asyncio.get_running_loop()
        self._stream: Any = None

    def _callback(self, out: Any, frames: int, _time: Any, _status: Any) -> None:
        n = frames * 2
        chunk, self._queue[:n] = bytes(self._queue[:n]), b""
        out[: len(chunk)] = chunk
        out[len(chunk):] = b"\0" * (n - len(chunk))
        if chunk:  # the playback report, after the chunk went to the device
            self._loop.call_soon_threadsafe(lambda: self._playback.played(nbytes=len(chunk)))

    def write(self, pcm: bytes) -> None:
        self._queue += pcm

    def clear(self) -> None:
        self._queue.clear()

    async def __aenter__(self) -> DeviceSpeaker:
        self._stream = self._sd.RawOutputStream(samplerate=SPEAKER_RATE, channels=1,
                                                dtype="int16", callback=self._callback)
        self._stream.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()


async def device_microphone() -> AsyncIterator[bytes]:
    """40 ms PCM16 chunks from the default input device."""
    import sounddevice  # lazy: needs PortAudio

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def callback(data: Any, _frames: int, _time: Any, _status: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, bytes(data))

    with sounddevice.RawInputStream(samplerate=MIC_RATE, channels=1, dtype="int16",
                                    blocksize=MIC_RATE // 25, callback=callback):
        while True:
            yield await queue.get()


async def main(client: Any) -> Any:
    """Talk on the sound devices until Ctrl-C; returns the session."""
    session = await talk(client, device_microphone(), DeviceSpeaker)
    print_records(session)
    return session


async def offline(speed: float = 2.0) -> Any:
    """The same app against the offline server: a simulated speaker that plays in time and
    reports, and a microphone that asks for a story and talks over it after 2 s of it."""
    from gemini_live_interrupt.testing import SimulatedSpeaker, user_audio

    speakers: list[SimulatedSpeaker] = []

    def speaker(playback: Any) -> SimulatedSpeaker:
        speakers.append(SimulatedSpeaker(playback, speed=speed))
        return speakers[-1]

    async def say_for(seconds: float, speech: bool = True) -> AsyncIterator[bytes]:
        for _ in range(round(seconds / 0.04)):  # 40 ms chunks, paced like a microphone's
            await asyncio.sleep(0.04 / speed)
            yield user_audio(0.04, speech=speech)  # a tone the server's VAD takes as speech

    async def microphone() -> AsyncIterator[bytes]:
        say("you", '(into the microphone) "Tell me a story."')
        async for chunk in say_for(0.5):
            yield chunk
        async for chunk in say_for(1.0, speech=False):
            yield chunk
        await speakers[0].wait_until_played(2.0)
        say("you", '(talking over the story after 2 s of it) "What is its name?"')
        async for chunk in say_for(0.6):
            yield chunk
        async for chunk in say_for(2.0, speech=False):
            yield chunk
        await server.wait_for(
            lambda: len(server.turns) == 2 and server.turns[1].ended_at is not None)

    async with offline_server(speed, replies=[STORY, "Its name is Pip. Now, where was I?"],
                              user_transcripts=["Tell me a story.", "What is its name?"],
                              ) as server:
        session = await talk(server.client(), microphone(), speaker)
    print_records(session)
    story, answer = server.turns
    for record in session.interruptions:
        print(f"  (the speaker had played: {story.heard_at(record.played_seconds)!r})")
    say("model", f"{answer.text!r}  (the note in its context: {answer.saw('Interruption note')})")
    return session


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(offline() if offline_requested(__doc__) else main(real_client()))
