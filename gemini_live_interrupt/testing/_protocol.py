"""BidiGenerateContent frames: parsing and checking client frames, building server frames.

The SDK sends a snake_case top-level key with a mix of camelCase and snake_case inside
(docs/live-api.md, "The connection"; google-genai's ``live.py`` and ``_live_converters.py``), so
every lookup here accepts both spellings at every level.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "INVALID_ARGUMENT",
    "KINDS",
    "ProtocolError",
    "b64decode",
    "camel",
    "field",
    "parse_client_frame",
    "pcm_rate",
    "server_frame",
    "snake",
]

INVALID_ARGUMENT = "Request contains an invalid argument."
"""The close reason the real service gives with code 1007."""

KINDS = ("setup", "client_content", "realtime_input", "tool_response", "context_update")
"""Client message kinds, snake_case, as :class:`ClientMessage.kind` names them."""

_REALTIME_KEYS = frozenset(
    {"media_chunks", "audio", "video", "text", "activity_start", "activity_end",
     "audio_stream_end"}
)
_CLIENT_CONTENT_KEYS = frozenset({"turns", "turn_complete"})
_TOOL_RESPONSE_KEYS = frozenset({"function_responses"})
_CONTEXT_UPDATE_KEYS = frozenset({"system_instruction", "tools"})


class ProtocolError(Exception):
    """A client frame the real service would refuse: the connection closes with ``code``."""

    def __init__(self, detail: str, *, code: int = 1007, reason: str = INVALID_ARGUMENT) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.reason = reason


_UPPER = re.compile(r"(?<!^)([A-Z])")


def snake(key: str) -> str:
    """``turnComplete`` -> ``turn_complete`` (snake_case stays as it is)."""
    return _UPPER.sub(r"_\1", key).lower()


def camel(key: str) -> str:
    """``turn_complete`` -> ``turnComplete``."""
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def field(obj: Mapping[str, Any] | None, name: str, default: Any = None) -> Any:
    """``obj[name]`` under its snake_case or camelCase spelling (``name`` is snake_case)."""
    if not obj:
        return default
    if name in obj:
        return obj[name]
    return obj.get(camel(name), default)


def _keys(obj: Mapping[str, Any]) -> set[str]:
    return {snake(k) for k in obj}


@dataclass(frozen=True)
class ClientFrame:
    """A parsed, checked client frame: its kind and inner payload as received."""

    kind: str
    data: dict[str, Any]


def _require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _check_blob(blob: Any, what: str) -> None:
    blob = _require_dict(blob, what)
    data = field(blob, "data")
    if data is not None:
        if not isinstance(data, str):
            raise ProtocolError(f"{what}.data must be a base64 string")
        try:
            b64decode(data)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(f"{what}.data is not valid base64: {exc}") from None
    mime = field(blob, "mime_type")
    if mime is not None and not isinstance(mime, str):
        raise ProtocolError(f"{what}.mimeType must be a string")


def b64decode(data: str) -> bytes:
    """Decode standard or URL-safe base64 (the SDK sends URL-safe), padding optional."""
    data = data.replace("-", "+").replace("_", "/")
    return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)


def _check(kind: str, data: dict[str, Any]) -> None:
    if kind == "setup":
        model = field(data, "model")
        if not isinstance(model, str) or not model:
            raise ProtocolError("setup.model must be a non-empty string")
        gen = field(data, "generation_config")
        if gen is not None:
            _require_dict(gen, "setup.generationConfig")
        return
    allowed = {
        "client_content": _CLIENT_CONTENT_KEYS,
        "realtime_input": _REALTIME_KEYS,
        "tool_response": _TOOL_RESPONSE_KEYS,
        "context_update": _CONTEXT_UPDATE_KEYS,
    }[kind]
    unknown = _keys(data) - allowed
    if unknown:
        raise ProtocolError(f"unknown field(s) in {kind}: {sorted(unknown)}")
    if kind == "client_content":
        turns = field(data, "turns")
        if turns is not None and not isinstance(turns, list):
            raise ProtocolError("clientContent.turns must be a list")
        for turn in turns or ():
            parts = field(_require_dict(turn, "clientContent.turns[]"), "parts")
            if parts is not None and not isinstance(parts, list):
                raise ProtocolError("clientContent.turns[].parts must be a list")
        tc = field(data, "turn_complete")
        if tc is not None and not isinstance(tc, bool):
            raise ProtocolError("clientContent.turnComplete must be a boolean")
    elif kind == "realtime_input":
        if not data:
            raise ProtocolError("realtimeInput is empty")
        text = field(data, "text")
        if text is not None and not isinstance(text, str):
            raise ProtocolError("realtimeInput.text must be a string")
        for name in ("audio", "video"):
            if field(data, name) is not None:
                _check_blob(field(data, name), f"realtimeInput.{name}")
        chunks = field(data, "media_chunks")
        if chunks is not None:
            if not isinstance(chunks, list):
                raise ProtocolError("realtimeInput.mediaChunks must be a list")
            for chunk in chunks:
                _check_blob(chunk, "realtimeInput.mediaChunks[]")
        ase = field(data, "audio_stream_end")
        if ase is not None and not isinstance(ase, bool):
            raise ProtocolError("realtimeInput.audioStreamEnd must be a boolean")
    elif kind == "tool_response":
        responses = field(data, "function_responses")
        if not isinstance(responses, list):
            raise ProtocolError("toolResponse.functionResponses must be a list")
        for r in responses:
            _require_dict(r, "toolResponse.functionResponses[]")


def parse_client_frame(raw: str | bytes) -> ClientFrame:
    """Parse one client frame: a JSON object with exactly one known key.

    Raises:
        ProtocolError: bad JSON, not one object with one known key, or an invalid field.
    """
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    obj = _require_dict(obj, "frame")
    if len(obj) != 1:
        raise ProtocolError(f"frame must hold exactly one message, got keys {sorted(obj)}")
    ((key, data),) = obj.items()
    kind = snake(key)
    if kind not in KINDS:
        raise ProtocolError(f"unknown client message {key!r}")
    data = _require_dict(data, key)
    _check(kind, data)
    return ClientFrame(kind, data)


def pcm_rate(mime_type: str | None, default: int = 16000) -> int:
    """The ``rate=`` of an ``audio/pcm;rate=16000`` MIME type."""
    m = re.search(r"rate=(\d+)", mime_type or "")
    return int(m.group(1)) if m else default


def server_frame(message: Mapping[str, Any]) -> str:
    """A server message (camelCase keys) as the text frame the service sends."""
    return json.dumps(message, separators=(",", ":"))
