"""Shared helpers: conversations with the offline server through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.genai import live, types

from gemini_live_interrupt import disable_interrupt_resume
from gemini_live_interrupt.testing import FakeLiveServer

# Features newer than the declared lower bound of google-genai (2.0): their tests skip there.
needs_word_timestamps = pytest.mark.skipif(
    not hasattr(types, "WordInfo"), reason="this google-genai has no Transcription.words")
needs_interim_transcription = pytest.mark.skipif(
    "interim_input_transcription" not in types.LiveServerContent.model_fields,
    reason="this google-genai has no interim_input_transcription")
needs_context_update = pytest.mark.skipif(
    not hasattr(live.AsyncSession, "send_context_update"),
    reason="this google-genai has no send_context_update")

#: The 2.5 family's default channel: a context update where the SDK can send one, else the
#: fallback (model-role content, which the 2.5 answer to audio does not see).
CHANNEL_25 = "context_update" if hasattr(live.AsyncSession, "send_context_update") \
    else "silent_content"

M25 = "gemini-2.5-flash-native-audio-preview-12-2025"
M31 = "gemini-3.1-flash-live-preview"
M38 = "gemini-3.8-live"

AUDIO: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    "output_audio_transcription": {},
    "input_audio_transcription": {},
}

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks, and the robot had to decide "
    "whether to leave the lighthouse for the very first time."
)


@pytest.fixture(autouse=True)
def _no_shim_left_behind() -> Iterator[None]:
    original = live.AsyncLive.connect
    yield
    disable_interrupt_resume()
    assert live.AsyncLive.connect is original


def notes(server: FakeLiveServer) -> list[str]:
    """Texts the client sent as notes by a channel that is not user speech: clientContent turns
    (``silent_content``, ``client_content``) and context updates (less the setup's system
    instruction the update repeats)."""
    out: list[str] = []
    base = ""
    for m in server.received:
        if m.kind == "setup":
            base = _text(m.data.get("systemInstruction") or m.data.get("system_instruction"))
        elif m.kind == "client_content":
            for turn in m.data.get("turns", []):
                out += [p.get("text", "") for p in turn.get("parts", [])]
        elif m.kind == "context_update":
            text = _text(m.data.get("systemInstruction") or m.data.get("system_instruction"))
            out.append(text.removeprefix(base).lstrip("\n") if base else text)
    return out


def _text(content: Any) -> str:
    if isinstance(content, dict):
        return "".join(p.get("text", "") for p in content.get("parts", []))
    return content if isinstance(content, str) else ""
