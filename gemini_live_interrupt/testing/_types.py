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
    """A scripted reply that calls a function.

    The server sends ``toolCall {functionCalls: [{id, name, args}]}``, waits for the matching
    ``toolResponse``, then speaks the next reply in the same model turn. With ``say``, the
    model first speaks it in that turn ("Let me check."), then calls the function.

    ``blocking``: ``None`` (the default) as the function is declared in the setup's tools
    (``behavior``), and when it is not, as the model runs undeclared functions
    (``Quirks.tools_non_blocking_by_default``); ``True`` or ``False`` whatever the setup says.
    A NON_BLOCKING call: the model speaks ``say``, sends the call and ends its turn without
    waiting. The response's ``scheduling`` places the answer (SDK docstring,
    ``FunctionResponseScheduling``): ``WHEN_IDLE`` (the default) after the turn being spoken,
    ``INTERRUPT`` cuts that turn (``interrupted``, ``turnComplete``) and answers at once,
    ``SILENT`` only adds the result to the context. A response with ``willContinue: true``
    leaves the call open for more.
    """

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    say: str = ""
    blocking: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.say, str):
            raise TypeError(f"ToolCall.say must be a str, got {type(self.say).__name__}")
        if self.blocking is not None and not isinstance(self.blocking, bool):
            raise TypeError(
                f"ToolCall.blocking must be a bool or None, got {type(self.blocking).__name__}")


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
        words: every word-sized piece of ``text`` with its start and end (seconds) on the
            turn's audio timeline, planned when the turn starts: the ground truth for what a
            client that played N seconds of this turn heard. (A transcription chunk holds one
            of them, or a few with :attr:`Quirks.transcript_words`.)
        delivered: transcript text the server had reached (sent, when transcription was
            requested) before the turn ended or was interrupted.
        interrupted: a barge-in stopped it (or came while its audio would still be playing).
        audio_seconds_sent: seconds of audio sent (0 in TEXT modality).
        started_at: server clock (seconds since start) when the model began generating it.
        ended_at: server clock when it ended, ``None`` while it runs.
        requested_at: server clock when the reply was asked for (the end of the user's turn,
            a realtime text, turn-completing content...): ``started_at - requested_at`` is the
            response latency.
        context: ground truth for "informed": what the model's context held when it began
            generating, ``(role, text)`` oldest first, without what the model could not see
            (:attr:`Quirks.silent_content_skips_audio_answer`).
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
    requested_at: float = 0.0
    context: Context = field(default_factory=list)

    def saw(self, text: str) -> bool:
        """Whether any entry of :attr:`context` contains ``text`` (e.g. a note's first words)."""
        return any(text in entry for _, entry in self.context)

    def heard_at(self, played: float) -> str:
        """Ground truth: the words a client that played ``played`` seconds of this turn heard.

        A word counts once its midpoint has played, the rule the session uses for ``heard``.
        """
        return heard_words(self.words, played)


@dataclass(frozen=True)
class Quirks:
    """Switchable behaviours of the real service, each tagged with its evidence (docs/testing.md
    lists the sources): *documented* (API docs or SDK docstrings), *reported* (seen by users in
    public issues or framework source) or *assumed* (nobody has shown it).

    Use :meth:`for_model` for the defaults of a model family; ``dataclasses.replace`` to change
    one. ``Quirks()`` is the 2.5 family, also used for names the table does not know.

    Attributes:
        reject_client_content: any clientContent after the conversation started closes the
            connection with 1007. Reported for 3.1 until Sept 2026 (livekit/agents#5251,
            google/adk-python#5018); off by default since livekit/agents#7289 reports 3.1
            accepting mid-session content (the 1007s came from turns without a role).
        reject_roleless_content: a clientContent turn without a ``role`` closes the connection
            with 1007. Reported for 3.1 and 3.8 (livekit-plugins-google 1.8.9,
            ``realtime_api.py``: "3.1/3.8 close with 1007 on role=None").
        reject_system_role: a clientContent turn with ``role: "system"`` closes with 1007 (the
            Developer API; reported by the same LiveKit source: "the Gemini API errors on
            role=system").
        client_content_interrupts: clientContent with turnComplete=true interrupts the current
            generation (3.8, documented). Otherwise it is answered after the current turn
            (assumed).
        client_content_waits_for_input: clientContent with turnComplete=true starts its reply
            only once some realtime input follows (audio, text, or the whitespace nudge):
            reported for 3.x by pipecat 1.14 (``llm.py`` nudges with ``realtimeInput.text=" "``).
        silent_content_skips_audio_answer: content added with turnComplete=false is not seen by
            the next answer to user *audio* (it is by later answers). Reported for 2.5 by
            pipecat 1.14 ("the first audio answer is naive").
        tool_call_turn_complete: a ``toolCall`` is followed by ``turnComplete`` at once, and the
            answer after the ``toolResponse`` is a new model turn. Reported for 2.5 by
            google-adk 2.13 (``gemini_llm_connection.py``: "Other models (e.g. 2.5-pro,
            native-audio) send turn_complete after tool calls"; ADK runs the tool only then);
            3.x sends none until the tool response (same source; google/adk-python#5407).
        tools_non_blocking_by_default: a function whose declaration gives no ``behavior`` runs
            NON_BLOCKING (3.8: "The 3.8 Live family flipped the default: function calls
            execute NON_BLOCKING unless the declaration explicitly asks for BLOCKING",
            pipecat-ai 1.14 ``gemini_live/llm.py``; livekit-plugins-google 1.8.9 declares
            NON_BLOCKING on 3.8).
        input_transcription_whole: one ``inputTranscription`` per utterance holding all of it,
            ``input_lag`` after the speech ended, instead of one per word as it is spoken.
            Reported for 3.x by google-adk 2.13 (``gemini_llm_connection.py``: "Gemini 3.x Live
            only sends a single final input transcription").
        input_transcription_finished: the last ``inputTranscription`` chunk of an utterance has
            ``finished: true``. Off by default: the service often never sets it (reported:
            googleapis/js-genai#1429).
        hold_turn_complete: turnComplete comes once the turn's audio has been sent in full,
            not once it has played out (the service's estimate of the playout ends before the
            client's does), and a barge-in while the audio would still be playing (until
            ``audio_seconds * playout_ratio / speed`` after the first chunk) is an
            interruption: ``interrupted`` then arrives *after* turnComplete (reported).
        playout_ratio: how many times longer than its generation the service assumes the
            turn takes to play out (used with ``hold_turn_complete``).
        transcript_offset: audio seconds by which output transcription chunks lag (> 0) or run
            ahead of (< 0) their audio.
        transcript_jitter: each output transcription chunk is placed up to this many audio
            seconds earlier or later than ``transcript_offset`` says, drawn per chunk (assumed:
            the service's transcription does not keep a fixed distance to its audio); chunks
            still arrive in transcript order.
        transcript_words: ``(low, high)``: each output transcription chunk holds between
            ``low`` and ``high`` words, drawn per chunk (the service sends word-sized chunks and
            sometimes a few words at once). Default ``(1, 1)``: one word per chunk.
        phantom_after_turn: send ``interrupted`` right after every turnComplete, no user
            speech involved (reported).
        audio_with_interrupted: ``interrupted`` comes in the same message as the cut turn's
            next audio chunk, which is not to be played (reported: strands-agents/harness-sdk
            #3725).
        output_after_interrupted: this many more chunks of the cut turn (audio and
            transcription, as planned) come after ``interrupted``, before its turnComplete
            (reported: livekit-plugins-google ``realtime_api.py``, "model chunks can still
            arrive after interrupted").
        freeze_after_barge_in: after a barge-in the model never answers again (reported).
        word_timestamps: fill ``outputTranscription.words`` when the setup asked for
            ``word_timestamp`` (assumed shape).
        interim_input_transcription: send ``interimInputTranscription`` while the user speaks,
            ahead of ``inputTranscription`` (documented in the SDK 3.4; shape assumed, see
            :attr:`ServiceTiming.interim_shape`).
        transcribe_realtime_text: answer ``realtimeInput.text`` with an ``inputTranscription``
            of it, as if the user had said it (assumed: whether the service does is not known).
            Off, the app's typed words reach the session only through what it sent.
        turn_complete_false_mutes: after a clientContent with turnComplete=false in a started
            conversation, realtime input no longer triggers replies (an older report,
            google-gemini/live-api-web-console#60; off by default: LiveKit and pipecat send such
            content in production on every current model).
    """

    reject_client_content: bool = False
    reject_roleless_content: bool = False
    reject_system_role: bool = True
    client_content_interrupts: bool = False
    client_content_waits_for_input: bool = False
    silent_content_skips_audio_answer: bool = True
    tool_call_turn_complete: bool = True
    tools_non_blocking_by_default: bool = False
    input_transcription_whole: bool = False
    input_transcription_finished: bool = False
    hold_turn_complete: bool = False
    playout_ratio: float = 3.0
    transcript_offset: float = 0.0
    transcript_jitter: float = 0.0
    transcript_words: tuple[int, int] = (1, 1)
    phantom_after_turn: bool = False
    audio_with_interrupted: bool = False
    output_after_interrupted: int = 0
    freeze_after_barge_in: bool = False
    word_timestamps: bool = False
    interim_input_transcription: bool = False
    turn_complete_false_mutes: bool = False
    transcribe_realtime_text: bool = True

    def __post_init__(self) -> None:
        jitter = self.transcript_jitter
        if not isinstance(jitter, int | float) or isinstance(jitter, bool) or not (
                0 <= jitter < float("inf")):
            raise ValueError(f"transcript_jitter must be >= 0 and finite, got {jitter!r}")
        late = self.output_after_interrupted
        if not isinstance(late, int) or isinstance(late, bool) or late < 0:
            raise ValueError(f"output_after_interrupted must be an int >= 0, got {late!r}")
        words = self.transcript_words
        if (not isinstance(words, tuple) or len(words) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in words)
                or not 1 <= words[0] <= words[1]):
            raise ValueError(f"transcript_words must be a pair 1 <= low <= high, got {words!r}")

    @classmethod
    def for_model(cls, name: str) -> Quirks:
        """Defaults for a model name (``"models/"`` prefix allowed).

        A 3.x name (``gemini-3...``, or containing ``3.1`` / ``3.8``): turns without a role
        are rejected, turn-completing content waits for realtime input, silent content is seen
        by the next answer; ``"3.8"`` also interrupts on turn-completing content. Anything
        else behaves like the 2.5 native-audio models.
        """
        name = name.removeprefix("models/")
        if not (name.startswith("gemini-3") or "3.1" in name or "3.8" in name):
            return cls()
        return cls(
            reject_roleless_content=True,
            client_content_waits_for_input=True,
            silent_content_skips_audio_answer=False,
            tool_call_turn_complete=False,
            input_transcription_whole=True,
            client_content_interrupts="3.8" in name,
            tools_non_blocking_by_default="3.8" in name,
        )
