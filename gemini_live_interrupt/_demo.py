"""``python -m gemini_live_interrupt demo``: a scripted barge-in, offline or on the real service.

The demo asks the model for a story, plays it through a simulated speaker, talks over it after
a few seconds and prints each event as it happens: the barge-in and what the speaker had
played, the note this library sent and by which channel, the service's (late) transcription
of the user's words, and the model's answers. ``--compare A B`` plays the same barge-in under
two policies and sets the outcomes side by side. Offline (the default) it runs against the
embedded :class:`~gemini_live_interrupt.testing.FakeLiveServer`; with ``--live`` and
``GEMINI_API_KEY`` it runs the same code against the Gemini Live API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import random
import struct
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from gemini_live_interrupt._policy import TURN_STARTING
from gemini_live_interrupt._printer import Printer
from gemini_live_interrupt._records import Interruption

__all__ = ["DEMO_MODEL", "LIVE_MODEL", "MAX_SPEED", "POLICY_HELP", "demo", "parse_policy"]

T = TypeVar("T")

#: The model name the offline demo announces (its quirks: a 2.5 native-audio model).
DEMO_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
#: The model ``--live`` talks to (override with ``GEMINI_LIVE_MODEL``).
LIVE_MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"

REQUEST = "Tell me a story about a robot."
STORY = (
    "Once upon a time a small robot lived in a lighthouse by the sea. Every night it counted "
    "the ships that passed, one by one, and wrote their names in a blue notebook. One stormy "
    "night a ship with no name sailed straight toward the rocks, and the robot had to decide "
    "whether to leave the lighthouse for the very first time."
)
QUESTION = "Wait, does the robot have a name?"
NOTE_MARK = "Interruption note"
HEARD_MARK = "as far as the user heard it: <<<"  # in both wordings of the note
#: Audio seconds the user talks over the model (the question's length), then keeps quiet.
SPEAKING, QUIET = 1.8, 0.8
#: The fastest ``--speed`` at which the simulation keeps its timing on a busy machine.
MAX_SPEED = 10.0
#: Seconds to wait for the connection (the real service, or the offline server).
CONNECT_TIMEOUT = 20.0
#: Exit code for a failure of the real service (no network, a bad key, a closed connection).
SERVICE_FAILED = 3

_CHANNEL_HOW = {
    "silent_content": "a model-role turn with turn_complete=False; it starts no reply",
    "context_update": "the system instruction with the note appended; it starts no reply",
    "client_content": "a user turn with turn_complete=True; the model answers it with a "
                      "reply of its own",
    "realtime_text": "realtime text input; the model answers it with a reply of its own",
}
#: The note's lines that carry this barge-in's facts (the rest is standing instructions).
_NOTE_FACTS = ("What you were saying", "What I was saying", "You were cut off", "I was cut off",
               "The user heard nothing", "What the user said")


# -- the offline model ---------------------------------------------------------------------------

def _resume_point(context: Sequence[tuple[str, str]]) -> str:
    """Where the model thinks it stopped: the note's "heard" text when it has a note, else all
    it had generated (which the user did not all hear)."""
    for _, text in reversed(context):
        if NOTE_MARK in text:
            return text.split(HEARD_MARK, 1)[1].split(">>>", 1)[0] if HEARD_MARK in text else ""
    return next((text for role, text in reversed(context) if role == "model"
                 and STORY.startswith(text.strip())), "")


def _continuation(context: Sequence[tuple[str, str]], words: int = 14) -> str:
    """The story from where the model thinks the user stopped hearing it."""
    heard = _resume_point(context).strip()
    rest = STORY[len(heard):].split() if STORY.startswith(heard) else STORY.split()
    return "... " + " ".join(rest[:words]) + "..."


def _scripted_model(context: list[tuple[str, str]]) -> str:
    """The offline model: answers from what is in its context, as a real one would."""
    users = [text for role, text in context if role == "user"]
    last = users[-1] if users else ""
    has_note = any(NOTE_MARK in text for _, text in context)
    asked = any("name" in text for text in users if NOTE_MARK not in text)
    answered = any(role == "model" and "Pip" in text for role, text in context)
    if NOTE_MARK not in last and "story" in last:
        return STORY
    if asked:
        if answered:
            return "As I said, Pip."
        # Without a note the model goes on from all it had generated, not from what was heard.
        resume = _continuation(context)
        return f"Yes, the robot is called Pip. Now, where was I? {resume}"
    if NOTE_MARK in last:
        # The note came as a user turn of its own, before the user's question was heard: the
        # model answers the note, while the user is still talking.
        return "Oh, sorry. Go ahead?"
    return "Sorry, go on." if has_note else "OK."


# -- the policy option ---------------------------------------------------------------------------

POLICY_HELP = (
    "'auto' (the model table's choice of channel) or a channel: silent_content, "
    "context_update, client_content or realtime_text; the note always leaves at the barge-in"
)


def parse_policy(spec: str) -> Any:
    """Parse ``--policy``: ``auto`` or a channel name, into an ``InjectionPolicy``.

    Raises:
        ValueError: a name that is neither ``auto`` nor a channel.
    """
    from gemini_live_interrupt import InjectionPolicy
    from gemini_live_interrupt._policy import Channel

    name = spec.strip()
    if name == "auto":
        return InjectionPolicy()
    channels: tuple[Channel, ...] = get_args(Channel)
    for channel in channels:
        if name == channel:
            return InjectionPolicy(channel=channel)
    raise ValueError(f"unknown policy {spec!r}: use auto (the model table's choice) or a "
                     f"channel: {', '.join(channels[:-1])} or {channels[-1]}")


def _quoted(text: str) -> str:
    return f'"{text.strip()}"'


_NUMBERS = {0: "No", 1: "One", 2: "Two", 3: "Three"}


# -- the conversation ----------------------------------------------------------------------------

@dataclass
class Reply:
    """One model turn after the barge-in."""

    t: float
    text: str
    cause: str | None  # what started it (offline: the server knows), None on the real service
    saw_note: bool | None  # whether the note was in its context (offline), None: unknown
    over_user: float  # seconds it started before the user stopped talking (0: it did not)


@dataclass
class Outcome:
    """What one conversation showed, for the summary and ``--compare``."""

    policy: str
    channel: str
    live: bool
    code: int = 0
    record: Interruption | None = None  # once settled
    replies: list[Reply] = field(default_factory=list)


@dataclass
class _State:
    """What the app's receive loop saw, turn by turn."""

    texts: list[str] = field(default_factory=lambda: [""])
    complete: int = 0
    in_turn: bool = False
    turn_start: float = 0.0
    last_message_at: float = 0.0
    barged: bool = False
    spoke_at: float | None = None  # when the user started talking over the model
    cut: tuple[float, float] | None = None  # (time, seconds played) of the barge-in
    cut_told: bool = False
    user_words: str = ""
    user_words_at: float = 0.0  # when the first of them arrived
    user_words_last: float = 0.0
    note_at: float | None = None


def _tone(seconds: float, amplitude: int, rate: int = 16000) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / rate)))
                    for i in range(n))


async def _say_by_audio(session: Any, speed: float, loud: float, quiet: float) -> None:
    """Talk into the 'microphone': PCM16 16 kHz, paced like a real one (times ``speed``)."""
    from google.genai import types

    chunk = 0.05
    for seconds, amplitude in ((loud, 5000), (quiet, 0)):
        pcm = _tone(chunk, amplitude)
        for _ in range(round(seconds / chunk)):
            await session.send_realtime_input(
                audio=types.Blob(data=pcm, mime_type="audio/pcm;rate=16000"))
            await asyncio.sleep(chunk / speed)


async def _race(aw: Awaitable[T], receiver: asyncio.Task[None]) -> T:
    """Await ``aw``, unless the receive loop ends first (the connection failed): then raise
    what ended it."""
    task = asyncio.ensure_future(aw)
    await asyncio.wait({task, receiver}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    exc = None if receiver.cancelled() else receiver.exception()
    raise exc or ConnectionError("the service closed the connection")


def _note_lines(prompt: str, full: bool) -> list[str]:
    lines = prompt.splitlines()
    if full:
        return [line for line in lines if line.strip()]
    facts = [line for line in lines if line.startswith(_NOTE_FACTS)]
    rest = sum(1 for line in lines if line.strip()) - len(facts)
    return [*facts, f"(and {rest} more lines: the recent conversation and how to go on; "
                    "--full-note prints them)"]


def _describe_reply(n: int, reply: Reply, channel: str, live: bool) -> str:
    """The answer's line: which reply, to what, whether it knew, and why there is another."""
    if reply.cause in TURN_STARTING:
        what = f"answers the note itself ({channel} makes it a turn of its own)"
    elif reply.cause in ("user_audio", "activity"):
        what = "answers your spoken question"
        if n > 1:
            what = "answers your spoken question in a second reply (the note got the first)"
    elif n > 1:
        what = (f"replies again: {channel} starts a reply of its own, so two come"
                if channel in TURN_STARTING else "replies again")
    else:
        what = "answers"
    if reply.over_user > 0:
        what += f", talking over you for {reply.over_user:.1f} s (you had not finished)"
    if reply.saw_note is True:
        what += "; the note is in its context"
    elif reply.saw_note is False:
        what += "; the note is NOT in its context"
        if channel == "silent_content":
            what += (" (2.5 models do not see model-role content in their next answer to "
                     "audio: it goes on from all it had generated, not from what you heard)")
    elif live and n == 1:
        what += " (the real service does not say what was in its context)"
    return f"{what}: {_quoted(reply.text)}"


async def conversation(
    client: Any, model: str, *, policy: Any, speed: float, seed: int, by_audio: bool,
    printer: Printer, idle: float, server: Any = None, full_note: bool = False,
    policy_name: str = "auto", earlier_note: str | None = None,
    on_connected: Callable[[], None] | None = None,
) -> Outcome:
    """The demo's conversation on any client: the offline server's or the real service's.

    Every event is printed when it happens; the outcome feeds the summary.
    """
    from google.genai import types

    from gemini_live_interrupt import InterruptAwareSession
    from gemini_live_interrupt.testing import SimulatedSpeaker

    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        input_audio_transcription=types.AudioTranscriptionConfig(),
        system_instruction="You are a warm storyteller. Keep answers short.",
    )
    rng = random.Random(seed)
    barge_at = round(rng.uniform(2.5, 3.5), 2)  # seconds of the story played
    state = _State()
    loop = asyncio.get_running_loop()
    outcome = Outcome(policy=policy_name, channel=policy.channel or "", live=server is None)

    def tell_cut(record: Interruption) -> None:
        """The barge-in's line, stamped when the service stopped the model, once the session
        has worked out what was heard (a moment later)."""
        if state.cut is None or state.cut_told:
            return
        state.cut_told = True
        t, played = state.cut
        heard, generated = record.heard.split(), record.generated.split()
        if heard:
            what = (f"{len(heard)} of the {len(generated)} words sent so far: "
                    f"{_quoted(record.heard)}")
        else:
            what = "none of its words"
        printer.event(
            "barge_in", f"the service stops the model. Your speaker had played {played:.1f} s "
            f"of the story, so you heard {what}", t=t,
            played_seconds=round(played, 2), heard=record.heard, generated=record.generated)
        printer.release()

    class Session(InterruptAwareSession):
        # The demo plays `speed` times faster than real time; the playback clock follows.
        clock = staticmethod(lambda: time.monotonic() * speed)

        def should_inject(self, record: Interruption) -> bool:
            state.note_at = printer.now()  # the note is written and about to leave
            tell_cut(record)
            return True

        async def inject(self, prompt: str) -> None:
            await super().inject(prompt)
            channel = self.policy.channel or ""
            t = state.note_at if state.note_at is not None else printer.now()
            wait = self.policy.first_words_wait
            said = (f"none of your words was transcribed yet, and it waits at most {wait:g} s "
                    "for them" if "not been transcribed" in prompt
                    else "with the first of your words")
            after = t - (state.cut or (t, 0.0))[0]
            printer.event(
                "note", f"sent by {channel} ({_CHANNEL_HOW.get(channel, channel)}), "
                f"{after:.1f} s after the barge-in: {said}. It says:", t=t,
                detail=(["(word for word the note of run A)"] if prompt == earlier_note
                        else _note_lines(prompt, full_note)), channel=channel,
                starts_reply=channel in TURN_STARTING, prompt=prompt)

        async def on_interruption(self, record: Interruption) -> None:
            tell_cut(record)
            outcome.record = record
            if not record.injected:
                printer.event("note", f"not sent: {record.reason}"
                              + (f" ({record.error})" if record.error else ""),
                              reason=record.reason, error=record.error)

    def flush_user_words(force: bool = False) -> None:
        """The service's transcription of the user's words, as one line once it has stopped
        coming (stamped when its first word arrived; later events wait for it)."""
        words = state.user_words.strip()
        if not words or not (force or printer.now() - state.user_words_last > 1.0):
            return
        first, last = state.user_words_at, state.user_words_last
        stopped = (state.spoke_at or 0.0) + SPEAKING
        arrive = (f"arriving {first:.1f}-{last:.1f} s" if last - first >= 0.1
                  else f"arriving at {first:.1f} s")
        late = (f", up to {last - stopped:.1f} s after you stopped talking" if last > stopped
                else "")
        note = ("; the note had gone without them" if state.note_at is not None
                and state.note_at < first else "")
        printer.event("transcription", f"transcribes your words ({arrive}{late}){note}: "
                      f"{_quoted(words)}", t=first, words=words,
                      late_seconds=round(max(0.0, last - stopped), 2))
        state.user_words = ""
        printer.release()

    connection = client.aio.live.connect(model=model, config=config)
    async with contextlib.AsyncExitStack() as stack:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                session = await stack.enter_async_context(
                    Session(connection, model=model, policy=policy))
        except TimeoutError:
            raise TimeoutError(f"no connection after {CONNECT_TIMEOUT:g} s") from None
        speaker = await stack.enter_async_context(SimulatedSpeaker(
            session.playback, speed=speed, jitter=0.01, latency=0.05, seed=seed))
        if on_connected is not None:
            on_connected()
        channel = session.policy.channel or ""
        outcome.channel = channel

        def answer_done() -> None:
            text = state.texts[-1].strip()
            n = state.complete  # the story is turn 0
            turn = server.turns[n] if server is not None and n < len(server.turns) else None
            stopped = (state.spoke_at or 0.0) + (SPEAKING if by_audio else 0.0)
            reply = Reply(
                t=state.turn_start, text=text, cause=turn.cause if turn is not None else None,
                saw_note=turn.saw(NOTE_MARK) if turn is not None else None,
                over_user=max(0.0, stopped - state.turn_start))
            outcome.replies.append(reply)
            printer.event("answer", _describe_reply(n, reply, channel, server is None),
                          t=reply.t, reply=n, answer=text, cause=reply.cause,
                          note_in_context=reply.saw_note,
                          over_user_seconds=round(reply.over_user, 2))

        async def receive_loop() -> None:
            while True:
                got = 0
                async for message in session.receive():
                    got += 1
                    now = printer.now()
                    state.last_message_at = now
                    content = message.server_content
                    if content is None:
                        continue
                    heard_in = content.input_transcription
                    if heard_in and heard_in.text and state.barged:
                        if not state.user_words:
                            state.user_words_at = now
                            printer.hold()  # until the words stop coming
                        state.user_words += heard_in.text
                        state.user_words_last = now
                    if content.interrupted and state.cut is None:
                        state.cut = (now, speaker.clear())
                        printer.hold()  # until the session says what was heard
                    elif content.interrupted:
                        speaker.clear()
                    audio = [part.inline_data.data for part in
                             (content.model_turn.parts or () if content.model_turn else ())
                             if part.inline_data and part.inline_data.data]
                    out = content.output_transcription
                    if (audio or (out and out.text)) and not state.in_turn:
                        state.in_turn, state.turn_start = True, now
                        if state.complete == 0:
                            printer.event("model", "starts telling the story (its audio plays "
                                          "on the simulated speaker)")
                        else:
                            printer.hold()  # the answer's line, stamped now, once complete
                    for data in audio:
                        speaker.write(data)
                    if out and out.text:
                        state.texts[-1] += out.text
                    if content.turn_complete:
                        if state.in_turn and state.complete > 0:
                            answer_done()
                            printer.release()
                        state.in_turn = False
                        state.complete += 1
                        state.texts.append("")
                        speaker.new_turn()
                if not got:
                    raise ConnectionError("the service closed the connection")

        receiver = asyncio.create_task(receive_loop())
        try:
            printer.start(speed)
            printer.event("user", f"(typing) {REQUEST}")
            printer.status = "the model is telling a story"
            await session.send_realtime_input(text=REQUEST)
            await _race(speaker.wait_until_played(barge_at), receiver)
            if state.complete:
                printer.paragraph("The story ended before the user cut in; try another "
                                  "--seed.")
                outcome.code = 1
                return outcome
            state.barged = True
            state.spoke_at = printer.now()
            if by_audio:
                printer.event("user", f"(talking over the model) {_quoted(QUESTION)}",
                              words=QUESTION)
                talk = asyncio.create_task(_say_by_audio(session, speed, SPEAKING, QUIET))
            else:
                printer.event("user", f"(typing over the model, as realtime text) "
                              f"{_quoted(QUESTION)}", words=QUESTION)
                talk = asyncio.create_task(session.send_realtime_input(text=QUESTION))
            # Wait for the note (or its reason not to be sent) and for the model to go quiet.
            deadline = loop.time() + max(20.0, 60.0 / speed)
            while loop.time() < deadline:
                await _race(asyncio.sleep(0.05), receiver)
                flush_user_words()
                quiet = printer.now() - state.last_message_at > idle
                printer.status = ("you are talking over the model" if not talk.done() else
                                  "the model is answering" if state.in_turn else
                                  "waiting for the model (the run ends once it is quiet)")
                # Quiet alone is not the end: the service holds a turn's turnComplete until its
                # audio has played out, long after the last of it came (it comes faster).
                if (talk.done() and session.interruptions and state.complete >= 2 and quiet
                        and not state.in_turn):
                    break
            await talk
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
        flush_user_words(force=True)
    printer.release(everything=True)
    if outcome.record is None and session.interruptions:
        outcome.record = session.interruptions[0]
    if outcome.record is None:
        printer.paragraph("No interruption was recorded; try another --seed.")
        outcome.code = 1
    return outcome


# -- summaries -----------------------------------------------------------------------------------

def _knew(outcome: Outcome) -> str:
    seen = [r.saw_note for r in outcome.replies]
    if not seen or any(s is None for s in seen):
        return "unknown (live)" if outcome.live else "-"
    if all(seen):
        return {1: "yes", 2: "yes, both"}.get(len(seen), f"yes, all {len(seen)}")
    if not any(seen):
        return "no"
    return f"{sum(1 for s in seen if s)} of {len(seen)}"


def _over(outcome: Outcome) -> float:
    return max((r.over_user for r in outcome.replies), default=0.0)


def _resumed_after(outcome: Outcome) -> int | None:
    """After how many words of the story the model went on (offline: the scripted story)."""
    for reply in outcome.replies:
        if "where was I? ... " in reply.text:
            tail = reply.text.split("where was I? ... ", 1)[1].rstrip(".").split()[:4]
            words = STORY.split()
            for i in range(len(words)):
                if words[i:i + len(tail)] == tail:
                    return i
    return None


def _resumed(outcome: Outcome) -> str:
    at, record = _resumed_after(outcome), outcome.record
    if at is None or record is None:
        return "-"
    heard = len(record.heard.split())
    return (f"after word {at}" + (" (as heard)" if at == heard else
                                  f" (skips {at - heard})" if at > heard else ""))


def summarize(outcome: Outcome, printer: Printer, *, auto_channel: str,
              prose: bool = True) -> None:
    """The closing paragraph of one run (``prose``), and its JSON ``summary`` event."""
    record = outcome.record
    if record is None:
        return
    heard_n, gen_n = len(record.heard.split()), len(record.generated.split())
    channel, replies = outcome.channel, outcome.replies
    resumed = _resumed_after(outcome)
    printer.record(
        "summary", t=round(printer.now(), 2), channel=channel, policy=outcome.policy,
        heard=record.heard, generated=record.generated, user_text=record.user_text,
        injected=record.injected,
        reason=record.reason, error=record.error, played_seconds=record.played_seconds,
        received_seconds=record.received_seconds, replies=len(replies),
        note_in_context=[r.saw_note for r in replies],
        over_user_seconds=round(_over(outcome), 2), resumed_after_words=resumed)
    if not prose:
        return
    parts = [f"In short: you heard {heard_n} of the {gen_n} words the model had sent."]
    if record.injected:
        how = ("which starts a reply of its own" if channel in TURN_STARTING
               else "which starts no reply")
        parts.append(f"At the barge-in the note went by {channel}, {how}, before your words "
                     "were transcribed (the model hears your voice itself)."
                     if "not been transcribed" in (record.prompt or "") else
                     f"At the barge-in the note went by {channel}, {how}.")
    else:
        parts.append(f"No note was sent ({record.reason}).")
    count = len(replies)
    followed = (f"{_NUMBERS.get(count, str(count))} {'reply' if count == 1 else 'replies'} "
                "followed")
    over = _over(outcome)
    if over > 0:
        followed += f", talking over you for {over:.1f} s,"
    knew = _knew(outcome)
    if knew.startswith("yes"):
        followed += " with the note in context"
    elif knew == "no":
        followed += " without the note in context"
    elif " of " in knew:
        followed += f" with the note in the context of {knew}"
    parts.append(followed.rstrip(",") + ".")
    if resumed is not None and resumed == heard_n:
        parts.append(f"The story went on right after the {heard_n} words you heard.")
    elif resumed is not None and resumed > heard_n:
        parts.append(f"The story went on after word {resumed}, skipping {resumed - heard_n} "
                     "words you never heard.")
    if channel != auto_channel:
        parts.append(f"Auto would send it by {auto_channel} on this model.")
    parts.append("Compare two policies: --compare context_update client_content.")
    printer.paragraph()
    printer.paragraph(" ".join(parts))


def compare_table(outcomes: Sequence[Outcome], printer: Printer, *, auto_channel: str) -> None:
    """The runs side by side: the questions a user brings to ``--compare``."""
    def heard(o: Outcome) -> str:
        if o.record is None:
            return "-"
        return f"{len(o.record.heard.split())} of {len(o.record.generated.split())} words"

    rows: list[tuple[str, list[str]]] = [
        ("the note starts a reply", ["yes" if o.channel in TURN_STARTING else "no"
                                     for o in outcomes]),
        ("you had heard", [heard(o) for o in outcomes]),
        ("replies after the barge-in", [str(len(o.replies)) for o in outcomes]),
        ("they start at", [", ".join(f"{r.t:.1f} s" for r in o.replies) or "-"
                           for o in outcomes]),
        ("the note in their context", [_knew(o) for o in outcomes]),
        ("the model talks over you", [f"for {_over(o):.1f} s" if _over(o) > 0 else "no"
                                      for o in outcomes]),
        ("the story goes on", [_resumed(o) for o in outcomes]),
    ]
    printer.record("comparison", runs=[{
        "run": chr(65 + i), "policy": o.policy, "channel": o.channel, "replies": len(o.replies),
        "reply_times": [round(r.t, 2) for r in o.replies],
        "note_in_context": [r.saw_note for r in o.replies],
        "over_user_seconds": round(_over(o), 2), "resumed_after_words": _resumed_after(o),
        "heard": o.record.heard if o.record else None,
        "generated": o.record.generated if o.record else None}
        for i, o in enumerate(outcomes)])
    heads = [f"{chr(65 + i)}: {o.policy}" + (f" ({o.channel})" if o.policy == "auto" else "")
             for i, o in enumerate(outcomes)]
    first = max(len(name) for name, _ in rows) + 2
    col = max(14, (printer.width - first) // max(1, len(outcomes)))
    lines = [f"{'':<{first}}" + "".join(f"{h[:col - 1]:<{col}}" for h in heads)]
    for name, values in rows:
        lines.append(f"{name:<{first}}" + "".join(f"{v[:col - 1]:<{col}}" for v in values))
    printer.paragraph()
    printer.paragraph("Side by side (the same seed, the same barge-in):")
    printer.raw(lines)
    printer.paragraph()
    printer.paragraph(f"Auto sends the note by {auto_channel} on this model.")


# -- running it ----------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def offline_server(speed: float, seed: int) -> AsyncIterator[Any]:
    """The embedded offline server, on the field timing at ``speed`` times real time (the
    model's audio sent three times faster than it plays, as the service sends it faster)."""
    from gemini_live_interrupt.testing import FakeLiveServer, ServiceTiming

    server = FakeLiveServer(replies=_scripted_model, speed=speed, timing=ServiceTiming.field(),
                            seed=seed, user_transcripts=[QUESTION])
    async with server:
        yield server


def _header(printer: Printer, *, live: bool, model: str, speed: float,
            runs: Sequence[tuple[str, str]]) -> None:
    rows = [("server", "the Gemini Live API (real service, real time); you type, as it needs "
                       "real speech to transcribe" if live else
             "the embedded offline Live server (no API key, no network)"),
            ("model", model)]
    for i, (spec, channel) in enumerate(runs):
        name = "policy" if len(runs) == 1 else f"run {chr(65 + i)}"
        rows.append((name, f"auto: the note goes by {channel} (the model table's choice for "
                     "this model)" if spec == "auto" else spec if spec == channel
                     else f"{spec}: the note goes by {channel}"))
    rows.append(("times", "seconds of conversation time" if live else
                 f"seconds of conversation time (the run plays {speed:g}x faster than real "
                 "time)"))
    width = max(len(name) for name, _ in rows) + 2
    for name, text in rows:
        printer.paragraph_row(name, text, width)


def _channel_of(spec: str, model: str) -> str:
    """The channel a session on ``model`` sends the note by under ``--policy spec``."""
    from gemini_live_interrupt import InterruptAwareSession
    from gemini_live_interrupt._options import resolve_channel

    return str(resolve_channel(parse_policy(spec), model, InterruptAwareSession.model_table))


def _live_client() -> tuple[Any, str] | int:
    key = os.environ.get("GEMINI_API_KEY")
    if not key:
        print("--live needs GEMINI_API_KEY set (https://aistudio.google.com/apikey); "
              "without --live the demo runs offline, no key needed.", file=sys.stderr)
        return 2
    from google import genai

    return genai.Client(api_key=key), os.environ.get("GEMINI_LIVE_MODEL", LIVE_MODEL)


async def _one(args: argparse.Namespace, printer: Printer, spec: str, client: Any, model: str,
               **kwargs: Any) -> Outcome:
    policy = parse_policy(spec)
    common = {"printer": printer, "seed": args.seed, "full_note": args.full_note,
              "policy_name": spec, **kwargs}
    if client is not None:
        # Same conversation; only the client differs. The real service needs real speech to
        # transcribe, so the user talks by realtime text there.
        return await conversation(client, model, policy=policy, speed=1.0, by_audio=False,
                                  idle=3.0, **common)
    async with offline_server(args.speed, args.seed) as server:
        # Offline the user talks over the model by voice, as in a real call: the note leaves
        # at the barge-in, before the service has transcribed the question.
        return await conversation(server.client(), model, policy=policy, speed=args.speed,
                                  by_audio=True, idle=2.0, server=server, **common)


async def demo(args: argparse.Namespace, printer: Printer) -> int:
    """Run the demo (one policy, or two with ``--compare``); returns the exit code."""
    task = asyncio.current_task()
    if task is not None:
        printer.on_broken = task.cancel  # the reader went away: stop at once
    spinner = asyncio.create_task(printer.spin())
    try:
        return await _demo(args, printer)
    finally:
        spinner.cancel()
        await asyncio.gather(spinner, return_exceptions=True)


async def _demo(args: argparse.Namespace, printer: Printer) -> int:
    specs: list[str] = list(args.compare) if args.compare else [args.policy]
    printer.status = ("connecting to the Gemini Live API" if args.live
                      else "starting the offline server")
    client: Any = None
    if args.live:
        made = _live_client()
        if isinstance(made, int):
            return made
        client, model = made
    else:
        try:
            import trustme  # noqa: F401  (the testing extra: the offline server's TLS CA)
        except ImportError as exc:
            print(f"The demo needs the testing extra: pip install -e \".[testing]\" ({exc})",
                  file=sys.stderr)
            return 2
        model = DEMO_MODEL
    auto = _channel_of("auto", model)
    runs = [(spec, _channel_of(spec, model)) for spec in specs]
    outcomes: list[Outcome] = []
    for i, (spec, channel) in enumerate(runs):
        if i:
            # The runs before leave reference cycles (their connection's tasks, coroutines and
            # TLS buffers): collected now, not in the middle of this run, whose speed makes a
            # collection's milliseconds tens of conversation milliseconds (run B of --compare
            # at --speed 10 cut the same story with 34 words come against run A's 33).
            gc.collect()
        printer.tags = {"run": chr(65 + i), "policy": spec} if len(runs) > 1 else {}

        def connected(i: int = i, spec: str = spec, channel: str = channel) -> None:
            # Once connected, so that a failed connection prints nothing on stdout.
            if i == 0:
                _header(printer, live=args.live, model=model,
                        speed=1.0 if args.live else args.speed, runs=runs)
            printer.paragraph()
            if len(runs) > 1:
                title = f" {chr(65 + i)}: --policy {spec}" + (
                    f" ({channel}) " if channel != spec else " ")
                printer.paragraph(f"──{title}" + "─" * max(0, printer.width - len(title) - 2))

        earlier = outcomes[0].record.prompt if outcomes and outcomes[0].record else None
        try:
            outcome = await _one(args, printer, spec, client, model, earlier_note=earlier,
                                 on_connected=connected)
        except Exception as exc:
            if not args.live:
                raise
            printer.release(everything=True)
            detail = " ".join(str(exc).split()) or type(exc).__name__
            print(f"demo --live: the Gemini Live API failed ({type(exc).__name__}: "
                  f"{detail[:300]}); check the network and GEMINI_API_KEY.", file=sys.stderr)
            return SERVICE_FAILED
        outcomes.append(outcome)
        if outcome.code:
            return outcome.code
        summarize(outcome, printer, auto_channel=auto, prose=len(runs) == 1)
    if len(outcomes) > 1:
        compare_table(outcomes, printer, auto_channel=auto)
    return 0
