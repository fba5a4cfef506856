"""Issue #14's harder streams end to end: the offline server's new stream options, and "heard"
on them through the real SDK (the benchmark's hard family, a few fixed draws)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
import time

import pytest

from gemini_live_interrupt import Channel, InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ServiceTiming, SimulatedSpeaker
from gemini_live_interrupt.testing._model import speak

from .conftest import AUDIO, M25, needs_word_timestamps

SCALE = 10.0  # everything runs 10x faster than real time: server, speaker and session clock
TEXT = ("Every night it counted the ships that passed, one by one, and wrote their names in a "
        "blue notebook.")


async def transcript_messages(server: FakeLiveServer, config: dict[str, object] = AUDIO
                              ) -> list[tuple[float, str, list[object]]]:
    """Ask for one reply; ``(audio received before, text, words)`` per transcription message."""
    out: list[tuple[float, str, list[object]]] = []
    async with server.client().aio.live.connect(model=M25, config=config) as session:
        await session.send_realtime_input(text="Go on.")
        audio = 0.0
        async for m in session.receive():
            c = m.server_content
            if c and c.model_turn:
                audio += sum(len(p.inline_data.data or b"") for p in c.model_turn.parts or ()
                             if p.inline_data) / 48000
            if c and c.output_transcription and c.output_transcription.text:
                t = c.output_transcription
                out.append((audio, t.text or "", list(getattr(t, "words", None) or ())))
    return out


async def test_transcript_chunks_of_one_to_three_words_keep_their_order() -> None:
    quirks = Quirks(transcript_words=(1, 3), transcript_jitter=0.05, transcript_offset=-0.2)
    async with FakeLiveServer(replies=[TEXT], speed=40, chunk_seconds=0.1, quirks=quirks,
                              seed=3) as server:
        messages = await transcript_messages(server)
    (turn,) = server.turns
    assert "".join(text for _, text, _ in messages) == TEXT == turn.delivered
    sizes = [len(text.split()) for _, text, _ in messages]
    assert set(sizes) <= {1, 2, 3} and len(set(sizes)) > 1
    assert len(turn.words) == len(TEXT.split())  # the truth stays word by word
    # Each message came while the audio around its first word streamed in: 0.2 s ahead of
    # it, give or take the jitter and an audio chunk.
    starts = [s for _, s, _ in turn.words]
    firsts = [starts[sum(sizes[:i])] for i in range(len(sizes))]
    for (audio, _, _), start in zip(messages, firsts, strict=True):
        assert start - 0.2 - 0.05 - 1e-6 <= audio <= max(0.0, start - 0.2 + 0.05) + 0.1 + 1e-6


@needs_word_timestamps
async def test_word_timestamps_of_a_chunk_of_several_words() -> None:
    config = {**AUDIO, "output_audio_transcription": {"word_timestamp": True}}
    quirks = Quirks(transcript_words=(2, 3), word_timestamps=True)
    async with FakeLiveServer(replies=[TEXT], speed=40, quirks=quirks) as server:
        messages = await transcript_messages(server, config)
    (turn,) = server.turns
    words = [w for _, _, ws in messages for w in ws]
    assert all(len(ws) == len(text.split()) for _, text, ws in messages)
    assert [w.word for w in words] == [w.strip() for w, _, _ in turn.words]  # type: ignore[attr-defined]


@pytest.mark.parametrize("speed", [1.5, math.inf])
async def test_output_speed_sends_faster_than_real_time_or_all_at_once(speed: float) -> None:
    timing = dataclasses.replace(ServiceTiming.instant(), output_speed=speed)
    duration = speak(TEXT)[-1].end
    async with FakeLiveServer(replies=[TEXT], speed=5, chunk_seconds=0.1,
                              timing=timing) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Go on.")
            first = generated = None
            async for message in session.receive():
                first = time.monotonic() if first is None else first
                content = message.server_content
                if content and content.generation_complete:
                    generated = time.monotonic()
            assert first is not None and generated is not None
            took, ended = generated - first, time.monotonic() - first
    (turn,) = server.turns
    assert turn.audio_seconds_sent == pytest.approx(duration, abs=0.01)
    paced = duration / 5 / speed  # seconds the audio takes to send at 5 x speed
    if speed == math.inf:
        assert took < 0.25 * duration / 5
    else:
        assert 0.8 * paced < took < 2 * paced
    # turnComplete waits until the turn has played out in real time (at the server's speed).
    assert 0.9 * duration / 5 < ended < 1.5 * duration / 5


@pytest.mark.parametrize("quirks", [Quirks(), Quirks(hold_turn_complete=True)])
async def test_a_barge_in_while_the_sent_turn_still_plays_interrupts_it(quirks: Quirks) -> None:
    # The field's output comes faster than it plays, and the service waits for the playout
    # (SDK docstring, generation_complete): a barge-in after the last chunk was sent but
    # before the turn has played out still cuts it.
    duration = speak(TEXT)[-1].end
    async with FakeLiveServer(replies=[TEXT, "OK."], speed=5, quirks=quirks,
                              timing=ServiceTiming.field()) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Go on.")
            kinds: list[str] = []
            first = None
            async for message in session.receive():
                first = time.monotonic() if first is None else first
                content = message.server_content
                if content and content.generation_complete:
                    kinds.append("generationComplete")
                    assert time.monotonic() - first < 0.6 * duration / 5  # still playing
                    await session.send_realtime_input(text="Wait.")
                elif content and content.interrupted:
                    kinds.append("interrupted")
                elif content and content.turn_complete:
                    kinds.append("turnComplete")
            if quirks.hold_turn_complete:  # turnComplete before the turn played out
                async for message in session.receive():
                    content = message.server_content
                    if content and content.interrupted:
                        kinds.append("interrupted")
                        break
    expected = ["generationComplete", "interrupted", "turnComplete"]
    if quirks.hold_turn_complete:
        expected = ["generationComplete", "turnComplete", "interrupted"]
    assert kinds == expected
    assert server.turns[0].interrupted


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"transcript_words": (0, 2)}, ValueError), ({"transcript_words": (3, 2)}, ValueError),
    ({"transcript_words": [1, 2]}, ValueError), ({"transcript_jitter": -0.1}, ValueError),
    ({"transcript_jitter": math.inf}, ValueError),
])
def test_stream_quirks_are_validated(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Quirks(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("speed", [0, -1.0, math.nan])
def test_output_speed_is_validated(speed: float) -> None:
    with pytest.raises(ValueError):
        ServiceTiming(output_speed=speed)


def test_defaults() -> None:
    assert Quirks().transcript_words == (1, 1) and Quirks().transcript_jitter == 0.0
    # The field sends output faster than it plays; the instant profile keeps it paced.
    assert ServiceTiming().output_speed == ServiceTiming.field().output_speed == 3.0
    assert ServiceTiming.instant().output_speed == 1.0


# The benchmark's hard family: (audio chunk, transcript offset, output speed, cut at), each
# with reports and with the estimate.
HARD = [
    (0.25, -0.3, 3.0, 0.45),  # ahead of its audio, coarse audio chunks
    (0.02, -0.3, math.inf, 0.7),  # ahead, all at once: the cut comes after turnComplete
    (0.1, 0.3, 1.5, 0.3),  # behind its audio, the turn still arriving
]


class Scaled(InterruptAwareSession):
    clock = staticmethod(lambda: time.monotonic() * SCALE)


async def play_and_cut_in(server: FakeLiveServer, *, reports: bool, cut_at: float,
                          policy: InjectionPolicy | None = None,
                          ) -> tuple[InterruptAwareSession, float, float]:
    """Ask for a reply, play it on a speaker (reporting playback or not) and talk over it once
    ``cut_at`` seconds have played; returns the session, the seconds played at the cut, and
    how many seconds (at the server's pace) the player had waited for audio by then."""
    connection = server.client().aio.live.connect(model=M25, config=AUDIO)
    async with Scaled(connection, policy=policy) as session:
        async with SimulatedSpeaker(session.playback if reports else None, speed=SCALE,
                                    latency=0.03 if reports else 0.0, seed=1) as speaker:
            cut: list[float] = []
            started: list[float] = []

            async def read() -> None:
                while True:
                    async for message in session.receive():
                        started.append(time.monotonic())
                        if not cut and (played := speaker.play(message)) is not None:
                            cut.append(played)

            await session.send_realtime_input(text="Go on.")
            reader = asyncio.create_task(read())
            try:
                await asyncio.wait_for(speaker.wait_until_played(cut_at), 10)
                waited = (time.monotonic() - started[0]) * SCALE - cut_at
                await session.send_realtime_input(text="Hold on.")
                for _ in range(300):
                    if session.interruptions and cut:
                        break
                    await asyncio.sleep(0.01)
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
    return session, cut[0], waited


@pytest.mark.parametrize(("chunk", "offset", "speed", "at"), HARD)
@pytest.mark.parametrize("reports", [True, False])
async def test_heard_on_the_hard_family(chunk: float, offset: float, speed: float, at: float,
                                        reports: bool) -> None:
    quirks = Quirks(transcript_offset=offset, transcript_jitter=0.05, transcript_words=(1, 3),
                    hold_turn_complete=True)
    timing = dataclasses.replace(ServiceTiming.field(), output_speed=speed)
    cut_at = at * speak(TEXT)[-1].end
    async with FakeLiveServer(replies=[TEXT, "OK."], speed=SCALE, timing=timing,
                              chunk_seconds=chunk, quirks=quirks, seed=11) as server:
        session, cut, _ = await play_and_cut_in(server, reports=reports, cut_at=cut_at)
    (record,) = session.interruptions
    (turn,) = [t for t in server.turns if t.interrupted]
    truth = turn.heard_at(cut).split()
    heard = record.heard.split()
    assert truth[:len(heard)] == heard or heard[:len(truth)] == truth  # a prefix either way
    assert abs(len(heard) - len(truth)) <= 1, (record.heard, " ".join(truth))
    assert len(record.generated.split()) > len(heard)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"output_pauses": -0.1}, ValueError), ({"output_pauses": 1.5}, ValueError),
    ({"output_pauses": math.nan}, ValueError), ({"output_pauses": "often"}, TypeError),
    ({"output_pause": -1.0}, ValueError), ({"output_pause": (0.5, 0.2)}, ValueError),
])
def test_output_pauses_are_validated(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        ServiceTiming(**kwargs)  # type: ignore[arg-type]


async def test_output_that_pauses_comes_in_bursts_and_turn_complete_waits_for_its_playout(
        ) -> None:
    # Every 0.1 s chunk is followed by a 0.2 s pause: slower than real time, so a player runs
    # dry after each chunk, and the turn plays out as soon as its last chunk has played.
    timing = dataclasses.replace(ServiceTiming.field(), output_speed=math.inf,
                                 output_pauses=1.0, output_pause=0.2)
    duration = speak(TEXT)[-1].end
    chunks = math.ceil(duration / 0.1 - 1e-9)
    last = duration - (chunks - 1) * 0.1  # the last chunk's audio seconds
    async with FakeLiveServer(replies=[TEXT], speed=5, chunk_seconds=0.1,
                              timing=timing) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Go on.")
            arrivals: list[float] = []
            async for message in session.receive():
                content = message.server_content
                if content and content.model_turn:
                    arrivals.append(time.monotonic())
            ended = time.monotonic()
    assert len(arrivals) == chunks
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) > 0.6 * 0.2 / 5  # each chunk waited out its pause (timers jitter)
    # turnComplete once the last chunk has played, not once the turn's length has passed.
    assert ended - arrivals[-1] == pytest.approx(last / 5, abs=0.01)
    assert ended - arrivals[0] > 1.5 * chunks * 0.1 / 5


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("reports", [True, False])
async def test_heard_when_the_output_pauses_and_the_player_runs_dry(seed: int,
                                                                    reports: bool) -> None:
    # Output at 1.5x with a pause of 0.2-0.8 s after one chunk in ten: the player runs dry
    # (0.8-4.6 s in all before the cut, with these seeds) and plays on when more comes, so
    # "heard" cannot be the time since the first chunk.
    timing = dataclasses.replace(ServiceTiming.field(), output_speed=1.5, output_pauses=0.1)
    cut_at = 0.6 * speak(TEXT)[-1].end
    async with FakeLiveServer(replies=[TEXT, "OK."], speed=SCALE, timing=timing,
                              seed=seed) as server:
        session, cut, stalled = await play_and_cut_in(server, reports=reports, cut_at=cut_at)
    assert stalled > 0.5  # the player did run dry before the cut (seconds it waited)
    (record,) = session.interruptions
    (turn,) = [t for t in server.turns if t.interrupted]
    truth = turn.heard_at(cut).split()
    heard = record.heard.split()
    assert abs(len(heard) - len(truth)) <= 1, (record.heard, " ".join(truth))


@pytest.mark.parametrize("channel", ["context_update", "client_content"])
async def test_output_around_the_flag_is_neither_heard_nor_an_answer(channel: Channel) -> None:
    # The flag on an audio chunk and three more chunks of the cut turn after it (reported):
    # none of it was heard, and none of it is the model answering the barge-in, so a note by
    # a channel that would start a reply still goes.
    quirks = Quirks(audio_with_interrupted=True, output_after_interrupted=3)
    cut_at = 0.5 * speak(TEXT)[-1].end
    async with FakeLiveServer(replies=[TEXT, "OK."], speed=SCALE, quirks=quirks,
                              seed=4) as server:
        session, cut, _ = await play_and_cut_in(server, reports=True, cut_at=cut_at,
                                                policy=InjectionPolicy(channel=channel))
    (record,) = session.interruptions
    assert record.injected and record.reason is None
    (turn,) = [t for t in server.turns if t.interrupted]
    truth = turn.heard_at(cut).split()
    assert abs(len(record.heard.split()) - len(truth)) <= 1, (record.heard, " ".join(truth))
    assert ("model", record.heard) in session.history
    assert not any(text.startswith(record.heard + " ") for role, text in session.history
                   if role == "model")  # the late words are not in it
