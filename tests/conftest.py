"""Shared helpers: conversations with the offline server through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.genai import live

from gemini_live_interrupt import disable_interrupt_resume

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
