"""The offline Live server through the unmodified SDK: setup, conversations, barge-in, records."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from google.genai import types

from gemini_live_interrupt.testing import FakeLiveServer, ModelTurn, ServiceTiming

from .conftest import AUDIO, M25

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook."
)
SPEED = 40.0


def transcript(messages: list[types.LiveServerMessage]) -> str:
    return "".join(
        m.server_content.output_transcription.text or ""
        for m in messages
        if m.server_content and m.server_content.output_transcription
    )


def events(messages: list[types.LiveServerMessage]) -> list[str]:
    """Compact kinds of server messages, audio and transcript runs collapsed."""
    out: list[str] = []
    for m in messages:
        c = m.server_content
        kind = "other"
        if c and c.interrupted:
            kind = "interrupted"
        elif c and c.turn_complete:
            kind = "turn_complete"
        elif c and c.generation_complete:
            kind = "generation_complete"
        elif c and c.model_turn:
            kind = "model"
        elif c and c.output_transcription:
            kind = "out"
        elif c and c.input_transcription:
            kind = "in"
        elif m.tool_call:
            kind = "tool_call"
        if kind in ("model", "out") and out and out[-1] == "speech":
            continue
        out.append("speech" if kind in ("model", "out") else kind)
    return out


async def test_setup_complete_and_a_spoken_reply() -> None:
    async with FakeLiveServer(replies=["Hello there, friend."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            assert session.session_id
            await session.send_realtime_input(text="Hi")
            messages = [m async for m in session.receive()]
    chunks = [m.server_content.output_transcription.text for m in messages
              if m.server_content and m.server_content.output_transcription]
    assert chunks == ["Hello", " there,", " friend."]
    audio = [p.inline_data for m in messages if m.server_content and m.server_content.model_turn
             for p in m.server_content.model_turn.parts or () if p.inline_data]
    assert audio and all(a.mime_type == "audio/pcm;rate=24000" for a in audio)
    pcm = b"".join(a.data or b"" for a in audio)
    assert any(pcm[i : i + 2] != b"\x00\x00" for i in range(0, 400, 2))  # not silence
    assert events(messages) == ["in", "speech", "generation_complete", "turn_complete"]
    (turn,) = server.turns
    assert turn.delivered == turn.text == "Hello there, friend."
    assert not turn.interrupted and turn.cause == "realtime_text"
    assert turn.audio_seconds_sent == pytest.approx(len(pcm) / 48000)
    assert turn.audio_seconds_sent == pytest.approx(turn.words[-1][2], abs=0.001)
    assert [w for w, _, _ in turn.words] == chunks
    assert server.context == [("user", "Hi"), ("model", "Hello there, friend.")]
    assert [m.kind for m in server.received] == ["setup", "realtime_input"]
    assert server.received[1].data == {"text": "Hi"}


async def test_text_modality_sends_text_parts() -> None:
    async with FakeLiveServer(replies=["One two three."], speed=SPEED) as server:
        config = {"response_modalities": ["TEXT"], "system_instruction": "Be brief."}
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="Count")
            messages = [m async for m in session.receive()]
    text = "".join(p.text or "" for m in messages
                   if m.server_content and m.server_content.model_turn
                   for p in m.server_content.model_turn.parts or ())
    assert text == "One two three."
    assert not any(m.server_content and m.server_content.output_transcription for m in messages)
    assert not any(m.server_content and m.server_content.input_transcription for m in messages)
    assert server.turns[0].audio_seconds_sent == 0
    assert server.context[0] == ("system", "Be brief.")


async def test_transcription_only_when_requested() -> None:
    async with FakeLiveServer(replies=["Fine."], speed=SPEED) as server:
        config = {"response_modalities": ["AUDIO"]}
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="Hi")
            messages = [m async for m in session.receive()]
    assert not any(m.server_content and (m.server_content.output_transcription
                                         or m.server_content.input_transcription)
                   for m in messages)
    assert server.turns[0].delivered == "Fine."  # ground truth all the same


async def test_replies_in_order_callable_then_default() -> None:
    def echo(context: list[tuple[str, str]]) -> str:
        return f"You said {context[-1][1]}"

    async with FakeLiveServer(replies=["First.", echo], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            for text in ("a", "banana", "c"):
                await session.send_realtime_input(text=text)
                async for _ in session.receive():
                    pass
    assert [t.text for t in server.turns] == ["First.", "You said banana", "OK."]


async def test_barge_in_by_text_interrupts_and_keeps_what_was_delivered() -> None:
    async with FakeLiveServer(replies=[STORY, "Dragons."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Tell me a story.")
            seen: list[types.LiveServerMessage] = []
            async for message in session.receive():
                seen.append(message)
                if len(transcript(seen).split()) == 5 and message.server_content \
                        and message.server_content.output_transcription:
                    await session.send_realtime_input(text="What about dragons?")
            after = [m async for m in session.receive()]
    kinds = events(seen)
    assert kinds[-2:] == ["interrupted", "turn_complete"]
    assert "generation_complete" not in kinds
    story, reply = server.turns
    assert story.interrupted and not reply.interrupted
    assert story.delivered == transcript(seen) and STORY.startswith(story.delivered)
    assert len(story.delivered.split()) in (5, 6)  # at most one more chunk raced the barge-in
    assert story.audio_seconds_sent < story.words[-1][2]
    assert story.ended_at is not None and story.ended_at <= reply.started_at
    assert transcript(after) == "Dragons."
    assert events(after)[0] == "in"  # the barge-in's transcription comes after `interrupted`
    assert server.context == [
        ("user", "Tell me a story."), ("model", story.delivered),
        ("user", "What about dragons?"), ("model", "Dragons."),
    ]


def tone(seconds: float, amplitude: int) -> bytes:
    n = int(seconds * 16000)
    return b"".join(
        (amplitude if (i // 20) % 2 else -amplitude).to_bytes(2, "little", signed=True)
        for i in range(n)
    )


async def send_audio(session: Any, pcm: bytes, chunk: float = 0.05) -> None:
    step = int(chunk * 16000) * 2
    for i in range(0, len(pcm), step):
        await session.send_realtime_input(
            audio=types.Blob(data=pcm[i : i + step], mime_type="audio/pcm;rate=16000"))


async def test_audio_utterance_through_energy_vad() -> None:
    async with FakeLiveServer(replies=["Mars is red.", "Sure."], speed=SPEED,
                              user_transcripts=["What about Mars?"],
                              timing=ServiceTiming(silence=0.2, input_lag=0.0)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await send_audio(session, tone(0.5, 3000) + tone(0.15, 0))
            assert server.turns == []  # 0.15 s of silence does not end the utterance
            await send_audio(session, tone(0.1, 0))
            messages = [m async for m in session.receive()]
    heard = "".join(m.server_content.input_transcription.text or "" for m in messages
                    if m.server_content and m.server_content.input_transcription)
    assert heard == "What about Mars?"
    assert transcript(messages) == "Mars is red."
    assert server.turns[0].cause == "user_audio"
    assert server.context[0] == ("user", "What about Mars?")
    assert not any(m.server_content and m.server_content.input_transcription
                   and m.server_content.input_transcription.finished for m in messages)


async def test_barge_in_by_audio_energy() -> None:
    async with FakeLiveServer(replies=[STORY, "Mars, then."], speed=SPEED,
                              user_transcripts=["Wait, what about Mars?"]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story please.")
            seen: list[types.LiveServerMessage] = []
            async for message in session.receive():
                seen.append(message)
                if len(seen) == 20:
                    await send_audio(session, tone(0.05, 0))  # quiet: no barge-in
                    await send_audio(session, tone(0.3, 4000))
            assert events(seen)[-2:] == ["interrupted", "turn_complete"]
            await send_audio(session, tone(0.7, 0))  # the field VAD's 0.6 s ends the turn
            after = [m async for m in session.receive()]
    assert transcript(after) == "Mars, then."
    assert server.turns[0].interrupted and server.turns[1].cause == "user_audio"
    assert ("user", "Wait, what about Mars?") in server.context


async def test_activity_start_and_end_with_manual_vad() -> None:
    config = {**AUDIO, "realtime_input_config": {
        "automatic_activity_detection": {"disabled": True}}}
    async with FakeLiveServer(replies=["Heard you."], speed=SPEED,
                              user_transcripts=["Hello?"]) as server:
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(activity_start=types.ActivityStart())
            await send_audio(session, tone(0.2, 3000) + tone(0.5, 0))
            assert server.turns == []  # silence means nothing without automatic VAD
            await session.send_realtime_input(activity_end=types.ActivityEnd())
            messages = [m async for m in session.receive()]
    assert transcript(messages) == "Heard you."
    assert server.turns[0].cause == "activity"


async def test_audio_stream_end_ends_the_utterance() -> None:
    async with FakeLiveServer(replies=["Done."], speed=SPEED, user_transcripts=["Bye"]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await send_audio(session, tone(0.2, 3000))
            await session.send_realtime_input(audio_stream_end=True)
            messages = [m async for m in session.receive()]
    assert transcript(messages) == "Done."


async def test_input_transcription_lags_so_the_reply_starts_before_it() -> None:
    async with FakeLiveServer(replies=[STORY, STORY], speed=SPEED,
                              user_transcripts=["Hey, stop."],
                              timing=dataclasses.replace(ServiceTiming.field(), input_lag=2.0)
                              ) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            barged = False
            async for message in session.receive():
                content = message.server_content
                if content and content.output_transcription and not barged:
                    barged = True  # a short "Hey, stop." and the silence that ends it
                    await send_audio(session, tone(0.1, 3000) + tone(0.7, 0))
            after = [m async for m in session.receive()]
    # The reply starts 0.3 s after the silence window; the words come 2 s after they were said.
    assert events(after)[0] == "speech"
    assert "in" in events(after)
    assert server.turns[0].interrupted


async def test_wait_for_times_out() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        with pytest.raises(TimeoutError):
            await server.wait_for(lambda: bool(server.turns), timeout=0.05)


async def test_http_options_for_users_who_build_their_own_client() -> None:
    from google import genai

    async with FakeLiveServer(replies=["Yes."], speed=SPEED) as server:
        assert server.url.startswith("https://127.0.0.1:")
        client = genai.Client(api_key="x", http_options=server.http_options)
        async with client.aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Hi")
            assert transcript([m async for m in session.receive()]) == "Yes."


def test_model_turn_is_a_plain_record() -> None:
    turn = ModelTurn(index=0, session=0, text="a", cause="realtime_text", words=[],
                     started_at=0.0)
    assert not turn.interrupted and turn.delivered == "" and turn.ended_at is None


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="speed"):
        FakeLiveServer(speed=0)
    with pytest.raises(TypeError, match="replies"):
        FakeLiveServer(replies="Hello")
    assert base64  # used by helpers above
