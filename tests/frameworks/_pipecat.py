"""A Pipecat app without a transport, talking to the offline Live server.

It is the shape of a Pipecat voice app (pipecat-ai 1.14): ``Pipeline([mic, user aggregator,
GeminiLiveLLMService, speaker, assistant aggregator])`` run by a ``PipelineTask`` in a
``PipelineRunner``. The transport's two ends are replaced by small processors: ``mic`` receives
the user's audio (a silent microphone stream, ``InputAudioRawFrame``s queued at the
server's pace, with speech when the test says so) and records what comes
back upstream (transcriptions, interruptions); ``speaker`` records what a transport would play
(``TTSAudioRawFrame``s) and every other frame that reaches it.

The service is pointed at the server the way a user points it at another endpoint: its own
``http_options=`` argument (pipecat passes it to ``google.genai.Client``).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMRunFrame,
    MetricsFrame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSTextFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.google.gemini_live.llm import GeminiLiveLLMService
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import TransportParams

from gemini_live_interrupt.testing import FakeLiveServer, user_audio

from ._heard import CALL, Call, Speaker

CHUNK = 0.05  # seconds of user audio per InputAudioRawFrame (transports send 10-20 ms ones)


@dataclass
class Seen:
    """One frame as a recorder saw it."""

    at: float
    where: str  # "speaker" (downstream, after the service) or "mic" (upstream, before it)
    frame: Frame


class Recorder(FrameProcessor):
    """Pass-through that records every frame moving in ``direction``."""

    def __init__(self, where: str, direction: FrameDirection, log: list[Seen],
                 changed: asyncio.Event, **kwargs: Any) -> None:
        super().__init__(name=where, **kwargs)
        self._where, self._direction, self._log, self._changed = where, direction, log, changed

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == self._direction and not isinstance(frame, InputAudioRawFrame):
            self._log.append(Seen(asyncio.get_running_loop().time(), self._where, frame))
            self._changed.set()
        await self.push_frame(frame, direction)


class SpeakerTransport(BaseOutputTransport):
    """An output transport whose device is a ``Speaker`` (``SimulatedSpeaker``, playing at
    real-time pace on the tests' clock).

    ``write_audio_frame`` returns once the device's buffer has room again (at most
    ``BUFFER`` seconds queued), as a sound card's blocking write does (pipecat's local audio
    transport writes to PyAudio that way); the transport then pushes the frame on downstream.
    An ``InterruptionFrame`` stops the device at once, as network transports tell their client
    to drop what it buffered.
    """

    BUFFER = 0.06  # seconds of audio the device holds beyond what it is playing

    def __init__(self, device: Speaker, **kwargs: Any) -> None:
        super().__init__(TransportParams(audio_out_enabled=True, audio_out_sample_rate=24000),
                         **kwargs)
        self.device = device

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, InterruptionFrame):
            self.device.clear()
        await super().process_frame(frame, direction)

    async def write_transport_frame(self, frame: Frame) -> None:
        # Queued in order with the audio: the next audio is a new reply's (ground truth only).
        if isinstance(frame, TTSStartedFrame):
            self.device.new_turn()
        await super().write_transport_frame(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self.device.write(frame.audio)
        while self.device.queued > self.BUFFER:  # noqa: ASYNC110 (the device's own pace)
            await asyncio.sleep(0.001)
        return True


class PlaybackReporter(FrameProcessor):
    """The recipe (docs/frameworks.md, pipecat): placed right after ``transport.output()``,
    which pushes each audio frame on once it has written it to the transport, it reports the
    model's audio (``TTSAudioRawFrame``) to the session the shim opened for this call."""

    def __init__(self, call: Call, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._call = call

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM and isinstance(frame, TTSAudioRawFrame):
            self._call.played(
                seconds=len(frame.audio) / (2 * frame.num_channels * frame.sample_rate))
        await self.push_frame(frame, direction)


@dataclass
class PipecatApp:
    """A running pipeline; ``async with PipecatApp(server, model) as app: await app.say(...)``."""

    server: FakeLiveServer
    model: str
    system: str = "You are a kind storyteller."
    greeting: str | None = None  # a first user message in the context: the bot speaks first
    log: list[Seen] = field(default_factory=list)
    #: With a device: an output transport playing on it, and the recipe's reporter after it,
    #: reporting to ``call`` (whose session the shim's on_session sets).
    device: Speaker | None = None
    call: Call | None = None
    #: Functions the model may call: name -> (handler, cancel_on_interruption). Declared to
    #: the service as standard tools without parameters, registered with those options
    #: (``cancel_on_interruption=False``: pipecat's async function, NON_BLOCKING on 3.8).
    functions: dict[str, tuple[Any, bool]] = field(default_factory=dict)

    async def __aenter__(self) -> PipecatApp:
        self._changed = asyncio.Event()
        if self.call is not None:
            CALL.set(self.call)  # the recipe: what starts from here belongs to the call
        self.llm = GeminiLiveLLMService(
            api_key="fake-key",
            settings=GeminiLiveLLMService.Settings(model=self.model),
            system_instruction=self.system,
            # Without a greeting the user speaks first (pipecat's default is to answer the
            # context at once).
            inference_on_context_initialization=self.greeting is not None,
            http_options=self.server.http_options,
            tools=ToolsSchema(standard_tools=[
                FunctionSchema(name=name, description=f"The {name}.", properties={},
                               required=[]) for name in self.functions])
            if self.functions else None,
        )
        for name, (handler, cancel) in self.functions.items():
            self.llm.register_function(name, handler, cancel_on_interruption=cancel)
        self.context = LLMContext(
            [{"role": "user", "content": self.greeting}] if self.greeting else None)
        aggregators = LLMContextAggregatorPair(self.context)
        mic = Recorder("mic", FrameDirection.UPSTREAM, self.log, self._changed)
        speaker = Recorder("speaker", FrameDirection.DOWNSTREAM, self.log, self._changed)
        output: list[FrameProcessor] = []
        if self.device is not None:
            await self.device.__aenter__()
            output = [SpeakerTransport(self.device)]
            if self.call is not None:
                output.append(PlaybackReporter(self.call))
        pipeline = Pipeline([mic, aggregators.user(), self.llm, speaker, *output,
                             aggregators.assistant()])
        self.task = PipelineTask(pipeline, params=PipelineParams(enable_usage_metrics=True),
                                 idle_timeout_secs=None, enable_rtvi=False,
                                 check_dangling_tasks=False)
        runner = PipelineRunner(handle_sigint=False, check_dangling_tasks=False)
        self._run = asyncio.get_running_loop().create_task(runner.run(self.task))
        # What a transport's on_client_connected handler does: hand the context to the service.
        await self.task.queue_frames([LLMRunFrame()])
        await self.wait(lambda: self.llm._ready_for_realtime_input, timeout=10)
        self._speech = bytearray()
        self._mic = asyncio.get_running_loop().create_task(self._microphone())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if hasattr(self, "_mic"):
            self._mic.cancel()
            await asyncio.gather(self._mic, return_exceptions=True)
        await self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._run, 10)
        if self.device is not None:
            await self.device.__aexit__(None, None, None)

    # -- the user ---------------------------------------------------------------------------

    async def _microphone(self) -> None:
        """Streams like a transport: a chunk every CHUNK audio seconds, at the server's pace,
        silence unless ``say`` put speech in the queue."""
        step = int(CHUNK * 16000) * 2
        silence = user_audio(CHUNK, speech=False)
        while True:
            chunk = self._speech[:step] if self._speech else silence
            del self._speech[:step]
            await self.task.queue_frames([InputAudioRawFrame(
                audio=bytes(chunk), sample_rate=16000, num_channels=1)])
            await asyncio.sleep(CHUNK / self.server.speed)

    async def say(self, seconds: float = 0.6) -> None:
        """One user utterance into the microphone; returns once it has been streamed (the
        server's VAD ends it after its silence window, in the silence that follows)."""
        self._speech += user_audio(seconds)
        await self.wait(lambda: not self._speech, timeout=10 + 2 * seconds)

    # -- what came out ------------------------------------------------------------------------

    async def wait(self, predicate: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

        await asyncio.wait_for(loop(), timeout)

    def frames(self, kind: type, where: str | None = None) -> list[Seen]:
        return [s for s in self.log if isinstance(s.frame, kind) and where in (None, s.where)]

    def count(self, kind: type, where: str | None = None) -> int:
        return len(self.frames(kind, where))

    @property
    def responses_ended(self) -> int:
        return self.count(LLMFullResponseEndFrame, "speaker")

    @property
    def responses_started(self) -> int:
        return self.count(LLMFullResponseStartFrame, "speaker")

    @property
    def interruptions(self) -> int:
        """InterruptionFrames the service pushed downstream (what stops a transport's playback)."""
        return self.count(InterruptionFrame, "speaker")

    @property
    def audio_bytes(self) -> int:
        return sum(len(s.frame.audio) for s in self.frames(TTSAudioRawFrame, "speaker"))

    @property
    def errors(self) -> list[str]:
        return [str(s.frame.error) for s in self.frames(ErrorFrame)]

    def token_usage(self) -> list[Any]:
        """LLMTokenUsage of each reply: pipecat reports it from the server's usageMetadata."""
        return [d.value for s in self.frames(MetricsFrame, "speaker") for d in s.frame.data
                if isinstance(d, LLMUsageMetricsData)]

    def spoken_text(self) -> str:
        """Output transcription the service passed on as TTSTextFrames (what the bot said)."""
        return "".join(s.frame.text for s in self.frames(TTSTextFrame, "speaker"))

    def user_transcripts(self) -> list[str]:
        return [s.frame.text for s in self.frames(TranscriptionFrame)]
