"""The sans-I/O tracker, fed events directly (as the core gets them from each message)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_live_interrupt._events import INTERRUPTED as FLAG
from gemini_live_interrupt._events import TURN_COMPLETE as DONE
from gemini_live_interrupt._events import (
    Event,
    ModelAudio,
    ModelText,
    ModelTranscript,
    ToolCall,
    UserInterim,
    UserWords,
)
from gemini_live_interrupt._tracker import BargeIn, Tracker

Message = list[Event]


def out(text: str) -> Message:
    return [ModelTranscript(text)]


def inp(text: str) -> Message:
    return [UserWords(text)]


def audio(nbytes: int = 4800, rate: int = 24000) -> Message:
    return [ModelAudio(nbytes, rate)] if nbytes else []


def text(t: str) -> Message:
    return [ModelText(t)] if t else []


INTERRUPTED: Message = [FLAG]
TURN_COMPLETE: Message = [DONE]


def feed_at(tracker: Tracker, message: Message, now: float) -> list[BargeIn]:
    b = tracker.receive(message, now)
    return [] if b is None else [b]


def feed(tracker: Tracker, *messages: Message) -> list[BargeIn]:
    found: list[BargeIn] = []
    for i, m in enumerate(messages):
        found += feed_at(tracker, m, float(i))
    return found


def test_chunks_are_joined_verbatim_with_no_inserted_spaces_or_dedup() -> None:
    t = Tracker(max_history=4)
    # No audio: a transcript-only turn counts as seen in full.
    (b,) = feed(t, out("Hel"), out("lo"), out(" wor"), out("ld."), out(" no"), out(" no"),
                INTERRUPTED)
    assert b.heard == "Hello world. no no"
    assert b.generated == "Hello world. no no"
    assert not b.phantom


def test_languages_without_spaces_are_not_split() -> None:
    t = Tracker(max_history=4)
    (b,) = feed(t, out("今天"), out("天气"), out("很好"), INTERRUPTED)
    assert b.heard == "今天天气很好"
    assert t.history == [("model", "今天天气很好")]


def test_user_text_is_speech_over_the_model_never_the_request() -> None:
    t = Tracker(max_history=4)
    feed(
        t,
        inp("Tell me"), inp(" a story."),   # the request
        out("Once"), out(" upon"),           # the model starts answering
        INTERRUPTED,                         # the user talks over it: flagged at once,
        inp("Wait,"), inp(" what?"),         # transcribed 0.5-2 s later
    )
    assert t.barge_in_text == "Wait, what?"
    assert ("user", "Tell me a story.") in t.history


def test_late_words_of_the_request_before_the_flag_go_to_the_request() -> None:
    # On the service the request's last words can arrive after the model began answering; a
    # barge-in's own words only come after its flag.
    t = Tracker(max_history=4)
    (b,) = feed(t, inp("Tell me"), out("Once"), out(" upon"), inp(" a story."), INTERRUPTED)
    assert b.user_text == ""
    assert b.history == (("user", "Tell me a story."),)
    feed_at(t, inp("Wait!"), 10.0)  # transcribed 0.5-2 s after its flag
    assert t.barge_in_text == "Wait!"


def test_late_words_of_the_request_of_a_turn_that_completes_go_before_its_answer() -> None:
    # On the field timing a request is often transcribed only once the model answers it
    # (0.5-2 s behind the speech); with no barge-in in that turn, they are the request's.
    t = Tracker(max_history=10)
    feed(t, inp("Tell me"), out("Sure,"), inp(" a joke."), out(" here."), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a joke."), ("model", "Sure, here.")]
    # A barge-in's words, transcribed while the answer to it plays, all of them or the rest.
    for before, during in (([], [inp("What about"), inp(" dragons?")]),
                           ([inp("What about")], [inp(" dragons?")])):
        t = Tracker(max_history=10)
        feed(t, inp("Tell me a story."), out("Once"), out(" upon"), INTERRUPTED, TURN_COMPLETE,
             *before, out("Dragons,"), *during, out(" then."), TURN_COMPLETE)
        assert t.history == [("user", "Tell me a story."), ("model", "Once upon"),
                             ("user", "What about dragons?"), ("model", "Dragons, then.")]
        assert t.user_text == ""
        # What comes after the turn is over is a new utterance, for the next turn.
        feed_at(t, inp("Thanks."), 100.0)
        assert t.history[-1] == ("model", "Dragons, then.") and t.user_text == "Thanks."


def sent_at(tracker: Tracker, text: str, now: float = 0.0) -> None:
    tracker.sent(text, now)


def test_text_the_app_sends_is_the_users_words() -> None:
    # clientContent gets no input transcription, and whether realtime text does is not known.
    t = Tracker(max_history=10)
    sent_at(t, "Tell me a story.")
    assert t.user_text == "Tell me a story." and t.user_finished
    feed(t, out("Once"), out(" upon"), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a story."), ("model", "Once upon")]
    # Nudges and placeholders, not words: pipecat's " " on 3.x, google-adk's and LiveKit's "."
    # (a user turn that only asks for a reply); LiveKit's instructions in a user turn on 3.x.
    for nudge in ("   ", ".", " ... ", "<instructions>\nGreet the user.\n</instructions>"):
        sent_at(t, nudge)
        assert t.user_text == "", nudge
    sent_at(t, "<b>Bold</b> move.")  # markup inside words is still words
    assert t.user_text == "<b>Bold</b> move."


def test_a_typed_barge_in_is_known_at_the_flag() -> None:
    # The text causes the flag: it is the barge-in's words, never the request's late ones.
    t = Tracker(max_history=10)
    sent_at(t, "Tell me a story.")
    feed(t, out("Once"), out(" upon"))
    sent_at(t, "Dragons instead?")
    (b,) = feed(t, INTERRUPTED)
    assert b.user_text == "Dragons instead?"
    assert b.history == (("user", "Tell me a story."),)
    feed(t, TURN_COMPLETE, out("Dragons,"), out(" then."), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a story."), ("model", "Once upon"),
                         ("user", "Dragons instead?"), ("model", "Dragons, then.")]


def test_the_services_transcription_of_sent_text_is_not_counted_twice() -> None:
    for echo in ([inp("Tell me a story.")], [inp("Tell me"), inp(" a story.")]):
        t = Tracker(max_history=10)
        sent_at(t, "Tell me a story.")
        feed(t, *echo, out("Once"), TURN_COMPLETE)
        assert t.history == [("user", "Tell me a story."), ("model", "Once")]
        assert not t.echo  # the app still sees it: it is not our note
    # Speech that only starts like it is the user's.
    t = Tracker(max_history=10)
    sent_at(t, "Tell me a story.")
    feed(t, inp("Tell me"), inp(" a joke."), out("Sure."), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a story. Tell me a joke."), ("model", "Sure.")]


def test_words_spoken_before_a_typed_message_stay_with_their_own_request() -> None:
    t = Tracker(max_history=10)
    feed(t, inp("Tell me"), out("Sure,"), inp(" a joke."))
    sent_at(t, "Actually, a poem.")  # while the answer is still coming, no barge-in
    feed(t, out(" here."), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a joke."), ("model", "Sure, here.")]
    assert t.user_text == "Actually, a poem."  # the next request, answered next
    feed(t, out("Roses."), TURN_COMPLETE)
    assert t.history[-2:] == [("user", "Actually, a poem."), ("model", "Roses.")]


def test_utterances_transcribed_whole_are_not_run_together() -> None:
    # 3.x sends each utterance whole, with no leading space: two in a row are two sentences.
    t = Tracker(max_history=10)
    feed(t, inp("Tell me a story."), inp("What about dragons?"))
    assert t.user_text == "Tell me a story. What about dragons?"
    feed(t, out("Sure,"), inp("And castles."), out(" here."), TURN_COMPLETE)
    assert t.history == [("user", "Tell me a story. What about dragons? And castles."),
                         ("model", "Sure, here.")]
    # Chunks that carry their own spaces, and scripts written without them, stay verbatim.
    t = Tracker(max_history=10)
    feed(t, inp("你好。"), inp("再见。"), inp(" Ok."), inp("3.5"), inp("kg"))
    assert t.user_text == "你好。再见。 Ok. 3.5kg"


def feed_times(tracker: Tracker, *timed: tuple[float, Message]) -> list[BargeIn]:
    found: list[BargeIn] = []
    for now, message in timed:
        found += feed_at(tracker, message, now)
    return found


def test_words_right_after_a_flag_are_the_cut_turns_request() -> None:
    # The service flags a barge-in 50-100 ms into its speech and transcribes speech 0.5-2 s
    # behind (pipecat-ai/pipecat#3381): final words within 0.4 s of the flag were spoken
    # before it. When the user cuts in early (output is sent faster than it plays) the
    # request's last words often come just after the flag; they are not the barge-in's.
    for request in ([(3.0, inp("Tell me"))], []):
        t = Tracker(max_history=10)
        start = [(0.0, inp("Hi")), (0.5, out("Hello.")), (0.6, TURN_COMPLETE), *request]
        late = " a story." if request else "Tell me a story."
        (b,) = feed_times(t, *start, (5.0, out("Once")), (5.1, out(" upon")), (6.0, INTERRUPTED),
                          (6.2, inp(late)))
        assert b.user_text == "" and t.user_text == "" and t.barge_in_text == ""
        assert t.history == [("user", "Hi"), ("model", "Hello."),
                             ("user", "Tell me a story."), ("model", "Once upon")]
        feed_times(t, (6.8, inp("Wait!")))  # the barge-in's own words, later
        assert t.barge_in_text == "Wait!"
    # Interim words come with low latency: they may be the barge-in's.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, out("Once")), (1.0, INTERRUPTED), (1.2, [UserInterim("Wait")]))
    assert t.barge_in_text == "Wait"


def test_an_early_barge_in_leaves_the_requests_late_words_to_the_request() -> None:
    # A request ends ~0.9 s before its answer starts and is transcribed up to 2 s behind, so
    # when the user cuts in at once its words can come 0.5 s or more after the flag: a turn
    # that opened with no request words still waits for them (1.5 s from its start).
    for late in (["Tell me a story."], ["Tell", " me", " a", " story."]):
        t = Tracker(max_history=10)
        (b,) = feed_times(t, (0.0, out("Once")), (0.4, INTERRUPTED),
                          *((0.9 + i * 0.1, inp(w)) for i, w in enumerate(late)))
        assert b.user_text == "" and t.user_text == "" and t.barge_in_text == ""
        assert t.history == [("user", "Tell me a story."), ("model", "Once")]
        feed_times(t, (2.0, inp("Wait!")))  # later: the barge-in's own words
        assert t.barge_in_text == "Wait!"
        assert t.history == [("user", "Tell me a story."), ("model", "Once")]
    # A request still coming in word by word at the flag goes on up to its full stop; the
    # words after that are the barge-in's, even within those 1.5 s.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, out("Once")), (0.1, inp("Tell")), (0.2, inp(" me a")),
               (0.4, INTERRUPTED), (0.85, inp(" story.")), (1.25, inp("What")),
               (1.6, inp(" about dragons?")))
    assert t.history == [("user", "Tell me a story."), ("model", "Once")]
    assert t.barge_in_text == "What about dragons?"


def test_after_the_request_is_in_an_early_barge_ins_words_are_its_own() -> None:
    # The request was transcribed before the answer began, or the app asked for the answer
    # (a tool's answer, a nudge): words 0.5 s after the flag are the barge-in's.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Tell me a story.")), (1.0, out("Once")), (1.4, INTERRUPTED),
               (1.9, inp("Wait!")))
    assert t.barge_in_text == "Wait!"
    # 2.5: the call completes its turn; the reply to the tool's answer is a new turn. The
    # same when the model talked on after the call (its reply cannot continue that turn).
    for after_call in ([(1.2, TURN_COMPLETE)], [(1.2, out(" One moment.")), (1.3, TURN_COMPLETE)]):
        t = Tracker(max_history=10)
        feed_times(t, (0.0, inp("Weather?")), (1.0, out("Let me check.")),
                   (1.1, [ToolCall(("f",))]), *after_call)
        t.tool_answered()
        feed_times(t, (3.0, out("Sunny")), (3.3, INTERRUPTED), (3.9, inp("And tomorrow?")))
        assert t.barge_in_text == "And tomorrow?", after_call
        assert t.history[-1] == ("model", "Sunny")
    # A greeting the app asked for with a nudge (LiveKit's "." turn, pipecat's " ").
    t = Tracker(max_history=10)
    t.sent(".", 0.0)
    feed_times(t, (1.0, out("Hello")), (1.3, INTERRUPTED), (1.9, inp("Hi!")))
    assert t.barge_in_text == "Hi!" and t.history == [("model", "Hello")]


def test_a_tool_answered_within_its_turn_leaves_the_next_request_to_the_user() -> None:
    # 3.x: "Let me check.", the call, the app's answer, the reply in the same turn. The next
    # turn answers the user's speech: an early barge-in leaves its late words to the request.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Weather?")), (1.0, out("Let me check.")),
               (1.1, [ToolCall(("f", "g"))]))
    t.tool_answered()
    t.tool_answered()  # two calls made together, answered one by one
    feed_times(t, (1.5, out(" Clear skies.")), (1.8, TURN_COMPLETE),
               (5.0, out("Once")), (5.4, INTERRUPTED), (6.0, inp("Tell me a story.")),
               (7.0, inp("What about dragons?")))
    assert t.history == [("user", "Weather?"), ("model", "Let me check. Clear skies."),
                         ("user", "Tell me a story."), ("model", "Once")]
    assert t.barge_in_text == "What about dragons?"
    # A call never answered (cancelled, or the app gave up) asks for nothing either.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, out("Let me check.")), (0.1, [ToolCall(("f",))]), (0.2, TURN_COMPLETE),
               (5.0, out("Once")), (5.4, INTERRUPTED), (6.0, inp("Tell me a story.")))
    assert t.history[-2:] == [("user", "Tell me a story."), ("model", "Once")]
    assert t.barge_in_text == ""


def test_a_tools_answer_leaves_the_request_before_it_its_late_words() -> None:
    # 2.5, word by word: "What is" came before "Let me check.", whose turn completes at the
    # call; the rest of the request comes after the app's answer to the tool, before and
    # while the reply to it plays. It is the request's, not a second utterance after the call.
    cases = [  # (words before the reply, when it opens, words while it plays)
        ([(0.5, inp(" the")), (1.0, inp(" weather"))], 1.3, [(1.4, inp(" in Paris?"))]),
        ([(1.6, inp(" the weather"))], 1.7, [(1.8, inp(" in Paris?"))]),  # 1.5 s on: pending
        ([], 1.3, [(1.4, inp(" the weather in Paris?"))]),
        ([], 0.5, [(1.0, TURN_COMPLETE), (1.2, inp(" the weather in Paris?"))]),  # reply over
    ]
    for answered_first in (False, True):  # the app may answer before turnComplete reaches it
        for before, opens, during in cases:
            t = Tracker(max_history=10)
            feed_times(t, (0.0, inp("What is")), (0.1, out("Let me check.")),
                       (0.2, [ToolCall(("f",))]))
            if answered_first:
                t.tool_answered()
            feed_times(t, (0.3, TURN_COMPLETE), *before)
            if not answered_first:
                t.tool_answered()
            feed_times(t, (opens, out("It is sunny.")), *during, (2.5, TURN_COMPLETE))
            assert t.history == [("user", "What is the weather in Paris?"),
                                 ("model", "Let me check."), ("model", "It is sunny.")], opens
            assert t.user_text == ""
    # When the request had ended, words before the reply are a new utterance: before it.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Weather?")), (0.1, out("Let me check.")),
               (0.2, [ToolCall(("f",))]), (0.3, TURN_COMPLETE), (1.7, inp("And tomorrow?")))
    t.tool_answered()
    feed_times(t, (1.8, out("Sunny.")), (2.0, TURN_COMPLETE))
    assert t.history == [("user", "Weather?"), ("model", "Let me check."),
                         ("user", "And tomorrow?"), ("model", "Sunny.")]


def test_a_non_blocking_answer_is_replied_to_as_scheduled() -> None:
    # INTERRUPT, answered before the talk that follows the call has shown: the cut of that
    # talk is the app's (no barge-in); the reply after it answers the app.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Weather?")), (0.1, [ToolCall(("f",))]))
    t.tool_answered(["INTERRUPT"])
    found = feed_times(t, (0.2, out("While I look,")), (0.3, out(" a story.")),
                       (0.5, INTERRUPTED), (0.6, TURN_COMPLETE), (1.0, out("Sunny.")),
                       (1.2, INTERRUPTED), (1.7, inp("And tomorrow?")))
    assert len(found) == 1  # only the user's cut of the reply
    assert t.history[:3] == [("user", "Weather?"), ("model", "While I look, a story."),
                             ("model", "Sunny.")]
    assert t.barge_in_text == "And tomorrow?"  # a reply the app asked for: no late request
    # INTERRUPT while the model is quiet: nothing to cut; the user's cut of the reply is a
    # barge-in.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Weather?")), (0.1, [ToolCall(("f",))]), (0.2, out("Sure.")),
               (0.3, TURN_COMPLETE))
    t.tool_answered(["INTERRUPT"])
    assert len(feed_times(t, (1.0, out("Sunny")), (1.3, INTERRUPTED))) == 1
    # SILENT: no reply at all; the user's next turn is the user's (its late words are its
    # request's, not an early barge-in's).
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Weather?")), (0.1, [ToolCall(("f",))]), (0.2, out("Sure.")),
               (0.3, TURN_COMPLETE))
    t.tool_answered(["SILENT"])
    feed_times(t, (5.0, out("Once")), (5.3, INTERRUPTED), (5.9, inp("Tell me a story.")))
    assert t.history[-2:] == [("user", "Tell me a story."), ("model", "Once")]
    assert t.barge_in_text == ""


def test_final_words_replace_the_interim_ones_a_request_was_committed_with() -> None:
    # Interim words (low latency) can be all there is of the request when the answer starts;
    # its final transcription comes later and replaces them, in the history as in the text.
    cases = [
        [(1.5, inp("Tell me a story.")), (2.0, out(" upon")), (2.1, TURN_COMPLETE)],  # no cut
        [(1.3, INTERRUPTED), (1.8, inp("Tell me a story."))],  # a final after an early flag
        [(1.3, INTERRUPTED), (1.5, inp("Tell")), (1.6, inp(" me a story."))],  # in pieces
    ]
    for case in cases:
        t = Tracker(max_history=10)
        feed_times(t, (0.0, [UserInterim("Tell me a")]), (0.2, [UserInterim("Tell me a story.")]),
                   (0.9, out("Once")), *case)
        assert t.history[0] == ("user", "Tell me a story."), case
        assert t.user_text == "" and t.barge_in_text in ("", "Tell me a story."), case
    # The request's final words never came: the barge-in's, which its own interim words
    # announced, do not take their place.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, [UserInterim("Tell me a story.")]), (0.9, out("Once")), (1.2, INTERRUPTED),
               (1.5, [UserInterim("Stop")]), (1.9, inp("Stop!")))
    assert t.history == [("user", "Tell me a story."), ("model", "Once")]
    assert t.barge_in_text == "Stop!"
    # The answer to a barge-in committed with interim words: its final ones do not repeat them.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Tell me a story.")), (0.9, out("Once")), (1.3, INTERRUPTED),
               (1.6, [UserInterim("What about")]), (2.0, [UserInterim("What about dragons?")]),
               (2.9, out("Dragons!")), (3.2, TURN_COMPLETE), (3.5, inp("What about dragons?")))
    assert t.history == [("user", "Tell me a story."), ("model", "Once"),
                         ("user", "What about dragons?"), ("model", "Dragons!")]
    assert t.barge_in_text == "What about dragons?"


def test_a_barge_ins_words_after_its_short_answer_go_before_that_answer() -> None:
    # The answer to a barge-in can be over before the barge-in is transcribed (a short answer
    # sent faster than it plays): words within 1.5 s of the answer's start are its request's.
    t = Tracker(max_history=10)
    feed_times(t, (0.0, inp("Tell me a story.")), (1.0, out("Once")), (2.0, INTERRUPTED),
               (2.1, TURN_COMPLETE), (3.0, out("Dragons,")), (3.1, out(" then.")),
               (3.2, TURN_COMPLETE), (4.0, inp("What about dragons?")))
    assert t.history == [("user", "Tell me a story."), ("model", "Once"),
                         ("user", "What about dragons?"), ("model", "Dragons, then.")]
    assert t.user_text == "" and t.barge_in_text == "What about dragons?"
    # Later than that, words are the user's next utterance.
    feed_times(t, (6.0, inp("Thanks.")))
    assert t.history[-1] == ("model", "Dragons, then.") and t.user_text == "Thanks."


def test_user_text_that_arrives_with_the_flag_counts() -> None:
    t = Tracker(max_history=4)
    flag = [UserWords("Stop"), FLAG]
    (b,) = feed(t, out("Once"), flag)
    assert b.user_text == "Stop"


def test_history_records_user_utterances_and_model_turns() -> None:
    t = Tracker(max_history=10)
    feed(t, inp("Hi"), audio(), out("Hello"), out(" there."), TURN_COMPLETE,
         inp("Story"), inp(" please"), out("Once"), out(" upon"), INTERRUPTED, TURN_COMPLETE,
         inp("Stop."), out("Okay."), TURN_COMPLETE)
    assert t.history == [
        ("user", "Hi"), ("model", "Hello there."),
        ("user", "Story please"), ("model", "Once upon"),
        ("user", "Stop."), ("model", "Okay."),
    ]


def test_history_keeps_the_last_max_history_entries_and_zero_keeps_none() -> None:
    seq = (inp("a"), out("A"), TURN_COMPLETE, inp("b"), out("B"), TURN_COMPLETE)
    two = Tracker(max_history=2)
    feed(two, *seq)
    assert two.history == [("user", "b"), ("model", "B")]
    none = Tracker(max_history=0)
    (b,) = feed(none, *seq, inp("c"), out("C"), INTERRUPTED)
    assert none.history == []
    assert b.history == ()


def test_builder_history_is_before_the_interrupted_exchange() -> None:
    t = Tracker(max_history=10)
    (b,) = feed(t, inp("Q1"), out("A1"), TURN_COMPLETE, inp("Q2"), out("Half an"),
                INTERRUPTED)
    feed_at(t, inp("hey"), 10.0)
    # Neither what was heard nor the barge-in is repeated in the history passed along.
    assert b.history == (("user", "Q1"), ("model", "A1"), ("user", "Q2"))
    assert b.heard == "Half an" and t.barge_in_text == "hey"


def test_repeated_flags_without_new_output_are_one_episode() -> None:
    t = Tracker(max_history=4)
    found = feed(t, out("One"), INTERRUPTED, INTERRUPTED, out(" late"), INTERRUPTED, TURN_COMPLETE,
                 INTERRUPTED)
    assert [b.episode for b in found] == [1]


def test_a_new_turn_after_an_episode_can_be_interrupted_again() -> None:
    t = Tracker(max_history=4)
    found = feed(t, out("One"), INTERRUPTED, TURN_COMPLETE, inp("x"), out("Two"), INTERRUPTED)
    assert [(b.episode, b.heard) for b in found] == [(1, "One"), (2, "Two")]


def test_phantom_after_turn_complete_and_before_any_output() -> None:
    t = Tracker(max_history=4)
    (first,) = feed(t, INTERRUPTED)
    assert first.phantom and first.heard == "" and first.user_text == ""
    (second,) = feed(t, out("Done."), TURN_COMPLETE, INTERRUPTED)
    assert second.phantom
    assert t.history == [("model", "Done.")]  # a phantom leaves the history alone


def test_a_flag_that_cut_nothing_is_a_phantom_even_with_user_speech() -> None:
    # Decided at the flag: the turn was over and nothing played, so the model heard it all.
    t = Tracker(max_history=4)
    (b,) = feed(t, out("Done."), TURN_COMPLETE, inp("Hey"), INTERRUPTED)
    assert b.phantom and b.heard == ""


def test_late_chunks_after_the_flag_are_not_heard() -> None:
    t = Tracker(max_history=4)
    feed(t, out("Kept"), INTERRUPTED, out(" late"), audio(), TURN_COMPLETE)
    assert t.history == [("model", "Kept")]


def test_output_in_the_same_message_as_the_flag_is_dropped() -> None:
    t = Tracker(max_history=4)
    cut = [FLAG, ModelTranscript(" dropped")]
    (b,) = feed(t, out("Kept"), audio(96000), cut)  # 2 s of audio, all played by t=2
    assert b.heard == "Kept"
    assert b.received_seconds == 2.0


def test_output_after_user_speech_following_a_flag_starts_a_new_turn() -> None:
    # If the old turn's turnComplete never comes, the answer to the barge-in is still tracked.
    t = Tracker(max_history=10)
    feed(t, out("Old"), INTERRUPTED, inp("New question"), out("New answer"), TURN_COMPLETE)
    assert t.history == [("model", "Old"), ("user", "New question"), ("model", "New answer")]


def test_text_modality_turns_use_text_parts() -> None:
    t = Tracker(max_history=4)
    # (thoughts never become events: test_events.py)
    (b,) = feed(t, text("Para"), text("graph"), INTERRUPTED)
    assert b.heard == "Paragraph"


def test_own_realtime_text_note_is_not_taken_for_user_speech() -> None:
    t = Tracker(max_history=10)
    feed(t, out("Story"), INTERRUPTED, TURN_COMPLETE)
    t.note_sent("[Note] You were  cut off.")
    feed(t, inp("[Note]"), inp(" You were cut"), inp(" off."), inp("And the user"), out("Sure"))
    assert t.history == [("model", "Story"), ("user", "And the user")]


def test_echo_mismatch_gives_the_held_chunks_back_to_the_user() -> None:
    t = Tracker(max_history=10)
    t.note_sent("Note text")
    feed(t, inp("Note"), inp(" book please"), out("Ok"))
    assert t.history == [("user", "Note book please")]


def test_messages_without_events_are_ignored() -> None:
    t = Tracker(max_history=4)
    assert t.receive([], 0.0) is None


# --- properties over random message sequences ------------------------------------------------

_messages = st.one_of(
    st.text(max_size=6).map(out),
    st.text(max_size=6).map(inp),
    st.integers(0, 9600).map(lambda n: audio(n - n % 2)),
    st.text(max_size=6).map(text),
    st.just(INTERRUPTED),
    st.just(TURN_COMPLETE),
    st.just([FLAG, DONE]),
    st.just([]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_messages, max_size=40), st.integers(0, 6))
def test_invariants_over_random_sequences(
    messages: list[Message], cap: int
) -> None:
    t = Tracker(max_history=cap)
    episodes: list[int] = []
    output_since = True
    for i, m in enumerate(messages):
        found = feed_at(t, m, float(i))  # never raises
        assert len(found) <= 1
        if found:
            assert output_since, "a second note for the same episode"
            output_since = False
            episodes.append(found[0].episode)
            b = found[0]
            assert b.generated.startswith(b.heard)
            assert len(b.history) <= cap
        if FLAG not in m and any(isinstance(e, (ModelTranscript, ModelText, ModelAudio))
                                 for e in m):
            output_since = True
        assert len(t.history) <= cap
    assert episodes == list(range(1, len(episodes) + 1))


def test_a_barge_in_with_new_user_text_changes_only_that() -> None:
    import dataclasses

    from gemini_live_interrupt._tracker import BargeIn

    b = BargeIn(3, "heard", "user", "generated", (("user", "x"),), 1.5, 2.5, False, 9.0)
    assert b.with_user_text("more") == dataclasses.replace(b, user_text="more")
