"""Which channel carries the resume note, per model family: one documented, overridable table."""

from __future__ import annotations

from typing import Literal

__all__ = ["DEFAULT_MODEL_TABLE", "Channel", "channel_for_model"]

Channel = Literal["client_content", "realtime_text", "context_update"]

#: ``(substring of the model name, channel)``, first match wins.
#: Sources: the reports collected in WIRE.md, section "Models".
#: Override per session class with ``InterruptAwareSession.model_table``.
DEFAULT_MODEL_TABLE: tuple[tuple[str, Channel], ...] = (
    # Gemini 3.1 Live closes the session with 1007 on a mid-session clientContent
    # (livekit/agents#5251, google/adk-python#5018); it takes realtimeInput.text.
    ("3.1", "realtime_text"),
    # 2.5 native audio (Developer API and Vertex) and 3.8 accept mid-session clientContent.
    ("2.5", "client_content"),
    ("3.8", "client_content"),
)

#: For names the table does not know: realtime text is accepted by every current model,
#: while clientContent closes some sessions outright.
FALLBACK_CHANNEL: Channel = "realtime_text"


def channel_for_model(
    model: str | None, table: tuple[tuple[str, Channel], ...] = DEFAULT_MODEL_TABLE
) -> Channel:
    """Return the channel for ``model`` from ``table`` (substring match, first wins)."""
    name = (model or "").lower().removeprefix("models/")
    for needle, channel in table:
        if needle in name:
            return channel
    return FALLBACK_CHANNEL
