"""Whose words are they? The request's late words against an early barge-in's.  Field timing.

The service transcribes speech 0.5-2 s behind it and flags a barge-in 50-100 ms into its
speech, so when the user cuts in soon after the model began answering, the words of the
request (the utterance the model was answering) can arrive after the flag, mixed in time with
the barge-in's own. Each run, on the offline server's field timing (output sent three times
faster than it plays): the user asks for a story by voice ("Tell me a story."), the model
answers, the user cuts in once ``--words`` words of the answer have arrived ("What about
dragons?", 1.2 s of speech), the microphone streams silence until the answer to the barge-in
is over. Per model family and barge-in point it prints:

- history wrong: runs whose history does not hold the two utterances as two user entries in
  the order they were said (the request before the cut answer, the barge-in after it);
- quoted: notes whose ``user_text`` holds words of the request (the note would tell the model
  the user said them over it);
- missing: runs whose barge-in words (``session.history``'s second user entry) are not
  "What about dragons?" whole.

``--interim`` turns on the server's interim input transcription (SDK 3.4's
``interimInputTranscription``, off by default: its shape is assumed), on the family's quirks.
``--tool`` first has the user ask "What is the weather in Paris?" by voice and the model say
"Let me check.", call a tool (declared BLOCKING) and, once the app has answered it, say "Clear
skies." (on 3.x in the same turn); "split" counts runs whose history does not hold that
question whole as its first user entry.

    python benchmarks/request_words.py [--seeds 40] [--words 4 6 9] [--speed 10] [--interim]
                                       [--tool]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from typing import Any

from _common import CONFIG

from gemini_live_interrupt import InterruptAwareSession, Interruption
from gemini_live_interrupt.testing import FakeLiveServer, Quirks, ToolCall, user_audio

REQUEST, BARGE_IN = "Tell me a story.", "What about dragons?"
WEATHER = "What is the weather in Paris?"
STORY = ("Once upon a time a small robot lived in a lighthouse by the sea, and every night it "
         "counted the ships.")
FAMILIES = {"3.x": "gemini-3.8-live", "2.5": "gemini-2.5-flash-native-audio-preview-12-2025"}
CHUNK = 0.05  # seconds of microphone audio per send
#: A tool the model waits for (3.8 runs undeclared functions NON_BLOCKING).
BLOCKING_WEATHER = {"name": "weather", "behavior": "BLOCKING"}


async def speak(session: Any, seconds: float, speed: float, *, speech: bool = True) -> None:
    for _ in range(round(seconds / CHUNK)):
        await session.send_realtime_input(audio={
            "data": user_audio(CHUNK, speech=speech), "mime_type": "audio/pcm;rate=16000"})
        await asyncio.sleep(CHUNK / speed)


async def receive(session: Any) -> None:
    """The app's receive loop; it answers each tool call as it comes."""
    while True:
        async for message in session.receive():
            for call in message.tool_call.function_calls or () if message.tool_call else ():
                await session.send_tool_response(function_responses={
                    "id": call.id, "name": call.name, "response": {"sky": "clear"}})


async def one_run(model: str, words: int, seed: int, speed: float, interim: bool, tool: bool
                  ) -> tuple[list[tuple[str, str]], Interruption | None]:
    class Scaled(InterruptAwareSession):
        clock = staticmethod(lambda: time.monotonic() * speed)  # the server's time scale

    quirks = dataclasses.replace(Quirks.for_model(model), interim_input_transcription=interim)
    replies: list[str | ToolCall] = [STORY, "Dragons, then.", "Noted."]
    config: dict[str, Any] = CONFIG
    if tool:
        replies[:0] = [ToolCall("weather", say="Let me check."), "Clear skies."]
        config = {**CONFIG, "tools": [{"function_declarations": [BLOCKING_WEATHER]}]}
    said = [WEATHER, REQUEST, BARGE_IN] if tool else [REQUEST, BARGE_IN]
    async with FakeLiveServer(replies=replies, speed=speed, seed=seed, quirks=quirks,
                              user_transcripts=said) as server:
        async with Scaled(server.client().aio.live.connect(model=model, config=config),
                          max_history=10) as session:
            task = asyncio.get_running_loop().create_task(receive(session))
            if tool:
                await speak(session, 1.6, speed)
                for _ in range(60):  # silence until the reply to the tool is over
                    await speak(session, 0.1, speed, speech=False)
                    if len(server.turns) >= 2 and server.turns[1].ended_at is not None:
                        break
            first = len(server.turns)
            await speak(session, 1.0, speed)
            await speak(session, 0.8, speed, speech=False)
            await server.wait_for(lambda: len(server.turns) > first and
                                  len(server.turns[first].delivered.split()) >= words,
                                  timeout=10)
            await speak(session, 1.2, speed)
            for _ in range(60):  # silence until the answer is over
                await speak(session, 0.1, speed, speech=False)
                if len(server.turns) >= first + 2 and server.turns[-1].ended_at is not None:
                    break
            await speak(session, 1.0, speed, speech=False)  # late transcriptions come in
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            records = session.interruptions
            return session.history, (records[0] if records else None)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--words", type=int, nargs="+", default=[4, 6, 9])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--interim", action="store_true")
    parser.add_argument("--tool", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    print(f"{args.seeds} seeds per cell, server and session clock at {args.speed:g}x"
          + (", interim input transcription on" if args.interim else "")
          + (", a tool call first" if args.tool else ""))
    print(f"{'family':6} {'words':>5} {'history wrong':>14} {'quoted':>7} {'missing':>8}"
          + (f" {'split':>6}" if args.tool else ""))
    for family, model in FAMILIES.items():
        for words in args.words:
            wrong = quoted = missing = split = 0
            for seed in range(args.seeds):
                history, record = await one_run(model, words, seed, args.speed, args.interim,
                                                args.tool)
                users = [text for role, text in history if role == "user"]
                if args.tool:
                    split += users[:1] != [WEATHER]
                    while users and users[0] in WEATHER:  # the question, whole or in parts
                        users = users[1:]
                wrong += users[:2] != [REQUEST, BARGE_IN]
                missing += users[1:2] != [BARGE_IN]
                said = record.user_text if record is not None else ""
                quoted += any(w in said for w in ("Tell", "story"))
            print(f"{family:6} {words:>5} {wrong:>9}/{args.seeds:<4} {quoted:>7} {missing:>8}"
                  + (f" {split:>6}" if args.tool else ""))
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
