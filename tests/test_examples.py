"""Every example runs against the offline server (audio devices replaced by the simulated
speaker and a scripted microphone), so none of them rots."""

from __future__ import annotations

import asyncio
import importlib
import math
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gemini_live_interrupt.testing import FakeLiveServer, SimulatedSpeaker

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STORY = ("Once upon a time a small robot lived in a lighthouse by the sea. Every night it "
         "counted the ships that passed, one by one, and wrote their names in a notebook.")
SPEED = 20.0


@pytest.fixture
def examples() -> Iterator[Any]:
    sys.path.insert(0, str(EXAMPLES))
    loaded: list[str] = []

    def load(name: str) -> ModuleType:
        loaded.append(name)
        return importlib.import_module(name)

    try:
        yield load
    finally:
        sys.path.remove(str(EXAMPLES))
        for name in [*loaded, "_common"]:
            sys.modules.pop(name, None)


def test_no_example_imports_sounddevice_at_import_time(examples: Any) -> None:
    for path in EXAMPLES.glob("*.py"):
        examples(path.stem)
    assert "sounddevice" not in sys.modules


async def test_text_chat(examples: Any) -> None:
    chat = examples("text_chat")

    async def lines() -> AsyncIterator[str]:
        yield "Tell me a story."
        await server.wait_for(
            lambda: bool(server.turns) and server.turns[0].delivered.count(" ") > 4)
        yield "Wait, what about dragons?"

    async with FakeLiveServer(replies=[STORY, "Dragons, then.", "Noted."], speed=SPEED) as server:
        replies = await chat.main(server.client(), lines())
    assert any("Dragons" in r for r in replies)
    assert any(m.kind in ("context_update", "client_content")  # the latter on google-genai < 3
               and "Interruption note" in str(m.data) for m in server.received)


async def test_shim_on_unchanged_code(examples: Any) -> None:
    shim = examples("shim_unchanged")
    async with FakeLiveServer(replies=[STORY, "Dragons!", "Right."], speed=SPEED) as server:
        session = await shim.main(server.client())
    (record,) = session.interruptions
    assert record.injected and "Interruption note" in (record.prompt or "")


async def test_subclass_logs_interruptions(examples: Any, caplog: pytest.LogCaptureFixture) -> None:
    sub = examples("subclass_logging")
    caplog.set_level("INFO", logger="my_app")
    async with FakeLiveServer(replies=[STORY, "The robot.", "Fine."], speed=SPEED) as server:
        session = await sub.main(server.client())
    assert session.interruptions and "barge-in 1" in caplog.text
    (record,) = session.interruptions
    assert record.injected and "injected=True" in caplog.text, record.reason
    assert (record.prompt or "").startswith("[Note from the app]")


def tone(seconds: float, amplitude: int) -> bytes:
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / 16000)))
                    for i in range(int(seconds * 16000)))


async def test_mic_and_speaker_with_playback_reporting(examples: Any) -> None:
    app = examples("mic_speaker")
    speakers: list[SimulatedSpeaker] = []

    def speaker(playback: Any) -> SimulatedSpeaker:
        speakers.append(SimulatedSpeaker(playback, speed=SPEED))
        return speakers[-1]

    async def microphone() -> AsyncIterator[bytes]:
        async def say(seconds: float, amplitude: int) -> AsyncIterator[bytes]:
            chunk = tone(0.04, amplitude)
            for _ in range(round(seconds / 0.04)):
                yield chunk
                await asyncio.sleep(0.04 / SPEED)

        async for c in say(0.5, 5000):  # "Tell me a story."
            yield c
        async for c in say(0.8, 0):  # longer than the service's 0.6 s silence window
            yield c
        await speakers[0].wait_until_played(2.0)
        async for c in say(0.6, 5000):  # the user talks over the story
            yield c
        async for c in say(1.5, 0):
            yield c
        await server.wait_for(lambda: len(server.turns) >= 2 and bool(server.turns[-1].ended_at))

    async with FakeLiveServer(replies=[STORY, "Dragons.", "Noted."], speed=SPEED * 3,
                              user_transcripts=["Tell me a story.", "What about dragons?"],
                              ) as server:
        session = await app.main(server.client(), speaker=speaker, microphone=microphone())
    record = session.interruptions[0]
    truth = server.turns[0].heard_at(record.played_seconds)
    assert record.injected
    assert record.heard and abs(len(record.heard.split()) - len(truth.split())) <= 2
    assert len(record.heard.split()) < len(server.turns[0].delivered.split())


def test_the_example_test_passes() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(EXAMPLES / "test_my_app.py")], capture_output=True, text=True,
                          timeout=300, cwd=EXAMPLES.parent)
    assert done.returncode == 0, done.stdout + done.stderr
