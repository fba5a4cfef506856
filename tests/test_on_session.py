"""``enable_interrupt_resume(on_session=...)``: the app reaches each session the shim opens.

Through the real SDK against the offline server: code that opens its own session (as a
framework does) and never hands it out, with the app reaching it through the hook.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google import genai
from google.genai import live

from gemini_live_interrupt import (
    InterruptAwareSession,
    connect,
    disable_interrupt_resume,
    enable_interrupt_resume,
)
from gemini_live_interrupt.testing import FakeLiveServer, ServiceTiming

from .conftest import AUDIO, M25, STORY

SPEED = 25.0
ORIGINAL = live.AsyncLive.connect


def server(replies: tuple[str, ...] = ("Hi there.", STORY)) -> FakeLiveServer:
    return FakeLiveServer(replies=replies, speed=SPEED, timing=ServiceTiming.instant())


async def framework(client: genai.Client,
                    inside: Callable[[Any], Awaitable[None]] | None = None) -> None:
    """What a framework does: open the session itself (through the SDK) and keep it."""
    async with client.aio.live.connect(model=M25, config=AUDIO) as session:
        if inside is not None:
            await inside(session)


async def test_called_once_per_session_with_the_connected_session() -> None:
    seen: list[tuple[InterruptAwareSession, bool]] = []

    def on_session(session: InterruptAwareSession) -> None:
        # Connected: the SDK session is open (``raw`` raises before that).
        seen.append((session, isinstance(session.raw, live.AsyncSession)))

    enable_interrupt_resume(on_session=on_session)
    async with server() as srv:
        opened: list[Any] = []

        async def inside(session: Any) -> None:
            # The hook has run before the framework gets the session from `async with`.
            assert [s for s, _ in seen] == [*opened, session]
            opened.append(session)

        await framework(srv.client(), inside)
        await framework(srv.client(), inside)  # a reconnection: a new session, a new call
        assert [s for s, _ in seen] == opened and len(opened) == 2
        assert opened[0] is not opened[1]
        assert all(isinstance(s, InterruptAwareSession) and connected for s, connected in seen)
        assert [m.kind for m in srv.received].count("setup") == 2


async def test_the_app_reports_playback_and_reads_records_through_it() -> None:
    # The point of the hook: the framework plays the audio through the app's callback and
    # never hands out the session; the app reports playback to the session the hook gave it.
    current: list[InterruptAwareSession] = []
    enable_interrupt_resume(on_session=current.append)
    played = 0

    def play(pcm: bytes) -> None:  # the app's audio output, called by the framework
        nonlocal played
        if played < 24000 * 2:  # the app's speaker plays 1 s of the story, then is cut
            current[-1].playback.played(nbytes=len(pcm))
            played += len(pcm)

    async def inside(session: Any) -> None:
        await session.send_realtime_input(text="Tell me a story.")
        barged = False
        async for message in session.receive():
            content = message.server_content
            for part in (content.model_turn.parts or ()) if content and content.model_turn \
                    else ():
                if part.inline_data and part.inline_data.data:
                    play(part.inline_data.data)
            if not barged and played >= 24000 * 2:
                barged = True
                await session.send_realtime_input(text="Wait, what about dragons?")
        for _ in range(200):
            if session.interruptions:
                break
            await asyncio.sleep(0.01)

    async with server((STORY, "Dragons, then.")) as srv:
        await framework(srv.client(), inside)
    (session,) = current
    (record,) = session.interruptions
    assert record.played_seconds == pytest.approx(1.0)
    # Heard is the first second of the story (its word timeline on the server, within the
    # session's alignment error of a word).
    truth = srv.turns[0].heard_at(1.0).strip()
    assert STORY.startswith(record.heard) and STORY.startswith(truth)
    assert abs(len(record.heard.split()) - len(truth.split())) <= 1
    assert record.received_seconds >= record.played_seconds


async def test_the_hook_sees_the_callers_context_variables() -> None:
    # The documented routing for many calls in one process: the app sets its own context
    # variable before starting the framework; the hook, run in the connecting task, reads it.
    call: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("call")

    def on_session(session: InterruptAwareSession) -> None:
        call.get()["session"] = session

    enable_interrupt_resume(on_session=on_session)
    async with server() as srv:
        calls = [{"name": "a"}, {"name": "b"}, {"name": "c"}]

        async def one(state: dict[str, Any]) -> None:
            call.set(state)

            async def inside(session: Any) -> None:
                state["inside"] = session

            # The framework connects in a task of its own, created after the app set it.
            await asyncio.get_running_loop().create_task(framework(srv.client(), inside))

        await asyncio.gather(*(one(c) for c in calls))
    for state in calls:
        assert state["session"] is state["inside"]
    assert len({id(c["session"]) for c in calls}) == 3


async def test_an_exception_in_the_hook_is_logged_and_the_session_works(
        caplog: pytest.LogCaptureFixture) -> None:
    def on_session(session: InterruptAwareSession) -> None:
        raise RuntimeError("the app's bug")

    enable_interrupt_resume(on_session=on_session)
    caplog.set_level(logging.ERROR, logger="gemini_live_interrupt")
    async with server() as srv:
        async def inside(session: Any) -> None:
            await session.send_realtime_input(text="Hello.")
            turn = [m async for m in session.receive()]
            assert any(m.server_content and m.server_content.turn_complete for m in turn)

        await framework(srv.client(), inside)
    (entry,) = [r for r in caplog.records if "on_session" in r.getMessage()]
    assert entry.name == "gemini_live_interrupt" and entry.levelno == logging.ERROR
    assert entry.exc_info is not None and "the app's bug" in str(entry.exc_info[1])
    assert srv.turns[0].text == "Hi there." and not srv.turns[0].interrupted


async def test_an_awaitable_returned_by_the_hook_is_closed_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def later() -> None:
        ran.append("awaited")  # never: nobody awaits it

    class Hook:  # a sync __call__ that returns a coroutine: validation cannot tell
        def __call__(self, session: InterruptAwareSession) -> Any:
            return later()

    enable_interrupt_resume(on_session=Hook())
    caplog.set_level(logging.ERROR, logger="gemini_live_interrupt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited"
        async with server() as srv:
            await framework(srv.client())
    assert ran == []
    assert any("returned an awaitable" in r.getMessage() for r in caplog.records)


async def test_no_call_when_the_connection_fails() -> None:
    seen: list[InterruptAwareSession] = []
    enable_interrupt_resume(on_session=seen.append)
    srv = server()
    async with srv:
        client = srv.client()
    with pytest.raises(Exception):  # noqa: B017 (whatever the SDK raises: no server)
        await framework(client)
    assert seen == []


async def test_later_options_and_connect_do_not_call_it() -> None:
    seen: list[InterruptAwareSession] = []
    enable_interrupt_resume(on_session=seen.append)
    async with server() as srv:
        first = srv.client().aio.live.connect(model=M25, config=AUDIO)  # options taken here
        enable_interrupt_resume()  # for sessions opened from now on: no hook
        await framework(srv.client())
        assert seen == []
        async with first as session:
            assert seen == [session]
        disable_interrupt_resume()
        async with connect(srv.client(), model=M25, config=AUDIO):  # no shim involved
            pass
    assert len(seen) == 1


async def _async_hook(session: InterruptAwareSession) -> None:
    pass


class _AsyncCall:
    async def __call__(self, session: InterruptAwareSession) -> None:
        pass


@pytest.mark.parametrize(("value", "match"), [
    (42, "on_session must be a callable taking the session, or None, got int: 42"),
    ("hook", "on_session must be a callable"),
    (_async_hook, "on_session must be a plain"),
    (_AsyncCall(), "on_session must be a plain"),
])
def test_a_bad_hook_fails_at_the_enable_call(value: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        enable_interrupt_resume(on_session=value)  # type: ignore[arg-type]
    assert live.AsyncLive.connect is ORIGINAL  # a refused call changes nothing


def test_none_is_no_hook() -> None:
    enable_interrupt_resume(on_session=None)
    assert live.AsyncLive.connect is not ORIGINAL
