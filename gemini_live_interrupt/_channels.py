"""How a note is put on the wire: one function per channel, over the SDK's own session."""

from __future__ import annotations

from typing import Any

from google.genai import types
from google.genai.live import AsyncSession

from ._policy import Channel

__all__ = ["content_text", "has_context_update", "instruction_text", "send_note"]


def has_context_update() -> bool:
    """Whether the installed google-genai has ``AsyncSession.send_context_update``."""
    return hasattr(AsyncSession, "send_context_update")


def instruction_text(config: Any) -> str:
    """The system instruction of a connect config (a ``LiveConnectConfig`` or a dict) as text."""
    if config is None:
        return ""
    value = config.get("system_instruction") if isinstance(config, dict) else getattr(
        config, "system_instruction", None)
    return content_text(value)


def content_text(value: Any) -> str:
    """The text of a ``Content``, a ``Part``, their dict forms, a string, or a list of them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, types.Part):
        return value.text or ""
    if isinstance(value, types.Content):
        return "".join(content_text(p) for p in value.parts or ())
    if isinstance(value, dict):
        if "parts" in value:
            return "".join(content_text(p) for p in value.get("parts") or ())
        return str(value.get("text") or "")
    if isinstance(value, (list, tuple)):
        return "".join(content_text(v) for v in value)
    return ""


async def send_note(raw: AsyncSession, prompt: str, channel: Channel, instruction: str) -> None:
    """Send ``prompt`` by ``channel``; ``instruction`` is the base for a context update."""
    if channel == "silent_content":
        # role="model": the Developer API errors on role="system" and 3.1/3.8 close with 1007
        # on a turn without a role (livekit-plugins-google 1.8.9, realtime_api.py).
        await raw.send_client_content(
            turns=types.Content(role="model", parts=[types.Part(text=prompt)]),
            turn_complete=False,
        )
    elif channel == "client_content":
        await raw.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text=prompt)]), turn_complete=True
        )
    elif channel == "realtime_text":
        await raw.send_realtime_input(text=prompt)
    else:
        # Replaces the whole system instruction: the next note replaces this one.
        text = f"{instruction}\n\n{prompt}" if instruction else prompt
        await raw.send_context_update(system_instruction=text)
