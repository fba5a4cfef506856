"""Which channel works best per model family?  The same barge-ins, the default and each channel.

Each run: the offline server (with the quirks of a model family, and the field's timing unless
``--timing instant``) tells a story; the user talks over it with audio, stops, and waits for the
answer. The app keeps receiving throughout, as real apps do. The note leaves at the barge-in
under every policy; per cell (model family x policy: the default, the model table's channel,
and each channel) it prints, averaged over the runs:

- replies: model turns started per barge-in (1 is ideal: one answer, not one per input);
- overlap: seconds of model audio generated while the user was still speaking;
- latency: seconds from the end of the user's speech to the first model audio after it;
- noted: share of answers whose context held the note when the answer began (the server's
  ground truth, ``ModelTurn.context``);
- informed: the same, for a note that also carried the user's words;
- dropped: notes not sent (records with a ``reason``), per barge-in;
- closed: runs where the service closed the session (3.1 and clientContent: 1007).

    python benchmarks/policies.py [--runs 4] [--speed 20] [--seed 3] [--timing field|instant]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from _common import CONFIG as AUDIO_CONFIG
from _families import FAMILIES, POLICIES
from google.genai import errors, types

from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt.testing import FakeLiveServer, ServiceTiming

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks."
)
QUESTION = "What about the dragons in the cave?"
CONFIG: dict[str, Any] = {**AUDIO_CONFIG, "system_instruction": "You tell stories."}


def pcm(seconds: float, amplitude: int) -> bytes:
    n = int(seconds * 16000)
    return b"".join(struct.pack("<h", int(amplitude * math.sin(i / 7))) for i in range(n))


@dataclass
class Run:
    replies: int = 0
    overlap: float = 0.0
    latency: float | None = None
    noted: bool = False
    informed: bool = False
    dropped: int = 0
    closed: bool = False


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)


async def one_run(model: str, policy: InjectionPolicy, speed: float, at_words: int,
                  talk: float, timing: ServiceTiming, seed: int) -> tuple[Run, InjectionPolicy]:
    def reply(context: list[tuple[str, str]]) -> str:
        return STORY if not server.turns else "Dragons sleep in the cave by the sea."

    class Scaled(InterruptAwareSession):
        clock = staticmethod(lambda: time.monotonic() * speed)

    result = Run()
    server = FakeLiveServer(replies=reply, speed=speed, user_transcripts=[QUESTION],
                            timing=timing, seed=seed)
    async with server:
        cm = server.client().aio.live.connect(model=model, config=CONFIG)
        async with Scaled(cm, policy=policy) as session:

            async def receive_forever() -> None:
                try:
                    while True:
                        async for _ in session.receive():
                            pass
                except errors.APIError:
                    result.closed = True

            receiver = asyncio.create_task(receive_forever())
            await session.send_realtime_input(text="Tell me a story.")
            try:
                await server.wait_for(
                    lambda: bool(server.turns) and len(server.turns[0].delivered.split())
                    >= at_words, timeout=10)
                chunk = 0.05
                speech_start = server.now()
                for _ in range(round(talk / chunk)):
                    await session.send_realtime_input(audio=types.Blob(
                        data=pcm(chunk, 4000), mime_type="audio/pcm;rate=16000"))
                    await asyncio.sleep(chunk / speed)
                speech_end = server.now()
                for _ in range(round(1.5 / chunk)):
                    await session.send_realtime_input(audio=types.Blob(
                        data=pcm(chunk, 0), mime_type="audio/pcm;rate=16000"))
                    await asyncio.sleep(chunk / speed)
                await asyncio.sleep(3.0 / speed)
                await server.wait_for(lambda: all(t.ended_at for t in server.turns), timeout=5)
            except Exception:
                result.closed = True
                speech_start = speech_end = server.now()
            resolved = session.policy
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            records = session.interruptions
    after = [t for t in server.turns[1:]]
    result.replies = len(after)
    for t in after:
        end = t.ended_at if t.ended_at is not None else speech_end
        result.overlap += max(0.0, min(end, speech_end) - max(t.started_at, speech_start)) * speed
    answers = [t for t in after if t.started_at >= speech_end - 1e-6]
    if answers:
        result.latency = (answers[0].started_at - speech_end) * speed
        notes = [text for _, text in answers[0].context if "Interruption note" in text]
        result.noted = bool(notes)
        result.informed = any("dragons" in text for text in notes)
    result.dropped = sum(1 for r in records if not r.injected)
    return result, resolved


def fmt(values: list[float]) -> str:
    return f"{statistics.fmean(values):.2f}" if values else "-"


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=4, help="runs per cell (default 4)")
    ap.add_argument("--speed", type=float, default=20.0, help="times faster than real time")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--timing", choices=["field", "instant"], default="field",
                    help="the offline server's timing profile (default: field)")
    args = ap.parse_args()
    profile = ServiceTiming.field() if args.timing == "field" else ServiceTiming.instant()
    rng = random.Random(args.seed)
    plan = [(rng.randint(5, 15), rng.uniform(1.0, 2.5)) for _ in range(args.runs)]
    t0 = time.monotonic()
    cells: dict[tuple[str, str], Cell] = {}
    labels: dict[tuple[str, str], str] = {}
    total = len(FAMILIES) * len(POLICIES)
    for family, model in FAMILIES.items():
        for name, policy in POLICIES.items():
            cell = cells.setdefault((family, name), Cell())
            for i, (at_words, talk) in enumerate(plan):
                run, resolved = await one_run(model, policy, args.speed, at_words, talk,
                                              profile, args.seed + i)
                cell.runs.append(run)
                labels[(family, name)] = (f"default ({resolved.channel})" if name == "default"
                                          else name)
            print(f"\r{len(cells)}/{total} cells", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{args.runs} barge-ins per cell, {args.speed:g}x real time, seed {args.seed}, "
          f"{args.timing} timing, {time.monotonic() - t0:.0f} s\n")
    print("| model | policy | replies | overlap s | latency s | noted | informed "
          "| dropped | closed |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (family, name), cell in cells.items():
        runs = cell.runs
        lat = [r.latency for r in runs if r.latency is not None]
        print(f"| {family} | {labels[(family, name)]} | {fmt([r.replies for r in runs])} "
              f"| {fmt([r.overlap for r in runs])} | {fmt(lat)} "
              f"| {fmt([float(r.noted) for r in runs])} "
              f"| {fmt([float(r.informed) for r in runs])} | {fmt([r.dropped for r in runs])} "
              f"| {sum(r.closed for r in runs)}/{len(runs)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
