"""The sans-I/O core, fed events: when a note leaves, how each barge-in ends, stalls, policy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gemini_live_interrupt import InjectionPolicy
from gemini_live_interrupt._core import Action, Core, Finished, Nudge, Send, Stalled, State
from gemini_live_interrupt._events import INTERRUPTED as FLAG
from gemini_live_interrupt._events import TURN_COMPLETE as DONE
from gemini_live_interrupt._events import (
    Event,
    ModelTranscript,
    ToolCall,
    UserInterim,
    UserWords,
)
from gemini_live_interrupt._policy import DEFAULT_MODEL_TABLE, FALLBACK, channel_for_model

Message = list[Event]
INTERRUPTED: Message = [FLAG]
TURN_COMPLETE: Message = [DONE]


def out(text: str) -> Message:
    return [ModelTranscript(text)]


def inp(text: str, finished: bool = False) -> Message:
    return [UserWords(text, finished)]


def make(channel: str = "client_content", **policy: object) -> Core:
    p = InjectionPolicy(**policy)  # type: ignore[arg-type]
    return Core(channel, p, max_history=4)  # type: ignore[arg-type]


def run(core: Core, *steps: tuple[float, Message]) -> list[Action]:
    actions: list[Action] = []
    for t, m in steps:
        actions += core.receive(m, t)
    return actions


def sends(actions: list[Action]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def records(actions: list[Action]) -> list[Finished]:
    return [a for a in actions if isinstance(a, Finished)]


def deliver(core: Core, send: Send, now: float, prompt: str = "note") -> list[Action]:
    """What the session does with a Send: begin, (send), report."""
    assert core.begin_note(send.barge_in.episode, prompt) is None
    return core.note_sent(send.barge_in.episode, now)


# --- when the note leaves ---------------------------------------------------------------------

def test_the_note_leaves_at_once_when_the_user_has_spoken() -> None:
    c = make()
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    assert send.barge_in.user_text == "Stop" and send.channel == "client_content"
    assert c.state(send.barge_in.episode) is State.WRITING


def test_the_note_waits_a_moment_for_the_first_words() -> None:
    c = make(first_words_wait=0.5)
    assert sends(run(c, (0, out("Story")), (1.0, INTERRUPTED))) == []
    assert c.state(1) is State.WAITING
    assert c.deadline == pytest.approx(1.5)
    (send,) = sends(run(c, (1.2, [UserInterim("Wait")])))  # interim: sent with low latency
    assert send.barge_in.user_text == "Wait"


def test_the_note_never_quotes_the_requests_late_words_as_the_users() -> None:
    # Final words 0.2 s after the flag were spoken before it (transcribed 0.5-2 s behind):
    # the end of the request the cut turn answered, not what the user said over the model.
    c = make(first_words_wait=0.5)
    run(c, (0, out("Story")), (1.0, INTERRUPTED), (1.2, inp("Tell me a story.")))
    (send,) = sends(c.poll(1.5))
    assert send.barge_in.user_text == ""
    assert c.history == [("user", "Tell me a story."), ("model", "Story")]


def test_the_note_leaves_without_words_when_the_wait_is_over() -> None:
    c = make(first_words_wait=0.5)
    run(c, (0, out("Story")), (1.0, INTERRUPTED))
    assert sends(c.poll(1.4)) == []
    (send,) = sends(c.poll(1.5))
    assert send.barge_in.user_text == "" and send.barge_in.heard == "Story"


def test_interim_words_end_the_wait_and_final_words_replace_them() -> None:
    c = make(first_words_wait=1.0)
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.1, [UserInterim("What")])))
    assert send.barge_in.user_text == "What"
    run(c, (1.5, inp("What about dragons?")), (2, out("Dragons")))
    assert ("user", "What about dragons?") in c.history  # the final words, not the interim


def test_a_note_waits_for_an_unanswered_tool_call() -> None:
    c = make(first_words_wait=0.1)
    run(c, (0, out("Story")), (1, [ToolCall(("c1",))]), (1.0, INTERRUPTED))
    assert c.deadline is None  # nothing can leave before the tool response
    assert sends(c.poll(5.0)) == []
    (send,) = sends(c.tool_responded([("c1", "lookup", "")], 5.0))
    assert send.barge_in.episode == 1


@pytest.mark.parametrize(("behaviors", "by_default", "the_apps"), [
    ({"lookup": "NON_BLOCKING"}, False, True),  # declared so: its scheduling counts
    ({}, True, True),  # undeclared, on a model whose functions are NON_BLOCKING by default
    ({"lookup": "BLOCKING"}, True, False),  # declared blocking: the scheduling is ignored
    ({}, False, False),  # undeclared, blocking by default
])
def test_an_interrupt_scheduled_answer_cuts_the_model_only_for_a_non_blocking_function(
        behaviors: dict[str, str], by_default: bool, the_apps: bool) -> None:
    c = Core("client_content", InjectionPolicy(), max_history=4, behaviors=behaviors,
             non_blocking_by_default=by_default)
    run(c, (0, out("Let me check")), (0.5, [ToolCall(("c1",))]), (0.6, out(" while I look")))
    c.tool_responded([("c1", "lookup", "INTERRUPT")], 1.0)
    run(c, (1.1, INTERRUPTED))
    assert c.episode == (0 if the_apps else 1)  # the app's cut is no barge-in


# --- how each barge-in ends: exactly one record ------------------------------------------------

def test_a_sent_note_ends_in_a_record_that_says_so() -> None:
    c = make("silent_content")
    (_send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    assert c.begin_note(1, "the note") is None and c.state(1) is State.SENDING
    (done,) = records(c.note_sent(1, 1.1))
    r = done.record
    assert (r.injected, r.prompt, r.channel, r.reason, r.error) == (
        True, "the note", "silent_content", None, None)
    assert (r.heard, r.user_text, r.episode) == ("Story", "Stop", 1)
    assert c.state(1) is None and c.close() == []


def test_a_failed_send_ends_in_a_record_with_the_error() -> None:
    c = make()
    (_send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    assert c.begin_note(1, "n") is None
    (done,) = records(c.note_failed(1, "send failed", 1.1, error="ConnectionClosed()"))
    assert (done.record.injected, done.record.reason, done.record.error, done.record.prompt) == (
        False, "send failed", "ConnectionClosed()", "n")
    assert c.note_sent(1, 1.2) == []  # finished once, for good


def test_the_wait_ends_when_the_model_begins_its_answer() -> None:
    # Words that come later can no longer shape that answer: a silent note goes at once.
    c = make("silent_content", first_words_wait=5.0)
    run(c, (0, out("One")), (1, INTERRUPTED), (1, TURN_COMPLETE))
    (send,) = sends(run(c, (1.1, out("Two"))))
    assert send.barge_in.heard == "One" and send.barge_in.user_text == ""


def test_a_note_being_written_when_a_newer_barge_in_comes_is_not_sent() -> None:
    # A note for an old barge-in is never sent after a newer one.
    c = make("silent_content")
    (old,) = sends(run(c, (0, out("One")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    (new,) = sends(run(c, (1.5, out("Two")), (2, INTERRUPTED), (2.5, inp("No"))))
    assert c.begin_note(old.barge_in.episode, "old") == "superseded by a newer barge-in"
    (done,) = records(c.note_failed(1, "superseded by a newer barge-in", 2.1, prompt="old"))
    assert done.record.prompt == "old" and not done.record.injected
    assert records(deliver(c, new, 2.2))[0].record.injected


def test_a_turn_starting_note_is_dropped_once_the_model_answers() -> None:
    c = make("client_content", first_words_wait=1.0)
    actions = run(c, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE), (1.5, out("Answer")))
    assert sends(actions) == []
    (done,) = records(actions + c.poll(2.0))
    assert done.record.reason == "the model had already started answering"


def test_a_silent_note_still_goes_after_the_answer_began() -> None:
    # It starts no reply, so it costs nothing; the rest of the conversation has it.
    c = make("silent_content", first_words_wait=1.0)
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1, TURN_COMPLETE),
                        (1.5, out("Answer"))))
    assert records(deliver(c, send, 1.6))[0].record.injected


def test_a_turn_starting_note_being_written_as_the_answer_starts_is_not_sent() -> None:
    c = make("realtime_text")
    (_send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    run(c, (1.2, TURN_COMPLETE), (1.3, out("Sure")))
    assert c.begin_note(1, "n") == "the model had already started answering"


def test_a_note_sent_after_the_answer_began_still_carries_what_the_user_said() -> None:
    # The answer's start commits the utterance to the history; the note must not lose it.
    c = make("silent_content")
    run(c, (0, out("Story")), (0.5, [ToolCall(("c1",))]), (1, INTERRUPTED),
        (1.5, inp("What about")), (1.6, inp(" dragons?")), (1.8, out("Dragons")))
    assert ("user", "What about dragons?") in c.history
    (send,) = sends(c.tool_responded([("c1", "lookup", "")], 2.0))
    assert send.barge_in.user_text == "What about dragons?"


def test_a_flag_that_cut_nothing_wants_no_note_whatever_the_user_says() -> None:
    # Decided at the flag (the user's words come later on the real service): the turn was
    # over and nothing was left playing, so nothing was cut and the model heard it all.
    c = make()
    actions = run(c, (0, out("Done.")), (0, TURN_COMPLETE), (1, [UserInterim("Hey")]),
                  (1, INTERRUPTED), (1.1, inp("Hey there")))
    assert sends(actions) == []
    (done,) = records(actions)
    assert done.record.reason == "phantom" and not done.record.injected


def test_an_interruption_caused_by_our_own_note_is_no_new_barge_in() -> None:
    c = make("silent_content")
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop")),
                        (1, TURN_COMPLETE), (2, inp(" now")), (3, out("Answer"))))
    assert c.begin_note(send.barge_in.episode, "n") is None  # the note cuts the answer (3.8)
    assert sends(run(c, (3.1, INTERRUPTED), (3.2, TURN_COMPLETE))) == []
    assert c.episode == send.barge_in.episode
    # ... but the user's next barge-in is one.
    assert len(sends(run(c, (4, out("Next")), (5, INTERRUPTED), (5.5, inp("Hey"))))) == 1


def test_close_ends_every_unfinished_barge_in() -> None:
    c = make("silent_content", first_words_wait=60)
    (_writing,) = sends(run(c, (0, out(" Once upon")), (1, INTERRUPTED), (1.5, inp("wait"))))
    run(c, (1.5, out("Sure")), (2, INTERRUPTED))  # a second one, still waiting
    assert c.state(1) is State.WRITING and c.state(2) is State.WAITING
    assert sorted((f.record.episode, f.record.reason) for f in records(c.close())) == [
        (1, "session closed"), (2, "session closed")]
    assert c.deadline is None and c.close() == []
    assert c.begin_note(1, "late") == "session closed"


def test_the_echo_of_our_realtime_note_is_hidden_and_not_user_speech() -> None:
    c = make("realtime_text")
    (_send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    assert c.begin_note(1, "Note: you were cut off.") is None
    for m in ([UserInterim("Note:")], [UserInterim("Note: you were")], inp("Note: you were"),
              inp(" cut off.")):
        assert any(type(a).__name__ == "HideEcho" for a in c.receive(m, 2))
    run(c, (3, out("Answer")))
    assert c.history == [("model", "Story"), ("user", "Stop")]


# --- stalls -----------------------------------------------------------------------------------

def test_stall_watch_nudges_once_then_reports() -> None:
    c = make(stall_nudge=4.0, stall_report=10.0)
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    deliver(c, send, 1.6)
    assert c.poll(5.4) == []
    assert c.poll(5.5) == [Nudge(1)]  # 4 s after the user's last words
    assert c.poll(11.4) == []
    (stalled,) = c.poll(11.5)
    assert isinstance(stalled, Stalled) and stalled.stall.seconds == pytest.approx(10.0)
    assert c.deadline is None


def test_model_output_ends_the_stall_watch() -> None:
    c = make(stall_nudge=4.0)
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    deliver(c, send, 1.1)
    run(c, (1, TURN_COMPLETE), (3, out("Answer")))
    assert c.poll(20.0) == [] and c.deadline is None


def test_an_answer_that_began_before_the_note_settled_is_no_stall() -> None:
    c = make("silent_content", stall_nudge=1.0)
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop")),
                        (1.2, TURN_COMPLETE), (1.3, out("Answer")), (1.4, TURN_COMPLETE)))
    deliver(c, send, 1.5)
    assert c.poll(30.0) == [] and c.deadline is None


def test_no_stall_watch_by_default() -> None:
    c = make()
    (send,) = sends(run(c, (0, out("Story")), (1, INTERRUPTED), (1.5, inp("Stop"))))
    deliver(c, send, 1.1)
    assert c.deadline is None and c.poll(100.0) == []


# --- the policy object and the model table -------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "exc"), [
    ({"channel": "carrier_pigeon"}, ValueError), ({"first_words_wait": -1}, ValueError),
    ({"stall_report": float("inf")}, ValueError), ({"stall_nudge": True}, TypeError),
    ({"first_words_wait": "2"}, TypeError), ({"first_words_wait": float("nan")}, ValueError),
    ({"timing": "on_interrupt"}, TypeError), ({"hold_output": True}, TypeError),
])
def test_bad_policies_fail_at_construction(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        InjectionPolicy(**kwargs)  # type: ignore[arg-type]


def test_an_unknown_channel_is_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match="silent_content, context_update, client_content"):
        InjectionPolicy(channel="carrier_pigeon")  # type: ignore[arg-type]


def test_model_table() -> None:
    assert channel_for_model("models/gemini-3.1-flash-live-preview") == "silent_content"
    assert channel_for_model("gemini-3.8-live") == "silent_content"
    assert channel_for_model("gemini-2.5-flash-native-audio-preview-12-2025") == "context_update"
    assert FALLBACK == "silent_content"
    assert channel_for_model("some-future-model") == FALLBACK
    assert channel_for_model(None) == FALLBACK
    assert all(len(row) == 2 for row in DEFAULT_MODEL_TABLE)


# --- the core stays sans-I/O ----------------------------------------------------------------------

CORE = ["_core", "_tracker", "_tools", "_timeline", "_events", "_records", "_policy", "_prompt"]


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_sdk_event_loop_or_socket(module: str) -> None:
    path = Path(__file__).parent.parent / "gemini_live_interrupt" / f"{module}.py"
    tree = ast.parse(path.read_text())
    banned = ("google", "asyncio", "websockets", "socket", "threading")
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []  # imports for type checkers only
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                 else [])
        assert not [n for n in names if n.split(".")[0] in banned], (module, names)


def test_audio_goes_straight_to_the_open_turn_only_while_nothing_is_pending() -> None:
    core = Core("context_update", InjectionPolicy(first_words_wait=0.0, stall_nudge=1.0),
                max_history=4)
    assert core.audio == core._audio  # no turn yet: the chunk opens one
    core.audio(960, 24000, 0.0)
    sink = core._tracker.sink
    assert sink is not None and core.audio == sink.add_audio
    (send,) = [a for a in core.receive([UserWords(" wait"), FLAG], 0.5) if isinstance(a, Send)]
    assert core.audio == core._audio  # the turn was cut
    assert core.begin_note(send.barge_in.episode, "note") is None
    core.receive([UserWords(" no")], 0.55)
    core.audio(960, 24000, 0.6)  # the answer opens a turn while the note is still going
    answer = core._tracker.sink
    assert answer is not None and answer is not sink and core.audio == answer.add_audio
    core.note_sent(send.barge_in.episode, 0.7)  # now a stall is watched for: through the core
    assert core.audio == core._audio
    core.audio(960, 24000, 0.8)  # the model spoke: the watch ends
    assert core.audio == answer.add_audio
    core.receive([DONE], 0.9)
    assert core.audio == core._audio
