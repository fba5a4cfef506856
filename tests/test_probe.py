"""The channel probe (``python -m gemini_live_interrupt probe``) against the offline server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.genai import types
from google.genai.live import AsyncSession

from gemini_live_interrupt._channels import send_note
from gemini_live_interrupt._policy import Channel
from gemini_live_interrupt._probe import (
    CHANNELS,
    ChannelResult,
    available_channels,
    print_report,
    probe_offline,
    suggest_row,
)

MODEL_25 = "gemini-2.5-flash-native-audio-preview-12-2025"
MODEL_38 = "gemini-3.8-live"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gemini_live_interrupt", "probe", *args],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("model", [MODEL_25, MODEL_38])
async def test_the_offline_probe_sees_which_channels_start_a_reply(model: str) -> None:
    report = await probe_offline(model)
    by = {r.channel: r for r in report.results}
    assert list(by) == list(available_channels())
    for r in report.results:
        assert r.accepted and not r.closed and r.note_sent and r.error is None, r
        if not r.interrupted:
            assert r.note_to_audio_s is not None, r  # the story went on, or the reply came
    # Silent channels: the story goes on to its end and no turn of the note's own follows.
    for channel in [c for c in ("silent_content", "context_update") if c in by]:
        assert not by[channel].replied and not by[channel].interrupted
        assert by[channel].story_ended and by[channel].note_to_reply_audio_s is None
    # Realtime text is user input: it cuts the story and is answered.
    assert by["realtime_text"].replied and by["realtime_text"].interrupted
    assert by["realtime_text"].note_to_reply_audio_s is not None
    if model == MODEL_25:
        # A user turn during a 2.5 answer is answered after it (the server's assumption).
        assert by["client_content"].replied and not by["client_content"].interrupted
    else:
        # 3.8: a turn-completing clientContent cuts the answer (documented), and on 3.x its
        # reply waits for realtime input (reported, pipecat 1.14): the probe sends none, so
        # no reply follows by itself.
        assert not by["client_content"].replied and by["client_content"].interrupted
        assert by["client_content"].note_to_reply_audio_s is None
    # The model table's own channel worked (accepted, no reply, the story not cut): kept. For
    # 2.5 that is context_update, chosen for what the probe cannot see (whether the answer to
    # the user's audio uses the note), so the probe must not talk the table out of it.
    family = "2.5" if model == MODEL_25 else "3.8"
    table = "context_update" if model == MODEL_25 and "context_update" in by else "silent_content"
    assert report.model_table_row == (family, table)
    data = json.loads(json.dumps(report.to_json()))
    assert data["model"] == model and data["service"] == "offline"
    assert data["model_table_row"] == [family, table]
    assert data["model_table_channel"] == ("context_update" if model == MODEL_25 else
                                           "silent_content")
    printed = io.StringIO()
    print_report(report, printed)
    assert ("context_update worked here: keep it" if table == "context_update" else
            "context_update was not probed: this google-genai has no send_context_update"
            if model == MODEL_25 else "silent_content worked here") in printed.getvalue()


async def _roleless_silent(raw: AsyncSession, prompt: str, channel: Channel,
                           instruction: str) -> None:
    """``silent_content`` without a role (what LiveKit reports 3.x closing on); others as is."""
    if channel != "silent_content":
        await send_note(raw, prompt, channel, instruction)
        return
    await raw.send_client_content(turns=types.Content(parts=[types.Part(text=prompt)]),
                                  turn_complete=False)


async def test_a_3x_close_on_a_roleless_turn_is_reported_and_the_rest_go_on() -> None:
    report = await probe_offline(MODEL_38, send=_roleless_silent)
    by = {r.channel: r for r in report.results}
    closed = by["silent_content"]
    assert closed.note_sent and closed.closed and not closed.accepted
    assert closed.close_code == 1007 and "invalid argument" in (closed.close_reason or "")
    assert not closed.replied and closed.error is None
    assert closed.to_json()["closed"] is True
    for channel in [c for c in ("context_update", "realtime_text", "client_content") if c in by]:
        assert by[channel].accepted, by[channel]
    # silent_content closed: the next silent channel accepted without a reply is chosen.
    if "context_update" in by:
        assert report.model_table_row == ("3.8", "context_update")
    printed = io.StringIO()
    print_report(report, printed)
    assert "silent_content failed here: closed 1007" in printed.getvalue()


async def test_2_5_takes_a_roleless_turn() -> None:
    report = await probe_offline(MODEL_25, channels=("silent_content",), send=_roleless_silent)
    assert report.results[0].accepted and not report.results[0].replied


def test_the_suggested_row_falls_back_to_the_safest_accepted_channel() -> None:
    def r(channel: Channel, *, accepted: bool = True, replied: bool = False,
          interrupted: bool = False) -> ChannelResult:
        return ChannelResult(channel, accepted, close_code=None if accepted else 1007,
                             note_sent=True, replied=replied, interrupted=interrupted)

    results = [r("silent_content", accepted=False), r("context_update", replied=True),
               r("realtime_text", replied=True, interrupted=True),
               r("client_content", replied=True)]
    assert suggest_row("models/gemini-3.1-flash-live", results) == ("3.1", "context_update")
    results[1] = r("context_update", accepted=False)
    assert suggest_row("gemini-3.1-flash-live", results)[1] == "client_content"  # type: ignore[index]
    assert suggest_row("gemini-live", [r(c, accepted=False) for c in CHANNELS]) is None
    assert suggest_row("gemini-live", [r("silent_content")]) == ("gemini-live", "silent_content")


def test_the_model_tables_channel_is_kept_unless_the_probe_saw_it_fail() -> None:
    def r(channel: Channel, *, accepted: bool = True, replied: bool = False,
          interrupted: bool = False) -> ChannelResult:
        return ChannelResult(channel, accepted, close_code=None if accepted else 1007,
                             note_sent=True, replied=replied, interrupted=interrupted)

    model = "gemini-2.5-flash-native-audio-preview-12-2025"  # the table: context_update
    both = [r("silent_content"), r("context_update")]
    assert suggest_row(model, both) == ("2.5", "context_update")
    # Failing as the probe can see it: closed, a reply of its own, the story cut.
    for failed in (r("context_update", accepted=False), r("context_update", replied=True),
                   r("context_update", interrupted=True)):
        assert suggest_row(model, [r("silent_content"), failed]) == ("2.5", "silent_content")
    # Not probed (a google-genai without send_context_update): nothing to keep.
    assert suggest_row(model, [r("silent_content")]) == ("2.5", "silent_content")
    # Another table (a subclass's) is asked the same way.
    table: tuple[tuple[str, Channel], ...] = (("2.5", "silent_content"),)
    assert suggest_row(model, both, table) == ("2.5", "silent_content")
    assert suggest_row("gemini-3.8-live", both) == ("3.8", "silent_content")


def test_the_command_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    done = run("--model", MODEL_38, "--json", str(out))
    assert done.returncode == 0, done.stderr
    for word in (MODEL_38, "silent_content", "accepted", "suggested model_table row",
                 str(out), "the model table's row for it: ('3.8', 'silent_content')",
                 "silent_content worked here: keep it",
                 "whether the model's next answer used the note"):
        assert word in done.stdout, word
    data = json.loads(out.read_text())
    assert data["model"] == MODEL_38 and data["sdk"] == "google-genai"
    assert data["sdk_version"] and data["date"]
    assert [c["channel"] for c in data["channels"]] == list(available_channels())
    assert all(c["accepted"] and c["close_code"] is None for c in data["channels"])
    assert data["model_table_row"] == ["3.8", "silent_content"]


async def test_a_model_the_table_does_not_know_gets_a_row_to_add() -> None:
    report = await probe_offline("gemini-4.0-live", channels=("silent_content",))
    printed = io.StringIO()
    print_report(report, printed)
    text = printed.getvalue()
    assert "no row for it: notes go by silent_content (the fallback)" in text
    assert "('4.0', 'silent_content') (silent_content worked here: add the row)" in text


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"}
    return {**env, **extra}


def test_live_without_a_key_says_so_and_exits_2() -> None:
    done = run("--live", env=_env())
    assert done.returncode == 2
    assert "GEMINI_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_live_without_a_network_prints_one_line() -> None:
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    done = run("--live", env=_env(GEMINI_API_KEY="x", GOOGLE_GEMINI_BASE_URL="https://127.0.0.1:9"))
    assert done.returncode == 1
    assert "could not reach" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
