"""Shared by the examples: the model, the config, the real client, the --offline switch, and
how a record is printed."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from gemini_live_interrupt import Interruption

MODEL = os.environ.get("GEMINI_LIVE_MODEL", "gemini-2.5-flash-native-audio-preview-12-2025")
CONFIG: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    # The records are built from these. connect() and the shim add them when they are missing;
    # an InterruptAwareSession given client.aio.live.connect(...) cannot (it warns instead).
    "output_audio_transcription": {},  # what the model says, as text: `heard`
    "input_audio_transcription": {},  # what the user says, as text: `user_text`
}
STORY = ("Once upon a time a small robot lived in a lighthouse by the sea. Every night it "
         "counted the ships that passed, one by one, and wrote their names in a notebook.")


def offline_requested(description: str | None) -> bool:
    """Parse the command line: ``--offline`` runs the example against the embedded server."""
    parser = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0])
    parser.add_argument(
        "--offline", action="store_true",
        help="talk to the offline Live server (gemini_live_interrupt.testing.FakeLiveServer) "
             "instead of the Gemini Live API: no API key, no network")
    return bool(parser.parse_args().offline)


def real_client() -> Any:
    """``genai.Client`` for the Gemini Live API, from ``GEMINI_API_KEY``."""
    from google import genai

    key = os.environ.get("GEMINI_API_KEY")
    if not key:
        raise SystemExit("set GEMINI_API_KEY to talk to the Gemini Live API, or run it "
                         f"offline: python {sys.argv[0]} --offline")
    return genai.Client(api_key=key)


def say(who: str, text: str) -> None:
    """One line of the conversation: who, then what."""
    print(f"{who:<6} {text}", flush=True)


@contextlib.asynccontextmanager
async def offline_server(speed: float = 1.0, **kwargs: Any) -> AsyncIterator[Any]:
    """The embedded offline Live server, announced. As the real service does, it sends the
    model's audio faster than it plays (3x, its field timing's default). ``FakeLiveServer``
    needs the ``testing`` extra, so it is imported only here."""
    from gemini_live_interrupt.testing import FakeLiveServer

    async with FakeLiveServer(speed=speed, **kwargs) as server:
        pace = "real time" if speed == 1 else f"{speed:g}x real time"
        print(f"offline: FakeLiveServer plays the Gemini Live API on {server.url} "
              f"(no API key, no network), at {pace}", flush=True)
        yield server


def print_record(record: Interruption) -> None:
    """What the session recorded of one barge-in (``session.interruptions``)."""
    print(f"barge-in {record.episode}: the session's record")
    print(f"  heard      {record.heard!r}")
    print(f"             ({record.played_seconds:.1f} s of the turn had played, "
          f"{record.received_seconds:.1f} s had been received)")
    late = "  (none transcribed yet when the note left: the model hears the voice itself)"
    print(f"  user_text  {record.user_text!r}" + ("" if record.user_text else late))
    print(f"  injected   {record.injected}"
          + ("" if record.reason is None else f" ({record.reason})"))
    print(f"  channel    {record.channel}", flush=True)


def print_records(session: Any) -> None:
    if not session.interruptions:
        print("no barge-in was recorded", flush=True)
    for record in session.interruptions:
        print_record(record)
