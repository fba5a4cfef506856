"""What the app reports its speaker has played of the current model turn."""

from __future__ import annotations

import math
from typing import Protocol

__all__ = ["Playback"]


class _Reported(Protocol):
    """What takes the reports: the session's core (or, in tests, its tracker)."""

    @property
    def audio_rate(self) -> int: ...

    @property
    def position(self) -> float: ...

    def played(self, seconds: float) -> None: ...


class Playback:
    """Playback reports for ``session.playback``; each call adds to the current turn's position.

    Report what has come out of the speaker, e.g. after writing each chunk to the device::

        session.playback.played(nbytes=len(chunk))     # PCM16 mono at the turn's rate
        session.playback.played(seconds=0.04)

    A new model turn starts again from zero, once the audio before it has played (a player
    plays the turns in order; after ``interrupted`` it emptied its queue). Without any report
    in the session, playback is estimated as real time from the turn's first audio chunk,
    after anything still playing.
    """

    __slots__ = ("_connected", "_core")

    def __init__(self, core: _Reported, *, connected: bool = True) -> None:
        self._core = core
        self._connected = connected  # a session's Playback is made before it connects

    def played(self, *, nbytes: int | None = None, seconds: float | None = None) -> None:
        """Add ``nbytes`` of PCM16 mono audio, or ``seconds``, to what has been played.

        Raises:
            TypeError: both or neither given, or a value that is not a number.
            ValueError: a negative, infinite or NaN value, or an odd ``nbytes`` (PCM16 has
                two bytes a sample).
            RuntimeError: the session is not connected yet (report inside ``async with``).
        """
        if (nbytes is None) == (seconds is None):
            raise TypeError("played() takes exactly one of nbytes= or seconds=")
        if nbytes is not None:
            if isinstance(nbytes, bool) or not isinstance(nbytes, int):
                raise TypeError(f"nbytes must be an int, got {type(nbytes).__name__}: {nbytes!r}")
            if nbytes < 0:
                raise ValueError(f"nbytes must be >= 0, got {nbytes}")
            if nbytes % 2:
                raise ValueError(f"nbytes must be even (PCM16 audio has two bytes a sample), "
                                 f"got {nbytes}")
            self._check_connected()
            self._core.played(nbytes / (2 * self._core.audio_rate))
            return
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number, got {type(seconds).__name__}: {seconds!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be finite and >= 0, got {seconds}")
        self._check_connected()
        self._core.played(float(seconds))

    def __repr__(self) -> str:
        return f"<Playback position={self._core.position:.3f} s>"

    def _check_connected(self) -> None:
        if not self._connected:
            raise RuntimeError("playback reported before the session is connected: report "
                               "inside `async with`, as the model's audio plays")

    @property
    def position(self) -> float:
        """Seconds reported played of the current model turn."""
        return self._core.position
