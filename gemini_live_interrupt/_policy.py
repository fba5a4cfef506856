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

Channel = Literal["silent_content", "context_update", "client_content", "realtime_text"]
Timing = Literal["on_interrupt", "after_user_turn"]

TURN_STARTING: frozenset[Channel] = frozenset({"client_content", "realtime_text"})
"""Channels the model answers with a reply of its own."""


@dataclass(frozen=True, slots=True)
class InjectionPolicy:
    """When and how the session sends its resume note.

    Attributes:
        timing: ``"on_interrupt"`` sends as soon as the interruption arrives, waiting at most
            ``first_words_wait`` for the user's first words; ``"after_user_turn"`` waits until
            the interrupting utterance is over (its transcription marked finished, the model
            starting its next turn, or ``quiet_gap`` without new words; at most ``max_wait``).
            ``None`` takes the model table's timing.
        channel: how the note goes, ``None`` for the model table's choice. Two add context
            without starting a reply: ``"silent_content"`` (a ``role="model"`` turn with
            ``turn_complete=False``, worded as the model's own memory) and
            ``"context_update"`` (the connect config's system instruction with the note
            appended, by ``send_context_update``; each note replaces the previous one). Two
            start a reply of their own (one extra reply per barge-in): ``"client_content"``
            (a user turn with ``turn_complete=True``) and ``"realtime_text"``
            (``send_realtime_input(text=...)``).
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
#: is the one place to keep them. Timing: under the service's real timings the user's words are
#: transcribed after the model has begun its answer, while what the user heard is known at the
#: interrupt, so the note leaves then (docs/policies.md, "On the field timing"). Channel: one
#: that adds context without a reply of its own, per family (docs/policies.md, "Channels").
DEFAULT_MODEL_TABLE: tuple[tuple[str, Timing, Channel], ...] = (
    # 3.1 and 3.8 take model-role content with turnComplete=false mid-session: LiveKit
    # (livekit-plugins-google 1.8.9) sends its instructions that way on every current model and
    # 3.1 since livekit/agents#7289; a turn without a role closes them with 1007.
    ("3.1", "on_interrupt", "silent_content"),
    ("3.8", "on_interrupt", "silent_content"),
    # 2.5 does not see turnComplete=false content in its next answer to user audio (pipecat
    # 1.14's 2.5 history limitation), which is the answer to the barge-in; a context update is
    # "processed in order with the rest of the inputs" (SDK 3.4 docstring) and starts no turn.
    ("2.5", "on_interrupt", "context_update"),
)

#: For names the table does not know: the note at the interrupt, as model-role content that
#: starts no reply and that no current model is reported to reject.
FALLBACK: tuple[Timing, Channel] = ("on_interrupt", "silent_content")


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
