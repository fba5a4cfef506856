"""The sans-I/O core: the one object the session talks to.

It is fed each server message's events, the app's playback reports and the clock, and answers
with actions: send a note for this barge-in, here is a finished record, nudge the model, hide
this message's echo. No asyncio, sockets or SDK types here.

Words, one per idea:

- a *barge-in* is the user cutting in on the model; its number is ``episode``, and the record
  the session keeps of it is an ``Interruption``;
- the *note* is what the session sends the model about a barge-in; its text is the *prompt*
  (the public name, from ``prompt_builder``);
- *played* is seconds of a turn's audio that came out of the speaker (the app's reports, or
  the real-time estimate without them); *heard* is the transcript of that audio.

A barge-in's note goes through these states: ``WAITING`` (for the user's first words, at most
``first_words_wait``), ``WRITING`` (the session builds its text), ``SENDING`` (on the wire),
then it is finished: a record with ``injected=True``, or with the ``reason`` it was not sent.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ._events import Event, Resumable, ToolCall, ToolCallCancelled
from ._policy import TURN_STARTING, Channel, InjectionPolicy
from ._prompt import tidy
from ._records import Interruption, Reason, Stall
from ._tracker import BargeIn, Tracker

__all__ = ["Action", "Core", "Finished", "HideEcho", "Nudge", "Reason", "Remember", "Send",
           "Stalled"]


@dataclass(slots=True)
class Send:
    """Write and send the note for this barge-in now (its ``user_text`` is as complete as it
    will be before the model answers). Treat it as immutable (not frozen: it is built on the
    way from the flag to the note, and a frozen dataclass costs more to build)."""

    barge_in: BargeIn
    channel: Channel


@dataclass(frozen=True, slots=True)
class Finished:
    """A barge-in is settled: keep this record and tell the app."""

    record: Interruption


@dataclass(frozen=True, slots=True)
class Nudge:
    """The model has said nothing since the user finished: prod it once."""

    episode: int


@dataclass(frozen=True, slots=True)
class Stalled:
    """Still nothing from the model after the nudge."""

    stall: Stall


@dataclass(frozen=True, slots=True)
class HideEcho:
    """The message fed last carries the service's transcription of our own realtime-text
    note: it is not user speech, and the app should not see it as such."""


@dataclass(frozen=True, slots=True)
class Remember:
    """A connection with ``handle`` can resume the conversation: file ``history`` (the
    session's own, as it goes on) under it, for the session that resumes from it."""

    handle: str
    history: Sequence[tuple[str, str]]


Action = Send | Finished | Nudge | Stalled | HideEcho | Remember

_HIDE_ECHO = HideEcho()
_NO_ACTIONS: tuple[Action, ...] = ()  # what the short paths answer nearly always (no list)


class State(enum.Enum):
    """Where a barge-in's note is."""

    WAITING = "waiting for the user's first words"
    WRITING = "being written"
    SENDING = "being sent"


@dataclass(slots=True)
class _Note:
    barge_in: BargeIn
    since: float
    turns_at: int  # the tracker's turn count at the barge-in: a higher count is its answer
    state: State
    prompt: str | None = None


@dataclass(slots=True)
class _Watch:
    episode: int
    turns_at: int
    nudged: bool = False


_NONE: Mapping[str, str] = {}  # no function declares a behavior (never written)


class Core:
    """Tracks the conversation and decides, per barge-in, when its note goes and how it ends.

    Args:
        channel: how notes go (decides whether a note would start a reply of its own).
        policy: the timing rules (``first_words_wait``, ``stall_nudge``, ``stall_report``).
        max_history: how many ``(role, text)`` history entries to keep.
        history: entries to start from, oldest first (those of the conversation a resumed
            connection continues).
        behaviors: each declared function's ``behavior`` (``"BLOCKING"`` or
            ``"NON_BLOCKING"``), from the connect config.
        non_blocking_by_default: whether a function declared without one is NON_BLOCKING
            (the model's default: Gemini 3.8 and later).
    """

    def __init__(self, channel: Channel, policy: InjectionPolicy, *, max_history: int,
                 history: Iterable[tuple[str, str]] = (),
                 behaviors: Mapping[str, str] | None = None,
                 non_blocking_by_default: bool = False) -> None:
        self.channel = channel
        self.policy = policy
        self._tracker = Tracker(max_history=max_history, history=history)
        self._starts_reply = channel in TURN_STARTING
        self._notes: dict[int, _Note] = {}  # unfinished notes by episode
        self._waiting: _Note | None = None  # the latest barge-in's note, until it is due
        self._tools: set[str] = set()
        # Kept as given, not copied: the session's is shared when the config declares none.
        self._behaviors: Mapping[str, str] = behaviors if behaviors is not None else _NONE
        self._non_blocking_default = non_blocking_by_default
        self._watch: _Watch | None = None
        self.audio: Callable[[int, int, float], Sequence[Action] | None] = self._audio
        """Take a message that is one audio chunk of ``nbytes`` at ``rate`` Hz and nothing else:
        ``audio(nbytes, rate, now)``, the same as ``receive([ModelAudio(nbytes, rate)], now)``;
        returns what to do (``None`` or empty: nothing).

        Nine messages in ten are such a chunk, and a Python call costs as much as the
        bookkeeping: while a turn is open and nothing is pending this is the open turn's own
        ``Timeline.add_audio``, else the core's. Every method that can change either says which
        (``_route``)."""

    # --- what the session reads ---------------------------------------------------------------

    @property
    def history(self) -> list[tuple[str, str]]:
        """The rolling ``(role, text)`` history, oldest first."""
        return self._tracker.history

    @property
    def episode(self) -> int:
        """The latest barge-in's number (0 before any)."""
        return self._tracker.episode

    @property
    def audio_rate(self) -> int:
        """Sample rate of the current turn's audio (24 kHz until audio says otherwise)."""
        return self._tracker.audio_rate

    @property
    def position(self) -> float:
        """Seconds reported played of the current turn."""
        return self._tracker.position

    def state(self, episode: int) -> State | None:
        """Where ``episode``'s note is; ``None`` once it is finished (or never was)."""
        note = self._notes.get(episode)
        return note.state if note is not None else None

    # --- inputs -------------------------------------------------------------------------------

    def receive(self, events: Sequence[Event], now: float) -> list[Action]:
        """Take one server message's events (in ``events_of`` order: tool calls last); return
        what to do now."""
        tracker = self._tracker
        actions: list[Action] = []
        barge_in = tracker.receive(events, now)
        if barge_in is not None:
            actions += self._on_barge_in(barge_in, now)
        if tracker.echo:
            actions.append(_HIDE_ECHO)
        if events and isinstance(events[-1], (ToolCall, ToolCallCancelled, Resumable)):
            for event in events:  # they come last
                if isinstance(event, ToolCall):
                    self._tools.update(event.ids)
                elif isinstance(event, ToolCallCancelled):
                    self._tools.difference_update(event.ids)
                elif isinstance(event, Resumable):
                    actions.append(Remember(event.handle, tracker.live_history))
        actions += self._poll_if_pending(now)
        self._route()
        return actions

    # The short paths: a message that is one piece of model output and nothing else (nearly
    # every message). Each Python call on the way costs as much as the bookkeeping itself, so
    # they go straight to the open turn's timeline and test "nothing pending" inline.

    def _audio(self, nbytes: int, rate: int, now: float) -> Sequence[Action]:
        # `audio` when no turn is open (this chunk may open one) or something is pending.
        self._tracker.audio(nbytes, rate, now)
        actions = self._poll_if_pending(now)
        self._route()
        return actions

    def transcript(self, text: str, now: float) -> Sequence[Action]:
        """A message that is one output transcript chunk (no word timestamps) and nothing else:
        the same as ``receive([ModelTranscript(text)], now)``."""
        tracker = self._tracker
        if tracker.sink is not None and self._waiting is None and self._watch is None:
            tracker.transcript(text, None, now)  # an open turn, nothing pending: stays so
            return _NO_ACTIONS
        tracker.transcript(text, None, now)
        actions = self._poll_if_pending(now)
        self._route()
        return actions

    def _route(self) -> None:
        # Where `audio` goes: see its docstring.
        sink = self._tracker.sink
        self.audio = (sink.add_audio if sink is not None and self._waiting is None
                      and self._watch is None else self._audio)

    def _poll_if_pending(self, now: float) -> Sequence[Action]:
        # Nothing waits and nothing is watched on almost every message: answer that at once.
        if self._waiting is None and self._watch is None:
            return _NO_ACTIONS
        return self.poll(now)

    def played(self, seconds: float) -> None:
        """The app played ``seconds`` more of the model's audio (validated by the caller); the
        turns share it in the order they came.

        Once any report has come, the session is taken to report its playback and the
        real-time estimate is no longer used.
        """
        self._tracker.played(seconds)

    def user_sent(self, text: str, now: float) -> Sequence[Action]:
        """The app sent ``text`` to the model as the user's words (realtime text, or a user
        turn that completes): they count as said now, and the service's transcription of them,
        if it sends one, is not counted again."""
        self._tracker.sent(text, now)
        actions = self._poll_if_pending(now)
        self._route()
        return actions

    def tool_responded(self, answers: Iterable[tuple[str, str, str]], now: float) -> list[Action]:
        """The app answered tool calls: each ``(call id, function name, scheduling)``, the
        scheduling as the answer gave it, upper case, ``""`` when it gave none. A note waiting
        for them may be due.

        Scheduling places the model's reply for a NON_BLOCKING function only (its default
        there is ``WHEN_IDLE``); a blocking call's answer is always awaited.
        """
        ids: list[str] = []
        scheduling: list[str] = []
        for call_id, name, when in answers:
            ids.append(call_id)
            behavior = self._behaviors.get(name)
            non_blocking = (behavior == "NON_BLOCKING" if behavior
                            else self._non_blocking_default)
            scheduling.append((when or "WHEN_IDLE") if non_blocking else "")
        self._tools.difference_update(ids)
        self._tracker.tool_answered(scheduling)
        return self.poll(now)

    def begin_note(self, episode: int, prompt: str) -> Reason | None:
        """The session is about to send ``episode``'s note: ``None`` if it may go (from now on
        it counts as out), else why it must not (report that with ``note_failed``)."""
        note = self._notes.get(episode)
        if note is None:
            return "session closed"  # already finished: only close() finishes a WRITING note
        note.prompt = prompt
        reason = self._stale(note)
        if reason is not None:
            return reason
        note.state = State.SENDING
        # Its transcription (realtime text is transcribed like speech) is not the user's; and
        # an `interrupted` before the user speaks again was caused by the note, not the user.
        self._tracker.note_sent(prompt if self.channel == "realtime_text" else None)
        return None

    def draft(self, episode: int, prompt: str) -> Interruption | None:
        """``episode``'s record as it will be if ``prompt`` is sent (for ``should_inject``);
        ``None`` once it is finished."""
        note = self._notes.get(episode)
        if note is None:
            return None
        note.prompt = prompt
        return self._record(note, injected=False, reason=None, error=None)

    def note_sent(self, episode: int, now: float) -> list[Action]:
        """``episode``'s note is on the wire."""
        note = self._notes.get(episode)
        if note is None:
            return []
        self._watch_after(note)
        self._route()
        return [self._finish(note, injected=True)]

    def note_failed(
        self, episode: int, reason: Reason, now: float, *, prompt: str | None = None,
        error: str | None = None,
    ) -> list[Action]:
        """``episode``'s note was not sent, for ``reason`` (``error``: what the send raised)."""
        note = self._notes.get(episode)
        if note is None:
            return []
        if prompt is not None:
            note.prompt = prompt
        self._watch_after(note)
        self._route()
        return [self._finish(note, reason=reason, error=error)]

    def close(self) -> list[Action]:
        """The session is closing: every unfinished barge-in ends as ``"session closed"``."""
        actions: list[Action] = [self._finish(n, reason="session closed")
                                 for n in list(self._notes.values())]
        self._waiting = None
        self._watch = None
        self._route()
        return actions

    # --- the clock ----------------------------------------------------------------------------

    @property
    def deadline(self) -> float | None:
        """When ``poll`` next has something to decide (session clock), or ``None``."""
        note = self._waiting
        if note is None and self._watch is None:
            return None  # the usual case, asked after every message: answered at once
        times: list[float] = []
        if note is not None and not self._tools:  # a tool response re-arms the clock
            times.append(note.since + self.policy.first_words_wait)
        w = self._watch
        if w is not None and self.policy.stall_nudge is not None:
            times.append(self._quiet_from() + (self.policy.stall_report if w.nudged
                                               else self.policy.stall_nudge))
        return min(times) if times else None

    def poll(self, now: float) -> list[Action]:
        """Decide what is due at ``now``."""
        actions: list[Action] = []
        note = self._waiting
        # Due once the user's first words are in, the wait is over, or the model has begun
        # its answer (words that come later can no longer shape it).
        if note is not None and not self._tools and (
            self._tracker.user_text.strip() or now >= note.since + self.policy.first_words_wait
            or self._answered(note)
        ):
            self._waiting = None
            # A note that starts no reply still goes once the answer began (it costs nothing,
            # and the rest of the conversation has it); one that starts a reply would cost one.
            if self._starts_reply and self._answered(note):
                self._watch_after(note)
                actions.append(self._finish(note, reason="the model had already started "
                                                         "answering"))
            else:
                note.state = State.WRITING
                text = self._tracker.barge_in_text
                if text != note.barge_in.user_text:  # at the flag itself, the words it had
                    note.barge_in = note.barge_in.with_user_text(text)
                actions.append(Send(note.barge_in, self.channel))
        if self._watch is not None:
            actions += self._check_stall(now)
        self._route()
        return actions

    # --- internals ----------------------------------------------------------------------------

    def _on_barge_in(self, barge_in: BargeIn, now: float) -> list[Action]:
        actions: list[Action] = []
        old = self._waiting
        if old is not None:
            self._waiting = None
            actions.append(self._finish(old, reason="superseded by a newer barge-in"))
        self._watch = None
        note = _Note(barge_in, now, self._tracker.turns_started, State.WAITING)
        self._notes[barge_in.episode] = note
        if barge_in.phantom:
            # The flag cut nothing (the user had heard the whole turn): nothing to recover.
            actions.append(self._finish(note, reason="phantom"))
        else:
            self._waiting = note
        return actions

    def _answered(self, note: _Note) -> bool:
        return self._tracker.turns_started > note.turns_at

    def _stale(self, note: _Note) -> Reason | None:
        if note.barge_in.episode != self._tracker.episode:
            return "superseded by a newer barge-in"
        if self._starts_reply and self._answered(note):
            return "the model had already started answering"
        return None

    def _finish(self, note: _Note, *, injected: bool = False, reason: Reason | None = None,
                error: str | None = None) -> Finished:
        self._notes.pop(note.barge_in.episode, None)
        return Finished(self._record(note, injected=injected, reason=reason, error=error))

    def _record(self, note: _Note, *, injected: bool, reason: Reason | None,
                error: str | None) -> Interruption:
        b = note.barge_in
        return Interruption(
            episode=b.episode,
            heard=tidy(b.heard),
            user_text=tidy(b.user_text),
            generated=tidy(b.generated),
            history=b.history,
            played_seconds=b.played_seconds,
            received_seconds=b.received_seconds,
            injected=injected,
            prompt=note.prompt,
            channel=self.channel if note.prompt is not None else None,
            reason=reason,
            error=error,
            at=b.at,
        )

    def _watch_after(self, note: _Note) -> None:
        # Only the latest barge-in is watched for a stall (a newer one replaced the watch);
        # any model turn since the barge-in answers it.
        if self.policy.stall_nudge is not None and note.barge_in.episode == self._tracker.episode:
            self._watch = _Watch(note.barge_in.episode, note.turns_at)

    def _quiet_from(self) -> float:
        last = self._tracker.last_user_at
        return max(last if last is not None else 0.0, self._tracker.last_interrupt_at or 0.0)

    def _check_stall(self, now: float) -> list[Action]:
        w = self._watch
        nudge = self.policy.stall_nudge
        if w is None or nudge is None:
            return []
        if self._tracker.turns_started > w.turns_at:
            self._watch = None  # the model spoke
            return []
        quiet_from = self._quiet_from()
        # Compared in the same form as `deadline` computes them, so float rounding cannot
        # leave a deadline that is due but never acted on.
        if not w.nudged and now >= quiet_from + nudge:
            w.nudged = True
            return [Nudge(w.episode)]
        if w.nudged and now >= quiet_from + self.policy.stall_report:
            self._watch = None
            return [Stalled(Stall(w.episode, now - quiet_from, now))]
        return []
