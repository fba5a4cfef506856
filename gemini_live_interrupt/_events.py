"""The library's own events: what the core needs of a server message, and nothing more.

``events_of`` turns a ``LiveServerMessage`` into these at the edge, so the core never sees
the SDK's types and its tests build events directly. It reads the message by attribute, so
it works on every google-genai the package supports (fields added in 3.x are optional).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._timeline import parse_offset

if TYPE_CHECKING:
    from google.genai import types

__all__ = [
    "INTERRUPTED",
    "TURN_COMPLETE",
    "Event",
    "Interrupted",
    "ModelAudio",
    "ModelText",
    "ModelTranscript",
    "ToolCall",
    "ToolCallCancelled",
    "TurnComplete",
    "UserInterim",
    "UserWords",
    "events_of",
    "without_input_transcription",
]


@dataclass(frozen=True, slots=True)
class UserWords:
    """Final input transcription: the user's words (``finished``: the utterance is over)."""

    text: str
    finished: bool = False


@dataclass(frozen=True, slots=True)
class UserInterim:
    """Interim input transcription: a hypothesis the final words replace."""

    text: str


@dataclass(frozen=True, slots=True)
class ModelAudio:
    """A chunk of the model's audio: ``nbytes`` of PCM16 mono at ``rate`` Hz."""

    nbytes: int
    rate: int = 24000


@dataclass(frozen=True, slots=True)
class ModelText:
    """Text the model wrote (a text-modality turn; thoughts are left out)."""

    text: str


@dataclass(frozen=True, slots=True)
class ModelTranscript:
    """Output transcription of the model's audio; ``timings``: each word's (start, end)."""

    text: str
    timings: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True, slots=True)
class Interrupted:
    """``server_content.interrupted``: the user cut in (or the service says so)."""


@dataclass(frozen=True, slots=True)
class TurnComplete:
    """``server_content.turn_complete``: the model's turn is over."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model called tools; a note waits until they are answered."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ToolCallCancelled:
    """The service cancelled these tool calls."""

    ids: tuple[str, ...]


Event = (UserWords | UserInterim | ModelAudio | ModelText | ModelTranscript | Interrupted
         | TurnComplete | ToolCall | ToolCallCancelled)

INTERRUPTED = Interrupted()
TURN_COMPLETE = TurnComplete()


@functools.lru_cache(maxsize=32)
def _rate_of(mime_type: str) -> int:
    # "audio/pcm;rate=24000"; the Live API's output default is 24 kHz.
    for param in mime_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.strip() == "rate" and value.strip().isdigit() and int(value) > 0:
            return int(value)
    return 24000


def _timings(transcription: Any) -> tuple[tuple[float, float], ...] | None:
    words = getattr(transcription, "words", None)  # absent before google-genai 3.x
    if not words:
        return None
    out: list[tuple[float, float]] = []
    for w in words:
        start = parse_offset(getattr(w, "start_offset", None))
        end = parse_offset(getattr(w, "end_offset", None))
        if start is None or end is None:
            return None
        out.append((start, end))
    return tuple(out)


def events_of(message: types.LiveServerMessage) -> list[Event]:
    """The events in one server message, in the order the core takes them.

    User speech comes first (a transcript in the same message as ``interrupted`` belongs to
    the barge-in), then ``interrupted``, the model's output, ``turn_complete``, tool calls.
    """
    events: list[Event] = []
    content = message.server_content
    if content is not None:
        heard = content.input_transcription
        if heard is not None and (heard.text or heard.finished):
            events.append(UserWords(heard.text or "", bool(heard.finished)))
        interim = getattr(content, "interim_input_transcription", None)  # google-genai >= 3
        if interim is not None and interim.text:
            events.append(UserInterim(interim.text))
        if content.interrupted:
            events.append(INTERRUPTED)
        out = content.output_transcription
        if out is not None and out.text:
            # Before this message's audio: a transcript is tied to the audio that came with it.
            events.append(ModelTranscript(out.text, _timings(out)))
        turn = content.model_turn
        if turn is not None:
            for part in turn.parts or ():
                blob = part.inline_data
                if blob is not None and blob.data and (blob.mime_type or "").startswith("audio/"):
                    events.append(ModelAudio(len(blob.data), _rate_of(blob.mime_type or "")))
                elif part.text and not part.thought:
                    events.append(ModelText(part.text))
        if content.turn_complete:
            events.append(TURN_COMPLETE)
    call = message.tool_call
    if call is not None:
        events.append(ToolCall(tuple(fc.id or "" for fc in call.function_calls or ())))
    cancelled = message.tool_call_cancellation
    if cancelled is not None:
        events.append(ToolCallCancelled(tuple(cancelled.ids or ())))
    return events


def without_input_transcription(message: types.LiveServerMessage) -> types.LiveServerMessage | None:
    """``message`` without its input transcription (``None`` if nothing else is left): how the
    app is spared the service's transcription of our own realtime-text note."""
    content = message.server_content
    if content is None:
        return message
    update: dict[str, Any] = {"input_transcription": None}
    if hasattr(content, "interim_input_transcription"):
        update["interim_input_transcription"] = None
    stripped = message.model_copy(update={"server_content": content.model_copy(update=update)})
    if stripped.model_dump(exclude_none=True) == {"server_content": {}}:
        return None
    return stripped
