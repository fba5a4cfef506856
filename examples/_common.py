"""Shared by the examples: the model, the config, and an offline client for trying them out."""

from __future__ import annotations

import os
from typing import Any

MODEL = os.environ.get("GEMINI_LIVE_MODEL", "gemini-2.5-flash-native-audio-preview-12-2025")
CONFIG: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    "output_audio_transcription": {},  # what the model says, as text: needed for `heard`
    "input_audio_transcription": {},  # what the user says, as text: needed for `user_text`
}


def real_client() -> Any:
    """``genai.Client`` for the real service, from ``GEMINI_API_KEY``."""
    from google import genai

    key = os.environ.get("GEMINI_API_KEY")
    if not key:
        raise SystemExit("set GEMINI_API_KEY, or run the examples offline: "
                         "pytest tests/test_examples.py")
    return genai.Client(api_key=key)
