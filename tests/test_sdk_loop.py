"""The session runs the SDK's own receive() loop itself: proof that it is the same loop.

On every google-genai CI runs (3.x and the 2.0 lower bound) the same frames go through the
SDK's ``receive()`` and the session's, through the real SDK over loopback; each call must
yield the same messages and end the turn at the same message.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from google.genai import live

from gemini_live_interrupt import InterruptAwareSession
from gemini_live_interrupt import _session as session_module
from gemini_live_interrupt._sdk_loop import turn_end
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25

CHUNK = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": "AAAAAAAA"}}
AUDIO_FRAME = {"serverContent": {"modelTurn": {"parts": [CHUNK]}}}

FRAMES: list[dict[str, Any]] = [
    AUDIO_FRAME,
    {"serverContent": {"outputTranscription": {"text": "Once"}}},
    AUDIO_FRAME,
    {"serverContent": {"modelTurn": {"parts": [CHUNK]}}, "usageMetadata": {"totalTokenCount": 3}},
    {"serverContent": {"generationComplete": True}},
    {"serverContent": {"turnComplete": True}},
    # google-genai 3.4+: a status other than UNSPECIFIED decides, and only IDLE ends the turn;
    # before 3.4 the status is not read and turnComplete ends it.
    {"serverContent": {"interactionStatus": "IN_PROGRESS", "turnComplete": True}},
    AUDIO_FRAME,
    {"serverContent": {"interactionStatus": "INTERACTION_STATUS_UNSPECIFIED"}},
    {"serverContent": {"interactionStatus": "IDLE"}},
    {"toolCall": {"functionCalls": [{"id": "t1", "name": "lookup", "args": {}}]}},
    {},
    {"serverContent": {"interrupted": True}},
    {"serverContent": {"modelTurn": {"parts": [CHUNK, CHUNK]}}},
    {"serverContent": {"turnComplete": True}},
    AUDIO_FRAME,
    {"serverContent": {"turnComplete": True}},
]


async def turns(wrap: bool) -> list[list[dict[str, Any]]]:
    """The messages of each receive() call, until every frame was read."""
    async with FakeLiveServer() as server:
        cm = server.client().aio.live.connect(model=M25, config=AUDIO)
        async with (InterruptAwareSession(cm) if wrap else cm) as session:
            for frame in FRAMES:
                await server.send_raw(json.dumps(frame))
            out: list[list[dict[str, Any]]] = []
            async with asyncio.timeout(10):  # a receive() that never ends fails, not hangs
                while sum(map(len, out)) < len(FRAMES):
                    out.append([m.model_dump(exclude_none=True)
                                async for m in session.receive()])
            return out


async def test_the_sdk_in_use_has_a_receive_loop_the_session_knows() -> None:
    # If this fails, google-genai changed receive(): the session falls back to wrapping it
    # (correct, one async-generator step slower); add the new shape to _sdk_loop.
    async with FakeLiveServer() as server:
        async with InterruptAwareSession(
                server.client().aio.live.connect(model=M25, config=AUDIO)) as session:
            assert turn_end(session.raw) is not None


async def test_the_session_ends_each_turn_where_the_sdk_does() -> None:
    bare = await turns(wrap=False)
    assert len(bare) > 1 and all(bare)
    assert await turns(wrap=True) == bare


async def test_wrapping_receive_when_the_loop_is_unknown_gives_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "turn_end", lambda raw: None)
    assert await turns(wrap=True) == await turns(wrap=False)


def test_a_receive_that_is_not_the_sdks_loop_is_not_taken_for_it() -> None:
    class Overridden(live.AsyncSession):
        async def receive(self) -> Any:  # type: ignore[override]
            async for message in super().receive():
                yield message

    class Filtered(live.AsyncSession):
        async def receive(self) -> Any:  # type: ignore[override]
            while result := await self._receive():
                if result.server_content and result.server_content.interrupted:
                    yield result
                    break
                yield result

    for cls in (Overridden, Filtered):
        assert turn_end(cls.__new__(cls)) is None
    replaced = live.AsyncSession.__new__(live.AsyncSession)
    replaced.receive = Overridden.receive.__get__(replaced)  # type: ignore[method-assign]
    assert turn_end(replaced) is None
    assert turn_end(object()) is None
    assert turn_end(live.AsyncSession.__new__(live.AsyncSession)) is not None


def test_a_patched_turn_end_test_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(live, "_is_interaction_complete"):
        pytest.skip("this google-genai's receive() tests turnComplete inline")
    monkeypatch.setattr(live, "_is_interaction_complete", lambda content: True)
    assert turn_end(live.AsyncSession.__new__(live.AsyncSession)) is None


async def test_a_receive_replaced_on_the_session_is_called_and_closed_with_ours() -> None:
    from .conftest import STORY

    async with FakeLiveServer(replies=[STORY], speed=25) as server:
        async with InterruptAwareSession(
                server.client().aio.live.connect(model=M25, config=AUDIO)) as session:
            closed: list[bool] = []
            sdk_receive = session.raw.receive

            async def receive() -> Any:
                try:
                    async for message in sdk_receive():
                        yield message
                finally:
                    closed.append(True)

            session.raw.receive = receive  # type: ignore[method-assign]
            assert turn_end(session.raw) is None  # so the session wraps it
            await session.send_realtime_input(text="Tell me a story.")
            messages = session.receive()
            async for _ in messages:
                break
            await messages.aclose()  # the app leaves mid-turn: the SDK's side closes too
            assert closed == [True]
