"""A Google ADK voice app (google-adk 2.13) talking to the offline Live server.

The shape of ADK's own streaming samples: an ``Agent`` with a ``Gemini`` model, an
``InMemoryRunner``, ``runner.run_live(..., live_request_queue=LiveRequestQueue(),
run_config=RunConfig(response_modalities=[types.Modality.AUDIO], ...))``, microphone audio
pushed with
``live_request_queue.send_realtime(Blob)``, and the app reading the events ``run_live`` yields
(audio parts, ``event.interrupted``, ``event.turn_complete``, transcriptions).

The model is pointed at the server the way ADK documents for client options it does not expose
as fields: ``Gemini(client_kwargs={"api_key": ..., "http_options": ...})``. ADK builds its Live
client from them (google/adk/models/google_llm.py:490-517, docstring at 107-119); with an
``api_key`` in ``client_kwargs`` it skips the GCP metadata probe (utils/_gcp_metadata.py:168).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from google.adk.agents import Agent
from google.adk.agents.live_request_queue import LiveRequestQueue
from google.adk.agents.run_config import RunConfig
from google.adk.events import Event
from google.adk.models.google_llm import Gemini
from google.adk.runners import InMemoryRunner
from google.genai import types

from gemini_live_interrupt.testing import FakeLiveServer, SimulatedSpeaker, user_audio

from ._heard import CALL, Call

CHUNK = 0.05  # seconds of microphone audio per send_realtime() call
APP, USER = "adk-test", "user"


def agent_for(
    server: FakeLiveServer, model: str, tools: Sequence[Callable[..., Any]] = ()
) -> Agent:
    """An ADK agent whose Gemini model talks to ``server``."""
    gemini = Gemini(
        model=model,
        client_kwargs={"api_key": "fake-key", "http_options": server.http_options},
    )
    return Agent(name="storyteller", model=gemini, instruction="You tell short stories.",
                 tools=list(tools))


def audio_run_config() -> RunConfig:
    return RunConfig(
        response_modalities=[types.Modality.AUDIO],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        input_audio_transcription=types.AudioTranscriptionConfig(),
    )


class LiveApp:
    """``runner.run_live`` in the background, recording every event the app sees.

    With a ``speaker`` it also plays the model's audio, as the app's own output does: audio
    parts go to the speaker, ``event.interrupted`` stops it (the speaker reports each block it
    writes to its ``playback``: the recipe gives it the ``call``). With a ``call`` the app
    marks what it runs as that call (``CALL``) before it starts ``run_live``, so the shim's
    ``on_session`` hands the call its session.
    """

    def __init__(self, server: FakeLiveServer, agent: Agent, *,
                 speaker: SimulatedSpeaker | None = None, call: Call | None = None) -> None:
        self.server = server
        self.speaker = speaker
        self.call = call
        self._turn_over = True  # the next audio part starts a model turn (for the speaker)
        self.runner = InMemoryRunner(agent=agent, app_name=APP)
        self.queue = LiveRequestQueue()
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.session_id = ""

    async def __aenter__(self) -> LiveApp:
        session = await self.runner.session_service.create_session(app_name=APP, user_id=USER)
        self.session_id = session.id
        if self.speaker is not None:
            await self.speaker.__aenter__()
        self._task = asyncio.create_task(self._run(session.id))
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.close()
        finally:
            if self.speaker is not None:
                await self.speaker.__aexit__(None, None, None)

    async def _run(self, session_id: str) -> None:
        if self.call is not None:
            CALL.set(self.call)  # the recipe: this task and what it starts belong to the call
        try:
            async for event in self.runner.run_live(
                user_id=USER, session_id=session_id, live_request_queue=self.queue,
                run_config=audio_run_config(),
            ):
                self.events.append(event)
                self._play(event)
                self._changed.set()
        finally:
            self._changed.set()

    def _play(self, event: Event) -> None:
        """The app's audio output (docs/frameworks.md, ADK): play audio parts, stop on
        ``interrupted``. The speaker reports what it writes (``call.played``)."""
        speaker = self.speaker
        if speaker is None:
            return
        if event.interrupted:
            speaker.clear()
            self._turn_over = True
            return
        for part in event.content.parts or () if event.content else ():
            blob = part.inline_data
            if blob and blob.data and (blob.mime_type or "").startswith("audio/pcm"):
                if self._turn_over:  # only for the ground truth: played counts per turn
                    speaker.new_turn()
                    self._turn_over = False
                speaker.write(blob.data)
        if event.turn_complete:
            self._turn_over = True

    @property
    def running(self) -> bool:
        """``run_live`` is still going (no error, connection open)."""
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        """Close the queue as an app does when the user hangs up; re-raise any run_live error."""
        self.queue.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                raise
            await self._task  # re-raises an exception from run_live

    # -- the user ----------------------------------------------------------------------------

    async def say(self, speech: float = 0.6, silence: float = 1.0) -> None:
        """One utterance from the microphone at the server's pace: speech, then silence."""
        for seconds, is_speech in ((speech, True), (silence, False)):
            pcm = user_audio(seconds, speech=is_speech)
            step = int(CHUNK * 16000) * 2
            for i in range(0, len(pcm), step):
                self.queue.send_realtime(
                    types.Blob(data=pcm[i : i + step], mime_type="audio/pcm;rate=16000"))
                await asyncio.sleep(CHUNK / self.server.speed)

    # -- what the app saw --------------------------------------------------------------------

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 15.0  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` holds, re-checked on every event; fail if run_live ends."""
        async with asyncio.timeout(timeout):
            while not predicate():
                if not self.running:
                    await self.close()  # surfaces the error, if any
                    raise AssertionError("run_live ended while waiting")
                self._changed.clear()
                await self._changed.wait()

    def index(self, predicate: Callable[[Event], bool], start: int = 0) -> int | None:
        return next((i for i, e in enumerate(self.events) if i >= start and predicate(e)), None)

    def audio_bytes(self, start: int = 0, end: int | None = None) -> int:
        """Bytes of model audio (inline_data parts) in events[start:end]."""
        return sum(len(p.inline_data.data or b"")
                   for e in self.events[start:end] if e.content and e.content.parts
                   for p in e.content.parts if p.inline_data)

    def output_transcripts(self) -> list[str]:
        """Finished output transcriptions, one per model turn."""
        return [e.output_transcription.text or "" for e in self.events
                if e.output_transcription and e.output_transcription.finished]

    def input_transcripts(self) -> list[str]:
        """Input transcriptions ADK marked finished (it saves these to the session)."""
        return [e.input_transcription.text or "" for e in self.events
                if e.input_transcription and e.input_transcription.finished]

    async def saved_events(self) -> list[Event]:
        """The events ADK saved to its session (what a later connection would replay)."""
        session = await self.runner.session_service.get_session(
            app_name=APP, user_id=USER, session_id=self.session_id)
        return list(session.events) if session else []

    def function_calls(self) -> list[types.FunctionCall]:
        return [c for e in self.events for c in e.get_function_calls()]

    def function_responses(self) -> list[types.FunctionResponse]:
        return [r for e in self.events for r in e.get_function_responses()]
