"""Sans-I/O: decides when a resume note leaves, holds output back, and watches for stalls.

Sits on the tracker: the session feeds it every server message and calls ``poll`` at
``deadline``; it answers with actions. No asyncio here either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from google.genai import types

from ._policy import TURN_STARTING, Channel, InjectionPolicy, Timing
from ._tracker import BargeIn, Tracker

__all__ = ["Drop", "HideEcho", "Nudge", "Release", "Scheduler", "Send", "Stalled"]


@dataclass(frozen=True, slots=True)
class Send:
    """Send a note for this barge-in now (``user_text`` is as complete as it will get)."""

    barge_in: BargeIn
    channel: Channel


@dataclass(frozen=True, slots=True)
class Drop:
    """No note for this barge-in, and why."""

    barge_in: BargeIn
    reason: str


@dataclass(frozen=True, slots=True)
class Release:
    """Give the app the model output held back so far."""


@dataclass(frozen=True, slots=True)
class Nudge:
    """The model has said nothing since the user finished: prod it once."""

    episode: int


@dataclass(frozen=True, slots=True)
class Stalled:
    """Still nothing from the model ``seconds`` after the user finished."""

    episode: int
    seconds: float


@dataclass(frozen=True, slots=True)
class HideEcho:
    """This message carries the service's transcription of our own realtime-text note: it is
    not user speech, and the app should not see it as such."""


Action = Send | Drop | Release | Nudge | Stalled | HideEcho


@dataclass(slots=True)
class _Pending:
    barge_in: BargeIn
    since: float
    turns_at: int  # the tracker's turn count when the barge-in came


@dataclass(slots=True)
class _Watch:
    episode: int
    turns_at: int
    nudged: bool = False


class Scheduler:
    """Turns the tracker's barge-ins into timed ``Send``/``Drop`` actions under a policy."""

    def __init__(
        self, tracker: Tracker, policy: InjectionPolicy, timing: Timing, channel: Channel
    ) -> None:
        self.tracker = tracker
        self.policy = policy
        self.timing = timing
        self.channel = channel
        self._note_starts_reply = channel in TURN_STARTING
        self._pending: _Pending | None = None
        self._holding_since: float | None = None
        self._tools: set[str] = set()
        self._watch: _Watch | None = None
        self._inflight: tuple[int, int] = (0, 0)  # (episode, turns started) of the last Send
        self._sending = False  # a Send is out and not settled yet

    # --- inputs -----------------------------------------------------------------------------

    def feed(self, message: types.LiveServerMessage, now: float) -> list[Action]:
        """Take one server message; return what to do now."""
        actions: list[Action] = []
        for barge_in in self.tracker.feed(message, now):
            actions += self._on_barge_in(barge_in, now)
        if self.tracker.echo:
            actions.append(HideEcho())
        call = message.tool_call
        if call is not None:
            self._tools.update(fc.id or "" for fc in call.function_calls or ())
            if self._holding_since is not None:
                actions.append(self._release())  # a tool-call turn is never held back
        cancelled = message.tool_call_cancellation
        if cancelled is not None:
            self._tools.difference_update(cancelled.ids or ())
        if ((self._pending is not None or self._sending) and self.policy.hold_output
                and call is None
                and self._holding_since is None and self._model_answering()):
            self._holding_since = now
        actions += self.poll(now)
        return actions

    def tool_responded(self, ids: Iterable[str]) -> None:
        """The app answered these tool calls."""
        self._tools.difference_update(ids)

    def settled(self, episode: int, now: float) -> list[Action]:
        """The note for ``episode`` was sent, or could not be: release held output, watch."""
        actions: list[Action] = []
        if episode == self._inflight[0]:
            self._sending = False
        if self._holding_since is not None and self._pending is None:
            actions.append(self._release())
        if self.policy.stall_nudge is not None:
            self._watch = _Watch(episode, self.tracker.turns_started)
        return actions

    def close(self) -> list[Action]:
        """The session is closing: drop the note still waiting, release held output."""
        actions: list[Action] = []
        p, self._pending = self._pending, None
        if p is not None:
            actions.append(Drop(p.barge_in, "session closed"))
        if self._holding_since is not None:
            actions.append(self._release())
        self._watch = None
        self._sending = False
        return actions

    # --- the clock ----------------------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """Whether model output is being held back now."""
        return self._holding_since is not None

    @property
    def deadline(self) -> float | None:
        """When ``poll`` next has something to decide (session clock), or ``None``."""
        times: list[float] = []
        p = self._pending
        if p is not None and not self._tools:  # a tool response re-arms the clock
            if self.timing == "on_interrupt":
                times.append(p.since + self.policy.first_words_wait)
            else:
                times.append(p.since + self.policy.max_wait)
                last = self.tracker.last_user_at
                if last is not None and last > p.since - 1e-9:  # words of this barge-in
                    times.append(last + self.policy.quiet_gap)
        if self._holding_since is not None:
            times.append(self._holding_since + self.policy.hold_timeout)
        w = self._watch
        if w is not None and self.policy.stall_nudge is not None:
            quiet_from = self._quiet_from()
            times.append(quiet_from + (self.policy.stall_report if w.nudged
                                       else self.policy.stall_nudge))
        return min(times) if times else None

    def poll(self, now: float) -> list[Action]:
        """Decide what is due at ``now``."""
        actions: list[Action] = []
        p = self._pending
        if p is not None and self._due(p, now) and not self._tools:
            # A note that starts no reply still goes once the answer began (it costs nothing
            # and the rest of the conversation has it); one that starts a reply would cost one.
            answering = self._note_starts_reply and self._model_answering()
            self._pending = None
            if answering and self._holding_since is None:
                actions.append(Drop(p.barge_in, "the model had already started answering"))
                if self.policy.stall_nudge is not None:
                    self._watch = _Watch(p.barge_in.episode, self.tracker.turns_started)
            else:
                snapshot = replace(p.barge_in, user_text=self.tracker.barge_in_text)
                self._inflight = (p.barge_in.episode, p.turns_at)
                self._sending = True
                actions.append(Send(snapshot, self.channel))
        held = self._holding_since
        if held is not None and now >= held + self.policy.hold_timeout:
            self._sending = False  # a note stuck in flight holds output once, not again
            actions.append(self._release())
        actions += self._check_stall(now)
        return actions

    def is_current(self, episode: int) -> bool:
        """Send-if-current: no newer barge-in; for a channel that starts a reply, also no newer
        model answer (unless held). A note that starts no reply is still worth sending after
        the answer began: it costs nothing, and the rest of the conversation has it."""
        inflight, turns_at = self._inflight
        if not episode == inflight == self.tracker.episode:
            return False
        return (not self._note_starts_reply or self.tracker.turns_started == turns_at
                or self._holding_since is not None)

    # --- internals ---------------------------------------------------------------------------

    def _on_barge_in(self, barge_in: BargeIn, now: float) -> list[Action]:
        actions: list[Action] = []
        old = self._pending
        if old is not None:
            actions.append(Drop(old.barge_in, "superseded by a newer barge-in"))
            self._pending = None
        if self._holding_since is not None:
            actions.append(self._release())
        self._sending = False  # a note still in flight is for an older barge-in
        self._watch = None
        if barge_in.phantom:
            actions.append(Drop(barge_in, "phantom"))
        else:
            self._pending = _Pending(barge_in, now, self.tracker.turns_started)
        return actions

    def _due(self, p: _Pending, now: float) -> bool:
        tracker = self.tracker
        if self.timing == "on_interrupt":
            return bool(tracker.user_text.strip()) or now >= p.since + self.policy.first_words_wait
        if tracker.user_finished or self._model_answering():
            return True
        last = tracker.last_user_at
        if last is not None and last > p.since - 1e-9 and now >= last + self.policy.quiet_gap:
            return True
        return now >= p.since + self.policy.max_wait

    def _model_answering(self) -> bool:
        p = self._pending
        if p is not None:
            return self.tracker.turns_started > p.turns_at
        # A note in flight (being written or sent): answering if a turn began since its barge-in.
        return self._sending and self.tracker.turns_started > self._inflight[1]

    def _release(self) -> Release:
        self._holding_since = None
        return Release()

    def _quiet_from(self) -> float:
        last = self.tracker.last_user_at
        return max(last if last is not None else 0.0, self.tracker.last_interrupt_at or 0.0)

    def _check_stall(self, now: float) -> list[Action]:
        w = self._watch
        nudge = self.policy.stall_nudge
        if w is None or nudge is None:
            return []
        if self.tracker.turns_started > w.turns_at:
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
            return [Stalled(w.episode, now - quiet_from)]
        return []
