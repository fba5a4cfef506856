"""The scripted model's voice: transcript chunks, their audio timing, and a PCM tone."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "MIN_WORD_SECONDS",
    "OUTPUT_RATE",
    "SECONDS_PER_CHAR",
    "SpokenChunk",
    "ToneGenerator",
    "duration_string",
    "speak",
    "split_transcript",
]

OUTPUT_RATE = 24000
"""Sample rate of model audio (``audio/pcm;rate=24000``), as the Live API sends it."""

SECONDS_PER_CHAR = 0.065
"""Speech rate: audio seconds per (non-space) character of a transcript chunk."""

MIN_WORD_SECONDS = 0.12
"""The shortest audio a transcript chunk gets."""

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
)
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
# Word-sized chunks keep their leading whitespace (" there,"), as the service sends them;
# Chinese and Japanese come one or two characters at a time, without spaces.
_CHUNK = re.compile(
    rf"\s*(?:[{_CJK}]{{1,2}}[{_CJK_PUNCT}]*|[{_CJK_PUNCT}]+|[^\s{_CJK}{_CJK_PUNCT}]+)"
)


@dataclass(frozen=True)
class SpokenChunk:
    """One output transcription chunk and where its audio sits in the turn's timeline."""

    text: str
    start: float
    end: float


def split_transcript(text: str) -> list[str]:
    """Split a reply into the transcript chunks the service would send.

    >>> split_transcript("Hello there, friend.")
    ['Hello', ' there,', ' friend.']
    """
    return [m.group(0) for m in _CHUNK.finditer(text) if m.group(0).strip()]


def speak(text: str) -> list[SpokenChunk]:
    """Lay the transcript chunks of ``text`` end to end on an audio timeline (seconds)."""
    out: list[SpokenChunk] = []
    t = 0.0
    for chunk in split_transcript(text):
        d = max(MIN_WORD_SECONDS, SECONDS_PER_CHAR * len(chunk.strip()))
        out.append(SpokenChunk(chunk, round(t, 6), round(t + d, 6)))
        t += d
    return out


def duration_string(seconds: float) -> str:
    """Protobuf JSON duration: ``1.25`` -> ``"1.250s"``."""
    return f"{seconds:.3f}s"


class ToneGenerator:
    """Continuous, clearly non-silent PCM16 mono audio (a 200 Hz tone at 24 kHz).

    200 Hz divides 24 kHz exactly, so one period is precomputed and tiled; phase carries over
    between calls so consecutive chunks join without clicks.
    """

    _FREQ = 200
    _AMPLITUDE = 8000

    def __init__(self, rate: int = OUTPUT_RATE) -> None:
        period = rate // self._FREQ
        samples = (
            round(self._AMPLITUDE * math.sin(2 * math.pi * i / period)) for i in range(period)
        )
        self._period = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
        self._pos = 0  # byte offset into the period

    def take(self, n_samples: int) -> bytes:
        """The next ``n_samples`` samples as little-endian PCM16 bytes."""
        need = 2 * max(0, n_samples)
        p = self._period
        reps = (self._pos + need) // len(p) + 1
        out = (p * (reps + 1))[self._pos : self._pos + need]
        self._pos = (self._pos + need) % len(p)
        return out
