"""Channel semantics of the offline server per model family, and its ground truth.

What frameworks rely on (LiveKit and pipecat, in docs/live-api.md, "Adding context
mid-session: the channels"): clientContent with and without turnComplete, the whitespace nudge,
``send_context_update``, usageMetadata, tool-call turns, and ``ModelTurn.context`` as the record
of what the model knew when it began a reply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from google.genai import errors, types

from gemini_live_interrupt.testing import (
    FakeLiveServer,
    Quirks,
    ServiceTiming,
    ToolCall,
    user_audio,
)

from .conftest import AUDIO, M25, M31, M38, needs_context_update

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook."
)
SPEED = 10.0
FAMILIES = [M25, M31, M38]
NO_TURN = 0.15  # real seconds to wait for a turn that must not come (latency here: 30 ms)

Msgs = list[types.LiveServerMessage]


def note(text: str, role: str = "user") -> types.Content:
    return types.Content(role=role, parts=[types.Part(text=text)])


def kinds(messages: Msgs) -> list[str]:
    """interrupted / speech / generation_complete / turn_complete / tool_call / in, runs of
    model audio and output transcription collapsed into one "speech"."""
    out: list[str] = []
    for m in messages:
        c = m.server_content
        if m.tool_call:
            out.append("tool_call")
        if c and c.input_transcription:
            out.append("in")
        if c and (c.model_turn or c.output_transcription) and (not out or out[-1] != "speech"):
            out.append("speech")
        if c and c.interrupted:
            out.append("interrupted")
        if c and c.generation_complete:
            out.append("generation_complete")
        if c and c.turn_complete:
            out.append("turn_complete")
    return out


def said(messages: Msgs) -> str:
    return "".join(m.server_content.output_transcription.text or "" for m in messages
                   if m.server_content and m.server_content.output_transcription)


def is_audio(m: types.LiveServerMessage) -> bool:
    c = m.server_content
    return bool(c and c.model_turn and any(p.inline_data for p in c.model_turn.parts or ()))


async def receive(session: Any) -> Msgs:
    return [m async for m in session.receive()]


async def no_turn(server: FakeLiveServer, count: int) -> None:
    """Assert that no turn beyond the first ``count`` starts within ``NO_TURN`` seconds."""
    with pytest.raises(TimeoutError):
        await server.wait_for(lambda: len(server.turns) > count, timeout=NO_TURN)


async def stream(session: Any, pcm: bytes, chunk: float = 0.05) -> None:
    """User audio at the server's pace."""
    step = int(chunk * 16000) * 2
    for i in range(0, len(pcm), step):
        await session.send_realtime_input(
            audio=types.Blob(data=pcm[i : i + step], mime_type="audio/pcm;rate=16000"))
        await asyncio.sleep(chunk / SPEED)


def speech(seconds: float = 0.3) -> bytes:
    """An utterance the server's VAD ends (silence 0.3 s with ServiceTiming.instant())."""
    return user_audio(seconds) + user_audio(0.4, speech=False)


async def raw(session: Any, message: dict[str, Any]) -> None:
    """A client frame the SDK would not build (it always sets a role)."""
    await session._ws.send(json.dumps(message))


async def hello(server: FakeLiveServer, session: Any, text: str = "Hi") -> Msgs:
    """One realtime-text exchange, so the conversation has started."""
    await session.send_realtime_input(text=text)
    return await receive(session)


# -- 1. turnComplete: false, roles ------------------------------------------------------------

@pytest.mark.parametrize("model", FAMILIES)
async def test_silent_content_adds_context_and_starts_no_turn(model: str) -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await hello(server, session)
            await session.send_client_content(turns=[note("Aside."), note("Sure.", "model")],
                                              turn_complete=False)
            await server.wait_for(lambda: ("model", "Sure.") in server.context)
            await no_turn(server, 1)
    assert server.context[-2:] == [("user", "Aside."), ("model", "Sure.")]


@pytest.mark.parametrize("model", [M31, M38])
async def test_3x_closes_on_a_turn_without_role(model: str) -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await hello(server, session)
            await raw(session, {"client_content": {
                "turns": [{"parts": [{"text": "No role."}]}], "turnComplete": False}})
            with pytest.raises(errors.APIError) as info:
                await receive(session)
    assert info.value.code == 1007
    assert not any("No role." in text for _, text in server.context)


async def test_25_takes_a_turn_without_role_as_the_users() -> None:
    async with FakeLiveServer(replies=["Hi.", "Yes."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await hello(server, session)
            await raw(session, {"client_content": {
                "turns": [{"parts": [{"text": "No role."}]}], "turnComplete": False}})
            await server.wait_for(lambda: ("user", "No role.") in server.context)
            assert said(await hello(server, session, "Still there?")) == "Yes."


@pytest.mark.parametrize("model", FAMILIES)
async def test_role_system_closes_with_1007(model: str) -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await raw(session, {"client_content": {
                "turns": [{"role": "system", "parts": [{"text": "Be brief."}]}],
                "turnComplete": False}})
            with pytest.raises(errors.APIError) as info:
                await receive(session)
    assert info.value.code == 1007
    assert server.turns == []


async def test_31_accepts_content_mid_session() -> None:
    async with FakeLiveServer(replies=["Hi.", "Yes."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M31, config=AUDIO) as session:
            await hello(server, session)
            await session.send_client_content(
                turns=[note("Earlier, user."), note("Earlier, model.", "model")],
                turn_complete=False)
            messages = await hello(server, session, "Go on.")
    assert said(messages) == "Yes."
    assert server.context[2:] == [("user", "Earlier, user."), ("model", "Earlier, model."),
                                  ("user", "Go on."), ("model", "Yes.")]
    assert server.turns[1].saw("Earlier, user.") and server.turns[1].saw("Earlier, model.")


# -- 2. turnComplete: true ---------------------------------------------------------------------

async def test_25_turn_complete_answers_at_once() -> None:
    async with FakeLiveServer(replies=["Noted."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_client_content(turns=note("Say noted."))
            messages = await receive(session)
    (turn,) = server.turns
    assert said(messages) == "Noted." and turn.cause == "client_content"
    assert turn.requested_at == pytest.approx(server.received[-1].time, abs=1e-6)
    assert turn.started_at - turn.requested_at == pytest.approx(0.3 / SPEED, abs=1e-6)
    assert "in" not in kinds(messages)  # clientContent gets no input transcription


async def test_38_turn_complete_cuts_the_current_reply() -> None:
    async with FakeLiveServer(replies=[STORY, "Noted."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M38, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            seen: Msgs = []
            async for m in session.receive():
                seen.append(m)
                if len(said(seen).split()) == 3 and m.server_content \
                        and m.server_content.output_transcription:
                    await session.send_client_content(turns=note("Heard three words."))
            await no_turn(server, 1)  # 3.x: waits for realtime input
            await session.send_realtime_input(text=" ")
            after = await receive(session)
    story, noted = server.turns
    at = next(m.time for m in server.received if m.kind == "client_content")
    assert kinds(seen)[-2:] == ["interrupted", "turn_complete"]
    assert story.interrupted and story.ended_at == pytest.approx(at, abs=0.002)  # at once
    assert len(story.delivered.split()) in (3, 4)
    assert said(after) == "Noted." and noted.cause == "client_content"
    assert noted.saw("Heard three words.") and noted.saw(story.delivered)


@pytest.mark.parametrize("follow", ["nudge", "text", "audio"])
async def test_3x_turn_complete_waits_for_realtime_input(follow: str) -> None:
    async with FakeLiveServer(replies=["Answer."], speed=SPEED, timing=ServiceTiming.instant(),
                              user_transcripts=["And now?"]) as server:
        async with server.client().aio.live.connect(model=M31, config=AUDIO) as session:
            await session.send_client_content(turns=note("What is two plus two?"))
            await no_turn(server, 0)
            if follow == "nudge":
                await session.send_realtime_input(text=" ")
            elif follow == "text":
                await session.send_realtime_input(text="Please answer.")
            else:
                await stream(session, user_audio(0.1, speech=False))  # any audio will do
            messages = await receive(session)
            await no_turn(server, 1)
    (turn,) = server.turns  # exactly one reply
    assert said(messages) == "Answer."
    assert turn.saw("What is two plus two?")
    if follow == "text":
        # The text barges in on the reply not begun yet and asks for its own, which sees both.
        assert turn.cause == "realtime_text" and turn.saw("Please answer.")
    else:
        assert turn.cause == "client_content"


async def test_3x_without_the_wait_quirk_answers_at_once() -> None:
    quirks = dataclasses.replace(Quirks.for_model(M31), client_content_waits_for_input=False)
    async with FakeLiveServer(replies=["Answer."], speed=SPEED, quirks=quirks) as server:
        async with server.client().aio.live.connect(model=M31, config=AUDIO) as session:
            await session.send_client_content(turns=note("What is two plus two?"))
            messages = await receive(session)
    assert said(messages) == "Answer." and server.turns[0].cause == "client_content"
    assert [m.kind for m in server.received] == ["setup", "client_content"]


# -- 3. send_context_update --------------------------------------------------------------------

@needs_context_update
@pytest.mark.parametrize("model", [M25, M38])
async def test_context_update_replaces_the_system_instruction(model: str) -> None:
    config = {**AUDIO, "system_instruction": "Be verbose."}
    async with FakeLiveServer(replies=["Hi.", "Ok."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=config) as session:
            await hello(server, session)
            await session.send_context_update(system_instruction="Be terse.")
            await server.wait_for(lambda: server.context[0] == ("system", "Be terse."))
            await no_turn(server, 1)
            await hello(server, session, "Again")
    assert [e for e in server.context if e[0] == "system"] == [("system", "Be terse.")]
    assert server.received[2].kind == "context_update"
    assert server.turns[1].saw("Be terse.") and not server.turns[1].saw("Be verbose.")


# -- 4. the whitespace nudge -------------------------------------------------------------------

@pytest.mark.parametrize("model", [M25, M38])
async def test_nudge_does_not_barge_in_or_transcribe(model: str) -> None:
    async with FakeLiveServer(replies=["One two three four five six."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await session.send_realtime_input(text="Count")
            seen: Msgs = []
            async for m in session.receive():
                seen.append(m)
                if said(seen) == "One":
                    await session.send_realtime_input(text=" ")
            await no_turn(server, 1)
    (turn,) = server.turns
    assert not turn.interrupted and turn.delivered == turn.text
    assert "interrupted" not in kinds(seen)
    assert kinds(seen).count("in") == 1  # "Count" only
    assert server.context == [("user", "Count"), ("model", "One two three four five six.")]
    assert server.received[-1].data == {"text": " "}


@pytest.mark.parametrize("model", [M25, M31])
async def test_nudge_starts_a_reply_when_none_runs(model: str) -> None:
    async with FakeLiveServer(replies=["Hello?"], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await session.send_realtime_input(text=" ")
            messages = await receive(session)
    (turn,) = server.turns
    assert said(messages) == "Hello?" and turn.cause == "nudge"
    assert "in" not in kinds(messages)
    assert server.context == [("model", "Hello?")]


# -- 5. silent content and the next audio answer ----------------------------------------------

@pytest.mark.parametrize(("model", "first_sees"), [(M25, False), (M38, True)])
async def test_silent_content_and_the_next_audio_answer(model: str, first_sees: bool) -> None:
    async with FakeLiveServer(replies=["First.", "Second."], speed=SPEED,
                              timing=ServiceTiming.instant(),
                              user_transcripts=["Question one?", "Question two?"]) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await session.send_client_content(turns=note("The user is called Ada."),
                                              turn_complete=False)
            for answer in ("First.", "Second."):
                task = asyncio.create_task(stream(session, speech()))
                assert said(await receive(session)) == answer  # read: a full socket stalls
                await task
    first, second = server.turns
    assert (first.cause, second.cause) == ("user_audio", "user_audio")
    assert first.saw("Question one?")
    assert first.saw("The user is called Ada.") is first_sees
    assert second.saw("The user is called Ada.")
    assert ("user", "The user is called Ada.") in server.context  # in the context all along


# -- 6. usageMetadata --------------------------------------------------------------------------

async def test_usage_metadata_with_every_turn_complete() -> None:
    async with FakeLiveServer(replies=[STORY, "Fine."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            seen: Msgs = []
            async for m in session.receive():
                seen.append(m)
                if len(said(seen).split()) == 4 and m.server_content \
                        and m.server_content.output_transcription:
                    await session.send_realtime_input(text="Stop.")
            seen += await receive(session)
    story, fine = server.turns
    assert story.interrupted and not fine.interrupted
    done = [m for m in seen if m.server_content and m.server_content.turn_complete]
    assert len(done) == 2
    usage = [m.usage_metadata for m in done]
    for u, turn in zip(usage, server.turns, strict=True):
        assert u is not None
        assert u.prompt_token_count and u.prompt_token_count > 0
        assert u.response_token_count and u.response_token_count > 0
        assert u.total_token_count == u.prompt_token_count + u.response_token_count
        assert u.response_token_count >= round(turn.audio_seconds_sent * 25)
    # The cut story counts what was sent, not the whole of it.
    assert usage[0] is not None and usage[0].response_token_count is not None
    assert usage[0].response_token_count < round(story.words[-1][2] * 25)
    assert usage[1] is not None and usage[1].prompt_token_count is not None
    assert usage[0].prompt_token_count is not None
    assert usage[1].prompt_token_count > usage[0].prompt_token_count  # the context grew
    assert not any(m.usage_metadata for m in seen if m not in done)


# -- 7. tool calls -----------------------------------------------------------------------------

TOOLS = {**AUDIO, "tools": [{"function_declarations": [{"name": "get_time"}]}]}


def respond(call: types.FunctionCall) -> types.FunctionResponse:
    return types.FunctionResponse(id=call.id, name=call.name, response={"time": "12:00"})


async def test_25_tool_call_ends_the_turn_and_the_answer_is_a_new_one() -> None:
    async with FakeLiveServer(replies=[ToolCall("get_time"), "It is noon."],
                              speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=TOOLS) as session:
            await session.send_realtime_input(text="Time?")
            first = await receive(session)  # ends without any tool response
            (call,) = next(m for m in first if m.tool_call).tool_call.function_calls or []
            await session.send_tool_response(function_responses=respond(call))
            second = await receive(session)
    assert kinds(first) == ["in", "tool_call", "turn_complete"]
    usage = first[-1].usage_metadata  # usageMetadata with this turnComplete too
    assert usage is not None and usage.prompt_token_count and usage.prompt_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + (usage.response_token_count or 0)
    assert kinds(second) == ["speech", "generation_complete", "turn_complete"]
    assert said(second) == "It is noon."
    assert server.turns[0].cause == "tool_response"


async def test_3x_no_turn_complete_until_the_answer_after_the_tool_response() -> None:
    async with FakeLiveServer(replies=[ToolCall("get_time"), "It is noon."],
                              speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M31, config=TOOLS) as session:
            await session.send_realtime_input(text="Time?")
            messages: Msgs = []
            async for m in session.receive():
                messages.append(m)
                if m.tool_call:
                    await asyncio.sleep(0.1)  # the turn stays open while the tool runs
                    (call,) = m.tool_call.function_calls or []
                    await session.send_tool_response(function_responses=respond(call))
    assert kinds(messages) == ["in", "tool_call", "speech", "generation_complete",
                               "turn_complete"]
    assert said(messages) == "It is noon."
    assert ("tool", 'get_time: {"time": "12:00"}') in server.context


async def receive_answering_tools(session: Any) -> Msgs:
    """One turn's messages, the tool calls in it answered as they come."""
    messages: Msgs = []
    async for m in session.receive():
        messages.append(m)
        for call in m.tool_call.function_calls or () if m.tool_call else ():
            await session.send_tool_response(function_responses=respond(call))
    return messages


async def test_words_before_a_tool_call_go_in_the_calls_turn() -> None:
    # The model says "Let me check." and then calls the tool, in one turn: on 2.5 that turn
    # completes at the call and the answer is a new one; on 3.x the answer continues it.
    for model, shape in ((M25, [["in", "speech", "tool_call", "turn_complete"],
                                ["speech", "generation_complete", "turn_complete"]]),
                         (M31, [["in", "speech", "tool_call", "speech", "generation_complete",
                                 "turn_complete"]])):
        replies = [ToolCall("get_time", say="Let me check."), "It is noon."]
        async with FakeLiveServer(replies=replies, speed=SPEED) as server:
            async with server.client().aio.live.connect(model=model, config=TOOLS) as session:
                await session.send_realtime_input(text="Time?")
                turns: list[Msgs] = []
                while not any("It is noon." in said(turn) for turn in turns):
                    turns.append(await receive_answering_tools(session))
        assert [kinds(t) for t in turns] == shape, model
        assert [said(t) for t in turns] == (["Let me check.", "It is noon."] if model == M25
                                            else ["Let me check.It is noon."])
        before, answer = server.turns
        assert (before.text, before.delivered, before.interrupted) == (
            "Let me check.", "Let me check.", False)
        assert before.ended_at is not None and answer.cause == "tool_response"
        assert server.context[1:] == [("model", "Let me check."), ("tool_call", "get_time({})"),
                                      ("tool", 'get_time: {"time": "12:00"}'),
                                      ("model", "It is noon.")]


def answer(call: types.FunctionCall, result: dict[str, object], scheduling: str,
           where: str) -> types.FunctionResponse:
    """A NON_BLOCKING call's answer with its ``scheduling`` in the SDK's field, or (``where=
    "response"``) in the response itself, as the Live API's tool guide writes it
    (https://ai.google.dev/gemini-api/docs/live-tools: ``response={"result": "ok",
    "scheduling": "INTERRUPT"}``; pipecat sends it so)."""
    if where == "response":
        return types.FunctionResponse(id=call.id, name=call.name,
                                      response={**result, "scheduling": scheduling})
    return types.FunctionResponse(id=call.id, name=call.name, response=result,
                                  scheduling=types.FunctionResponseScheduling(scheduling))


@pytest.mark.parametrize("where", ["field", "response"])
@pytest.mark.parametrize("scheduling", ["WHEN_IDLE", "INTERRUPT", "SILENT"])
async def test_a_non_blocking_call_is_answered_as_its_response_is_scheduled(
        scheduling: str, where: str) -> None:
    # The model says its words and calls; the app answers at once, while they still play.
    config = {**AUDIO, "tools": [{"function_declarations": [
        {"name": "search", "behavior": "NON_BLOCKING"}]}]}
    replies = [ToolCall("search", say=STORY, blocking=False), "Found it."]
    async with FakeLiveServer(replies=replies, speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M38, config=config) as session:
            await session.send_realtime_input(text="Look it up.")
            first: Msgs = []
            async for m in session.receive():
                first.append(m)
                for call in m.tool_call.function_calls or () if m.tool_call else ():
                    await session.send_tool_response(
                        function_responses=answer(call, {"found": True}, scheduling, where))
            if scheduling == "SILENT":
                await no_turn(server, 1)
            else:
                second = await receive(session)
    assert kinds(first)[:3] == ["in", "speech", "tool_call"]  # the words, then the call
    story = server.turns[0]
    assert any(entry[0] == "tool" and entry[1].startswith('search: {"found": true')
               for entry in server.context) and story.delivered == STORY
    if scheduling == "INTERRUPT":  # cut while it still plays (turnComplete held), answered
        assert kinds(first)[-2:] == ["interrupted", "turn_complete"] and story.interrupted
    else:  # the turn goes on to its end
        assert kinds(first)[-2:] == ["generation_complete", "turn_complete"]
        assert not story.interrupted
    if scheduling == "SILENT":
        assert len(server.turns) == 1
    else:
        assert said(second) == "Found it." and server.turns[1].cause == "tool_response"


def test_a_tool_calls_words_must_be_text() -> None:
    with pytest.raises(TypeError, match="say must be a str"):
        ToolCall("get_time", say=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="blocking must be a bool"):
        ToolCall("get_time", blocking="no")  # type: ignore[arg-type]


# -- 8. ground truth: ModelTurn.context -------------------------------------------------------

@pytest.mark.parametrize("model", [M25, M38])
async def test_context_is_what_the_model_held_when_it_began(model: str) -> None:
    timing = ServiceTiming(response_latency=2.0)  # 200 ms of server time
    async with FakeLiveServer(replies=["Long enough answer here.", "Ok."], speed=SPEED,
                              timing=timing) as server:
        async with server.client().aio.live.connect(model=model, config=AUDIO) as session:
            await session.send_realtime_input(text="Hi")
            await session.send_client_content(turns=note("Early note."), turn_complete=False)
            early = server.now()
            await server.wait_for(lambda: bool(server.turns))
            await session.send_client_content(turns=note("Late note."), turn_complete=False)
            await receive(session)
            await hello(server, session, "Again")
    first, second = server.turns
    asked = next(m.time for m in server.received if m.data.get("text") == "Hi")
    assert first.requested_at == pytest.approx(asked, abs=1e-6)
    assert first.requested_at <= first.started_at
    assert first.started_at - first.requested_at == pytest.approx(0.2, abs=1e-6)
    assert early < first.started_at
    assert first.saw("Early note.") and not first.saw("Late note.")
    assert first.saw("Hi") and not first.saw("Long enough")
    assert second.saw("Late note.") and second.saw("Long enough answer here.")
    assert first.requested_at <= first.started_at <= (first.ended_at or 0) <= second.requested_at


async def test_turns_record_their_own_context_copy() -> None:
    async with FakeLiveServer(replies=["A.", "B."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await hello(server, session, "one")
            await hello(server, session, "two")
    first, second = server.turns
    assert first.context == [("user", "one")]
    assert second.context == [("user", "one"), ("model", "A."), ("user", "two")]
