"""Load, properties of the scheduler, and the shim under load: one note per episode, bounded."""

from __future__ import annotations

import tracemalloc

from google.genai import types
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_live_interrupt import (
    InjectionPolicy,
    InterruptAwareSession,
    connect,
    disable_interrupt_resume,
    enable_interrupt_resume,
)
from gemini_live_interrupt._prompt import MAX_HEARD_CHARS, MAX_USER_CHARS
from gemini_live_interrupt._scheduler import Drop, Scheduler, Send
from gemini_live_interrupt._tracker import Tracker
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25, NOW, STORY, notes


def msg(**content: object) -> types.LiveServerMessage:
    return types.LiveServerMessage(server_content=types.LiveServerContent(**content))  # type: ignore[arg-type]


def out(text: str) -> types.LiveServerMessage:
    return msg(output_transcription=types.Transcription(text=text))


def inp(text: str) -> types.LiveServerMessage:
    return msg(input_transcription=types.Transcription(text=text))


def audio(n: int) -> types.LiveServerMessage:
    blob = types.Blob(data=b"\x01\x00" * n, mime_type="audio/pcm;rate=24000")
    return msg(model_turn=types.Content(role="model", parts=[types.Part(inline_data=blob)]))


# --- properties of the scheduler over random message sequences and clocks --------------------

_messages = st.one_of(
    st.sampled_from(["a", " b", "c.", ""]).map(out),
    st.sampled_from(["x", " y", ""]).map(inp),
    st.integers(0, 2400).map(audio),
    st.just(msg(interrupted=True)),
    st.just(msg(turn_complete=True)),
    st.just(msg(interrupted=True, turn_complete=True)),
    st.just(types.LiveServerMessage(tool_call=types.LiveServerToolCall(
        function_calls=[types.FunctionCall(id="t", name="f", args={})]))),
)
_policies = st.builds(
    InjectionPolicy,
    timing=st.sampled_from(["on_interrupt", "after_user_turn"]),
    first_words_wait=st.floats(0, 2), quiet_gap=st.floats(0, 2), max_wait=st.floats(0, 5),
    hold_output=st.booleans(), hold_timeout=st.floats(0, 3),
    stall_nudge=st.one_of(st.none(), st.floats(0, 3)), stall_report=st.floats(0, 5),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), _messages, st.booleans(), st.booleans()), max_size=40),
    _policies, st.integers(0, 5),
)
def test_scheduler_invariants(
    steps: list[tuple[float, types.LiveServerMessage, bool, bool]],
    policy: InjectionPolicy, cap: int,
) -> None:
    assert policy.timing is not None
    s = Scheduler(Tracker(max_history=cap), policy, policy.timing, "client_content")
    now = 0.0
    decided: dict[int, int] = {}  # episode -> Send/Drop count
    for dt, message, respond, settle in steps:
        now += dt
        actions = s.feed(message, now)  # never raises
        for _ in range(3):  # the session's timer polls at the deadline; it must not spin
            d = s.deadline
            if d is None or d > now:
                break
            actions += s.poll(now)
        else:
            raise AssertionError(f"deadline {s.deadline} stays due at {now}")
        for a in actions:
            if isinstance(a, (Send, Drop)):
                decided[a.barge_in.episode] = decided.get(a.barge_in.episode, 0) + 1
                assert a.barge_in.generated.startswith(a.barge_in.heard)
            if isinstance(a, Send) and settle:
                actions += s.settled(a.barge_in.episode, now)
        if respond:
            s.tool_responded(["t"])
        assert len(s.tracker.history) <= cap
    assert all(count == 1 for count in decided.values()), decided  # one decision per episode


# --- load through the real SDK -------------------------------------------------------------------


def ours(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held, less the offline server's (its ground truth grows with the conversation)."""
    server = tracemalloc.Filter(False, "*/gemini_live_interrupt/testing/*")
    return sum(s.size for s in snapshot.filter_traces([server]).statistics("filename"))


async def test_an_interrupt_storm_keeps_one_note_per_episode_and_bounded_records() -> None:
    # 150 barge-ins back to back (hundreds a minute at this pace): every episode decided once,
    # never more notes than episodes, records and history capped, memory flat.
    class Small(InterruptAwareSession):
        max_records = 20

    async with FakeLiveServer(replies=lambda context: STORY, speed=200.0) as server:
        cm = server.client().aio.live.connect(model=M25, config=AUDIO)
        async with Small(cm, policy=NOW, max_history=4) as session:
            tracemalloc.start()
            baseline = 0
            await session.send_realtime_input(text="Go on.")
            for i in range(150):  # each reply (to a barge-in or a note) is cut in its turn
                stopped = False
                async for m in session.receive():
                    c = m.server_content
                    if not stopped and c and c.output_transcription and c.output_transcription.text:
                        stopped = True
                        await session.send_realtime_input(text=f"Stop {i}.")
                if i == 20:
                    baseline = ours(tracemalloc.take_snapshot())
            grown = ours(tracemalloc.take_snapshot())
            tracemalloc.stop()
            episodes_seen = session._tracker.episode
            records = session.interruptions
            history = session.history
    assert episodes_seen >= 150
    assert len(records) == 20 and len({r.episode for r in records}) == 20
    assert len(notes(server)) <= episodes_seen
    assert len(history) <= 4
    assert grown - baseline < 2_000_000, grown - baseline


async def test_a_very_long_turn_keeps_the_note_small() -> None:
    words = " ".join(f"word{i}" for i in range(3000))
    async with FakeLiveServer(replies=[words, "OK."], speed=2000.0) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=NOW) as session:
            await session.send_realtime_input(text="Talk.")
            sent_stop = False
            async for m in session.receive():
                c = m.server_content
                if c and c.model_turn:
                    for part in c.model_turn.parts or ():
                        if part.inline_data and part.inline_data.data:
                            session.playback.played(nbytes=len(part.inline_data.data))
                if not sent_stop and server.turns and len(server.turns[0].delivered) > 20_000:
                    sent_stop = True
                    await session.send_realtime_input(text="Stop " * 2000)
            await server.wait_for(lambda: len(notes(server)) == 1, timeout=10)
            (record,) = session.interruptions
    (note,) = notes(server)
    assert len(record.generated) > 20_000
    assert len(note) < MAX_HEARD_CHARS + MAX_USER_CHARS + 3000


async def test_sessions_opened_before_disable_keep_working() -> None:
    enable_interrupt_resume(policy=NOW)
    async with FakeLiveServer(replies=[STORY, "OK.", "Still fine."], speed=50.0) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            assert isinstance(session, InterruptAwareSession)
            disable_interrupt_resume()  # the factory goes back; this session carries on
            await session.send_realtime_input(text="Story.")
            stopped = False
            async for m in session.receive():
                c = m.server_content
                if not stopped and c and c.output_transcription and \
                        len(server.turns[0].delivered) > 20:
                    stopped = True
                    await session.send_realtime_input(text="Stop.")
            async for _ in session.receive():  # the answer; the note goes out meanwhile
                pass
            await server.wait_for(lambda: len(notes(server)) == 1)
            newer = server.client().aio.live.connect(model=M25, config=AUDIO)
            assert not isinstance(newer, InterruptAwareSession)
    assert session.interruptions[0].injected

