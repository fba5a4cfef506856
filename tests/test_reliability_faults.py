"""Reliability under faults: the wrapped session fails exactly as the bare SDK does, never worse.

Every fault is produced by the offline server (or by the app itself) and the real SDK; the
wrapped session must surface the same error the bare session does, never an extra one, never
hang, and leave the session closable at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google.genai import errors, types

from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession, connect
from gemini_live_interrupt.testing import FakeLiveServer, user_audio

from .conftest import AUDIO, M25, STORY, notes

SPEED = 25.0
CODES = [1000, 1006, 1007, 1008, 1011]
INSTANT = InjectionPolicy(first_words_wait=0.0, channel="client_content")

Fault = Callable[[FakeLiveServer], Awaitable[None]]


def words(messages: list[types.LiveServerMessage]) -> int:
    return len("".join(m.server_content.output_transcription.text or "" for m in messages
                       if m.server_content and m.server_content.output_transcription).split())


async def story_until_fault(session: Any, server: FakeLiveServer, fault: Fault,
                            after_words: int = 5) -> tuple[list[Any], BaseException | None]:
    """Ask for a story; once some words came, apply ``fault``; receive until the turn ends."""
    await session.send_realtime_input(text="Tell me a story.")
    seen: list[Any] = []
    done = False
    try:
        async with asyncio.timeout(10):
            while True:
                async for message in session.receive():
                    seen.append(message)
                    if not done and words(seen) >= after_words:
                        done = True
                        await fault(server)
                if done and seen and seen[-1].server_content and \
                        seen[-1].server_content.turn_complete:
                    return seen, None
    except Exception as exc:  # whatever the SDK raises (it has a TypeError for unknown frames)
        return seen, exc


def outcome(exc: BaseException | None) -> tuple[str, Any]:
    return (type(exc).__name__, getattr(exc, "code", None)) if exc else ("none", None)


async def run_both(fault: Fault, **server_kwargs: Any) -> tuple[Any, Any, InterruptAwareSession]:
    """The same conversation and fault through the bare SDK and through the wrapper."""
    results = []
    wrapped: InterruptAwareSession | None = None
    for wrap in (False, True):
        async with FakeLiveServer(replies=[STORY, "OK.", "Fine."], speed=SPEED,
                                  **server_kwargs) as server:
            client = server.client()
            conn = (connect(client, model=M25, config=AUDIO) if wrap
                    else client.aio.live.connect(model=M25, config=AUDIO))
            start = time.monotonic()
            try:
                async with conn as session:
                    seen, exc = await story_until_fault(session, server, fault)
                    if wrap:
                        wrapped = session
            except errors.APIError as late:  # raised while closing, bare or wrapped alike
                seen, exc = [], late
            assert time.monotonic() - start < 8, "the session took too long to close"
            results.append((outcome(exc), len(seen) > 0))
    assert wrapped is not None
    return results[0], results[1], wrapped


@pytest.mark.parametrize("code", CODES)
async def test_connection_dropped_mid_turn_fails_as_the_bare_sdk(code: int) -> None:
    async def fault(server: FakeLiveServer) -> None:
        await server.drop(code=code, reason="gone")

    bare, wrapped, _ = await run_both(fault)
    assert wrapped == bare
    assert bare[0][0] in ("APIError", "ClientError", "ServerError", "none"), bare


@pytest.mark.parametrize("code", CODES)
async def test_connection_dropped_mid_injection(code: int,
                                                caplog: pytest.LogCaptureFixture) -> None:
    class DropsUnderTheNote(InterruptAwareSession):
        server: FakeLiveServer

        async def inject(self, prompt: str) -> None:
            await self.server.drop(code=code, reason="gone")
            await super().inject(prompt)

    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        DropsUnderTheNote.server = server
        conn = server.client().aio.live.connect(model=M25, config=AUDIO)
        start = time.monotonic()
        exc: BaseException | None = None
        try:
            async with DropsUnderTheNote(conn, policy=INSTANT) as session:
                async def barge(_: FakeLiveServer) -> None:
                    await session.send_realtime_input(text="Wait, stop.")
                _, exc = await story_until_fault(session, server, barge)
                for _ in range(100):
                    if session.interruptions:
                        break
                    await asyncio.sleep(0.01)
                if exc is None:  # the drop may land after the turn ended: the next read sees it
                    async with asyncio.timeout(5):
                        async for _ in session.receive():
                            pass
        except errors.APIError as late:
            exc = late
        assert time.monotonic() - start < 8
    (record,) = session.interruptions
    if code == 1006 and record.injected:
        pass  # an aborted TCP peer can still take one frame into the kernel's buffer
    else:
        assert not record.injected and record.reason == "send failed"
        # The send's own exception, as its repr: websockets' ConnectionClosed(OK|Error)(...).
        assert record.error and "ConnectionClosed" in record.error, record.error
    if record.reason != "send failed":
        assert record.error is None
    assert notes(server) == []
    assert exc is not None
    assert not any(r.levelno >= logging.ERROR for r in caplog.records
                   if r.name == "gemini_live_interrupt")


@pytest.mark.parametrize("frame", [
    "this is not json",
    b"\x00\xff\xfe binary garbage",
    '{"someFutureMessage": {"x": 1}}',
    '{"serverContent": {"unknownField": true, "interrupted": "yes please"}}',
    "[]",
    "null",
])
async def test_malformed_or_unknown_server_message(frame: str | bytes) -> None:
    async def fault(server: FakeLiveServer) -> None:
        await server.send_raw(frame)

    bare, wrapped, _ = await run_both(fault)
    assert wrapped == bare  # the SDK's own error (or none), and not one more


async def test_go_away_is_passed_on_and_the_session_goes_on() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=INSTANT) as session:
            async def fault(s: FakeLiveServer) -> None:
                await s.go_away("5s")
                await session.send_realtime_input(text="Hold on.")
            seen, exc = await story_until_fault(session, server, fault)
            assert exc is None
            assert any(m.go_away and m.go_away.time_left for m in seen)
            for _ in range(100):
                if session.interruptions:
                    break
                await asyncio.sleep(0.01)
            async for _ in session.receive():
                pass
    (record,) = session.interruptions
    assert record.injected and len(notes(server)) == 1


async def test_a_send_that_hangs_never_stalls_the_receive_loop() -> None:
    release = asyncio.Event()

    class Hangs(InterruptAwareSession):
        async def inject(self, prompt: str) -> None:
            await release.wait()  # a send stuck forever (e.g. a full socket buffer)

    async with FakeLiveServer(replies=[STORY, "OK.", "Still here."], speed=SPEED) as server:
        start = time.monotonic()
        async with Hangs(server.client().aio.live.connect(model=M25, config=AUDIO),
                         policy=INSTANT) as session:
            async def barge(_: FakeLiveServer) -> None:
                await session.send_realtime_input(text="Wait.")
            _, exc = await story_until_fault(session, server, barge)
            assert exc is None
            # The app keeps talking and receiving while the note's send hangs.
            async for _ in session.receive():
                pass
            await session.send_realtime_input(text="Are you there?")
            got = [m async for m in session.receive()]
            assert any(m.server_content and m.server_content.turn_complete for m in got)
            assert session.interruptions == []  # still pending
        assert time.monotonic() - start < 5  # leaving cancels the stuck send at once
    (record,) = session.interruptions
    assert record.reason == "session closed" and not record.injected


async def test_receive_cancelled_mid_turn_and_entered_again() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=INSTANT) as session:
            await session.send_realtime_input(text="Tell me a story.")
            first: list[Any] = []

            async def reader() -> None:
                async for m in session.receive():
                    first.append(m)

            task = asyncio.create_task(reader())
            await server.wait_for(lambda: len(first) >= 8)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Re-entry: the rest of the same turn, then the barge-in works as ever.
            rest: list[Any] = []
            barged = False
            async for m in session.receive():
                rest.append(m)
                if not barged and words(first + rest) >= 8:
                    barged = True
                    await session.send_realtime_input(text="Stop there.")
            assert barged and rest[-1].server_content.turn_complete
            for _ in range(100):
                if session.interruptions:
                    break
                await asyncio.sleep(0.01)
            async for _ in session.receive():
                pass
    (record,) = session.interruptions
    assert record.injected and len(notes(server)) == 1
    assert len(record.generated.split()) >= 8 and STORY.startswith(record.generated)


async def test_closing_while_a_note_is_pending_settles_it() -> None:
    slow_started = asyncio.Event()
    loop: asyncio.AbstractEventLoop | None = None

    def slow(heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        assert loop is not None
        loop.call_soon_threadsafe(slow_started.set)
        time.sleep(0.5)
        return "late"

    # Pending two ways: waiting for the user's first words (a voice barge-in whose words are
    # never transcribed: no transcript is scripted, and the user talks on, so no answer), and
    # in a slow builder.
    for policy, builder, by_voice in ((InjectionPolicy(first_words_wait=60), None, True),
                                      (INSTANT, slow, False)):
        loop = asyncio.get_running_loop()
        async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
            start = time.monotonic()
            async with connect(server.client(), model=M25, config=AUDIO, policy=policy,
                               prompt_builder=builder) as session:
                async def barge(_: FakeLiveServer, by_voice: bool = by_voice) -> None:
                    if by_voice:
                        await session.send_realtime_input(audio=types.Blob(
                            data=user_audio(0.5), mime_type="audio/pcm;rate=16000"))
                    else:
                        await session.send_realtime_input(text="Wait.")
                await story_until_fault(session, server, barge)
                if builder is not None:
                    await asyncio.wait_for(slow_started.wait(), 2)
                assert session.interruptions == []
            assert time.monotonic() - start < 5
        (record,) = session.interruptions
        assert record.reason == "session closed" and not record.injected
        assert notes(server) == []


async def test_app_sends_from_another_task_while_notes_go_out() -> None:
    chunk = b"\x00\x00" * 320  # 20 ms of silence at 16 kHz: no speech for the server's VAD
    async with FakeLiveServer(replies=[STORY, "OK.", "Fine."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, policy=INSTANT) as session:
            stop = asyncio.Event()
            sent = 0

            async def microphone() -> None:
                nonlocal sent
                while not stop.is_set():
                    await session.send_realtime_input(
                        audio=types.Blob(data=chunk, mime_type="audio/pcm;rate=16000"))
                    sent += 1
                    await asyncio.sleep(0)

            mic = asyncio.create_task(microphone())
            async def barge(_: FakeLiveServer) -> None:
                await session.send_realtime_input(text="Wait.")
            _, exc = await story_until_fault(session, server, barge)
            assert exc is None
            await server.wait_for(lambda: len(notes(server)) == 1)
            async for _ in session.receive():
                pass
            stop.set()
            await mic
            await server.wait_for(lambda: sum(
                1 for m in server.received if m.kind == "realtime_input" and "audio" in m.data
            ) == sent)
    (record,) = session.interruptions
    assert record.injected and sent > 10
    assert notes(server) == [record.prompt]
