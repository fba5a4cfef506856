"""The user's words in what the app sends the model: text it types is known exactly, at once.

The service gives client content no input transcription, and whether it transcribes realtime
text is not known (docs/live-api.md), so the session takes the words from the send itself.
"""

from __future__ import annotations

from typing import Any

from google.genai import types

from ._channels import content_text

__all__ = ["sent_text", "sent_user_text"]


def sent_user_text(turns: Any, turn_complete: bool | None) -> str:
    """The user's words in client content the app sends: the text of its last turn, when that
    turn is the user's (a ``Content``, a dict, or a list of them; no role is the user's) and
    completes the turn. Earlier turns in the same call are history being replayed, and content
    that does not complete a turn is context, not something the user said now."""
    if not turn_complete or turns is None:
        return ""
    last = turns[-1] if isinstance(turns, list | tuple) and turns else turns
    if isinstance(last, str):
        return last
    role = last.get("role") if isinstance(last, dict) else getattr(last, "role", None)
    if role not in (None, "user"):
        return ""
    if isinstance(last, dict | types.Content):
        parts = last.get("parts") if isinstance(last, dict) else last.parts
        return "".join(content_text(p) for p in parts or () if not _is_thought(p))
    return ""


def sent_text(message: Any, end_of_turn: bool | None) -> str:
    """The user's words in what the app passes to the deprecated ``AsyncSession.send``."""
    if isinstance(message, types.LiveClientRealtimeInput):
        return message.text or ""
    if isinstance(message, types.LiveClientContent):
        return sent_user_text(message.turns, message.turn_complete)
    if isinstance(message, dict) and "turns" in message:
        return sent_user_text(message.get("turns"),
                              message.get("turn_complete", message.get("turnComplete")))
    if isinstance(message, list | tuple) and message and all(
            isinstance(m, str) for m in message):
        # The SDK sends a list of strings as the parts of one user turn.
        return "".join(message) if end_of_turn else ""
    return sent_user_text(message, end_of_turn)


def _is_thought(part: Any) -> bool:
    return bool(part.get("thought") if isinstance(part, dict) else getattr(part, "thought", None))
