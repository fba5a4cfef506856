"""The offline server's field timings, through the unmodified SDK over loopback.

Every delay of :class:`ServiceTiming` is pinned here with a fixed value large enough
(after dividing by the server's ``speed``) to tell the rule from its absence. Server-side
times come from the server's own records (``server.received[...].time``, ``ModelTurn``
stamps), client-side times from ``server.now()`` when the client got the message. User audio
is streamed at the server's pace (``chunk / speed`` real seconds per chunk), as a microphone
would.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google.genai import types

from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ServiceTiming, user_audio

from .conftest import AUDIO, M25, M38, needs_interim_transcription

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook."
)
WORDS = "one two three four five six"  # 1.43 s of speech as the server's speaker says it
CHUNK = 0.05  # audio seconds per user audio chunk
MANUAL_VAD = {**AUDIO, "realtime_input_config": {
    "automatic_activity_detection": {"disabled": True}}}

LATE = 0.25  # seconds a loaded machine (2 shared cores) may add to a measured delay

Seen = list[tuple[float, types.LiveServerMessage]]


# -- helpers -----------------------------------------------------------------------------------

async def stream(session: Any, pcm: bytes, speed: float, chunk: float = CHUNK) -> None:
    """Send ``pcm`` in ``chunk``-second pieces, one every ``chunk / speed`` real seconds."""
    loop = asyncio.get_running_loop()
    step = int(chunk * 16000) * 2
    start = loop.time()
    for k, i in enumerate(range(0, len(pcm), step)):
        delay = start + k * chunk / speed - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await session.send_realtime_input(
            audio=types.Blob(data=pcm[i : i + step], mime_type="audio/pcm;rate=16000"))


async def collect(server: FakeLiveServer, session: Any,
                  on: Callable[[types.LiveServerMessage], Awaitable[None]] | None = None) -> Seen:
    """One ``receive()`` (up to turnComplete), each message stamped with the server clock."""
    seen: Seen = []
    async for m in session.receive():
        seen.append((server.now(), m))
        if on is not None:
            await on(m)
    return seen


def audio_records(server: FakeLiveServer) -> list[tuple[float, float, bool]]:
    """(server time received, audio seconds, loud) of every user audio chunk, in order."""
    out = []
    for m in server.received:
        if m.kind == "realtime_input" and "audio" in m.data:
            pcm = base64.urlsafe_b64decode(m.data["audio"]["data"] + "==")
            out.append((m.time, len(pcm) / 32000, any(pcm)))
    return out


def first_loud(server: FakeLiveServer) -> float:
    return next(t for t, _, loud in audio_records(server) if loud)


def last_loud(server: FakeLiveServer) -> float:
    return [t for t, _, loud in audio_records(server) if loud][-1]


def spoke_at(server: FakeLiveServer, seconds: float) -> float:
    """Server time of the chunk by which the user had spoken ``seconds`` of speech."""
    total = 0.0
    for t, d, loud in audio_records(server):
        if loud:
            total += d
            if total >= seconds - 1e-9:
                return t
    raise AssertionError(f"only {total} s of speech sent")


def is_audio(m: types.LiveServerMessage) -> bool:
    c = m.server_content
    return bool(c and c.model_turn and any(p.inline_data for p in c.model_turn.parts or ()))


def when(seen: Seen, pred: Callable[[types.LiveServerMessage], bool]) -> float:
    return next(t for t, m in seen if pred(m))


def interrupted(m: types.LiveServerMessage) -> bool:
    return bool(m.server_content and m.server_content.interrupted)


def inputs(seen: Seen) -> list[tuple[float, str, bool | None]]:
    """(time, text, finished) of every inputTranscription."""
    return [(t, m.server_content.input_transcription.text or "",
             m.server_content.input_transcription.finished)
            for t, m in seen if m.server_content and m.server_content.input_transcription]


def word_ends(text: str) -> list[float]:
    from gemini_live_interrupt.testing._model import speak

    return [c.end for c in speak(text)]


async def collect_until(server: FakeLiveServer, session: Any,
                        done: Callable[[Seen], bool]) -> Seen:
    """Receive across turns (``receive()`` again after each turnComplete) until ``done``."""
    seen: Seen = []

    async def run() -> None:
        while True:
            async for m in session.receive():
                seen.append((server.now(), m))
                if done(seen):
                    return

    async with asyncio.timeout(3.0):
        await run()
    return seen


def replied_and_transcribed(text: str) -> Callable[[Seen], bool]:
    """Done once a turnComplete came and the input transcription adds up to ``text``."""
    def done(seen: Seen) -> bool:
        return any(m.server_content and m.server_content.turn_complete for _, m in seen) and (
            "".join(t for _, t, _ in inputs(seen)) == text)
    return done


async def utterance(server: FakeLiveServer, session: Any, speed: float, speech: float = 1.5,
                    quiet: float = 0.8, text: str = WORDS) -> Seen:
    """Stream ``speech`` seconds of speech then ``quiet`` of silence at the server's pace while
    receiving, until the reply's turnComplete and the whole input transcription came (it may
    come after the reply: the service does not order the two)."""
    task = asyncio.create_task(stream(
        session, user_audio(speech) + user_audio(quiet, speech=False), speed))
    try:
        return await collect_until(server, session, replied_and_transcribed(text))
    finally:
        await task


# -- 1. interruptions --------------------------------------------------------------------------

async def test_audio_barge_in_interrupts_interrupt_lag_after_the_first_loud_chunk() -> None:
    speed = 5  # 100 ms chunks at speed 5: few messages, so a loaded machine keeps up
    timing = ServiceTiming(interrupt_lag=0.5)  # 100 ms of server time at speed 5
    async with FakeLiveServer(replies=[STORY], speed=speed, timing=timing, chunk_seconds=0.1,
                              user_transcripts=["Stop."]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            tasks: list[asyncio.Task[None]] = []

            async def barge(m: types.LiveServerMessage) -> None:
                if not tasks and is_audio(m):
                    tasks.append(asyncio.create_task(stream(session, user_audio(1.0), speed)))

            seen = await collect(server, session, barge)
            await tasks[0]
    loud = first_loud(server)
    (turn,) = server.turns
    assert turn.interrupted and turn.ended_at is not None
    # Lower bounds are exact; upper bounds leave room for a loaded machine (the loop runs
    # late), and still tell the rule from a lag of 0 or an undivided one (500 ms).
    assert 0.1 - 1e-3 <= turn.ended_at - loud <= 0.1 + LATE  # the server's own clock
    lag = when(seen, interrupted) - loud
    assert 0.1 - 1e-3 <= lag <= 0.1 + LATE, lag  # as the client saw it
    # The model kept talking until then: a chunk every 20 ms for ~100 ms.
    late = [t for t, m in seen if is_audio(m) and loud < t < loud + lag]
    assert len(late) >= 3, late
    assert turn.audio_seconds_sent > 0


@pytest.mark.parametrize("how", ["text", "activity_start"])
async def test_text_and_activity_start_interrupt_at_once(how: str) -> None:
    speed = 10
    timing = ServiceTiming(interrupt_lag=3.0)  # would be 300 ms if it applied
    config = AUDIO if how == "text" else MANUAL_VAD
    async with FakeLiveServer(replies=[STORY], speed=speed, timing=timing) as server:
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_realtime_input(text="Story")
            sent: list[bool] = []

            async def barge(m: types.LiveServerMessage) -> None:
                if not sent and is_audio(m):
                    sent.append(True)
                    if how == "text":
                        await session.send_realtime_input(text="Stop.")
                    else:
                        await session.send_realtime_input(activity_start=types.ActivityStart())

            seen = await collect(server, session, barge)
    at = server.received[-1].time
    assert server.received[-1].kind == "realtime_input"
    (turn,) = server.turns[:1]
    assert turn.interrupted and turn.ended_at == pytest.approx(at, abs=0.002)
    assert when(seen, interrupted) - at < LATE


async def test_an_utterance_sent_faster_than_its_interrupt_lag_is_still_answered() -> None:
    # The whole utterance (speech and the silence that ends it) arrives in a burst, before the
    # delayed `interrupted` would fire: the barge-in must come first, not cancel the answer.
    timing = ServiceTiming(interrupt_lag=1.0, silence=0.3)  # 100 ms at speed 10
    async with FakeLiveServer(replies=[STORY, "Answer."], speed=10, timing=timing,
                              user_transcripts=["Wait."]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            sent: list[bool] = []

            async def burst(m: types.LiveServerMessage) -> None:
                if not sent and is_audio(m):
                    sent.append(True)
                    await stream(session, user_audio(0.2) + user_audio(0.4, speech=False),
                                 speed=1e9)

            async with asyncio.timeout(3):  # without the rule no answer ever comes
                first = await collect(server, session, burst)
                second = await collect(server, session)
    story, answer = server.turns
    assert story.interrupted and answer.cause == "user_audio" and answer.saw("Wait.")
    assert [interrupted(m) for _, m in first].count(True) == 1
    assert story.ended_at is not None and story.ended_at <= answer.requested_at
    assert any(is_audio(m) for _, m in second)


# -- 2. input transcription --------------------------------------------------------------------

async def test_input_transcription_streams_word_by_word_input_lag_behind_the_audio() -> None:
    speed = 10
    timing = ServiceTiming(input_lag=1.0, interrupt_lag=0.0)  # 100 ms of server time
    async with FakeLiveServer(replies=["Sure."], speed=speed, timing=timing,
                              user_transcripts=[WORDS]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            seen = await utterance(server, session, speed)
    got = inputs(seen)
    assert [text for _, text, _ in got] == ["one", " two", " three", " four", " five", " six"]
    assert all(finished is None for _, _, finished in got)  # no `finished` by default
    for (t, _, _), end in zip(got, word_ends(WORDS), strict=True):
        assert 0.1 - 1e-3 <= t - spoke_at(server, end) <= 0.1 + LATE
    stopped = last_loud(server)
    assert got[0][0] < stopped < got[-1][0]  # streamed while speaking, the tail after


async def test_finished_on_the_last_chunk_when_the_quirk_is_on() -> None:
    speed = 10
    async with FakeLiveServer(replies=["Sure."], speed=speed, timing=ServiceTiming.instant(),
                              user_transcripts=[WORDS],
                              quirks=Quirks(input_transcription_finished=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            seen = await utterance(server, session, speed)
    got = inputs(seen)
    assert "".join(text for _, text, _ in got) == WORDS and len(got) == 6
    assert [bool(f) for _, _, f in got] == [False] * 5 + [True]


async def test_3x_sends_one_whole_transcript_per_utterance() -> None:
    speed = 10
    timing = ServiceTiming(input_lag=1.0, interrupt_lag=0.0)
    quirks = Quirks.for_model(M38)
    assert quirks.input_transcription_whole
    async with FakeLiveServer(replies=["Sure."], speed=speed, timing=timing,
                              user_transcripts=[WORDS]) as server:
        async with server.client().aio.live.connect(model=M38, config=AUDIO) as session:
            seen = await utterance(server, session, speed)
    ((t, text, _),) = inputs(seen)
    assert text == WORDS
    assert 0.1 - 1e-3 <= t - last_loud(server) <= 0.1 + LATE


# -- 3. interim input transcription ------------------------------------------------------------

@needs_interim_transcription
@pytest.mark.parametrize(("shape", "expected"), [
    ("cumulative", ["one", "one two", "one two three", "one two three four",
                    "one two three four five", "one two three four five six"]),
    ("delta", ["one", " two", " three", " four", " five", " six"]),
])
async def test_interim_transcription_comes_first_at_interim_lag(
        shape: str, expected: list[str]) -> None:
    speed = 10
    timing = ServiceTiming(input_lag=1.5, interim_lag=0.3, interrupt_lag=0.0,
                    interim_shape=shape)  # type: ignore[arg-type]
    async with FakeLiveServer(replies=["Sure."], speed=speed, timing=timing,
                              user_transcripts=[WORDS],
                              quirks=Quirks(interim_input_transcription=True)) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            seen = await utterance(server, session, speed)
    interim = [(t, m.server_content.interim_input_transcription.text or "")
               for t, m in seen
               if m.server_content and m.server_content.interim_input_transcription]
    assert [text for _, text in interim] == expected
    final = inputs(seen)
    assert "".join(text for _, text, _ in final) == WORDS
    ends = word_ends(WORDS)
    for (t_interim, _), (t_final, _, _), end in zip(interim, final, ends, strict=True):
        spoken = spoke_at(server, end)
        assert 0.03 - 1e-3 <= t_interim - spoken <= 0.03 + LATE
        assert t_interim < t_final  # each word's interim before its final
        assert 0.15 - 1e-3 <= t_final - spoken <= 0.15 + LATE


# -- 4. end of the user's turn and the response latency ---------------------------------------

@pytest.mark.parametrize("client_ms", [None, 200])
async def test_turn_ends_after_silence_and_the_answer_after_response_latency(
        client_ms: int | None) -> None:
    speed = 10
    timing = ServiceTiming(silence=0.4, response_latency=0.5, interrupt_lag=0.0, input_lag=0.0)
    config: dict[str, Any] = dict(AUDIO)
    if client_ms is not None:
        config["realtime_input_config"] = {
            "automatic_activity_detection": {"silence_duration_ms": client_ms}}
    silence = 0.4 if client_ms is None else client_ms / 1000
    async with FakeLiveServer(replies=["Sure."], speed=speed, timing=timing,
                              user_transcripts=["Hello."]) as server:
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            seen = await utterance(server, session, speed, speech=0.3, quiet=0.7, text="Hello.")
    records = audio_records(server)
    quiet = [t for t, _, loud in records if not loud]
    n = round(silence / CHUNK)  # the chunk that completes the silence window
    (turn,) = server.turns
    assert turn.cause == "user_audio"
    assert turn.requested_at == pytest.approx(quiet[n - 1], abs=1e-6)
    assert turn.requested_at > quiet[n - 2]
    assert turn.started_at - turn.requested_at == pytest.approx(0.05, abs=1e-6)
    first_out = when(seen, is_audio)
    assert 0.05 - 1e-3 <= first_out - turn.requested_at <= 0.05 + LATE


# -- 5. speed and seed -------------------------------------------------------------------------

@pytest.mark.parametrize("speed", [5.0, 20.0])
async def test_speed_divides_every_delay(speed: float) -> None:
    timing = ServiceTiming(interrupt_lag=0.4, input_lag=1.0, response_latency=0.6, silence=0.3)
    async with FakeLiveServer(replies=[STORY, "Sure."], speed=speed, timing=timing,
                              user_transcripts=["Stop now."]) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            tasks: list[asyncio.Task[None]] = []

            async def barge(m: types.LiveServerMessage) -> None:
                if not tasks and is_audio(m):
                    pcm = user_audio(0.6) + user_audio(0.4, speech=False)
                    tasks.append(asyncio.create_task(stream(session, pcm, speed)))

            await collect(server, session, barge)
            # The last word's transcription may come after the answer's turnComplete.
            seen = await collect_until(server, session, replied_and_transcribed("Stop now."))
            await tasks[0]
    story, _ = server.turns
    assert story.ended_at is not None
    assert 0.4 / speed - 1e-3 <= story.ended_at - first_loud(server) <= 0.4 / speed + LATE
    for turn in server.turns:
        assert turn.started_at - turn.requested_at == pytest.approx(0.6 / speed, abs=1e-6)
    ends = word_ends("Stop now.")
    for (t, _, _), end in zip(inputs(seen), ends, strict=True):
        assert 1.0 / speed - 1e-3 <= t - spoke_at(server, end) <= 1.0 / speed + LATE


async def _drawn(seed: int) -> list[float]:
    """The drawn delays of one scripted conversation: two response latencies (exact: a turn's
    ``started_at`` is its scheduled time) and the interrupt lag (as the server clock saw it, so
    only a lower bound on a loaded machine). The interrupt lag, input lag and interim lag are
    drawn between the two latencies, so the second one also shows those draws repeat."""
    speed = 10
    timing = ServiceTiming(interrupt_lag=(0.2, 0.8), response_latency=(0.1, 0.5), silence=0.3)
    async with FakeLiveServer(replies=[STORY, "Sure."], speed=speed, timing=timing,
                              user_transcripts=["Stop."], seed=seed) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Story")
            tasks: list[asyncio.Task[None]] = []

            async def barge(m: types.LiveServerMessage) -> None:
                if not tasks and is_audio(m):
                    pcm = user_audio(0.3) + user_audio(0.4, speech=False)
                    tasks.append(asyncio.create_task(stream(session, pcm, speed)))

            await collect(server, session, barge)
            await collect(server, session)
            await tasks[0]
    story = server.turns[0]
    assert story.ended_at is not None
    return [t.started_at - t.requested_at for t in server.turns] + [
        story.ended_at - first_loud(server)]


async def test_the_same_seed_draws_the_same_lags() -> None:
    a, b, c = await _drawn(3), await _drawn(3), await _drawn(4)
    assert a[:2] == pytest.approx(b[:2], abs=1e-9)
    assert all(0.01 - 1e-9 <= x <= 0.05 + 1e-9 for x in a[:2])
    assert min(a[2], b[2]) >= 0.02 - 1e-3 and max(a[2], b[2]) <= 0.08 + LATE
    assert abs(a[0] - c[0]) > 1e-6 and abs(a[1] - c[1]) > 1e-6


# -- 6. validation -----------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"interrupt_lag": "0.1"}, TypeError, "interrupt_lag"),
    ({"input_lag": -1.0}, ValueError, "input_lag"),
    ({"interim_lag": (0.5, 0.1)}, ValueError, "interim_lag"),
    ({"response_latency": (-0.1, 0.2)}, ValueError, "response_latency"),
    ({"response_latency": (0.1,)}, TypeError, "response_latency"),
    ({"response_latency": True}, TypeError, "response_latency"),
    ({"input_lag": None}, TypeError, "input_lag"),
    ({"silence": (0.1, 0.2)}, TypeError, "silence"),
    ({"silence": -0.5}, ValueError, "silence"),
    ({"silence": float("nan")}, ValueError, "silence"),
    ({"interim_lag": float("inf")}, ValueError, "interim_lag"),
    ({"interim_shape": "words"}, ValueError, "interim_shape"),
])
def test_timing_validation(kwargs: dict[str, Any], error: type[Exception], name: str) -> None:
    with pytest.raises(error, match=name):
        ServiceTiming(**kwargs)


def test_timing_presets_and_the_server_argument() -> None:
    assert ServiceTiming.field() == ServiceTiming()
    assert ServiceTiming().interrupt_lag == (0.05, 0.1) and ServiceTiming().silence == 0.6
    instant = ServiceTiming.instant()
    assert (instant.interrupt_lag, instant.input_lag, instant.interim_lag,
            instant.response_latency) == (0.0, 0.0, 0.0, 0.0)
    assert dataclasses.replace(ServiceTiming(), input_lag=1.0).input_lag == 1.0
    with pytest.raises(ValueError, match="input_lag"):
        dataclasses.replace(ServiceTiming(), input_lag=-1)
    with pytest.raises(TypeError, match="timing"):
        FakeLiveServer(timing="x")  # type: ignore[arg-type]
    assert FakeLiveServer().timing == ServiceTiming.field()
