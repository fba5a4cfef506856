"""Does every barge-in end in a note or a reason, and does the answer see it?  Field timing.

Each run, on the offline server's default field timing (``ServiceTiming.field()``) with the
quirks of a model family: the user asks for a story by voice; the model tells it; the app
receives continuously in a background task and plays the audio through a ``SimulatedSpeaker``
that reports playback to ``session.playback`` (stop and clear on ``interrupted``); after a
random number of words *played*, the user talks over the story with audio for 1-2.5 s, and the
microphone then keeps streaming silence for ~3 s, so the service's VAD ends the turn and the
model answers. Per cell (model family x policy: the default, and each channel) it prints:

- delivered: share of barge-ins that ended in a note sent or in a record with a ``reason``
  (barge-ins are the server's turns interrupted by the user's speech; records are
  ``session.interruptions``);
- informed: share of barge-ins whose answer (the first model turn that started after the user
  began talking) had a note in its context when it began (``turn.saw("Interruption note")``);
- early: share of barge-ins whose answer began while the user was still talking;
- extra: model turns started after the barge-in, minus 1, per barge-in (0 is the goal);
- words: share of sent notes that carry the user's words (the scripted question, in order);
- stale: share of sent notes whose ``user_text`` holds words of the user's *previous* question
  (its transcription trails the audio by up to 2 s, past the start of the story);
- heard error: mean and p95 absolute difference in word count between ``record.heard`` and
  the server's ground truth ``turn.heard_at(played)`` at the speaker's position;
- closed: sessions the service closed.

    python benchmarks/delivery.py [--runs 24] [--speed 20] [--seed 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import CONFIG as AUDIO_CONFIG
from _families import FAMILIES, POLICIES
from google.genai import errors, types

from gemini_live_interrupt import InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt.testing import (
    FakeLiveServer,
    ModelTurn,
    ServiceTiming,
    SimulatedSpeaker,
    user_audio,
)

STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks, and the robot had to decide "
    "whether to leave the lighthouse for the very first time in its long and careful life."
)
ANSWER = "Dragons sleep in the cave by the sea, and they dream of the robot's lighthouse."
FIRST_QUESTION = "Tell me a story about a robot."
QUESTION = "What about the dragons in the cave?"
MARKER = "Interruption note"  # "[Interruption note, my own memory" / "[Interruption note: context"
CONFIG: dict[str, Any] = {**AUDIO_CONFIG, "system_instruction": "You tell stories."}
CHUNK = 0.05  # seconds of microphone audio per realtime input message
AFTER_SPEECH = 3.0  # seconds of silence the microphone streams after the barge-in
MIME = "audio/pcm;rate=16000"


def words_of(text: str) -> str:
    """Lower-case words separated by single spaces, punctuation dropped."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


#: Words only the first question has: in a barge-in note's ``user_text`` they are stale.
STALE = set(words_of(FIRST_QUESTION).split()) - set(words_of(QUESTION).split())


@dataclass
class Run:
    barge_ins: int = 0
    delivered: int = 0  # barge-ins that ended in a note sent or a record with a reason
    records: int = 0
    informed: bool = False
    early: bool = False  # the answer began while the user was still talking
    extra: int = 0
    notes: int = 0
    notes_with_words: int = 0
    notes_stale: int = 0  # notes whose user_text holds words of the first question
    heard_errors: list[int] = field(default_factory=list)
    closed: bool = False
    reasons: list[str] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)


class Microphone:
    """Streams 16 kHz audio at the server's pace without a break, speech when asked."""

    def __init__(self, session: InterruptAwareSession, speed: float) -> None:
        self.session = session
        self.speed = speed
        self.pending = bytearray()
        self.sent_chunks = 0
        self.failed = False
        self._speech_chunk = user_audio(CHUNK)
        self._silence_chunk = user_audio(CHUNK, speech=False)

    def say(self, seconds: float) -> None:
        """Queue ``seconds`` of speech (whole chunks)."""
        self.pending += self._speech_chunk * round(seconds / CHUNK)

    @property
    def speaking(self) -> bool:
        return bool(self.pending)

    async def run(self) -> None:
        start = time.monotonic()
        size = len(self._speech_chunk)
        try:
            while True:
                if self.pending:
                    data = bytes(self.pending[:size])
                    del self.pending[:size]
                else:
                    data = self._silence_chunk
                await self.session.send_realtime_input(
                    audio=types.Blob(data=data, mime_type=MIME))
                self.sent_chunks += 1
                due = start + self.sent_chunks * CHUNK / self.speed
                if due < time.monotonic() - CHUNK / self.speed:
                    # Fell behind (a busy loop): go on at the pace, no catch-up burst.
                    start = time.monotonic() - self.sent_chunks * CHUNK / self.speed
                    due = time.monotonic()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failed = True  # the connection closed under us


async def wait_until(predicate: Callable[[], bool], limit: float) -> None:
    """Poll ``predicate`` (it depends on the speaker's clock, not on server events)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.002)


async def one_run(model: str, policy: InjectionPolicy, speed: float, at_words: int,
                  talk: float, seed: int) -> tuple[Run, InjectionPolicy]:
    def reply(context: list[tuple[str, str]]) -> str:
        return STORY if not server.turns else ANSWER

    class Scaled(InterruptAwareSession):
        clock = staticmethod(lambda: time.monotonic() * speed)

    result = Run()
    server = FakeLiveServer(replies=reply, speed=speed, user_transcripts=[FIRST_QUESTION, QUESTION],
                            timing=ServiceTiming.field(), seed=seed)
    played_at_cut: dict[int, float] = {}  # app's turn index -> seconds played when cut
    speech_start = speech_end = float("inf")
    async with server:
        cm = server.client().aio.live.connect(model=model, config=CONFIG)
        async with Scaled(cm, policy=policy) as session, \
                SimulatedSpeaker(session.playback, speed=speed, jitter=0.01, latency=0.05,
                                 seed=seed) as speaker:
            turn_index = -1
            fresh = True

            async def receive_forever() -> None:
                nonlocal turn_index, fresh
                try:
                    while True:
                        async for message in session.receive():
                            content = message.server_content
                            if content is None:
                                continue
                            if content.interrupted:
                                played_at_cut.setdefault(turn_index, speaker.clear())
                            elif content.model_turn is not None or content.output_transcription:
                                if fresh:
                                    fresh = False
                                    turn_index += 1
                                    speaker.new_turn()
                                speaker.play(message)
                            if content.turn_complete:
                                fresh = True
                except errors.APIError:
                    result.closed = True

            receiver = asyncio.create_task(receive_forever())
            mic = Microphone(session, speed)
            microphone = asyncio.create_task(mic.run())
            try:
                mic.say(1.5)  # the first question, by voice
                await server.wait_for(lambda: bool(server.turns), timeout=10)
                story = server.turns[0]
                await wait_until(
                    lambda: turn_index == 0
                    and len(story.heard_at(speaker.played).split()) >= at_words,
                    limit=10)
                speech_start = server.now()
                mic.say(talk)
                await wait_until(lambda: not mic.speaking, limit=10)
                speech_end = server.now()
                await asyncio.sleep(AFTER_SPEECH / speed)
                await server.wait_for(lambda: all(t.ended_at for t in server.turns), timeout=5)
            except Exception as exc:  # a timeout: the session closed or the model stalled
                result.closed = result.closed or mic.failed
                result.odd.append(f"run stopped early: {exc!r}")
            microphone.cancel()
            await asyncio.gather(microphone, return_exceptions=True)
            if mic.failed:
                result.closed = True
            # Let a note in flight settle before closing (closing settles the rest).
            with contextlib.suppress(TimeoutError):
                await wait_until(lambda: len(session.interruptions) >= sum(
                    t.interrupted for t in server.turns), limit=1)
            resolved = session.policy
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
        records = session.interruptions  # after __aexit__: pending barge-ins settled
    tally(result, server.turns, records, played_at_cut, speech_start, speech_end, speed)
    return result, resolved


def tally(result: Run, turns: list[ModelTurn], records: list[Any],
          played_at_cut: dict[int, float], speech_start: float, speech_end: float,
          speed: float) -> None:
    # The user's barge-in: the turn that was running when the user began talking, cut.
    barge = [t for t in turns if t.interrupted and t.started_at <= speech_start
             and (t.ended_at is None or t.ended_at >= speech_start - 1e-6)]
    others = [t for t in turns if t.interrupted and t not in barge]
    if others or any(t.ended_at is None or t.ended_at > speech_end for t in barge):
        result.odd.append(
            f"speech {speech_start * speed:.2f}-{speech_end * speed:.2f} s; turns "
            + "; ".join(f"{t.index} {t.cause} {t.started_at * speed:.2f}-"
                        f"{(t.ended_at or 0) * speed:.2f} cut={t.interrupted}" for t in turns))
    result.barge_ins = len(barge)
    ended = [r for r in records if r.injected or r.reason]
    result.records = len(records)
    result.delivered = min(len(ended), len(barge))
    if len(ended) < len(barge) or len(records) > len(barge):
        result.odd.append(f"{len(records)} record(s) ({len(ended)} settled) for "
                          f"{len(barge)} barge-in(s): "
                          f"{[(r.episode, r.injected, r.reason) for r in records]}")
    result.reasons = [r.reason for r in records if r.reason]
    after = [t for t in turns if t.started_at >= speech_start - 1e-6]
    if barge:
        result.extra = len(after) - 1
        result.informed = bool(after) and after[0].saw(MARKER)
        result.early = bool(after) and after[0].started_at < speech_end
    sent = [r for r in records if r.injected and r.prompt]
    result.notes = len(sent)
    result.notes_with_words = sum(words_of(QUESTION) in words_of(r.prompt) for r in sent)
    result.notes_stale = sum(bool(STALE & set(words_of(r.user_text).split())) for r in sent)
    # heard: the record of each barge-in against the words the speaker had played.
    by_episode = sorted(records, key=lambda r: r.episode)
    for record, turn in zip(by_episode, barge, strict=False):
        played = played_at_cut.get(turn.index)
        if played is None:
            result.odd.append(f"no interrupted message seen for turn {turn.index}")
            continue
        truth = turn.heard_at(played)
        result.heard_errors.append(abs(len(record.heard.split()) - len(truth.split())))


def share(part: float, whole: float) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def p95(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))])


def label(name: str, resolved: InjectionPolicy) -> str:
    return f"default ({resolved.channel})" if name == "default" else name


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24, help="barge-ins per cell (default 24)")
    ap.add_argument("--speed", type=float, default=20.0, help="times faster than real time")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    plan = [(rng.randint(5, 15), rng.uniform(1.0, 2.5)) for _ in range(args.runs)]
    t0 = time.monotonic()
    cells: dict[tuple[str, str], list[Run]] = {}
    labels: dict[tuple[str, str], str] = {}
    total = len(FAMILIES) * len(POLICIES)
    for family, model in FAMILIES.items():
        for name, policy in POLICIES.items():
            runs = cells.setdefault((family, name), [])
            for i, (at_words, talk) in enumerate(plan):
                run, resolved = await one_run(model, policy, args.speed, at_words, talk,
                                              args.seed + i)
                runs.append(run)
                labels[(family, name)] = label(name, resolved)
                for note in run.odd:
                    print(f"\n{family} {name} run {i}: {note}", file=sys.stderr)
            print(f"\r{len(cells)}/{total} cells, {time.monotonic() - t0:.0f} s", end="",
                  file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{args.runs} runs per cell, {args.speed:g}x real time, seed {args.seed}, "
          f"field timing (ServiceTiming.field()), {time.monotonic() - t0:.0f} s wall\n")
    print("| model | policy | barge-ins | delivered | informed | early | extra replies | words "
          "| stale | heard error mean | heard error p95 | closed |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    reasons: dict[tuple[str, str], dict[str, int]] = {}
    for (family, name), runs in cells.items():
        barge_ins = sum(r.barge_ins for r in runs)
        errs = [e for r in runs for e in r.heard_errors]
        notes = sum(r.notes for r in runs)
        extra = sum(r.extra for r in runs if r.barge_ins)
        informed = sum(r.informed for r in runs)
        heard = f"{statistics.fmean(errs):.2f} | {p95(errs):.0f}" if errs else "- | -"
        print(f"| {family} | {labels[(family, name)]} | {barge_ins} "
              f"| {share(sum(r.delivered for r in runs), barge_ins)} "
              f"| {share(informed, barge_ins)} "
              f"| {share(sum(r.early for r in runs if r.barge_ins), barge_ins)} "
              f"| {share(extra, barge_ins)} "
              f"| {share(sum(r.notes_with_words for r in runs), notes)} "
              f"| {share(sum(r.notes_stale for r in runs), notes)} | {heard} "
              f"| {sum(r.closed for r in runs)}/{len(runs)} |")
        for r in runs:
            for reason in r.reasons:
                counts = reasons.setdefault((family, name), {})
                counts[reason] = counts.get(reason, 0) + 1
    if reasons:
        print("\nNotes not sent, by reason:")
        for (family, name), counts in reasons.items():
            listed = ", ".join(f"{reason} x{n}" for reason, n in sorted(counts.items()))
            print(f"- {family} {labels[(family, name)]}: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
