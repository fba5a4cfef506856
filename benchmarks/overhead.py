"""Receive-path overhead: the same audio + transcription stream, bare SDK vs wrapped session.

The offline server runs in a background thread (its own event loop) and answers each round's
"go" with the same long turn (audio chunks and output transcription, sent as fast as it can).
The client, in a subprocess, times the turn from its request to ``turnComplete``. Each round
runs three turns in rotating order: bare, bare again, wrapped. It reports per arm the median
wall time and the median CPU time of the client's own thread (``time.thread_time``: the SDK's
parsing plus the wrapper), the median of the per-round ratios wrapped/bare, and beside it the
same ratio for the second bare arm against the first (bare/bare: the same code twice), each
with a 90 % bootstrap interval of its median. On a shared machine the bare/bare band is a few
per cent wide: a wrapped/bare difference inside it is noise. The repeatable figure is the
instruction count (``benchmarks/instructions.py``).

With ``--orig-python`` (a venv holding ``gemini-live-interrupt==0.1.0``, which has the same
import name) the same client loop runs there in a subprocess against the same server, its
wrapped arm being that package's ``enable_interrupt_resume()`` patch of ``AsyncSession._receive``.

    python benchmarks/overhead.py [--rounds 21] [--words 300] [--orig-python PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from _common import CONFIG, MODEL, TEXT, client_for

WORDS = TEXT.split(" ")


async def one_round(client: Any, wrap: Any) -> tuple[float, float, int]:
    """(wall seconds, client-thread CPU seconds, messages) for one streamed turn."""
    conn = client.aio.live.connect(model=MODEL, config=CONFIG)
    session_cm = wrap(conn) if wrap is not None else conn
    async with session_cm as session:
        n = 0
        t0, c0 = time.perf_counter(), time.thread_time()
        await session.send_realtime_input(text="go")
        async for message in session.receive():
            n += 1
            del message
        t1, c1 = time.perf_counter(), time.thread_time()
    return t1 - t0, c1 - c0, n


ORDERS = [("bare", "bare2", "wrapped"), ("wrapped", "bare", "bare2"), ("bare2", "wrapped", "bare"),
          ("bare2", "bare", "wrapped"), ("wrapped", "bare2", "bare"), ("bare", "wrapped", "bare2")]


async def run_client(url: str, rounds: int, mode: str) -> dict[str, Any]:
    """Rounds of three turns, two bare and one wrapped, in rotating order; ``mode``: "ours" or
    "orig" (the 0.1.0 package). The second bare arm measures the noise: bare/bare."""
    client = client_for(url)
    if mode == "ours":
        from gemini_live_interrupt import InterruptAwareSession

        def wrapped(conn: Any) -> Any:
            return InterruptAwareSession(conn, model=MODEL)
        enable = disable = None
    else:
        import gemini_live_interrupt as orig  # the 0.1.0 package in its own venv

        wrapped = None
        enable, disable = orig.enable_interrupt_resume, orig.disable_interrupt_resume
    # Warm up both arms (imports, TLS, pydantic caches).
    for _ in range(2):
        await one_round(client, None)
        if enable:
            enable()
        await one_round(client, wrapped)
        if disable:
            disable()
    arms: dict[str, list[tuple[float, float, int]]] = {"bare": [], "bare2": [], "wrapped": []}
    for i in range(rounds):
        for arm in ORDERS[i % len(ORDERS)]:
            is_wrapped = arm == "wrapped"
            if is_wrapped and enable:
                enable()
            result = await one_round(client, wrapped if is_wrapped else None)
            if is_wrapped and disable:
                disable()
            arms[arm].append(result)
    bare, bare2, wrap = arms["bare"], arms["bare2"], arms["wrapped"]
    assert {r[2] for r in bare + bare2} == {r[2] for r in wrap}, "the arms got different streams"

    def ratios(a: list[tuple[float, float, int]], k: int) -> list[float]:
        return [x[k] / b[k] for b, x in zip(bare, a, strict=True)]

    return {
        "messages": bare[0][2],
        "bare_wall": statistics.median(r[0] for r in bare),
        "wrapped_wall": statistics.median(r[0] for r in wrap),
        "bare_cpu": statistics.median(r[1] for r in bare),
        "wrapped_cpu": statistics.median(r[1] for r in wrap),
        # Per-round ratios against the first bare arm: wrapped/bare, and bare/bare (noise).
        "wall": ratios(wrap, 0), "wall_noise": ratios(bare2, 0),
        "cpu": ratios(wrap, 1), "cpu_noise": ratios(bare2, 1),
    }


def band(values: list[float], seed: int = 0) -> tuple[float, float, float]:
    """Median of per-round ratios and a 90 % bootstrap interval of that median."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    return statistics.median(values), medians[100], medians[1899]


def client_process(python: str, url: str, rounds: int, mode: str,
                   cwd: str) -> dict[str, Any] | str:
    proc = subprocess.run(
        [python, os.path.abspath(__file__), "--client", url, "--rounds", str(rounds),
         "--mode", mode], capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": ""}, cwd=cwd)
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip().splitlines()[-1:]}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class ServerThread:
    """FakeLiveServer on its own event loop in a daemon thread."""

    def __init__(self, words: int) -> None:
        from gemini_live_interrupt.testing import FakeLiveServer

        text = " ".join(WORDS[i % len(WORDS)] for i in range(words)) + "."
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def start() -> Any:
            server = FakeLiveServer(replies=lambda context: text, speed=1e6)
            await server.start()
            return server

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result()
        self.url: str = self.server.url

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--words", type=int, default=300)
    ap.add_argument("--orig-python", default="/tmp/v010/bin/python",
                    help="python of a venv with gemini-live-interrupt==0.1.0 ('' to skip)")
    ap.add_argument("--client", help=argparse.SUPPRESS)  # subprocess mode: server URL
    ap.add_argument("--mode", default="ours", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(run_client(args.client, args.rounds, args.mode))))
        return

    import google.genai

    # Both clients run in subprocesses, so neither shares its interpreter (GIL) with the server.
    server = ServerThread(args.words)
    try:
        ours = client_process(sys.executable, server.url, args.rounds, "ours",
                              os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if isinstance(ours, str):
            raise SystemExit(ours)
        orig: dict[str, Any] | str
        if args.orig_python and os.path.exists(args.orig_python):
            orig = client_process(args.orig_python, server.url, args.rounds, "orig", "/")
        else:
            orig = f"not run: no {args.orig_python or 'interpreter'}"
    finally:
        server.close()

    print(f"receive-path overhead: {args.rounds} rounds of three turns (bare, bare again, "
          f"wrapped; rotating order), {ours['messages']} messages per turn; "
          f"nproc={os.cpu_count()}, python {sys.version.split()[0]}, "
          f"google-genai {google.genai.__version__}")
    print("median of per-round ratios, [90 % bootstrap interval of that median]; bare/bare is "
          "the same code twice: a ratio inside its spread around 1 is noise")
    print(f"{'package':<16}{'bare ms':>8}{'wrapped ms':>11}  {'wrapped/bare wall':<22}"
          f"{'bare/bare wall':<22}{'wrapped/bare CPU':<22}{'bare/bare CPU':<22}")
    rows: list[tuple[str, dict[str, Any] | str]] = [("this", ours), ("0.1.0", orig)]
    for name, r in rows:
        if isinstance(r, str):
            print(f"{name:<16}{r}")
            continue
        cells = []
        for key in ("wall", "wall_noise", "cpu", "cpu_noise"):
            mid, lo, hi = band(r[key])
            cells.append(f"{mid:.3f} [{lo:.3f}, {hi:.3f}]")
        print(f"{name:<16}{r['bare_wall'] * 1e3:>8.1f}{r['wrapped_wall'] * 1e3:>11.1f}  "
              + "".join(f"{c:<22}" for c in cells))
    noise = band(ours["cpu_noise"])
    print(f"per message, CPU: bare {ours['bare_cpu'] / ours['messages'] * 1e6:.1f} us, added "
          f"{(ours['wrapped_cpu'] - ours['bare_cpu']) / ours['messages'] * 1e6:.1f} us; "
          f"bare/bare CPU spread {noise[1]:.3f}-{noise[2]:.3f} "
          f"(+-{max(abs(noise[1] - 1), abs(noise[2] - 1)) * 100:.1f} %)")
    print("target: median ratio wrapped/bare <= 1.01; the instruction counts "
          "(benchmarks/instructions.py) are the repeatable figure")

if __name__ == "__main__":
    main()
