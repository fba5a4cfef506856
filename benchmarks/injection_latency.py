"""Injection latency: from the ``interrupted`` frame to the note's frame, over many barge-ins.

Measured at the offline server, with its own clock on both ends: the time it hands the
``interrupted`` frame to its socket, and the time it has received and parsed the note's frame
(``server.received[i].time``). So each figure is a full loopback round trip (server send, TLS,
the SDK's receive and parse, the session's bookkeeping and send, TLS, server receive and
parse): an upper bound on the time the session itself takes. Policy:
``first_words_wait=0``, ``client_content``; the user's words come in the same frame as the flag.
A second row times the session's own part with a subclass overriding the public ``inject``
hook: from the app's loop getting the ``interrupted`` message to ``inject`` being entered.

    python benchmarks/injection_latency.py [--n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import time
from typing import Any

import google.genai

from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt.testing import FakeLiveServer

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
CONFIG: dict[str, Any] = {"response_modalities": ["AUDIO"], "output_audio_transcription": {},
                          "input_audio_transcription": {}}
POLICY = InjectionPolicy(first_words_wait=0.0, channel="client_content")
PCM = base64.b64encode(b"\x01\x00" * 960).decode()
TURN = [json.dumps({"serverContent": {"modelTurn": {"parts": [{"inlineData": {
    "mimeType": "audio/pcm;rate=24000", "data": PCM}}]}, "outputTranscription": {
    "text": f" word{i}"}}}) for i in range(5)]
BARGE = json.dumps({"serverContent": {"inputTranscription": {"text": " wait"},
                                      "interrupted": True}})
DONE = json.dumps({"serverContent": {"turnComplete": True}})


class Timed(InterruptAwareSession):
    """Notes when each message reached receive() and when inject was entered."""

    seen_at: float = 0.0
    spans: list[float]

    async def inject(self, prompt: str) -> None:
        self.spans.append(time.perf_counter() - self.seen_at)
        await super().inject(prompt)


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def run(n: int) -> tuple[list[float], list[float]]:
    async with FakeLiveServer(replies=[]) as server:
        conn = server.client().aio.live.connect(model=MODEL, config=CONFIG)
        async with Timed(conn, policy=POLICY) as session:
            session.spans = []

            async def app() -> None:
                while True:
                    async for _ in session.receive():
                        session.seen_at = time.perf_counter()  # after the session's own work
            reader = asyncio.create_task(app())
            await server.wait_for(lambda: any(m.kind == "setup" for m in server.received))
            round_trips: list[float] = []
            for i in range(n):
                for frame in TURN:
                    await server.send_raw(frame)
                count = sum(1 for m in server.received if m.kind == "client_content")
                sent_at = server.now()
                await server.send_raw(BARGE)
                await server.wait_for(lambda c=count: sum(
                    1 for m in server.received if m.kind == "client_content") > c, timeout=5)
                note = [m for m in server.received if m.kind == "client_content"][-1]
                round_trips.append(note.time - sent_at)
                await server.send_raw(DONE)
                if i % 50 == 0:
                    server.received.clear()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        assert len(session.interruptions) >= min(n, session.max_records)
        assert all(r.injected for r in session.interruptions)
        return round_trips, session.spans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    trips, spans = asyncio.run(run(args.n))
    print(f"injection latency over {args.n} barge-ins; nproc={os.cpu_count()}, "
          f"python {sys.version.split()[0]}, google-genai {google.genai.__version__}")
    print(f"{'measure':<52}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, v in [("interrupted frame sent -> note received (server clock)", trips),
                    ("session: flag yielded to the app -> inject() entered", spans)]:
        print(f"{name:<52}{statistics.median(v) * 1e3:>9.3f}{pct(v, 0.99) * 1e3:>9.3f}"
              f"{max(v) * 1e3:>9.3f}")
    p99 = pct(trips, 0.99)
    print(f"target: p99 < 1 ms on loopback (round trip): {'met' if p99 < 1e-3 else 'missed'} "
          f"({p99 * 1e3:.3f} ms)")


if __name__ == "__main__":
    main()
