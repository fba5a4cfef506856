"""``python -m gemini_live_interrupt demo``: a barge-in against the embedded offline server."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

DEMO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks, and the robot had to decide "
    "whether to leave the lighthouse for the very first time."
)
QUESTION = "Wait, does the robot have a name?"


def _scripted_model(context: list[tuple[str, str]]) -> str:
    # The scripted model answers from what is in its context, as a real one would.
    last = next((text for role, text in reversed(context) if role == "user"), "")
    if "Interruption note" in last:
        marker = "You were cut off right after: <<<"
        after = last.split(marker, 1)[1].split(">>>", 1)[0].lstrip("…") if marker in last else ""
        return f"So, where was I? {after.rstrip('.,')}... and then one stormy night a ship came."
    if "story" in last:
        return STORY
    if "name" in last:
        return "Yes, the robot is called Pip."
    return "Sorry, go on."


class _Printer:
    def __init__(self, *, color: bool, as_json: bool) -> None:
        self.color, self.as_json = color, as_json
        self.t0 = time.monotonic()

    def event(self, kind: str, text: str, **extra: Any) -> None:
        t = time.monotonic() - self.t0
        if self.as_json:
            print(json.dumps({"t": round(t, 3), "event": kind, "text": text, **extra}), flush=True)
            return
        colors = {"model": "36", "user": "33", "note": "35", "heard": "32", "summary": "1"}
        label = f"{kind:>9}"
        if self.color and kind in colors:
            label = f"\033[{colors[kind]}m{label}\033[0m"
        print(f"{t:6.2f}s {label}  {text}", flush=True)


async def demo(speed: float, printer: _Printer) -> int:
    from google.genai import types

    try:
        from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession, connect
        from gemini_live_interrupt.testing import FakeLiveServer, SimulatedSpeaker
    except ImportError as exc:  # trustme missing: the testing extra is not installed
        print(f"The demo needs the testing extra: pip install -e \".[testing]\" ({exc})",
              file=sys.stderr)
        return 2

    class Session(InterruptAwareSession):
        # The demo plays `speed` times faster than real time; the playback clock follows.
        clock = staticmethod(lambda: time.monotonic() * speed)

    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        input_audio_transcription=types.AudioTranscriptionConfig(),
    )
    server = FakeLiveServer(replies=_scripted_model, speed=speed * 3)
    async with server:
        printer.event("server", f"offline Live server on {server.url} (no API key needed)")
        session: InterruptAwareSession
        # The user cuts in by realtime text, which the service answers at once: send the note
        # at once too (the original's timing), so the demo shows it.
        policy = InjectionPolicy(timing="on_interrupt")
        async with connect(server.client(), model=DEMO_MODEL, config=config,
                           policy=policy) as session, \
                SimulatedSpeaker(session.playback, speed=speed) as speaker:
            printer.event("user", "Tell me a story about a robot.")
            await session.send_realtime_input(text="Tell me a story about a robot.")

            async def barge_in() -> None:
                await speaker.wait_until_played(3.0)
                printer.event("user", f"{QUESTION}   (talking over the model)")
                await session.send_realtime_input(text=QUESTION)

            barger = asyncio.create_task(barge_in())
            async for message in session.receive():
                content = message.server_content
                if content and content.interrupted:
                    played = speaker.clear()
                    printer.event("service", f"interrupted (speaker had played {played:.1f} s)")
                elif content and content.model_turn:
                    for part in content.model_turn.parts or ():
                        if part.inline_data and part.inline_data.data:
                            speaker.write(part.inline_data.data)
            barger.cancel()
            for _ in range(200):
                if session.interruptions:
                    break
                await asyncio.sleep(0.01)
            if not session.interruptions:
                printer.event("summary", "the story ended before the user cut in (try --speed 2)")
                return 1
            record = session.interruptions[-1]
            printer.event("model", f"generated: {record.generated}")
            printer.event("heard", f"heard:     {record.heard}")
            printer.event("note", f"sent by {record.channel}: "
                          + (record.prompt or "").splitlines()[0][:80] + " ...",
                          prompt=record.prompt)
            # Two replies follow: one to the user's words, one to the note.
            for _ in range(2):
                speaker.new_turn()
                reply = ""
                async for message in session.receive():
                    content = message.server_content
                    out = content.output_transcription if content else None
                    if out and out.text:
                        reply += out.text
                printer.event("model", reply.strip())
            unheard = len(record.generated.split()) - len(record.heard.split())
            printer.event("summary", f"The user heard {len(record.heard.split())} of "
                          f"{len(record.generated.split())} generated words; the model was told "
                          f"exactly that ({unheard} unheard words were not assumed heard).")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m gemini_live_interrupt`` and ``gemini-live-interrupt``."""
    ap = argparse.ArgumentParser(prog="gemini-live-interrupt")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="a scripted barge-in against the offline server")
    d.add_argument("--speed", type=float, default=4.0, help="times faster than real time")
    d.add_argument("--json", action="store_true", help="machine-readable events")
    d.add_argument("--no-color", action="store_true", help="plain output")
    args = ap.parse_args(argv)
    if args.speed <= 0:
        ap.error("--speed must be > 0")
    color = not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    printer = _Printer(color=color, as_json=args.json)
    return asyncio.run(demo(args.speed, printer))


if __name__ == "__main__":
    raise SystemExit(main())
