"""Memory over a long session: the session's own allocations stay flat (tracemalloc).

1. The core fed directly (each message through the edge into events) with a simulated hour:
   40 ms audio chunks and a transcript word every 0.3 s, the model talking in 30 s turns, a
   barge-in every minute.
   Growth is measured between minute 5 and minute 60 (after warm-up).
2. One ten-minute model turn without a break: what a turn holds while it lasts (its
   transcript words and their times), freed when the next turn starts.
3. A shorter run through the real SDK and the offline server (speed 50): many turns and
   barge-ins, growth of the whole process's Python allocations between early and late.

    python benchmarks/memory.py [--minutes 60] [--sdk-turns 60]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tracemalloc
from typing import Any

import google.genai
from google.genai import types

from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt._core import Core, Send
from gemini_live_interrupt._events import events_of
from gemini_live_interrupt.testing import FakeLiveServer


def msg(**content: object) -> types.LiveServerMessage:
    return types.LiveServerMessage(server_content=types.LiveServerContent(**content))  # type: ignore[arg-type]


AUDIO = msg(model_turn=types.Content(role="model", parts=[types.Part(inline_data=types.Blob(
    data=b"\x01\x00" * 960, mime_type="audio/pcm;rate=24000"))]))
WORDS = [msg(output_transcription=types.Transcription(text=f" w{i % 500}")) for i in range(500)]
USER = msg(input_transcription=types.Transcription(text=" hold on a second"))
INTERRUPTED = msg(interrupted=True)
DONE = msg(turn_complete=True)


def used() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def simulate(seconds: float, turn_seconds: float, barge_every: float,
             marks: tuple[float, ...]) -> dict[float, int]:
    """Feed a core ``seconds`` of session; return traced bytes at each mark (seconds)."""
    core = Core("silent_content", InjectionPolicy(), max_history=4)

    def feed(message: types.LiveServerMessage, now: float) -> None:
        for action in core.receive(events_of(message), now):
            if isinstance(action, Send):  # as the session does: the note goes out
                episode = action.barge_in.episode
                if core.begin_note(episode, "note") is None:
                    core.note_sent(episode, now)

    out: dict[float, int] = {}
    pending = sorted(marks)
    t = 0.0
    step = 0.04
    i = 0
    turn_start = 0.0
    next_barge = barge_every
    while t < seconds:
        feed(AUDIO, t)
        if i % 8 == 0:
            feed(WORDS[(i // 8) % 500], t)
        if t >= next_barge:
            feed(USER, t)
            feed(INTERRUPTED, t)
            feed(DONE, t)
            core.poll(t)
            next_barge += barge_every
            turn_start = t
        elif t - turn_start >= turn_seconds:
            feed(DONE, t)
            turn_start = t
        t += step
        i += 1
        while pending and t >= pending[0]:
            out[pending.pop(0)] = used()
    return out


async def sdk_run(turns: int) -> tuple[int, int]:
    """(bytes after 10 turns, bytes after ``turns``) through the SDK, a barge-in every turn."""
    story = " ".join(f"word{i}" for i in range(60)) + "."
    policy = InjectionPolicy(first_words_wait=0.0)
    early = 0
    async with FakeLiveServer(replies=lambda context: story, speed=50) as server:
        conn = server.client().aio.live.connect(model="gemini-2.5-flash-native-audio",
                                                config={"response_modalities": ["AUDIO"],
                                                        "output_audio_transcription": {},
                                                        "input_audio_transcription": {}})
        async with InterruptAwareSession(conn, policy=policy) as session:
            for n in range(turns):
                await session.send_realtime_input(text="Tell me more.")
                barged = False
                seen = 0
                async for _m in session.receive():
                    seen += 1
                    if not barged and seen > 10:
                        barged = True
                        await session.send_realtime_input(text="Wait.")
                if n == 10:
                    early = used()
            await asyncio.sleep(0.1)
            late = used()
            records: Any = len(session.interruptions)
    assert records == min(turns, InterruptAwareSession.max_records) or records > 0
    return early, late


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--sdk-turns", type=int, default=60)
    args = ap.parse_args()
    # Words' weights are cached process-wide (at most 4096 words) and, since they are computed
    # when a barge-in first needs them, that cache fills over the hour: warm it with the
    # scenario's words first, so its filling is not read as the core's growth.
    from gemini_live_interrupt._timeline import _weight

    for word in WORDS:
        _weight(word.server_content.output_transcription.text)  # type: ignore[union-attr]
    tracemalloc.start()
    hour = args.minutes * 60
    marks = simulate(hour, 30, 60, (300.0, hour - 1))
    grow_hour = (marks[hour - 1] - marks[300.0]) / 1024
    base = used()
    long_turn = simulate(600, 10_000, 10_000, (60.0, 599.0))
    grow_turn = (long_turn[599.0] - long_turn[60.0]) / 1024
    held_turn = (long_turn[599.0] - base) / 1024
    early, late = asyncio.run(sdk_run(args.sdk_turns))
    grow_sdk = (late - early) / 1024
    tracemalloc.stop()
    print(f"memory (tracemalloc); nproc={os.cpu_count()}, python {sys.version.split()[0]}, "
          f"google-genai {google.genai.__version__}")
    print(f"{'scenario':<62}{'growth KB':>10}")
    print(f"{f'core, {args.minutes:g} min session, barge-in a minute (min 5 -> end)':<62}"
          f"{grow_hour:>10.1f}")
    print(f"{'core, one 10-min turn (min 1 -> min 10)':<62}{grow_turn:>10.1f}")
    print(f"{'core, one 10-min turn, held in total at its end':<62}{held_turn:>10.1f}")
    print(f"{f'real SDK + server, {args.sdk_turns} turns with barge-ins (turn 10 -> end)':<62}"
          f"{grow_sdk:>10.1f}")


if __name__ == "__main__":
    main()
