"""A minimal LiveKit "app" around livekit-plugins-google's RealtimeSession, without a room.

What LiveKit's AgentSession does with a realtime session, cut down to what these tests need:
a microphone that keeps streaming 16 kHz frames into ``session.push_audio`` (speech when the user
talks, silence otherwise), and a speaker that consumes each ``generation_created`` event's audio
stream at playback pace and stops the current reply on ``input_speech_started`` (LiveKit's own
interruption signal). Everything else is the plugin's own code talking to the offline server.

Below, what LiveKit's own ``AgentSession`` needs to run without a room (``MicInput``,
``SpeakerOutput``), and the playback recipe of docs/frameworks.md (``report_playback``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from livekit import rtc
from livekit.agents import AgentSession, llm
from livekit.agents.voice import io
from livekit.plugins.google.realtime import RealtimeModel

from gemini_live_interrupt.testing import FakeLiveServer, user_audio

from ._heard import Call, Speaker

RATE = 16000
OUTPUT_RATE = 24000  # the Live API's audio
CHUNK = 0.05  # LiveKit re-chunks input into 50 ms frames (realtime_api.py:511-516)


def realtime_model(server: FakeLiveServer, model: str, **options: Any) -> RealtimeModel:
    """The plugin pointed at the server the way a user points it at an endpoint: ``api_key`` and
    ``http_options`` (base_url + TLS context), which RealtimeSession passes to its own
    ``google.genai.Client`` (realtime_api.py:526-542); ``options`` are RealtimeModel's."""
    return RealtimeModel(model=model, api_key="fake-key", http_options=server.http_options,
                         **options)


@dataclass
class Reply:
    """One ``generation_created`` as the app saw it."""

    event: llm.GenerationCreatedEvent
    text: str = ""
    audio_received: float = 0.0  # seconds of model audio taken from the stream
    audio_played: float = 0.0  # seconds actually played before stop/end
    interrupted: bool = False  # the app stopped playing it on input_speech_started
    done: asyncio.Event = field(default_factory=asyncio.Event)


class App:
    """Listens to the session's events and plays its audio, as LiveKit's agent pipeline does."""

    def __init__(self, session: Any, *, speed: float, call: Call | None = None) -> None:
        self.session = session
        self.speed = speed
        self.call = call  # reports what it plays to call.session (the shim's on_session)
        self.replies: list[Reply] = []
        self.speech_started: list[int] = []  # for each input_speech_started: #replies then
        self.interrupted_playing: list[Reply] = []  # replies stopped by input_speech_started
        self.transcripts: list[tuple[str, bool]] = []  # (transcript, is_final)
        self.errors: list[llm.RealtimeModelError] = []
        self.metrics: list[Any] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        session.on("generation_created", self._on_generation)
        session.on("input_speech_started", self._on_speech_started)
        session.on("input_audio_transcription_completed",
                   lambda ev: self._note(self.transcripts.append((ev.transcript, ev.is_final))))
        session.on("error", lambda ev: self._note(self.errors.append(ev)))
        session.on("metrics_collected", lambda ev: self._note(self.metrics.append(ev)))

    # -- events ----------------------------------------------------------------------------

    def _note(self, _: object = None) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _on_generation(self, event: llm.GenerationCreatedEvent) -> None:
        reply = Reply(event)
        self.replies.append(reply)
        task = asyncio.get_running_loop().create_task(self._consume(reply))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._note()

    def _on_speech_started(self, _: llm.InputSpeechStartedEvent) -> None:
        # LiveKit's AgentActivity interrupts the current speech here: stop the audio output.
        self.speech_started.append(len(self.replies))
        for reply in self.replies:
            if not reply.done.is_set() and not reply.interrupted:
                reply.interrupted = True
                self.interrupted_playing.append(reply)
        self._note()

    async def _consume(self, reply: Reply) -> None:
        try:
            async for message in reply.event.message_stream:
                await asyncio.gather(self._read_text(reply, message),
                                     self._play(reply, message))
        finally:
            reply.done.set()
            self._note()

    async def _read_text(self, reply: Reply, message: llm.MessageGeneration) -> None:
        async for chunk in message.text_stream:
            reply.text += str(chunk)
            self._note()

    async def _play(self, reply: Reply, message: llm.MessageGeneration) -> None:
        async for frame in message.audio_stream:
            seconds = frame.samples_per_channel / frame.sample_rate
            reply.audio_received += seconds
            if reply.interrupted:
                continue  # flushed: drain the stream, play nothing
            await asyncio.sleep(seconds / self.speed)  # the speaker's pace
            if reply.interrupted:
                continue
            reply.audio_played += seconds
            if self.call is not None:
                # The shim's on_session gave the call its session: tell it what was played.
                self.call.played(nbytes=len(frame.data.tobytes()))
            self._note()

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async def loop() -> None:
            while not predicate():
                if self.errors:
                    raise AssertionError(f"the session reported errors: {self.errors}")
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class Microphone:
    """Streams 50 ms frames into ``session.push_audio`` at ``speed`` x real time, like a mic
    track: silence unless the user is talking."""

    def __init__(self, session: Any, *, speed: float) -> None:
        self.session = session
        self.speed = speed
        self._speech: asyncio.Queue[tuple[bytes, asyncio.Future[None]]] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def say(self, seconds: float, *, then_silence: float = 1.0) -> None:
        """Talk for ``seconds`` and then be quiet for ``then_silence`` (ends the utterance for
        the server's VAD). Returns once all of it has been pushed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pcm = user_audio(seconds) + user_audio(then_silence, speech=False)
        await self._speech.put((pcm, done))
        await done

    async def _run(self) -> None:
        step = int(CHUNK * RATE) * 2
        silence = user_audio(CHUNK, speech=False)
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            pcm, done = (self._speech.get_nowait() if not self._speech.empty()
                         else (silence, None))
            for i in range(0, len(pcm), step):
                self._push(pcm[i : i + step])
                next_at += CHUNK / self.speed
                await asyncio.sleep(max(0.0, next_at - loop.time()))
            if done is not None and not done.done():
                done.set_result(None)

    def _push(self, pcm: bytes) -> None:
        self.session.push_audio(rtc.AudioFrame(
            data=pcm, sample_rate=RATE, num_channels=1, samples_per_channel=len(pcm) // 2))

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


# -- LiveKit's own AgentSession, with an audio sink that owns its device ----------------------


class SpeakerOutput(io.AudioOutput):
    """An ``AudioOutput`` sink that owns its playback device, as a custom LiveKit sink does.

    The device is a ``Speaker`` (``SimulatedSpeaker``): it plays at real-time pace on the tests'
    clock and knows what came out. As LiveKit asks of "sinks that own their playback device",
    the sink reports each stretch as it plays it (``on_playback_progressed``, once the device
    has taken the block); ``clear_buffer()`` stops the device at once; a segment ends with
    ``on_playback_finished`` once the device played it out or was cleared.
    """

    def __init__(self, *, speed: float, latency: float = 0.0) -> None:
        super().__init__(label="SimulatedSpeaker", next_in_chain=None, sample_rate=OUTPUT_RATE,
                         capabilities=io.AudioOutputCapabilities(pause=False))
        self.device = Speaker(self, rate=OUTPUT_RATE, speed=speed, latency=latency)
        self._capturing = False
        self._cleared = False
        self._offset = 0.0  # seconds of the current segment reported played
        self._finish: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.device.__aenter__()

    async def aclose(self) -> None:
        if self._finish is not None:
            self._finish.cancel()
            await asyncio.gather(self._finish, return_exceptions=True)
        await self.device.__aexit__(None, None, None)

    # The device calls this for each block it writes (SimulatedSpeaker's `playback`).
    def played(self, *, nbytes: int) -> None:
        duration = nbytes / (2 * OUTPUT_RATE)
        self.on_playback_progressed(started_at=time.time(), offset=self._offset,
                                    duration=duration)
        self._offset += duration

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._capturing:  # the first frame of a segment (one generation's audio)
            if self._finish is not None:
                await self._finish  # the previous segment's end, if still playing out
            self._capturing = True
            self._cleared = False
            self._offset = 0.0
            self.device.new_turn()
            self.on_playback_started(created_at=time.time())
        if not self._cleared:
            self.device.write(bytes(frame.data))

    def flush(self) -> None:
        super().flush()
        if not self._capturing:
            return
        self._capturing = False
        self._finish = asyncio.get_running_loop().create_task(self._played_out())

    def clear_buffer(self) -> None:
        if self._capturing or (self._finish is not None and not self._finish.done()):
            self._cleared = True
            self.device.clear()

    async def _played_out(self) -> None:
        # Until the device has played everything it was given, or was cleared.
        device = self.device
        while not self._cleared and (device.queued > 0 or device.played < device.written):  # noqa: ASYNC110 (the device's pace)
            await asyncio.sleep(0.002)
        self.on_playback_finished(playback_position=self.device.played,
                                  interrupted=self._cleared)


class MicInput(io.AudioInput):
    """LiveKit's audio input: 50 ms frames at ``speed`` x real time, silence unless the user
    talks (``say``)."""

    def __init__(self, *, speed: float) -> None:
        super().__init__(label="SimulatedMicrophone")
        self.speed = speed
        self._pending = bytearray()
        self._next_at: float | None = None

    async def say(self, seconds: float, *, then_silence: float = 1.0) -> None:
        """Talk for ``seconds``, then be quiet for ``then_silence``; return once it is out."""
        self._pending += user_audio(seconds) + user_audio(then_silence, speech=False)
        while self._pending:  # noqa: ASYNC110 (the input is pulled by LiveKit)
            await asyncio.sleep(CHUNK / self.speed)

    async def __anext__(self) -> rtc.AudioFrame:
        loop = asyncio.get_running_loop()
        self._next_at = (loop.time() if self._next_at is None else self._next_at) \
            + CHUNK / self.speed
        await asyncio.sleep(max(0.0, self._next_at - loop.time()))
        step = int(CHUNK * RATE) * 2
        pcm = bytes(self._pending[:step]) if self._pending else user_audio(CHUNK, speech=False)
        del self._pending[:step]
        return rtc.AudioFrame(data=pcm, sample_rate=RATE, num_channels=1,
                              samples_per_channel=len(pcm) // 2)


def report_playback(agent_session: AgentSession, call: Call) -> None:
    """The recipe (docs/frameworks.md, LiveKit): what the session's audio output reports played
    goes to the session the shim opened for this call."""

    def progressed(ev: io.PlaybackProgressedEvent) -> None:
        call.played(seconds=ev.duration)

    assert agent_session.output.audio is not None
    agent_session.output.audio.on("playback_progressed", progressed)
