"""A simulated speaker: plays model audio in real time and reports it, like an app's player."""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from types import TracebackType
from typing import Self

from google.genai import types

from .._playback import Playback

__all__ = ["SimulatedSpeaker"]


class SimulatedSpeaker:
    """Plays PCM16 mono audio at real time (times ``speed``) and reports what it wrote.

    Like a real app, it reports each block to ``playback`` when it writes it to the device;
    the sound comes out ``latency`` seconds later, so ``played`` (the truth: what came out of the
    speaker in the current turn) trails the reports by the device latency. ``jitter`` makes
    each block's write come early or late by up to that many seconds, as a busy audio thread does.

    Use ``write(pcm)`` for each audio chunk received, ``clear()`` on ``interrupted`` (stops and
    drops the queue) and ``new_turn()`` when a new model turn begins: its audio plays after
    what is still queued, as a player's does.

    Args:
        playback: ``session.playback`` to report to, or ``None`` to report nothing.
        rate: sample rate of the audio (the Live API sends 24 kHz).
        speed: how many times faster than real time to play (match the offline server's).
        jitter: scheduling jitter per block, seconds of audio time.
        latency: device latency, seconds of audio time.
        block: seconds of audio written per block.
        seed: seed for the jitter.
    """

    def __init__(
        self,
        playback: Playback | None = None,
        *,
        rate: int = 24000,
        speed: float = 1.0,
        jitter: float = 0.0,
        latency: float = 0.0,
        block: float = 0.02,
        seed: int | None = None,
    ) -> None:
        for name, value in (("speed", speed), ("block", block)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        for name, value in (("jitter", jitter), ("latency", latency)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        self._playback = playback
        self._rate = rate
        self._speed = speed
        self._jitter = jitter
        self._latency = latency
        self._block_bytes = max(2, round(block * rate) * 2)
        self._random = random.Random(seed)
        self._queue = bytearray()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writes_t: list[float] = []  # audio clock time each written block has come out
        self._writes_s: list[float] = []  # seconds written in all, by then
        self._written = 0.0  # seconds written in all
        self._turn_at = 0.0  # the current turn's start, on that count
        self._stopped_at: float | None = None
        self._in_turn = False  # play() has had audio since the last turnComplete
        self._dropping = False  # play() drops the audio of a cut turn until its turnComplete

    async def __aenter__(self) -> Self:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _now(self) -> float:
        return time.monotonic() * self._speed  # the audio clock

    def write(self, pcm: bytes) -> None:
        """Queue audio to play."""
        self._queue += pcm
        self._stopped_at = None
        self._wake.set()

    @property
    def queued(self) -> float:
        """Seconds of audio waiting to be played."""
        return len(self._queue) / (2 * self._rate)

    @property
    def written(self) -> float:
        """Seconds of this turn's audio written to the device (what was reported)."""
        return max(0.0, self._written - self._turn_at)

    @property
    def played(self) -> float:
        """Seconds of this turn's audio that have come out of the speaker."""
        now = self._stopped_at if self._stopped_at is not None else self._now()
        i = bisect.bisect_right(self._writes_t, now - self._latency)
        return max(0.0, (self._writes_s[i - 1] if i else 0.0) - self._turn_at)

    async def wait_until_played(self, seconds: float) -> None:
        """Return once ``played`` (this turn) reaches ``seconds``."""
        # `played` advances with the clock (device latency), not on an event: poll finely.
        while self.played < seconds:  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    def play(self, message: types.LiveServerMessage) -> float | None:
        """Do what an app's player does with a server message.

        Queues its model audio; on ``interrupted`` stops and drops the queue instead (audio
        in the same message was cut and is not played) and returns ``played``. Audio of the
        cut turn that still comes after ``interrupted``, before its ``turnComplete``, is not
        played either (reported: livekit-plugins-google ``realtime_api.py``); a flag that
        comes after ``turnComplete`` has nothing more of its turn to come.
        """
        content = message.server_content
        if content is None:
            return None
        if content.interrupted:
            self._dropping = self._in_turn
            return self.clear()
        if content.model_turn is not None and not self._dropping:
            for part in content.model_turn.parts or ():
                if part.inline_data is not None and part.inline_data.data:
                    self._in_turn = True
                    self.write(part.inline_data.data)
        if content.turn_complete:
            self._in_turn = self._dropping = False
        return None

    def clear(self) -> float:
        """Stop at once and drop the queue (on ``interrupted``); return ``played``."""
        self._queue.clear()
        self._stopped_at = self._now()
        return self.played

    def new_turn(self) -> None:
        """Start counting a new model turn from zero: the audio written from now on, which
        plays after what is still queued of the turn before."""
        self._turn_at = self._written + self.queued
        # Every block written so far ends before the new turn's start: none counts for it.
        self._writes_t.clear()
        self._writes_s.clear()

    async def _run(self) -> None:
        seconds_per_block = self._block_bytes / (2 * self._rate)
        next_at = self._now()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                next_at = max(next_at, self._now())
            delay = next_at - self._now()
            if self._jitter:
                delay += self._random.uniform(-self._jitter, self._jitter)
            if delay > 0:
                await asyncio.sleep(delay / self._speed)
            chunk = bytes(self._queue[: self._block_bytes])
            del self._queue[: self._block_bytes]
            if not chunk:
                continue
            seconds = len(chunk) / (2 * self._rate)
            self._written += seconds
            # The block starts sounding `latency` after it is written and is heard in full a
            # block later; record when its end comes out.
            self._writes_t.append(max(next_at, self._now()) + seconds)
            self._writes_s.append(self._written)
            if self._playback is not None:
                self._playback.played(nbytes=len(chunk))
            next_at += seconds_per_block
