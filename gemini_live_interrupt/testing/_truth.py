"""Ground truth for "heard": which words of a model turn a speaker had played."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["heard_words"]


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
