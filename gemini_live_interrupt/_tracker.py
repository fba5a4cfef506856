"""Follows a Live session's turns and decides what an interruption means (part of the core).

Give it each server message's events with the time (``receive``); it returns the barge-in they
start, if any. No SDK types, sockets or event loop here: every behaviour is a plain call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ._events import (
    Event,
    Interrupted,
    ModelAudio,
    ModelText,
    ModelTranscript,
    ToolCall,
    TurnComplete,
    UserInterim,
    UserWords,
)
from ._prompt import tidy
from ._timeline import Timeline
from ._tools import ToolReplies

__all__ = ["BargeIn", "Tracker"]

# Texts whose echo we may still get back as input transcription (realtime text may be
# transcribed by the service like speech); a handful is plenty.
_MAX_PENDING_NOTES = 4
# Seconds (session clock) after which the service's transcription of a text the app sent is no
# longer expected: later, the same words are the user's speech.
_TYPED_ECHO_SECONDS = 5.0
# A request ends 0.6 s of silence plus ~0.3 s before its answer starts, and its last words are
# transcribed up to 2 s after they were said: words this soon after an answer began are still
# its request's, even when that answer is already over (a short answer, sent faster than it
# plays).
_REQUEST_WORDS_LATEST = 1.5
# The service flags a barge-in 50-100 ms into its speech and transcribes speech 0.5-2 s behind
# it (pipecat-ai/pipecat#3381): final words this soon after a flag were spoken before it, and
# end the cut turn's request (interim words, sent with low latency, may be the barge-in's).
_BARGE_WORDS_EARLIEST = 0.4
# A request transcribed up to one of these is whole: words after it that are not within
# _BARGE_WORDS_EARLIEST of a flag are the barge-in's.
_REQUEST_ENDS = frozenset(".?!\u3002\uff1f\uff01")  # and the CJK full stop, ? and !


@dataclass(slots=True)
class BargeIn:
    """An interruption the tracker found: what was heard, what the user said, the context.

    ``phantom`` is true when nothing was heard and the user said nothing: nothing to recover.
    Texts are verbatim joins of the transcript chunks; tidy them when writing a prompt. Treat
    it as immutable (it is not frozen: a frozen dataclass costs several times more to build,
    and one or two are built at every barge-in, on the way to the note).
    """

    episode: int
    heard: str
    user_text: str
    generated: str
    history: tuple[tuple[str, str], ...]
    played_seconds: float
    received_seconds: float
    phantom: bool
    at: float

    def with_user_text(self, user_text: str) -> BargeIn:
        """This barge-in with ``user_text`` (``dataclasses.replace`` costs several times more)."""
        return BargeIn(self.episode, self.heard, user_text, self.generated, self.history,
                       self.played_seconds, self.received_seconds, self.phantom, self.at)


@dataclass(slots=True)
class _Turn:
    """One model turn as received; ``start``: the session's reported playback when its audio
    begins to play (a player plays the turns' audio in the order it came)."""

    timeline: Timeline = field(default_factory=Timeline)
    text_parts: list[str] = field(default_factory=list)
    start: float = 0.0
    interrupted: bool = False
    complete: bool = False
    opened_at: float = 0.0  # the session clock when its first output came
    entry: bool = False  # its model entry is the history's last
    request: bool = False  # its request has a user entry (committed when it opened)
    awaited: bool = False  # its request may still be transcribed (no full stop yet)
    interim: bool = False  # its request's words are interim ones: the final ones replace them
    prior: _Turn | None = None  # the app asked for it after this turn, whose request is coming

    def generated(self) -> str:
        # Audio turns are described by their output transcription, text turns by their text.
        return self.timeline.text() or "".join(self.text_parts)

    def heard(self, played: float) -> str:
        if not self.timeline.has_audio:
            return self.generated()  # a text turn: everything received was seen
        # After turnComplete all of the turn's audio is in: its last word ends that audio.
        return self.timeline.heard(played, complete=self.complete)


# A text that is one tagged element and nothing else: markup for the model, not speech.
_WRAPPED = re.compile(r"\s*<([A-Za-z][\w-]*)>.*</\1>\s*", re.DOTALL)


# A chunk that ends on one of these, followed by one that starts with an ASCII letter or
# digit, ends a sentence: 3.x transcribes each utterance whole, with no leading space, so two
# in a row would run together ("story.What"). Scripts written without spaces use other marks.
_SENTENCE_ENDS = frozenset(".?!,;:")


def _glue(before: str, text: str) -> str:
    """``text`` as it follows ``before``: with a space where two sentences would touch."""
    if before and before[-1] in _SENTENCE_ENDS and text[:1].isascii() and text[:1].isalnum():
        return " " + text
    return text


def _ends_sentence(text: str) -> bool:
    return text.rstrip()[-1:] in _REQUEST_ENDS


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _squash(text: str) -> str:
    return "".join(text.split())


class _Echoes:
    """Texts the service may transcribe back as if the user had said them: each transcript
    chunk is matched against them (held back until a text is whole, or released when it turns
    out to be something else). ``ttl``: seconds a text is expected, or for ever."""

    def __init__(self, ttl: float | None = None) -> None:
        # (squashed text, when it was added); test it for emptiness before calling ``take``
        # (a plain list's truth costs far less than a __bool__ method on every transcript). A
        # list, not a deque: an empty deque takes 760 bytes, a list 56, in every session.
        self.texts: list[tuple[str, float]] = []
        self._held: list[str] = []
        self._ttl = ttl

    def add(self, text: str, now: float) -> None:
        squashed = _squash(text)
        if squashed:
            self.texts.append((squashed, now))
            if len(self.texts) > _MAX_PENDING_NOTES:
                del self.texts[0]

    def starts(self, probe: str) -> bool:
        """Whether some expected text starts with ``probe`` (squashed)."""
        return any(text.startswith(probe) for text, _ in self.texts)

    def take(self, chunk: str, now: float) -> tuple[bool, list[str]]:
        """Whether ``chunk`` is (part of) an expected text; and the chunks held back before it
        that turned out not to be, which the caller takes as the user's."""
        if self._ttl is not None:
            while self.texts and now - self.texts[0][1] > self._ttl:
                del self.texts[0]
        probe = _squash("".join(self._held) + chunk)
        if probe:
            for entry in self.texts:
                if entry[0].startswith(probe):
                    self._held.append(chunk)
                    if entry[0] == probe:
                        self.texts.remove(entry)
                        self._held.clear()
                    return True, []
        held, self._held = self._held, []
        return False, held


class Tracker:
    """Follows turns, transcripts and history; turns ``interrupted`` flags into ``BargeIn`` s.

    Args:
        max_history: how many ``(role, text)`` entries to keep (0 keeps none).
        history: entries to start from, oldest first (a resumed conversation's).
    """

    def __init__(self, *, max_history: int, history: Iterable[tuple[str, str]] = ()) -> None:
        # A list kept at most max_history long (_remember), not a deque: an empty deque takes
        # 760 bytes, a list 56, in every session.
        self._max_history = max_history
        self._history: list[tuple[str, str]] = list(history)[-max_history:] if max_history else []
        self._turn: _Turn | None = None
        self.sink: Timeline | None = None
        """The current turn's timeline while the turn is open (neither complete nor cut): model
        output goes straight to it. ``None`` when output must first decide its turn."""
        self._user_chunks: list[str] = []
        self._user_spoke_since_flag = False
        self._output_since_flag = True
        self._episode = 0
        self._notes = _Echoes()  # our realtime-text notes: their echo is not user speech
        self._typed = _Echoes(_TYPED_ECHO_SECONDS)  # the app's texts: counted once, at send
        self._typed_pending = False  # the uncommitted words include text the app sent
        self._typed_last = False  # the last uncommitted chunk is text the app sent
        self._reports_seen = False
        self._played_total = 0.0  # seconds the app reported playing, all turns
        self._interim: list[str] = []
        self._user_finished = False
        # A note, or a tool's answer scheduled INTERRUPT, went out and the user has not spoken
        # since: an `interrupted` now is the app's doing, no barge-in.
        self._app_cut = False
        self._app_asked = False  # the next turn answers the app (a tool's answer, a nudge)
        self._tools = ToolReplies()
        self.turns_started = 0
        self._committed = ""  # the utterance committed when the latest turn started
        self._turns_at_flag = 0
        self.last_user_at: float | None = None
        self.last_interrupt_at: float | None = None
        self.echo = False
        """Whether the last message fed carried the transcription of our own note."""

    @property
    def history(self) -> list[tuple[str, str]]:
        """The rolling history, oldest first, whitespace tidied."""
        return list(self._history)

    @property
    def live_history(self) -> Sequence[tuple[str, str]]:
        """The rolling history itself, as it goes on changing (read it, never change it)."""
        return self._history

    @property
    def episode(self) -> int:
        """The number of the latest barge-in episode (0 before any)."""
        return self._episode

    @property
    def user_text(self) -> str:
        """What the user has said since the model began its turn (interim words until final)."""
        return "".join(self._user_chunks) or "".join(self._interim)

    @property
    def barge_in_text(self) -> str:
        """What the user said over the model in the latest episode.

        The same as ``user_text`` until the model starts answering; from then on, the
        utterance that start committed to the history (plus anything said since).
        """
        if self.turns_started > self._turns_at_flag:
            return self._committed + self.user_text
        return self.user_text

    @property
    def user_finished(self) -> bool:
        """Whether the service marked the current utterance's transcription finished."""
        return self._user_finished

    @property
    def audio_rate(self) -> int:
        """Sample rate of the current turn's audio (24 kHz until audio says otherwise)."""
        return self._turn.timeline.rate if self._turn is not None else 24000

    @property
    def position(self) -> float:
        """Seconds the app reported playing of the current turn."""
        return self._reported(self._turn) if self._turn is not None else 0.0

    def played(self, seconds: float) -> None:
        """The app played ``seconds`` more of the model's audio, the turns in the order they came
        (validated by the caller; each turn's share is worked out from its ``start``).

        Once any report has come, the session is taken to report its playback and the
        real-time estimate is no longer used.
        """
        self._reports_seen = True
        self._played_total += seconds

    def note_sent(self, text: str | None = None) -> None:
        """Record that a note went out.

        An ``interrupted`` that follows before the user speaks again was caused by the note
        (clientContent cuts the current generation on some models): it is no new barge-in.
        ``text`` is given for realtime-text notes, whose transcription is not user speech.
        """
        self._app_cut = True
        if text:
            self._notes.add(text, 0.0)

    def sent(self, text: str, now: float) -> None:
        """The app sent the model ``text`` as the user's words (realtime text, or a user turn
        that completes): they are known exactly and at once, where a transcription (if the
        service sends one) comes late or never.

        Not words: a text with no letter or digit (a nudge or placeholder: pipecat's " ",
        google-adk's and LiveKit's "."), or one wrapped whole in a tag (LiveKit puts
        instructions in a user turn as ``<instructions>...</instructions>`` on 3.x).
        """
        if not any(c.isalnum() for c in text) or _WRAPPED.fullmatch(text):
            self._app_asked = True  # the app wants a reply to what it gave, not to speech
            return
        turn = self._turn
        if turn is not None and not turn.complete and not turn.interrupted:
            # Transcribed words before it end the request of the turn being answered.
            self._late_words_to_request()
        before = self.user_text
        if before and not before[-1].isspace() and not text[0].isspace():
            text = " " + text
        self._user_chunks.append(text)
        self._typed_last = self._typed_pending = True
        self._user_finished = True
        self._typed.add(text, now)
        self._user_heard_from(now)

    def audio(self, nbytes: int, rate: int, now: float) -> None:
        """A message that is one audio chunk and nothing else (the short path)."""
        timeline = self.sink or self._opened(now)
        if timeline is not None:
            timeline.add_audio(nbytes, rate, now)

    def transcript(self, text: str, timings: tuple[tuple[float, float], ...] | None,
                   now: float) -> None:
        """A message that is one transcript chunk of the model's speech and nothing else."""
        timeline = self.sink or self._opened(now)
        if timeline is None:
            return
        timeline.add_transcript(text, timings)
        turn = self._turn
        if len(timeline.words) > 512 and turn is not None:  # a long turn: keep only its recent
            timeline.compact(self._played(turn, now))  # words as objects (sink is turn's)

    def receive(self, events: Sequence[Event], now: float) -> BargeIn | None:
        """Take one server message's events; return the barge-in they start, if any."""
        self.echo = False
        cut = False
        for event in events:
            if type(event) is Interrupted:
                cut = True
                break
        if cut and self._output_since_flag and not self._app_cut:
            self._late_words_to_request()
        found: BargeIn | None = None
        for event in events:
            if isinstance(event, ModelAudio):
                if not cut:
                    # Output in the same message as `interrupted` was cut: neither played nor heard.
                    self.audio(event.nbytes, event.rate, now)
            elif isinstance(event, ModelTranscript):
                if not cut:
                    self.transcript(event.text, event.timings, now)
            elif isinstance(event, ModelText):
                if not cut:
                    turn = self._output_turn(now)
                    if turn is not None:
                        turn.text_parts.append(event.text)
            elif isinstance(event, UserWords):
                self._on_input(event, now)
            elif isinstance(event, UserInterim):
                self._on_interim(event.text, now)
            elif isinstance(event, Interrupted):
                found = self._on_interrupted(now) or found
            elif isinstance(event, TurnComplete):
                self._on_turn_complete()
            elif isinstance(event, ToolCall):
                self._tools.called(self._output_so_far())
        return found

    def tool_answered(self, scheduling: Sequence[str] = ()) -> None:
        """The app sent a tool's answer: the model's reply to it answers the app, not speech
        (``scheduling``: see ``ToolReplies.answered``)."""
        asks, cuts = self._tools.answered(scheduling, self._output_so_far())
        self._app_asked = self._app_asked or asks
        self._app_cut = self._app_cut or cuts

    def _output_so_far(self) -> tuple[object, ...] | None:
        """The open turn and how much of its output has come (``None``: no open turn)."""
        turn = self._turn
        if turn is None or turn.complete or turn.interrupted:
            return None
        return turn, turn.timeline.received, len(turn.timeline.words), len(turn.text_parts)

    def _on_input(self, words: UserWords, now: float) -> None:
        if words.finished and (self._user_chunks or words.text):
            self._user_finished = True
        text = words.text
        if not text:
            return
        if self._notes.texts:
            ours, held = self._notes.take(text, now)
            for chunk in held:
                self._add_user(chunk)
            if ours:
                self.echo = True
                return
        if self._typed.texts:
            sent, held = self._typed.take(text, now)
            for chunk in held:
                self._add_user(chunk)
            if sent:
                return  # the app's own text, counted when it was sent
        turn = self._turn
        if turn is not None and not self._user_chunks and not self._typed_pending:
            prior = turn.prior
            if prior is not None and prior.awaited and not turn.interrupted \
                    and not turn.request and (not turn.complete
                                              or now - prior.opened_at < _REQUEST_WORDS_LATEST):
                # The request the turn before answered, up to its full stop: a turn the app
                # asked for has none of its own.
                self._to_request(prior, text, models=2 if turn.entry else 1)
                return
            if turn.complete and not turn.interrupted:
                if now - turn.opened_at < _REQUEST_WORDS_LATEST:
                    self._to_request(turn, text)  # the utterance this answer answered
                    return
            elif turn.interrupted and self._requests_after_flag(turn, text, now):
                self._to_request(turn, text)  # spoken before the flag: not the barge-in's
                return
        self._interim.clear()  # the final words replace the interim ones
        self._add_user(text)
        self._user_heard_from(now)

    def _requests_after_flag(self, turn: _Turn, text: str, now: float) -> bool:
        """Whether final words that come after the flag that cut ``turn`` (and before any
        other turn) are its request's."""
        flag = self.last_interrupt_at
        if flag is None or self.turns_started != self._turns_at_flag:
            return False
        if now - flag < _BARGE_WORDS_EARLIEST:
            return True
        # A user who cuts in at once can be flagged before the request is transcribed at all;
        # then its words come as late as they would have had the turn gone on, up to its
        # first full stop (but not words the barge-in's own interim ones already gave).
        return (turn.awaited and now - turn.opened_at < _REQUEST_WORDS_LATEST
                and not self._interim_starts(text))

    def _interim_starts(self, text: str) -> bool:
        """Whether the interim words since the flag and ``text`` begin alike (one starts with
        the other, letters and digits only: a final transcription adds marks and case)."""
        if not self._interim:
            return False
        final, interim = _letters(text), _letters("".join(self._interim))
        return bool(final) and bool(interim) and (
            final.startswith(interim) or interim.startswith(final))

    def _add_user(self, chunk: str) -> None:
        chunks = self._user_chunks
        if self._typed_last and chunk and not chunk[0].isspace():
            chunk = " " + chunk  # a typed message is a sentence of its own
        elif chunks:
            chunk = _glue(chunks[-1], chunk)
        self._typed_last = False
        chunks.append(chunk)

    def _on_interim(self, text: str, now: float) -> None:
        # Interim words of our own realtime-text note are skipped without consuming the
        # echo check, which the final transcription of the same note still has to pass.
        so_far = "".join(self._interim)
        # Its shape is not documented: a message that repeats everything so far is the whole
        # hypothesis (it replaces), anything else is a new piece (it adds).
        whole = bool(so_far) and text.startswith(so_far)
        probe = _squash(text if whole else so_far + text)
        if probe and self._notes.texts and self._notes.starts(probe):
            self.echo = True
            return
        if probe and self._typed.texts and self._typed.starts(probe):
            return
        if whole:
            self._interim[:] = [text]
        else:
            self._interim.append(text)
        self._user_heard_from(now)

    def _user_heard_from(self, now: float) -> None:
        self._user_spoke_since_flag = True
        self._app_cut = False
        self.last_user_at = now

    def _opened(self, now: float) -> Timeline | None:
        # No open turn: the timeline of the turn this output opens, or None (a late chunk).
        turn = self._output_turn(now)
        return turn.timeline if turn is not None else None

    def _output_turn(self, now: float) -> _Turn | None:
        """The turn model output goes to (``None``: a late chunk of a cut turn, ignored)."""
        turn = self._turn
        if turn is not None and turn.interrupted and not turn.complete:
            if not self._user_spoke_since_flag:
                # Late chunks of the cut turn (the service can send them after `interrupted`).
                return None
            self._end(turn)
        if turn is None or turn.complete:
            turn = self._start_turn(now)
        return turn

    def _start_turn(self, now: float) -> _Turn:
        # The utterance this turn answers may still be transcribed: no words of it yet, only
        # interim ones, or no full stop. Not so when the app asked for it (text, a nudge, a
        # tool's answer).
        interim = not self._user_chunks and bool(self._interim)
        asked = self._app_asked
        awaited = (not self._typed_pending and not asked
                   and (interim or not _ends_sentence(self.user_text)))
        self._app_asked = False
        self._tools.turn_started()
        before = self._turn
        prior = None
        if before is not None:
            before.prior = None  # only the latest turn's is used: hold no chain of old turns
        if asked and before is not None and before.awaited and before.entry \
                and before.complete and not before.interrupted:
            # A tool's answer after words that led up to the call (2.5 completes that turn at
            # the call): the request they answered is still being transcribed, and words that
            # come now are its late ones, not a request of this turn's.
            prior = before
            if not self._typed_pending:
                self._late_words_to(before)
        # The user's utterance is committed when the model starts answering it.
        committed = self._commit_user()
        self.turns_started += 1
        if not self._tools.cut_held:
            self._app_cut = False  # from here on, a cut is the user's again
        turn = self._turn = _Turn(start=self._played_total, opened_at=now, request=committed,
                                  awaited=awaited, interim=interim, prior=prior)
        if before is not None and not before.interrupted and before.timeline.has_audio:
            # The turn before may still be playing (the service sends audio faster than real
            # time, and a tool call's answer can follow at once): a player plays this turn's
            # audio after it. After a cut the app emptied its queue: this one plays at once.
            queued = before.start + before.timeline.received
            if queued > turn.start:
                turn.start = queued
            turn.timeline.play_after(before.timeline)
        self.sink = turn.timeline
        self._output_since_flag = True
        self._user_spoke_since_flag = False
        return turn

    def _end(self, turn: _Turn, *, cut: bool = False) -> None:
        # Every change to a turn's flags goes through here, so `sink` always agrees with them.
        if cut:
            turn.interrupted = True
        else:
            turn.complete = True
        if turn is self._turn:
            self.sink = None

    def _commit_user(self) -> bool:
        """Commit the user's utterance to the history; whether it made an entry."""
        self._committed = self.user_text
        text = tidy(self.user_text)
        self._user_chunks.clear()
        self._interim.clear()
        self._user_finished = False
        self._typed_pending = self._typed_last = False
        if text and self._max_history:
            self._remember(("user", text))
            return True
        return False

    def _to_request(self, turn: _Turn, late: str, *, interim: bool = False,
                    models: int = 1) -> None:
        """``late`` ends the request ``turn`` answers: it goes into that request's user entry,
        before the turn's model entry and those after it (``models`` in all, the history's
        last). Final words replace interim ones there; ``interim``: ``late`` is interim words
        itself."""
        turn.awaited = interim or not _ends_sentence(late)
        replace = turn.interim
        turn.interim = interim and (replace or not turn.request)
        if turn is self._turn:
            self._committed = late if replace else self._committed + late
        history = self._history
        if not self._max_history:
            return
        lifted: list[tuple[str, str]] = []
        if turn.entry:
            while len(lifted) < models and history and history[-1][0] == "model":
                lifted.append(history.pop())
        if turn.request and history and history[-1][0] == "user":
            before = history[-1][1]
            history[-1] = ("user", tidy(late if replace else before + _glue(before, late)))
        else:
            self._remember(("user", tidy(late)))
            turn.request = True
        for entry in reversed(lifted):
            self._remember(entry)

    def _remember(self, entry: tuple[str, str]) -> None:
        # Appended in place: the resumption store holds this very list (live_history).
        history = self._history
        history.append(entry)
        if len(history) > self._max_history:
            del history[0]

    def _late_words_to_request(self) -> None:
        # Words that came after the model began its turn but before a barge-in's flag end the
        # request that turn answers: the service flags a barge-in 50-100 ms into the speech and
        # transcribes it 0.5-2 s behind (pipecat-ai/pipecat#3381), so a barge-in's own words
        # only come after its flag. Text the app sent is never late: it is a message of its
        # own, sent while the model spoke (a barge-in's words, or the next request).
        if (not self._user_chunks and not self._interim) or self._typed_pending:
            return  # nearly always: nothing said since the turn began
        turn = self._turn
        if turn is None or turn.complete:
            return  # after a complete turn they may be a new utterance: leave them be
        self._late_words_to(turn)

    def _late_words_to(self, turn: _Turn) -> None:
        """The words said so far end ``turn``'s request."""
        late = self.user_text
        if not tidy(late):
            return
        interim = not self._user_chunks
        self._user_chunks.clear()
        self._interim.clear()
        self._user_finished = False
        self._to_request(turn, late, interim=interim)

    def _reported(self, turn: _Turn) -> float:
        played = self._played_total - turn.start
        return played if played > 0.0 else 0.0

    def _played(self, turn: _Turn, now: float) -> float:
        played = (self._reported(turn) if self._reports_seen
                  else turn.timeline.estimated_played(now))
        return min(played, turn.timeline.received)

    def _cut(self, turn: _Turn, now: float) -> tuple[float, str]:
        # The turn was cut: only what was heard of it goes into the history.
        self._end(turn, cut=True)
        played = self._played(turn, now)
        heard = turn.heard(played)
        said = tidy(heard)
        if said:
            self._remember(("model", said))
            turn.entry = True
        return played, heard

    def _on_interrupted(self, now: float) -> BargeIn | None:
        if not self._output_since_flag:
            return None  # a repeated flag: same episode
        self._output_since_flag = False
        self._user_spoke_since_flag = False
        self.last_interrupt_at = now
        self._turns_at_flag = self.turns_started
        if self._app_cut:
            # Our own note or the app's tool answer cut the generation (no user speech since
            # it left): keep what was heard of the cut turn, but this is no barge-in and
            # wants no note of its own.
            self._app_cut = False
            self._tools.cut_seen()
            if self._turn is not None and not self._turn.complete:
                self._cut(self._turn, now)
            return None
        self._episode += 1
        turn = self._turn
        target: _Turn | None = None
        if turn is not None and not turn.interrupted:
            if not turn.complete:
                target = turn
            elif turn.timeline.has_audio and (
                self._played(turn, now) < turn.timeline.received - 1e-3
            ):
                # turnComplete can come while the turn's audio still plays: a real barge-in on it.
                target = turn
        heard = generated = ""
        played = received = 0.0
        history = tuple(self._history)
        if target is not None:
            if target.complete and history and history[-1][0] == "model":
                history = history[:-1]  # its full transcript went in at turnComplete
                self._history.pop()
                target.entry = False
            played, heard = self._cut(target, now)
            received = target.timeline.received
            generated = target.generated()
        # phantom: the flag cut nothing (the user had heard the whole turn), nothing to
        # recover. Decided at the flag: what the user says comes later.
        return BargeIn(self._episode, heard, self.user_text, generated, history, played,
                       received, target is None, now)

    def _on_turn_complete(self) -> None:
        if self._tools.generation_ended(self._output_so_far()):
            self._app_asked = True
        turn = self._turn
        if turn is None or turn.complete:
            return
        if not turn.interrupted:
            # Words that came while the model answered with no barge-in end the request it
            # answers, as at a flag: on the field timing a request (a barge-in's words too) is
            # often transcribed only once its answer has begun. In the history they go before
            # that answer, not glued to the user's next utterance.
            self._late_words_to_request()
        self._end(turn)
        if not turn.interrupted:
            text = tidy(turn.generated())
            if text:
                self._remember(("model", text))
                turn.entry = True

