"""livekit-plugins-google's RealtimeSession (LiveKit Agents 1.8) against the offline Live server.

The plugin's own Live code runs unmodified, with no room or worker: ``RealtimeModel(...)`` with
``api_key`` and ``http_options`` pointing at the server, ``model.session()``, user audio through
``session.push_audio`` and the model's audio taken from ``generation_created`` streams, as
LiveKit's agent pipeline does (see ``_livekit.py``). The playback recipe of docs/frameworks.md
runs in LiveKit's own ``AgentSession``, also without a room: its audio input and output set to a
simulated microphone and a sink that owns a simulated speaker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytest.importorskip("livekit.plugins.google.realtime")

from gemini_live_interrupt import InterruptAwareSession
from gemini_live_interrupt.testing import FakeLiveServer, ToolCall

from ..conftest import M25, M38, STORY, notes
from ._heard import CALL, Call, check_heard, enable, until
from ._heard import SPEED as RECIPE_SPEED
from ._livekit import (
    App,
    MicInput,
    Microphone,
    SpeakerOutput,
    realtime_model,
    report_playback,
)

SPEED = 10.0
ASK = "Tell me a story."
BARGE = "What about dragons?"
DRAGONS = "Dragons live far away in the mountains."
EXTRA = "I will keep that in mind."
#: Extra FakeLiveServer arguments (timing=, seed=) for trying other timings.
SERVER: dict[str, Any] = {}


def words(text: str) -> str:
    return " ".join(text.split())


async def conversation(model_name: str, call: Call | None = None,
                       then: Callable[[FakeLiveServer, Any], Awaitable[None]] | None = None,
                       ) -> tuple[FakeLiveServer, App, Any]:
    """Ask for a story by voice, talk over it, let the model answer; return what was seen.

    With a ``call``, the app reports what it plays to the session the shim gave the call.
    ``then(server, session)`` runs last, while LiveKit's session is still open."""
    if call is not None:
        CALL.set(call)
    async with FakeLiveServer(replies=[STORY, DRAGONS, EXTRA], speed=SPEED,
                              user_transcripts=[ASK, BARGE], **SERVER) as server:
        session = realtime_model(server, model_name).session()
        app = App(session, speed=SPEED, call=call)
        mic = Microphone(session, speed=SPEED)
        try:
            await mic.say(0.6)
            # The story is playing: talk over it once a few words have been heard.
            await app.wait_for(lambda: bool(app.replies) and app.replies[-1].audio_played > 1.5)
            await mic.say(0.5)
            await app.wait_for(
                lambda: any(r.text and DRAGONS.startswith(words(r.text)) for r in app.replies)
                and all(r.done.is_set() for r in app.replies))
            await server.wait_for(lambda: len(server.turns) >= 2 and server.turns[1].ended_at
                                  is not None)
            if isinstance(session._active_session, InterruptAwareSession):
                # Let the shim settle its record of the barge-in, and whatever a note starts.
                await until(lambda: bool(session._active_session.interruptions))
                await app.wait_for(lambda: all(t.ended_at is not None for t in server.turns)
                                   and all(r.done.is_set() for r in app.replies))
            # Still connected, on the first connection.
            assert session._active_session is not None
            wrapped = session._active_session
            assert not app.errors
            if then is not None:
                await then(server, session)
            return server, app, wrapped
        finally:
            await mic.aclose()
            await session.aclose()
            await app.aclose()


def spoken(app: App) -> list[str]:
    """The transcripts of the generations that carried the model's words."""
    return [words(r.text) for r in app.replies if r.text]


def assert_barge_in_handled(server: FakeLiveServer, app: App) -> None:
    story = app.replies[0]
    # The reply arrived through the output path: audio played, transcript a prefix of the story.
    assert story.audio_played > 1.5 and story.text
    assert STORY.startswith(words(story.text)) and words(story.text) != STORY
    # The interruption reached LiveKit: input_speech_started while the story was playing, and
    # the app stopped its audio (played less than it received, or the stream was cut short).
    assert story in app.interrupted_playing
    assert server.turns[0].interrupted and server.turns[0].text == STORY
    # The second reply arrived, as its own generation, with audio.
    answer = next(r for r in app.replies if words(r.text) == DRAGONS)
    assert answer.audio_played > 0 and not answer.interrupted
    # LiveKit accumulates input transcription per generation and marks it final when that
    # generation is done (realtime_api.py:1443-1459, 1490-1501); words that arrive after a
    # turnComplete open a generation of their own, so join the finals.
    finals = [t for t, final in app.transcripts if final]
    assert words(" ".join(finals)) == f"{ASK} {BARGE}"
    # One connection, no errors, no reconnect.
    assert [m.kind for m in server.received].count("setup") == 1
    assert not app.errors


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_barge_in_plain(model_name: str) -> None:
    server, app, wrapped = await conversation(model_name)
    assert not isinstance(wrapped, InterruptAwareSession)
    assert_barge_in_handled(server, app)
    assert spoken(app)[1:] == [DRAGONS]
    assert [t.text for t in server.turns] == [STORY, DRAGONS]
    assert notes(server) == []  # LiveKit itself tells Gemini nothing about the barge-in
    # usageMetadata (with each turnComplete) becomes LiveKit's per-generation metrics
    # (realtime_api.py:1262-1263, 1609-1673); the rest are connection-acquired ones (no usage).
    used = {m.request_id for m in app.metrics if m.output_tokens > 0}
    assert {r.event.response_id for r in app.replies if r.text} <= used


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_barge_in_with_shim(model_name: str) -> None:
    enable(SPEED)
    call = Call()
    server, app, wrapped = await conversation(model_name, call)
    # The plugin keeps the wrapper as its session (RealtimeSession._active_session); the app
    # got it from on_session and reported playback to it.
    assert isinstance(wrapped, InterruptAwareSession) and call.sessions == [wrapped]
    assert call.reports > 0
    assert_barge_in_handled(server, app)
    (record,) = wrapped.interruptions
    assert STORY.startswith(words(record.heard)) and record.heard
    assert 1.5 <= record.played_seconds < record.received_seconds  # our playback reports
    # The default policy sends the note at the interrupt by a channel that starts no reply:
    # it is in the model's context before the answer to the barge-in, and costs no reply.
    assert record.injected and record.reason is None
    assert record.channel == ("context_update" if model_name == M25 else "silent_content")
    assert notes(server) == [record.prompt]
    assert [t.text for t in server.turns] == [STORY, DRAGONS]
    assert server.turns[1].saw("[Interruption note")
    assert spoken(app)[1:] == [DRAGONS]
    assert not any("Interruption note" in text for text in spoken(app))
    # At the interrupt the barge-in's words are not transcribed yet; the request's late words
    # are never taken for them.
    assert record.user_text in ("", BARGE)


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_heard_from_the_agent_sessions_audio_output(model_name: str) -> None:
    """The recipe (docs/frameworks.md, LiveKit) in LiveKit's own ``AgentSession``: ``on_session``
    hands the call its session; what the session's audio output reports played
    (``playback_progressed``) goes to ``session.playback``; ``heard`` is what was played.

    No room: the session's audio input and output are set to a microphone and a sink that owns
    its (simulated) device. The service sends audio three times faster than it plays (the
    offline server's field profile).
    """
    from livekit.agents import Agent, AgentSession

    enable(RECIPE_SPEED)
    call = Call()
    CALL.set(call)  # the app's call: what the session starts from here on belongs to it
    async with FakeLiveServer(replies=[STORY, DRAGONS], speed=RECIPE_SPEED,
                              user_transcripts=[ASK, BARGE], **SERVER) as server:
        agent_session = AgentSession(
            llm=realtime_model(server, model_name), vad=None,
            # The model's own turn detection, as a Gemini realtime agent uses it.
            turn_handling={"turn_detection": "realtime_llm"},
            # LiveKit ignores the user's audio for the first 3 s (wall clock) of the agent's
            # first speech, for echo cancellation to warm up: at RECIPE_SPEED x that is 12 s
            # of audio, most of the story. There is no echo here.
            aec_warmup_duration=None,
        )
        mic = MicInput(speed=server.speed)
        sink = SpeakerOutput(speed=RECIPE_SPEED, latency=0.04)
        await sink.start()
        agent_session.input.audio = mic
        agent_session.output.audio = sink
        try:
            await agent_session.start(Agent(instructions="You tell short stories."))
            report_playback(agent_session, call)
            await mic.say(0.6)
            device = sink.device
            await until(lambda: device.played >= 2.0)  # a few words heard
            assert not server.turns[0].ended_at  # still talking: a real barge-in
            await mic.say(0.5)
            await until(lambda: bool(device.stopped))  # LiveKit stopped the audio output
            await server.wait_for(lambda: len(server.turns) >= 2 and server.turns[1].ended_at
                                  is not None, timeout=10)
            session = call.session
            assert session is not None and call.sessions == [session]  # one connection
            await until(lambda: bool(session.interruptions))
            await server.wait_for(lambda: bool(notes(server)))  # the note reached the server
        finally:
            await agent_session.aclose()
            await sink.aclose()
    (record,) = session.interruptions
    assert call.reports > 0
    assert record.played_seconds < record.received_seconds  # not all that had arrived
    assert STORY.startswith(words(record.heard)) and record.heard
    check_heard(record, server.turns[0], device, call, 0.0, f"LiveKit {model_name}")
    assert record.injected and notes(server) == [record.prompt]
    assert server.turns[1].text == DRAGONS


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_a_tool_the_agent_runs_after_saying_it_will(model_name: str) -> None:
    """An ``AgentSession`` whose agent has a ``function_tool``: asked by voice, the model says
    "Let me check." and calls it in that turn; LiveKit runs it and sends its answer, and the
    model answers (on 2.5 in a turn of its own, on 3.x in the same one). With the shim on,
    the session sees the tool's answer go out and keeps the question whole before both.

    A blocking tool on both (``tool_behavior=BLOCKING``: LiveKit declares tools NON_BLOCKING
    on 3.8 by default, and with that default the question's input transcription, which comes
    whole after the call, starts a new generation in the plugin that interrupts the tool's
    speech, and LiveKit answers the tool ``SILENT``: see docs/frameworks.md)."""
    from google.genai import types
    from livekit.agents import Agent, AgentSession, function_tool

    enable(RECIPE_SPEED)
    call = Call()
    CALL.set(call)
    asked: list[str] = []

    class WeatherAgent(Agent):
        @function_tool
        async def get_weather(self, city: str) -> dict[str, str]:
            """The weather in a city."""
            asked.append(city)
            return {"city": city, "weather": "sunny"}

    question, answer = "What is the weather in Paris?", "It is sunny in Paris."
    replies = [ToolCall("get_weather", {"city": "Paris"}, say="Let me check."), answer]
    async with FakeLiveServer(replies=replies, speed=RECIPE_SPEED,
                              user_transcripts=[question], **SERVER) as server:
        agent_session = AgentSession(
            llm=realtime_model(server, model_name, tool_behavior=types.Behavior.BLOCKING),
            vad=None, turn_handling={"turn_detection": "realtime_llm"}, aec_warmup_duration=None)
        mic = MicInput(speed=server.speed)
        sink = SpeakerOutput(speed=RECIPE_SPEED)
        await sink.start()
        agent_session.input.audio = mic
        agent_session.output.audio = sink
        try:
            await agent_session.start(WeatherAgent(instructions="You know the weather."))
            await mic.say(1.6)
            await server.wait_for(lambda: len(server.turns) >= 2 and server.turns[1].ended_at
                                  is not None, timeout=10)
            session = call.session
            assert session is not None and call.sessions == [session]
            await until(lambda: any(answer in text for _, text in session.history))
        finally:
            await agent_session.aclose()
            await sink.aclose()
    assert asked == ["Paris"]  # LiveKit ran the tool
    (sent,) = [m for m in server.received if m.kind == "tool_response"]
    (response,) = sent.data.get("functionResponses") or sent.data["function_responses"]
    assert response["name"] == "get_weather"
    assert [t.text for t in server.turns] == ["Let me check.", answer]
    assert server.turns[1].cause == "tool_response" and server.turns[1].started_at >= sent.time
    (first, *rest) = session.history
    assert first == ("user", question)
    assert [role for role, _ in rest] == ["model"] * len(rest)
    assert "".join(text for _, text in rest).replace(" ", "") == (
        "Let me check." + answer).replace(" ", "")
    assert session.interruptions == []


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_the_reconnect_after_go_away_keeps_the_history(model_name: str) -> None:
    """LiveKit keeps the latest resumable handle and, after ``goAway``, reconnects with it
    (realtime_api.py:1240-1246, 1264-1265, 1325-1327, 1675-1680): the session the shim opens
    for the new connection starts from the history of the one before."""
    enable(SPEED)
    call = Call()
    seen: dict[str, Any] = {}

    async def go_away(server: FakeLiveServer, session: Any) -> None:
        first = call.sessions[0]
        seen["before"] = first.history
        await server.go_away("5s")
        await until(lambda: len(call.sessions) == 2
                    and session._active_session is call.sessions[1])
        seen["after"] = call.sessions[1].history

    server, app, first = await conversation(model_name, call, then=go_away)
    setups = [m.data for m in server.received if m.kind == "setup"]
    assert len(setups) == 2
    handle = (setups[1].get("sessionResumption") or setups[1].get("session_resumption"))["handle"]
    assert handle and "handle" not in (setups[0].get("sessionResumption")
                                        or setups[0].get("session_resumption") or {})
    (record,) = first.interruptions
    before = seen["before"]
    assert before == [("user", ASK), ("model", record.heard), ("user", BARGE),
                      ("model", DRAGONS)]
    assert seen["after"] == before
    assert not app.errors


@pytest.mark.parametrize("model_name", [M25, M38])
async def test_generate_reply_instructions_are_not_the_users_words(model_name: str) -> None:
    """``generate_reply(instructions=...)`` sends a turn-completing user turn that nobody
    said: on 2.5 the instructions as a model turn and a "." user placeholder, on 3.x the
    instructions wrapped in ``<instructions>`` as a user turn (realtime_api.py:877-889)."""
    enable(SPEED)
    call = Call()
    CALL.set(call)
    greeting = "Hello, how can I help?"
    async with FakeLiveServer(replies=[greeting], speed=SPEED, **SERVER) as server:
        session = realtime_model(server, model_name).session()
        app = App(session, speed=SPEED, call=call)
        mic = Microphone(session, speed=SPEED)  # silence: 3.x answers once input follows
        try:
            await until(lambda: bool(call.sessions))
            session.generate_reply(instructions="Greet the user.")
            await app.wait_for(lambda: any(words(r.text) == greeting for r in app.replies)
                               and all(r.done.is_set() for r in app.replies))
            history = call.sessions[0].history
        finally:
            await mic.aclose()
            await session.aclose()
            await app.aclose()
    sent = [m.data for m in server.received if m.kind == "client_content"]
    assert any("Greet the user." in str(d) for d in sent)  # as described above
    assert history == [("model", greeting)]
