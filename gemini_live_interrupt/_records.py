"""Frozen records the session keeps and passes to hooks."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Interruption", "Stall"]


@dataclass(frozen=True, slots=True)
class Interruption:
    """One barge-in episode, as the session saw and handled it.

    Attributes:
        episode: a counter, one per barge-in episode in this session.
        heard: what the model had said when cut off, as far as the user heard it.
        user_text: what the user said over the model (input transcription since the turn began).
        generated: the full transcript the model generated for the turn before the cut.
        history: the ``(role, text)`` history before the interrupted exchange.
        played_seconds: seconds of the turn's audio played (reported or estimated).
        received_seconds: seconds of the turn's audio received from the service.
        injected: whether a resume note was sent.
        prompt: the note's text, when one was built.
        channel: how it was sent (``"client_content"``, ``"realtime_text"``, ``"context_update"``).
        reason: why no note was sent (``"phantom"``, ``"builder returned None"``,
            ``"send failed: ..."``, ``"session closed"``), else ``None``.
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
    channel: str | None
    reason: str | None
    at: float


@dataclass(frozen=True, slots=True)
class Stall:
    """The model said nothing for ``seconds`` after barge-in ``episode`` (it was nudged once)."""

    episode: int
    seconds: float
    at: float
