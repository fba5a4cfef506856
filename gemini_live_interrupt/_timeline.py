"""One model turn on the audio clock: which words were spoken at which second of its audio.

Sans-I/O: times are passed in. Transcripts are aligned by audio position, not arrival order:
word timestamps when the service sends them; otherwise each transcript chunk is anchored to the
audio that had arrived with it and its words are paced by speech rate inside it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SYLLABLES_PER_SECOND", "Timeline", "parse_offset", "split_words"]

#: Average speaking rate used to pace words without timings (LiveKit's figure).
SYLLABLES_PER_SECOND = 3.83
#: Words that ended this many seconds before the played position are folded into text, in
#: batches of at least COMPACT_MIN_WORDS.
COMPACT_MARGIN = 30.0
COMPACT_MIN_WORDS = 64

# A word keeps the whitespace before it, so joining words gives back the text verbatim.
# Characters of scripts written without spaces count as words of their own.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"\s*(?:[{_CJK}]|[^\s{_CJK}]+)|\s+$")
_VOWELS = re.compile(r"[aeiouyáéíóúàèìòùäëïöüâêîôûåæøœ]+", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d*)?)s\s*$")


def split_words(text: str) -> list[str]:
    """Split ``text`` into words that join back to it exactly."""
    return _WORD.findall(text)


_ONE_CJK = re.compile(rf"[{_CJK}]")
_ALNUM = re.compile(r"[^\W_]")
_DIGITS = re.compile(r"\d")


@functools.lru_cache(maxsize=4096)
def _syllables(word: str) -> int:
    # Cached: speech repeats its words, and this runs for every transcript word.
    word = word.strip()
    if not word:
        return 0
    if _ONE_CJK.fullmatch(word):
        return 1
    if not _ALNUM.search(word):
        return 0  # punctuation takes no time of its own
    digits = len(_DIGITS.findall(word))
    if digits:
        return digits
    return max(1, len(_VOWELS.findall(word)))


def parse_offset(value: object) -> float | None:
    """Seconds from a protobuf duration string (``"1.250s"``) or a number; else ``None``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1))
    return None


@dataclass(slots=True)
class _Word:
    text: str
    start: float
    end: float


class Timeline:
    """Audio received and transcript words of one turn, both on the turn's audio clock."""

    __slots__ = (
        "_done", "_first_anchor", "_group_from", "_last_anchor", "_playout_end", "_started_at",
        "received", "words",
    )

    def __init__(self) -> None:
        self.received = 0.0  # seconds of audio received
        self.words: list[_Word] = []
        self._first_anchor: float | None = None
        self._last_anchor = 0.0
        self._group_from = 0  # first word of the chunks that came since audio last arrived
        self._done: list[str] = []  # text of words compacted away: played long ago
        self._started_at: float | None = None
        self._playout_end = 0.0  # when a real-time player would run dry (session clock)

    @property
    def has_audio(self) -> bool:
        return self._started_at is not None

    def add_audio(self, seconds: float, now: float) -> None:
        """Audio of ``seconds`` arrived at ``now``."""
        if self._started_at is None:
            self._started_at = now
        # A real-time player starts each chunk when the previous one ends, or when it arrives.
        self._playout_end = max(self._playout_end, now) + seconds
        self.received += seconds

    def add_transcript(self, text: str, timings: Sequence[tuple[float, float]] | None) -> None:
        """A transcript chunk arrived; ``timings``: its words' (start, end), when sent."""
        words = split_words(text)
        spoken = [w for w in words if w.strip()]
        if timings is not None and len(timings) == len(spoken) and spoken:
            it = iter(timings)
            prev = self.words[-1].end if self.words else 0.0
            for w in words:
                if w.strip():
                    start, end = next(it)
                    prev = max(prev, end)  # keep the words in order even if timings are not
                    self.words.append(_Word(w, max(start, 0.0), prev))
                else:
                    self.words.append(_Word(w, prev, prev))
            return
        # The first chunk's anchor measures how far the transcript trails the audio; anchors of
        # later chunks are shifted by it.
        anchor = self.received
        if self._first_anchor is None:
            self._first_anchor = anchor
            self._last_anchor = anchor
        position = self.words[-1].end if self.words else 0.0
        if anchor > self._last_anchor:
            # Audio came since the previous chunks: they ended where this one starts.
            target = anchor - self._first_anchor
            self._fit_group(target)
            position = max(target, self.words[-1].end if self.words else 0.0)
            self._group_from = len(self.words)
        # Otherwise the chunk came straight after the previous one, ahead of its audio: it
        # joins their group and starts where their paced words end.
        self._last_anchor = anchor
        for w in words:
            end = position + _syllables(w) / SYLLABLES_PER_SECOND
            self.words.append(_Word(w, position, end))
            position = end

    def _fit_group(self, end: float) -> None:
        # Paced words that run past where the next chunk's audio starts are squeezed to fit.
        group = self.words[self._group_from :]
        if not group or group[-1].end <= end:
            return
        start = group[0].start
        if end <= start:
            return
        scale = (end - start) / (group[-1].end - start)
        for w in group:
            w.start = start + (w.start - start) * scale
            w.end = start + (w.end - start) * scale

    def estimated_played(self, now: float) -> float:
        """Seconds a real-time player started at the first chunk has played by ``now``."""
        if self._started_at is None:
            return 0.0
        return max(0.0, self.received - max(0.0, self._playout_end - now))

    def compact(self, played: float) -> None:
        """Fold words that ended well before ``played`` into plain text.

        Played audio only grows within a turn, so those words are heard for good; keeping
        them as text keeps a long turn's memory to its transcript. The margin covers an app
        whose first playback report comes late and says less than the estimate did.
        """
        upto = min(self._group_from, len(self.words))
        n = 0
        while n < upto and self.words[n].end <= played - COMPACT_MARGIN:
            n += 1
        if n < COMPACT_MIN_WORDS:
            return
        self._done.append("".join(w.text for w in self.words[:n]))
        del self.words[:n]
        self._group_from -= n

    def heard(self, played: float) -> str:
        """The transcript up to ``played`` seconds of audio, cut at a word boundary."""
        if not self.has_audio:
            return self.text()  # nothing to play: everything received was seen
        played = min(played, self.received)
        out: list[str] = list(self._done)
        for w in self.words:
            # A word counts once most of it has been played; a few ms of rounding don't cut it.
            if w.end > played + 1e-6 and (w.start + w.end) / 2 > played:
                break
            out.append(w.text)
        return "".join(out)

    def text(self) -> str:
        return "".join(self._done) + "".join(w.text for w in self.words)
