"""``ServerSession`` without sockets: JSON frames and a fake clock in, frames out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gemini_live_interrupt.testing import ServiceTiming
from gemini_live_interrupt.testing._script import Script
from gemini_live_interrupt.testing._session import ServerSession

from .conftest import M25

SPEED = 10.0


def make(replies: list[str], timing: ServiceTiming | None = None) -> ServerSession:
    script = Script(replies, user_transcripts=[], speed=SPEED, chunk_seconds=0.04,
                    timing=timing or ServiceTiming(response_latency=0.3), quirks=None, seed=0)
    return ServerSession(script, 0, now=0.0)


def frame(**message: Any) -> str:
    return json.dumps(message)


def out(session: ServerSession) -> list[dict[str, Any]]:
    return [json.loads(f) for f in session.data_to_send()]


def set_up(session: ServerSession) -> None:
    session.receive_frame(frame(setup={
        "model": f"models/{M25}", "generationConfig": {"responseModalities": ["AUDIO"]},
        "outputAudioTranscription": {}}), 0.0)
    assert out(session) == [{"setupComplete": {"sessionId": "fake-session-0"}}]
    assert session.deadline is None


def test_deadline_and_advance_contract() -> None:
    session = make(["Hello there."])
    set_up(session)
    session.receive_frame(frame(realtime_input={"text": "Hi"}), 1.0)
    assert out(session) == []
    assert session.deadline == pytest.approx(1.0 + 0.3 / SPEED)
    session.advance(1.029)  # not yet: nothing happens, the deadline stays
    assert out(session) == [] and session.deadline == pytest.approx(1.03)
    assert session.script.turns == []  # no turn before the deadline
    session.advance(1.03)
    first = out(session)
    assert len(first) == 1  # one step: the first planned chunk
    (turn,) = session.script.turns
    assert turn.started_at == pytest.approx(1.03) and turn.requested_at == 1.0
    assert session.deadline is not None and session.deadline >= 1.03


def test_a_late_server_sends_its_backlog_one_step_per_advance() -> None:
    session = make(["Hello there, friend."])
    set_up(session)
    session.receive_frame(frame(realtime_input={"text": "Hi"}), 1.0)
    batches = []
    while session.deadline is not None:
        session.advance(100.0)  # far behind: everything is overdue
        batches.append(out(session))
        assert len(batches) < 200
    *steps, last, held = batches
    assert all(len(b) == 1 for b in steps)  # no burst
    # The last chunk ends the generation in the same step; turnComplete waits for the turn's
    # playout (real time from its first chunk: long past here), so it comes in the next step.
    assert [list(m["serverContent"]) for m in last] == [["modelTurn"], ["generationComplete"]]
    assert [list(m["serverContent"]) for m in held] == [["turnComplete"]]
    assert "usageMetadata" in held[0]
    steps.append(last[:1])
    (turn,) = session.script.turns
    assert turn.delivered == "Hello there, friend." and turn.ended_at == pytest.approx(100.0)
    audio = [b for b in steps if "modelTurn" in b[0]["serverContent"]]
    assert len(audio) == len(steps) - 3  # and three transcript chunks
    assert session.script.turns[0].audio_seconds_sent == pytest.approx(turn.words[-1][2])


def test_a_frame_goes_before_overdue_work() -> None:
    session = make(["One two three four five six seven eight."])
    set_up(session)
    session.receive_frame(frame(realtime_input={"text": "Count"}), 1.0)
    session.advance(1.03)
    session.advance(1.03)
    sent = out(session)
    assert len(sent) == 2
    # The loop ran late: at 50.0 the whole turn is overdue, but the barge-in comes first.
    session.receive_frame(frame(realtime_input={"text": "Stop"}), 50.0)
    after = out(session)
    assert [list(m["serverContent"]) for m in after] == [["interrupted"], ["turnComplete"]]
    story = session.script.turns[0]
    assert story.interrupted and story.ended_at == 50.0
    assert story.delivered == "One"  # only what had been sent
    assert session.deadline == pytest.approx(50.03)  # the answer to "Stop"


def test_protocol_violations_ask_for_1007() -> None:
    session = make([])
    session.receive_frame(frame(realtime_input={"text": "Hi"}), 0.0)
    assert session.close is not None and session.close[0] == 1007
    session = make([])
    set_up(session)
    session.receive_frame("not json", 0.5)
    assert session.close is not None and session.close[0] == 1007
    assert out(session) == []


def test_connection_closed_stamps_a_running_turn() -> None:
    session = make(["A long enough answer to still be running."])
    set_up(session)
    session.receive_frame(frame(realtime_input={"text": "Hi"}), 1.0)
    session.advance(1.03)
    session.connection_closed(1.1)
    (turn,) = session.script.turns
    assert turn.ended_at == 1.1 and session.deadline is None
