"""Google ADK (google-adk 2.13) Live agents against the offline server, with and without the shim.

ADK's own ``run_live`` code does the talking (see ``_adk.py``); these tests only play the user
and read what ADK's events and the server's records say, and, for the playback recipe of
docs/frameworks.md, play the model's audio on a simulated speaker that reports what it plays.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from google.genai import types

pytest.importorskip("google.adk")

from gemini_live_interrupt import (
    InjectionPolicy,
    InterruptAwareSession,
    Interruption,
    enable_interrupt_resume,
)
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ToolCall

from ..conftest import M25, M38, STORY, notes
from ._adk import LiveApp, agent_for
from ._heard import SPEED as RECIPE_SPEED
from ._heard import Call, Speaker, check_heard, enable, until, word_error
from ._scaled import scaled

SPEED = 10.0
#: The server runs SPEED x real time: the sessions the shim opens run on that clock too.
SCALED = scaled(SPEED)
ANSWER = "Dragons, then."
MODELS = [pytest.param(M25, id="2.5"), pytest.param(M38, id="3.8")]


def words(text: str) -> int:
    return len(text.split())


def shim_recording_sessions(policy: InjectionPolicy | None = None) -> list[InterruptAwareSession]:
    """Turn the shim on (sessions on the server's clock); the returned list collects every
    session it opens (``on_session``: ADK keeps its session to itself)."""
    opened: list[InterruptAwareSession] = []
    enable_interrupt_resume(session_class=SCALED, policy=policy, on_session=opened.append)
    return opened


async def first_record(session: InterruptAwareSession) -> Interruption:
    async with asyncio.timeout(5):
        while not session.interruptions:  # noqa: ASYNC110 (a plain list, no event to wait on)
            await asyncio.sleep(0.01)
    return session.interruptions[0]


async def story_barge_in_answer(server: FakeLiveServer, app: LiveApp) -> int:
    """User asks (audio), the model tells STORY, the user talks over it, the model answers.

    Returns the index of ADK's first ``interrupted`` event.
    """
    await app.say()
    # Barge in once ADK has streamed a few words of the story and the model is still talking.
    await app.wait_until(lambda: words("".join(
        e.output_transcription.text or "" for e in app.events
        if e.output_transcription and e.partial)) >= 5)
    assert server.turns[0].ended_at is None
    await app.say()
    await app.wait_until(lambda: app.index(lambda e: bool(e.interrupted)) is not None)
    cut = app.index(lambda e: bool(e.interrupted))
    assert cut is not None
    await app.wait_until(lambda: any(ANSWER in t for t in app.output_transcripts()))
    await app.wait_until(lambda: app.index(lambda e: bool(e.turn_complete), start=cut + 1)
                         is not None)
    return cut


def assert_story_cut_then_answered(server: FakeLiveServer, app: LiveApp, cut: int) -> None:
    # The first reply's audio reached the app before the interruption, the second's after it.
    assert app.audio_bytes(0, cut) > 0
    assert app.audio_bytes(cut) > 0
    story_said, *_, answer_said = app.output_transcripts()
    assert STORY.startswith(story_said) and story_said != STORY  # ADK flushed the cut transcript
    assert answer_said == ANSWER
    # The server saw the same: the story was cut, the answer ran to the end.
    assert server.turns[0].text == STORY and server.turns[0].interrupted
    assert server.turns[1].text == ANSWER and not server.turns[1].interrupted
    assert server.turns[1].cause == "user_audio"
    # One connection, still open: no error, no reconnect.
    assert app.running
    assert {m.session for m in server.received} == {0}


def assert_user_transcripts(app: LiveApp, model: str) -> None:
    if model == M25:
        # 2.5: ADK accumulates chunks and marks one transcript finished per flush
        # (interrupted/turnComplete/generationComplete; gemini_llm_connection.py:449-530).
        # The story's generationComplete comes with its last chunk, long before it has played
        # out, and the request's last words come later still (transcribed 0.5-2 s behind): so
        # the request may be split over two finished transcripts ("Tell", " me a story.").
        said = app.input_transcripts()
        assert "".join(said).startswith("Tell me a story.")
        assert "".join(said[:2]).startswith("Tell me a story.")
    else:
        # 3.x: ADK takes every inputTranscription as one final transcript ("Gemini 3.x Live only
        # sends a single final input transcription", gemini_llm_connection.py:436-448), so the
        # server's word-sized chunks become one finished user transcript (and one session
        # event) per word today: ["Tell", " me", " a", " story.", ...]. A server gap.
        assert "".join(app.input_transcripts()).startswith("Tell me a story.")


@pytest.mark.parametrize("model", MODELS)
async def test_barge_in_reaches_adk_and_the_model_answers(model: str) -> None:
    async with FakeLiveServer(replies=[STORY, ANSWER], speed=SPEED,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        async with LiveApp(server, agent_for(server, model)) as app:
            cut = await story_barge_in_answer(server, app)
            assert_story_cut_then_answered(server, app, cut)
            assert_user_transcripts(app, model)
            # Plain ADK sends nothing after the setup but the user's audio: no history at
            # connect (the ADK session is empty), no note after the interruption.
            assert [m.kind for m in server.received if m.kind != "realtime_input"] == ["setup"]
            assert len(server.turns) == 2
            # ADK passes usageMetadata on as events of their own (gemini_llm_connection.py:337).
            assert any(e.usage_metadata for e in app.events)


@pytest.mark.parametrize("model", MODELS)
async def test_barge_in_with_the_shim(model: str) -> None:
    opened = shim_recording_sessions()
    async with FakeLiveServer(replies=[STORY, ANSWER], speed=SPEED,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        async with LiveApp(server, agent_for(server, model)) as app:
            cut = await story_barge_in_answer(server, app)
            assert_story_cut_then_answered(server, app, cut)
            (session,) = opened  # ADK's connection went through the shim
            record = await first_record(session)
            assert len(session.interruptions) == 1
            assert STORY.startswith(record.heard)
            # The note leaves at the interrupt by a channel that starts no reply, and is in
            # the model's context before it answers the barge-in.
            assert record.injected and record.reason is None
            assert record.channel == ("context_update" if model == M25 else "silent_content")
            assert record.user_text in ("", "What about dragons?")  # never the late request
            (note,) = notes(server)
            assert note == record.prompt
            assert len(server.turns) == 2  # no extra reply
            assert server.turns[1].saw("[Interruption note")
            # Nothing of a note shows up in what ADK gives the app.
            assert all("<<<" not in t for t in app.output_transcripts() + app.input_transcripts())


@pytest.mark.parametrize("model", MODELS)
async def test_barge_in_with_the_shim_noting_at_once(model: str) -> None:
    # A turn-starting channel, chosen explicitly: the note goes out at `interrupted` as a
    # clientContent turn the model answers.
    opened = shim_recording_sessions(InjectionPolicy(channel="client_content"))
    async with FakeLiveServer(replies=[STORY, ANSWER, "And more."], speed=SPEED,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        async with LiveApp(server, agent_for(server, model)) as app:
            await app.say()
            await app.wait_until(lambda: words("".join(
                e.output_transcription.text or "" for e in app.events
                if e.output_transcription and e.partial)) >= 5)
            await app.say()
            await app.wait_until(lambda: len(app.output_transcripts()) == 3)
            await app.wait_until(lambda: sum(bool(e.turn_complete) for e in app.events) == 3)
            (session,) = opened
            record = await first_record(session)
            assert record.injected and record.channel == "client_content"
            (note,) = notes(server)
            assert app.running and {m.session for m in server.received} == {0}
            # The cost of a turn-starting channel: the model answers the note and the user's
            # audio, one reply each, and ADK hands the app both (the default channels do not).
            assert server.turns[0].interrupted
            assert sorted(t.cause for t in server.turns[1:]) == ["client_content", "user_audio"]
            assert app.output_transcripts()[1:] == [ANSWER, "And more."]
            # The note itself never reaches ADK: no event, no session entry carries its text
            # (clientContent gets no input transcription).
            seen = [e.model_dump_json() for e in app.events + await app.saved_events()]
            assert not any("Interruption note" in text for text in seen)
            assert note.startswith("[Interruption note")


@pytest.mark.parametrize("say", ["", "Let me check."])
@pytest.mark.parametrize("model", MODELS)
async def test_adk_runs_a_tool_and_the_model_speaks_after_its_response(
        model: str, say: str) -> None:
    # With words before the call ("Let me check.", in the call's turn) and the shim on: the
    # session sees ADK's answer to the tool, and the history has the request, then the words
    # before and after the call.
    calls: list[str] = []
    opened = shim_recording_sessions() if say else []

    def get_weather(city: str) -> dict[str, str]:
        """The weather in a city."""
        calls.append(city)
        return {"city": city, "weather": "sunny"}

    async with FakeLiveServer(
        replies=[ToolCall("get_weather", {"city": "Paris"}, say=say), "It is sunny in Paris."],
        speed=SPEED, user_transcripts=["What is the weather in Paris?"],
    ) as server:
        async with LiveApp(server, agent_for(server, model, tools=[get_weather])) as app:
            await app.say()
            await app.wait_until(lambda: any("It is sunny in Paris." in text
                                             for text in app.output_transcripts()), timeout=5)
            assert calls == ["Paris"]  # ADK ran the Python function
            (call,) = app.function_calls()
            (response,) = app.function_responses()
            assert call.name == response.name == "get_weather" and call.args == {"city": "Paris"}
            (sent,) = [m for m in server.received if m.kind == "tool_response"]
            (wire,) = sent.data.get("functionResponses") or sent.data["function_responses"]
            assert wire["id"] == call.id and wire["response"] == {
                "city": "Paris", "weather": "sunny"}
            spoken = server.turns[-1]
            assert spoken.text == "It is sunny in Paris." and spoken.cause == "tool_response"
            assert spoken.started_at >= sent.time
            assert app.audio_bytes() > 0 and app.running
            if say:
                assert server.turns[0].text == say and not server.turns[0].interrupted
                (session,) = opened
                await server.wait_for(lambda: spoken.ended_at is not None, timeout=5)
                await app.wait_until(lambda: session.history[-1:] != [], timeout=5)
                # The request whole, before both (on 2.5 its words come word by word, the
                # last of them while the reply to the tool plays).
                (asked, *answers) = session.history
                assert asked == ("user", "What is the weather in Paris?")
                said = "".join(text for role, text in answers if role == "model")
                assert said.replace(" ", "") == (say + spoken.text).replace(" ", "")
                assert session.interruptions == []



async def recipe_barge_in(model: str, **device: float,
                          ) -> tuple[FakeLiveServer, Speaker, Call, Interruption]:
    """The recipe (docs/frameworks.md, ADK): a story, the user talks over it once the speaker
    has played 2 s of it, the model answers. Returns the record the call's session kept.

    The service sends audio three times faster than it plays (the offline server's field
    profile), so what ADK has handed the app when the user cuts in is far more than was heard.
    """
    enable(RECIPE_SPEED)
    call = Call()
    async with FakeLiveServer(replies=[STORY, ANSWER], speed=RECIPE_SPEED,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        # The device: plays at real-time pace (on the tests' clock) with 40 ms of latency, and
        # reports each block it writes to the call (the recipe: to call.session.playback).
        speaker = Speaker(call, speed=RECIPE_SPEED, latency=0.04, **device)
        async with LiveApp(server, agent_for(server, model), speaker=speaker, call=call) as app:
            await app.say()
            await until(lambda: speaker.played >= 2.0)  # a few words heard
            assert server.turns[0].ended_at is None  # still talking: a real barge-in
            await app.say()
            await app.wait_until(lambda: app.index(lambda e: bool(e.interrupted)) is not None)
            cut = app.index(lambda e: bool(e.interrupted))
            assert cut is not None
            await app.wait_until(lambda: app.index(lambda e: bool(e.turn_complete),
                                                   start=cut + 1) is not None)
            assert app.running
            session = call.session
            assert session is not None and call.sessions == [session]  # one connection
            record = await first_record(session)
            await server.wait_for(lambda: bool(notes(server)))  # the note reached the server
    assert call.reports > 0
    assert record.played_seconds < record.received_seconds  # not all that had arrived
    assert STORY.startswith(record.heard) and record.heard
    assert record.injected and notes(server) == [record.prompt]
    return server, speaker, call, record


@pytest.mark.parametrize("model", MODELS)
async def test_heard_from_the_apps_speaker(model: str) -> None:
    """``on_session`` hands the app its session, the app's speaker reports what it plays, and
    ``heard`` is what the speaker played (within a word)."""
    server, speaker, call, record = await recipe_barge_in(model)
    check_heard(record, server.turns[0], speaker, call, 0.0, f"ADK {model}")


async def test_heard_follows_a_speaker_that_starts_late() -> None:
    """Reports follow the speaker, not the clock: this one starts each turn 0.5 s late (a
    device waking up, a jitter buffer filling). The real-time estimate counts from the turn's
    first audio, so without reports ``heard`` would run 0.5 s ahead."""
    server, speaker, call, record = await recipe_barge_in(M25, start_delay=0.5)
    turn = server.turns[0]
    check_heard(record, turn, speaker, call, 0.0, "ADK, a speaker 0.5 s late")
    # What the estimate would have said at the interrupt.
    estimate = min(record.at - speaker.first_audio_at(), record.received_seconds)
    assert estimate > speaker.stopped[0] + 0.4
    print(f"  without reports: {estimate:.2f} s, heard={turn.heard_at(estimate)!r}, word error "
          f"{word_error(turn.heard_at(estimate), turn.heard_at(speaker.stopped[0]))}")


@pytest.mark.parametrize("model", MODELS)
async def test_typed_messages_are_the_users_words_in_the_history(model: str) -> None:
    """ADK sends a typed message (``LiveRequestQueue.send_content``) by the deprecated
    ``send()`` as client content on 2.5 and as realtime text on 3.x
    (``gemini_llm_connection.py:150-170``); the server here transcribes neither."""
    opened = shim_recording_sessions()
    quirks = dataclasses.replace(Quirks.for_model(model), transcribe_realtime_text=False)
    async with FakeLiveServer(replies=[STORY, ANSWER], speed=SPEED, quirks=quirks) as server:
        async with LiveApp(server, agent_for(server, model)) as app:
            for text, reply in (("Tell me a story.", STORY), ("And dragons?", ANSWER)):
                start = len(app.events)
                app.queue.send_content(types.Content(role="user", parts=[types.Part(text=text)]))
                await app.wait_until(lambda start=start: app.index(
                    lambda e: bool(e.turn_complete), start=start) is not None)
                assert reply in app.output_transcripts()[-1]
            (session,) = opened
            history = session.history
    sent = [m.kind for m in server.received if "Tell me a story." in str(m.data)]
    assert sent == (["client_content"] if model == M25 else ["realtime_input"])
    assert history == [("user", "Tell me a story."), ("model", STORY),
                       ("user", "And dragons?"), ("model", ANSWER)]
