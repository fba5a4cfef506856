"""The demo (``python -m gemini_live_interrupt demo``) against the embedded offline server."""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from gemini_live_interrupt import InjectionPolicy
from gemini_live_interrupt.__main__ import main
from gemini_live_interrupt._demo import _scripted_model, parse_policy
from gemini_live_interrupt._printer import Printer

from .conftest import CHANNEL_25, needs_context_update

# The demo's and the examples' model is a 2.5 one, whose channel is a context update: on a
# google-genai without one (the 2.0 lower bound) the session warns and falls back to a
# channel that model's answer does not see (tested in test_policies.py).
pytestmark = needs_context_update

TURN_STARTING = ("client_content", "realtime_text")
STAMP = re.compile(r"^ {0,3}(\d+\.\d)s  (\S+)")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    return subprocess.run([sys.executable, "-m", "gemini_live_interrupt", "demo", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**environ, **(env or {})})


def timeline(stdout: str) -> list[tuple[float, str, str]]:
    """(time, label, the event's text with its wrapped lines joined) of each event."""
    events: list[tuple[float, str, str]] = []
    for line in stdout.splitlines():
        m = STAMP.match(line)
        if m:
            events.append((float(m.group(1)), m.group(2), line[m.end():].strip()))
        elif events and line.startswith(" " * 18):
            t, label, text = events[-1]
            events[-1] = (t, label, f"{text} {line.strip()}")
    return events


def assert_fits(stdout: str) -> None:
    assert "\033[" not in stdout  # not a terminal: no colour codes
    for line in stdout.splitlines():
        assert len(line) <= 80, line


@pytest.mark.parametrize("policy", ["auto", "silent_content", "context_update",
                                    "client_content", "realtime_text"])
def test_each_policy_prints_the_key_events_in_order(policy: str) -> None:
    # COLUMNS wider than 80: the timeline still fits 80 columns.
    done = run("--speed", "6", "--policy", policy, env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert_fits(done.stdout)
    channel = CHANNEL_25 if policy == "auto" else policy
    assert done.stdout.count("conversation time") == 1  # said once, in the header
    events = timeline(done.stdout)
    times = [t for t, _, _ in events]
    assert times == sorted(times) and times[0] == 0.0
    labels = [label for _, label, _ in events]
    texts = [text for _, _, text in events]

    def first(label: str, start: str) -> int:
        return next(i for i, (lab, text) in enumerate(zip(labels, texts, strict=True))
                    if lab == label and text.startswith(start))

    request, story = first("you", "(typing) Tell me a story"), first("model", "starts")
    spoken, cut = first("you", "(talking over the model)"), first("barge-in", "")
    note, heard = first("note", f"sent by {channel}"), first("service", "transcribes your")
    answers = [i for i, lab in enumerate(labels) if lab == "model" and i > cut]
    assert request < story < spoken < cut < note < answers[0]
    assert cut < heard
    assert re.search(r"played \d\.\d s of the story, so you heard \d+ of the \d+ words sent so "
                     r'far: "Once upon a time', texts[cut])
    # The note: its channel, whether it starts a reply, and its lines about this barge-in.
    starts = channel in TURN_STARTING
    assert ("a reply of its own" if starts else "it starts no reply") in texts[note]
    assert "as far as the user heard it: <<<Once upon a time" in texts[note]
    assert texts[note].endswith("--full-note prints them)")
    # The transcription comes late, and says so.
    assert re.search(r"up to \d\.\d s after you stopped talking", texts[heard])
    assert texts[heard].endswith('"Wait, does the robot have a name?"')
    # Turn-starting channels cost a reply of their own, which talks over the user.
    assert len(answers) == (2 if starts else 1)
    if starts:
        assert texts[answers[0]].startswith(f"answers the note itself ({channel} makes it")
        assert "talking over you for" in texts[answers[0]]
        assert "in a second reply" in texts[answers[1]]
    last = texts[answers[-1]]
    flat = " ".join(done.stdout.split())  # the summary paragraph, unwrapped
    assert last.startswith("answers your spoken question")
    assert "Pip" in last
    if channel == "silent_content":
        # 2.5's answer to audio does not see model-role content (docs/policies.md): it goes
        # on from all it had generated, skipping what the user never heard.
        assert "the note is NOT in its context" in last and "One stormy night" in last
        assert re.search(r"went on after word \d+, skipping \d+ words you never heard", flat)
    else:
        assert "the note is in its context" in last and "by the sea" in last
        assert re.search(r"went on right after the \d+ words you heard\.", flat)
    assert "In short: you heard" in flat


def test_json_events_carry_the_facts() -> None:
    done = run("--json", "--speed", "6", "--policy", "client_content")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds == ["user", "model", "user", "barge_in", "note", "answer", "transcription",
                     "answer", "summary"] or kinds == [
        "user", "model", "user", "barge_in", "note", "transcription", "answer", "answer",
        "summary"]
    timed = [e["t"] for e in events]
    assert timed == sorted(timed)
    by = {e["event"]: e for e in events}
    cut, note, summary = by["barge_in"], by["note"], by["summary"]
    assert cut["heard"] and cut["generated"].startswith(cut["heard"])
    assert note["channel"] == "client_content" and note["starts_reply"] is True
    assert "Interruption note" in note["prompt"]
    answers = [e for e in events if e["event"] == "answer"]
    assert [a["cause"] for a in answers] == ["client_content", "user_audio"]
    assert answers[0]["over_user_seconds"] > 0 and answers[1]["over_user_seconds"] == 0
    assert all(a["note_in_context"] for a in answers)
    assert summary["injected"] and summary["reason"] is None and summary["error"] is None
    assert summary["replies"] == 2 and summary["channel"] == "client_content"
    assert "Wait, does the robot have a name?".startswith(summary["user_text"].strip())
    assert len(summary["heard"].split()) < len(summary["generated"].split())


def test_compare_plays_the_same_barge_in_under_two_policies() -> None:
    done = run("--compare", "context_update", "client_content", "--speed", "6")
    assert done.returncode == 0, done.stderr
    assert_fits(done.stdout)
    out = done.stdout
    assert "── A: --policy context_update ─" in out and "── B: --policy client_content ─" in out
    a, b = out.split("── B:")
    assert "(word for word the note of run A)" in b  # the same note is not printed twice
    assert_same_cut(a, b)
    table = out.split("Side by side (the same seed, the same barge-in):")[1].splitlines()
    rows = {line[:28].strip(): line[28:].split() for line in table if line.strip()}
    assert rows[""] == ["A:", "context_update", "B:", "client_content"]
    assert rows["replies after the barge-in"] == ["1", "2"]
    assert rows["the note starts a reply"] == ["no", "yes"]
    assert rows["the note in their context"] == ["yes", "yes,", "both"]
    assert rows["the model talks over you"][0] == "no"
    assert rows["the model talks over you"][1] == "for"
    assert next(line[28:] for line in table if line.startswith("the story goes on")).count(
        "(as heard)") == 2  # both notes reached the answer: it goes on where you stopped
    assert "Auto sends the note by context_update on this model." in out


def test_compare_runs_the_second_policy_as_the_first() -> None:
    # The same policy twice, at the top speed: run B must cut the story where run A did.
    # (The garbage collector collecting run A's leftovers in the middle of run B, which the
    # speed makes tens of conversation milliseconds, put a word more on B's side in 8 runs of 10.)
    done = run("--compare", "context_update", "context_update", "--speed", "10")
    assert done.returncode == 0, done.stderr
    assert_same_cut(*done.stdout.split("── B:"))


def assert_same_cut(a: str, b: str) -> None:
    """Runs A and B (their output) cut the story at the same word: as many of its words had
    come when the flag did, and as many were heard."""
    cuts = [re.search(r"so you heard (\d+ of the \d+) words", part) for part in (a, b)]
    assert cuts[0] and cuts[1], (a, b)
    assert cuts[0].group(1) == cuts[1].group(1)


def test_piped_into_head_it_exits_quietly() -> None:
    for args in ("", "--json"):
        done = subprocess.run(
            f"'{sys.executable}' -m gemini_live_interrupt demo {args} | head -2; "
            "echo \"exit=${PIPESTATUS[0]}\" >&2",
            shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
        assert len(done.stdout.splitlines()) == 2
        assert "Traceback" not in done.stderr and "Error" not in done.stderr
        assert done.stderr.strip() in ("exit=0", "exit=141"), done.stderr


def test_live_without_a_key_says_so_in_one_line_and_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "gemini_live_interrupt", "demo", "--live"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "GEMINI_API_KEY" in done.stderr


def test_live_without_a_network_says_so_in_one_line() -> None:
    import google.genai._base_url as base_url

    if "GOOGLE_GEMINI_BASE_URL" not in inspect.getsource(base_url):
        pytest.skip("this google-genai takes no base URL from the environment")
    # A loopback port nobody listens on: the connection is refused, nothing leaves the host.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run("--live", env={"GEMINI_API_KEY": "dummy-key",
                              "GOOGLE_GEMINI_BASE_URL": f"https://127.0.0.1:{port}"})
    assert done.returncode == 3
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("demo --live: the Gemini Live API failed")


def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["demo", "--policy", "soon"], ["demo", "--policy", "on_interrupt"],
                 ["demo", "--speed", "0"], ["demo", "--speed", "50"],
                 ["demo", "--speed", "nan"], ["demo", "--policy", "after_user_turn+hold"],
                 ["demo", "--policy", "on_interrupt:client_content"],
                 ["demo", "--compare", "auto", "pigeon"], ["demo", "--compare", "auto"],
                 ["demo", "--compare", "auto", "client_content", "--policy",
                  "context_update"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--policy" in err and "--compare" in err and "--speed" in err


def test_parse_policy() -> None:
    assert parse_policy("auto") == InjectionPolicy()
    assert parse_policy("auto").channel is None
    for channel in ("silent_content", "context_update", "client_content", "realtime_text"):
        assert parse_policy(channel) == InjectionPolicy(channel=channel)
    assert parse_policy(" context_update ").channel == "context_update"


@pytest.mark.parametrize("spec", ["carrier_pigeon", "on_interrupt", "after_user_turn",
                                  "on_interrupt:client_content", "context_update+hold", ""])
def test_parse_policy_names_the_choices_for_an_unknown_name(spec: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_policy(spec)
    message = str(exc.value)
    assert repr(spec) in message
    # The choices in plain words, not a tuple's repr.
    assert "auto" in message and "'silent_content'" not in message
    assert "silent_content, context_update, client_content or realtime_text" in message


# -- the printer, in process ------------------------------------------------------------------

def printer(*, color: bool = False, width: int = 80) -> tuple[Printer, io.StringIO]:
    out = io.StringIO()
    now = [0.0]
    p = Printer(color=color, as_json=False, out=out, width=width, clock=lambda: now[0])
    p.start(4.0)
    return p, out


def test_the_printer_wraps_at_words_with_a_hanging_indent() -> None:
    p, out = printer()
    p.event("note", "word " * 40, detail=["detail " * 20])
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("  0.0s  note      word ")
    assert all(len(line) <= 80 for line in lines)
    assert all(line.startswith(" " * 18) for line in lines[1:])
    assert all(line.rstrip().endswith(("word", "detail")) for line in lines)  # not mid-word
    assert "\033[" not in out.getvalue()
    p, out = printer(color=True, width=200)  # wider terminals still get 80 columns
    p.event("barge_in", "x " * 60)
    first = out.getvalue().splitlines()[0]
    assert "\033[1;31mbarge-in\033[0m" in first
    assert len(re.sub(r"\033\[[0-9;]*m", "", first)) <= 80


def test_held_events_come_out_in_time_order() -> None:
    p, out = printer()
    p.hold()
    p.event("transcription", "later", t=2.0)
    p.event("answer", "earlier", t=1.0)
    assert out.getvalue() == ""
    p.release()
    assert [line.split()[2] for line in out.getvalue().splitlines()] == ["earlier", "later"]


def test_a_reader_that_went_away_stops_the_printer_quietly() -> None:
    class Gone(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError

    stopped: list[bool] = []
    p = Printer(color=False, as_json=False, out=Gone())
    p.on_broken = lambda: stopped.append(True)
    p.event("user", "hello")  # no exception: it is raised in the app's own hooks too
    p.event("user", "again")
    assert p.broken and stopped == [True]


def test_the_offline_model_goes_on_from_what_its_context_says_was_heard() -> None:
    story = _scripted_model([("user", "Tell me a story about a robot.")])
    told = " ".join(story.split()[:20])
    question = ("user", "Wait, does the robot have a name?")
    note = ("system", "Interruption note ... as far as the user heard it: <<<Once upon a time "
            "a small robot lived in a lighthouse>>>")
    with_note = _scripted_model([note, ("model", told), question])
    assert with_note.startswith("Yes, the robot is called Pip.") and "by the sea" in with_note
    without = _scripted_model([("model", told), question])
    assert "by the sea" not in without  # it resumes after all it generated
    # A note as a user turn of its own, before the question was heard, gets its own reply.
    assert _scripted_model([("model", told), ("user", note[1])]) == "Oh, sorry. Go ahead?"
