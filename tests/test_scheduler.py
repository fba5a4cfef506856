"""The sans-I/O scheduler: when a note leaves, holding output back, stalls, the policy object."""

from __future__ import annotations

import pytest
from google.genai import types

from gemini_live_interrupt import InjectionPolicy
from gemini_live_interrupt._policy import DEFAULT_MODEL_TABLE, FALLBACK, policy_for_model
from gemini_live_interrupt._scheduler import Action, Drop, Nudge, Release, Scheduler, Send, Stalled
from gemini_live_interrupt._tracker import Tracker

from .conftest import needs_interim_transcription


def msg(**content: object) -> types.LiveServerMessage:
    return types.LiveServerMessage(server_content=types.LiveServerContent(**content))  # type: ignore[arg-type]


def out(text: str) -> types.LiveServerMessage:
    return msg(output_transcription=types.Transcription(text=text))


def inp(text: str, finished: bool | None = None) -> types.LiveServerMessage:
    return msg(input_transcription=types.Transcription(text=text, finished=finished))


INTERRUPTED = msg(interrupted=True)
TURN_COMPLETE = msg(turn_complete=True)


def make(**policy: object) -> Scheduler:
    p = InjectionPolicy(**policy)  # type: ignore[arg-type]
    return Scheduler(Tracker(max_history=4), p, p.timing or "on_interrupt",
                     p.channel or "client_content")


def run(s: Scheduler, *steps: tuple[float, types.LiveServerMessage]) -> list[Action]:
    actions: list[Action] = []
    for t, m in steps:
        actions += s.feed(m, t)
    return actions


def sends(actions: list[Action]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def test_on_interrupt_sends_at_once_when_the_user_has_spoken() -> None:
    s = make(timing="on_interrupt")
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop"))))
    assert send.barge_in.user_text == "Stop" and send.channel == "client_content"


def test_on_interrupt_waits_a_moment_for_the_first_words() -> None:
    s = make(timing="on_interrupt", first_words_wait=0.5)
    assert sends(run(s, (0, out("Story")), (1.0, INTERRUPTED))) == []
    assert s.deadline == pytest.approx(1.5)
    (send,) = sends(run(s, (1.2, inp("Wait"))))
    assert send.barge_in.user_text == "Wait"


def test_on_interrupt_sends_without_words_when_the_wait_is_over() -> None:
    s = make(timing="on_interrupt", first_words_wait=0.5)
    run(s, (0, out("Story")), (1.0, INTERRUPTED))
    assert sends(s.poll(1.4)) == []
    (send,) = sends(s.poll(1.5))
    assert send.barge_in.user_text == ""


def test_after_user_turn_waits_for_a_quiet_gap_and_sends_everything_said() -> None:
    s = make(timing="after_user_turn", quiet_gap=1.0)
    run(s, (0, out("Story")), (1.0, INTERRUPTED), (1.5, inp("What")), (2.0, inp(" about")))
    assert sends(s.poll(2.9)) == []
    assert s.deadline == pytest.approx(3.0)
    (send,) = sends(run(s, (2.5, inp(" dragons?"))) + s.poll(3.5))
    assert send.barge_in.user_text == "What about dragons?"


def test_after_user_turn_sends_when_the_transcription_is_finished() -> None:
    s = make(timing="after_user_turn")
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (2, inp("Stop.", finished=True))))
    assert send.barge_in.user_text == "Stop."


def test_after_user_turn_gives_up_waiting_after_max_wait() -> None:
    s = make(timing="after_user_turn", max_wait=4.0)
    run(s, (0, out("Story")), (1, INTERRUPTED))
    assert sends(s.poll(4.9)) == [] and len(sends(s.poll(5.0))) == 1


def test_a_note_is_dropped_when_the_model_already_answers() -> None:
    s = make(timing="after_user_turn")
    actions = run(s, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE), (2, inp("Hm")),
                  (3, out("Answer")))
    (drop,) = [a for a in actions if isinstance(a, Drop)]
    assert drop.reason == "the model had already started answering" and sends(actions) == []


def test_hold_back_keeps_the_answer_until_the_note_is_settled() -> None:
    s = make(timing="after_user_turn", hold_output=True, hold_timeout=2.0)
    actions = run(s, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE), (2, inp("Hm")),
                  (3, out("Answer")))
    (send,) = sends(actions)
    assert s.holding and s.is_current(send.barge_in.episode)
    assert s.settled(send.barge_in.episode, 3.1) == [Release()]
    assert not s.holding


def test_held_output_is_released_after_the_hold_timeout() -> None:
    s = make(timing="after_user_turn", hold_output=True, hold_timeout=2.0, max_wait=9)
    run(s, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE), (2, inp("Hm")),
        (3, out("Answer")))
    assert s.holding
    assert Release() in s.poll(5.0) and not s.holding


def test_a_tool_call_is_never_held_and_a_note_waits_for_its_response() -> None:
    s = make(timing="on_interrupt", first_words_wait=0.1)
    call = types.LiveServerMessage(tool_call=types.LiveServerToolCall(
        function_calls=[types.FunctionCall(id="c1", name="f", args={})]))
    run(s, (0, out("Story")), (1, call), (1.0, INTERRUPTED))
    assert sends(s.poll(5.0)) == []  # a tool call awaits its response
    s.tool_responded(["c1"])
    assert len(sends(s.poll(5.0))) == 1


def test_a_newer_barge_in_supersedes_a_waiting_note() -> None:
    s = make(timing="on_interrupt", first_words_wait=1.0)
    actions = run(s, (0, out("One")), (1, INTERRUPTED), (1, TURN_COMPLETE), (1.1, out("Two")),
                  (1.2, INTERRUPTED))
    assert [a.reason for a in actions if isinstance(a, Drop)] == ["superseded by a newer barge-in"]
    assert not s.is_current(1)
    (send,) = sends(s.poll(2.2))
    assert send.barge_in.episode == 2 and send.barge_in.heard == "Two"


def test_an_interruption_caused_by_our_own_note_is_no_new_barge_in() -> None:
    s = make(timing="on_interrupt")
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop")),
                        (1, TURN_COMPLETE), (2, inp(" now")), (3, out("Answer"))))
    s.tracker.note_sent()  # the note cuts the answer (3.8 style): no cascade
    assert sends(run(s, (3.1, INTERRUPTED), (3.2, TURN_COMPLETE))) == []
    assert s.tracker.episode == send.barge_in.episode
    # ... but the user's next barge-in is one.
    assert len(sends(run(s, (4, out("Next")), (5, INTERRUPTED), (5, inp("Hey"))))) == 1


@needs_interim_transcription
def test_interim_transcription_gives_the_first_words_sooner() -> None:
    s = make(timing="on_interrupt", first_words_wait=1.0)
    interim = msg(interim_input_transcription=types.Transcription(text="What"))
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1.1, interim)))
    assert send.barge_in.user_text == "What"
    run(s, (1.5, inp("What about dragons?")))
    assert s.tracker.user_text == "What about dragons?"  # final words replace interim ones


def test_stall_watch_nudges_once_then_reports() -> None:
    s = make(timing="on_interrupt", stall_nudge=4.0, stall_report=10.0)
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop"))))
    s.settled(send.barge_in.episode, 1.1)
    assert s.poll(4.9) == []
    assert s.poll(5.0) == [Nudge(send.barge_in.episode)]
    assert s.poll(10.9) == []
    (stalled,) = s.poll(11.0)
    assert isinstance(stalled, Stalled) and stalled.seconds == pytest.approx(10.0)
    assert s.deadline is None


def test_model_output_ends_the_stall_watch() -> None:
    s = make(timing="on_interrupt", stall_nudge=4.0)
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop"))))
    s.settled(send.barge_in.episode, 1.1)
    run(s, (1, TURN_COMPLETE), (3, out("Answer")))
    assert s.poll(20.0) == [] and s.deadline is None


def test_no_stall_watch_by_default() -> None:
    s = make(timing="on_interrupt")
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop"))))
    s.settled(send.barge_in.episode, 1.1)
    assert s.deadline is None and s.poll(100.0) == []


@pytest.mark.parametrize(("kwargs", "exc"), [
    ({"timing": "later"}, ValueError), ({"channel": "carrier_pigeon"}, ValueError),
    ({"quiet_gap": -1}, ValueError), ({"max_wait": float("inf")}, ValueError),
    ({"hold_output": 1}, TypeError), ({"hold_timeout": "2"}, TypeError),
    ({"stall_nudge": True}, TypeError), ({"first_words_wait": float("nan")}, ValueError),
])
def test_bad_policies_fail_at_construction(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        InjectionPolicy(**kwargs)  # type: ignore[arg-type]


def test_model_table() -> None:
    assert policy_for_model("models/gemini-3.1-flash-live-preview") == (
        "on_interrupt", "silent_content")
    assert policy_for_model("gemini-3.8-live") == ("on_interrupt", "silent_content")
    assert policy_for_model("gemini-2.5-flash-native-audio-preview-12-2025") == (
        "on_interrupt", "context_update")
    assert FALLBACK == ("on_interrupt", "silent_content")
    assert policy_for_model("some-future-model") == FALLBACK
    assert policy_for_model(None) == FALLBACK
    assert all(len(row) == 3 for row in DEFAULT_MODEL_TABLE)


@needs_interim_transcription
def test_interim_and_final_echo_of_our_realtime_note_are_not_user_speech() -> None:
    s = make(timing="on_interrupt")
    (_send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, inp("Stop"))))
    s.tracker.note_sent("Note: you were cut off.")
    echo = [msg(interim_input_transcription=types.Transcription(text="Note:")),
            msg(interim_input_transcription=types.Transcription(text=" you were")),
            inp("Note: you were"), inp(" cut off.")]
    run(s, *[(2, m) for m in echo], (3, out("Answer")))
    assert s.tracker.history == [("model", "Story"), ("user", "Stop")]


def test_the_deadline_is_never_one_that_poll_cannot_act_on() -> None:
    # A deadline in the past that poll() does not clear would spin the session's timer.
    s = make(timing="after_user_turn", quiet_gap=1.0, max_wait=8.0)
    run(s, (0, inp("The request")), (0.5, out("Story")), (5, INTERRUPTED))
    assert s.deadline == pytest.approx(13.0)  # the request's words are not this barge-in's
    call = types.LiveServerMessage(tool_call=types.LiveServerToolCall(
        function_calls=[types.FunctionCall(id="c1", name="f", args={})]))
    t = make(timing="on_interrupt", first_words_wait=0.1)
    run(t, (0, out("Story")), (1, call), (1, INTERRUPTED))
    assert t.deadline is None  # nothing can leave before the tool response
    t.tool_responded(["c1"])
    assert t.deadline == pytest.approx(1.1)


def test_close_drops_the_waiting_note() -> None:
    s = make(timing="after_user_turn", max_wait=60, quiet_gap=60)
    run(s, (0, out(" Once upon")), (1, INTERRUPTED), (1, inp("wait")))
    assert s.deadline is not None
    (drop,) = s.close()
    assert isinstance(drop, Drop) and drop.reason == "session closed"
    assert s.deadline is None and s.close() == []


def test_close_releases_output_held_for_a_note_in_flight() -> None:
    s = make(timing="after_user_turn", hold_output=True)
    actions = run(s, (0, out(" Once upon")), (1, INTERRUPTED), (1, inp("wait")),
                  (1.1, out(" New")))
    assert sends(actions) and s.holding
    assert [type(a) for a in s.close()] == [Release]
    assert not s.holding and s.deadline is None


def test_hold_output_also_holds_while_the_note_is_in_flight() -> None:
    # on_interrupt with no wait sends at once; the answer that starts before the note has
    # left (a slow prompt builder, a slow socket) is held until the note settles.
    s = make(timing="on_interrupt", first_words_wait=0.0, hold_output=True)
    (send,) = sends(run(s, (0, out(" Once upon")), (1, INTERRUPTED)))
    run(s, (1.01, inp("wait")), (1.05, out(" Sure")))
    assert s.holding and s.is_current(send.barge_in.episode)
    assert [type(a) for a in s.settled(send.barge_in.episode, 1.1)] == [Release]
    assert not s.holding
    run(s, (1.2, out(" more")))
    assert not s.holding  # nothing in flight any more


def test_a_note_sent_as_the_model_answers_still_carries_what_the_user_said() -> None:
    # The answer's start commits the utterance to the history; the note must not lose it.
    s = make(timing="after_user_turn", hold_output=True)
    (send,) = sends(run(s, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE),
                        (2, inp("What about")), (2.1, inp(" dragons?")), (2.5, out("Dragons"))))
    assert send.barge_in.user_text == "What about dragons?"
    assert ("user", "What about dragons?") in s.tracker.history


def test_a_note_stuck_in_flight_holds_output_once() -> None:
    s = make(timing="on_interrupt", first_words_wait=0.0, hold_output=True, hold_timeout=0.3)
    run(s, (0, out(" Once upon")), (1, INTERRUPTED), (1.01, inp("wait")), (1.05, out(" Sure")))
    assert s.holding
    assert [type(a) for a in s.poll(1.4)] == [Release]
    run(s, (1.5, out(" more")))
    assert not s.holding  # released for good: the stuck note does not hold the next chunk


@needs_interim_transcription
def test_a_flag_that_cut_nothing_wants_no_note_whatever_the_user_says() -> None:
    # Decided at the flag (the user's words come later on the real service): the turn was
    # over and nothing was left playing, so nothing was cut and the model heard it all.
    s = make(timing="on_interrupt")
    interim = msg(interim_input_transcription=types.Transcription(text="Hey"))
    actions = run(s, (0, out("Done.")), (0, TURN_COMPLETE), (1, interim), (1, INTERRUPTED),
                  (1.1, inp("Hey there")))
    assert sends(actions) == []
    (drop,) = [a for a in actions if isinstance(a, Drop)]
    assert drop.barge_in.phantom and drop.reason == "phantom"
