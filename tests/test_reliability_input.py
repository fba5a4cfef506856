"""Bad input: wrong argument types and values everywhere; prompt builders that misbehave."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import pytest
from google import genai

from gemini_live_interrupt import (
    InjectionPolicy,
    InterruptAwareSession,
    Interruption,
    connect,
    enable_interrupt_resume,
)
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25, M31, STORY, notes

SPEED = 25.0
# The fake answers the barge-in at once: a note that starts no reply still goes after that
# (a turn-starting one, e.g. client_content, would be dropped as "the model had already started
# answering" when the builder is slow).
INSTANT = InjectionPolicy(first_words_wait=0.0, channel="silent_content")
WRONG = [None, "1", b"1", 1j, [1], {"a": 1}, object(), True]


@pytest.mark.parametrize("name", ["first_words_wait", "stall_nudge", "stall_report"])
@pytest.mark.parametrize("value", [*WRONG, -1, -0.001, math.inf, -math.inf, math.nan])
def test_policy_numbers(name: str, value: object) -> None:
    if value is None and name == "stall_nudge":
        InjectionPolicy(stall_nudge=None)
        return
    with pytest.raises((TypeError, ValueError), match=name):
        InjectionPolicy(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [*[w for w in WRONG if w is not None], "soon",
                                   "SILENT_CONTENT", "on_interrupt", ""])
def test_policy_channel(value: object) -> None:
    with pytest.raises((TypeError, ValueError), match="channel"):
        InjectionPolicy(channel=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["timing", "quiet_gap", "max_wait", "hold_output",
                                  "hold_timeout"])
def test_removed_policy_fields_are_refused(name: str) -> None:
    with pytest.raises(TypeError, match=name):
        InjectionPolicy(**{name: 1})  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"max_history": v} for v in [None, "4", 4.0, True, [4], -1, -10**9]
] + [{"prompt_builder": v} for v in ["x", 1, b"f", [], {"a": 1}]]
  + [{"policy": v} for v in ["silent_content", {"channel": "silent_content"}, 1,
                              InjectionPolicy]]
  + [{"model": v} for v in [1, b"m", ["m"]]])
def test_every_entry_point_refuses_bad_options(kwargs: dict[str, Any]) -> None:
    client = genai.Client(api_key="fake-key")
    with pytest.raises((TypeError, ValueError)):
        InterruptAwareSession(client.aio.live.connect(model=M25), **kwargs)
    if "model" not in kwargs:
        with pytest.raises((TypeError, ValueError)):
            connect(client, model=M25, **kwargs)
        with pytest.raises((TypeError, ValueError)):
            enable_interrupt_resume(**kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"nbytes": 1, "seconds": 1.0}, {"nbytes": 1.5},
                                    {"nbytes": "1"}, {"nbytes": True}, {"nbytes": -1},
                                    {"seconds": "1"}, {"seconds": -0.1}, {"seconds": math.nan},
                                    {"seconds": math.inf}, {"seconds": None}, {"seconds": 1j}])
async def test_playback_reports_refuse_bad_values(kwargs: dict[str, Any]) -> None:
    session = InterruptAwareSession(genai.Client(api_key="k").aio.live.connect(model=M25))
    with pytest.raises((TypeError, ValueError)):
        session.playback.played(**kwargs)
    assert session.playback.position == 0.0


async def barge_in(builder: Any, cls: type[InterruptAwareSession] = InterruptAwareSession
                   ) -> tuple[Interruption, list[str], float]:
    """One story, one barge-in, with ``builder``; the record, the notes, the longest gap the
    app's receive loop saw between messages."""
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        conn = server.client().aio.live.connect(model=M25, config=AUDIO)
        async with cls(conn, policy=INSTANT, prompt_builder=builder) as session:
            await session.send_realtime_input(text="Tell me a story.")
            barged = False
            last = time.monotonic()
            gap = 0.0
            for _ in range(2):
                async for m in session.receive():
                    now = time.monotonic()
                    gap, last = max(gap, now - last), now
                    if not barged and m.server_content and m.server_content.output_transcription:
                        barged = True
                        await session.send_realtime_input(text="Wait.")
            for _ in range(300):
                if session.interruptions:
                    break
                await asyncio.sleep(0.01)
        (record,) = session.interruptions
    return record, notes(server), gap


async def test_a_slow_builder_times_out_to_the_default_and_never_blocks_receiving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Quick(InterruptAwareSession):
        prompt_timeout = 0.2

    def slow(heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        time.sleep(1.0)
        return "too late"

    record, sent, gap = await barge_in(slow, Quick)
    assert record.injected and record.prompt and "Interruption note" in record.prompt
    assert sent == [record.prompt]
    assert gap < 0.5  # the app's loop went on while the builder slept in its thread
    assert any("longer than 0.20 s" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)


@pytest.mark.parametrize(("result", "expect"), [
    (b"bytes", "default"), (42, "default"), (["a"], "default"), ("", ""),
    ("x" * 1_000_000, "capped"),
])
async def test_builder_results(result: object, expect: str) -> None:
    record, sent, _ = await barge_in(lambda h, u, hist: result)
    assert record.injected and sent == [record.prompt]
    assert record.prompt is not None
    if expect == "default":
        assert "Interruption note" in record.prompt
    elif expect == "capped":
        assert record.prompt == "x" * InterruptAwareSession.max_prompt_chars
    else:
        assert record.prompt == result


async def test_a_raising_build_prompt_override_falls_back() -> None:
    class Broken(InterruptAwareSession):
        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            raise KeyError("boom")

    record, sent, _ = await barge_in(None, Broken)
    assert sent == [record.prompt]
    assert record.injected and record.prompt and "Interruption note" in record.prompt


async def test_playback_reports_need_whole_samples_and_a_connected_session() -> None:
    session = InterruptAwareSession(genai.Client(api_key="k").aio.live.connect(model=M25))
    with pytest.raises(ValueError, match="even"):
        session.playback.played(nbytes=3)
    with pytest.raises(RuntimeError, match="inside `async with`"):
        session.playback.played(nbytes=4)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with InterruptAwareSession(server.client().aio.live.connect(model=M25)) as s:
            s.playback.played(nbytes=4800)
            assert s.playback.position == 0.0  # no model turn yet: nothing to add it to


@pytest.mark.parametrize("connection", [None, "x", 3])
def test_the_session_wraps_only_a_connect_call(connection: object) -> None:
    with pytest.raises(TypeError, match=r"client\.aio\.live\.connect"):
        InterruptAwareSession(connection)  # type: ignore[arg-type]


async def test_an_open_sdk_session_is_refused_with_the_way_to_do_it() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25) as raw:
            with pytest.raises(TypeError, match=r"wraps the connect call"):
                InterruptAwareSession(raw)


async def test_a_session_is_entered_once() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        session = InterruptAwareSession(server.client().aio.live.connect(model=M25))
        async with session:
            pass
        with pytest.raises(RuntimeError, match="already used"):
            async with session:
                pass


async def test_a_subclass_around_the_shims_session_takes_it_over() -> None:
    class Mine(InterruptAwareSession):
        pass

    enable_interrupt_resume()
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        from_shim = server.client().aio.live.connect(model=M31)
        assert isinstance(from_shim, InterruptAwareSession)
        async with Mine(from_shim) as mine:
            # One wrapper, not two, and the model (so the channel) read from the connect call.
            assert not isinstance(mine.raw, InterruptAwareSession)
            assert mine.model == M31 and mine.policy.channel == "silent_content"
