"""Injection policies through the real SDK against the offline server."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import struct
import time
from typing import Any, ClassVar

import pytest
from google.genai import live, types

from gemini_live_interrupt import (
    Channel,
    InjectionPolicy,
    InterruptAwareSession,
    Interruption,
    connect,
)
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ServiceTiming

from .conftest import (
    AUDIO,
    CHANNEL_25,
    M25,
    M38,
    STORY,
    needs_context_update,
    needs_interim_transcription,
    notes,
)

SPEED = 25.0
SYSTEM = "You are a kind storyteller."


def tone(seconds: float, amplitude: int, rate: int = 16000) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / rate)))
                    for i in range(n))


async def send_audio(session: Any, pcm: bytes, chunk: float = 0.05) -> None:
    step = int(chunk * 16000) * 2
    for i in range(0, len(pcm), step):
        await session.send_realtime_input(
            audio=types.Blob(data=pcm[i : i + step], mime_type="audio/pcm;rate=16000"))


def text_of(m: types.LiveServerMessage) -> str:
    c = m.server_content
    return (c.output_transcription.text or "") if c and c.output_transcription else ""




async def settled(session: InterruptAwareSession, n: int = 1) -> list[Interruption]:
    for _ in range(300):
        if len(session.interruptions) >= n:
            return session.interruptions
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {n} records: {session.interruptions}")


async def story_then_text_barge_in(session: Any, barge: str) -> list[types.LiveServerMessage]:
    await session.send_realtime_input(text="Tell me a story.")
    seen: list[types.LiveServerMessage] = []
    async for m in session.receive():
        seen.append(m)
        if text_of(m) and sum(bool(text_of(x)) for x in seen) == 5:
            await session.send_realtime_input(text=barge)
    return seen


class Receiver:
    """The app's receive loop, in the background, as real apps run it."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.turns: list[list[types.LiveServerMessage]] = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            turn: list[types.LiveServerMessage] = []
            self.turns.append(turn)
            async for m in self.session.receive():
                turn.append(m)
                self.seen(m)

    def seen(self, message: types.LiveServerMessage) -> None:
        """What the app does with each message as it comes (a subclass's)."""

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def test_the_note_waits_for_the_first_words() -> None:
    # The user's words are transcribed only after `interrupted` (as on the real service).
    policy = InjectionPolicy(first_words_wait=2.0)
    async with FakeLiveServer(replies=[STORY, "Dragons!", "Right."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=policy) as session:
            await story_then_text_barge_in(session, "What about dragons?")
            receiver = Receiver(session)
            (record,) = await settled(session)
            await receiver.stop()
    assert record.injected and record.user_text == "What about dragons?"
    assert "<<<What about dragons?>>>" in notes(server)[0]


async def story_then_wordless_barge_in(session: Any, server: FakeLiveServer) -> None:
    """A story, then the user talks over it by voice with words never transcribed (no
    transcript scripted) and stops: the model answers while the note still waits for them."""
    await session.send_realtime_input(text="Tell me a story.")
    await server.wait_for(
        lambda: bool(server.turns) and server.turns[0].delivered.count(" ") >= 4)
    await send_audio(session, tone(0.6, 4000))
    await send_audio(session, tone(0.8, 0))  # ... and is done: the service answers
    await server.wait_for(lambda: len(server.turns) >= 2 and bool(server.turns[1].ended_at))


@needs_context_update
async def test_a_context_update_note_keeps_the_instruction_and_starts_no_turn() -> None:
    contexts: list[list[tuple[str, str]]] = []

    def model(context: list[tuple[str, str]]) -> str:
        contexts.append(list(context))
        return STORY if len(contexts) == 1 else "Dragons, yes."

    class Scaled(InterruptAwareSession):  # on the server's clock: its lags are its seconds
        clock = staticmethod(lambda: time.monotonic() * SPEED)

    # The note waits for the barge-in's first words, transcribed half a second behind them.
    policy = InjectionPolicy(channel="context_update", first_words_wait=1.0)
    config = {**AUDIO, "system_instruction": SYSTEM}
    timing = dataclasses.replace(ServiceTiming.instant(), silence=0.5, input_lag=0.5)
    async with FakeLiveServer(replies=model, speed=SPEED, timing=timing,
                              user_transcripts=["What about dragons?"]) as server:
        async with Scaled(server.client().aio.live.connect(model=M25, config=config),
                          policy=policy) as session:
            receiver = Receiver(session)
            await session.send_realtime_input(text="Tell me a story.")
            await server.wait_for(
                lambda: bool(server.turns) and server.turns[0].delivered.count(" ") >= 4)
            await send_audio(session, tone(1.2, 4000))  # the user says three words over it
            await server.wait_for(lambda: any(m.kind == "context_update" for m in server.received))
            await send_audio(session, tone(0.6, 0))  # ... and is done
            await server.wait_for(lambda: len(server.turns) == 2 and server.turns[1].ended_at)
            (record,) = await settled(session)
            await receiver.stop()
    assert record.injected and record.channel == "context_update"
    assert record.user_text and "What about dragons?".startswith(record.user_text)
    assert len(server.turns) == 2  # the update started no turn of its own
    system = [text for role, text in contexts[1] if role == "system"]
    assert system and system[-1].startswith(SYSTEM) and record.prompt in system[-1]
    assert "Dragons" in "".join(text_of(m) for turn in receiver.turns for m in turn)


async def test_a_turn_starting_note_is_not_sent_once_the_model_answers() -> None:
    # It would cost an extra reply after the answer.
    policy = InjectionPolicy(channel="client_content", first_words_wait=1.0)
    async with FakeLiveServer(replies=[STORY, "Answer.", "Extra."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=policy) as session:
            receiver = Receiver(session)
            await story_then_wordless_barge_in(session, server)
            (record,) = await settled(session)
            await receiver.stop()
    assert not record.injected and record.reason == "the model had already started answering"
    assert record.error is None
    assert notes(server) == []
    assert len(server.turns) == 2


async def test_a_note_that_starts_no_reply_still_goes_once_the_model_answers() -> None:
    # Nothing lost: it costs no reply, and the rest of the conversation has it.
    policy = InjectionPolicy(channel="silent_content", first_words_wait=1.0)
    async with FakeLiveServer(replies=[STORY, "Answer."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=policy) as session:
            receiver = Receiver(session)
            await story_then_wordless_barge_in(session, server)
            (record,) = await settled(session)
            await receiver.stop()
    assert record.injected and record.reason is None and notes(server) == [record.prompt]
    assert len(server.turns) == 2


async def test_should_inject_can_decline() -> None:
    class Picky(InterruptAwareSession):
        def should_inject(self, record: Interruption) -> bool:
            return "dragons" in record.user_text

    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        cm = server.client().aio.live.connect(model=M25, config=AUDIO)
        async with Picky(cm, policy=InjectionPolicy(first_words_wait=1.0)) as session:
            await story_then_text_barge_in(session, "Cough.")
            (record,) = await settled(session)
    assert record.reason == "should_inject declined" and notes(server) == []


async def test_stall_recovery_nudges_a_frozen_model_and_reports_the_stall() -> None:
    policy = InjectionPolicy(stall_nudge=0.3, stall_report=0.6)
    quirks = Quirks(freeze_after_barge_in=True)
    async with FakeLiveServer(replies=[STORY, "Never said."], speed=SPEED,
                              quirks=quirks) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=policy) as session:
            await story_then_text_barge_in(session, "Wait.")
            for _ in range(200):
                if session.stalls:
                    break
                await asyncio.sleep(0.01)
    (stall,) = session.stalls
    assert stall.seconds >= 0.6
    assert [m.data["text"] for m in server.received
            if m.kind == "realtime_input" and m.data.get("text") == " "] == [" "]


@pytest.mark.skipif(hasattr(live.AsyncSession, "send_context_update"),
                    reason="this google-genai has send_context_update")
async def test_context_update_falls_back_with_one_warning_on_an_old_sdk(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        policy = InjectionPolicy(channel="context_update")
        a = connect(server.client(), model=M25, config=AUDIO, policy=policy)
        b = connect(server.client(), model=M25, config=AUDIO, policy=policy)
    assert a.policy.channel == b.policy.channel == CHANNEL_25
    warnings = [r for r in caplog.records
                if r.levelno == logging.WARNING and "send_context_update" in r.getMessage()]
    assert len(warnings) <= 1


def test_the_channel_comes_from_the_model_table() -> None:
    from google import genai

    client = genai.Client(api_key="fake")
    s = connect(client, model="gemini-3.1-flash-live-preview",
                policy=InjectionPolicy(first_words_wait=0.5))
    assert s.policy == InjectionPolicy(channel="silent_content", first_words_wait=0.5)
    s = connect(client, model="gemini-2.5-flash-native-audio-preview-12-2025")
    assert s.policy.channel == CHANNEL_25
    s = connect(client, model="unknown-live-model")
    assert s.policy.channel == "silent_content"
    s = connect(client, model=M25, policy=InjectionPolicy(channel="realtime_text"))
    assert s.policy.channel == "realtime_text"  # a channel of your own beats the table
    with pytest.raises(TypeError, match="policy must be an InjectionPolicy"):
        connect(client, model=M25, policy="fast")  # type: ignore[arg-type]


def test_a_subclass_can_bring_its_own_model_table() -> None:
    from google import genai

    class Mine(InterruptAwareSession):
        model_table: ClassVar[tuple[tuple[str, Channel], ...]] = (
            ("unknown", "client_content"), ("2.5", "realtime_text"))

    client = genai.Client(api_key="fake")
    for model, channel in (("unknown-live-model", "client_content"), (M25, "realtime_text"),
                           (M38, "silent_content")):  # not in the table: the fallback
        s = Mine(client.aio.live.connect(model=model, config=AUDIO))
        assert s.policy.channel == channel, model


@needs_interim_transcription
async def test_interim_transcription_puts_the_first_words_in_an_early_note() -> None:
    quirks = Quirks(interim_input_transcription=True)
    policy = InjectionPolicy(first_words_wait=3.0)
    timing = dataclasses.replace(ServiceTiming.field(), input_lag=2.0)
    async with FakeLiveServer(replies=[STORY, "Dragons."], speed=SPEED, quirks=quirks,
                              user_transcripts=["What about dragons?"], timing=timing) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=policy) as session:
            receiver = Receiver(session)
            await session.send_realtime_input(text="Tell me a story.")
            await server.wait_for(
                lambda: bool(server.turns) and server.turns[0].delivered.count(" ") >= 4)
            await send_audio(session, tone(0.3, 4000))
            (record,) = await settled(session)
            await send_audio(session, tone(0.6, 0))
            await receiver.stop()
    # Sent on the first interim words, long before the final transcription arrived.
    assert record.injected and record.user_text and "What about dragons?".startswith(
        record.user_text)
    assert record.user_text != "What about dragons?"
