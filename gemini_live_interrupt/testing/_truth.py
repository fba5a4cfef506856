"""Ground truth for "heard": which words of a model turn a speaker had played."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["heard_words", "word_error"]


def heard_words(words: Sequence[tuple[str, float, float]], played: float) -> str:
    """The transcript of ``words`` (text, start, end on the turn's audio clock) up to ``played``.

    A word counts as heard once most of it (its midpoint) has played: the same rule the
    session uses, so a measured difference is an alignment error, not a definition mismatch.
    """
    out: list[str] = []
    for text, start, end in words:
        if end > played + 1e-6 and (start + end) / 2 > played:
            break
        out.append(text)
    return "".join(out)


def word_error(a: str, b: str) -> int:
    """Word-level edit distance between ``a`` and ``b`` (words split on whitespace): how far
    a ``heard`` is from the truth, as the accuracy benchmark and the framework tests count it."""
    x, y = a.split(), b.split()
    prev = list(range(len(y) + 1))
    for i, wx in enumerate(x, 1):
        cur = [i]
        for j, wy in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (wx != wy)))
        prev = cur
    return prev[-1]
