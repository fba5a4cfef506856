"""The note reaches the model before it answers the barge-in, on the field timing, per family.

Every test here talks over the model by voice through the real SDK against the offline server's
default (field) timing, with the default policy, and asks the server's ground truth
(``ModelTurn.context``) whether the answer began with the note in its context.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest
from google.genai import types

from gemini_live_interrupt import InterruptAwareSession, Interruption
from gemini_live_interrupt.testing import (
    FakeLiveServer,
    Quirks,
    ServiceTiming,
    ToolCall,
    user_audio,
)

from .conftest import (
    AUDIO,
    M25,
    M31,
    M38,
    STORY,
    needs_context_update,
    needs_interim_transcription,
    notes,
)
from .test_policies import Receiver, send_audio

SPEED = 10.0
MARK = "[Interruption note"
#: A tool the model waits for (3.8 runs undeclared functions NON_BLOCKING).
BLOCKING_WEATHER = {"name": "weather", "behavior": "BLOCKING"}


class Scaled(InterruptAwareSession):
    # The policy's waits are real seconds: scale the session's clock with the server.
    clock = staticmethod(lambda: time.monotonic() * SPEED)


async def speak(session: Any, seconds: float, *, speech: bool = True) -> None:
    """Talk (or keep the microphone open) for ``seconds``, paced like a microphone."""
    chunk = 0.05
    for _ in range(round(seconds / chunk)):
        await send_audio(session, user_audio(chunk, speech=speech))
        await asyncio.sleep(chunk / SPEED)


async def voice_barge_in(server: FakeLiveServer, session: Any) -> None:
    """Ask for a story by voice, talk over it, go quiet until the model has answered."""
    before = len(server.turns)
    await speak(session, 1.0)
    await speak(session, 0.8, speech=False)
    await server.wait_for(lambda: len(server.turns) > before and
                          len(server.turns[before].delivered.split()) >= 6, timeout=10)
    await speak(session, 1.2)
    for _ in range(60):  # a microphone never stops: silence until the answer is over
        await speak(session, 0.1, speech=False)
        if len(server.turns) >= before + 2 and server.turns[-1].ended_at is not None:
            break


async def conversation(
    model: str, cls: type[InterruptAwareSession] | None = None, *, seed: int = 0,
    quirks: Quirks | None = None, **options: Any,
) -> tuple[FakeLiveServer, Interruption, InterruptAwareSession, Receiver]:
    """A story asked for by voice, a voice barge-in and the answer, through session ``cls``,
    on the server's field timing (``seed``; the model family's quirks unless ``quirks``)."""
    async with FakeLiveServer(replies=[STORY, "Dragons, then.", "Noted."], speed=SPEED,
                              seed=seed, quirks=quirks,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        session_class = cls or Scaled
        async with session_class(server.client().aio.live.connect(model=model, config=AUDIO),
                                 **options) as session:
            receiver = Receiver(session)
            await voice_barge_in(server, session)
            record = await settled(session)
            await speak(session, 1.0, speech=False)  # late transcriptions still come in
            await receiver.stop()
    return server, record, session, receiver


async def settled(session: InterruptAwareSession) -> Interruption:
    for _ in range(300):
        if session.interruptions:
            return session.interruptions[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no interruption record")


# On 2.5 the answer to audio sees only a context update (google-genai >= 3's).
@pytest.mark.parametrize("model", [pytest.param(M25, marks=needs_context_update), M31, M38])
async def test_the_default_note_is_in_the_answer_and_costs_no_reply(model: str) -> None:
    server, record, _, _ = await conversation(model)
    story, answer, *extra = server.turns
    assert story.interrupted and extra == []  # one answer to one barge-in
    assert record.injected and record.reason is None
    assert notes(server) == [record.prompt]
    assert answer.saw(MARK)  # the note was in the context when the answer began
    # ... because it left at the interrupt, long before the answer was asked for.
    note_at = next(m.time for m in server.received if MARK in str(m.data))
    assert note_at < answer.requested_at


@pytest.mark.parametrize("model", [pytest.param(M25, marks=needs_context_update), M31, M38])
async def test_the_history_keeps_the_order_the_conversation_had(model: str) -> None:
    # The barge-in's words are transcribed while the answer to them plays (on 3.x in one
    # piece once the user stops): they still go before that answer, whole.
    server, record, session, _ = await conversation(model)
    story, answer = server.turns
    assert story.interrupted
    assert session.history == [("user", "Tell me a story."), ("model", record.heard),
                               ("user", "What about dragons?"), ("model", answer.text)]


@pytest.mark.parametrize("seed", [0, 1, 2, 8])
@pytest.mark.parametrize("model", [pytest.param(M25, marks=needs_context_update), M38])
async def test_an_early_barge_in_never_takes_the_requests_words_for_its_own(
        model: str, seed: int) -> None:
    # Output sent three times faster than it plays (the field timing): the user cuts in after
    # about two words, before the request itself is transcribed. These seeds: its words came
    # 0.2 (0), 0.35 (1) and 0.5 s (2, 8) after the flag, 0.45-0.95 s after the answer began.
    assert ServiceTiming.field().output_speed == 3.0
    _, record, session, _ = await conversation(model, seed=seed, max_history=10)
    assert record.user_text in ("", "What about dragons?")  # never "Tell me a story."
    assert session.history == [("user", "Tell me a story."), ("model", record.heard),
                               ("user", "What about dragons?"), ("model", "Dragons, then.")]


class ToolReceiver(Receiver):
    """The app's receive loop; it answers each tool call at once (with ``scheduling``, for
    a NON_BLOCKING call), or, with ``hold``, keeps it until ``answer()``."""

    def __init__(self, session: Any, scheduling: str | None = None, *,
                 hold: bool = False, where: str = "field") -> None:
        self.scheduling, self.hold, self.where = scheduling, hold, where
        self.held: list[types.FunctionCall] = []
        self.answers: set[asyncio.Task[None]] = set()
        super().__init__(session)

    def seen(self, message: types.LiveServerMessage) -> None:
        for call in message.tool_call.function_calls or () if message.tool_call else ():
            self.held.append(call)
        if self.held and not self.hold:
            task = asyncio.get_running_loop().create_task(self.answer())
            self.answers.add(task)
            task.add_done_callback(self.answers.discard)

    async def answer(self) -> None:
        """The tools held so far have run: their answers go out."""
        calls, self.held = self.held, []
        for call in calls:
            if self.where == "response":  # as the Live API's tool guide writes it
                response = types.FunctionResponse(id=call.id, name=call.name, response={
                    "sky": "clear", "scheduling": self.scheduling})
            else:
                response = types.FunctionResponse(
                    id=call.id, name=call.name, response={"sky": "clear"},
                    scheduling=self.scheduling and types.FunctionResponseScheduling(
                        self.scheduling))
            await self.session.send_tool_response(function_responses=response)


async def test_a_blocking_calls_answer_ignores_its_scheduling() -> None:
    # Scheduling applies to NON_BLOCKING functions only (SDK docstring); an app may set it on
    # every answer (LiveKit's tool_response_scheduling). A user who then talks over the reply
    # is a barge-in like any other.
    config = {**AUDIO, "tools": [{"function_declarations": [BLOCKING_WEATHER]}]}
    replies = [ToolCall("weather", say="Let me check."), STORY, "Dragons, then.", "Noted."]
    async with FakeLiveServer(replies=replies, speed=SPEED,
                              user_transcripts=["What about dragons?"]) as server:
        async with Scaled(server.client().aio.live.connect(model=M38, config=config),
                          max_history=10) as session:
            receiver = ToolReceiver(session, "INTERRUPT")
            await session.send_realtime_input(text="Weather, then a story.")
            await server.wait_for(lambda: len(server.turns) == 2 and
                                  len(server.turns[1].delivered.split()) >= 6, timeout=10)
            await speak(session, 1.2)
            for _ in range(60):
                await speak(session, 0.1, speech=False)
                if len(server.turns) >= 3 and server.turns[-1].ended_at is not None:
                    break
            record = await settled(session)
            await receiver.stop()
    assert server.turns[1].interrupted and server.turns[2].text == "Dragons, then."
    assert record.injected and notes(server) == [record.prompt]


@pytest.mark.parametrize("where", ["field", "response"])
async def test_a_tools_answer_that_cuts_the_model_is_no_barge_in(where: str) -> None:
    # A NON_BLOCKING function: the model says "Let me check." and calls it, and does not wait.
    # Asked for a story meanwhile it tells one; the tool's answer, scheduled INTERRUPT, cuts
    # the story (SDK docstring) and the model gives the weather. Nobody talked over it: no
    # note, no record; the history keeps what was heard of the story, then the weather.
    config = {**AUDIO, "tools": [{"function_declarations": [
        {"name": "weather", "behavior": "NON_BLOCKING"}]}]}
    replies = [ToolCall("weather", say="Let me check."), STORY, "Clear skies.", "Noted."]
    async with FakeLiveServer(replies=replies, speed=SPEED) as server:
        async with Scaled(server.client().aio.live.connect(model=M38, config=config),
                          max_history=10) as session:
            # The scheduling in the SDK's field, or in the response as the Live API's tool
            # guide writes it (https://ai.google.dev/gemini-api/docs/live-tools).
            receiver = ToolReceiver(session, "INTERRUPT", hold=True, where=where)
            await session.send_realtime_input(text="Weather?")
            await server.wait_for(lambda: bool(server.turns) and server.turns[0].ended_at
                                  is not None and bool(receiver.held), timeout=10)
            await session.send_realtime_input(text="Tell me a story while you look.")
            await server.wait_for(lambda: len(server.turns) == 2 and
                                  len(server.turns[1].delivered.split()) >= 6, timeout=10)
            await receiver.answer()  # the tool has run
            await server.wait_for(lambda: len(server.turns) == 3 and
                                  server.turns[2].ended_at is not None, timeout=10)
            await speak(session, 1.0, speech=False)
            await receiver.stop()
    check, story, weather = server.turns
    assert story.interrupted and weather.text == "Clear skies." and not check.interrupted
    assert session.interruptions == [] and notes(server) == []
    assert session.history[:3] == [("user", "Weather?"), ("model", "Let me check."),
                                   ("user", "Tell me a story while you look.")]
    (cut, reply) = session.history[3:]
    assert cut[0] == "model" and STORY.startswith(cut[1]) and cut[1] != STORY
    assert reply == ("model", "Clear skies.")


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("model", [pytest.param(M25, marks=needs_context_update), M38])
async def test_after_a_tool_call_an_early_barge_in_leaves_the_request_its_words(
        model: str, seed: int) -> None:
    # The model says "Let me check." and calls a tool in one turn; on 3.x its answer to the
    # tool's result continues that turn. Later the user asks for a story by voice and cuts in
    # at once, before the request is transcribed: its late words are still the request's.
    replies = [ToolCall("weather", say="Let me check."), "Clear skies.", STORY,
               "Dragons, then.", "Noted."]
    async with FakeLiveServer(replies=replies, speed=SPEED, seed=seed,
                              user_transcripts=["Tell me a story.", "What about dragons?"]
                              ) as server:
        config = {**AUDIO, "tools": [{"function_declarations": [BLOCKING_WEATHER]}]}
        async with Scaled(server.client().aio.live.connect(model=model, config=config),
                          max_history=10) as session:
            receiver = ToolReceiver(session)
            await session.send_realtime_input(text="Weather?")
            await server.wait_for(lambda: len(server.turns) == 2 and
                                  server.turns[1].ended_at is not None, timeout=10)
            await voice_barge_in(server, session)
            record = await settled(session)
            await speak(session, 1.0, speech=False)  # late transcriptions still come in
            await receiver.stop()
    assert [t.text for t in server.turns] == [
        "Let me check.", "Clear skies.", STORY, "Dragons, then."]
    assert record.user_text in ("", "What about dragons?")  # never "Tell me a story."
    assert session.history[-4:] == [("user", "Tell me a story."), ("model", record.heard),
                                    ("user", "What about dragons?"), ("model", "Dragons, then.")]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("model", "declared"), [
    (M25, BLOCKING_WEATHER), (M38, BLOCKING_WEATHER), (M38, {"name": "weather"})])
async def test_a_request_by_voice_stays_whole_before_the_words_that_lead_to_a_tool(
        model: str, declared: dict[str, str], seed: int) -> None:
    # "Let me check." starts while the request is still being transcribed (word by word on
    # 2.5, where the call completes that turn): its last words, even those that come once the
    # reply to the tool's answer has begun, are the request's. Also with the function left
    # undeclared on 3.8, which then runs it NON_BLOCKING (the reply a turn of its own).
    request = "What is the weather in Paris?"
    replies = [ToolCall("weather", say="Let me check."), "Clear skies.", "Noted."]
    async with FakeLiveServer(replies=replies, speed=SPEED, seed=seed,
                              user_transcripts=[request]) as server:
        config = {**AUDIO, "tools": [{"function_declarations": [declared]}]}
        async with Scaled(server.client().aio.live.connect(model=model, config=config),
                          max_history=10) as session:
            receiver = ToolReceiver(session)
            await speak(session, 1.6)
            for _ in range(60):  # silence until the reply is over and transcribed
                await speak(session, 0.1, speech=False)
                if len(server.turns) == 2 and server.turns[1].ended_at is not None:
                    break
            await speak(session, 1.0, speech=False)
            await receiver.stop()
    assert [t.text for t in server.turns] == ["Let me check.", "Clear skies."]
    (asked, *answers) = session.history
    assert asked == ("user", request)
    assert [role for role, _ in answers] == ["model"] * len(answers)


@needs_interim_transcription
@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("model", [pytest.param(M25, marks=needs_context_update), M38])
async def test_final_words_replace_the_interim_ones_in_the_history(model: str, seed: int) -> None:
    # With interim transcription the request (and the barge-in) can be committed with its
    # interim words when the model starts answering; the final ones, later, replace them.
    quirks = dataclasses.replace(Quirks.for_model(model), interim_input_transcription=True)
    _, record, session, _ = await conversation(model, seed=seed, quirks=quirks, max_history=10)
    assert record.user_text in ("", "What", "What about", "What about dragons?")
    assert session.history == [("user", "Tell me a story."), ("model", record.heard),
                               ("user", "What about dragons?"), ("model", "Dragons, then.")]


async def test_a_subclass_with_its_own_builder_informs_the_answer_too() -> None:
    class Mine(Scaled):
        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            return f"[Interruption note] The user heard: {heard}"

    server, record, _, _ = await conversation(M38, Mine)
    assert record.injected, record.reason
    assert server.turns[1].saw("[Interruption note] The user heard:")


async def test_a_slow_builder_is_replaced_by_the_default_and_never_dropped() -> None:
    class Slow(Scaled):
        prompt_timeout = 0.05  # real seconds; the builder takes far longer

        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            time.sleep(1.0)
            return "too late"

    server, record, _, _ = await conversation(M38, Slow)
    assert record.injected and record.prompt and record.prompt.startswith(MARK)
    assert "too late" not in notes(server)
    assert server.turns[1].saw(MARK)


async def test_a_realtime_text_note_never_reaches_the_app_as_user_speech() -> None:
    # By explicit choice, in a subclass that sends it its own way: the service transcribes
    # the note back as if the user had said it; receive() hides that, and the history and
    # the next record never take it for the user's words.
    class Own(Scaled):
        async def inject(self, prompt: str) -> None:
            await self.raw.send_realtime_input(text=prompt)

    from gemini_live_interrupt import InjectionPolicy

    policy = InjectionPolicy(channel="realtime_text", first_words_wait=0.0)
    server, record, session, receiver = await conversation(M25, Own, policy=policy)
    history = session.history
    assert record.injected and record.prompt
    sent = [m for m in server.received if m.kind == "realtime_input" and "text" in m.data]
    assert [m.data["text"] for m in sent] == [record.prompt]  # the server did transcribe it
    heard_by_app = "".join(
        m.server_content.input_transcription.text or ""
        for turn in receiver.turns for m in turn
        if m.server_content and m.server_content.input_transcription)
    assert "Interruption note" not in heard_by_app
    assert "What about dragons?" in heard_by_app or "dragons" in heard_by_app
    assert all("Interruption note" not in text for _, text in history)
