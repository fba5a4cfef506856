"""An offline Gemini Live API server for tests, and helpers to play its audio.

``FakeLiveServer`` speaks the real BidiGenerateContent protocol over TLS on loopback, so the
unmodified ``google.genai`` SDK talks to it. Needs the ``testing`` extra (``trustme``).
"""

from ._audio import user_audio
from ._server import FakeLiveServer
from ._speaker import SimulatedSpeaker
from ._timing import ServiceTiming
from ._types import ClientMessage, Context, ModelTurn, Quirks, ReplyFunction, ToolCall

__all__ = [
    "ClientMessage",
    "Context",
    "FakeLiveServer",
    "ModelTurn",
    "Quirks",
    "ReplyFunction",
    "ServiceTiming",
    "SimulatedSpeaker",
    "ToolCall",
    "user_audio",
]
