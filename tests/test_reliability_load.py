"""Load, properties of the core, and the shim under load: one note per episode, bounded."""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_live_interrupt import (
    InjectionPolicy,
    InterruptAwareSession,
    connect,
    disable_interrupt_resume,
    enable_interrupt_resume,
)
from gemini_live_interrupt._core import Action, Core, Finished, Send
from gemini_live_interrupt._events import (
    INTERRUPTED,
    TURN_COMPLETE,
    Event,
    ModelAudio,
    ModelTranscript,
    ToolCall,
    UserInterim,
    UserWords,
)
from gemini_live_interrupt._prompt import MAX_HEARD_CHARS, MAX_USER_CHARS
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25, STORY, notes

# --- properties of the core over random event sequences and clocks ------------------------

_events = st.one_of(
    st.sampled_from(["a", " b", "c.", ""]).map(lambda t: [ModelTranscript(t)] if t else []),
    st.sampled_from(["x", " y"]).map(lambda t: [UserWords(t)]),
    st.sampled_from(["x", "x y"]).map(lambda t: [UserInterim(t)]),
    st.integers(1, 4800).map(lambda n: [ModelAudio(n)]),
    st.just([INTERRUPTED]),
    st.just([TURN_COMPLETE]),
    st.just([INTERRUPTED, TURN_COMPLETE]),
    st.just([ToolCall(("t",))]),
)
_policies = st.builds(
    InjectionPolicy,
    channel=st.sampled_from(["silent_content", "context_update", "client_content",
                             "realtime_text"]),
    first_words_wait=st.floats(0, 2),
    stall_nudge=st.one_of(st.none(), st.floats(0, 3)), stall_report=st.floats(0, 5),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), _events, st.booleans(), st.sampled_from(
        ["sent", "failed", "later", "flush"])), max_size=40),
    _policies, st.integers(0, 5),
)
def test_core_invariants(
    steps: list[tuple[float, list[Event], bool, str]], policy: InjectionPolicy, cap: int,
) -> None:
    assert policy.channel is not None
    core = Core(policy.channel, policy, max_history=cap)
    now = 0.0
    sent: set[int] = set()
    finished: list[int] = []
    later: list[int] = []

    def take(actions: list[Action]) -> None:
        for a in actions:
            if isinstance(a, Send):
                assert a.barge_in.episode not in sent, "two notes for one barge-in"
                assert a.barge_in.episode not in finished, "a note after its record"
                sent.add(a.barge_in.episode)
                assert a.barge_in.generated.startswith(a.barge_in.heard)
            elif isinstance(a, Finished):
                finished.append(a.record.episode)
                assert a.record.injected == (a.record.reason is None)

    for dt, events, respond, outcome in steps:
        now += dt
        actions = core.receive(events, now)  # never raises
        for _ in range(3):  # the session's timer polls at the deadline; it must not spin
            d = core.deadline
            if d is None or d > now:
                break
            actions += core.poll(now)
        else:
            raise AssertionError(f"deadline {core.deadline} stays due at {now}")
        take(actions)
        for a in actions:
            if isinstance(a, Send):
                if outcome == "later":
                    later.append(a.barge_in.episode)
                elif core.begin_note(a.barge_in.episode, "note") is None:
                    take(core.note_sent(a.barge_in.episode, now) if outcome == "sent"
                         else core.note_failed(a.barge_in.episode, "send failed", now))
                else:
                    take(core.note_failed(a.barge_in.episode, "superseded by a newer barge-in",
                                          now))
                assert_routed(core)
        if outcome == "flush":  # sends that were still going end now, mid-conversation
            for episode in later:
                if core.begin_note(episode, "note") is None:
                    take(core.note_sent(episode, now))
                    assert_routed(core)
            later.clear()
        if respond:
            take(core.tool_responded([("t", "lookup", "")], now))
        assert len(core.history) <= cap
        assert_routed(core)
    for episode in later:  # notes whose send was still going: some finish after newer ones
        if core.begin_note(episode, "note") is None:
            take(core.note_sent(episode, now))
    take(core.close())
    assert_routed(core)
    # Every barge-in ends in exactly one record: a note sent, or the reason why not.
    assert sorted(finished) == list(range(1, core.episode + 1)), finished


def assert_routed(core: Core) -> None:
    """The open turn's timeline is the tracker's sink (else None), and audio goes straight to
    it while nothing is pending, else through the core."""
    turn = core._tracker._turn
    is_open = turn is not None and not turn.complete and not turn.interrupted
    assert core._tracker.sink is (turn.timeline if is_open and turn else None)
    idle = core._waiting is None and core._watch is None
    sink = core._tracker.sink
    assert core.audio == (sink.add_audio if sink is not None and idle else core._audio)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), _events), max_size=40), _policies, st.integers(0, 5))
def test_the_short_paths_do_what_the_full_path_does(
    steps: list[tuple[float, list[Event]]], policy: InjectionPolicy, cap: int,
) -> None:
    # The session hands a lone audio chunk to audio() and a lone transcript chunk to
    # transcript(), everything else to receive(): the same actions, history and state.
    assert policy.channel is not None
    full = Core(policy.channel, policy, max_history=cap)
    short = Core(policy.channel, policy, max_history=cap)
    now = 0.0
    for dt, events in steps:
        now += dt
        expected = full.receive(events, now)
        (event,) = events if len(events) == 1 else (None,)
        if isinstance(event, ModelAudio):
            got = list(short.audio(event.nbytes, event.rate, now) or ())
        elif isinstance(event, ModelTranscript) and event.timings is None:
            got = list(short.transcript(event.text, now))
        else:
            got = short.receive(events, now)
        assert got == expected
        assert_routed(full)
        assert_routed(short)
        assert short.history == full.history and short.episode == full.episode
        assert short.deadline == full.deadline


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
        async with Small(cm, max_history=4) as session:
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
            episodes_seen = session._core.episode
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
        async with connect(server.client(), model=M25, config=AUDIO) as session:
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
    enable_interrupt_resume()
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

