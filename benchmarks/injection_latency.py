"""Injection latency: from the ``interrupted`` frame to the note's frame, over many barge-ins.

Measured at the offline server, with its own clock on both ends: the time it hands the
``interrupted`` frame to its socket, and the time it has received and parsed the note's frame
(``server.received[i].time``). So each figure is a full loopback round trip (server send, TLS,
the SDK's receive and parse, the session's bookkeeping and send, TLS, server receive and
parse): an upper bound on the time the session itself takes. Policy: ``first_words_wait=0``;
the user's first words come in the same frame as the flag; the channel is the model's own
(``--channel`` picks another). More rows time the session's own part, with a subclass
overriding the public ``inject`` hook: from the SDK's ``_receive()`` handing the session the
``interrupted`` message to ``inject`` being entered (the note written, ``should_inject``
asked if overridden), and to ``inject`` returning (the SDK has handed the frame to the
socket); and, of the first, the session's own code alone (the flag through the core, up to
the note being handed to the session's writer task; then, from the writer's start, the note
written up to ``inject``), without the event loop's turn between the two. The server runs on
its own event loop in another thread, so its callbacks do not run inside these spans; on a
loaded machine the wall-clock p99 still holds preemptions (a 4 ms time slice), so the spans
are also given in the thread's CPU time (``time.thread_time``). Beside them, the machine's own
spread: the same loop of float arithmetic (sized at the start to take about 70 us, the
session's median on the default script), timed in the same thread once after each barge-in;
its p99/p50 is printed beside the session's, so that nobody reads the machine's tail as the
session's.

Each barge-in is a scripted turn (five audio + transcript frames), the barge-in frame, the
note, then ``turnComplete``; the next barge-in starts only once the app has read that
``turnComplete``, and, on a channel that starts a reply (``client_content``,
``realtime_text``), once the server's reply to the note has ended and the app has read it.
Without that wait the reply to one note could land in the same burst as the next scripted
``interrupted`` and that barge-in's note would be dropped ("the model had already started
answering"), as it is in the field: two model turns at once is a scenario the field does not
have.

``--words 40 --played 0.6`` scripts field-like turns instead: 40 frames of 40 ms with a word
each, the app reporting playback as a player does (``session.playback.played``), the user
cutting in once it has played 60 % of the turn, so the session works out what was heard of a
turn of that length, as it does in the field.

    python benchmarks/injection_latency.py [--n 500] [--channel client_content]
                                           [--words 5] [--played FRACTION]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, get_args

import google.genai
from _common import CONFIG, MODEL
from google.genai import types

from gemini_live_interrupt import Channel, InjectionPolicy, InterruptAwareSession
from gemini_live_interrupt.testing import FakeLiveServer

PCM = base64.b64encode(b"\x01\x00" * 960).decode()
CHUNK_BYTES = 960 * 2  # 40 ms a frame


def turn(words: int) -> list[str]:
    """A scripted turn: ``words`` frames of 40 ms of audio and one transcript word each."""
    return [json.dumps({"serverContent": {"modelTurn": {"parts": [{"inlineData": {
        "mimeType": "audio/pcm;rate=24000", "data": PCM}}]}, "outputTranscription": {
        "text": f" word{i}"}}}) for i in range(words)]


BARGE = json.dumps({"serverContent": {"inputTranscription": {"text": " wait"},
                                      "interrupted": True}})
DONE = json.dumps({"serverContent": {"turnComplete": True}})
# The client frame each channel's note arrives as.
NOTE_KIND = {"silent_content": "client_content", "client_content": "client_content",
             "realtime_text": "realtime_input", "context_update": "context_update"}
STARTS_REPLY = ("client_content", "realtime_text")
T = TypeVar("T")


class Timed(InterruptAwareSession):
    """Times the session's part of a barge-in: its code at the flag (the flag message through
    the core, up to the note being handed to the writer task), then, after the event loop's
    turn, its code writing the note (the writer's start to ``inject`` being entered).
    ``inject`` is the public hook; the two private methods are wrapped only to stamp the
    time."""

    flag_at = flag_cpu = fed_at = fed_cpu = task_at = task_cpu = 0.0
    own: list[float]  # the session's code: flag -> fed, plus task start -> inject entered
    own_cpu: list[float]  # the same in the thread's CPU time
    hop: list[float]  # the event loop between them (the app's code, the socket's reader)
    entered: list[float]  # flag -> inject entered, all of it
    returned: list[float]  # flag -> inject returned (the SDK handed the frame to the socket)
    entered_cpu: list[float]
    turns_read = 0
    played_chunks = 0  # of the current turn, as the app reported them

    async def __aenter__(self) -> Timed:
        await super().__aenter__()
        self.own, self.hop, self.entered, self.returned, self.entered_cpu = [], [], [], [], []
        self.own_cpu = []
        sdk = self.raw
        sdk_receive = sdk._receive

        async def stamped() -> types.LiveServerMessage:
            # When the SDK has parsed each message for the session: the start of its own part.
            # (Its per-message call is wrapped, not receive(): a receive() replaced on the
            # session would make the session wrap it rather than run its own loop.)
            message = await sdk_receive()
            content = message.server_content
            if content is not None and content.interrupted:
                self.flag_at, self.flag_cpu = time.perf_counter(), time.thread_time()
                self.fed_at = 0.0
            return message

        sdk._receive = stamped  # type: ignore[method-assign]
        return self

    def _feed(self, message: types.LiveServerMessage, out: Any) -> bool:
        hide = super()._feed(message, out)
        if not self.fed_at:  # the first message fed after the flag's stamp is the flag
            self.fed_at, self.fed_cpu = time.perf_counter(), time.thread_time()
        return hide

    async def _write_and_send(self, barge_in: Any) -> None:
        self.task_at, self.task_cpu = time.perf_counter(), time.thread_time()
        await super()._write_and_send(barge_in)

    async def inject(self, prompt: str) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.entered.append(now - self.flag_at)
        self.entered_cpu.append(cpu - self.flag_cpu)
        self.own_cpu.append((self.fed_cpu - self.flag_cpu) + (cpu - self.task_cpu))
        self.own.append((self.fed_at - self.flag_at) + (now - self.task_at))
        self.hop.append(self.task_at - self.fed_at)
        await super().inject(prompt)
        self.returned.append(time.perf_counter() - self.flag_at)


def fixed_work(steps: int) -> float:
    """The same Python float arithmetic every call: the machine's own spread, beside the
    session's (on a shared VM one and the same loop takes up to twice as long at p99 as at
    p50, so a p99 in wall time is partly the machine's)."""
    total = 0.0
    for i in range(steps):
        total += i * 0.5
    return total


def calibrate(seconds: float) -> int:
    """Steps of ``fixed_work`` that take about ``seconds`` at the median, on this machine now."""
    steps = 1000
    for _ in range(3):
        times = []
        for _ in range(31):
            start = time.perf_counter()
            fixed_work(steps)
            times.append(time.perf_counter() - start)
        steps = max(100, round(steps * seconds / statistics.median(times)))
    return steps


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


class ServerThread:
    """The offline server on its own event loop in another thread: its work is then not
    counted in the session's spans (the thread's CPU time excludes it, and its callbacks no
    longer queue in the client's loop). Calls go to it thread-safely."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        # speed only shortens the server's reply to a turn-starting note (it answers "OK.").
        self.server = FakeLiveServer(replies=[], speed=50)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def notify(self) -> None:
        self.loop.call_soon_threadsafe(self.server.notify)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


async def run(n: int, channel: Channel | None, words: int, played: float | None,
              steps: int) -> tuple[Timed, list[float], list[float]]:
    remote = ServerThread()
    server = remote.server
    await remote.call(server.start())
    try:
        conn = server.client().aio.live.connect(model=MODEL, config=CONFIG)
        policy = InjectionPolicy(first_words_wait=0.0, channel=channel)
        async with Timed(conn, policy=policy) as session:
            assert session.policy.channel is not None
            kind = NOTE_KIND[session.policy.channel]
            starts_reply = session.policy.channel in STARTS_REPLY

            # With `played`, the app reports playback as a player does, and its speaker is
            # that far into each turn when the user cuts in (the rest is still buffered).
            to_play = 0 if played is None else max(1, round(played * words))

            async def app() -> None:
                while True:
                    reported = session.played_chunks = 0
                    async for message in session.receive():
                        content = message.server_content
                        if reported < to_play and message.data:
                            session.playback.played(nbytes=CHUNK_BYTES)
                            reported += 1
                            session.played_chunks = reported
                            remote.notify()
                        if content is not None and content.turn_complete:
                            session.turns_read += 1
                            remote.notify()  # wakes server.wait_for on the app's progress

            def notes() -> int:
                return sum(1 for m in server.received if m.kind == kind)

            async def wait_for(predicate: Callable[[], bool]) -> None:
                await remote.call(server.wait_for(predicate, timeout=5))

            reader = asyncio.create_task(app())
            await wait_for(lambda: any(m.kind == "setup" for m in server.received))
            round_trips: list[float] = []
            reference: list[float] = []  # fixed_work(steps), once after each barge-in
            read = 0
            frames = turn(words)
            for i in range(n):
                for frame in frames:
                    await remote.call(server.send_raw(frame))
                if to_play:  # the speaker has played its share before the user cuts in
                    await wait_for(lambda: session.played_chunks >= to_play)
                count = notes()
                replies = len(server.turns)
                sent_at = server.now()
                await remote.call(server.send_raw(BARGE))
                await wait_for(lambda c=count: notes() > c)  # type: ignore[misc]
                note = [m for m in server.received if m.kind == kind][-1]
                round_trips.append(note.time - sent_at)
                await remote.call(server.send_raw(DONE))
                read += 1
                if starts_reply:
                    # The server answers the note with a turn of its own: let it end and the
                    # app read it before the next barge-in.
                    await wait_for(lambda r=replies: len(server.turns) > r  # type: ignore[misc]
                                   and server.turns[-1].ended_at is not None)
                    read += 1
                await wait_for(lambda r=read: session.turns_read >= r)  # type: ignore[misc]
                start = time.perf_counter()
                fixed_work(steps)
                reference.append(time.perf_counter() - start)
                if i % 50 == 0:
                    server.received.clear()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    finally:
        await remote.call(server.close())
        remote.close()
    records = session.interruptions
    assert len(records) >= min(n, session.max_records)
    assert all(r.injected for r in records), {r.reason for r in records}
    return session, round_trips, reference


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--channel", choices=get_args(Channel), default=None,
                    help="the note's channel (default: the model table's, context_update)")
    ap.add_argument("--words", type=int, default=5,
                    help="words in each scripted turn, one 40 ms audio frame each (default 5)")
    ap.add_argument("--played", type=float, default=None, metavar="FRACTION",
                    help="the app reports playback, and has played this share of each turn "
                         "when the user cuts in (default: no reports, the user cuts in at once)")
    args = ap.parse_args()
    if args.words < 1 or not (args.played is None or 0 < args.played <= 1):
        ap.error("--words must be at least 1 and --played more than 0 and at most 1")
    t0 = time.monotonic()
    steps = calibrate(7e-5)
    session, trips, reference = asyncio.run(run(args.n, args.channel, args.words, args.played,
                                                steps))
    cut = ("at once, no playback reports" if args.played is None
           else f"{args.played:.0%} into it, playback reported")
    print(f"injection latency over {args.n} barge-ins on {args.words}-word turns (cut {cut}), "
          f"channel {session.policy.channel}; "
          f"nproc={os.cpu_count()}, python {sys.version.split()[0]}, "
          f"google-genai {google.genai.__version__}; {time.monotonic() - t0:.1f} s")
    print(f"{'measure':<58}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, v in [("interrupted frame sent -> note received (server clock)", trips),
                    ("session: SDK parsed the flag -> inject() entered", session.entered),
                    ("  the same, CPU time of the thread (no preemption)", session.entered_cpu),
                    ("  of which the session's own code (flag, note)", session.own),
                    ("    the same, CPU time of the thread", session.own_cpu),
                    ("  of which the event loop's turn between them", session.hop),
                    ("session: SDK parsed the flag -> note handed to socket", session.returned),
                    (f"reference: the same {steps} float steps after each barge-in",
                     reference)]:
        print(f"{name:<58}{statistics.median(v) * 1e3:>9.3f}{pct(v, 0.99) * 1e3:>9.3f}"
              f"{max(v) * 1e3:>9.3f}")
    own, whole = pct(session.own, 0.99), pct(session.entered, 0.99)
    print(f"p99/p50, the machine's tail: the session's own code "
          f"{own / statistics.median(session.own):.2f}, the same work every time "
          f"{pct(reference, 0.99) / statistics.median(reference):.2f}")
    print(f"target: the session's own part p99 <= 0.1 ms: "
          f"{'met' if own <= 1e-4 else 'missed'} ({own * 1e3:.3f} ms of its code; "
          f"{whole * 1e3:.3f} ms with the loop's turn)")
    p99 = pct(trips, 0.99)
    print(f"loopback round trip p99 < 1 ms: {'met' if p99 < 1e-3 else 'missed'} "
          f"({p99 * 1e3:.3f} ms)")


if __name__ == "__main__":
    main()
