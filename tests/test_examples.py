"""Every example runs as a user runs it, ``python examples/NAME.py --offline`` (against the
offline server, with a simulated speaker and a scripted microphone or keyboard where it needs
one), and prints what happened; the quickstart's test passes under pytest. So none of them
rots, and what a user sees is checked."""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import needs_context_update

# The demo's and the examples' model is a 2.5 one, whose channel is a context update: on a
# google-genai without one (the 2.0 lower bound) the session warns and falls back to a
# channel that model's answer does not see (tested in test_policies.py).
pytestmark = needs_context_update

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = ["mic_speaker", "shim_unchanged", "subclass_logging", "text_chat"]
STORY = ("Once upon a time a small robot lived in a lighthouse by the sea. Every night it "
         "counted the ships that passed, one by one, and wrote their names in a notebook.")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          cwd=EXAMPLES.parent, env=env, stdin=subprocess.DEVNULL)


@functools.cache
def offline(name: str) -> str:
    """What ``python examples/NAME.py --offline`` printed (each runs once per test session)."""
    done = run(f"examples/{name}.py", "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def record_of(output: str) -> dict[str, str]:
    """The fields of the one record an example printed."""
    assert output.count("barge-in 1: the session's record") == 1, output
    assert "barge-in 2" not in output, output
    fields = dict(re.findall(r"^  (heard|user_text|injected|channel) +(.*)$", output, re.M))
    assert set(fields) == {"heard", "user_text", "injected", "channel"}, output
    return fields


@pytest.mark.parametrize("name", SCRIPTS)
def test_runs_offline_and_prints_the_record(name: str) -> None:
    out = offline(name)
    assert out.startswith("offline: FakeLiveServer plays the Gemini Live API"), out
    record = record_of(out)
    heard = ast.literal_eval(record["heard"])
    assert heard and STORY.startswith(heard), out  # some of the story, cut at a word
    assert len(heard) < len(STORY), out
    assert record["injected"] == "True", out
    assert record["channel"] == "context_update", out  # the model table's choice for 2.5


def test_typed_barge_ins_carry_the_users_words() -> None:
    for name, words in (("shim_unchanged", "Actually, make it about dragons."),
                        ("subclass_logging", "Wait, who is the hero?"),
                        ("text_chat", "Wait, what about dragons?")):
        assert ast.literal_eval(record_of(offline(name))["user_text"]) == words


def test_each_prints_its_own_story() -> None:
    chat = offline("text_chat")
    assert re.search(r"^model  Once upon a time .* \[cut off\]$", chat, re.M), chat
    assert "model  Dragons, then." in chat, chat
    shim = offline("shim_unchanged")
    assert "the app's session: InterruptAwareSession" in shim, shim
    logged = offline("subclass_logging")
    assert re.search(r"^log    barge-in 1: heard='Once.*' injected=True \(None\)$", logged, re.M)
    mic = offline("mic_speaker")
    assert "(the note in its context: True)" in mic, mic


def test_without_a_key_they_say_how_to_run_offline() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    for name in SCRIPTS:
        done = run(f"examples/{name}.py", env=env)
        assert done.returncode == 1
        assert f"python examples/{name}.py --offline" in done.stderr, done.stderr


def test_no_example_imports_sounddevice_or_the_testing_extra_at_import() -> None:
    code = ("import sys; sys.path.insert(0, 'examples')\n"
            f"for name in {[*SCRIPTS, 'my_app', '_common']!r}: __import__(name)\n"
            "assert 'sounddevice' not in sys.modules\n"
            "assert 'trustme' not in sys.modules  # the real service needs no testing extra\n")
    done = run("-c", code)
    assert done.returncode == 0, done.stderr


def test_the_quickstart_test_passes() -> None:
    done = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/test_my_app.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


async def test_the_quickstart_app_plays_nothing_of_a_cut_turn_after_its_flag(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Reported: the flag can ride on an audio chunk (strands-agents/harness-sdk#3725) and the
    # cut turn's chunks can still come after it (livekit-plugins-google realtime_api.py). The
    # README's app plays none of them: after its clear(), only the answer's audio is written.
    import asyncio

    from gemini_live_interrupt.testing import FakeLiveServer, Quirks, user_audio

    monkeypatch.syspath_prepend(str(EXAMPLES))
    from my_app import talk

    speed = 4.0
    events: list[tuple[str, int]] = []

    class Recorder:
        def __init__(self, playback: object) -> None: ...
        async def __aenter__(self) -> Recorder:
            return self
        async def __aexit__(self, *exc: object) -> None: ...
        def write(self, pcm: bytes) -> None:
            events.append(("write", len(pcm)))
        def clear(self) -> None:
            events.append(("clear", 0))

    async def say(seconds: float, speech: bool = True) -> Any:
        for _ in range(round(seconds / 0.04)):
            await asyncio.sleep(0.04 / speed)
            yield user_audio(0.04, speech=speech)

    async def microphone() -> Any:
        async for chunk in say(0.5):
            yield chunk
        while sum(1 for kind, _ in events if kind == "write") < 5:  # the story has begun
            async for chunk in say(0.04, speech=False):
                yield chunk
        async for chunk in say(0.6):  # over the story, while it is still being sent
            yield chunk
        async for chunk in say(2.0, speech=False):
            yield chunk
        await server.wait_for(lambda: len(server.turns) == 2 and bool(server.turns[1].ended_at))

    quirks = Quirks(audio_with_interrupted=True, output_after_interrupted=5)
    async with FakeLiveServer(replies=[STORY, "Its name is Pip."], speed=speed, quirks=quirks,
                              user_transcripts=["Tell me a story.", "What is its name?"]
                              ) as server:
        session = await talk(server.client(), microphone(), Recorder)
    story, answer = server.turns
    assert story.interrupted and not answer.interrupted
    assert story.audio_seconds_sent < len(STORY.split()) * 0.3  # cut while still being sent
    (clear,) = [i for i, (kind, _) in enumerate(events) if kind == "clear"]
    after = sum(n for kind, n in events[clear:] if kind == "write")
    assert after == round(answer.audio_seconds_sent * 48000)  # the answer's audio, no more
    assert session.interruptions[0].injected
