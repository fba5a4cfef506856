"""Send-path overhead: the app's microphone audio through the session vs the bare SDK.

The session sees every ``send_realtime_input`` (it takes typed ``text`` as the user's words), so
audio, 25-50 sends a second per call, passes through it. Over one loopback connection to the
offline server, rounds of 200 sends of a 20 ms chunk each, in rotating order: the SDK's own
``send_realtime_input``, the same again (bare/bare: the machine's noise), and the session's. It
prints the median time per send of each arm and the medians of the per-round ratios, each
with a 90 % bootstrap interval. Timing, not instructions: the send writes to a socket.

    python benchmarks/send_overhead.py [--rounds 45]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable

from _common import CONFIG, MODEL
from google.genai import types

from gemini_live_interrupt import connect
from gemini_live_interrupt.testing import FakeLiveServer, user_audio

SENDS = 200


def interval(ratios: list[float], rng: random.Random) -> tuple[float, float]:
    """90 % bootstrap interval of the median."""
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    return medians[100], medians[1899]


async def run(rounds: int) -> None:
    blob = types.Blob(data=user_audio(0.02, speech=False), mime_type="audio/pcm;rate=16000")
    async with FakeLiveServer(replies=["Hi."], speed=1000.0) as server:
        async with connect(server.client(), model=MODEL, config=CONFIG) as session:
            raw = session.raw
            arms: dict[str, Callable[[], Awaitable[None]]] = {
                "bare": lambda: raw.send_realtime_input(audio=blob),
                "bare again": lambda: raw.send_realtime_input(audio=blob),
                "session": lambda: session.send_realtime_input(audio=blob),
            }
            names = list(arms)
            times: dict[str, list[float]] = {name: [] for name in names}
            for i in range(rounds):
                for name in names[i % 3:] + names[:i % 3]:
                    send = arms[name]
                    start = time.perf_counter()
                    for _ in range(SENDS):
                        await send()
                    times[name].append((time.perf_counter() - start) / SENDS)
    rng = random.Random(1)
    for name in names:
        print(f"{name:11s} {statistics.median(times[name]) * 1e6:7.2f} us a send")
    for label, arm in (("session/bare", "session"), ("bare/bare", "bare again")):
        ratios = [a / b for a, b in zip(times[arm], times["bare"], strict=True)]
        low, high = interval(ratios, rng)
        print(f"{label:12s} {statistics.median(ratios):.4f} (90 % interval {low:.4f}-{high:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=45)
    args = parser.parse_args()
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
