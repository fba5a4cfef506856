"""One model turn on the audio clock: which words were spoken at which second of its audio.

Sans-I/O: times are passed in. Transcripts are aligned by audio position, not arrival order:
word timestamps when the service sends them; otherwise from where each transcript chunk arrived
in the audio stream. A chunk arrives while the audio around its words streams in, ahead of its
words' audio or behind it by an amount the turn keeps (up to a few tenths of a second, plus
jitter); the audio chunk it follows marks a window, and a small Kalman filter over the turn's
chunks finds that offset, the speech rate and each chunk's start (docs/heard.md says how).

All the work happens when ``heard`` (or a fold, ``compact``) asks: adding audio and transcript
only records where each chunk arrived.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SYLLABLES_PER_SECOND", "Timeline", "parse_offset", "split_words"]

#: Average speaking rate, the prior for pacing words without timings (LiveKit's figure); each
#: turn's own rate is measured from its audio.
SYLLABLES_PER_SECOND = 3.83
#: Words that ended this many seconds before the played position are folded into text, in
#: batches of at least COMPACT_MIN_WORDS.
COMPACT_MARGIN = 30.0
COMPACT_MIN_WORDS = 64

# How sure the alignment is of what it is told (seconds, or fractions for the rate).
_OFFSET_SD = 0.5  # prior: how far transcripts run ahead of or behind their audio
_RATE_SD = 0.3  # prior: how far a turn's speech rate is from SYLLABLES_PER_SECOND (relative)
_PACING_VAR = 0.015  # variance (s^2) per second of paced speech: words are not all alike
_JITTER = 0.04  # how far a chunk may land from its place, on top of the offset (sd, at least)
_MAX_JITTER = 0.3  # ... at most, as measured on the turn's own chunks
_MIN_FOR_JITTER = 5  # chunks it takes to measure it
_END_SD = 0.05  # how sure "the last word ends where the turn's audio ends" is
_K0 = 1 / SYLLABLES_PER_SECOND
_MIN_RATE, _MAX_RATE = 0.4 * _K0, 2.5 * _K0
_RATE_DRIFT = (0.1 * _K0) ** 2 / 10  # the rate drifts 10% (sd) in 10 syllables
_PACING_K0 = _PACING_VAR * _K0
_START = (0.0, 0.0, 0.0, _OFFSET_SD**2, _K0, (_RATE_SD * _K0) ** 2)
_STRETCH = 1.5  # words are paced out to at most this many times their length; more is a pause
#: Where the data cannot tell, under-count (a repeated word is better than a skipped one): an
#: estimated word counts once its midpoint is this many standard deviations of its estimate
#: inside what was played (at most _MAX_MARGIN s). Timestamped words need no such margin.
_UNSURE = 0.4
_MAX_MARGIN = 0.15
#: With every byte received played, a word counts once it started this far before the end of
#: that audio (its length is paced, its start is not; the shortest words take about this long).
_DRY_TOLERANCE = 0.1

# A word keeps the whitespace before it, so joining words gives back the text verbatim.
# Characters of scripts written without spaces count as words of their own.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"\s*(?:[{_CJK}]|[^\s{_CJK}]+)|\s+$")
_VOWELS = re.compile(r"[aeiouyáéíóúàèìòùäëïöüâêîôûåæøœ]+", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d*)?)s\s*$")


def split_words(text: str) -> list[str]:
    """Split ``text`` into words that join back to it exactly."""
    # Most chunks are one word of a space-separated script (" lighthouse"): no regex needed.
    if text.isascii() and text and not text[-1].isspace() and len(text.split()) == 1:
        return [text]
    return _WORD.findall(text)


_ONE_CJK = re.compile(rf"[{_CJK}]")
_ALNUM = re.compile(r"[^\W_]")
_DIGITS = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]")
_LETTERS_PER_SYLLABLE = 3.4  # English, on average
_SILENT_E = re.compile(r"[^aeiouy]e$|[^aeiouylt]ed$|[^aeiouyszxhgc]es$", re.IGNORECASE)


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


_TRAILING = ".,;:!?\"')]}…»"


@functools.lru_cache(maxsize=4096)
def _weight(word: str) -> float:
    """How long ``word`` takes to say, in average syllables (``SYLLABLES_PER_SECOND`` a second).

    Mostly letters, a little syllables: a word lasts as long as its sounds, which its letters
    track better than its vowel groups do (``straight`` has one syllable and eight letters,
    ``upon`` two syllables and four letters), and a final silent ``e`` (``time``, ``passed``)
    is no syllable. Digits and CJK characters count a syllable each; punctuation nothing.
    """
    # Plain ASCII letters, perhaps with punctuation after them (most words of most replies):
    # what _weight_of gives, by two regex calls instead of eight. A word the cache has not
    # seen costs ~1 us here against ~5 us there, and conversations are full of such words.
    bare = word.strip().rstrip(_TRAILING)
    if bare.isascii() and bare.isalpha():
        n = len(_VOWELS.findall(bare)) or 1
        if n > 1 and _SILENT_E.search(bare):
            n -= 1
        return 0.25 * n + 0.75 * len(bare) / _LETTERS_PER_SYLLABLE
    return _weight_of(word)


def _weight_of(word: str) -> float:
    # The general case: digits, CJK, punctuation alone, letters beyond ASCII.
    n = _syllables(word)
    core = word.strip()
    if n == 0 or _DIGITS.search(core) or _ONE_CJK.fullmatch(core):
        return float(n)
    letters = len(_LETTERS.findall(core))
    if n > 1 and _SILENT_E.search(core.rstrip(_TRAILING)):
        n -= 1
    return 0.25 * n + 0.75 * letters / _LETTERS_PER_SYLLABLE


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
    """A transcript word; ``start``/``end`` on the audio clock (estimated unless ``timed``).

    The first word of a chunk without timings records where the chunk arrived: ``anchor``, the
    audio seconds received by then, and ``window``, the length of the audio chunk it followed.
    """

    text: str
    start: float
    end: float
    weight: float = -1.0  # paced length, in average syllables (< 0: not weighed yet)
    anchor: float = -1.0  # >= 0: first word of an untimed chunk
    window: float = 0.0
    timed: bool = False
    margin: float = 0.0  # how much later than `start`/`end` it may be (prefer the under-count)


def _unheard(w: _Word, played: float, received: float) -> bool:
    """Whether ``w`` is not heard with ``played`` of ``received`` seconds played: ``heard``
    stops at the first such word (and the alignment places no words after it)."""
    if played >= received - 1e-3:
        # Every byte received has played: the whole transcript of that audio was heard (a
        # paced word may run past the end of it; a timestamped one is where it says).
        return ((w.timed or w.start > received - _DRY_TOLERANCE)
                and (w.start + w.end) * 0.5 > received + 1e-6)
    # A word counts once most of it has been played; a few ms of rounding don't cut it. An
    # estimated one, once its midpoint is surely in.
    cut = (played if played < received else received) - w.margin
    return w.end > cut + 1e-6 and (w.start + w.end) * 0.5 > cut


def _as_prior(y: float, pyy: float, pyo: float, o: float, poo: float, k: float,
              pkk: float) -> tuple[float, float, float, float, float, float]:
    """The fit's state as a fold's prior takes it: (t, its variance, o, its variance, k, its
    variance), from (y = t + o, o, k) and their covariances."""
    ptt = pyy - 2.0 * pyo + poo
    return (y - o, ptt if ptt > 0.0 else 0.0, o, poo, k, pkk)


class _Chunks:
    """The untimed transcript chunks, as the alignment sees them: one list per field (a
    barge-in goes through them on the way to the note; lists cost less than an object each).

    ``first``/``last``: its words' indexes (one past the last); ``anchor``/``window``: where it
    arrived; ``position``: paced syllables before it (since the turn began, or a fold);
    ``paced``: its own; ``observed``: whether its arrival tells where it is; ``rate``, the
    fit's estimate of seconds per paced syllable there.
    """

    __slots__ = ("anchor", "doubt", "first", "last", "observed", "paced", "position",
                 "predicted", "predicted_var", "rate", "share", "start", "window")

    def __init__(self) -> None:
        self.first: list[int] = []
        self.last: list[int] = []
        self.anchor: list[float] = []
        self.window: list[float] = []
        self.position: list[float] = []
        self.paced: list[float] = []
        self.observed: list[bool] = []
        self.rate: list[float]  # made by the fit
        # the smoother's forward pass, made by the fit
        self.predicted: list[float]
        self.predicted_var: list[float]
        self.start: list[float]
        self.doubt: list[float]
        self.share: list[float]


class Timeline:
    """Audio received and transcript words of one turn, both on the turn's audio clock."""

    __slots__ = (
        "_done", "_foldable", "_last_chunk", "_observed", "_offset", "_offset_var",
        "_playout_end", "_prior", "_started_at", "_state", "_surprise", "rate", "received",
        "words",
    )

    def __init__(self) -> None:
        self.received = 0.0  # seconds of audio received
        self.rate = 24000  # its sample rate (the Live API's output default until audio comes)
        self.words: list[_Word] = []
        self._done: list[str] = []  # text of words compacted away: played long ago
        self._started_at: float | None = None
        self._playout_end = 0.0  # when a real-time player would run dry (session clock)
        self._last_chunk = 0.0  # seconds in the latest audio chunk
        # Where the alignment starts: the first chunk's start, the offset and the rate, each
        # with its variance; after a fold, what the folded words left.
        self._prior = _START
        self._state = _START
        self._offset = 0.0
        self._offset_var = 0.0
        self._surprise = 0.0
        self._observed = 0
        self._foldable = (0, 0)  # (words found foldable, words looked at)

    @property
    def has_audio(self) -> bool:
        return self._started_at is not None

    def play_after(self, other: Timeline) -> None:
        """This turn's audio plays once ``other``'s has (a real-time player queues it)."""
        self._playout_end = other._playout_end

    def add_audio(self, nbytes: int, rate: int, now: float) -> None:
        """``nbytes`` of PCM16 mono audio at ``rate`` Hz arrived at ``now``."""
        seconds = nbytes / (rate + rate)
        self.rate = rate
        if self._started_at is None:
            self._started_at = now
        # A real-time player starts each chunk when the previous one ends, or when it arrives.
        end = self._playout_end
        self._playout_end = (end if end > now else now) + seconds
        self.received += seconds
        self._last_chunk = seconds

    def add_transcript(self, text: str, timings: Sequence[tuple[float, float]] | None) -> None:
        """A transcript chunk arrived; ``timings``: its words' (start, end), when sent."""
        words = split_words(text)
        if not words:
            return
        if timings is not None:
            spoken = sum(1 for w in words if w.strip())
            if spoken and len(timings) == spoken:
                self._add_timed(words, timings)
                return
        append = self.words.append
        # Words are weighed when the alignment first needs them (at a barge-in or a fold):
        # most turns never need it, and this runs for every transcript chunk.
        append(_Word(words[0], 0.0, 0.0, -1.0, self.received, self._last_chunk))
        for w in words[1:]:
            append(_Word(w, 0.0, 0.0))

    def _add_timed(self, words: list[str], timings: Sequence[tuple[float, float]]) -> None:
        it = iter(timings)
        prev = self.words[-1].end if self.words else 0.0
        for w in words:
            if w.strip():
                start, end = next(it)
                prev = max(prev, end)  # keep the words in order even if timings are not
                self.words.append(_Word(w, max(start, 0.0), prev, timed=True))
            else:
                self.words.append(_Word(w, prev, prev, timed=True))

    def estimated_played(self, now: float) -> float:
        """Seconds a real-time player started at the first chunk has played by ``now``."""
        if self._started_at is None:
            return 0.0
        ahead = self._playout_end - now  # seconds still to play (conditionals: cheaper than max)
        played = self.received - ahead if ahead > 0.0 else self.received
        return played if played > 0.0 else 0.0

    # -- alignment -------------------------------------------------------------------------

    def _chunks(self, complete: bool, upto: int | None = None) -> _Chunks:
        """The untimed chunks, with what the audio says of each (``upto``: stop at the first
        that starts there or later, the last of the list)."""
        chunks = _Chunks()
        firsts, lasts, anchors = chunks.first, chunks.last, chunks.anchor
        windows, positions, paceds, observed = (chunks.window, chunks.position, chunks.paced,
                                                chunks.observed)
        position = paced = current = 0.0  # current: the open chunk's anchor
        is_open = False
        last = 0
        received = self.received - 1e-9
        for i, w in enumerate(self.words):
            if w.timed:
                if is_open:
                    paceds.append(paced)
                    lasts.append(last)
                    is_open = False
                continue
            anchor = w.anchor
            if anchor >= 0.0 or not is_open:
                if is_open:
                    paceds.append(paced)
                    lasts.append(last)
                    if upto is not None and firsts[-1] >= upto:
                        is_open = False
                        break
                if anchor < 0.0:
                    anchor = 0.0
                # The first chunk to come after an audio chunk has its place in that audio
                # chunk (it came before the next one: while the turn runs, the next is on its
                # way). Chunks that follow it before more audio may run further ahead: they
                # are paced after it. Before any audio, or after a complete turn's last audio,
                # a chunk says less.
                observed.append(anchor > 0.0 and (not is_open or anchor != current)
                                and (not complete or anchor < received))
                firsts.append(i)
                anchors.append(anchor)
                windows.append(w.window)
                positions.append(position)
                current = anchor
                paced = 0.0
                is_open = True
            weight = w.weight
            if weight < 0.0:
                weight = w.weight = _weight(w.text)
            paced += weight
            position += weight
            last = i + 1
        if is_open:
            paceds.append(paced)
            lasts.append(last)
        return chunks

    def _fit(self, chunks: _Chunks, complete: bool, jitter: float = 0.0) -> float:
        """The turn's offset (where transcripts arrive minus where their words are, in audio
        seconds), and each chunk's speech rate (``rate``: seconds per paced syllable).

        A Kalman filter along the chunks. State: the chunk's start on the audio clock ``t``, the
        offset ``o`` and the rate ``k``. The first chunk starts the audio (``t = 0``, or where
        the fold left it); an observed chunk arrived within the audio chunk before it (``t + o``
        in it); a complete turn's last word ends its audio. The rate drifts slowly, so that a
        turn that speeds up or slows down does not bend the offset. ``jitter``: how far a chunk
        lands from its place (its sd; unset: ``_JITTER``, and then, with more than
        ``_MIN_FOR_JITTER`` observed chunks, it sets ``_surprise``, the windows' squared misses
        beyond what the filter expected, per observed chunk). ``_state``: where the last chunk
        starts as the chunks before it tell (a fold starts there, and takes its arrival again).

        It also runs the smoother's forward pass (``_align``) for an offset of zero: each
        chunk's start is then ``start + share * offset`` (the update is linear in the offset,
        and ``share`` is how far it moves when the offset moves by one), and its prediction
        from the chunk before ``predicted + share_before * offset``. One pass instead of two:
        a barge-in goes through every chunk here on the way to its note.
        """
        # The surprise only matters to the first fit, when there are enough chunks to measure
        # it (_align): not worked out otherwise (a short turn's barge-in is on its way).
        measure = not jitter and chunks.observed.count(True) > _MIN_FOR_JITTER
        jitter = jitter or _JITTER
        jitter_var = jitter * jitter
        surprise, seen = 0.0, 0
        # The state and its covariance, as plain floats (this runs for every chunk of the turn
        # when a barge-in asks what was heard, on the way to the note), kept as (y, o, k) with
        # y = t + o, where the chunk arrives: an arrival then observes y alone, which takes a
        # few operations off each update.
        t0, ptt, o, poo, k, pkk = self._prior
        y, pyy, pyo = t0 + o, ptt + poo, poo
        pyk = pok = 0.0
        positions, observed, anchors, windows = (chunks.position, chunks.observed,
                                                 chunks.anchor, chunks.window)
        rates = chunks.rate = [0.0] * len(positions)
        previous = positions[0]
        n = len(positions)
        final = n - 1
        predicted, predicted_var = chunks.predicted, chunks.predicted_var = [0.0] * n, [0.0] * n
        starts, doubts = chunks.start, chunks.doubt = [0.0] * n, [0.0] * n
        shares = chunks.share = [0.0] * n
        # The smoother's chunk start (for an offset of zero), its variance and its share.
        a, var, u = t0, ptt, 0.0
        rate = 0.0  # the rate of the chunk before, as the fit left it
        # The model's constants as locals (a global costs more to read, in every chunk).
        pacing_var, pacing_k0, rate_drift = _PACING_VAR, _PACING_K0, _RATE_DRIFT
        min_rate, max_rate = _MIN_RATE, _MAX_RATE
        for i, position in enumerate(positions):
            # Predict: t += k * syllables (paced speech), the rate drifting a little.
            s = position - previous
            step = rate * s
            a, var = a + step, var + pacing_var * step + 1e-9
            predicted[i] = a
            predicted_var[i] = var
            if s > 0.0:
                y += s * k
                pyy += 2.0 * s * pyk + s * s * pkk + pacing_k0 * s
                pyo += s * pok
                pyk += s * pkk
                pkk += rate_drift * s
            previous = position
            if observed[i]:
                if i == final:
                    self._state = _as_prior(y, pyy, pyo, o, poo, k, pkk)
                window = windows[i]
                r = window * window / 12.0 + jitter_var
                z = anchors[i] - window * 0.5
                gain = var / (var + r)
                a += gain * (z - a)
                u -= gain * (1.0 + u)
                var *= 1.0 - gain
                # Update on the window: t + o arrived in it.
                miss = z - y
                sv = pyy + r
                if seen and measure:  # the first observed chunk is what sets the offset
                    surprise += miss * miss - sv
                seen += 1
                gy, go, gk = pyy / sv, pyo / sv, pyk / sv
                y += gy * miss
                o += go * miss
                k += gk * miss
                poo -= go * pyo
                pok -= go * pyk
                pkk -= gk * pyk
                pyo -= gy * pyo
                pyk -= gy * pyk
                pyy -= gy * pyy
            rate = rates[i] = (min_rate if k < min_rate else max_rate if k > max_rate else k)
            starts[i] = a
            doubts[i] = var
            shares[i] = u
        if not observed[final]:
            self._state = _as_prior(y, pyy, pyo, o, poo, k, pkk)
        if complete:
            # One more step: the last word ends where the audio does (t, not y, is observed).
            s = position + chunks.paced[-1] - previous
            if s > 0.0:
                y += s * k
                pyy += 2.0 * s * pyk + s * s * pkk + pacing_k0 * s
                pyo += s * pok
                pyk += s * pkk
            miss = self.received - (y - o)
            sv = pyy - 2.0 * pyo + poo + _END_SD**2
            pto, ptk = pyo - poo, pyk - pok  # t's covariance with o and with k
            go, gk = pto / sv, ptk / sv
            o += go * miss
            k += gk * miss
            poo -= go * pto
            rates[-1] = min_rate if k < min_rate else max_rate if k > max_rate else k
        self._offset_var = poo
        self._surprise = surprise / (seen - 1) if seen > 1 else 0.0
        self._observed = seen
        return o

    def _align(self, complete: bool, played: float | None = None) -> int:
        """Estimate the start and end of every untimed word; with ``played``, only of those
        ``heard`` must look at (a barge-in is on the way to its note): not those of chunks
        surely heard before it, nor after the first unheard one (they keep what they had).
        Returns how many words from the first are surely heard."""
        chunks = self._chunks(complete)
        positions = chunks.position
        n = len(positions)
        if not n:
            return 0
        offset = self._fit(chunks, complete)
        jitter = _JITTER
        if self._observed > _MIN_FOR_JITTER and self._surprise > 0:
            # The chunks land further from their places than _JITTER allows (a transcript
            # whose distance to its audio wanders): trust each window less, and fit again.
            jitter = min(_MAX_JITTER, math.sqrt(_JITTER * _JITTER + self._surprise))
            offset = self._fit(chunks, complete, jitter)
        # Each chunk's start: a Kalman smoother along the chunks, with the offset and rates
        # found, from the first chunk's start; the fit ran its forward pass (for an offset of
        # zero, with each start's share of the offset: its doubt counts only where
        # observations brought it in). Here the backward pass, into the same lists.
        starts, doubts, shares = chunks.start, chunks.doubt, chunks.share
        predicted, predicted_var = chunks.predicted, chunks.predicted_var
        u = shares[-1]
        t = starts[-1] + u * offset
        var = doubts[-1]
        smoothed, smoothed_var, smoothed_u = t, var, u
        if complete:
            # The last word ends where the audio does.
            step = chunks.rate[-1] * chunks.paced[-1]
            end_var = var + _PACING_VAR * step + 1e-9
            gain = end_var / (end_var + _END_SD**2)
            back = var / end_var
            smoothed = t + back * gain * (self.received - t - step)
            smoothed_var = var - back * back * gain * end_var
            smoothed_u = u - back * gain * u
        starts[-1], doubts[-1], shares[-1] = smoothed, smoothed_var, smoothed_u
        for i in range(n - 2, -1, -1):
            gain = doubts[i] / predicted_var[i + 1]
            fu = shares[i]
            shift = fu * offset
            smoothed = starts[i] + shift + gain * (smoothed - predicted[i + 1] - shift)
            smoothed_var = doubts[i] + gain * gain * (smoothed_var - predicted_var[i + 1])
            smoothed_u = fu + gain * (smoothed_u - fu)
            starts[i] = smoothed
            doubts[i] = smoothed_var
            shares[i] = smoothed_u
        rates, observed, anchors, windows = (chunks.rate, chunks.observed, chunks.anchor,
                                             chunks.window)
        # Chunk by chunk: first what the arrivals say for sure of its start, give or take the
        # jitter, in order after the one before (the next chunk's start, too: it bounds this
        # one's words); then its words, paced at the rate, squeezed into the time to the next
        # chunk or stretched over it (up to _STRETCH: beyond that the rest is a pause).
        # (Conditionals rather than min/max: this runs for every chunk at a barge-in.)
        words = self.words
        offset_var = self._offset_var
        received = self.received
        paceds, firsts, lasts = chunks.paced, chunks.first, chunks.last
        sqrt = math.sqrt
        early = jitter - offset  # before any audio
        start = self._prior[0]  # the floor for the first chunk
        # A chunk whose next one starts before `sure` is heard whole (its words end before
        # that start), whatever its margin: while nothing else came between them, the words
        # up to it are not placed.
        sure = -math.inf if played is None else (
            (played if played < received else received) - _MAX_MARGIN)
        heard_to = 0
        for i in range(-1, n):
            k = i + 1
            if k < n:  # the next chunk's start, in order after this one's
                floor = start
                start = starts[k]
                anchor = anchors[k]
                if anchor > 0.0:
                    bound = anchor - windows[k] - jitter - offset
                    if bound > start:
                        start = bound
                    if observed[k]:
                        bound = anchor + jitter - offset
                        if bound < start:
                            start = bound
                elif early < start:
                    start = early
                if floor > start:
                    start = floor
                starts[k] = start
                room = start - floor
                if i < 0:
                    continue
                if start <= sure and firsts[i] == heard_to and lasts[i] == firsts[k]:
                    heard_to = lasts[i]
                    continue
            elif complete:
                room = received - start
            else:
                room = -1.0
            rate, at = rates[i], starts[i]
            length = rate * paceds[i]
            scale = 1.0
            if room >= 0.0 and length > 0.0:
                scale = room / length
                if scale > _STRETCH:
                    scale = _STRETCH
            step = rate * scale
            # Where the data cannot tell, under-count: by a share of how unsure the start is.
            share = shares[i]
            doubt = doubts[i] + share * share * offset_var
            margin = _UNSURE * sqrt(doubt) if doubt > 0.0 else 0.0
            if margin > _MAX_MARGIN:
                margin = _MAX_MARGIN
            for j in range(firsts[i], lasts[i]):
                w = words[j]
                w.start = at
                at += step * w.weight
                w.end = at
                w.margin = margin
            if played is not None and _unheard(words[firsts[i]], played, received):
                break  # heard stops here at the latest
        self._offset = offset
        return heard_to

    def compact(self, played: float) -> None:
        """Fold words that ended well before ``played`` into plain text.

        Played audio only grows within a turn, so those words are heard for good; keeping
        them as text keeps a long turn's memory to its transcript. The margin covers an app
        whose first playback report comes late and says less than the estimate did.
        """
        limit = played - COMPACT_MARGIN
        words = self.words
        # Cheap and sure first: timestamped words by their end, the others by where the next
        # chunk arrived (their words all end before it starts, give or take the offset, which
        # is far smaller than the margin). Words found foldable stay so (played only grows, and
        # the margin covers a report that says less than the estimate did): the search goes on
        # from where it stopped.
        n, i = self._foldable
        count = len(words)
        while i < count:
            w = words[i]
            if w.timed:
                if w.end > limit:
                    break
                n = i + 1
            elif w.anchor >= 0:
                if w.anchor > limit:
                    break
                n = i  # the words before this chunk
            i += 1
        self._foldable = (n, i)
        if n < COMPACT_MIN_WORDS:
            return
        self._foldable = (0, i - n)
        # From here on the alignment starts at the first chunk left, where the filter along
        # the folded chunks puts it, with the offset and rate it found (their doubt kept: a
        # fold must not make the alignment surer of itself). Only the folded chunks are gone
        # through: a fold costs what it folds.
        chunks = self._chunks(False, upto=n)
        firsts = chunks.first
        if firsts and firsts[-1] >= n:
            if len(firsts) > 1:
                self._fit(chunks, False)
                self._prior = self._state
            else:  # only timestamped words before it
                _, _, offset, offset_var, rate, rate_var = self._prior
                self._prior = (words[n - 1].end, 0.0, offset, offset_var, rate, rate_var)
        self._done.append("".join(w.text for w in words[:n]))
        del words[:n]

    def heard(self, played: float, *, complete: bool = False) -> str:
        """The transcript up to ``played`` seconds of audio, cut at a word boundary.

        ``complete``: the turn's audio has all been received (its turnComplete came).
        """
        if not self.has_audio:
            return self.text()  # nothing to play: everything received was seen
        known = self._align(complete, played)  # words surely heard, from the first
        received = self.received
        words = self.words
        out: list[str] = self._done + [w.text for w in words[:known]]
        for w in itertools.islice(words, known, None):
            if _unheard(w, played, received):
                break
            out.append(w.text)
        return "".join(out)

    def text(self) -> str:
        return "".join(self._done) + "".join([w.text for w in self.words])
