"""A simple energy voice-activity detector for the user's realtime audio."""

from __future__ import annotations

import array
import math
import sys

__all__ = ["SPEECH_RMS", "EnergyVAD", "rms"]

SPEECH_RMS = 500.0
"""RMS (PCM16 units) above which a chunk counts as speech."""


def rms(pcm: bytes) -> float:
    """Root mean square of little-endian PCM16 samples (0 for no samples)."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":  # pragma: no cover
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class EnergyVAD:
    """Speech starts with a loud chunk and ends after ``silence_seconds`` of quiet audio.

    Time is counted in audio seconds, not wall-clock time, so a test that streams audio
    faster than real time gets the same utterance boundaries.
    """

    def __init__(self, silence_seconds: float, threshold: float = SPEECH_RMS) -> None:
        self.silence_seconds = silence_seconds
        self.threshold = threshold
        self.speaking = False
        self.loud = False
        """Whether the last chunk fed was above the threshold."""
        self._quiet = 0.0

    def feed(self, pcm: bytes, rate: int) -> str | None:
        """Feed one chunk; returns ``"start"``, ``"end"`` or ``None``."""
        seconds = len(pcm) / 2 / rate
        self.loud = rms(pcm) >= self.threshold
        if self.loud:
            self._quiet = 0.0
            if not self.speaking:
                self.speaking = True
                return "start"
            return None
        if self.speaking:
            self._quiet += seconds
            if self._quiet >= self.silence_seconds - 1e-9:
                self.speaking = False
                self._quiet = 0.0
                return "end"
        return None

    def reset(self) -> None:
        """Forget the current utterance (manual activity signals took over)."""
        self.speaking = False
        self._quiet = 0.0
