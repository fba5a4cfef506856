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
