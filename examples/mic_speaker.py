"""Talk to the model through your microphone and speakers, with playback reporting.

Needs PortAudio and ``pip install sounddevice`` (imported only when this runs on real audio
devices, so its test runs without them). Use headphones, or the model hears itself.
Run: ``GEMINI_API_KEY=... python examples/mic_speaker.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from _common import CONFIG, MODEL, real_client

from gemini_live_interrupt import connect

MIC_RATE, SPEAKER_RATE = 16000, 24000  # the Live API takes 16 kHz and sends 24 kHz PCM16


class Speaker(Protocol):
    """What the app needs of a speaker (``SimulatedSpeaker`` has the same shape)."""

    def write(self, pcm: bytes) -> None: ...
    def clear(self) -> float: ...
    def new_turn(self) -> None: ...
    async def __aenter__(self) -> Any: ...
    async def __aexit__(self, *exc: object) -> None: ...


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

    def clear(self) -> float:
        self._queue.clear()
        return float(self._playback.position)

    def new_turn(self) -> None:
        pass  # reports count from the start of each model turn on their own

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


async def main(
    client: Any = None,
    *,
    speaker: Callable[[Any], Speaker] | None = None,
    microphone: AsyncIterator[bytes] | None = None,
) -> Any:
    """Run the conversation until the microphone ends (Ctrl-C on real devices).

    Args:
        client: a ``genai.Client`` (default: the real service, from ``GEMINI_API_KEY``).
        speaker: builds the speaker from ``session.playback`` (default: ``DeviceSpeaker``).
        microphone: PCM16 16 kHz chunks (default: ``device_microphone()``).

    Returns:
        The session, for its ``interruptions``.
    """
    from google.genai import types

    client = client or real_client()
    async with connect(client, model=MODEL, config=CONFIG) as session, \
            (speaker or DeviceSpeaker)(session.playback) as out:

        async def play() -> None:
            while True:
                async for message in session.receive():
                    content = message.server_content
                    if content and content.interrupted:
                        out.clear()  # stop talking at once; the session knows what was heard
                    elif content and content.model_turn:
                        for part in content.model_turn.parts or ():
                            if part.inline_data and part.inline_data.data:
                                out.write(part.inline_data.data)
                out.new_turn()

        player = asyncio.create_task(play())
        try:
            async for chunk in microphone or device_microphone():
                await session.send_realtime_input(
                    audio=types.Blob(data=chunk, mime_type=f"audio/pcm;rate={MIC_RATE}"))
        finally:
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player
        for record in session.interruptions:
            print(f"barge-in: heard {record.heard!r}; you said {record.user_text!r}")
    return session


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
