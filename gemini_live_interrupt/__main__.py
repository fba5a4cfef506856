"""``python -m gemini_live_interrupt demo``: a scripted barge-in, offline or on the real service.

The demo asks the model for a story, plays it through a simulated speaker, talks over it after
a few seconds and prints a timeline: what the model generated and what was heard, the
barge-in, the note this library sent, and the model's reply. Offline (the default) it runs
against the embedded :class:`~gemini_live_interrupt.testing.FakeLiveServer`; with ``--live``
and ``GEMINI_API_KEY`` it runs the same code against the Gemini Live API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import struct
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO, get_args

__all__ = ["DEMO_MODEL", "LIVE_MODEL", "main", "parse_policy"]

#: The model name the offline demo announces (its quirks: a 2.5 native-audio model).
DEMO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
#: The model ``--live`` talks to (override with ``GEMINI_LIVE_MODEL``).
LIVE_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"

REQUEST = "Tell me a story about a robot."
STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks, and the robot had to decide "
    "whether to leave the lighthouse for the very first time."
)
QUESTION = "Wait, does the robot have a name?"
NOTE_MARK = "Interruption note"
HEARD_MARK = "as far as the user heard it: <<<"


def _continuation(note: str, words: int = 14) -> str:
    """The story from where the user stopped hearing it, as the note says."""
    heard = note.split(HEARD_MARK, 1)[1].split(">>>", 1)[0] if HEARD_MARK in note else ""
    rest = STORY[len(heard):].split() if STORY.startswith(heard) else STORY.split()
    return "... " + " ".join(rest[:words]) + "..."


def _scripted_model(context: list[tuple[str, str]]) -> str:
    """The offline model: answers from what is in its context, as a real one would."""
    last = next((text for role, text in reversed(context) if role == "user"), "")
    system = next((text for role, text in context if role == "system"), "")
    answered = any(role == "model" and "Pip" in text for role, text in context)
    memory = next((text for role, text in reversed(context)
                   if role == "model" and NOTE_MARK in text), "")  # a silent_content note
    note = (last if NOTE_MARK in last else system if NOTE_MARK in system else memory)
    resume = f"Now, where was I? {_continuation(note)}"
    if NOTE_MARK in last:  # a note sent as a user turn (client_content or realtime text)
        return f"So, where was I? {_continuation(note)}" if answered else (
            f"The robot is called Pip. {resume}")
    if "story" in last:
        return STORY
    if "name" in last:
        if answered:
            return "As I said, Pip."
        # A note that starts no turn (context update, model-role content): one blended reply.
        return "Yes, the robot is called Pip." + (f" {resume}" if note else "")
    return "Sorry, go on."


# -- the policy option ---------------------------------------------------------------------------

POLICY_HELP = (
    "'auto' (the model table's choice of channel) or a channel: silent_content, "
    "context_update, client_content or realtime_text; the note always leaves at the barge-in"
)


def parse_policy(spec: str) -> Any:
    """Parse ``--policy``: ``auto`` or a channel name, into an ``InjectionPolicy``.

    Raises:
        ValueError: a name that is neither ``auto`` nor a channel.
    """
    from gemini_live_interrupt import InjectionPolicy
    from gemini_live_interrupt._policy import Channel

    name = spec.strip()
    if name == "auto":
        return InjectionPolicy()
    channels: tuple[Channel, ...] = get_args(Channel)
    for channel in channels:
        if name == channel:
            return InjectionPolicy(channel=channel)
    raise ValueError(f"unknown policy {spec!r}: use auto (the model table's choice) or a "
                     f"channel: {', '.join(channels[:-1])} or {channels[-1]}")


# -- output --------------------------------------------------------------------------------------

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_COLORS = {"model": "36", "user": "33", "note": "35", "heard": "32", "service": "31",
           "summary": "1", "server": "2", "generated": "2"}


class Printer:
    """Prints the timeline (or JSON lines) and a progress indicator on a terminal's stderr."""

    def __init__(self, *, color: bool, as_json: bool, out: TextIO | None = None,
                 progress: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.color, self.as_json = color, as_json
        self.out = out if out is not None else sys.stdout
        self.progress = progress and not as_json
        self.clock = clock
        self.t0 = clock()
        self.status = "connecting"
        self.events: list[dict[str, Any]] = []
        self._spun = False

    def event(self, kind: str, text: str, **extra: Any) -> None:
        """One line of the timeline: seconds since start, kind, text."""
        t = self.clock() - self.t0
        self.events.append({"t": round(t, 3), "event": kind, "text": text, **extra})
        self._clear_spinner()
        if self.as_json:
            print(json.dumps(self.events[-1]), file=self.out, flush=True)
            return
        label = f"{kind:>9}"
        if self.color and kind in _COLORS:
            label = f"\033[{_COLORS[kind]}m{label}\033[0m"
        print(f"{t:6.2f}s {label}  {text}", file=self.out, flush=True)

    def _clear_spinner(self) -> None:
        if self._spun:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._spun = False

    async def spin(self) -> None:
        """Show ``status`` beside a spinner on stderr until cancelled (terminals only)."""
        if not self.progress:
            return
        try:
            for i in range(10**9):
                sys.stderr.write(f"\r\033[K{_SPINNER[i % len(_SPINNER)]} {self.status}…")
                sys.stderr.flush()
                self._spun = True
                await asyncio.sleep(0.1)
        finally:
            self._clear_spinner()


# -- the conversation ----------------------------------------------------------------------------

@dataclass
class _Turns:
    """What the app's receive loop saw, turn by turn."""

    texts: list[str] = field(default_factory=lambda: [""])
    complete: int = 0
    last_message_at: float = 0.0
    barged: bool = False
    user_words: str = ""


def _tone(seconds: float, amplitude: int, rate: int = 16000) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / rate)))
                    for i in range(n))


async def _say_by_audio(session: Any, speed: float, loud: float, quiet: float) -> None:
    """Talk into the 'microphone': PCM16 16 kHz, paced like a real one (times ``speed``)."""
    from google.genai import types

    chunk = 0.05
    for seconds, amplitude in ((loud, 5000), (quiet, 0)):
        pcm = _tone(chunk, amplitude)
        for _ in range(round(seconds / chunk)):
            await session.send_realtime_input(
                audio=types.Blob(data=pcm, mime_type="audio/pcm;rate=16000"))
            await asyncio.sleep(chunk / speed)


async def conversation(
    client: Any, model: str, *, policy: Any, speed: float, seed: int, by_audio: bool,
    printer: Printer, idle: float,
) -> int:
    """The demo's conversation on any client: the offline server's or the real service's."""
    from google.genai import types

    from gemini_live_interrupt import InterruptAwareSession
    from gemini_live_interrupt.testing import SimulatedSpeaker

    class Session(InterruptAwareSession):
        # The demo plays `speed` times faster than real time; the playback clock follows.
        clock = staticmethod(lambda: time.monotonic() * speed)

    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        input_audio_transcription=types.AudioTranscriptionConfig(),
        system_instruction="You are a warm storyteller. Keep answers short.",
    )
    rng = random.Random(seed)
    barge_at = round(rng.uniform(2.5, 3.5), 2)  # seconds of the story played
    turns = _Turns()
    loop = asyncio.get_running_loop()

    connection = client.aio.live.connect(model=model, config=config)
    async with Session(connection, model=model, policy=policy) as session, \
            SimulatedSpeaker(session.playback, speed=speed, jitter=0.01, latency=0.05,
                             seed=seed) as speaker:
        printer.event("server", f"connected ({model}); the note goes at the barge-in by "
                      f"{session.policy.channel}")

        def flush_user_words() -> None:
            if turns.user_words.strip():
                printer.event("user", f"(input transcription) {turns.user_words.strip()}")
            turns.user_words = ""

        async def receive_loop() -> None:
            while True:
                async for message in session.receive():
                    turns.last_message_at = loop.time()
                    content = message.server_content
                    if content is None:
                        continue
                    heard_in = content.input_transcription
                    if heard_in and heard_in.text and turns.barged:
                        # The service's transcription of our own realtime-text note is not
                        # the user's speech (the session knows it too).
                        if NOTE_MARK not in turns.user_words + heard_in.text:
                            turns.user_words += heard_in.text
                    elif turns.user_words:
                        flush_user_words()
                    if content.interrupted:
                        played = speaker.clear()
                        printer.status = "the user is talking"
                        printer.event("service", f"interrupted: the speaker had played "
                                      f"{played:.1f} s of this turn")
                    if content.model_turn:
                        for part in content.model_turn.parts or ():
                            if part.inline_data and part.inline_data.data:
                                speaker.write(part.inline_data.data)
                    out = content.output_transcription
                    if out and out.text:
                        turns.texts[-1] += out.text
                    if content.turn_complete:
                        flush_user_words()
                        text = turns.texts[-1].strip()
                        if turns.complete == 0:
                            printer.event("model", f"(story cut off: {len(text.split())} words "
                                          "generated so far, see below)")
                        elif text:
                            printer.event("model", text)
                        turns.complete += 1
                        turns.texts.append("")
                        speaker.new_turn()
                        printer.status = "waiting for the model"

        receiver = asyncio.create_task(receive_loop())
        spinner = asyncio.create_task(printer.spin())
        try:
            printer.event("user", REQUEST)
            printer.status = "the model is telling a story"
            await session.send_realtime_input(text=REQUEST)
            await speaker.wait_until_played(barge_at)
            if turns.complete:
                printer.event("summary", "the story ended before the user cut in")
                return 1
            turns.barged = True
            if by_audio:
                printer.event("user", f"🎤 {QUESTION}   (by voice, over the model)")
                await _say_by_audio(session, speed, loud=1.2, quiet=0.8)
            else:
                printer.event("user", f"⌨ {QUESTION}   (by realtime text, over the model)")
                await session.send_realtime_input(text=QUESTION)
            # Wait for the note (or its reason not to be sent) and for the model to go quiet.
            printer.status = "waiting for the note and the reply"
            deadline = loop.time() + max(20.0, 60.0 / speed)
            while loop.time() < deadline:
                await asyncio.sleep(0.05)
                quiet = loop.time() - turns.last_message_at > idle
                if session.interruptions and turns.complete >= 2 and quiet:
                    break
        finally:
            spinner.cancel()
            receiver.cancel()
            await asyncio.gather(spinner, receiver, return_exceptions=True)

        if not session.interruptions:
            printer.event("summary", "no interruption was recorded (try another --seed)")
            return 1
        record = session.interruptions[0]
        printer.event("generated", f"generated: {record.generated}")
        printer.event("heard", f"heard:     {record.heard}")
        if record.injected and record.prompt:
            first, *rest = record.prompt.splitlines()
            printer.event("note", f"sent by {record.channel}, {len(rest) + 1} lines:",
                          prompt=record.prompt)
            for line in [first, *rest]:
                if line.startswith(("What you were saying", "You were cut off",
                                    "What the user said")):
                    printer.event("note", f"  {line}")
        else:
            printer.event("note", f"not sent: {record.reason}"
                          + (f" ({record.error})" if record.error else ""))
        heard_n, gen_n = len(record.heard.split()), len(record.generated.split())
        printer.event(
            "summary",
            f"The user heard {heard_n} of {gen_n} generated words and said "
            f"{record.user_text!r}; the model was told exactly that "
            + (f"({record.channel}) and answered."
               if record.injected else f"... but no note was sent ({record.reason})."),
            heard=record.heard, generated=record.generated, user_text=record.user_text,
            injected=record.injected, reason=record.reason, error=record.error,
            channel=record.channel,
            played_seconds=record.played_seconds, received_seconds=record.received_seconds,
        )
    return 0


@contextlib.asynccontextmanager
async def offline_client(speed: float) -> AsyncIterator[Any]:
    """A ``genai.Client`` on the embedded offline server."""
    from gemini_live_interrupt.testing import FakeLiveServer

    server = FakeLiveServer(replies=_scripted_model, speed=speed * 3, user_transcripts=[QUESTION])
    async with server:
        yield server.client()


async def demo(args: argparse.Namespace, printer: Printer) -> int:
    """Run the demo; returns the exit code."""
    policy = parse_policy(args.policy)
    if args.live:
        key = os.environ.get("GEMINI_API_KEY")
        if not key:
            print("--live needs GEMINI_API_KEY set (https://aistudio.google.com/apikey); "
                  "without --live the demo runs offline, no key needed.", file=sys.stderr)
            return 2
        from google import genai

        model = os.environ.get("GEMINI_LIVE_MODEL", LIVE_MODEL)
        printer.event("server", "the Gemini Live API (real service, realtime text input)")
        # Same conversation; only the client differs. The real service needs real speech to
        # transcribe, so the user talks by realtime text there.
        return await conversation(genai.Client(api_key=key), model, policy=policy, speed=1.0,
                                  seed=args.seed, by_audio=False, printer=printer, idle=3.0)
    try:
        import trustme  # noqa: F401  (the testing extra: the offline server's TLS CA)
    except ImportError as exc:
        print(f"The demo needs the testing extra: pip install -e \".[testing]\" ({exc})",
              file=sys.stderr)
        return 2
    async with offline_client(args.speed) as client:
        printer.event("server", "the embedded offline Live server (no API key, no network)")
        # Offline the user talks over the model by voice, as in a real call: the note leaves
        # at the barge-in, before the service has transcribed the question.
        return await conversation(client, DEMO_MODEL, policy=policy, speed=args.speed,
                                  seed=args.seed, by_audio=True, printer=printer,
                                  idle=2.0 / args.speed)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m gemini_live_interrupt`` and ``gemini-live-interrupt``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when the conversation ran and its barge-in was recorded (the summary says whether a
        note was sent, and why not), 1 when no barge-in happened, 2 for a
        usage error (bad option, ``--live`` without ``GEMINI_API_KEY``, missing extra).
    """
    ap = argparse.ArgumentParser(prog="gemini-live-interrupt",
                                 description="Interruption handling for the Gemini Live API.")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="a scripted barge-in, offline by default",
                       description="A scripted voice conversation in which the user talks over "
                       "the model; prints a timeline of what was generated, heard, said and "
                       "sent. Offline by default: no API key, no network.")
    d.add_argument("--policy", default="auto", help=POLICY_HELP
                   + " (default: %(default)s)")
    d.add_argument("--speed", type=float, default=4.0,
                   help="times faster than real time, offline (default: %(default)s)")
    d.add_argument("--seed", type=int, default=1,
                   help="seed for the barge-in moment and playback jitter (default: %(default)s)")
    d.add_argument("--json", action="store_true", help="machine-readable events, one per line")
    d.add_argument("--no-color", action="store_true", help="plain output (also: NO_COLOR set)")
    d.add_argument("--live", action="store_true",
                   help="the real Gemini Live API (needs GEMINI_API_KEY)")
    pr = sub.add_parser("probe", help="how a model takes each note channel, measured",
                        description="Plays a scripted barge-in with each channel in turn and "
                        "reports per channel: accepted or closed, whether a reply followed the "
                        "note, the time to the next model audio (docs/policies.md). Offline by "
                        "default.")
    pr.add_argument("--live", action="store_true",
                    help="the real Gemini Live API (needs GEMINI_API_KEY)")
    pr.add_argument("--model", help="the model to probe (default: the demo's model)")
    pr.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    args = ap.parse_args(argv)
    if args.command == "probe":
        from gemini_live_interrupt._probe import cli

        return cli(live=args.live, model=args.model, json_path=args.json,
                   default_live_model=LIVE_MODEL, default_offline_model=DEMO_MODEL)
    if not (args.speed > 0 and math.isfinite(args.speed)):
        ap.error("--speed must be a positive number")
    try:
        parse_policy(args.policy)
    except (TypeError, ValueError) as exc:
        ap.error(f"--policy: {exc}")
    color = not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    printer = Printer(color=color, as_json=args.json, progress=sys.stderr.isatty())
    return asyncio.run(demo(args, printer))


if __name__ == "__main__":
    raise SystemExit(main())
