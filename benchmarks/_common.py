"""What the benchmarks share: the model, the connect config, the story text, a loopback client.

No import of gemini_live_interrupt here: instructions.py and overhead.py also load this in a
venv holding the published 0.1.0.
"""

from __future__ import annotations

from typing import Any

#: A 2.5 native-audio model: its notes go by context update (the model table's choice).
MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
#: Spoken replies with both transcriptions, as a voice agent connects.
CONFIG: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    "output_audio_transcription": {},
    "input_audio_transcription": {},
}
TEXT = ("the small robot counted ships passing by the lighthouse every night and wrote "
        "their names in a blue notebook")


def client_for(url: str) -> Any:
    """A ``genai.Client`` for an offline server in another process (its throwaway CA is not
    at hand there, so the certificate is not checked: both arms connect the same way)."""
    import ssl

    from google import genai
    from google.genai import types

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return genai.Client(api_key="fake-key", http_options=types.HttpOptions(
        base_url=url, async_client_args={"ssl": ctx}))
