"""How close is "heard" to what the user really heard?  Randomised barge-ins, three modes.

Each scenario asks the offline server for a story, plays it on a simulated speaker and talks over
it at a random moment, with random audio chunk sizes, transcript lag and speaker jitter. The
ground truth is the words the speaker had played (the server's word timeline at the speaker's
true position). For each mode it prints the mean and 95th percentile word error of ``heard``:

- reports:  the speaker reports each block it writes to ``session.playback`` (jitter, latency);
- estimate: no reports; the session assumes real-time playback from the first chunk (no jitter);
- received: everything transcribed so far, as the original 0.1 package passes it.

    python benchmarks/heard_accuracy.py [--n 100] [--seed 7] [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from gemini_live_interrupt import InterruptAwareSession, Interruption
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, SimulatedSpeaker

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
CONFIG: dict[str, Any] = {
    "response_modalities": ["AUDIO"],
    "output_audio_transcription": {},
    "input_audio_transcription": {},
}
STORIES = [
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted the "
    "ships that passed, one by one, and wrote their names in a blue notebook. One stormy night "
    "a ship with no name sailed straight toward the rocks, and the robot had to decide whether "
    "to leave the lighthouse for the very first time in its long and careful life.",
    "The recipe is simple. Warm the oven to two hundred degrees, whisk four eggs with a cup of "
    "sugar until pale, fold in the flour gently, and pour the batter into a buttered tin. Bake "
    "it for thirty minutes, then let it cool completely before you slice it, or it will crumble "
    "into a sweet and rather disappointing heap on the kitchen table.",
]
GENERATION = 3.0  # the service sends audio about this many times faster than it plays


@dataclass
class Scenario:
    story: str
    at: float          # seconds heard when the user cuts in
    chunk: float       # seconds of audio per chunk from the server
    lag: float         # transcript offset: > 0 lags its audio, < 0 runs ahead
    jitter: float      # speaker scheduling jitter, seconds
    latency: float     # speaker device latency, seconds


def word_error(a: str, b: str) -> int:
    """Word-level edit distance."""
    x, y = a.split(), b.split()
    prev = list(range(len(y) + 1))
    for i, wx in enumerate(x, 1):
        cur = [i]
        for j, wy in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (wx != wy)))
        prev = cur
    return prev[-1]


async def run(s: Scenario, *, reports: bool, scale: float) -> tuple[Interruption, str] | None:
    class Scaled(InterruptAwareSession):
        clock = staticmethod(lambda: time.monotonic() * scale)

    server = FakeLiveServer(replies=[s.story, "OK."], speed=scale * GENERATION,
                            chunk_seconds=s.chunk, quirks=Quirks(transcript_offset=s.lag))
    async with server:
        connection = server.client().aio.live.connect(model=MODEL, config=CONFIG)
        async with Scaled(connection) as session:
            speaker = SimulatedSpeaker(session.playback if reports else None, speed=scale,
                                       jitter=s.jitter if reports else 0.0,
                                       latency=s.latency if reports else 0.0)
            async with speaker:

                async def barge() -> None:
                    await speaker.wait_until_played(s.at)
                    await session.send_realtime_input(text="Hold on.")

                await session.send_realtime_input(text="Go on.")
                barger = asyncio.create_task(barge())
                async for message in session.receive():
                    speaker.play(message)
                barger.cancel()

                async def drain() -> None:
                    # Keep reading, as an app does: unread frames would stall the close.
                    while True:
                        async for _ in session.receive():
                            pass

                drainer = asyncio.create_task(drain())
                for _ in range(300):
                    if session.interruptions:
                        break
                    await asyncio.sleep(0.01)
                if not session.interruptions:
                    drainer.cancel()
                    await asyncio.gather(drainer, return_exceptions=True)
                    return None  # the story ended before the user cut in
                record = session.interruptions[-1]
                turn = next(t for t in server.turns if t.interrupted)
                drainer.cancel()
                await asyncio.gather(drainer, return_exceptions=True)
                return record, turn.heard_at(speaker.played).strip()


def p95(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="scenarios (default 100)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=10.0, help="times faster than real time")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    errors: dict[str, list[int]] = {"reports": [], "estimate": [], "received": []}
    t0 = time.monotonic()
    missed = 0
    for i in range(args.n):
        s = Scenario(story=rng.choice(STORIES), at=rng.uniform(0.4, 5.0),
                     chunk=rng.choice([0.02, 0.04, 0.1, 0.2]), lag=rng.uniform(-0.3, 0.3),
                     jitter=rng.uniform(0.0, 0.02), latency=rng.uniform(0.0, 0.06))
        reported = await run(s, reports=True, scale=args.scale)
        estimate = await run(s, reports=False, scale=args.scale)
        if reported is None or estimate is None:
            missed += 1
            continue
        (with_reports, truth_r), (estimated, truth_e) = reported, estimate
        errors["reports"].append(word_error(with_reports.heard, truth_r))
        errors["estimate"].append(word_error(estimated.heard, truth_e))
        errors["received"].append(word_error(with_reports.generated, truth_r))
        print(f"\r{i + 1}/{args.n} scenarios", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{args.n - missed} barge-in scenarios ({missed} missed: the reply ended first), "
          f"seed {args.seed}, {args.scale:g}x real time, {time.monotonic() - t0:.0f} s\n")
    print("| mode | mean word error | p95 word error |")
    print("| --- | --- | --- |")
    for mode, values in errors.items():
        print(f"| {mode} | {statistics.fmean(values):.2f} | {p95(values):.0f} |")
    base = statistics.fmean(errors["received"])
    for mode in ("reports", "estimate"):
        mean = statistics.fmean(errors[mode])
        ratio = base / mean if mean else float("inf")
        print(f"\n{mode}: {ratio:.1f}x smaller mean error than 'received'", end="")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
