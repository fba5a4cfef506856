"""Playback-aware "heard" end to end: the real SDK, the offline server, a simulated speaker."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest

from gemini_live_interrupt import InterruptAwareSession, Interruption, connect
from gemini_live_interrupt.testing import (
    FakeLiveServer,
    ModelTurn,
    Quirks,
    ServiceTiming,
    SimulatedSpeaker,
)

from .conftest import AUDIO, M25, STORY, needs_word_timestamps

# The whole test runs 8x faster than real time: speaker, server and session clock. The server's
# field profile sends the model's audio 3x faster than it plays, as the real service does.
SCALE = 8.0


class Scaled(InterruptAwareSession):
    clock = staticmethod(lambda: time.monotonic() * SCALE)


def n_words(text: str) -> int:
    return len(text.split())


async def settled(session: InterruptAwareSession) -> Interruption:
    for _ in range(300):
        if session.interruptions:
            return session.interruptions[-1]
        await asyncio.sleep(0.01)
    raise AssertionError("no interruption record")


async def play_and_barge_in(session: Any, speaker: SimulatedSpeaker, *, at: float) -> None:
    """Ask for the story, play it, and talk over it once ``at`` seconds have been heard."""

    async def barge() -> None:
        await speaker.wait_until_played(at)
        await session.send_realtime_input(text="Hold on, a question.")

    await session.send_realtime_input(text="Tell me a story.")
    barger = asyncio.create_task(barge())
    try:
        async for message in session.receive():
            speaker.play(message)
    finally:
        barger.cancel()


def story_turn(server: FakeLiveServer) -> ModelTurn:
    (turn,) = [t for t in server.turns if t.interrupted]
    return turn


@pytest.mark.parametrize("jitter", [0.0, 0.01])
async def test_reported_playback_gives_heard_within_a_word(jitter: float) -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SCALE) as server:
        async with connect(server.client(),
                           model=M25, config=AUDIO, max_history=6) as session:
            async with SimulatedSpeaker(session.playback, speed=SCALE, jitter=jitter,
                                        seed=1) as speaker:
                await play_and_barge_in(session, speaker, at=2.0)
                record = await settled(session)
                truth = story_turn(server).heard_at(speaker.played)
    assert abs(n_words(record.heard) - n_words(truth)) <= 1, (record.heard, truth)
    assert record.received_seconds > record.played_seconds + 1.0  # far more was sent than heard
    assert n_words(record.generated) > n_words(record.heard) + 2
    assert ("model", record.heard) in session.history  # the history holds what was heard


@pytest.mark.parametrize("reports", [True, False])
async def test_a_turn_queued_behind_the_one_before_is_heard_from_where_it_plays(
        reports: bool) -> None:
    # The app asks again while the first answer still plays: the player plays the second after
    # it, and the barge-in 1 s into the second must count from there, not from when the
    # second's audio arrived. The service holds turnComplete until it reckons the turn has
    # played out, so a client that still has audio queued then is behind that reckoning; here
    # by most of the turn (the server runs 3x the speaker's pace and ends each turn as its
    # audio is sent): the hardest case of it.
    count = "One, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve."
    paced = dataclasses.replace(ServiceTiming.field(), output_speed=1.0)
    async with FakeLiveServer(replies=[count, STORY, "OK."], speed=SCALE * 3,
                              timing=paced) as server:
        connection = server.client().aio.live.connect(model=M25, config=AUDIO)
        async with Scaled(connection) as session:
            async with SimulatedSpeaker(session.playback if reports else None,
                                        speed=SCALE) as speaker:
                await session.send_realtime_input(text="Count to twelve.")
                async for message in session.receive():
                    speaker.play(message)
                assert speaker.queued > 1.0  # the count still plays
                speaker.new_turn()  # the story plays after it
                await play_and_barge_in(session, speaker, at=1.0)
                record = await settled(session)
                truth = story_turn(server).heard_at(speaker.played)
    assert 0 < n_words(truth) < n_words(STORY) // 2
    assert abs(n_words(record.heard) - n_words(truth)) <= 1, (record.heard, truth)


async def test_estimate_without_reports_stays_within_two_words() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SCALE) as server:
        async with Scaled(server.client().aio.live.connect(model=M25, config=AUDIO)) as session:
            async with SimulatedSpeaker(None, speed=SCALE) as speaker:  # reports nothing
                await play_and_barge_in(session, speaker, at=2.0)
                record = await settled(session)
                truth = story_turn(server).heard_at(speaker.played)
            async for _ in session.receive():  # the answer: read it, as apps do (unread
                pass                                # frames slow the close down)
    assert session.playback.position == 0.0
    assert abs(n_words(record.heard) - n_words(truth)) <= 2, (record.heard, truth)
    assert record.played_seconds <= record.received_seconds


@needs_word_timestamps
async def test_seconds_reports_and_word_timestamps_cut_exactly() -> None:
    config = {**AUDIO, "output_audio_transcription": {"word_timestamp": True}}
    quirks = Quirks(word_timestamps=True)
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SCALE,
                              quirks=quirks) as server:
        async with connect(server.client(), model=M25, config=config) as session:
            await session.send_realtime_input(text="Tell me a story.")
            received = 0.0
            async for message in session.receive():
                content = message.server_content
                if content and content.model_turn and received < 3.0:
                    for part in content.model_turn.parts or ():
                        if part.inline_data and part.inline_data.data:
                            received += len(part.inline_data.data) / 48000
                    if received >= 3.0:
                        session.playback.played(seconds=1.7)
                        await session.send_realtime_input(text="Stop.")
            record = await settled(session)
    assert session.playback.position == pytest.approx(1.7)
    assert record.played_seconds == pytest.approx(1.7)
    assert record.heard == story_turn(server).heard_at(1.7).strip()


async def test_heard_never_exceeds_what_was_received() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SCALE) as server:
        async with connect(server.client(), model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Tell me a story.")
            barged = False
            async for message in session.receive():
                content = message.server_content
                if not barged and content and content.output_transcription:
                    session.playback.played(seconds=3600.0)  # a wildly wrong report
                    barged = True
                    await session.send_realtime_input(text="Stop.")
            record = await settled(session)
    assert record.played_seconds <= record.received_seconds
    assert record.generated.startswith(record.heard)


async def test_text_only_turns_are_heard_in_full() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SCALE) as server:
        async with connect(server.client(), model=M25,
                           config={"response_modalities": ["TEXT"]}) as session:
            await session.send_realtime_input(text="Tell me a story.")
            text = ""
            async for message in session.receive():
                content = message.server_content
                if content and content.interrupted:
                    break
                if content and content.model_turn:
                    text += "".join(p.text or "" for p in content.model_turn.parts or ())
                    if len(text.split()) >= 8 and "Stop" not in text:
                        await session.send_realtime_input(text="Stop.")
            record = await settled(session)
    assert record.heard and record.heard == record.generated
    assert text.strip().startswith(record.heard)


async def test_interrupted_after_turn_complete_while_playing() -> None:
    quirks = Quirks(hold_turn_complete=True)
    async with FakeLiveServer(replies=["A short answer of a few words.", "OK."],
                              speed=SCALE, quirks=quirks) as server:
        async with connect(server.client(), model=M25, config=AUDIO) as session:
            async with SimulatedSpeaker(session.playback, speed=SCALE) as speaker:
                await session.send_realtime_input(text="Answer.")
                kinds: list[str] = []
                async for message in session.receive():
                    speaker.play(message)
                    content = message.server_content
                    if content and content.turn_complete:
                        kinds.append("turn_complete")
                # turnComplete came while the audio still played; now the user cuts in.
                await speaker.wait_until_played(0.6)
                await session.send_realtime_input(text="Wait.")
                async for message in session.receive():
                    if message.server_content and message.server_content.interrupted:
                        speaker.clear()
                        break
                record = await settled(session)
    assert not record.injected or record.reason is None
    assert record.reason != "phantom"
    assert 0 < n_words(record.heard) < n_words("A short answer of a few words.")



def test_speaker_play_queues_audio_and_stops_on_interrupted() -> None:
    from google.genai import types

    speaker = SimulatedSpeaker(None)
    blob = types.Blob(data=b"\x01\x00" * 2400, mime_type="audio/pcm;rate=24000")
    audio = types.LiveServerMessage(server_content=types.LiveServerContent(
        model_turn=types.Content(parts=[types.Part(inline_data=blob)])))
    assert speaker.play(audio) is None and speaker.queued == pytest.approx(0.1)
    cut = types.LiveServerMessage(server_content=types.LiveServerContent(
        interrupted=True, model_turn=types.Content(parts=[types.Part(inline_data=blob)])))
    assert speaker.play(cut) == 0.0 and speaker.queued == 0.0  # the cut audio is not queued
    late = audio  # more of the cut turn, after the flag (reported): not played either
    assert speaker.play(late) is None and speaker.queued == 0.0
    done = types.LiveServerMessage(server_content=types.LiveServerContent(turn_complete=True))
    speaker.play(done)
    assert speaker.play(audio) is None and speaker.queued == pytest.approx(0.1)  # next turn
    # A flag after turnComplete (the turn was all sent, it still played): the next turn plays.
    speaker.play(done)
    assert speaker.play(cut) is not None and speaker.queued == 0.0
    assert speaker.play(audio) is None and speaker.queued == pytest.approx(0.1)
