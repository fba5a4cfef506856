"""How close is "heard" to what the user really heard?  Randomised barge-ins, two families.

Each scenario asks the offline server (``FakeLiveServer``, driven by the real google-genai SDK)
for a reply, plays it on a simulated speaker and talks over it at a random moment. The ground
truth is the words the speaker had played: the server's word timeline at the speaker's true
position (``ModelTurn.heard_at``), never anything the library computed.

Families:

- easy: a whole story sent 3x faster than real time, one transcription chunk per word, every
  chunk the same distance (-0.3..+0.3 s) from its audio, audio chunks of 20-200 ms, the user
  cutting in after 0.4-5 s heard;
- hard: a reply of 12-30 words; audio in fixed chunks of 20, 40, 100 or 250 ms that cut across
  words; transcription chunks of 1-3 words, placed -0.3..+0.3 s from their audio (< 0: ahead)
  with +-50 ms of jitter per chunk; the output sent at 1.5x, 3x, 8x real time or all at once,
  so the cut can land while the turn is still arriving; the user cutting in 15-85% into it;
- bursts: the hard family's replies, chunks of 40 or 100 ms, transcription as in hard, on the
  server's own field profile (output 3x, turnComplete held for the playout) with its output
  pausing 0.2-0.8 s after 2, 5 or 10 % of the audio chunks, so the player runs dry and plays
  on later (reported: livekit/agents#3604).

Modes, each scenario run once per mode:

- reports:  the speaker reports each block it writes to ``session.playback`` (scheduling jitter
  up to 20 ms, device latency up to 60 ms: the reports run ahead of what came out);
- estimate: no reports; the session assumes real-time playback from the first chunk;
- received: everything transcribed so far (the reports run's ``generated``), as the original
  0.1 package passes it.

Per family and mode it prints the mean and 95th percentile word error of ``heard`` (word edit
distance to the truth), and how many barge-ins said more words than were heard (over) or fewer
(under), with the words over and under in total.

    python benchmarks/heard_accuracy.py [--family easy|hard|bursts|both|all] [--n 200] [--seed 7]
                                        [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass

from _common import CONFIG, MODEL

from gemini_live_interrupt import InterruptAwareSession, Interruption
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ServiceTiming, SimulatedSpeaker
from gemini_live_interrupt.testing._model import speak
from gemini_live_interrupt.testing._truth import word_error

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
GENERATION = 3.0  # easy family: the service sends audio this many times faster than it plays
HARD_CHUNKS = (0.02, 0.04, 0.1, 0.25)
HARD_SPEEDS = (1.5, 3.0, 8.0, math.inf)  # inf: the whole turn at once
BURST_PAUSES = (0.02, 0.05, 0.1)  # chance of a 0.2-0.8 s pause after each audio chunk
MODES = ("reports", "estimate", "received")


@dataclass
class Scenario:
    story: str
    at: float          # seconds heard when the user cuts in
    chunk: float       # seconds of audio per chunk from the server
    lag: float         # transcript offset: > 0 lags its audio, < 0 runs ahead
    jitter: float      # speaker scheduling jitter, seconds
    latency: float     # speaker device latency, seconds
    output_speed: float = GENERATION  # times real time the reply is sent (inf: all at once)
    transcript_jitter: float = 0.0    # +- seconds per transcription chunk
    words: tuple[int, int] = (1, 1)   # words per transcription chunk
    seed: int = 0                     # the server's and the speaker's draws
    pauses: float = 0.0               # chance of a pause after each audio chunk


def easy(rng: random.Random) -> Scenario:
    return Scenario(story=rng.choice(STORIES), at=rng.uniform(0.4, 5.0),
                    chunk=rng.choice([0.02, 0.04, 0.1, 0.2]), lag=rng.uniform(-0.3, 0.3),
                    jitter=rng.uniform(0.0, 0.02), latency=rng.uniform(0.0, 0.06))


def _reply(rng: random.Random) -> tuple[str, float]:
    """12-30 words of a story, and the server's audio length for them."""
    words = rng.choice(STORIES).split()
    n = rng.randint(12, 30)
    first = rng.randint(0, len(words) - n)
    text = " ".join(words[first:first + n])
    return text, speak(text)[-1].end


def hard(rng: random.Random) -> Scenario:
    text, duration = _reply(rng)
    return Scenario(story=text, at=rng.uniform(0.15, 0.85) * duration,
                    chunk=rng.choice(HARD_CHUNKS), lag=rng.uniform(-0.3, 0.3),
                    jitter=rng.uniform(0.0, 0.02), latency=rng.uniform(0.0, 0.06),
                    output_speed=rng.choice(HARD_SPEEDS), transcript_jitter=0.05,
                    words=(1, 3), seed=rng.randrange(2**31))


async def run(s: Scenario, *, family: str, reports: bool,
              scale: float) -> tuple[Interruption, str] | None:
    class Scaled(InterruptAwareSession):
        clock = staticmethod(lambda: time.monotonic() * scale)

    quirks = Quirks(transcript_offset=s.lag, transcript_jitter=s.transcript_jitter,
                    transcript_words=s.words)
    if family == "easy":  # as it always ran: the server's speed carries the generation speed
        paced = dataclasses.replace(ServiceTiming.field(), output_speed=1.0)
        server = FakeLiveServer(replies=[s.story, "OK."], speed=scale * GENERATION,
                                chunk_seconds=s.chunk, quirks=quirks, timing=paced)
    elif family == "bursts":  # the server's own field profile, its output pausing
        timing = dataclasses.replace(ServiceTiming.field(), output_speed=s.output_speed,
                                     output_pauses=s.pauses)
        server = FakeLiveServer(replies=[s.story, "OK."], speed=scale, timing=timing,
                                chunk_seconds=s.chunk, quirks=quirks, seed=s.seed)
    else:
        # A turn sent faster than it plays completes before its audio has played: the service
        # then flags a barge-in after turnComplete (reported), which hold_turn_complete plays.
        quirks = dataclasses.replace(quirks, hold_turn_complete=True)
        timing = dataclasses.replace(ServiceTiming.field(), output_speed=s.output_speed)
        server = FakeLiveServer(replies=[s.story, "OK."], speed=scale, timing=timing,
                                chunk_seconds=s.chunk, quirks=quirks, seed=s.seed)
    async with server:
        connection = server.client().aio.live.connect(model=MODEL, config=CONFIG)
        async with Scaled(connection) as session:
            speaker = SimulatedSpeaker(session.playback if reports else None, speed=scale,
                                       jitter=s.jitter if reports else 0.0,
                                       latency=s.latency if reports else 0.0,
                                       seed=s.seed if family != "easy" else None)
            async with speaker:
                cut: list[float] = []  # what the speaker had played when it stopped

                async def read() -> None:
                    # Read on as an app does (unread frames would stall the close); play the
                    # reply until `interrupted` stops the speaker, then only drain.
                    while True:
                        async for message in session.receive():
                            if not cut:
                                played = speaker.play(message)
                                if played is not None:
                                    cut.append(played)

                await session.send_realtime_input(text="Go on.")
                reader = asyncio.create_task(read())
                try:
                    await asyncio.wait_for(speaker.wait_until_played(s.at), 60)
                    await session.send_realtime_input(text="Hold on.")
                    for _ in range(300):
                        if session.interruptions and cut:
                            break
                        await asyncio.sleep(0.01)
                finally:
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
                if not session.interruptions or not cut:
                    return None  # the reply ended before the user cut in
                record = session.interruptions[-1]
                turn = next(t for t in server.turns if t.interrupted)
                return record, turn.heard_at(cut[0]).strip()


def p95(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])


@dataclass
class Tally:
    errors: list[int] = dataclasses.field(default_factory=list)
    over: int = 0         # barge-ins whose heard said more words than the truth
    over_words: int = 0
    under: int = 0
    under_words: int = 0

    def add(self, heard: str, truth: str) -> None:
        self.errors.append(word_error(heard, truth))
        diff = len(heard.split()) - len(truth.split())
        if diff > 0:
            self.over += 1
            self.over_words += diff
        elif diff < 0:
            self.under += 1
            self.under_words -= diff


def bursts(rng: random.Random) -> Scenario:
    text, duration = _reply(rng)
    return Scenario(story=text, at=rng.uniform(0.15, 0.85) * duration,
                    chunk=rng.choice((0.04, 0.1)), lag=rng.uniform(-0.3, 0.3),
                    jitter=rng.uniform(0.0, 0.02), latency=rng.uniform(0.0, 0.06),
                    output_speed=GENERATION, transcript_jitter=0.05, words=(1, 3),
                    seed=rng.randrange(2**31), pauses=rng.choice(BURST_PAUSES))


FAMILIES = {"easy": easy, "hard": hard, "bursts": bursts}


async def family_table(name: str, args: argparse.Namespace) -> dict[str, Tally]:
    rng = random.Random(args.seed)
    tallies = {mode: Tally() for mode in MODES}
    t0 = time.monotonic()
    missed = 0
    for i in range(args.n):
        s = FAMILIES[name](rng)
        reported = await run(s, family=name, reports=True, scale=args.scale)
        estimate = await run(s, family=name, reports=False, scale=args.scale)
        if reported is None or estimate is None:
            missed += 1
            continue
        (with_reports, truth_r), (estimated, truth_e) = reported, estimate
        tallies["reports"].add(with_reports.heard, truth_r)
        tallies["estimate"].add(estimated.heard, truth_e)
        tallies["received"].add(with_reports.generated, truth_r)
        print(f"\r{name}: {i + 1}/{args.n} scenarios", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"\n{name} family: {args.n - missed} barge-ins per mode ({missed} missed: the reply "
          f"ended first), seed {args.seed}, {args.scale:g}x real time, "
          f"{time.monotonic() - t0:.0f} s\n")
    print("| mode | barge-ins | mean word error | p95 word error | over: barge-ins (words) "
          "| under: barge-ins (words) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mode, t in tallies.items():
        print(f"| {mode} | {len(t.errors)} | {statistics.fmean(t.errors):.2f} | "
              f"{p95(t.errors):.0f} | {t.over} ({t.over_words}) | {t.under} ({t.under_words}) |")
    return tallies


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", choices=["easy", "hard", "bursts", "both", "all"],
                    default="both", help="both: easy and hard; all: the three")
    ap.add_argument("--n", type=int, default=200, help="scenarios per family (default 200)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=10.0, help="times faster than real time")
    args = ap.parse_args()
    names = {"both": ["easy", "hard"], "all": ["easy", "hard", "bursts"]}
    for name in names.get(args.family, [args.family]):
        await family_table(name, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
