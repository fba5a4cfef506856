"""What the playback recipes of docs/frameworks.md share, and the speaker that checks them.

The recipe, in every framework: ``enable_interrupt_resume(on_session=...)`` hands each session
the shim opens to the app's ``Call`` (found through a context variable the app set before
starting the framework), and the app's audio output reports what it plays to
``call.session.playback``. The speaker is ``SimulatedSpeaker``: it plays at real-time pace on
the tests' clock and knows what came out of it, which with the server's word timeline is the
ground truth for ``heard``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextvars
from collections.abc import Callable

import pytest

from gemini_live_interrupt import InterruptAwareSession, Interruption, enable_interrupt_resume
from gemini_live_interrupt.testing import ModelTurn, SimulatedSpeaker
from gemini_live_interrupt.testing._truth import word_error

from ._scaled import scaled

#: How many times faster than real time the recipes' tests run their sessions and speakers.
#: Slower than the other framework tests: the ground truth is what the speaker played when
#: the framework stopped it, and the framework's own reaction time (milliseconds, more on a
#: busy machine) counts SPEED times over in audio.
SPEED = 4.0


class Call:
    """One conversation of the app: the session the shim opened for it, once connected."""

    def __init__(self) -> None:
        self.session: InterruptAwareSession | None = None
        self.sessions: list[InterruptAwareSession] = []  # every one (reconnections too)
        self.log: list[tuple[float, float]] = []  # (session clock, seconds) of each report

    def played(self, *, nbytes: int | None = None, seconds: float | None = None) -> None:
        """What the app's audio output calls as it plays: report to the current session."""
        session = self.session
        if session is not None:
            before = session.playback.position
            session.playback.played(nbytes=nbytes, seconds=seconds)
            self.log.append((session.clock(), session.playback.position - before))

    @property
    def reports(self) -> int:
        return len(self.log)

    def reported(self, since: float, until: float) -> float:
        """Seconds reported between two readings of the session's clock."""
        return sum(seconds for t, seconds in self.log if since <= t < until)


#: The call the code running now belongs to: set by the app before it starts the framework.
CALL: contextvars.ContextVar[Call] = contextvars.ContextVar("call")


def on_session(session: InterruptAwareSession) -> None:
    """``enable_interrupt_resume(on_session=...)``: runs in the framework's connecting task,
    which inherited the context the app started the framework in."""
    call = CALL.get(None)
    if call is not None:
        call.session = session  # a reconnection's session replaces the old one
        call.sessions.append(session)


def enable(speed: float = SPEED) -> None:
    """The shim with the recipe's hook, its sessions on the speakers' clock (``speed``)."""
    enable_interrupt_resume(session_class=scaled(speed), on_session=on_session)


class Speaker(SimulatedSpeaker):
    """The device: plays at ``speed`` x real time; remembers, each time ``clear()`` cuts a
    turn, how much of it had come out (``stopped``) and when each block had.

    ``start_delay``: seconds (audio clock) the device takes to start playing each turn (a
    device waking up, a jitter buffer filling): it holds the turn's audio until then, plays
    and reports nothing meanwhile.
    """

    def __init__(self, *args: object, start_delay: float = 0.0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stopped: list[float] = []  # seconds of the turn played when cut
        self._cuts: list[tuple[list[float], list[float], float | None]] = []
        self.turns = 0  # new_turn() calls
        self.start_delay = start_delay
        self._held: bytearray | None = None
        self._started = False
        self.first_write_at: float | None = None  # the turn's first audio (speaker clock)

    def write(self, pcm: bytes) -> None:
        if self.first_write_at is None:
            self.first_write_at = self._now()
        if self.start_delay and not self._started:
            if self._held is None:
                self._held = bytearray()
                asyncio.get_running_loop().call_later(self.start_delay / self._speed,
                                                      self._start, self.turns)
            self._held += pcm
            return
        super().write(pcm)

    def _start(self, turn: int) -> None:
        if turn != self.turns or self._held is None:
            return  # a new turn or a clear came first
        held, self._held, self._started = self._held, None, True
        super().write(bytes(held))

    def new_turn(self) -> None:
        super().new_turn()
        self.turns += 1
        self._held, self._started, self.first_write_at = None, False, None

    def clear(self) -> float:
        self._held = None
        played = super().clear()
        self.stopped.append(played)
        self._cuts.append((list(self._writes_t), list(self._writes_s), self.first_write_at))
        return played

    def played_at(self, t: float, cut: int = 0) -> float:
        """Seconds of the ``cut``-th cut turn that had come out at ``t`` (the speaker's clock,
        which is the scaled sessions' clock: ``time.monotonic() * speed``)."""
        times, seconds, _ = self._cuts[cut]
        i = bisect.bisect_right(times, t - self._latency)
        return seconds[i - 1] if i else 0.0

    def first_audio_at(self, cut: int = 0) -> float:
        """When the ``cut``-th cut turn's first audio reached the speaker (speaker clock)."""
        at = self._cuts[cut][2]
        assert at is not None
        return at


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Poll a condition nothing signals (a speaker's position, the shim's records)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def check_heard(record: Interruption, turn: ModelTurn, speaker: Speaker, call: Call,
                since: float, label: str) -> int:
    """The record's ``heard`` against the ground truth, the words of ``turn`` the speaker had
    played when the framework stopped it: at most 1 word apart.

    Printed (``pytest -s``) with what the speaker had played when ``interrupted`` reached the
    session (``record.at``): the tests run ``speed`` x real time, so the framework's own delay
    between the two counts ``speed`` times over.

    ``since`` (the session's clock before the turn's audio began): the record's
    ``played_seconds`` must be exactly what the app reported of the turn by the interrupt,
    which shows ``heard`` came from the reports and not from the real-time estimate.
    """
    stopped = speaker.stopped[0]
    truth = turn.heard_at(stopped)
    error = word_error(record.heard, truth)
    at_flag = speaker.played_at(record.at)
    print(f"\n{label}: word error {error} (vs. what had played at the interrupt: "
          f"{word_error(record.heard, turn.heard_at(at_flag))}); reported "
          f"{record.played_seconds:.2f} s by the interrupt, played {at_flag:.2f} s then and "
          f"{stopped:.2f} s when stopped, {record.received_seconds:.2f} s received\n"
          f"  heard={record.heard!r}\n  truth={truth!r}")
    assert record.played_seconds == pytest.approx(call.reported(since, record.at), abs=1e-9)
    assert error <= 1, (record.heard, truth)
    return error
