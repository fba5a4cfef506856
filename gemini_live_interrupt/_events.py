"""The library's own events: what the core needs of a server message, and nothing more.

Treat them as immutable (they are not frozen only because a frozen dataclass is slower to
build, and one is built for every audio chunk).

``events_of`` turns a ``LiveServerMessage`` into these at the edge, so the core never sees
the SDK's types and its tests build events directly. It reads the message's fields with
defaults, so it works on every google-genai the package supports (3.x added fields).
"""

from __future__ import annotations

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
    "Resumable",
    "ToolCall",
    "ToolCallCancelled",
    "TurnComplete",
    "UserInterim",
    "UserWords",
    "events_of",
    "model_output",
    "without_input_transcription",
]


@dataclass(slots=True)
class UserWords:
    """Final input transcription: the user's words (``finished``: the utterance is over)."""

    text: str
    finished: bool = False


@dataclass(slots=True)
class UserInterim:
    """Interim input transcription: a hypothesis the final words replace."""

    text: str


@dataclass(slots=True)
class ModelAudio:
    """A chunk of the model's audio: ``nbytes`` of PCM16 mono at ``rate`` Hz."""

    nbytes: int
    rate: int = 24000


@dataclass(slots=True)
class ModelText:
    """Text the model wrote (a text-modality turn; thoughts are left out)."""

    text: str


@dataclass(slots=True)
class ModelTranscript:
    """Output transcription of the model's audio; ``timings``: each word's (start, end)."""

    text: str
    timings: tuple[tuple[float, float], ...] | None = None


@dataclass(slots=True)
class Interrupted:
    """``server_content.interrupted``: the user cut in (or the service says so)."""


@dataclass(slots=True)
class TurnComplete:
    """``server_content.turn_complete``: the model's turn is over."""


@dataclass(slots=True)
class ToolCall:
    """The model called tools; a note waits until they are answered."""

    ids: tuple[str, ...]


@dataclass(slots=True)
class ToolCallCancelled:
    """The service cancelled these tool calls."""

    ids: tuple[str, ...]


@dataclass(slots=True)
class Resumable:
    """``session_resumption_update``: a connection with ``handle`` can resume from here."""

    handle: str


Event = (UserWords | UserInterim | ModelAudio | ModelText | ModelTranscript | Interrupted
         | TurnComplete | ToolCall | ToolCallCancelled | Resumable)

INTERRUPTED = Interrupted()
TURN_COMPLETE = TurnComplete()


_RATES: dict[str | None, int] = {}
_PCM24 = "audio/pcm;rate=24000"


def _audio_rate(mime_type: str | None) -> int:
    """The sample rate of an ``audio/`` mime type ("audio/pcm;rate=24000"; the Live API's
    output default is 24 kHz), 0 for anything else. Cached in ``_RATES`` (a plain dict, not
    lru_cache: this runs for every audio chunk, and the cache call costs more than a lookup)."""
    rate = _RATES.get(mime_type)
    if rate is not None:
        return rate
    rate = 0
    if mime_type and mime_type.startswith("audio/"):
        rate = 24000
        for param in mime_type.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.strip() == "rate" and value.strip().isdigit() and int(value) > 0:
                rate = int(value)
    if len(_RATES) < 64:
        _RATES[mime_type] = rate
    return rate


def _timings(transcription: Any) -> tuple[tuple[float, float], ...] | None:
    words = transcription.__dict__.get("words")  # absent before google-genai 3.x
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


def model_output(message: types.LiveServerMessage) -> tuple[int, int] | str | None:
    """The one piece of model output ``message`` holds, if that is all it holds: ``(nbytes,
    rate)`` for an audio chunk, the text of an output transcript chunk (without word
    timestamps); else ``None`` (then ``events_of`` says what it is).

    Nearly every message is one of these: this is their short path. What the message and its
    content hold is told by the fields the wire set (pydantic's record of them), without
    reading the others; anything unexpected (a field set to null, two parts) takes the full
    path. A part is audio when its blob is, whatever else it holds, as in ``events_of``.
    Such a message can end no turn and carries no user speech.
    """
    # Each pydantic attribute read costs ~340 instructions (BaseModel defines __getattr__, so
    # CPython cannot specialise it): this reads seven for audio, six for a transcript. "One
    # field set, and it is this one" is told by the count and the field's value (a field left
    # unset is None), which costs less than comparing the set.
    try:
        if len(message.__pydantic_fields_set__) == 1:
            content = message.server_content
            if content is not None and len(content.__pydantic_fields_set__) == 1:
                turn = content.model_turn
                if turn is not None:
                    (part,) = turn.parts  # type: ignore[misc]
                    blob = part.inline_data
                    if blob is not None:
                        # One read of the blob's fields for two (a dict lookup costs far less).
                        b = blob.__dict__
                        data = b["data"]
                        mime = b["mime_type"]
                        # The Live API's one output format compares in less than it hashes
                        # (each message brings a new string).
                        rate = 24000 if mime == _PCM24 else (_RATES.get(mime) or _audio_rate(mime))
                        if data and rate:
                            return len(data), rate
                else:
                    out = content.output_transcription
                    if out is not None and len(out.__pydantic_fields_set__) == 1:
                        text = out.text
                        if text:
                            return text
    except (AttributeError, TypeError, ValueError, KeyError):
        pass  # not one part, or a shape this SDK does not have: the full path reads it
    return None


def events_of(message: types.LiveServerMessage) -> list[Event]:
    """The events in one server message, in the order the core takes them.

    User speech comes first (a transcript in the same message as ``interrupted`` belongs to
    the barge-in), then ``interrupted``, the model's output, ``turn_complete``, tool calls,
    a resumption handle.
    """
    # Fields are read from the models' __dict__: a pydantic attribute read costs ~10x a dict
    # lookup (BaseModel defines __getattr__, so CPython cannot specialise it), and this runs
    # for every message the short path (model_output) declines. .get() also covers fields an
    # older SDK lacks.
    fields = message.__dict__
    content = fields.get("server_content")
    events: list[Event] = []
    if content is not None:
        c = content.__dict__
        heard = c.get("input_transcription")
        if heard is not None:
            h = heard.__dict__
            text = h.get("text")
            if text or h.get("finished"):
                events.append(UserWords(text or "", bool(h.get("finished"))))
        interim = c.get("interim_input_transcription")  # google-genai >= 3
        if interim is not None:
            text = interim.__dict__.get("text")
            if text:
                events.append(UserInterim(text))
        if c.get("interrupted"):
            events.append(INTERRUPTED)
        out = c.get("output_transcription")
        if out is not None:
            text = out.__dict__.get("text")
            if text:
                # Before this message's audio: a transcript is tied to the audio with it.
                events.append(ModelTranscript(text, _timings(out)))
        turn = c.get("model_turn")
        if turn is not None:
            for part in turn.__dict__.get("parts") or ():
                p = part.__dict__
                blob = p.get("inline_data")
                if blob is not None:
                    b = blob.__dict__
                    data = b.get("data")
                    rate = _audio_rate(b.get("mime_type"))
                    if data and rate:
                        events.append(ModelAudio(len(data), rate))
                        continue
                text = p.get("text")
                if text and not p.get("thought"):
                    events.append(ModelText(text))
        if c.get("turn_complete"):
            events.append(TURN_COMPLETE)
    call = fields.get("tool_call")
    if call is not None:
        events.append(ToolCall(tuple(fc.id or "" for fc in call.function_calls or ())))
    cancelled = fields.get("tool_call_cancellation")
    if cancelled is not None:
        events.append(ToolCallCancelled(tuple(cancelled.ids or ())))
    update = fields.get("session_resumption_update")
    if update is not None:
        u = update.__dict__
        handle = u.get("new_handle")
        # SDK docstring: while the model generates or runs tools the service sends an empty
        # handle with resumable=false, and resuming from an older one loses data.
        if handle and u.get("resumable") is not False:
            events.append(Resumable(handle))
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
