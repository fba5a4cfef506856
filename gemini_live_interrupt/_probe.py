"""``python -m gemini_live_interrupt probe``: how a model takes each channel, measured.

For each channel in turn the probe opens a session with the raw SDK (not this library's
session: it measures the service), asks for a long story by realtime text, waits for some
model audio, sends a note by that channel exactly as the library does
(:func:`~gemini_live_interrupt._channels.send_note`), keeps receiving for a few seconds and
records what happened: whether the service closed the session (code and reason), whether a
model turn started after the note with no user input in between, and how long the next model
audio took. The results, as JSON, say which channel a ``DEFAULT_MODEL_TABLE`` row should name
(the table's own, unless the probe saw it fail: it cannot see whether an answer used a note).
Offline (the default) it runs against the embedded ``FakeLiveServer``, whose answers follow the
reported quirks of each model family; with ``--live`` and ``GEMINI_API_KEY``, against the
Gemini Live API.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from google.genai import Client, errors, types
from google.genai.live import AsyncSession

from ._channels import has_context_update, instruction_text, send_note
from ._policy import (
    DEFAULT_MODEL_TABLE,
    TURN_STARTING,
    Channel,
    channel_for_model,
    row_for_model,
)
from ._prompt import default_prompt

__all__ = [
    "CHANNELS",
    "ChannelResult",
    "ProbeReport",
    "ProbeTiming",
    "SendNote",
    "cli",
    "family",
    "offline_client",
    "print_report",
    "probe",
    "probe_channel",
    "probe_offline",
    "suggest_row",
]

#: Every channel, in the order the probe tries them (also the order of preference).
CHANNELS: tuple[Channel, ...] = ("silent_content", "context_update", "realtime_text",
                                 "client_content")
#: ``send_note``'s signature: ``(raw session, prompt, channel, base instruction)``.
SendNote = Callable[[AsyncSession, str, Channel, str], Awaitable[None]]


def available_channels() -> tuple[Channel, ...]:
    """:data:`CHANNELS` this google-genai can send (``context_update`` needs
    ``send_context_update``)."""
    return tuple(c for c in CHANNELS if c != "context_update" or has_context_update())

REQUEST = ("Please tell me a long story about a lighthouse keeper and a lost ship, "
           "at least two minutes long.")
INSTRUCTION = "You are a warm storyteller. Speak naturally."
#: The offline model's story: about 6 s of audio (the server speaks 0.065 s per character).
OFFLINE_STORY = ("The old keeper climbed the stairs every night and lit the lamp. "
                 "One foggy evening a ship drifted close.")
OFFLINE_REPLY = "All right, I will keep that in mind."
OFFLINE_SPEED = 20.0
#: PCM16 mono at 24 kHz: bytes of model audio per second.
AUDIO_BYTES_PER_SECOND = 48_000


@dataclass(frozen=True, slots=True)
class ProbeTiming:
    """The probe's waits, in the service's seconds (divided by ``speed`` offline).

    Attributes:
        lead_audio: seconds of model audio to receive before the note is sent.
        listen: seconds to keep receiving after the note.
        settle: after the turn that was running at the note ends, seconds to wait for a reply.
        budget: cap on everything after the request (a session is never held longer).
        connect: cap on opening the session.
    """

    lead_audio: float = 1.0
    listen: float = 5.0
    settle: float = 3.0
    budget: float = 10.0
    connect: float = 10.0

    def scaled(self, speed: float) -> ProbeTiming:
        """The waits for a server running ``speed`` times faster than real time."""
        return ProbeTiming(self.lead_audio, self.listen / speed, self.settle / speed,
                           self.budget / speed, self.connect)


#: Offline the budget is a cap for a busy machine, not a wait: the probe moves on as soon as the
#: story has ended and the settle time passed (about 0.5 s a channel at 20x).
OFFLINE_TIMING = ProbeTiming(budget=40.0)


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """What one channel's scripted barge-in showed.

    Attributes:
        channel: the channel of the note.
        accepted: the note went out and the session stayed open until the probe closed it.
        close_code, close_reason: the service's close (``APIError.code`` and its reason).
        note_sent: whether the note was sent (not when the story never began or the session
            closed first).
        replied: a model turn started after the note, with no user input in between.
        interrupted: the service sent ``interrupted`` after the note (the story was cut).
        story_ended: the turn that was running at the note ended within the wait (if not, a
            reply queued behind it could not be seen).
        note_to_audio_s: seconds from the note to the next model audio (any turn).
        note_to_reply_audio_s: seconds from the note to the first audio of the reply.
        error: a failure that is not the service's close (network, no model audio).
    """

    channel: Channel
    accepted: bool
    close_code: int | None = None
    close_reason: str | None = None
    note_sent: bool = False
    replied: bool = False
    interrupted: bool = False
    story_ended: bool = False
    note_to_audio_s: float | None = None
    note_to_reply_audio_s: float | None = None
    error: str | None = None

    @property
    def closed(self) -> bool:
        """Whether the service closed the session."""
        return self.close_code is not None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``closed`` included)."""
        return {**asdict(self), "closed": self.closed}


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """The probe's results for one model."""

    model: str
    service: str
    sdk_version: str
    date: str
    results: tuple[ChannelResult, ...]

    @property
    def model_table_row(self) -> tuple[str, Channel] | None:
        """The ``DEFAULT_MODEL_TABLE`` row these results suggest (``None``: nothing accepted)."""
        return suggest_row(self.model, self.results)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: metadata, one object per channel, the suggested row."""
        row = self.model_table_row
        return {
            "model": self.model,
            "service": self.service,
            "sdk": "google-genai",
            "sdk_version": self.sdk_version,
            "date": self.date,
            "channels": [r.to_json() for r in self.results],
            "model_table_channel": channel_for_model(self.model),
            "model_table_row": list(row) if row else None,
        }


def family(model: str) -> str:
    """The model table's substring for ``model``: its version number (``"2.5"``), else its name."""
    name = model.removeprefix("models/")
    found = re.search(r"\d+\.\d+", name)
    return found.group(0) if found else name


def _worked(r: ChannelResult) -> bool:
    """What the probe can see of a channel that starts no reply working: accepted, no reply
    of its own, the story not cut."""
    return r.accepted and not r.replied and not r.interrupted


def suggest_row(model: str, results: Sequence[ChannelResult],
                table: tuple[tuple[str, Channel], ...] = DEFAULT_MODEL_TABLE,
                ) -> tuple[str, Channel] | None:
    """``(substring, channel)`` for ``DEFAULT_MODEL_TABLE`` from probe results.

    The channel ``table`` gives ``model`` is kept when it starts no reply and the probe found
    it accepted, with no reply and the story not cut: the probe can see a channel fail, not
    whether the model's next answer used the note (why 2.5 has ``context_update``), so only
    a failure it saw changes the table's choice. Otherwise the first of ``silent_content`` /
    ``context_update`` accepted without a reply of its own; else the safest accepted one (no
    reply, then no interruption, then the order of :data:`CHANNELS`).
    """
    accepted = [r for r in results if r.accepted]
    current = channel_for_model(model, table)
    if current not in TURN_STARTING and any(r.channel == current and _worked(r) for r in results):
        return family(model), current
    for wanted in ("silent_content", "context_update"):
        if any(r.channel == wanted and not r.replied for r in accepted):
            return family(model), wanted
    if not accepted:
        return None
    best = min(accepted, key=lambda r: (r.replied, r.interrupted, CHANNELS.index(r.channel)))
    return family(model), best.channel


# -- one channel ---------------------------------------------------------------------------------

@dataclass
class _Seen:
    """What the receive loop saw, with loop times."""

    audio_bytes: int = 0
    heard: str = ""
    turn_open: bool = False
    turn_starts: list[float] = field(default_factory=list)
    turn_ends: list[float] = field(default_factory=list)
    audio_at: list[tuple[float, int]] = field(default_factory=list)  # (time, turn number)
    interrupted_at: list[float] = field(default_factory=list)
    closed: errors.APIError | None = None
    failed: BaseException | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


async def _receive(raw: AsyncSession, seen: _Seen) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            async for message in raw.receive():
                now = loop.time()
                content = message.server_content
                if content is None:
                    continue
                if content.interrupted:
                    seen.interrupted_at.append(now)
                parts = (content.model_turn.parts or []) if content.model_turn else []
                audio = sum(len(p.inline_data.data) for p in parts
                            if p.inline_data and p.inline_data.data)
                text = content.output_transcription.text if content.output_transcription else ""
                if (audio or text) and not seen.turn_open:
                    # Chunks after `interrupted` but before `turnComplete` belong to the cut
                    # turn; a new turn starts only after turnComplete.
                    seen.turn_open = True
                    seen.turn_starts.append(now)
                if audio:
                    seen.audio_bytes += audio
                    seen.audio_at.append((now, len(seen.turn_starts)))
                if text:
                    seen.heard += text
                if content.turn_complete and seen.turn_open:
                    seen.turn_open = False
                    seen.turn_ends.append(now)
                seen.changed.set()
    except errors.APIError as exc:
        seen.closed = exc
    except Exception as exc:  # a network failure: recorded, reported as the channel's error
        seen.failed = exc
    finally:
        seen.changed.set()


async def _wait(seen: _Seen, until: float) -> None:
    """Wait for the next message, at most until loop time ``until``."""
    timeout = until - asyncio.get_running_loop().time()
    if timeout > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(seen.changed.wait(), timeout)
    seen.changed.clear()


def _close_of(exc: BaseException) -> tuple[int, str] | None:
    """``(code, reason)`` of an SDK ``APIError`` or a websockets ``ConnectionClosed``."""
    if isinstance(exc, errors.APIError):
        reason = exc.details if isinstance(exc.details, str) else exc.message or str(exc)
        return exc.code, reason
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is not None:
        return int(rcvd.code), str(rcvd.reason)
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


async def probe_channel(
    client: Client, model: str, channel: Channel, *, timing: ProbeTiming | None = None,
    send: SendNote = send_note, speed: float = 1.0,
) -> ChannelResult:
    """Play the scripted barge-in on one channel and report what the service did.

    Args:
        client: a ``google.genai.Client`` (the real service's, or ``FakeLiveServer.client()``).
        model: the model name.
        channel: the channel of the note.
        timing: the waits (default: :class:`ProbeTiming`, real time).
        send: how the note goes out (default: the library's ``send_note``).
        speed: how much faster than real time the server runs (offline); reported times are
            multiplied by it, so they are the service's seconds.

    Returns:
        The channel's result; a closed session or a failure is reported, never raised.
    """
    timing = timing or ProbeTiming()
    loop = asyncio.get_running_loop()
    config: types.LiveConnectConfigDict = {
        "response_modalities": [types.Modality.AUDIO], "output_audio_transcription": {},
        "input_audio_transcription": {}, "system_instruction": INSTRUCTION,
    }
    seen = _Seen()
    t_sending: float | None = None
    t_note: float | None = None
    connection = client.aio.live.connect(model=model, config=config)
    try:
        async with asyncio.timeout(timing.connect):
            raw = await connection.__aenter__()
    except Exception as exc:
        close = _close_of(exc)
        if close is not None:
            return ChannelResult(channel, False, close_code=close[0], close_reason=close[1])
        return ChannelResult(channel, False, error=f"connect failed: {_describe(exc)}")
    receiver = asyncio.create_task(_receive(raw, seen))
    try:
        start = loop.time()
        cap = start + timing.budget
        await raw.send_realtime_input(text=REQUEST)
        lead = timing.lead_audio * AUDIO_BYTES_PER_SECOND
        while (seen.audio_bytes < lead and not seen.turn_ends and not receiver.done()
               and loop.time() < cap):
            await _wait(seen, cap)
        if receiver.done() or not seen.audio_bytes:
            pass  # closed, failed or silent before the note: reported below
        else:
            role = "model" if channel == "silent_content" else "user"
            prompt = default_prompt(seen.heard, "", [("user", REQUEST)], role=role)
            story_turns = len(seen.turn_starts)
            t_sending = loop.time()
            await send(raw, prompt, channel, instruction_text(config))
            # Timed from when the frame is out: the SDK's own work (send_context_update's
            # first call takes tens of ms) is not the service's.
            t_note = loop.time()
            while not receiver.done():
                now = loop.time()
                until = t_note + timing.listen
                if seen.turn_open and len(seen.turn_starts) == story_turns:
                    until = cap  # the story still runs: a reply may be queued behind it
                elif len(seen.turn_ends) >= story_turns and seen.turn_ends:
                    until = max(until, seen.turn_ends[story_turns - 1] + timing.settle)
                until = min(until, cap)
                if now >= until:
                    break
                await _wait(seen, until)
    except Exception as exc:  # a send on a closed socket: the receiver has the close code
        if t_sending is not None and t_note is None:
            t_note = t_sending
        if _close_of(exc) is None:
            seen.failed = seen.failed or exc
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(receiver), 1.0)
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiver
        with contextlib.suppress(Exception):
            await connection.__aexit__(None, None, None)
    return _result(channel, seen, t_note, speed)


def _result(channel: Channel, seen: _Seen, t_note: float | None, speed: float) -> ChannelResult:
    close = _close_of(seen.closed) if seen.closed is not None else None
    error = _describe(seen.failed) if seen.failed is not None else None
    if t_note is None:
        if close is None and error is None:
            error = "no model audio before the wait ran out"
        return ChannelResult(channel, False, close_code=close[0] if close else None,
                             close_reason=close[1] if close else None, error=error)
    before = sum(1 for t in seen.turn_starts if t < t_note)
    reply_turns = {i + 1 for i, t in enumerate(seen.turn_starts) if t >= t_note}
    after = [(t, turn) for t, turn in seen.audio_at if t >= t_note]
    reply_audio = next((t for t, turn in after if turn in reply_turns), None)
    return ChannelResult(
        channel,
        accepted=close is None and error is None,
        close_code=close[0] if close else None,
        close_reason=close[1] if close else None,
        note_sent=True,
        replied=bool(reply_turns),
        interrupted=any(t >= t_note for t in seen.interrupted_at),
        story_ended=len(seen.turn_ends) >= before > 0,
        note_to_audio_s=round((after[0][0] - t_note) * speed, 3) if after else None,
        note_to_reply_audio_s=round((reply_audio - t_note) * speed, 3) if reply_audio else None,
        error=error,
    )


# -- all channels ---------------------------------------------------------------------------------

def _sdk_version() -> str:
    from google import genai

    return str(getattr(genai, "__version__", "unknown"))


async def probe(
    client: Client, model: str, *, channels: Sequence[Channel] | None = None,
    timing: ProbeTiming | None = None, service: str = "live", send: SendNote = send_note,
    speed: float = 1.0,
) -> ProbeReport:
    """Probe each channel in turn (one session each); one closed session stops none of the rest.

    ``channels`` defaults to :func:`available_channels`.
    """
    chosen = available_channels() if channels is None else channels
    results = [await probe_channel(client, model, ch, timing=timing, send=send, speed=speed)
               for ch in chosen]
    return ProbeReport(
        model=model, service=service, sdk_version=_sdk_version(),
        date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        results=tuple(results),
    )


def _offline_model(context: list[tuple[str, str]]) -> str:
    last = next((text for role, text in reversed(context) if role == "user"), "")
    return OFFLINE_STORY if "story" in last and "Interruption note" not in last else OFFLINE_REPLY


@contextlib.asynccontextmanager
async def offline_client(speed: float = OFFLINE_SPEED) -> AsyncIterator[Client]:
    """A ``genai.Client`` on the embedded offline server, its quirks chosen by model name."""
    from gemini_live_interrupt.testing import FakeLiveServer

    async with FakeLiveServer(replies=_offline_model, speed=speed) as server:
        yield server.client()


async def probe_offline(
    model: str, *, speed: float = OFFLINE_SPEED, channels: Sequence[Channel] | None = None,
    send: SendNote = send_note,
) -> ProbeReport:
    """The probe against the embedded offline server, ``speed`` times faster than real time."""
    async with offline_client(speed) as client:
        return await probe(client, model, channels=channels,
                           timing=OFFLINE_TIMING.scaled(speed), service="offline", send=send,
                           speed=speed)


# -- the command line -----------------------------------------------------------------------------

def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def print_report(report: ProbeReport, out: TextIO, json_path: str | None = None) -> None:
    """The CLI's output: a table per channel, the suggested row, where the JSON went."""
    where = "the Gemini Live API" if report.service == "live" else "the embedded offline server"
    print(f"probe: {report.model} on {where} (google-genai {report.sdk_version})", file=out)
    print(f"{'channel':<16}{'result':<24}{'reply':<7}{'interrupted':<13}"
          f"{'note→audio':<12}note→reply audio", file=out)
    for r in report.results:
        if r.closed:
            status = f"closed {r.close_code}"
        elif r.error:
            status = "error"
        else:
            status = "accepted"
        print(f"{r.channel:<16}{status:<24}{'yes' if r.replied else 'no':<7}"
              f"{'yes' if r.interrupted else 'no':<13}{_seconds(r.note_to_audio_s):<12}"
              f"{_seconds(r.note_to_reply_audio_s)}", file=out)
        if r.closed and r.close_reason:
            print(f"{'':<16}reason: {r.close_reason}", file=out)
        if r.error:
            print(f"{'':<16}{r.error}", file=out)
    row = report.model_table_row
    current = channel_for_model(report.model)
    known = row_for_model(report.model)
    print(f"the model table's row for it: {known!r}" if known else
          f"the model table has no row for it: notes go by {current} (the fallback)", file=out)
    if row is None:
        print("suggested model_table row: none (no channel was accepted)", file=out)
    else:
        print(f"suggested model_table row: {row!r} "
              f"({_verdict(current, report.results, in_table=known is not None)})", file=out)
    print("(the probe cannot tell whether the model's next answer used the note: read the\n"
          " transcripts when you run it live; docs/policies.md)", file=out)
    if json_path:
        print(f"results written to {json_path}", file=out)


def _verdict(channel: Channel, results: Sequence[ChannelResult], *, in_table: bool) -> str:
    """What the probe saw of the model table's ``channel`` (a row's, or the fallback when
    ``in_table`` is false), for the suggestion's line."""
    seen = [r for r in results if r.channel == channel]
    if not seen:
        return f"{channel} was not probed" + (
            "" if channel != "context_update" or has_context_update() else
            ": this google-genai has no send_context_update; upgrade it to probe it")
    r = seen[0]
    if not r.accepted:
        return f"{channel} failed here: " + (f"closed {r.close_code}" if r.closed else
                                            r.error or "not sent")
    if not _worked(r):
        return f"{channel} " + ("started a reply of its own" if r.replied else
                                "cut the story") + " here"
    return f"{channel} worked here: " + ("keep it" if in_table else "add the row")


def cli(*, live: bool, model: str | None, json_path: str | None, default_live_model: str,
        default_offline_model: str, out: TextIO | None = None) -> int:
    """``probe [--live] [--model M] [--json FILE]``; returns the exit code.

    0: the probe ran (whatever each channel showed); 1: the service could not be reached;
    2: usage (``--live`` without ``GEMINI_API_KEY``, the testing extra missing offline).
    """
    out = out if out is not None else sys.stdout
    err = sys.stderr
    try:
        if live:
            key = os.environ.get("GEMINI_API_KEY")
            if not key:
                print("--live needs GEMINI_API_KEY set (https://aistudio.google.com/apikey); "
                      "without --live the probe runs offline, no key needed.", file=err)
                return 2
            name = model or os.environ.get("GEMINI_LIVE_MODEL", default_live_model)
            report = asyncio.run(probe(Client(api_key=key), name))
        else:
            try:
                import trustme  # noqa: F401  (the testing extra: the offline server's TLS CA)
            except ImportError as exc:
                print(f"The offline probe needs the testing extra: "
                      f"pip install -e \".[testing]\" ({exc})", file=err)
                return 2
            report = asyncio.run(probe_offline(model or default_offline_model))
    except (OSError, TimeoutError) as exc:
        print(f"probe: could not reach the service: {_describe(exc)}", file=err)
        return 1
    if all(r.error and r.error.startswith("connect failed") for r in report.results):
        print(f"probe: could not reach the service: {report.results[0].error}", file=err)
        return 1
    if json_path:
        try:
            with open(json_path, "w", encoding="utf-8") as f:
                json.dump(report.to_json(), f, indent=2)
                f.write("\n")
        except OSError as exc:
            print(f"probe: cannot write {json_path}: {exc}", file=err)
            return 2
    print_report(report, out, json_path)
    return 0
