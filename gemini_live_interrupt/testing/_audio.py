"""Microphone audio for tests: what a user saying something (or nothing) sounds like to the VAD."""

from __future__ import annotations

import math

__all__ = ["INPUT_RATE", "user_audio"]

INPUT_RATE = 16000
"""Sample rate the Live API takes user audio at (``audio/pcm;rate=16000``)."""

_PERIOD_CACHE: dict[tuple[int, int], bytes] = {}


def user_audio(seconds: float, *, speech: bool = True, rate: int = INPUT_RATE) -> bytes:
    """PCM16 little-endian mono audio: a 200 Hz tone loud enough for the server's VAD to take
    as speech, or (``speech=False``) digital silence.

    >>> len(user_audio(0.1))
    3200
    """
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    if not isinstance(rate, int) or rate <= 0:
        raise ValueError(f"rate must be a positive int, got {rate!r}")
    n = round(seconds * rate)
    if not speech:
        return bytes(2 * n)
    key = (rate, 200)
    period = _PERIOD_CACHE.get(key)
    if period is None:
        samples = rate // 200
        period = b"".join(
            round(5000 * math.sin(2 * math.pi * i / samples)).to_bytes(2, "little", signed=True)
            for i in range(samples))
        _PERIOD_CACHE[key] = period
    reps = n * 2 // len(period) + 1
    return (period * reps)[: 2 * n]
