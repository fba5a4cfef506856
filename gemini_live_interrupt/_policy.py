"""How a resume note reaches the model: the policy object and the per-model channel table."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal, get_args

__all__ = [
    "DEFAULT_MODEL_TABLE",
    "FALLBACK",
    "Channel",
    "InjectionPolicy",
    "channel_for_model",
    "row_for_model",
]

Channel = Literal["silent_content", "context_update", "client_content", "realtime_text"]

TURN_STARTING: frozenset[Channel] = frozenset({"client_content", "realtime_text"})
"""Channels the model answers with a reply of its own."""


@dataclass(frozen=True, slots=True)
class InjectionPolicy:
    """How the session sends its resume note; it always leaves at the barge-in.

    Under the service's real timing the user's words are transcribed after the model has
    begun its answer, while what the user heard is known at ``interrupted``: the note goes
    then, so it is in the model's context before that answer (docs/policies.md).

    Attributes:
        channel: how the note goes, ``None`` for the model table's choice. Two add context
            without starting a reply: ``"silent_content"`` (a ``role="model"`` turn with
            ``turn_complete=False``, worded as the model's own memory) and
            ``"context_update"`` (the connect config's system instruction with the note
            appended, by ``send_context_update``; each note replaces the previous one). Two
            start a reply of their own (one extra reply per barge-in): ``"client_content"``
            (a user turn with ``turn_complete=True``) and ``"realtime_text"``
            (``send_realtime_input(text=...)``).
        first_words_wait: seconds the note waits at most for the user's first (interim)
            words; it leaves at once when they are already there.
        stall_nudge: after a barge-in, once the user's speech is over, nudge the model once
            with realtime text if it says nothing for this many seconds; ``None`` (default)
            turns stall recovery off.
        stall_report: seconds of silence after which a stall is reported (logged and kept
            in ``session.stalls``).

    Raises:
        TypeError: a field of the wrong type.
        ValueError: an unknown channel, or a negative or non-finite time.
    """

    channel: Channel | None = None
    first_words_wait: float = 0.3
    stall_nudge: float | None = None
    stall_report: float = 10.0

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in get_args(Channel):
            choices = ", ".join(get_args(Channel))
            raise ValueError(f"channel must be one of {choices} (or None for the model "
                             f"table's choice), got {self.channel!r}")
        for f in fields(self):
            if f.name == "channel":
                continue
            value = getattr(self, f.name)
            if value is None and f.name == "stall_nudge":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{f.name} must be a number, got {type(value).__name__}: "
                                f"{value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{f.name} must be finite and >= 0, got {value}")


#: ``(substring of the model name, channel)``, first match wins; names change, so this is the
#: one place to keep them. Each channel adds context without a reply of its own, per family
#: (docs/policies.md, "Channels").
DEFAULT_MODEL_TABLE: tuple[tuple[str, Channel], ...] = (
    # 3.1 and 3.8 take model-role content with turnComplete=false mid-session: LiveKit
    # (livekit-plugins-google 1.8.9) sends its instructions that way on every current model and
    # 3.1 since livekit/agents#7289; a turn without a role closes them with 1007.
    ("3.1", "silent_content"),
    ("3.8", "silent_content"),
    # 2.5 does not see turnComplete=false content in its next answer to user audio (pipecat
    # 1.14's 2.5 history limitation), which is the answer to the barge-in; a context update is
    # "processed in order with the rest of the inputs" (SDK 3.4 docstring) and starts no turn.
    ("2.5", "context_update"),
)

#: For names the table does not know: model-role content that starts no reply and that no
#: current model is reported to reject.
FALLBACK: Channel = "silent_content"


def row_for_model(
    model: str | None,
    table: tuple[tuple[str, Channel], ...] = DEFAULT_MODEL_TABLE,
) -> tuple[str, Channel] | None:
    """The row of ``table`` that names ``model`` (substring match, first wins), if any."""
    name = (model or "").lower().removeprefix("models/")
    for row in table:
        if row[0] in name:
            return row
    return None


def channel_for_model(
    model: str | None,
    table: tuple[tuple[str, Channel], ...] = DEFAULT_MODEL_TABLE,
) -> Channel:
    """The channel for ``model`` from ``table``; ``FALLBACK`` when no row names it."""
    row = row_for_model(model, table)
    return FALLBACK if row is None else row[1]
