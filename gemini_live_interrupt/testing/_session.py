"""One Live session of the offline server, sans I/O: frames and the clock in, frames out.

Like websockets' protocol objects, :class:`ServerSession` never touches a socket or a loop.
The transport feeds it each client frame (:meth:`~ServerSession.receive_frame`) and the time
(:meth:`~ServerSession.advance`, at :attr:`~ServerSession.deadline`), sends what
:meth:`~ServerSession.data_to_send` returns, and closes the socket when :attr:`~ServerSession.close`
is set. Every behaviour of the scripted service lives here: the VAD, the user's transcription,
the model's replies and their pacing, the quirks, and the timings.
"""

from __future__ import annotations

import base64
import heapq
import json
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ._model import (
    OUTPUT_RATE,
    SpokenChunk,
    ToneGenerator,
    duration_string,
    speak,
)
from ._protocol import ProtocolError, b64decode, field, parse_client_frame, pcm_rate, server_frame
from ._script import Script
from ._timing import draw
from ._types import ClientMessage, Context, ModelTurn, Quirks, ToolCall
from ._vad import EnergyVAD

__all__ = ["ServerSession", "content_text"]

logger = logging.getLogger("gemini_live_interrupt.testing")

_AUDIO_MIME = f"audio/pcm;rate={OUTPUT_RATE}"
_AUDIO_TOKENS_PER_SECOND = 25  # Gemini counts audio at 25 tokens a second (documented)


def content_text(content: Any) -> str:
    """The text of a ``Content`` (``{"parts": [{"text": ...}]}``), a list of them, or a str."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(content_text(c) for c in content)
    if isinstance(content, dict):
        parts = field(content, "parts")
        if parts is not None:
            return "".join(content_text(p) for p in parts)
        text = field(content, "text")
        return text if isinstance(text, str) else ""
    return ""


class _Timer:
    __slots__ = ("action", "cancelled")

    def __init__(self, action: Callable[[float], None]) -> None:
        self.action = action
        self.cancelled = False


@dataclass
class _Reply:
    """One reply being produced, from the request to its turnComplete."""

    cause: str
    requested_at: float
    phase: str = "waiting"  # waiting -> (tool ->) speaking -> (playing | holding ->) done
    turn: ModelTurn | None = None
    timer: _Timer | None = None
    tool_call_id: str = ""
    tool_name: str = ""
    then_call: ToolCall | None = None  # the call its spoken words lead up to
    plan: list[tuple[float, int, int]] = dataclass_field(default_factory=list)
    chunks: list[SpokenChunk] = dataclass_field(default_factory=list)
    pieces: list[tuple[int, int]] = dataclass_field(default_factory=list)  # words per message
    step: int = 0
    t0: float = 0.0
    total: float = 0.0
    playout_end: float = 0.0  # until when the turn's audio would still be playing
    late: float = 0.0  # server seconds the output is behind its plan (its pauses)
    played_out_at: float = 0.0  # when a real-time player started at the first chunk has
    # played all that was sent (later for each underrun)


@dataclass
class _Utterance:
    """User speech in progress: its words and how far the user has got through them."""

    transcript: str
    words: list[SpokenChunk]
    lag: float
    interim_lag: float
    spoken: int = 0  # words spoken so far
    speech_seconds: float = 0.0  # audio seconds of speech so far
    last_speech_at: float = 0.0
    interim: str = ""
    barge_in: _Timer | None = None  # the VAD's interrupt, still on its way


class ServerSession:
    """The service side of one connection, as a synchronous state machine.

    Args:
        script: the server's shared script, settings and records.
        index: the connection's number (0, 1, ...).
        now: the server clock at connection time.
    """

    def __init__(self, script: Script, index: int, now: float) -> None:
        self.script = script
        self.index = index
        self.close: tuple[int, str] | None = None
        """``(code, reason)`` once the session wants the socket closed."""
        self.closed = False
        self.context: Context = []
        self.quirks = Quirks()
        self._out: list[str | bytes] = []
        self._timers: list[tuple[float, int, _Timer]] = []
        self._seq = 0
        self._now = now
        self._set_up = False
        self.audio_out = True
        self.output_transcription = False
        self.input_transcription = False
        self.word_timestamps = False
        self.resumption = False
        self.auto_vad = True
        self.barge_in_enabled = True
        self.started = False  # any realtime input or model turn yet
        self.muted = False
        self.frozen = False
        self._hidden: list[tuple[str, str]] = []  # silent content the next audio answer misses
        self._awaiting_input = False  # turn-completing content waits for realtime input (3.x)
        self._reply: _Reply | None = None
        self._playing: _Reply | None = None
        self._pending: deque[str] = deque()
        self._speech: _Utterance | None = None
        self._vad = EnergyVAD(script.timing.silence)
        self._activity = False  # between activityStart and activityEnd
        self._handles = 0
        self._calls = 0
        self._open_calls: dict[str, str] = {}  # NON_BLOCKING calls not answered yet: id -> name
        self._behaviors: dict[str, str] = {}  # the setup's declared function behaviors
        self._tone = ToneGenerator()

    # -- the transport's interface -----------------------------------------------------------

    @property
    def deadline(self) -> float | None:
        """The server clock at which :meth:`advance` has something to do, if any."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def data_to_send(self) -> list[str | bytes]:
        """Frames to send, in order, since the last call."""
        out, self._out = self._out, []
        return out

    def receive_frame(self, raw: str | bytes, now: float) -> None:
        """One client frame. A protocol violation sets :attr:`close` (1007, as the service)."""
        if self.close is not None or self.closed:
            return
        # The frame goes before work that is overdue: overdue means the event loop (shared
        # with the client in tests) ran late, and the client could not have seen that output.
        self._now = max(self._now, now)
        try:
            self._frame(raw, now)
        except ProtocolError as exc:
            logger.warning("session %d: protocol violation: %s", self.index, exc.detail)
            self._request_close(exc.code, exc.reason)
        self.advance(now)

    def advance(self, now: float) -> None:
        """Run what is due by ``now`` (model chunks, transcription, replies), in order.

        Work that this call schedules waits for the next call, so a server that runs late sends
        its backlog one step per pass of the event loop, not in one burst (as the real service
        does while it generates).
        """
        last = self._seq
        while not self.closed and self.close is None:
            deadline = self.deadline
            if deadline is None or deadline > now or self._timers[0][1] > last:
                break
            at, _, timer = heapq.heappop(self._timers)
            self._now = max(self._now, at)
            timer.cancelled = True  # spent: a timer runs once
            timer.action(at)
        self._now = max(self._now, now)

    def send_message(self, message: dict[str, Any]) -> None:
        """Queue a server message from outside the script (goAway, a phantom interrupt)."""
        self._send(message)

    def connection_closed(self, now: float) -> None:
        """The socket is gone: stop, and stamp the end of a turn that was running."""
        self.closed = True
        self._timers.clear()
        reply = self._reply
        if reply is not None and reply.turn is not None and reply.turn.ended_at is None:
            reply.turn.ended_at = now
            self.script.on_change()

    # -- plumbing ----------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        if not self.closed and self.close is None:
            self._out.append(server_frame(message))

    def _request_close(self, code: int, reason: str) -> None:
        if self.close is None:
            logger.info("session %d: closing with %d (%s)", self.index, code, reason)
            self.close = (code, reason)
            self._timers.clear()

    def _at(self, when: float, action: Callable[[float], None]) -> _Timer:
        timer = _Timer(action)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, timer))
        return timer

    def _later(self, seconds: float) -> float:
        """The server clock ``seconds`` of real time from now, at the server's speed."""
        return self._now + seconds / self.script.speed

    def _changed(self) -> None:
        self.script.on_change()

    # -- client frames -----------------------------------------------------------------------

    def _frame(self, raw: str | bytes, now: float) -> None:
        frame = parse_client_frame(raw)
        self.script.record(ClientMessage(now, self.index, frame.kind, frame.data))
        if not self._set_up:
            if frame.kind != "setup":
                raise ProtocolError(f"first message must be setup, got {frame.kind}")
            self._setup(frame.data)
            self._set_up = True
            self._send({"setupComplete": {"sessionId": f"fake-session-{self.index}"}})
            return
        if frame.kind == "setup":
            raise ProtocolError("setup sent twice")
        if frame.kind == "client_content":
            self._client_content(frame.data)
        elif frame.kind == "realtime_input":
            self._realtime_input(frame.data)
        elif frame.kind == "tool_response":
            self._tool_response(frame.data)
        else:
            self._context_update(frame.data)

    def _setup(self, data: dict[str, Any]) -> None:
        model = str(field(data, "model")).removeprefix("models/")
        self.quirks = self.script.quirks_for(model)
        modalities = field(field(data, "generation_config") or {}, "response_modalities")
        self.audio_out = not any(str(m).upper() == "TEXT" for m in modalities or ())
        out = field(data, "output_audio_transcription")
        self.output_transcription = out is not None
        self.word_timestamps = isinstance(out, dict) and bool(field(out, "word_timestamp"))
        self.input_transcription = field(data, "input_audio_transcription") is not None
        ric = field(data, "realtime_input_config") or {}
        aad = field(ric, "automatic_activity_detection") or {}
        self.auto_vad = not field(aad, "disabled", False)
        silence_ms = field(aad, "silence_duration_ms")
        if isinstance(silence_ms, int | float) and silence_ms > 0:
            self._vad.silence_seconds = silence_ms / 1000  # the client's choice, as the service
        self.barge_in_enabled = field(ric, "activity_handling") != "NO_INTERRUPTION"
        self._behaviors = {
            str(field(d, "name")): str(field(d, "behavior")).upper()
            for tool in field(data, "tools") or () if isinstance(tool, dict)
            for d in field(tool, "function_declarations") or () if field(d, "behavior")}
        resumption = field(data, "session_resumption")
        self.resumption = resumption is not None
        handle = field(resumption, "handle") if isinstance(resumption, dict) else None
        system = content_text(field(data, "system_instruction"))
        if handle:
            restored = self.script.resume(str(handle))
            if restored is None:
                # Assumed: the real service's answer to an unknown handle is not documented.
                raise ProtocolError(f"unknown session resumption handle {handle!r}")
            self.context = restored
            self.started = any(role != "system" for role, _ in restored)
            if system:
                self._set_system(system)
        elif system:
            self.context = [("system", system)]
        self.script.latest_context = self.context
        self._changed()
        logger.info("session %d: setup for %s (audio=%s)", self.index, model, self.audio_out)

    def _set_system(self, text: str) -> None:
        self.context[:] = [e for e in self.context if e[0] != "system"]
        self.context.insert(0, ("system", text))
        self._changed()

    def _client_content(self, data: dict[str, Any]) -> None:
        q = self.quirks
        if q.reject_client_content and self.started:
            raise ProtocolError("clientContent after the conversation started")
        added: list[tuple[str, str]] = []
        for turn in field(data, "turns") or ():
            role = field(turn, "role")
            if role is None and q.reject_roleless_content:
                raise ProtocolError("clientContent turn without a role")
            if role == "system" and q.reject_system_role:
                raise ProtocolError("clientContent turn with role 'system'")
            text = content_text(turn)
            if text:
                added.append(("model" if role == "model" else "user", text))
        self.context += added
        self._changed()
        if field(data, "turn_complete", False) is True:
            if q.client_content_interrupts:
                self._interrupt(self._now)  # documented for 3.8: it cuts the current reply
            if q.client_content_waits_for_input:
                self._awaiting_input = True  # reported for 3.x: realtime input starts it
            else:
                self._request("client_content")
            return
        if q.silent_content_skips_audio_answer:
            self._hidden += added
        if self.started and q.turn_complete_false_mutes:
            self.muted = True

    def _realtime_input(self, data: dict[str, Any]) -> None:
        self.started = True
        text = field(data, "text")
        if self._awaiting_input:
            self._awaiting_input = False
            self._request("client_content")
        if field(data, "activity_start") is not None:
            self._vad.reset()
            self._activity = True
            self._speech_start(self._now, lag=0.0)
        audio = field(data, "audio")
        if audio is not None:
            self._audio(audio)
        for chunk in field(data, "media_chunks") or ():
            if str(field(chunk, "mime_type") or "audio/pcm").startswith("audio/"):
                self._audio(chunk)
        if text is not None:
            self._text(text)
        if field(data, "activity_end") is not None:
            self._vad.reset()
            self._activity = False
            self._speech_end("activity")
        if field(data, "audio_stream_end") and self._speech is not None:
            self._vad.reset()
            self._speech_end("user_audio")

    def _audio(self, blob: dict[str, Any]) -> None:
        pcm = b64decode(field(blob, "data") or "")
        rate = pcm_rate(field(blob, "mime_type"))
        seconds = len(pcm) / 2 / rate
        if not self.auto_vad:
            if self._activity and self._speech is not None:
                self._spoke(seconds)  # the client says the user is speaking
            return
        event = self._vad.feed(pcm, rate)
        if event == "start":
            self._speech_start(self._now, lag=draw(self.script.timing.interrupt_lag,
                                                   self.script.rng))
        if self._speech is not None and self._vad.speaking and self._vad.loud:
            self._spoke(seconds)
        if event == "end":
            self._speech_end("user_audio")

    def _text(self, text: str) -> None:
        if not text.strip():
            # Reported (pipecat 1.14 on 3.x): whitespace is a nudge, not speech: no barge-in,
            # no transcription; it starts a reply when none is running (the turn-completing
            # content it may follow was handled above).
            if self._reply is None:
                self._request("nudge")
            return
        self._barge_in(self._now)
        if self.input_transcription and self.quirks.transcribe_realtime_text:
            # Assumed: whether the service transcribes realtimeInput.text is not known.
            self._send({"serverContent": {"inputTranscription": {"text": text}}})
        self.context.append(("user", text))
        self._changed()
        # Reported: realtimeInput.text always triggers a reply (livekit/agents#5238).
        self._request("realtime_text")

    def _tool_response(self, data: dict[str, Any]) -> None:
        reply = self._reply
        for response in field(data, "function_responses") or ():
            call_id = str(field(response, "id"))
            if call_id in self._open_calls:
                self._non_blocking_response(response, call_id)
                continue
            if reply is None or reply.phase != "tool" or call_id != reply.tool_call_id:
                logger.info("session %d: toolResponse for unknown call %r", self.index, call_id)
                continue
            name = str(field(response, "name") or "") or reply.tool_name
            self.context.append(("tool", f"{name}: {json.dumps(field(response, 'response'))}"))
            self._changed()
            reply.phase = "waiting"
            reply.cause = "tool_response"
            reply.requested_at = self._now
            reply.timer = self._at(self._latency(), self._begin)

    def _non_blocking_response(self, response: dict[str, Any], call_id: str) -> None:
        """The answer to a NON_BLOCKING call, placed by its ``scheduling`` (SDK docstring,
        ``FunctionResponseScheduling``; how the service words the cut is assumed: as any)."""
        name = self._open_calls[call_id]
        if not field(response, "will_continue"):
            del self._open_calls[call_id]
        result = field(response, "response")
        self.context.append((
            "tool", f"{str(field(response, 'name') or '') or name}: {json.dumps(result)}"))
        self._changed()
        # The SDK's field, or a key of the response itself, where the Live API's tool guide
        # puts it (https://ai.google.dev/gemini-api/docs/live-tools).
        scheduling = field(response, "scheduling") or (
            result.get("scheduling") if isinstance(result, dict) else None)
        scheduling = str(scheduling or "WHEN_IDLE").upper()
        if scheduling == "SILENT":
            return
        reply = self._reply
        if scheduling == "INTERRUPT" and reply is not None and reply.phase in (
                "speaking", "playing", "holding"):
            # Assumed: a turn whose turnComplete is still held (its audio still playing) is
            # as ongoing as one still generating.
            self._finish(reply, interrupted=True, by_user=False)
        self._request("tool_response")

    def _context_update(self, data: dict[str, Any]) -> None:
        # Documented (SDK 3.4 docstring): replaces the system instruction; starts no turn.
        system = field(data, "system_instruction")
        if system is not None:
            self._set_system(content_text(system))

    # -- the user's speech -------------------------------------------------------------------

    def _speech_start(self, now: float, *, lag: float) -> None:
        if self._speech is not None:
            return
        timing, rng = self.script.timing, self.script.rng
        transcript = self.script.next_user_transcript()
        self._speech = _Utterance(
            transcript, speak(transcript), lag=draw(timing.input_lag, rng),
            interim_lag=draw(timing.interim_lag, rng), last_speech_at=now,
        )
        if lag <= 0:
            self._barge_in(now)
        else:
            # Reported (pipecat#3381): interrupted comes 50-100 ms after speech starts; the
            # model keeps generating until then.
            self._speech.barge_in = self._at(self._later(lag), self._barge_in)

    def _spoke(self, seconds: float) -> None:
        """``seconds`` more of the user's speech: the words it covered are now spoken."""
        speech = self._speech
        assert speech is not None
        speech.speech_seconds += seconds
        speech.last_speech_at = self._now
        n = speech.spoken
        while n < len(speech.words) and speech.words[n].end <= speech.speech_seconds + 1e-9:
            n += 1
        self._transcribe_words(speech, n, self._now)

    def _transcribe_words(self, speech: _Utterance, upto: int, spoken_at: float) -> None:
        """Schedule the transcription of words ``speech.spoken`` .. ``upto`` spoken at
        ``spoken_at``: each trails its speech by the utterance's lag (reported 0.5-2 s)."""
        for i in range(speech.spoken, upto):
            word = speech.words[i].text
            last = i == len(speech.words) - 1
            if self.input_transcription and not self.quirks.input_transcription_whole:
                final: dict[str, Any] = {"text": word}
                if last and self.quirks.input_transcription_finished:
                    final["finished"] = True
                self._at(max(self._now, spoken_at + speech.lag / self.script.speed),
                         self._sender({"serverContent": {"inputTranscription": final}}))
            if self.quirks.interim_input_transcription:
                speech.interim += word
                text = speech.interim if self.script.timing.interim_shape == "cumulative" else word
                self._at(max(self._now, spoken_at + speech.interim_lag / self.script.speed),
                         self._sender({"serverContent": {
                             "interimInputTranscription": {"text": text}}}))
        speech.spoken = max(speech.spoken, upto)

    def _sender(self, message: dict[str, Any]) -> Callable[[float], None]:
        return lambda _now: self._send(message)

    def _speech_end(self, cause: str) -> None:
        speech, self._speech = self._speech, None
        if speech is None:
            return
        if speech.barge_in is not None and not speech.barge_in.cancelled:
            # The VAD detected the speech before its end: its interrupt cannot come later
            # and cancel the reply to this very utterance.
            speech.barge_in.cancelled = True
            self._barge_in(self._now)
        # Words not yet covered by the speech audio were said by its end.
        self._transcribe_words(speech, len(speech.words), speech.last_speech_at)
        if self.input_transcription and self.quirks.input_transcription_whole and speech.words:
            whole: dict[str, Any] = {"text": speech.transcript}
            if self.quirks.input_transcription_finished:
                whole["finished"] = True
            self._at(max(self._now, speech.last_speech_at + speech.lag / self.script.speed),
                     self._sender({"serverContent": {"inputTranscription": whole}}))
        if speech.transcript:
            self.context.append(("user", speech.transcript))
            self._changed()
        self._request(cause)

    # -- interruptions -----------------------------------------------------------------------

    def _barge_in(self, now: float) -> None:
        """User speech started: interrupt the model unless activity handling forbids it."""
        if self.barge_in_enabled:
            self._interrupt(now)

    def _interrupt(self, now: float) -> None:
        reply = self._reply
        if reply is not None:
            self._pending.clear()
            if reply.timer is not None:
                reply.timer.cancelled = True
            if reply.phase == "waiting":
                # Assumed: a reply not begun yet is dropped without a word; the user's new
                # turn asks for its own.
                self._reply = None
            elif reply.phase == "tool":
                self._send({"toolCallCancellation": {"ids": [reply.tool_call_id]}})
                # The words said before the call may still be playing.
                sounding = reply.turn is not None and now < reply.playout_end
                if not self.quirks.tool_call_turn_complete:
                    # Assumed: the turn still open (3.x) ends as any cut turn; on 2.5 it has
                    # ended already, and a second turnComplete would end the app's next turn.
                    self._send({"serverContent": {"interrupted": True}})
                    self._turn_complete(reply)
                elif sounding:
                    # As after any turnComplete while its audio plays (reported, below).
                    self._send({"serverContent": {"interrupted": True}})
                if sounding and reply.turn is not None:
                    reply.turn.interrupted = True
                self._reply = None
                self._after_barge_in()
            else:
                self._finish(reply, interrupted=True)
            return
        playing, self._playing = self._playing, None
        if playing is not None and playing.turn is not None and now < playing.playout_end:
            # Reported (livekit/agents): interrupted after turnComplete while audio still plays.
            playing.turn.interrupted = True
            self._send({"serverContent": {"interrupted": True}})
            self._after_barge_in()

    def _after_barge_in(self) -> None:
        if self.quirks.freeze_after_barge_in:
            # Reported: gemini-live-api-examples#52, the model never answers again.
            self.frozen = True
        self._changed()

    # -- the scripted model ------------------------------------------------------------------

    def _latency(self) -> float:
        return self._later(draw(self.script.timing.response_latency, self.script.rng))

    def _request(self, cause: str) -> None:
        """Ask for a reply: after the response latency, or after the current one."""
        if self.frozen:
            logger.info("session %d: frozen, not answering (%s)", self.index, cause)
            return
        if self.muted and cause != "client_content":
            logger.info("session %d: muted, not answering (%s)", self.index, cause)
            return
        if self._reply is not None:
            # Assumed: input that does not interrupt is answered after the current turn.
            self._pending.append(cause)
            return
        self._playing = None
        reply = self._reply = _Reply(cause, requested_at=self._now)
        reply.timer = self._at(self._latency(), self._begin)

    def _visible_context(self, cause: str) -> Context:
        if cause in ("user_audio", "activity") and self._hidden:
            hidden = list(self._hidden)
            seen: Context = []
            for entry in self.context:
                if entry in hidden:
                    hidden.remove(entry)
                else:
                    seen.append(entry)
            return seen
        return list(self.context)

    def _begin(self, now: float) -> None:
        reply = self._reply
        assert reply is not None
        reply.timer = None
        self.started = True
        if self.resumption:
            # SDK docstring (LiveServerSessionResumptionUpdate.resumable): while the model
            # generates or runs tools, "we send update empty new_handle and resumable=false".
            self._send({"sessionResumptionUpdate": {"resumable": False}})
        seen = self._visible_context(reply.cause)
        self._hidden.clear()
        answer = self.script.next_reply(seen)
        if isinstance(answer, ToolCall):
            if answer.say:
                reply.then_call = answer
                self._speak(reply, answer.say, seen, now)
            elif self._blocks(answer):
                self._call(reply, answer)
            else:
                # A NON_BLOCKING call and nothing said: the call is the whole turn.
                self._open_calls[self._send_call(answer)] = answer.name
                self._turn_complete(reply)
                self._reply = None
                self._changed()
                if self._pending:
                    self._request(self._pending.popleft())
            return
        self._speak(reply, answer, seen, now)

    def _blocks(self, call: ToolCall) -> bool:
        """Whether the model waits for ``call``'s answer."""
        if call.blocking is not None:
            return call.blocking
        declared = self._behaviors.get(call.name)
        if declared in ("BLOCKING", "NON_BLOCKING"):
            return declared == "BLOCKING"
        return not self.quirks.tools_non_blocking_by_default

    def _send_call(self, call: ToolCall) -> str:
        """Send ``toolCall`` for ``call``; returns its id."""
        self._calls += 1
        call_id = f"call-{self.index}-{self._calls}"
        self.context.append(("tool_call", f"{call.name}({json.dumps(call.args)})"))
        self._changed()
        self._send({"toolCall": {"functionCalls": [
            {"id": call_id, "name": call.name, "args": call.args}]}})
        return call_id

    def _call(self, reply: _Reply, call: ToolCall) -> None:
        reply.phase = "tool"
        reply.tool_call_id = self._send_call(call)
        reply.tool_name = call.name
        if self.quirks.tool_call_turn_complete:
            self._turn_complete(reply)

    def _spoke_before_call(self, reply: _Reply, now: float) -> None:
        """The words said before a tool call are out: their record ends, the call goes."""
        call, turn = reply.then_call, reply.turn
        assert call is not None and turn is not None
        reply.then_call = None
        turn.ended_at = now
        if turn.delivered:
            self.context.append(("model", turn.delivered))
        self._call(reply, call)

    def _pieces(self, n: int) -> list[tuple[int, int]]:
        """The words ``[first, last)`` of each transcription message: one word each, or
        ``Quirks.transcript_words`` drawn per message."""
        low, high = self.quirks.transcript_words
        if not self.audio_out or high == 1:
            return [(i, i + 1) for i in range(n)]
        pieces: list[tuple[int, int]] = []
        i = 0
        while i < n:
            size = self.script.rng.randint(low, high)
            pieces.append((i, min(n, i + size)))
            i += size
        return pieces

    def _plan(self, chunks: list[SpokenChunk], total: float,
              pieces: list[tuple[int, int]]) -> list[tuple[float, int, int]]:
        """(audio time, kind, index) in sending order; kind 0 = transcript, 1 = audio."""
        plan: list[tuple[float, int, int]] = []
        if self.audio_out:
            step = self.script.chunk_seconds
            plan += [(k * step, 1, k) for k in range(math.ceil(total / step - 1e-9))]
            offset, jitter = self.quirks.transcript_offset, self.quirks.transcript_jitter
            at = 0.0
            for i, (first, _) in enumerate(pieces):
                shift = self.script.rng.uniform(-jitter, jitter) if jitter else 0.0
                # A piece never overtakes the one before it: the transcript keeps its order.
                at = max(at, chunks[first].start + offset + shift, 0.0)
                plan.append((at, 0, i))
        else:
            plan += [(c.start, 0, i) for i, c in enumerate(chunks)]
        plan.sort()
        return plan

    def _speak(self, reply: _Reply, text: str, seen: Context, now: float) -> None:
        chunks = speak(text)
        total = chunks[-1].end if chunks else 0.0
        turn = ModelTurn(
            index=len(self.script.turns), session=self.index, text=text, cause=reply.cause,
            words=[(c.text, c.start, c.end) for c in chunks], started_at=now,
            requested_at=reply.requested_at, context=seen,
        )
        reply.turn, reply.chunks, reply.total = turn, chunks, total
        reply.pieces = self._pieces(len(chunks))
        reply.plan = self._plan(chunks, total, reply.pieces)
        reply.phase = "speaking"
        reply.step = 0
        reply.late = 0.0
        reply.t0 = now
        reply.playout_end = now + total * self.quirks.playout_ratio / self.script.speed
        self.script.add_turn(turn)
        self._step(now)

    def _step(self, now: float) -> None:
        """Send the next planned chunk if it is due, and arm the timer for the one after."""
        reply = self._reply
        assert reply is not None and reply.turn is not None
        speed = self._output_pace()
        if reply.step < len(reply.plan):
            at, kind, i = reply.plan[reply.step]
            when = reply.t0 + reply.late + at / speed
            if when <= now:
                reply.step += 1
                if kind == 1:
                    samples = self._audio_chunk(reply, i)
                    reply.played_out_at = (max(reply.played_out_at, now)
                                           + samples / OUTPUT_RATE / self.script.speed)
                    timing = self.script.timing
                    if timing.output_pauses and self.script.rng.random() < timing.output_pauses:
                        reply.late += draw(timing.output_pause, self.script.rng) / self.script.speed
                else:
                    self._transcript_piece(reply, i)
                self._changed()
            if reply.step < len(reply.plan):
                reply.timer = self._at(reply.t0 + reply.late + reply.plan[reply.step][0] / speed,
                                       self._step)
                return
        call = reply.then_call
        if call is not None and self._blocks(call):
            # Assumed: the call follows the words before it with no generationComplete (the
            # generation goes on after the tool's answer).
            self._spoke_before_call(reply, now)
            return
        if call is not None:
            # A NON_BLOCKING call ends what the model says and the turn goes on to its end
            # without waiting (livekit-plugins-google 1.8.9 takes a toolCall as the end of its
            # generation, and drops one that comes before any output: "received tool call but
            # no active generation").
            reply.then_call = None
            self._open_calls[self._send_call(call)] = call.name
        self._send({"serverContent": {"generationComplete": True}})
        # The turn plays out in real time from its first chunk (later where the output paused
        # longer than what was queued); the service waits for that before turnComplete (SDK
        # docstring, LiveServerContent.generation_complete: "When model assumes realtime
        # playback there will be delay between generation_complete and turn_complete that is
        # caused by model waiting for playback to finish"), and a barge-in until then
        # interrupts the turn. With hold_turn_complete it comes once the audio has been sent
        # in full, not played: the service's estimate of the playout ended before the
        # client's did (reported).
        ends = (reply.t0 + reply.late + reply.total / speed if self.quirks.hold_turn_complete
                else reply.played_out_at)
        if now >= ends:
            self._finish(reply, interrupted=False)
            return
        reply.phase = "holding" if self.quirks.hold_turn_complete else "playing"
        reply.timer = self._at(ends, lambda _now: self._finish(reply, interrupted=False))

    def _audio_chunk(self, reply: _Reply, i: int, **content: Any) -> int:
        """Send audio chunk ``i`` of the reply (with ``content`` in the same message); returns
        its samples."""
        assert reply.turn is not None
        step = self.script.chunk_seconds
        samples = round(min(step, reply.total - i * step) * OUTPUT_RATE)
        pcm = self._tone.take(samples)
        self._send({"serverContent": {"modelTurn": {"parts": [{"inlineData": {
            "mimeType": _AUDIO_MIME, "data": base64.b64encode(pcm).decode()}}]}, **content}})
        reply.turn.audio_seconds_sent += samples / OUTPUT_RATE
        return samples

    def _cut_output(self, reply: _Reply) -> None:
        """``interrupted`` for the reply being spoken, with what the quirks send beside it."""
        assert reply.turn is not None
        rest = reply.plan[reply.step:] if reply.phase == "speaking" else []
        audio = next((k for k, (_, kind, _) in enumerate(rest) if kind == 1), None)
        if self.quirks.audio_with_interrupted and audio is not None:
            # Reported (strands-agents/harness-sdk#3725): the flag rides on an audio chunk.
            self._audio_chunk(reply, rest.pop(audio)[2], interrupted=True)
        else:
            self._send({"serverContent": {"interrupted": True}})
        # Reported (livekit-plugins-google realtime_api.py): chunks still come after it.
        for _, kind, i in rest[:self.quirks.output_after_interrupted]:
            if kind == 1:
                self._audio_chunk(reply, i)
            else:
                self._transcript_piece(reply, i)

    def _transcript_piece(self, reply: _Reply, i: int) -> None:
        assert reply.turn is not None
        first, last = reply.pieces[i]
        self._transcript_chunk(reply.turn, reply.chunks[first:last])

    def _output_pace(self) -> float:
        """Audio seconds of output sent per second of the server clock (inf: all at once)."""
        return self.script.speed * self.script.timing.output_speed

    def _transcript_chunk(self, turn: ModelTurn, words: list[SpokenChunk]) -> None:
        text = "".join(w.text for w in words)
        turn.delivered += text
        if not self.audio_out:
            self._send({"serverContent": {"modelTurn": {"parts": [{"text": text}]}}})
        elif self.output_transcription:
            transcription: dict[str, Any] = {"text": text}
            if self.word_timestamps and self.quirks.word_timestamps:
                transcription["words"] = [{
                    "word": w.text.strip(),
                    "startOffset": duration_string(w.start),
                    "endOffset": duration_string(w.end),
                } for w in words]
            self._send({"serverContent": {"outputTranscription": transcription}})

    def _usage(self, reply: _Reply) -> dict[str, Any]:
        """Plausible token counts for ``usageMetadata`` (about 4 characters a text token)."""
        prompt = sum(len(text) for _, text in self.context) // 4 + 1
        turn = reply.turn
        text_tokens = len(turn.delivered) // 4 if turn is not None else 0
        audio_tokens = round((turn.audio_seconds_sent if turn else 0) * _AUDIO_TOKENS_PER_SECOND)
        response = text_tokens + audio_tokens
        details = ([{"modality": "AUDIO", "tokenCount": audio_tokens}] if self.audio_out
                   else [{"modality": "TEXT", "tokenCount": text_tokens}])
        return {
            "promptTokenCount": prompt,
            "responseTokenCount": response,
            "totalTokenCount": prompt + response,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
            "responseTokensDetails": details,
        }

    def _turn_complete(self, reply: _Reply) -> None:
        # Reported (pipecat 1.14 warns, LiveKit emits no metrics without it): usageMetadata
        # comes with each turnComplete.
        self._send({"serverContent": {"turnComplete": True}, "usageMetadata": self._usage(reply)})

    def _finish(self, reply: _Reply, *, interrupted: bool, by_user: bool = True) -> None:
        turn = reply.turn
        assert turn is not None
        if reply.timer is not None:
            reply.timer.cancelled = True
        if interrupted and reply.phase == "holding":
            # Generation had finished: the held turnComplete goes first (reported ordering).
            self._turn_complete(reply)
            self._send({"serverContent": {"interrupted": True}})
        elif interrupted:
            # SDK docs: an interrupted turn has no generationComplete; interrupted, turnComplete.
            self._cut_output(reply)
            self._turn_complete(reply)
        else:
            self._turn_complete(reply)
        reply.phase = "done"
        self._reply = None
        turn.interrupted = interrupted
        turn.ended_at = self._now
        if turn.delivered:
            self.context.append(("model", turn.delivered))
        if interrupted and by_user:
            self._after_barge_in()
        self._changed()
        if self.resumption:
            self._handles += 1
            handle = f"{self.script.handle_prefix}-{self.index}-{self._handles}"
            self.script.save_handle(handle, self.context)
            self._send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})
        if interrupted:
            return
        if self.quirks.phantom_after_turn:
            # Reported: python-genai#2333, interrupted with no user speech at all.
            self._send({"serverContent": {"interrupted": True}})
        if self.quirks.hold_turn_complete:
            self._playing = reply
        if self._pending:
            self._request(self._pending.popleft())
