"""Per-model and reported service behaviours of the offline server, each switchable."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

import pytest
from google.genai import errors, types

from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ServiceTiming, ToolCall

from .conftest import AUDIO, M25, M31, M38, needs_interim_transcription, needs_word_timestamps

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook."
)
SPEED = 40.0



def kinds(messages: list[types.LiveServerMessage]) -> list[str]:
    out: list[str] = []
    for m in messages:
        c = m.server_content
        if c and c.interrupted:
            out.append("interrupted")
        if c and c.generation_complete:
            out.append("generation_complete")
        if c and c.turn_complete:
            out.append("turn_complete")
    return out


def said(messages: list[types.LiveServerMessage]) -> str:
    return "".join(m.server_content.output_transcription.text or "" for m in messages
                   if m.server_content and m.server_content.output_transcription)


def note(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def test_for_model() -> None:
    q31, q38 = Quirks.for_model(f"models/{M31}"), Quirks.for_model(M38)
    assert q31.reject_roleless_content and q38.reject_roleless_content
    assert not q31.reject_client_content  # livekit/agents#7289: accepted since Sept 2026
    assert not q31.client_content_interrupts and q38.client_content_interrupts
    assert q31.client_content_waits_for_input and q38.client_content_waits_for_input
    assert q31.input_transcription_whole and not q31.tool_call_turn_complete
    assert Quirks.for_model(M25) == Quirks() == Quirks.for_model("some-future-model")
    assert Quirks().silent_content_skips_audio_answer and Quirks().tool_call_turn_complete


async def test_the_old_31_rule_rejects_client_content_mid_session_with_1007() -> None:
    quirks = dataclasses.replace(Quirks.for_model(M31), reject_client_content=True)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED, quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M31, config=AUDIO) as session:
            # Before the conversation starts it is seed history, accepted.
            await session.send_client_content(turns=note("Earlier: hello."), turn_complete=False)
            await session.send_realtime_input(text="Hi")
            async for _ in session.receive():
                pass
            await session.send_client_content(turns=note("Context note."))
            with pytest.raises(errors.APIError) as info:
                async for _ in session.receive():
                    pass
    assert info.value.code == 1007
    assert "invalid argument" in str(info.value)
    assert server.received[-1].kind == "client_content"


async def test_38_client_content_interrupts_and_is_answered_after_realtime_input() -> None:
    async with FakeLiveServer(replies=[STORY, "Noted."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M38, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            seen = []
            async for m in session.receive():
                seen.append(m)
                if len(said(seen).split()) == 3 and m.server_content \
                        and m.server_content.output_transcription:
                    await session.send_client_content(turns=note("The user heard 3 words."))
            # Reported (pipecat 1.14): 3.x starts the reply only once realtime input follows.
            with pytest.raises(TimeoutError):
                await server.wait_for(lambda: len(server.turns) > 1, timeout=0.2)
            await session.send_realtime_input(text=" ")
            after = [m async for m in session.receive()]
    assert kinds(seen)[-2:] == ["interrupted", "turn_complete"]
    assert said(after) == "Noted."
    assert server.turns[0].interrupted and server.turns[1].cause == "client_content"
    assert ("user", "The user heard 3 words.") in server.context


async def test_25_client_content_waits_for_the_current_turn() -> None:
    async with FakeLiveServer(replies=["One two three four five six.", "Noted."],
                              speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Count")
            first = []
            sent = False
            async for m in session.receive():
                first.append(m)
                if said(first) == "One" and not sent:
                    sent = True
                    await session.send_client_content(turns=note("Then say noted."))
            second = [m async for m in session.receive()]
    assert "interrupted" not in kinds(first) and said(first) == "One two three four five six."
    assert said(second) == "Noted."
    assert [t.cause for t in server.turns] == ["realtime_text", "client_content"]
    assert not any(m.server_content and m.server_content.input_transcription for m in second)


async def test_the_old_mute_rule_turn_complete_false_mutes_realtime_input() -> None:
    quirks = Quirks(turn_complete_false_mutes=True)
    async with FakeLiveServer(replies=["Hi.", "Never."], speed=SPEED, quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hello")
            async for _ in session.receive():
                pass
            await session.send_client_content(turns=note("Aside."), turn_complete=False)
            await session.send_realtime_input(text="Are you there?")
            await server.wait_for(lambda: ("user", "Are you there?") in server.context)
            with pytest.raises(TimeoutError):
                await server.wait_for(lambda: len(server.turns) > 1, timeout=0.2)
    assert ("user", "Aside.") in server.context


async def test_turn_complete_false_adds_context_and_does_not_mute() -> None:
    async with FakeLiveServer(replies=["Hi.", "Yes."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hello")
            async for _ in session.receive():
                pass
            await session.send_client_content(turns=note("Aside."), turn_complete=False)
            await session.send_realtime_input(text="Are you there?")
            assert said([m async for m in session.receive()]) == "Yes."


async def test_hold_turn_complete_interrupted_after_turn_complete() -> None:
    quirks = Quirks(hold_turn_complete=True, playout_ratio=50.0)
    async with FakeLiveServer(replies=["A short answer of a few words.", "OK."],
                              speed=SPEED, quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Answer.")
            first = [m async for m in session.receive()]
            # turnComplete came; the audio "still plays": a barge-in now is an interruption.
            await session.send_realtime_input(text="Wait.")
            second = [m async for m in session.receive()]
    assert kinds(first) == ["generation_complete", "turn_complete"]
    assert kinds(second)[0] == "interrupted"
    assert server.turns[0].interrupted
    assert server.turns[0].delivered == server.turns[0].text


@pytest.mark.parametrize(("with_audio", "after"), [(True, 0), (False, 3), (True, 3)])
async def test_output_around_interrupted(with_audio: bool, after: int) -> None:
    # Reported: the flag riding on an audio chunk (strands-agents/harness-sdk#3725), and the
    # cut turn's chunks still coming after it (livekit-plugins-google realtime_api.py).
    quirks = Quirks(audio_with_interrupted=with_audio, output_after_interrupted=after)
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED, quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Tell me a story.")
            messages: list[types.LiveServerMessage] = []
            async for message in session.receive():
                messages.append(message)
                if len(said(messages).split()) == 3:
                    await session.send_realtime_input(text="Wait.")
    flag = next(i for i, m in enumerate(messages)
                if m.server_content and m.server_content.interrupted)
    content = messages[flag].server_content
    assert content is not None
    assert bool(content.model_turn) is with_audio  # an audio chunk in the flag's message
    between = messages[flag + 1:-1]  # after the flag, before turnComplete
    assert len(between) == after
    assert all(m.server_content and (m.server_content.model_turn
                                     or m.server_content.output_transcription)
               for m in between)
    assert kinds(messages[-1:]) == ["turn_complete"]
    assert server.turns[0].interrupted and len(server.turns) == 1


@pytest.mark.parametrize("late", [-1, 1.5, True])
def test_output_after_interrupted_is_validated(late: object) -> None:
    with pytest.raises(ValueError, match="output_after_interrupted"):
        Quirks(output_after_interrupted=late)  # type: ignore[arg-type]


async def test_hold_turn_complete_barge_in_during_hold_sends_turn_complete_first() -> None:
    quirks = Quirks(hold_turn_complete=True, playout_ratio=50.0)
    async with FakeLiveServer(replies=["Hi.", "OK."], speed=1.0, chunk_seconds=0.5,
                              quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hello")
            seen = []
            async for m in session.receive():
                seen.append(m)
                if m.server_content and m.server_content.generation_complete:
                    await session.send_realtime_input(text="Wait.")  # during the hold
                    break
            while "interrupted" not in kinds(seen):
                async for m in session.receive():
                    seen.append(m)
                    if m.server_content and m.server_content.interrupted:
                        break
    assert kinds(seen) == ["generation_complete", "turn_complete", "interrupted"]


async def test_without_hold_a_late_barge_in_is_no_interruption() -> None:
    async with FakeLiveServer(replies=["Hi.", "OK."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hello")
            async for _ in session.receive():
                pass
            await session.send_realtime_input(text="Again")
            assert "interrupted" not in kinds([m async for m in session.receive()])
    assert not server.turns[0].interrupted


async def test_phantom_after_turn() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED,
                              quirks=Quirks(phantom_after_turn=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hello")
            async for _ in session.receive():
                pass
            message = await anext(aiter(session.receive()))
    assert message.server_content and message.server_content.interrupted
    assert not server.turns[0].interrupted


async def test_freeze_after_barge_in() -> None:
    async with FakeLiveServer(replies=[STORY, "Never said."], speed=SPEED,
                              quirks=Quirks(freeze_after_barge_in=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            async for m in session.receive():
                if m.server_content and m.server_content.output_transcription:
                    await session.send_realtime_input(text="Stop!")
            await session.send_realtime_input(text="Hello?")
            await server.wait_for(lambda: ("user", "Hello?") in server.context)
            with pytest.raises(TimeoutError):
                await server.wait_for(lambda: len(server.turns) > 1, timeout=0.2)


@needs_word_timestamps
async def test_word_timestamps_when_asked_for() -> None:
    config = {**AUDIO, "output_audio_transcription": {"word_timestamp": True}}
    async with FakeLiveServer(replies=["Hello there."], speed=SPEED,
                              quirks=Quirks(word_timestamps=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="Hi")
            words = [w for m in [m async for m in session.receive()]
                     if m.server_content and m.server_content.output_transcription
                     for w in m.server_content.output_transcription.words or ()]
    assert [(w.word, w.start_offset, w.end_offset) for w in words] == [
        ("Hello", "0.000s", "0.325s"), ("there.", "0.325s", "0.715s")]
    assert server.received[0].data["outputAudioTranscription"] == {"word_timestamp": True}


@pytest.mark.parametrize("offset", [-0.5, 0.0, 0.5])
async def test_transcript_offset_moves_text_against_audio(offset: float) -> None:
    async with FakeLiveServer(replies=["Alpha beta gamma delta epsilon."], speed=SPEED,
                              chunk_seconds=0.1, quirks=Quirks(transcript_offset=offset)
                              ) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Go")
            audio = 0.0
            at: dict[str, float] = {}  # audio received when each word's text arrived
            async for m in session.receive():
                c = m.server_content
                if c and c.model_turn:
                    audio += sum(len(p.inline_data.data or b"") for p in c.model_turn.parts or ()
                                 if p.inline_data) / 48000
                if c and c.output_transcription and c.output_transcription.text:
                    at[c.output_transcription.text.strip()] = audio
    (turn,) = server.turns
    start = {w.strip(): s for w, s, _ in turn.words}
    lead = [at[w] - start[w] for w in at]
    if offset > 0:
        assert all(x >= 0.4 for x in lead)
    elif offset < 0:
        assert any(x < -0.1 for x in lead)
    else:
        assert all(-0.11 <= x <= 0.11 for x in lead)
    assert said_all(turn.delivered) == "Alpha beta gamma delta epsilon."


def said_all(text: str) -> str:
    return text


@needs_interim_transcription
async def test_interim_input_transcription() -> None:
    async with FakeLiveServer(replies=["Yes."], speed=SPEED, user_transcripts=["Is it red?"],
                              timing=ServiceTiming.instant(),
                              quirks=Quirks(interim_input_transcription=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            pcm = (3000).to_bytes(2, "little", signed=True) * 4000
            await session.send_realtime_input(audio=types.Blob(data=pcm,
                                                               mime_type="audio/pcm;rate=16000"))
            await session.send_realtime_input(audio_stream_end=True)
            messages = [m async for m in session.receive()]
    interim = [m.server_content.interim_input_transcription.text for m in messages
               if m.server_content and m.server_content.interim_input_transcription]
    final = [m.server_content.input_transcription.text for m in messages
             if m.server_content and m.server_content.input_transcription]
    # ServiceTiming.interim_shape defaults to "cumulative": each message is the hypothesis so far.
    assert interim == ["Is", "Is it", "Is it red?"]
    assert "".join(t or "" for t in final) == "Is it red?"
    assert server.turns


async def test_cjk_transcripts_come_without_spaces() -> None:
    async with FakeLiveServer(replies=["你好\uff0c世界。今天天气很好。"], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hi")
            chunks = [m.server_content.output_transcription.text
                      for m in [m async for m in session.receive()]
                      if m.server_content and m.server_content.output_transcription]
    assert "".join(c or "" for c in chunks) == "你好\uff0c世界。今天天气很好。"
    assert all(c and " " not in c and len(c.strip("\uff0c。")) <= 2 for c in chunks)
    assert server.turns[0].delivered == server.turns[0].text


async def test_tool_call_round_trip() -> None:
    config = {**AUDIO, "tools": [{"function_declarations": [{"name": "get_time"}]}]}
    async with FakeLiveServer(replies=[ToolCall("get_time", {"tz": "UTC"}), "It is noon."],
                              speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="What time is it?")
            calls = []
            first = [m async for m in session.receive()]
            for m in first:
                if m.tool_call:
                    call = (m.tool_call.function_calls or [])[0]
                    calls.append(call)
                    await session.send_tool_response(function_responses=types.FunctionResponse(
                        id=call.id, name=call.name, response={"time": "12:00"}))
            messages = [m async for m in session.receive()]
    # On 2.5 a toolCall is followed by turnComplete (ADK 2.13 waits for it to run the tool).
    assert [bool(m.tool_call) for m in first if m.tool_call or kinds([m])] == [True, False]
    assert kinds(first) == ["turn_complete"]
    (call,) = calls
    assert call.name == "get_time" and call.args == {"tz": "UTC"} and call.id
    assert said(messages) == "It is noon."
    assert server.turns[0].cause == "tool_response"
    assert ("tool", 'get_time: {"time": "12:00"}') in server.context
    assert [m.kind for m in server.received][-1] == "tool_response"


@pytest.mark.parametrize("say", ["", "Let me see, one moment while I look that up."])
@pytest.mark.parametrize("model", [M25, M38])
async def test_barge_in_during_a_tool_call_cancels_it(model: str, say: str) -> None:
    # A blocking call (3.8 runs undeclared functions NON_BLOCKING: declared here). The words
    # before it play for about 1.9 s after the call comes (0.19 s real time at this speed):
    # the client's answer to the call must come within that, on a busy machine too (at
    # SPEED, with "Let me see.", 15 ms was too little once, CI 2026-12-06).
    config = {**AUDIO, "tools": [{"function_declarations": [
        {"name": "slow", "behavior": "BLOCKING"}]}]}
    async with FakeLiveServer(replies=[ToolCall("slow", say=say), "Fine."],
                              speed=SPEED / 4) as server:
        async with server.client().aio.live.connect(model=model, config=config) as session:
            await session.send_realtime_input(text="Do it")
            seen = []
            async for m in session.receive():
                seen.append(m)
                if m.tool_call:
                    await session.send_realtime_input(text="Never mind.")
            seen += [m async for m in session.receive()]
    assert any(m.tool_call_cancellation for m in seen)
    if say:
        # Words before the call, still playing when the user cuts in: they were cut too (on
        # 2.5 the flag comes after the call's turnComplete, as after any turn still playing).
        assert "interrupted" in kinds(seen)
        before, answer = server.turns
        assert before.text == say and before.interrupted and answer.text == "Fine."
    elif model == M25:  # the call's turn had completed: one turnComplete for it, the answer
        assert kinds(seen) == ["turn_complete", "generation_complete", "turn_complete"]
        assert said(seen) == "Fine."
    else:  # 3.x: the open turn is cut like any other
        assert kinds(seen)[:2] == ["interrupted", "turn_complete"]


async def received_within(session: Any, seconds: float) -> list[types.LiveServerMessage]:
    """Every message the session receives within ``seconds`` (real time), across turns."""
    seen: list[types.LiveServerMessage] = []

    async def collect() -> None:
        while True:
            async for m in session.receive():
                seen.append(m)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(collect(), seconds)
    return seen


@pytest.mark.parametrize("model", [M25, M31, M38])
async def test_38_runs_undeclared_functions_non_blocking(model: str) -> None:
    # Reported (pipecat 1.14 llm.py): "The 3.8 Live family flipped the default: function
    # calls execute NON_BLOCKING unless the declaration explicitly asks for BLOCKING".
    for behavior, waits in ((None, model != M38), ("BLOCKING", True), ("NON_BLOCKING", False)):
        declaration = {"name": "slow", **({"behavior": behavior} if behavior else {})}
        config = {**AUDIO, "tools": [{"function_declarations": [declaration]}]}
        async with FakeLiveServer(replies=[ToolCall("slow", say="On it."), "Done."],
                                  speed=SPEED) as server:
            async with server.client().aio.live.connect(model=model, config=config) as session:
                await session.send_realtime_input(text="Do it")
                seen = await received_within(session, 0.5)  # the call is never answered
        calls = [i for i, m in enumerate(seen) if m.tool_call]
        assert len(calls) == 1, (behavior, model)
        # Its words, then the call (LiveKit drops a call that comes before any output).
        assert said(seen[:calls[0]]) == "On it." and said(seen[calls[0]:]) == ""
        if waits:  # nothing more until the answer (2.5 completes the call's turn at once)
            assert kinds(seen) == (["turn_complete"] if model == M25 else []), (behavior, model)
        else:  # the turn goes on to its end without waiting for the answer
            assert kinds(seen) == ["generation_complete", "turn_complete"], (behavior, model)


async def test_resumption_by_handle_restores_the_context() -> None:
    config = {**AUDIO, "session_resumption": {}}
    async with FakeLiveServer(replies=["Blue.", "You asked about the sky."],
                              speed=SPEED) as server:
        client = server.client()
        async with client.aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="Sky colour?")
            async for _ in session.receive():
                pass
            m = await anext(aiter(session.receive()))
            assert m.session_resumption_update and m.session_resumption_update.resumable
            handle = m.session_resumption_update.new_handle
        assert handle
        resumed = {**AUDIO, "session_resumption": {"handle": handle}}
        async with client.aio.live.connect(model=M25, config=resumed) as session:
            assert server.context == [("user", "Sky colour?"), ("model", "Blue.")]
            await session.send_realtime_input(text="What did I ask?")
            async for _ in session.receive():
                pass
    assert [t.session for t in server.turns] == [0, 1]
    assert server.context[-1] == ("model", "You asked about the sky.")


async def test_unknown_resumption_handle_is_refused() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        config = {**AUDIO, "session_resumption": {"handle": "nope"}}
        with pytest.raises(errors.APIError) as info:
            async with server.client().aio.live.connect(model=M25, config=config) as session:
                async for _ in session.receive():
                    pass
    assert info.value.code == 1007


def test_quirks_are_frozen_and_replaceable() -> None:
    q = dataclasses.replace(Quirks.for_model(M31), hold_turn_complete=True)
    assert q.reject_roleless_content and q.hold_turn_complete
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.hold_turn_complete = False  # type: ignore[misc]
