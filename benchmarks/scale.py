"""Scale: many concurrent sessions in one process (default 200), the offline server in another.

The offline server (``FakeLiveServer``, paced in real time) runs in a subprocess. The client
process opens ``--sessions`` sessions, sends each a request and reads every session's spoken turn
of ``--words`` words concurrently (a 40 ms audio chunk at a time, with output transcription:
about 28 messages a second per session, in the 25-50 of a voice call). It reports:

- memory: three groups of sessions (bare, wrapped, bare again), one after the other, are
  connected and taken through one turn under ``tracemalloc``; what the group holds afterwards,
  per session, with its sessions still open (then it is closed). The extra of the wrapped
  group over the bare one is the wrapper's cost (bare again against bare shows the noise),
  with the allocation sites that hold it and how much was allocated in the library's code.
- CPU: then, the three groups connected again, one turn of a whole group at a time, in rotating
  order (``--rounds`` turns per group): the client process's CPU time (``time.process_time``:
  TLS, websockets, the SDK's parse and, wrapped, the session) from the requests to the last
  ``turnComplete``. The median of the per-round ratios wrapped/bare, and bare again/bare for
  the noise; and the full garbage collections that ran during each turn, with their CPU time
  (the wrapper's longer-lived objects could bring them on).

    python benchmarks/scale.py [--sessions 200] [--words 20] [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from _common import CONFIG, MODEL, TEXT, client_for


def text_of(words: int) -> str:
    w = TEXT.split(" ")
    return " ".join(w[i % len(w)] for i in range(words)) + "."


async def serve(words: int) -> None:
    """The server process: print the URL, serve until stdin closes."""
    import dataclasses

    from gemini_live_interrupt.testing import FakeLiveServer, ServiceTiming

    text = text_of(words)
    # Output paced in real time (the field profile sends it three times faster): the load is a
    # call's average message rate, about 28 a second, as in every run of this script.
    timing = dataclasses.replace(ServiceTiming.field(), output_speed=1.0)
    async with FakeLiveServer(replies=lambda context: text, timing=timing) as server:
        print(json.dumps({"url": server.url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def open_all(client: Any, arm: str, n: int) -> tuple[list[Any], list[Any]]:
    from gemini_live_interrupt import InterruptAwareSession

    cms: list[Any] = []
    sessions: list[Any] = []
    for start in range(0, n, 25):  # connect in batches: the server is one process too
        batch = [client.aio.live.connect(model=MODEL, config=CONFIG)
                 for _ in range(min(25, n - start))]
        if arm == "wrapped":
            batch = [InterruptAwareSession(c) for c in batch]
        cms += batch
        sessions += await asyncio.gather(*(cm.__aenter__() for cm in batch))
    return cms, sessions


async def close_all(cms: list[Any]) -> None:
    await asyncio.gather(*(cm.__aexit__(None, None, None) for cm in cms))


async def one_turn(session: Any) -> int:
    await session.send_realtime_input(text="go on")
    n = 0
    async for _ in session.receive():
        n += 1
    return n


class GcClock:
    """Collections of the oldest generation, and the CPU time spent in them."""

    def __init__(self) -> None:
        self.full = 0
        self.seconds = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.process_time()
        else:
            self.full += 1
            self.seconds += time.process_time() - self._start


GC = GcClock()


async def turn_all(sessions: list[Any]) -> tuple[float, float, int, int, float]:
    """(client CPU seconds, wall seconds, messages, full collections, their CPU seconds) for
    one turn of every session."""
    gc.collect()
    full, spent = GC.full, GC.seconds
    c0, t0 = time.process_time(), time.perf_counter()
    counts = await asyncio.gather(*(one_turn(s) for s in sessions))
    return (time.process_time() - c0, time.perf_counter() - t0, sum(counts), GC.full - full,
            GC.seconds - spent)


def _ours(filename: str) -> bool:
    path = filename.replace(os.sep, "/")
    return "/gemini_live_interrupt/" in path and "/testing/" not in path


def _sizes(snapshot: tracemalloc.Snapshot) -> dict[tuple[str, int], int]:
    # Leaving out this script's own bookkeeping (these dicts, the snapshots).
    mine = snapshot.filter_traces([tracemalloc.Filter(False, __file__),
                                   tracemalloc.Filter(False, tracemalloc.__file__)])
    return {(s.traceback[0].filename, s.traceback[0].lineno): s.size
            for s in mine.statistics("lineno")}


GROUPS = ("bare", "wrapped", "bare again")
ORDERS = [("bare", "bare again", "wrapped"), ("wrapped", "bare", "bare again"),
          ("bare again", "wrapped", "bare"), ("bare again", "bare", "wrapped"),
          ("wrapped", "bare again", "bare"), ("bare", "wrapped", "bare again")]


async def client_main(url: str, args: argparse.Namespace) -> dict[str, Any]:
    client = client_for(url)
    for arm in ("bare", "wrapped"):  # imports, TLS and pydantic caches
        cms, sessions = await open_all(client, arm, 5)
        await turn_all(sessions)
        await close_all(cms)
    # Memory: each group of sessions connected and taken through one turn, then measured and
    # closed (the snapshots block the loop for seconds: longer than keepalive pings may wait).
    held: dict[str, float] = {}
    sites: dict[str, dict[tuple[str, int], int]] = {}
    tracemalloc.start()
    gc.collect()
    last = tracemalloc.take_snapshot()
    used = tracemalloc.get_traced_memory()[0]
    for group in GROUPS:
        cms, sessions = await open_all(client, "wrapped" if group == "wrapped" else "bare",
                                       args.sessions)
        await asyncio.gather(*(one_turn(s) for s in sessions))
        await asyncio.sleep(0.2)  # background tasks settle
        gc.collect()
        held[group] = (tracemalloc.get_traced_memory()[0] - used) / args.sessions
        snap = tracemalloc.take_snapshot()
        before, after = _sizes(last), _sizes(snap)
        sites[group] = {k: after.get(k, 0) - before.get(k, 0) for k in before.keys() | after}
        del before, after, sessions
        with contextlib.suppress(Exception):  # a keepalive may have timed out meanwhile
            await close_all(cms)
        del cms
        gc.collect()
        last = tracemalloc.take_snapshot()
        used = tracemalloc.get_traced_memory()[0]  # without this bookkeeping
    tracemalloc.stop()
    del last, snap
    # CPU: every group connected, one turn of a whole group at a time, in rotating order.
    opened = {g: await open_all(client, "wrapped" if g == "wrapped" else "bare", args.sessions)
              for g in GROUPS}
    for _, sessions in opened.values():
        await turn_all(sessions)  # warm-up
    cpu: dict[str, list[tuple[float, float, int, int, float]]] = {g: [] for g in GROUPS}
    for i in range(args.rounds):
        for group in ORDERS[i % len(ORDERS)]:
            cpu[group].append(await turn_all(opened[group][1]))
    for cms, _ in opened.values():
        await close_all(cms)
    extra = {k: (sites["wrapped"].get(k, 0) - sites["bare"].get(k, 0)) / args.sessions
             for k in sites["wrapped"].keys() | sites["bare"]}
    top = sorted(extra.items(), key=lambda kv: -kv[1])[:8]
    own = sum(v for (f, _), v in extra.items() if _ours(f))
    return {"cpu": cpu, "held": held, "top": top, "own": own}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--words", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=6, help="turns of each group for the CPU time")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        asyncio.run(serve(args.words))
        return

    import google.genai

    t0 = time.monotonic()
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", "--words",
                               str(args.words)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        result = asyncio.run(client_main(url, args))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)

    cpu: dict[str, list[tuple[float, float, int, int, float]]] = result["cpu"]
    messages = cpu["bare"][0][2]
    assert all(r[2] == messages for rs in cpu.values() for r in rs), "different streams"
    print(f"scale: {args.sessions} concurrent sessions in one process, server in another; "
          f"a {args.words}-word turn each ({messages} messages a turn in all, "
          f"{messages / args.sessions:.0f} per session); nproc={os.cpu_count()}, python "
          f"{sys.version.split()[0]}, google-genai {google.genai.__version__}; "
          f"{time.monotonic() - t0:.0f} s")
    print(f"{'group':<12}{'turns':>6}{'CPU s (median)':>16}{'us/message':>12}{'wall s':>8}"
          f"{'held KB/session':>17}{'full gc/turn':>14}{'in gc s/turn':>14}")
    med = {g: statistics.median(r[0] for r in runs) for g, runs in cpu.items()}
    for group, runs in cpu.items():
        print(f"{group:<12}{len(runs):>6}{med[group]:>16.3f}{med[group] / messages * 1e6:>12.1f}"
              f"{statistics.median(r[1] for r in runs):>8.2f}"
              f"{result['held'][group] / 1024:>17.1f}"
              f"{statistics.mean(r[3] for r in runs):>14.1f}"
              f"{statistics.mean(r[4] for r in runs):>14.3f}")

    def ratios(a: str, b: str) -> str:
        rs = [x[0] / y[0] for x, y in zip(cpu[a], cpu[b], strict=True)]
        return f"{statistics.median(rs):.3f} (per round {min(rs):.3f}-{max(rs):.3f})"

    print(f"CPU ratio wrapped/bare: {ratios('wrapped', 'bare')}; "
          f"bare again/bare (noise): {ratios('bare again', 'bare')}")
    if any(r[3] for runs in cpu.values() for r in runs):
        no_gc = {g: statistics.median(r[0] - r[4] for r in runs) for g, runs in cpu.items()}
        print(f"the same without the time in full collections (medians): wrapped/bare "
              f"{no_gc['wrapped'] / no_gc['bare']:.3f}, bare again/bare "
              f"{no_gc['bare again'] / no_gc['bare']:.3f}")
    held = result["held"]
    extra = held["wrapped"] - held["bare"]
    print(f"memory held per session after one turn (tracemalloc): extra {extra / 1024:.1f} KB "
          f"wrapped - bare (bare again - bare: {(held['bare again'] - held['bare']) / 1024:+.1f} "
          f"KB); allocated in the library's own code: {result['own'] / 1024:.1f} KB")
    print("largest extra allocation sites per session (wrapped - bare):")
    for (filename, lineno), size in result["top"]:
        short = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        print(f"  {size:>8.0f} B  {short}:{lineno}")
    print(f"target: <= 10 KB extra per session: {'met' if extra <= 10 * 1024 else 'missed'}")


if __name__ == "__main__":
    main()
