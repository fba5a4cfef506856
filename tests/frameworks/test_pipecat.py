"""Pipecat's own Gemini Live service (pipecat-ai 1.14) in a Pipeline, against the offline server.

A Pipecat app without a transport (see ``_pipecat.py``): microphone audio in, the service's
frames out. A user turn by audio, the model's reply, a barge-in while it tells a long story, and
the reply to the barge-in; plain, and with ``enable_interrupt_resume()`` (pipecat opens its
session with ``client.aio.live.connect``, so the shim wraps it without pipecat knowing). The
playback recipe of docs/frameworks.md adds an output transport playing on a simulated speaker
and a processor after it reporting what was played.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("pipecat.services.google.gemini_live.llm")

from loguru import logger
from pipecat.frames.frames import (
    FunctionCallResultProperties,
    InterruptionFrame,
    LLMFullResponseStartFrame,
    TTSTextFrame,
)

from gemini_live_interrupt import (
    InterruptAwareSession,
    enable_interrupt_resume,
)
from gemini_live_interrupt.testing import FakeLiveServer, ToolCall

from ..conftest import M25, M38, STORY, notes
from ._heard import SPEED as RECIPE_SPEED
from ._heard import Call, Speaker, check_heard, enable, until
from ._pipecat import PipecatApp
from ._scaled import scaled

SPEED = 10.0
#: The server runs SPEED x real time: the sessions the shim opens run on that clock too.
SCALED = scaled(SPEED)
REPLIES = ["Hello there, how are you today?", STORY, "Dragons, yes. Big ones."]
SAID = ["Hi.", "Tell me a story.", "What about dragons?"]
TIMEOUT = 20.0  # generous: real seconds, whatever the server's timing


@pytest.fixture
def warnings() -> list[str]:
    """What pipecat logs at WARNING and above (it logs through loguru)."""
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(m.record["message"]), level="WARNING")
    yield seen
    logger.remove(sink)


def setups(server: FakeLiveServer) -> int:
    return sum(m.kind == "setup" for m in server.received)


def said_after(app: PipecatApp, at: float) -> str:
    """What the service passed on as spoken (TTSTextFrames) after loop time ``at``."""
    return "".join(s.frame.text for s in app.frames(TTSTextFrame, "speaker") if s.at > at)


def started_after(app: PipecatApp, at: float) -> float:
    """When the first response after loop time ``at`` started (its LLMFullResponseStartFrame)."""
    return next((s.at for s in app.frames(LLMFullResponseStartFrame, "speaker") if s.at > at),
                float("inf"))


async def conversation(app: PipecatApp, server: FakeLiveServer) -> float:
    """Hi -> reply; "tell me a story" -> the story; a barge-in while it plays -> the reply to it.

    Returns the loop time at which the reply to the barge-in started. (A word of the story
    pushed just before ``interrupted`` can reach the speaker just after pipecat's
    InterruptionFrame, a system frame that overtakes queued data frames: so the reply is
    located by its own start frame.)
    """
    await app.say()
    await app.wait(lambda: app.responses_ended >= 1, TIMEOUT)
    assert REPLIES[0] in app.spoken_text()
    assert app.audio_bytes > 0  # the reply's audio came out as TTSAudioRawFrames

    await app.say()
    # The story is playing: a few of its words reached pipecat.
    await app.wait(lambda: app.responses_started >= 2 and "a small robot" in app.spoken_text(),
                   TIMEOUT)
    assert not server.turns[1].ended_at  # still speaking: what follows is a barge-in
    await app.say()
    await app.wait(lambda: app.interruptions >= 1, TIMEOUT)
    interrupted_at = app.frames(InterruptionFrame, "speaker")[0].at
    # The reply to the barge-in, spoken through pipecat's output path after the interruption.
    await app.wait(
        lambda: "Big ones." in said_after(app, started_after(app, interrupted_at)), TIMEOUT)
    await app.wait(lambda: app.responses_ended >= 3, TIMEOUT)
    return started_after(app, interrupted_at)


@pytest.mark.parametrize("model", [M25, M38])
async def test_barge_in_through_the_pipeline(model: str, warnings: list[str]) -> None:
    async with FakeLiveServer(replies=REPLIES, speed=SPEED, user_transcripts=SAID) as server:
        async with PipecatApp(server, model) as app:
            reply_at = await conversation(app, server)
            assert app.llm._session is not None  # still connected, never reconnected
            assert setups(server) == 1
            assert app.errors == []

    story = server.turns[1]
    assert story.text == STORY and story.interrupted
    assert STORY not in app.spoken_text()  # the rest of the story was dropped
    assert [t.interrupted for t in server.turns] == [False, True, False]
    assert app.interruptions == 1
    assert app.responses_started == 3  # hi, the story, the reply
    assert said_after(app, reply_at) == REPLIES[2]
    # Pipecat sends the user's audio and nothing else: no history, no turn, no text.
    assert {m.kind for m in server.received} == {"setup", "realtime_input"}
    assert all("audio" in m.data for m in server.received if m.kind == "realtime_input")
    # Pipecat's transcript (its context aggregators) holds the three replies, the story cut
    # where the interruption came. Pipecat's own race, not the server's: a word of the story
    # pushed just before the InterruptionFrame can reach the assistant aggregator after it
    # (see above); the aggregator has reset by then, so the word opens the next reply's entry
    # ("livedDragons, yes. Big ones.", CI 2026-12-06). docs/frameworks.md says so. Whatever
    # stands before the reply continues the story from where the cut entry ends.
    assistant = [m["content"] for m in app.context.get_messages() if m["role"] == "assistant"]
    assert len(assistant) == 3 and assistant[0] == REPLIES[0] and assistant[1]
    assert assistant[2].endswith(REPLIES[2])
    cut = assistant[1].split() + assistant[2].removesuffix(REPLIES[2]).split()
    assert story.delivered.split()[:len(cut)] == cut
    # usageMetadata comes with every turnComplete (pipecat warns when it does not, llm.py:1633,
    # and reports it as LLMUsageMetricsData, llm.py:2532).
    assert "Received turn_complete without usage_metadata" not in warnings
    assert len(app.token_usage()) == 3 and all(u.total_tokens > 0 for u in app.token_usage())


@pytest.mark.parametrize("model", [M25, M38])
async def test_barge_in_through_the_pipeline_with_the_shim(model: str) -> None:
    opened: list[InterruptAwareSession] = []
    enable_interrupt_resume(session_class=SCALED, on_session=opened.append)
    async with FakeLiveServer(replies=REPLIES, speed=SPEED, user_transcripts=SAID) as server:
        async with PipecatApp(server, model) as app:
            (session,) = opened  # connected: on_session handed it over
            assert session is app.llm._session  # where pipecat keeps it
            reply_at = await conversation(app, server)
            await app.wait(lambda: len(session.interruptions) >= 1, TIMEOUT)
            assert app.errors == []
            assert setups(server) == 1

    assert server.turns[1].interrupted
    assert said_after(app, reply_at).startswith(REPLIES[2])
    (record,) = session.interruptions
    # The default policy sends the note at the interrupt by a channel that starts no reply:
    # one note, in the model's context before its answer, no extra reply, and nothing of it
    # in pipecat's transcript.
    assert record.injected and notes(server) == [record.prompt]
    assert record.user_text in ("", SAID[2])  # never the late words of the request
    assert record.channel == ("context_update" if model == M25 else "silent_content")
    assert len(server.turns) == 3
    assert server.turns[2].saw("[Interruption note")
    assert not any(m.kind == "realtime_input" and "text" in m.data for m in server.received)
    assistant = [m["content"] for m in app.context.get_messages() if m["role"] == "assistant"]
    assert not any("Interruption note" in str(text) for text in assistant)
    # Pipecat never reports playback, so "heard" is the session's real-time estimate, on the
    # server's clock: a start of the story, short of what was generated.
    assert record.heard and REPLIES[1].startswith(record.heard)
    assert record.generated.startswith(record.heard) and record.generated != record.heard


@pytest.mark.parametrize("model", [M25, M38])
async def test_greeting_from_the_context(model: str) -> None:
    # Pipecat's default (inference_on_context_initialization=True): the context's messages go
    # out as clientContent with turnComplete=true; on 3.x followed by realtimeInput.text " ",
    # because "Gemini 3.x wants turn_complete=True, but also won't run inference without a
    # realtime input" (llm.py:2039-2041).
    async with FakeLiveServer(replies=["Hello! What shall we talk about?", "Second reply."],
                              speed=SPEED) as server:
        async with PipecatApp(server, model, greeting="Say hello.") as app:
            await app.wait(lambda: app.responses_ended >= 1, TIMEOUT)
            await server.wait_for(lambda: all(t.ended_at for t in server.turns), TIMEOUT)
            assert app.errors == []

    sent = [(m.kind, m.data) for m in server.received  # all but setup and the microphone
            if m.kind != "setup" and "audio" not in m.data]
    assert sent[0] == ("client_content", {
        "turns": [{"parts": [{"text": "Say hello."}], "role": "user"}], "turnComplete": True})
    # 2.5 answers the turn at once; 3.x only once realtime input follows, and pipecat's " "
    # nudge is that input: not user speech, so no barge-in and no second reply.
    assert sent[1:] == ([] if model == M25 else [("realtime_input", {"text": " "})])
    assert [(t.cause, t.interrupted) for t in server.turns] == [("client_content", False)]
    assert app.interruptions == 0
    assert app.spoken_text() == "Hello! What shall we talk about?"


@pytest.mark.parametrize("model", [M25, M38])
async def test_heard_from_the_output_transport(model: str) -> None:
    """The recipe (docs/frameworks.md, pipecat): ``on_session`` hands the call its session, a
    processor after ``transport.output()`` reports the audio the transport has written, and
    ``heard`` is what the device played.

    The output transport plays on a simulated device at real-time pace; the service sends
    audio three times faster than it plays (the offline server's field profile).
    """
    enable(RECIPE_SPEED)
    call = Call()
    device = Speaker(speed=RECIPE_SPEED, latency=0.04)
    async with FakeLiveServer(replies=REPLIES, speed=RECIPE_SPEED,
                              user_transcripts=SAID) as server:
        async with PipecatApp(server, model, device=device, call=call) as app:
            await app.say()
            await app.wait(lambda: app.responses_ended >= 1, TIMEOUT)
            # The user waits for the greeting to finish playing before asking for a story.
            await until(lambda: device.played >= server.turns[0].audio_seconds_sent - 1e-6,
                        TIMEOUT)
            assert call.session is not None
            asked = call.session.clock()  # what is reported from here on is the story's
            await app.say()
            # The story is playing: a few of its words came out of the device.
            await until(lambda: device.turns >= 2 and device.played >= 2.0, TIMEOUT)
            assert not server.turns[1].ended_at  # still talking: a real barge-in
            await app.say()
            await app.wait(lambda: app.interruptions >= 1, TIMEOUT)
            await app.wait(lambda: app.responses_ended >= 3, TIMEOUT)
            session = call.session
            assert session is not None and call.sessions == [session]  # one connection
            await app.wait(lambda: len(session.interruptions) >= 1, TIMEOUT)
            await server.wait_for(lambda: bool(notes(server)))  # the note reached the server
            assert app.errors == []
    (record,) = session.interruptions
    assert call.reports > 0
    assert record.played_seconds < record.received_seconds  # not all that had arrived
    assert REPLIES[1].startswith(record.heard) and record.heard
    check_heard(record, server.turns[1], device, call, asked, f"pipecat {model}")
    assert record.injected and notes(server) == [record.prompt]
    assert [t.interrupted for t in server.turns] == [False, True, False]


@pytest.mark.parametrize("mode", ["blocking", "when_idle", "silent"])
async def test_a_tool_through_the_pipeline_with_the_shim(mode: str) -> None:
    # Pipecat runs the model's function calls itself and answers them through the session it
    # opened (our session, with the shim on). On 3.8 it declares a plain function BLOCKING
    # and an asynchronous one (cancel_on_interruption=False) NON_BLOCKING, whose answer it
    # schedules inside the response, as the Live API's tool guide writes it: WHEN_IDLE, or
    # SILENT when the result says run_llm=False (llm.py, _tag_tool_behaviors and
    # _tool_result). The reply that answers the tool is the app's turn, not the user's; a
    # SILENT answer gets none; a later barge-in is one like any other.
    opened: list[InterruptAwareSession] = []
    calls: list[str] = []
    asynchronous = mode != "blocking"
    answered = mode != "silent"

    async def weather(params: Any) -> None:
        calls.append(params.function_name)
        await params.result_callback({"sky": "clear"}, properties=FunctionCallResultProperties(
            run_llm=answered))

    enable_interrupt_resume(session_class=SCALED, on_session=opened.append)
    replies = [ToolCall("weather", say="Let me check."),
               *(["Clear skies today."] if answered else []), STORY, "Dragons, yes. Big ones."]
    said = ["What is the weather?", "Tell me a story.", "What about dragons?"]
    async with FakeLiveServer(replies=replies, speed=SPEED, user_transcripts=said) as server:
        async with PipecatApp(server, M38, functions={"weather": (weather, not asynchronous)}
                              ) as app:
            (session,) = opened
            await app.say()
            await server.wait_for(lambda: any(m.kind == "tool_response" for m in server.received)
                                  and len(server.turns) == (2 if answered else 1)
                                  and all(t.ended_at for t in server.turns), TIMEOUT)
            await app.say()
            await app.wait(lambda: "a small robot" in app.spoken_text(), TIMEOUT)
            story = server.turns[-1]
            assert not story.ended_at  # still speaking: what follows is a barge-in
            await app.say()
            await app.wait(lambda: "Big ones." in app.spoken_text(), TIMEOUT)
            await app.wait(lambda: len(session.interruptions) >= 1, TIMEOUT)
            assert app.errors == []
            assert setups(server) == 1

    assert calls == ["weather"]
    (setup,) = [m.data for m in server.received if m.kind == "setup"]
    (declared,) = setup["tools"][0]["functionDeclarations"]
    assert declared["behavior"] == ("NON_BLOCKING" if asynchronous else "BLOCKING")
    (answer,) = [m.data for m in server.received if m.kind == "tool_response"]
    response = answer["functionResponses"][0]["response"]
    assert response.get("scheduling") == {"blocking": None, "when_idle": "WHEN_IDLE",
                                          "silent": "SILENT"}[mode]
    assert story.interrupted and story.text == STORY
    assert [t.cause for t in server.turns[:-2]] == (
        ["user_audio", "tool_response"] if answered else ["user_audio"])  # SILENT: no reply
    (record,) = session.interruptions  # the barge-in, and nothing for the tool
    assert record.injected and notes(server) == [record.prompt]
    assert record.user_text in ("", said[2])  # never the request's late words
    assert record.heard and STORY.startswith(record.heard)
    # The history the note carried: the weather asked, the model's words and its answer to
    # the tool (one turn going on after a BLOCKING call; a turn of its own, the app's, after
    # a NON_BLOCKING one: no user words between; none after a SILENT answer), then the story
    # asked.
    replied = {"blocking": [("model", "Let me check.Clear skies today.")],
               "when_idle": [("model", "Let me check."), ("model", "Clear skies today.")],
               "silent": [("model", "Let me check.")]}[mode]
    assert list(record.history) == [("user", said[0]), *replied, ("user", said[1])]
