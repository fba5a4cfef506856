"""Instructions per server message, bare SDK vs wrapped session, counted by callgrind.

Timing the receive path on a shared machine moves by several per cent from run to run for
the same code; instruction counts do not (valgrind's callgrind: two runs of an arm agree to
0.002 %). The same streams, built here frame by frame in the JSON shape the offline server
sends, are replayed in-process, with no network, through the SDK's own
``AsyncSession`` (on an in-memory websocket whose ``recv()`` returns the frames) and through
``InterruptAwareSession`` wrapping such a session:

- ``spoken turn``: one model turn of 40 words, audio and output transcription interleaved as
  the offline server sends them (``FakeLiveServer``: a 40 ms audio chunk at 24 kHz, one
  transcript chunk per word at the start of its audio), then ``generationComplete`` and
  ``turnComplete`` with ``usageMetadata``. Audio chunks are about 88 % of its messages;
- ``long turn``: the same for 120 words (about 36 s of speech: past the 30 s after which the
  session folds heard words into plain text);
- ``barge-ins``: four turns of 30 words, sent three times faster than real time (the service
  sends audio faster than it plays), cut 2-3 s in by the user, when 20-27 of their words have
  come and the real-time playback estimate has 2-3 s of them played (``interrupted`` with the
  user's first words in the same message, ``turnComplete``, five more words of input
  transcription), then a short whole turn. The session's note (the model's default channel for
  a 2.5 model, a context update) is written and sent, so ``interrupted`` carries that cost
  too; the SDK's send of the note is also shown apart (its ``send_*`` methods are bracketed),
  and so is the session's own part from the flag to that send (the region up to the send, less
  the bare SDK's whole message: the count behind injection_latency.py's own-part figure).

Each message is one region: the app's ``anext()`` on ``receive()`` (the SDK's JSON and pydantic
parse, and for the wrapped arm the session's bookkeeping) plus three event-loop turns, so the
background tasks a message starts (the note) run and are counted with it. The fixed cost of a
region (the client requests through ctypes and the three loop turns, measured on empty regions)
is subtracted. The counts are exact and two runs of a process agree to 0.002 %, but the heap's
state moves the SDK's own parse by 1-4 k instructions a message: how pymalloc's pools and the C
allocator's bins are filled, and where the attribute names and type version tags that CPython's
type cache hashes by land (a pydantic read misses it or not). When each arm ran in a process of
its own, that state differed between the arms as well as between runs, so any change to the
package (unused functions too) moved the ratio by up to 0.003, and a clean clone read 0.002
above a venv for the same code. So both arms run in **one** process (``PYTHONHASHSEED=0``),
with the package imported before either and both warmed up (every stream replayed once
uninstrumented), then measured in turn after ``gc.collect(); gc.freeze()`` (collections of the
young generations still count where they happen), the order reversed every other process; the
bare arm is then the SDK in the same process a user's app is, less the session's work a
message. ``--layouts`` such processes (3; CI uses 8) each start the heap in another state (an
environment of another length, copied into the heap at start-up; a different number of small
and large objects and of classes allocated before anything is imported) and the figures are
their mean, with the spread of the per-layout ratios. ``--control`` replays the bare SDK a
second time in each process: its ratio to the first (1.000, layouts within ±0.002) is the
noise floor. The session's clock is a virtual one that follows the stream (the frames' audio
times), so its playback estimate, and the note's text, are the same on every run.

With ``--orig-python`` (a venv holding ``gemini-live-interrupt==0.1.0`` and the same
google-genai), that package's ``enable_interrupt_resume()`` patch is measured the same way, its
bare arm in the same processes, in its own venv (the patch is enabled for its rounds only).

Needs valgrind (with ``valgrind/callgrind.h``) and gcc: the client requests are inline-asm
macros, so ``callgrind_regions.c`` is compiled at run time into a small library for ctypes.

    python benchmarks/instructions.py [--check 1.03] [--check-flag 790000]
        [--orig-python /tmp/v010/bin/python]
        [--layouts 3] [--rounds 1] [--control] [--streams "spoken turn,long turn,barge-ins"]

``--check R`` exits 1 when the spoken turn's instructions wrapped/bare exceed ``R``;
``--check-flag N`` when the session's own count from the flag to the note's send (barge-ins
stream) exceeds ``N``: the latency target's deterministic counterpart, so that a change that
makes the barge-in path cost more fails CI even where the timed benchmark's noise hides it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import functools
import gc
import json
import math
import operator
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import _common
from _common import CONFIG, MODEL

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = (_common.TEXT + ". when the winter storms came it kept the lamp burning so that every "
        "sailor could find the harbour")
RATE = 24000
CHUNK_SECONDS = 0.04  # FakeLiveServer's default chunk_seconds
SECONDS_PER_CHAR = 0.065  # the offline server's speech rate (testing/_model.py)
MIN_WORD_SECONDS = 0.12
BARGE_IN_SPEED = 3.0  # the barge-ins stream's output, times real time
PUMP = 3  # event-loop turns per region: a message's background work runs within them
EMPTY = 20  # empty regions per stream: the fixed cost of a region
EMPTY_KIND = "empty"

AUDIO = "audio chunk"
TRANSCRIPT = "output transcript"
GENERATION = "generation complete"
TURN = "turn complete"
INTERRUPTED = "interrupted"
USER = "input transcript"
KINDS = (AUDIO, TRANSCRIPT, GENERATION, TURN, INTERRUPTED, USER)


# --- the streams -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    kind: str
    data: bytes  # the frame as the service sends it (compact JSON, camelCase)
    at: float  # when it arrives, on the session's (virtual) clock


def _json(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def _pcm(samples: int) -> str:
    # A 200 Hz tone, as the offline server sends (its content does not change the counts much).
    period = [round(8000 * math.sin(2 * math.pi * i / 120)) for i in range(120)]
    raw = b"".join(period[i % 120].to_bytes(2, "little", signed=True) for i in range(samples))
    return base64.b64encode(raw).decode()


_CHUNK_B64 = _pcm(round(CHUNK_SECONDS * RATE))


def _words(n: int, offset: int = 0) -> list[str]:
    words = TEXT.split(" ")
    return [(" " if i + offset else "") + words[(i + offset) % len(words)] for i in range(n)]


def model_turn(words: list[str], start: float, cut_at: float | None = None,
               speed: float = 1.0) -> list[Frame]:
    """One spoken turn as the offline server sends it, ``speed`` times faster than real time,
    cut ``cut_at`` seconds after it began (or whole)."""
    plan: list[tuple[float, int, str]] = []  # (audio time, 0 transcript / 1 audio, text)
    t = 0.0
    for word in words:
        plan.append((t, 0, word))
        t += max(MIN_WORD_SECONDS, SECONDS_PER_CHAR * len(word.strip()))
    plan += [(k * CHUNK_SECONDS, 1, "") for k in range(math.ceil(t / CHUNK_SECONDS - 1e-9))]
    plan.sort()
    frames: list[Frame] = []
    for at, kind, word in plan:
        arrives = at / speed
        if cut_at is not None and arrives >= cut_at:
            break
        if kind:
            frames.append(Frame(AUDIO, _json({"serverContent": {"modelTurn": {"parts": [{
                "inlineData": {"mimeType": f"audio/pcm;rate={RATE}", "data": _CHUNK_B64}}]}}}),
                start + arrives))
        else:
            frames.append(Frame(TRANSCRIPT, _json({"serverContent": {"outputTranscription": {
                "text": word}}}), start + arrives))
    end = start + (min(t / speed, cut_at) if cut_at is not None else t / speed)
    if cut_at is None:
        frames.append(Frame(GENERATION, _json({"serverContent": {"generationComplete": True}}),
                            end))
    return frames


def turn_complete(at: float, seconds: float) -> Frame:
    tokens = round(seconds * 25)
    return Frame(TURN, _json({"serverContent": {"turnComplete": True}, "usageMetadata": {
        "promptTokenCount": 120, "responseTokenCount": tokens, "totalTokenCount": 120 + tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 120}],
        "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": tokens}]}}), at)


def spoken(words: int) -> list[Frame]:
    frames = model_turn(_words(words), 1.0)
    return [*frames, turn_complete(frames[-1].at, frames[-1].at - 1.0)]


def barge_ins(count: int) -> list[Frame]:
    frames: list[Frame] = []
    t = 1.0
    user = [" no", " I", " meant", " the", " other"]
    for b in range(count):
        cut = 2.0 + 0.25 * b
        # Sent three times faster than it plays, as the service sends audio: at the cut most
        # of the turn has come (20-27 of its words) and 2-3 s of it has played.
        turn = model_turn(_words(30, offset=7 * b), t, cut_at=cut, speed=BARGE_IN_SPEED)
        t = turn[-1].at + 0.02
        frames += turn
        frames.append(Frame(INTERRUPTED, _json({"serverContent": {
            "inputTranscription": {"text": " wait"}, "interrupted": True}}), t))
        frames.append(turn_complete(t, cut))
        for word in user:
            t += 0.3
            frames.append(Frame(USER, _json({"serverContent": {"inputTranscription": {
                "text": word}}}), t))
        t += 0.8
    answer = model_turn(_words(8, offset=3), t)
    return [*frames, *answer, turn_complete(answer[-1].at, answer[-1].at - t)]


STREAMS = ("spoken turn", "long turn", "barge-ins")


def streams(args: argparse.Namespace) -> dict[str, list[Frame]]:
    build = {
        "spoken turn": lambda: spoken(args.spoken_words),
        "long turn": lambda: spoken(args.long_words),
        "barge-ins": lambda: barge_ins(args.barge_ins),
    }
    return {name: build[name]() for name in STREAMS if name in args.streams.split(",")}


# --- one arm, in its own (valgrind) process ---------------------------------------------------


class Regions:
    """Callgrind client requests: count a region, then dump it as a named part."""

    def __init__(self, lib_path: str | None) -> None:
        self.lib = ctypes.CDLL(lib_path) if lib_path else None
        self.on = bool(self.lib and self.lib.glc_running_on_valgrind())
        self.active = False
        self.arm = ""  # the arm being replayed: the first field of every part's name

    def start_instrumentation(self) -> None:
        if self.on:
            assert self.lib is not None
            self.lib.glc_start_instrumentation()
            self.lib.glc_zero()

    def toggle(self) -> None:
        if self.on and self.active:
            assert self.lib is not None
            self.lib.glc_toggle_collect()

    def dump(self, name: str) -> None:
        if self.on and self.active:
            assert self.lib is not None
            self.lib.glc_dump(f"{self.arm}|{name}".encode())


class ReplayWebSocket:
    """What ``AsyncSession`` needs of a websocket: ``recv`` returns the recorded frames."""

    def __init__(self, frames: Iterable[Frame]) -> None:
        self._frames = iter([f.data for f in frames])
        self.sent: list[str] = []

    async def recv(self, decode: bool | None = None) -> bytes:
        frame = next(self._frames, None)
        if frame is None:
            await asyncio.Event().wait()  # a quiet socket: the session drains it on exit
            raise ConnectionError("unreachable")
        return frame

    async def send(self, message: str) -> None:
        self.sent.append(message)

    async def close(self) -> None:
        pass


CLOCK = [0.0]
NOTE_SEND = "note send"  # the SDK sending a note, inside the message that caused it
NOTE_BEFORE = "before the note's send"  # the message that caused a note, up to its send
SEND_METHODS = ("send_client_content", "send_context_update", "send_realtime_input")


@dataclass
class Region:
    """The region being counted: its stream and message kind."""

    regions: Regions
    stream: str = ""
    kind: str = ""


def bracket_sends(sdk_session: Any, region: Region) -> None:
    """Count the SDK's sends (a session's note) apart, inside the region that caused them.

    The part before the send is dumped as ``before the note's send``, the send as ``note
    send`` (both with no message: they are added to the region's kind, ``interrupted``, and
    shown apart); the rest of the region follows.
    """
    for name in SEND_METHODS:
        method = getattr(sdk_session, name, None)
        if method is None:
            continue

        def counted(method: Any = method) -> Any:
            async def send(*args: Any, **kwargs: Any) -> Any:
                region.regions.dump(f"{region.stream}|{NOTE_BEFORE}|0")
                try:
                    return await method(*args, **kwargs)
                finally:
                    region.regions.dump(f"{region.stream}|{NOTE_SEND}|0")
            return send

        setattr(sdk_session, name, counted())


def open_session(arm: str, ws: ReplayWebSocket, api_client: Any, region: Region) -> Any:
    """An async context manager yielding the session the app reads, for ``arm``."""
    from google.genai.live import AsyncSession

    @contextlib.asynccontextmanager
    async def connect(*, model: str, config: dict[str, Any]) -> AsyncIterator[Any]:
        # What client.aio.live.connect() yields, on the replayed socket; the wrapper reads
        # model and config from these keyword arguments as it does from the SDK's.
        sdk_session = AsyncSession(api_client=api_client, websocket=ws)  # type: ignore[arg-type]
        bracket_sends(sdk_session, region)
        yield sdk_session

    conn = connect(model=MODEL, config=CONFIG)
    if arm != "ours":
        return conn  # bare, or 0.1.0's patch of AsyncSession._receive
    from gemini_live_interrupt import InterruptAwareSession

    class Replayed(InterruptAwareSession):
        # The stream's own time, the same every run; a C-level call, as the default
        # time.monotonic is (a Python lambda here would charge the wrapper a frame per message
        # that users do not pay).
        clock = staticmethod(functools.partial(operator.getitem, CLOCK, 0))

    return Replayed(conn)


async def play(name: str, frames: list[Frame], arm: str, api_client: Any,
               regions: Regions) -> int:
    """Replay ``frames`` through the app's receive loop, one region a message; returns the
    number of frames sent by the session (its notes)."""
    ws = ReplayWebSocket(frames)
    region = Region(regions, name)
    async with open_session(arm, ws, api_client, region) as session:
        gen = None
        run_count = 0
        for i, frame in enumerate(frames):
            CLOCK[0] = frame.at
            region.kind = frame.kind
            regions.toggle()
            if gen is None:
                gen = session.receive()
            message = await anext(gen)
            if frame.kind == TURN:
                # The SDK's receive() ends after the turn: the app's next anext() sees it.
                with contextlib.suppress(StopAsyncIteration):
                    await anext(gen)
                    raise AssertionError("receive() went on past turnComplete")
                gen = None
            for _ in range(PUMP):
                await asyncio.sleep(0)
            regions.toggle()
            check(message, frame.kind)
            run_count += 1
            if i + 1 == len(frames) or frames[i + 1].kind != frame.kind:
                # Consecutive messages of a kind are counted together: fewer dumps.
                regions.dump(f"{name}|{frame.kind}|{run_count}")
                run_count = 0
        # The fixed cost of a region (client requests, event-loop turns), in the same state.
        for _ in range(EMPTY):
            regions.toggle()
            for _ in range(PUMP):
                await asyncio.sleep(0)
            regions.toggle()
        regions.dump(f"{name}|{EMPTY_KIND}|{EMPTY}")
    return len(ws.sent)


def check(message: Any, kind: str) -> None:
    content = message.server_content
    ok = {
        AUDIO: lambda: content.model_turn.parts[0].inline_data.data,
        TRANSCRIPT: lambda: content.output_transcription.text,
        GENERATION: lambda: content.generation_complete,
        TURN: lambda: content.turn_complete,
        INTERRUPTED: lambda: content.interrupted,
        USER: lambda: content.input_transcription.text,
    }[kind]()
    assert ok, f"the app got the wrong message for {kind}: {message}"


_LAYOUT: list[bytes] = []


async def worker(args: argparse.Namespace) -> None:
    # Objects kept alive before anything else is loaded, so each layout starts the heap in
    # another state: small ones of every size (pymalloc's pools and arenas, and so where the
    # names the type cache hashes by address land), large ones (the C allocator's bins, which
    # the frames' buffers go through), and classes looked up once (each takes a type version
    # tag, which the type cache hashes with the name: the SDK's classes get other tags).
    _LAYOUT.extend(b"x" * (i % 500) for i in range(args.layout * 1999))
    _LAYOUT.extend(b"x" * (600 + (i * 331) % 7000) for i in range(args.layout * 13))
    for i in range(args.layout * 37):
        kind = type(f"_Layout{i}", (), {})
        getattr(kind, "__doc__", None)
        _LAYOUT.append(kind)
    from google import genai

    # Both arms run in this process, on the same heap, with the package under test imported
    # before either: what differs between them is the receive path, not the process's state.
    arms = args.worker.split(",")
    if "v010" not in arms:
        # This checkout's package, whichever one the venv has installed.
        sys.path.insert(0, os.path.dirname(HERE))
    import gemini_live_interrupt as package  # or 0.1.0, in its own venv
    api_client = genai.Client(api_key="replay")._api_client
    regions = Regions(args.lib)
    all_streams = streams(args)

    async def play_arm(arm: str) -> dict[str, int]:
        notes: dict[str, int] = {}
        if arm == "v010":
            package.enable_interrupt_resume()
        try:
            for name, frames in all_streams.items():
                if regions.active:
                    gc.collect()
                    gc.freeze()
                notes[name] = await play(name, frames, arm, api_client, regions)
        finally:
            if arm == "v010":
                package.disable_interrupt_resume()
        return notes

    for arm in arms:  # warm-up, uninstrumented
        await play_arm(arm)
    regions.start_instrumentation()
    notes: dict[str, dict[str, int]] = {}
    # Each round runs the arms in turn, the order reversed every other round and layout (the
    # heap drifts as the process runs: neither arm always goes first).
    for r in range(args.rounds):
        order = arms if (r + args.layout) % 2 == 0 else arms[::-1]
        for arm in order:
            if arm == "ours":
                # The replay repeats its words, so the warm-up (and an earlier round) taught
                # the session every one: forget them, as a conversation's new words are (their
                # weights are computed at a barge-in).
                from gemini_live_interrupt import _timeline

                _timeline._weight.cache_clear()
                _timeline._syllables.cache_clear()
            regions.active = True
            regions.arm = arm
            notes[arm] = await play_arm(arm)
            regions.active = False
    print(json.dumps({"arms": arms, "notes": notes, "genai": genai.__version__,
                      "python": sys.version.split()[0], "rounds": args.rounds}))


# --- the driver ------------------------------------------------------------------------------


def build_lib(tmp: str) -> str:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise SystemExit("needs gcc (or cc) to build the callgrind client-request helper")
    lib = os.path.join(tmp, "callgrind_regions.so")
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", lib,
                    os.path.join(HERE, "callgrind_regions.c")], check=True)
    return lib


def parse_parts(path: str) -> dict[str, dict[tuple[str, str], tuple[int, int]]]:
    """{arm: {(stream, kind): (messages, instructions)}} from a callgrind output of named
    dumps."""
    out: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
    name: str | None = None
    with open(path) as f:
        for line in f:
            if line.startswith("desc: Trigger: Client Request: "):
                name = line.split(": ", 3)[3].strip()
            elif line.startswith(("totals:", "summary:")) and name is not None:
                arm, rest = name.split("|", 1)
                stream, kind, count = rest.rsplit("|", 2)
                ir = int(line.split()[1])
                parts = out.setdefault(arm, {})
                n, total = parts.get((stream, kind), (0, 0))
                parts[(stream, kind)] = (n + int(count), total + ir)
                name = None  # one figure per part (summary and totals agree)
    return out


def run_arms(groups: list[tuple[str, str, dict[str, str]]], lib: str, tmp: str,
             args: argparse.Namespace) -> dict[str, list[dict[str, Any]] | str]:
    """Run each group (python, its arms joined by commas, {arm: label}) under callgrind,
    once per heap layout, ``nproc`` at a time; parse what they counted, by label."""
    jobs = [(python, arms, labels, layout) for layout in range(args.layouts)
            for python, arms, labels in groups]
    running: list[tuple[dict[str, str], str, subprocess.Popen[str]]] = []
    results: dict[str, list[dict[str, Any]] | str] = {}

    def finish(labels: dict[str, str], out: str, proc: subprocess.Popen[str]) -> None:
        stdout, stderr = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            tail = [ln for ln in stderr.strip().splitlines() if not ln.startswith("==")][-3:]
            for label in labels.values():
                results[label] = f"failed ({proc.returncode}): {' | '.join(tail)}"
            return
        info = json.loads(stdout.strip().splitlines()[-1])
        parts = parse_parts(out)
        os.unlink(out)
        for arm, label in labels.items():
            if arm not in parts:
                continue
            done = results.setdefault(label, [])
            if isinstance(done, list):
                done.append({**info, "parts": parts[arm], "notes": info["notes"][arm]})

    for python, arms, labels, layout in jobs:
        if len(running) >= (os.cpu_count() or 1):
            finish(*running.pop(0))
        out = os.path.join(tmp, f"callgrind.{arms}.{layout}.out")
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
               "--dump-line=no", "--dump-instr=no", "--combine-dumps=yes",
               f"--callgrind-out-file={out}", python, os.path.abspath(__file__),
               "--worker", arms, "--lib", lib, "--layout", str(layout),
               "--rounds", str(args.rounds),
               "--streams", args.streams, "--spoken-words", str(args.spoken_words),
               "--long-words", str(args.long_words), "--barge-ins", str(args.barge_ins)]
        # The same small environment for every worker, whatever the caller's: the process's
        # environment is copied into its heap at start-up, and a larger one moved the spoken
        # turn's ratio by up to 0.004 when the arms ran in processes of their own. The
        # layouts vary its length too.
        env = {"PYTHONHASHSEED": "0", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
               "LAYOUT": "x" * (layout * 997 % 4096)}
        # The 0.1.0 venv runs from "/" so the repo's package cannot shadow its own.
        cwd = "/" if "v010" in arms else os.path.dirname(HERE)
        running.append((labels, out, subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)))
    for job in running:
        finish(*job)
    return results


@dataclass
class Counts:
    """Instructions per message kind (region cost minus the empty region's) for one arm,
    pooled over its heap layouts."""

    per_kind: dict[tuple[str, str], tuple[int, float]]  # (stream, kind) -> (n, mean)
    layouts: dict[str, list[float]]  # stream -> total instructions in each layout
    base: dict[str, float]  # stream -> fixed cost of a region (first layout)
    sends: dict[str, float]  # stream -> instructions of the SDK's sends (part of the regions)
    before: dict[str, float]  # stream -> instructions of the regions up to a note's send

    @classmethod
    def of(cls, infos: list[dict[str, Any]]) -> Counts:
        pooled: dict[tuple[str, str], list[float]] = {}  # (stream, kind) -> [n, instructions]
        layouts: dict[str, list[float]] = {}
        sends: dict[str, float] = {}
        before: dict[str, float] = {}
        bases: dict[str, float] = {}
        runs = sum(info["rounds"] for info in infos)
        for info in infos:
            parts: dict[tuple[str, str], tuple[int, int]] = info["parts"]
            base = {s: ir / n for (s, k), (n, ir) in parts.items() if k == EMPTY_KIND}
            totals: dict[str, float] = {}
            for (stream, kind), (n, ir) in parts.items():
                if kind == EMPTY_KIND:
                    continue
                if kind in (NOTE_SEND, NOTE_BEFORE):  # in the message that caused the note,
                    shown = sends if kind == NOTE_SEND else before  # and shown apart
                    shown[stream] = shown.get(stream, 0) + ir / runs
                    kind = INTERRUPTED
                cell = pooled.setdefault((stream, kind), [0, 0.0])
                cell[0] += n
                cell[1] += ir - n * base[stream]
                totals[stream] = totals.get(stream, 0.0) + ir - n * base[stream]
            for stream, total in totals.items():
                layouts.setdefault(stream, []).append(total)
            for stream, b in base.items():
                bases.setdefault(stream, b)
        return cls({k: (round(n / runs), ir / n) for k, (n, ir) in pooled.items()},
                   layouts, bases, sends, before)

    def total(self, stream: str) -> float:
        return sum(n * mean for (s, _), (n, mean) in self.per_kind.items() if s == stream)

    def count(self, stream: str) -> int:
        return sum(n for (s, _), (n, _) in self.per_kind.items() if s == stream)


def ratio(wrapped: Counts, bare: Counts, stream: str) -> float:
    return wrapped.total(stream) / bare.total(stream)


def report(results: dict[str, list[dict[str, Any]] | str],
           names: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Print the tables; return, for this package, the wrapped/bare ratio per stream and the
    session's own count from the flag to the note's send per stream with barge-ins."""
    for label, r in results.items():
        if isinstance(r, str):
            print(f"{label}: {r}")
    bare = results.get("sdk")
    ours = results.get("ours")
    if not isinstance(bare, list) or not isinstance(ours, list):
        raise SystemExit("the bare or the wrapped arm failed: no figures")
    b, w = Counts.of(bare), Counts.of(ours)
    ob = results.get("0.1.0 sdk")
    ow = results.get("0.1.0")
    orig = (Counts.of(ob), Counts.of(ow)) if isinstance(ob, list) and isinstance(ow, list) \
        else None
    bases = ", ".join(f"{s} {b.base[s]:,.0f}/{w.base[s]:,.0f}" for s in names)
    print(f"instructions per message (callgrind Ir), mean of {len(bare)} processes (each runs "
          f"both arms); python {bare[0]['python']}, google-genai {bare[0]['genai']}; fixed "
          f"region cost subtracted (bare/wrapped): {bases}")
    head = (f"{'stream / message':<36}{'n':>5}{'bare SDK':>11}{'wrapped':>11}{'extra':>11}"
            f"{'ratio':>7}")
    if orig:
        head += f"{'0.1.0 extra':>13}{'ratio':>7}"
    print(head)
    ratios: dict[str, float] = {}
    flags: dict[str, float] = {}
    for stream in names:
        for kind in KINDS:
            if (stream, kind) not in b.per_kind:
                continue
            n, bare_ir = b.per_kind[(stream, kind)]
            wrapped_ir = w.per_kind[(stream, kind)][1]
            line = (f"{stream + ': ' + kind:<36}{n:>5}{bare_ir:>11,.0f}{wrapped_ir:>11,.0f}"
                    f"{wrapped_ir - bare_ir:>+11,.0f}{wrapped_ir / bare_ir:>7.3f}")
            if orig:
                o_bare, o_wrapped = orig[0].per_kind[(stream, kind)][1], \
                    orig[1].per_kind[(stream, kind)][1]
                line += f"{o_wrapped - o_bare:>+13,.0f}{o_wrapped / o_bare:>7.3f}"
            print(line)
            if kind == INTERRUPTED and (stream in w.sends or (orig and stream in orig[1].sends)):
                line = (f"{'  of which the SDK sending the note':<52}"
                        f"{w.sends.get(stream, 0) / n:>+11,.0f}{'':>7}")
                if orig:
                    line += f"{orig[1].sends.get(stream, 0) / n:>+13,.0f}"
                print(line)
                # The session's own part from the flag to the wire, as a count: the region up
                # to the SDK's send (the SDK's parse of the flag, the session's bookkeeping,
                # the loop's turns until the note's task runs, the note written) less the
                # bare SDK's whole message (its parse and those turns).
                flags[stream] = w.before.get(stream, 0) / n - bare_ir
                line = (f"{'  the session, flag to the send (flag, note written)':<52}"
                        f"{flags[stream]:>+11,.0f}{'':>7}")
                if orig:
                    line += f"{orig[1].before.get(stream, 0) / n - o_bare:>+13,.0f}"
                print(line)
        n_all = b.count(stream)
        ratios[stream] = ratio(w, b, stream)
        extra = (w.total(stream) - b.total(stream)) / n_all
        line = (f"{stream + ': all (per message)':<36}{n_all:>5}"
                f"{b.total(stream) / n_all:>11,.0f}{w.total(stream) / n_all:>11,.0f}"
                f"{extra:>+11,.0f}{ratios[stream]:>7.3f}")
        if orig:
            o_extra = (orig[1].total(stream) - orig[0].total(stream)) / n_all
            line += f"{o_extra:>+13,.0f}{ratio(orig[1], orig[0], stream):>7.3f}"
        print(line)
        if len(w.layouts[stream]) > 1:
            spread = [x / y for x, y in zip(w.layouts[stream], b.layouts[stream], strict=True)]
            line = (f"{'  each process (another heap state)':<63}"
                    f"{min(spread):.3f}-{max(spread):.3f}")
            if orig:
                o = [x / y for x, y in zip(orig[1].layouts[stream], orig[0].layouts[stream],
                                           strict=True)]
                line += f"{'':>6}{min(o):.3f}-{max(o):.3f}"
            print(line)
    again = results.get("sdk again")
    if isinstance(again, list):
        a = Counts.of(again)
        for stream in names:
            spread = [x / y for x, y in zip(a.layouts[stream], b.layouts[stream], strict=True)]
            print(f"control, {stream}: bare again/bare {ratio(a, b, stream):.4f} (layouts "
                  f"{min(spread):.4f}-{max(spread):.4f})")
    audio = w.per_kind[("spoken turn", AUDIO)][1] - b.per_kind[("spoken turn", AUDIO)][1]
    text = (w.per_kind[("spoken turn", TRANSCRIPT)][1]
            - b.per_kind[("spoken turn", TRANSCRIPT)][1])
    spoken_ratio = ratios["spoken turn"]
    print(f"targets (#15): spoken turn wrapped/bare <= 1.015 (goal 1.01): {spoken_ratio:.4f} "
          f"{'met' if spoken_ratio <= 1.015 else 'missed'}; audio chunk <= 8,000 extra: "
          f"{audio:,.0f} {'met' if audio <= 8000 else 'missed'}; output transcript <= 25,000 "
          f"extra: {text:,.0f} {'met' if text <= 25000 else 'missed'}")
    print(f"notes sent by the wrapped session: {ours[0]['notes']}"
          + (f"; by 0.1.0: {ow[0]['notes']}" if isinstance(ow, list) else ""))
    if orig and isinstance(ob, list):
        print(f"bare SDK in the 0.1.0 venv against ours, all streams: "
              f"{sum(orig[0].total(s) for s in names) / sum(b.total(s) for s in names):.4f} "
              f"(google-genai {ob[0]['genai']}, python {ob[0]['python']})")
    return ratios, flags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", type=float, metavar="RATIO",
                    help="exit 1 if the spoken turn's instructions wrapped/bare exceed RATIO")
    ap.add_argument("--check-flag", type=float, metavar="COUNT",
                    help="exit 1 if the session's instructions from the flag to the note's "
                         "send exceed COUNT on the barge-ins stream")
    ap.add_argument("--orig-python", default="/tmp/v010/bin/python",
                    help="python of a venv with gemini-live-interrupt==0.1.0 ('' to skip)")
    ap.add_argument("--spoken-words", type=int, default=40)
    ap.add_argument("--long-words", type=int, default=120)
    ap.add_argument("--barge-ins", type=int, default=4)
    ap.add_argument("--layouts", type=int, default=3,
                    help="valgrind processes (each runs both arms), each starting its heap "
                         "in another state")
    ap.add_argument("--control", action="store_true",
                    help="also replay the bare SDK a second time in each process: the "
                         "bare/bare ratio (1 but for the noise)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="replays of every stream per arm and process, the arms in turn")
    ap.add_argument("--streams", default=",".join(STREAMS),
                    help=f"comma-separated, of: {', '.join(STREAMS)}")
    ap.add_argument("--layout", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)  # the arm to replay, under valgrind
    ap.add_argument("--lib", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        asyncio.run(worker(args))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    if "spoken turn" not in args.streams.split(","):
        raise SystemExit("the streams must include the spoken turn")
    if args.check_flag is not None and "barge-ins" not in args.streams.split(","):
        raise SystemExit("--check-flag needs the barge-ins stream")
    t0 = time.monotonic()
    groups = [(sys.executable, "sdk,ours,sdk2" if args.control else "sdk,ours",
               {"sdk": "sdk", "ours": "ours", "sdk2": "sdk again"})]
    if args.orig_python and os.path.exists(args.orig_python):
        groups.append((args.orig_python, "sdk,v010", {"sdk": "0.1.0 sdk", "v010": "0.1.0"}))
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_lib(tmp)
        results = run_arms(groups, lib, tmp, args)
    frames = streams(args)
    summary = {name: {k: sum(1 for f in fs if f.kind == k) for k in KINDS if any(
        f.kind == k for f in fs)} for name, fs in frames.items()}
    print(f"streams: {json.dumps(summary)}")
    ratios, flags = report(results, list(frames))
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    print(f"{valgrind.stdout.strip()}; {len(results)} arms x {args.layouts} layouts x "
          f"{args.rounds} rounds in "
          f"{time.monotonic() - t0:.0f} s (nproc={os.cpu_count()})")
    if not (args.orig_python and os.path.exists(args.orig_python)):
        print(f"0.1.0: not run (no {args.orig_python or 'interpreter'})")
    spoken_ratio = ratios["spoken turn"]
    failed = False
    if args.check is not None:
        verdict = "ok" if spoken_ratio <= args.check else "FAILED"
        print(f"check: spoken turn wrapped/bare {spoken_ratio:.4f} <= {args.check}: {verdict}")
        failed = spoken_ratio > args.check
    if args.check_flag is not None:
        flag = flags["barge-ins"]
        verdict = "ok" if flag <= args.check_flag else "FAILED"
        print(f"check: the session, flag to the note's send {flag:,.0f} <= "
              f"{args.check_flag:,.0f} instructions: {verdict}")
        failed = failed or flag > args.check_flag
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
