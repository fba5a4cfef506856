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

from .conftest import AUDIO, M25, STORY, notes

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
