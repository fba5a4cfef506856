"""One Live session on the offline server: the scripted model and the user side of one socket."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ._model import OUTPUT_RATE, SpokenChunk, duration_string, speak, split_transcript
from ._protocol import ProtocolError, b64decode, field, parse_client_frame, pcm_rate, server_frame
from ._types import ClientMessage, Context, ModelTurn, Quirks, ToolCall
from ._vad import EnergyVAD

if TYPE_CHECKING:
    from ._server import FakeLiveServer

__all__ = ["Connection"]

logger = logging.getLogger("gemini_live_interrupt.testing")

_AUDIO_MIME = f"audio/pcm;rate={OUTPUT_RATE}"


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


class _Run:
    """One reply being produced: a stop signal and how far it got."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.turn: ModelTurn | None = None
        self.generation_done = False
        self.playout_end = 0.0  # loop time until which the turn's audio would still play


class _Utterance:
    """User speech in progress (audio or manual activity)."""

    def __init__(self, transcript: str) -> None:
        self.transcript = transcript


class Connection:
    """Serves one WebSocket: setup, client frames, and the scripted model's turns."""

    def __init__(self, server: FakeLiveServer, ws: ServerConnection, index: int) -> None:
        self.server = server
        self.ws = ws
        self.index = index
        self.closed = False
        self.context: Context = []
        self.quirks = Quirks()
        self.audio_out = True
        self.output_transcription = False
        self.input_transcription = False
        self.word_timestamps = False
        self.resumption = False
        self.auto_vad = True
        self.barge_in_enabled = True
        self.started = False  # any realtime input or model turn yet (the 3.1 rule)
        self.muted = False
        self.frozen = False
        self._pending: deque[str] = deque()
        self._task: asyncio.Task[None] | None = None
        self._run: _Run | None = None
        self._playing: _Run | None = None
        self._vad = EnergyVAD(server.silence_seconds)
        self._speech: _Utterance | None = None
        self._aux: set[asyncio.Task[None]] = set()
        self._tool_waiters: dict[str, asyncio.Future[tuple[str, Any]]] = {}
        self._handles = 0
        self._calls = 0

    # -- I/O ---------------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """Send one server message; a closed socket is noted, not raised."""
        await self.send_raw(server_frame(message))

    async def send_raw(self, data: bytes | str) -> None:
        if self.closed:
            return
        try:
            await self.ws.send(data)
        except ConnectionClosed:
            self.closed = True

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` (1006: abort the TCP connection without a close frame)."""
        if self.closed:
            return
        self.closed = True
        logger.info("session %d: closing with %d (%s)", self.index, code, reason)
        if code == 1006:
            self.ws.transport.abort()
            return
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close(code, reason)

    async def run(self) -> None:
        """Serve the socket until it closes. Protocol violations close it with 1007."""
        try:
            await self._serve()
        except ProtocolError as exc:
            logger.warning("session %d: protocol violation: %s", self.index, exc.detail)
            await self.close(exc.code, exc.reason)
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("session %d: offline server bug", self.index)
            await self.close(1011, "Internal error encountered.")
        finally:
            self.closed = True
            await self._shutdown()

    async def _shutdown(self) -> None:
        run = self._run
        if run is not None:
            run.stop.set()
            if self._task is not None and not self._task.done():
                # Let the reply end its turn itself (records ended_at) before cancelling.
                await asyncio.wait([self._task], timeout=0.5)
        tasks = [t for t in (self._task, *self._aux) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if run is not None and run.turn is not None and run.turn.ended_at is None:
            run.turn.ended_at = self.server.now()  # cancelled before it could say so
            self.server.notify()

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def wrapped() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(wrapped())
        self._aux.add(task)
        task.add_done_callback(self._aux.discard)

    # -- client frames -----------------------------------------------------------------------

    async def _serve(self) -> None:
        frame = parse_client_frame(await self.ws.recv())
        self._record(frame.kind, frame.data)
        if frame.kind != "setup":
            raise ProtocolError(f"first message must be setup, got {frame.kind}")
        self._setup(frame.data)
        await self.send({"setupComplete": {"sessionId": f"fake-session-{self.index}"}})
        async for raw in self.ws:
            frame = parse_client_frame(raw)
            if frame.kind == "setup":
                raise ProtocolError("setup sent twice")
            self._record(frame.kind, frame.data)
            if frame.kind == "client_content":
                await self._client_content(frame.data)
            elif frame.kind == "realtime_input":
                await self._realtime_input(frame.data)
            elif frame.kind == "tool_response":
                self._tool_response(frame.data)
            else:
                self._context_update(frame.data)

    def _record(self, kind: str, data: dict[str, Any]) -> None:
        self.server.record(ClientMessage(self.server.now(), self.index, kind, data))

    def _setup(self, data: dict[str, Any]) -> None:
        model = str(field(data, "model")).removeprefix("models/")
        self.quirks = self.server.quirks_for(model)
        modalities = field(field(data, "generation_config") or {}, "response_modalities")
        self.audio_out = not any(str(m).upper() == "TEXT" for m in modalities or ())
        out = field(data, "output_audio_transcription")
        self.output_transcription = out is not None
        self.word_timestamps = isinstance(out, dict) and bool(field(out, "word_timestamp"))
        self.input_transcription = field(data, "input_audio_transcription") is not None
        ric = field(data, "realtime_input_config") or {}
        aad = field(ric, "automatic_activity_detection") or {}
        self.auto_vad = not field(aad, "disabled", False)
        self.barge_in_enabled = field(ric, "activity_handling") != "NO_INTERRUPTION"
        resumption = field(data, "session_resumption")
        self.resumption = resumption is not None
        handle = field(resumption, "handle") if isinstance(resumption, dict) else None
        system = content_text(field(data, "system_instruction"))
        if handle:
            restored = self.server.resume(str(handle))
            if restored is None:
                # Assumed: the real service's answer to an unknown handle is not documented.
                raise ProtocolError(f"unknown session resumption handle {handle!r}")
            self.context = restored
            self.started = any(role != "system" for role, _ in restored)
            if system:
                self._set_system(system)
        elif system:
            self.context = [("system", system)]
        self.server.set_latest_context(self.context)
        logger.info("session %d: setup for %s (audio=%s)", self.index, model, self.audio_out)

    def _set_system(self, text: str) -> None:
        self.context[:] = [e for e in self.context if e[0] != "system"]
        self.context.insert(0, ("system", text))
        self.server.notify()

    async def _client_content(self, data: dict[str, Any]) -> None:
        if self.quirks.reject_client_content and self.started:
            # Reported for Gemini 3.1 (livekit/agents#5251, google/adk-python#5018).
            raise ProtocolError("clientContent after the conversation started")
        for turn in field(data, "turns") or ():
            text = content_text(turn)
            if text:
                role = "model" if field(turn, "role") == "model" else "user"
                self.context.append((role, text))
        self.server.notify()
        if field(data, "turn_complete", False) is True:
            if self.quirks.client_content_interrupts:
                await self._interrupt()
            self._request("client_content")
        elif self.started and self.quirks.turn_complete_false_mutes:
            # Reported: live-api-web-console#60, realtime input goes unanswered afterwards.
            self.muted = True

    async def _realtime_input(self, data: dict[str, Any]) -> None:
        self.started = True
        if field(data, "activity_start") is not None:
            self._vad.reset()
            await self._speech_start()
        audio = field(data, "audio")
        if audio is not None:
            await self._audio(audio)
        for chunk in field(data, "media_chunks") or ():
            if str(field(chunk, "mime_type") or "audio/pcm").startswith("audio/"):
                await self._audio(chunk)
        text = field(data, "text")
        if text is not None:
            await self._text(text)
        if field(data, "activity_end") is not None:
            self._vad.reset()
            self._speech_end("activity")
        if field(data, "audio_stream_end") and self._speech is not None:
            self._vad.reset()
            self._speech_end("user_audio")

    async def _audio(self, blob: dict[str, Any]) -> None:
        if not self.auto_vad:
            return  # manual activity signals decide
        pcm = b64decode(field(blob, "data") or "")
        event = self._vad.feed(pcm, pcm_rate(field(blob, "mime_type")))
        if event == "start":
            await self._speech_start()
        elif event == "end":
            self._speech_end("user_audio")

    async def _text(self, text: str) -> None:
        await self._barge_in()
        if self.input_transcription:
            # Assumed: whether the service transcribes realtimeInput.text is not known.
            await self.send({"serverContent": {"inputTranscription": {"text": text}}})
        self.context.append(("user", text))
        self.server.notify()
        # Reported: realtimeInput.text always triggers a reply (livekit/agents#5238).
        self._request("realtime_text")

    async def _speech_start(self) -> None:
        if self._speech is not None:
            return
        transcript = self.server.next_user_transcript()
        self._speech = _Utterance(transcript)
        await self._barge_in()
        if transcript and self.input_transcription:
            self._spawn(self._transcribe(transcript))

    def _speech_end(self, cause: str) -> None:
        speech, self._speech = self._speech, None
        if speech is None:
            return
        if speech.transcript:
            self.context.append(("user", speech.transcript))
            self.server.notify()
        self._request(cause)

    async def _transcribe(self, transcript: str) -> None:
        """Input transcription of one utterance, after the service's delay (reported 0.5-2 s)."""
        delay = self.server.input_transcription_delay / self.server.speed
        chunks = split_transcript(transcript)
        if self.quirks.interim_input_transcription:
            for chunk in chunks:  # assumed shape: one word-sized chunk per message
                await asyncio.sleep(delay / (len(chunks) + 1))
                await self.send({"serverContent": {"interimInputTranscription": {"text": chunk}}})
            delay /= len(chunks) + 1
        await asyncio.sleep(delay)
        # `finished` is often never set by the service (js-genai#1429): not sent.
        for chunk in chunks:
            await self.send({"serverContent": {"inputTranscription": {"text": chunk}}})

    def _tool_response(self, data: dict[str, Any]) -> None:
        for response in field(data, "function_responses") or ():
            call_id = field(response, "id")
            waiter = self._tool_waiters.get(str(call_id))
            if waiter is None or waiter.done():
                logger.info("session %d: toolResponse for unknown call %r", self.index, call_id)
                continue
            waiter.set_result((str(field(response, "name") or ""), field(response, "response")))

    def _context_update(self, data: dict[str, Any]) -> None:
        # Assumed: a context update replaces the system instruction and starts no turn.
        system = field(data, "system_instruction")
        if system is not None:
            self._set_system(content_text(system))

    # -- interruptions -----------------------------------------------------------------------

    async def _barge_in(self) -> None:
        """User speech started: interrupt the model unless activity handling forbids it."""
        if self.barge_in_enabled:
            await self._interrupt()

    async def _interrupt(self) -> None:
        run, task = self._run, self._task
        if task is not None and not task.done() and run is not None:
            run.stop.set()
            await task  # the run sends interrupted/turnComplete itself, in order
            return
        playing, self._playing = self._playing, None
        loop = asyncio.get_running_loop()
        if playing is not None and playing.turn is not None and loop.time() < playing.playout_end:
            # Reported (livekit/agents): interrupted after turnComplete while audio still plays.
            playing.turn.interrupted = True
            await self.send({"serverContent": {"interrupted": True}})
            self._after_barge_in()

    def _after_barge_in(self) -> None:
        if self.quirks.freeze_after_barge_in:
            # Reported: gemini-live-api-examples#52, the model never answers again.
            self.frozen = True
        self.server.notify()

    # -- the scripted model ------------------------------------------------------------------

    def _request(self, cause: str) -> None:
        """Ask for a reply: now, or after the current one."""
        if self.frozen:
            logger.info("session %d: frozen, not answering (%s)", self.index, cause)
            return
        if self.muted and cause != "client_content":
            logger.info("session %d: muted, not answering (%s)", self.index, cause)
            return
        if self._task is not None and not self._task.done():
            # Assumed: input that does not interrupt is answered after the current turn.
            self._pending.append(cause)
            return
        self._playing = None
        self._run = _Run()
        self._task = asyncio.get_running_loop().create_task(self._respond(self._run, cause))

    async def _respond(self, run: _Run, cause: str) -> None:
        while True:
            stopped = await self._one_reply(run, cause)
            if stopped or self.closed or not self._pending:
                break
            cause = self._pending.popleft()
            run = self._run = _Run()
        if stopped:
            self._pending.clear()

    async def _pause(self, run: _Run, deadline: float) -> bool:
        """Sleep until ``deadline`` (loop time); True if the run was stopped meanwhile."""
        if self.closed:
            return True
        delay = deadline - asyncio.get_running_loop().time()
        if run.stop.is_set():
            return True
        if delay <= 0:
            await asyncio.sleep(0)
            return run.stop.is_set() or self.closed
        try:
            await asyncio.wait_for(run.stop.wait(), delay)
        except TimeoutError:
            return self.closed
        return True

    async def _one_reply(self, run: _Run, cause: str) -> bool:
        """Produce one reply (tool calls first, if scripted). True if it was interrupted."""
        self.started = True
        reply = self.server.next_reply(self.context)
        while isinstance(reply, ToolCall):
            self._calls += 1
            call_id = f"call-{self.index}-{self._calls}"
            waiter: asyncio.Future[tuple[str, Any]] = asyncio.get_running_loop().create_future()
            self._tool_waiters[call_id] = waiter
            self.context.append(("tool_call", f"{reply.name}({json.dumps(reply.args)})"))
            self.server.notify()
            await self.send({"toolCall": {"functionCalls": [
                {"id": call_id, "name": reply.name, "args": reply.args}]}})
            stop: asyncio.Future[Any] = asyncio.ensure_future(run.stop.wait())
            try:
                await asyncio.wait([waiter, stop], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                del self._tool_waiters[call_id]
            if not waiter.done():
                waiter.cancel()
                await self.send({"toolCallCancellation": {"ids": [call_id]}})
                await self.send({"serverContent": {"interrupted": True}})
                await self.send({"serverContent": {"turnComplete": True}})
                self._after_barge_in()
                return True
            name, response = waiter.result()
            self.context.append(("tool", f"{name or reply.name}: {json.dumps(response)}"))
            self.server.notify()
            cause = "tool_response"
            reply = self.server.next_reply(self.context)
        return await self._speak(run, reply, cause)

    def _events(self, chunks: list[SpokenChunk], total: float) -> list[tuple[float, int, int]]:
        """(audio time, kind, index) in sending order; kind 0 = transcript, 1 = audio."""
        events: list[tuple[float, int, int]] = []
        if self.audio_out:
            step = self.server.chunk_seconds
            for k in range(math.ceil(total / step - 1e-9)):
                events.append((k * step, 1, k))
            offset = self.quirks.transcript_offset
            events += [(max(0.0, c.start + offset), 0, i) for i, c in enumerate(chunks)]
        else:
            events += [(c.start, 0, i) for i, c in enumerate(chunks)]
        events.sort()
        return events

    async def _speak(self, run: _Run, text: str, cause: str) -> bool:
        server = self.server
        chunks = speak(text)
        total = chunks[-1].end if chunks else 0.0
        turn = ModelTurn(
            index=len(server.turns), session=self.index, text=text, cause=cause,
            words=[(c.text, c.start, c.end) for c in chunks], started_at=server.now(),
        )
        run.turn = turn
        server.add_turn(turn)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        speed = server.speed
        run.playout_end = t0 + total * self.quirks.playout_ratio / speed
        step = server.chunk_seconds
        for at, kind, i in self._events(chunks, total):
            if await self._pause(run, t0 + at / speed):
                return await self._end(run, interrupted=True)
            if kind == 1:
                samples = round(min(step, total - i * step) * OUTPUT_RATE)
                pcm = server.tone.take(samples)
                await self.send({"serverContent": {"modelTurn": {"parts": [{"inlineData": {
                    "mimeType": _AUDIO_MIME, "data": base64.b64encode(pcm).decode()}}]}}})
                turn.audio_seconds_sent += samples / OUTPUT_RATE
            else:
                chunk = chunks[i]
                turn.delivered += chunk.text
                if not self.audio_out:
                    await self.send({"serverContent": {"modelTurn": {"parts": [
                        {"text": chunk.text}]}}})
                elif self.output_transcription:
                    transcription: dict[str, Any] = {"text": chunk.text}
                    if self.word_timestamps and self.quirks.word_timestamps:
                        transcription["words"] = [{
                            "word": chunk.text.strip(),
                            "startOffset": duration_string(chunk.start),
                            "endOffset": duration_string(chunk.end),
                        }]
                    await self.send({"serverContent": {"outputTranscription": transcription}})
            server.notify()
        await self.send({"serverContent": {"generationComplete": True}})
        run.generation_done = True
        if self.quirks.hold_turn_complete and await self._pause(run, t0 + total / speed):
            return await self._end(run, interrupted=True)
        return await self._end(run, interrupted=False)

    async def _end(self, run: _Run, *, interrupted: bool) -> bool:
        turn = run.turn
        assert turn is not None
        if self.closed:
            interrupted = False  # a dropped connection is not a barge-in
        elif interrupted and run.generation_done:
            # Generation had finished: the held turnComplete goes first (reported ordering).
            await self.send({"serverContent": {"turnComplete": True}})
            await self.send({"serverContent": {"interrupted": True}})
        elif interrupted:
            # SDK docs: an interrupted turn has no generationComplete; interrupted, turnComplete.
            await self.send({"serverContent": {"interrupted": True}})
            await self.send({"serverContent": {"turnComplete": True}})
        else:
            await self.send({"serverContent": {"turnComplete": True}})
        turn.interrupted = interrupted
        turn.ended_at = self.server.now()
        if turn.delivered:
            self.context.append(("model", turn.delivered))
        if interrupted:
            self._after_barge_in()
        self.server.notify()
        if self.resumption and not self.closed:
            self._handles += 1
            handle = f"fake-handle-{self.index}-{self._handles}"
            self.server.save_handle(handle, self.context)
            await self.send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})
        if not interrupted and not self.closed:
            if self.quirks.phantom_after_turn:
                # Reported: python-genai#2333, interrupted with no user speech at all.
                await self.send({"serverContent": {"interrupted": True}})
            if self.quirks.hold_turn_complete:
                self._playing = run
        return interrupted
