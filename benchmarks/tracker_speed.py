"""The core alone: time per message (timeit), for the edge (SDK message to events) and the
whole path the session runs per message (edge + core).

Messages are the SDK's own ``LiveServerMessage`` objects, built once; each timed loop feeds a
fresh core a realistic mix, so every number is the cost our code adds per message.

    python benchmarks/tracker_speed.py [--n 20000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

import google.genai
from google.genai import types

from gemini_live_interrupt import InjectionPolicy
from gemini_live_interrupt._core import Core
from gemini_live_interrupt._events import events_of, model_output


def msg(**content: object) -> types.LiveServerMessage:
    return types.LiveServerMessage(server_content=types.LiveServerContent(**content))  # type: ignore[arg-type]


AUDIO = msg(model_turn=types.Content(role="model", parts=[types.Part(inline_data=types.Blob(
    data=b"\x01\x00" * 960, mime_type="audio/pcm;rate=24000"))]))
TRANSCRIPT = msg(output_transcription=types.Transcription(text=" lighthouse"))
USER = msg(input_transcription=types.Transcription(text=" wait"))
INTERRUPTED = msg(interrupted=True)
TURN_COMPLETE = msg(turn_complete=True)


def per_message(messages: list[types.LiveServerMessage], repeat: int, part: str) -> float:
    """Best-of-``repeat`` seconds per message: ``"edge"`` converts each message to events,
    ``"core"`` also feeds them to a fresh core (what the session does per message)."""
    def run() -> None:
        # The session's path: the short path for a lone piece of model output, else events.
        if part == "edge":
            for m in messages:
                if model_output(m) is None:
                    events_of(m)
            return
        core = Core("silent_content", InjectionPolicy(), max_history=4)
        for i, m in enumerate(messages):
            out = model_output(m)
            if out is None:
                core.receive(events_of(m), i * 0.01)
            elif isinstance(out, tuple):
                core.audio(out[0], out[1], i * 0.01)
            else:
                core.transcript(out, i * 0.01)
    best = min(timeit.repeat(run, number=1, repeat=repeat))
    return best / len(messages)


WORDS = ("the", "small", "robot", "counted", "ships", "passing", "by", "the", "lighthouse",
         "every", "night", "and", "wrote", "their", "names", "in", "a", "blue", "notebook")


def flag_cost(words: int, runs: int) -> tuple[float, float]:
    """p50 and p99 seconds of the core taking a barge-in (``interrupted`` with the user's first
    words) that cuts a turn of ``words`` words, 8 audio chunks a word, every word new to the
    process (the weights' cache is emptied first: the worst case)."""
    from gemini_live_interrupt import _timeline

    turn: list[types.LiveServerMessage] = []
    for i in range(words):
        text = ("" if i == 0 else " ") + WORDS[i % len(WORDS)]
        turn += [msg(output_transcription=types.Transcription(text=text))] + [AUDIO] * 8
    barge = msg(input_transcription=types.Transcription(text=" wait"), interrupted=True)
    times: list[float] = []
    for _ in range(runs):
        core = Core("silent_content", InjectionPolicy(), max_history=4)
        at = 0.0
        for m in turn:
            at += 0.005  # audio arrives faster than it plays: the cut falls inside the turn
            out = model_output(m)
            if isinstance(out, tuple):
                core.audio(out[0], out[1], at)
            elif out is not None:
                core.transcript(out, at)
        _timeline._weight.cache_clear()
        _timeline._syllables.cache_clear()
        events = events_of(barge)
        start = timeit.default_timer()
        core.receive(events, at)
        times.append(timeit.default_timer() - start)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    n = args.n
    # A model turn is long (transcript words add up); cut turns every 200 chunks so the
    # interrupted mix measures barge-ins that each find a turn to cut.
    streams = {
        "audio chunks": [AUDIO] * n,
        "transcription chunks": [TRANSCRIPT] * n,
        "audio + transcription": [AUDIO, TRANSCRIPT] * (n // 2),
        "interruptions (turn, user, flag)": ([AUDIO, TRANSCRIPT] * 4 + [USER, INTERRUPTED,
                                                                       TURN_COMPLETE]) * (n // 11),
        "interruption flags only": [INTERRUPTED] * n,
    }
    print(f"sans-I/O core, ns per message (best of {args.repeat}, {n} messages); "
          f"nproc={os.cpu_count()}, python {sys.version.split()[0]}, "
          f"google-genai {google.genai.__version__}")
    print(f"{'stream':<36}{'edge':>10}{'edge+core':>11}")
    worst = 0.0
    for name, messages in streams.items():
        e = per_message(messages, args.repeat, "edge")
        c = per_message(messages, args.repeat, "core")
        worst = max(worst, c)
        print(f"{name:<36}{e * 1e9:>10.0f}{c * 1e9:>11.0f}")
    print(f"target: < 2000 ns per message: {'met' if worst < 2e-6 else 'missed'} "
          f"(worst {worst * 1e9:.0f} ns)")
    print("the core taking a barge-in (what was heard, the note made due), by the words of the "
          "turn it cuts; µs")
    print(f"{'words':<10}{'p50':>10}{'p99':>10}{'p50 per word':>14}")
    for words in (5, 10, 40, 120):
        p50, p99 = flag_cost(words, 200)
        print(f"{words:<10}{p50 * 1e6:>10.1f}{p99 * 1e6:>10.1f}{p50 * 1e6 / words:>14.2f}")


if __name__ == "__main__":
    main()
