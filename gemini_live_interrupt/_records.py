"""Frozen records the session keeps and passes to hooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._policy import Channel

__all__ = ["Interruption", "Reason", "Stall"]

Reason = Literal[
    "phantom",
    "superseded by a newer barge-in",
    "the model had already started answering",
    "builder returned None",
    "should_inject declined",
    "send failed",
    "session closed",
]
"""Why a barge-in got no note: every value the session produces."""


@dataclass(frozen=True, slots=True)
class Interruption:
    """One barge-in, as the session saw and handled it.

    Attributes:
        episode: the barge-in's number in this session (1, 2, ...).
        heard: what the model had said when cut off, as far as the user heard it.
        user_text: what the user said over the model, as far as it was transcribed when the
            note was written.
        generated: the full transcript the model generated for the turn before the cut.
        history: the ``(role, text)`` history before the interrupted exchange.
        played_seconds: seconds of the turn's audio played (reported or estimated).
        received_seconds: seconds of the turn's audio received from the service.
        injected: whether the note was sent.
        prompt: the note's text, when one was written.
        channel: how it was (or would have been) sent, when a note was written.
        reason: why no note was sent, else ``None``:

            - ``"phantom"``: the flag cut nothing (the user had heard the whole turn);
            - ``"superseded by a newer barge-in"``: the user cut in again first;
            - ``"the model had already started answering"``: only for channels that start a
              reply of their own (``client_content``, ``realtime_text``), where a late note
              would cost an extra reply;
            - ``"builder returned None"`` / ``"should_inject declined"``: your hooks said no;
            - ``"send failed"``: the send raised (``error`` says what);
            - ``"session closed"``: the session ended first.
        error: for ``"send failed"``, the exception's ``repr``.
        at: the session clock (``time.monotonic()``) when the interruption arrived.
    """

    episode: int
    heard: str
    user_text: str
    generated: str
    history: tuple[tuple[str, str], ...]
    played_seconds: float
    received_seconds: float
    injected: bool
    prompt: str | None
    channel: Channel | None
    reason: Reason | None
    at: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Stall:
    """The model said nothing for ``seconds`` after barge-in ``episode`` (it was nudged once)."""

    episode: int
    seconds: float
    at: float
