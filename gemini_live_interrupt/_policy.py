"""When and how a resume note reaches the model: the policy object and the per-model table."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal, get_args

__all__ = [
    "DEFAULT_MODEL_TABLE",
    "FALLBACK",
    "Channel",
    "InjectionPolicy",
    "Timing",
    "policy_for_model",
]

Channel = Literal["client_content", "realtime_text", "context_update"]
Timing = Literal["on_interrupt", "after_user_turn"]


@dataclass(frozen=True, slots=True)
class InjectionPolicy:
    """When and how the session sends its resume note.

    Attributes:
        timing: ``"on_interrupt"`` sends as soon as the interruption arrives, waiting at most
            ``first_words_wait`` for the user's first words; ``"after_user_turn"`` waits until
            the interrupting utterance is over (its transcription marked finished, the model
            starting its next turn, or ``quiet_gap`` without new words; at most ``max_wait``).
            ``None`` takes the model table's timing.
        channel: ``"client_content"`` (a user turn with ``turn_complete=True``; never
            ``False``), ``"realtime_text"`` (``send_realtime_input(text=...)``) or
            ``"context_update"`` (the connect config's system instruction with the note
            appended, by ``send_context_update``; each note replaces the previous one).
            ``None`` takes the model table's channel.
        first_words_wait: seconds ``on_interrupt`` waits for the user's first words.
        quiet_gap: seconds without new user words after which the utterance counts as over.
        max_wait: seconds ``after_user_turn`` waits at most before sending anyway.
        hold_output: hold back model output that arrives before the note is sent, so the
            user never hears a reply that ignores it. Held output is released (never lost)
            once the note is sent, dropped or fails, or after ``hold_timeout``. Tool calls are
            never held.
        hold_timeout: seconds output is held at most.
        stall_nudge: after a barge-in, once the user's speech is over, nudge the model once
            with realtime text if it says nothing for this many seconds; ``None`` (default)
            turns stall recovery off.
        stall_report: seconds of silence after which a stall is reported (logged and kept
            in ``session.stalls``).

    Raises:
        TypeError: a field of the wrong type.
        ValueError: an unknown timing or channel, or a negative or non-finite time.
    """

    timing: Timing | None = None
    channel: Channel | None = None
    first_words_wait: float = 0.3
    quiet_gap: float = 1.0
    max_wait: float = 8.0
    hold_output: bool = False
    hold_timeout: float = 3.0
    stall_nudge: float | None = None
    stall_report: float = 10.0

    def __post_init__(self) -> None:
        if self.timing is not None and self.timing not in get_args(Timing):
            raise ValueError(f"timing must be one of {get_args(Timing)} or None, "
                             f"got {self.timing!r}")
        if self.channel is not None and self.channel not in get_args(Channel):
            raise ValueError(f"channel must be one of {get_args(Channel)} or None, "
                             f"got {self.channel!r}")
        if not isinstance(self.hold_output, bool):
            raise TypeError(f"hold_output must be a bool, got {self.hold_output!r}")
        for f in fields(self):
            if f.name in ("timing", "channel", "hold_output"):
                continue
            value = getattr(self, f.name)
            if value is None and f.name == "stall_nudge":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{f.name} must be a number, got {type(value).__name__}: "
                                f"{value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{f.name} must be finite and >= 0, got {value}")


#: ``(substring of the model name, timing, channel)``, first match wins; names change, so this
#: is the one place to keep them. Channels follow the reports in WIRE.md ("Models"); timing
#: follows benchmarks/policies.py (docs/policies.md): waiting for the end of the user's turn
#: cut the model's talking over the user from 1.6 s to 0.3 s per barge-in and put the user's
#: words in the note before every answer (none with on_interrupt), on every family.
DEFAULT_MODEL_TABLE: tuple[tuple[str, Timing, Channel], ...] = (
    # Gemini 3.1 Live closes the session with 1007 on a mid-session clientContent
    # (livekit/agents#5251, google/adk-python#5018); it takes realtimeInput.text.
    ("3.1", "after_user_turn", "realtime_text"),
    # 3.8: clientContent with turnComplete=true interrupts whatever is being generated; a
    # note sent after the answer began is dropped (send-if-current), never cuts it.
    ("3.8", "after_user_turn", "client_content"),
    # 2.5 native audio (Developer API and Vertex) accepts mid-session clientContent.
    ("2.5", "after_user_turn", "client_content"),
)

#: For names the table does not know: the original package's timing, and realtime text, which
#: every current model accepts (a clientContent closes some sessions outright).
FALLBACK: tuple[Timing, Channel] = ("on_interrupt", "realtime_text")


def policy_for_model(
    model: str | None,
    table: tuple[tuple[str, Timing, Channel], ...] = DEFAULT_MODEL_TABLE,
) -> tuple[Timing, Channel]:
    """``(timing, channel)`` for ``model`` from ``table`` (substring match, first wins)."""
    name = (model or "").lower().removeprefix("models/")
    for needle, timing, channel in table:
        if needle in name:
            return timing, channel
    return FALLBACK
