"""Records and options of the offline Live server: what it saw, what it said, how it misbehaves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ._truth import heard_words

__all__ = [
    "ClientMessage",
    "Context",
    "ModelTurn",
    "Quirks",
    "Replies",
    "Reply",
    "ReplyFunction",
    "ToolCall",
]

Context: TypeAlias = list[tuple[str, str]]
"""What the scripted model "knows", oldest first: ``(role, text)`` with role ``"system"``,
``"user"``, ``"model"``, ``"tool_call"`` or ``"tool"``."""


@dataclass(frozen=True)
class ToolCall:
    """A scripted reply that calls a function instead of speaking.

    The server sends ``toolCall {functionCalls: [{id, name, args}]}``, waits for the matching
    ``toolResponse``, then speaks the next reply in the same model turn.
    """

    name: str
    args: dict[str, Any] = field(default_factory=dict)


Reply: TypeAlias = "str | ToolCall"
ReplyFunction: TypeAlias = Callable[[Context], "str | ToolCall"]
Replies: TypeAlias = "Sequence[str | ToolCall | ReplyFunction] | ReplyFunction"


@dataclass(frozen=True)
class ClientMessage:
    """One client frame as the server received it.

    Attributes:
        time: seconds since the server started (``time.monotonic`` based).
        session: the connection's number, from 0 in the order they were opened.
        kind: ``"setup"``, ``"client_content"``, ``"realtime_input"``, ``"tool_response"`` or
            ``"context_update"`` (snake_case, whatever spelling the frame used).
        data: the frame's inner payload exactly as received (keys not normalised).
    """

    time: float
    session: int
    kind: str
    data: dict[str, Any]


@dataclass
class ModelTurn:
    """One spoken (or written) model turn. The server updates it while the turn runs.

    Attributes:
        index: position in ``FakeLiveServer.turns``.
        session: the connection it was spoken on.
        text: the full scripted reply.
        cause: what started it: ``"user_audio"``, ``"realtime_text"``, ``"client_content"``,
            ``"activity"`` or ``"tool_response"``.
        words: every transcript chunk of ``text`` with its start and end (seconds) on the
            turn's audio timeline, planned when the turn starts: the ground truth for what a
            client that played N seconds of this turn heard.
        delivered: transcript text the server had reached (sent, when transcription was
            requested) before the turn ended or was interrupted.
        interrupted: a barge-in stopped it (or came while its audio would still be playing).
        audio_seconds_sent: seconds of audio sent (0 in TEXT modality).
        started_at: server clock (seconds since start) when the turn began.
        ended_at: server clock when it ended, ``None`` while it runs.
    """

    index: int
    session: int
    text: str
    cause: str
    words: list[tuple[str, float, float]]
    started_at: float
    delivered: str = ""
    interrupted: bool = False
    audio_seconds_sent: float = 0.0
    ended_at: float | None = None

    def heard_at(self, played: float) -> str:
        """Ground truth: the words a client that played ``played`` seconds of this turn heard.

        A word counts once its midpoint has played, the rule the session uses for ``heard``.
        """
        return heard_words(self.words, played)


@dataclass(frozen=True)
class Quirks:
    """Switchable behaviours of the real service (see docs/testing.md for the sources).

    Use :meth:`for_model` for the defaults of a model family; ``dataclasses.replace`` to
    change one.

    Attributes:
        reject_client_content: a clientContent after the conversation started (any realtime
            input or model turn) closes the connection with 1007 (Gemini 3.1, reported).
        client_content_interrupts: clientContent with turnComplete=true interrupts the current
            generation and is answered at once (Gemini 3.8, documented). Otherwise it is added
            to the context and answered after the current turn ends (assumed).
        hold_turn_complete: turnComplete waits until the turn's audio, paced at ``speed``,
            has been sent in full, and a barge-in while the audio would still be playing
            (until ``audio_seconds * playout_ratio / speed`` after the first chunk) is an
            interruption: ``interrupted`` then arrives *after* turnComplete (reported).
        playout_ratio: how many times longer than its generation the service assumes the
            turn takes to play out (used with ``hold_turn_complete``).
        transcript_offset: audio seconds by which output transcription chunks lag (> 0) or run
            ahead of (< 0) their audio.
        phantom_after_turn: send ``interrupted`` right after every turnComplete, no user
            speech involved (reported).
        freeze_after_barge_in: after a barge-in the model never answers again (reported).
        word_timestamps: fill ``outputTranscription.words`` when the setup asked for
            ``word_timestamp`` (assumed shape).
        interim_input_transcription: send ``interimInputTranscription`` chunks while the user
            speaks, before the final ``inputTranscription`` (assumed shape).
        turn_complete_false_mutes: after a clientContent with turnComplete=false in a started
            conversation, realtime input no longer triggers replies (reported).
    """

    reject_client_content: bool = False
    client_content_interrupts: bool = False
    hold_turn_complete: bool = False
    playout_ratio: float = 3.0
    transcript_offset: float = 0.0
    phantom_after_turn: bool = False
    freeze_after_barge_in: bool = False
    word_timestamps: bool = False
    interim_input_transcription: bool = False
    turn_complete_false_mutes: bool = True

    @classmethod
    def for_model(cls, name: str) -> Quirks:
        """Defaults for a model name (``"models/"`` prefix allowed).

        ``"3.1"`` in the name: mid-session clientContent is rejected. ``"3.8"``: clientContent
        with turnComplete interrupts. Anything else behaves like the 2.5 native-audio models.
        """
        return cls(reject_client_content="3.1" in name, client_content_interrupts="3.8" in name)
