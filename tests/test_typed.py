"""Text the app sends as the user's (typed messages) counts as the user's words.

The service gives client content no input transcription, and whether it transcribes realtime
text is not known: the offline server's ``transcribe_realtime_text`` quirk switches that
assumption off, so these tests hold on the harder case too.
"""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from google.genai import types

from gemini_live_interrupt import InterruptAwareSession, connect
from gemini_live_interrupt.testing import FakeLiveServer, Quirks

from .conftest import AUDIO, M25, M38, STORY, notes
from .test_delivery import settled
from .test_session import barge_in_turn

SPEED = 25.0
BARGE = "Wait, what about dragons?"


def quirks(model: str, transcribed: bool) -> Quirks:
    return dataclasses.replace(Quirks.for_model(model), transcribe_realtime_text=transcribed)


@pytest.mark.parametrize("transcribed", [False, True], ids=["untranscribed", "transcribed"])
@pytest.mark.parametrize("model", [M25, M38])
async def test_a_typed_barge_in_is_in_its_note_and_the_history(model: str,
                                                                 transcribed: bool) -> None:
    async with FakeLiveServer(replies=["Hi there.", STORY, "Dragons, then."], speed=SPEED,
                              quirks=quirks(model, transcribed)) as server:
        async with connect(server.client(), model=model, config=AUDIO,
                           max_history=10) as session:
            await session.send_realtime_input(text="Hello.")
            first = [m async for m in session.receive()]
            seen = await barge_in_turn(session, barge=BARGE)
            record = await settled(session)
            await server.wait_for(lambda: len(notes(server)) == 1)
            async for _ in session.receive():  # the answer
                pass
            history = session.history
    # The words were known at the flag: the note carries them.
    assert record.injected and record.user_text == BARGE
    assert record.prompt and f"<<<{BARGE}>>>" in record.prompt
    assert record.history == (("user", "Hello."), ("model", "Hi there."),
                              ("user", "Tell me a story."))
    # Each typed message once, in the conversation's order.
    assert history == [("user", "Hello."), ("model", "Hi there."), ("user", "Tell me a story."),
                       ("model", record.heard), ("user", BARGE), ("model", "Dragons, then.")]
    # Where the service transcribes the text, the app still gets that transcription.
    echoed = [m for m in first + seen
              if m.server_content and m.server_content.input_transcription]
    assert bool(echoed) == transcribed


async def test_a_user_turn_of_client_content_is_the_users_words() -> None:
    # 2.5 answers a turn-completing user turn; the service transcribes no client content.
    async with FakeLiveServer(replies=["Hi there.", "Blue."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO) as session:
            # Context, not something the user says now: not in the history.
            await session.send_client_content(
                turns=[types.Content(role="user", parts=[types.Part(text="Earlier: hi.")]),
                       types.Content(role="model", parts=[types.Part(text="Earlier: hello.")])],
                turn_complete=False)
            await session.send_client_content(
                turns={"role": "user", "parts": [{"text": "Hello."}]})
            async for _ in session.receive():
                pass
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's own, on send()
                await session.send(input="Sky colour?", end_of_turn=True)
            async for _ in session.receive():
                pass
            history = session.history
    assert history == [("user", "Hello."), ("model", "Hi there."), ("user", "Sky colour?"),
                       ("model", "Blue.")]


async def test_a_nudge_is_not_words() -> None:
    async with FakeLiveServer(replies=["Hi there."], speed=SPEED) as server:
        async with connect(server.client(), model=M38, config=AUDIO) as session:
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text="Hello.")]))
            await session.send_realtime_input(text=" ")  # pipecat's 3.x nudge
            async for _ in session.receive():
                pass
            history = session.history
    assert history == [("user", "Hello."), ("model", "Hi there.")]


async def test_a_note_a_subclass_sends_through_the_session_is_not_the_users() -> None:
    class Mine(InterruptAwareSession):
        async def inject(self, prompt: str) -> None:
            await self.send_client_content(
                turns=types.Content(role="model", parts=[types.Part(text=prompt)]),
                turn_complete=False)

        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            return f"The user heard: {heard}"

    class Loud(Mine):  # a user-role note that completes the turn: the same words shape
        async def inject(self, prompt: str) -> None:
            await self.send_realtime_input(text=prompt)

    for cls in (Mine, Loud):
        async with FakeLiveServer(replies=[STORY, "Dragons, then.", "OK."], speed=SPEED,
                                  quirks=quirks(M25, False)) as server:
            async with cls(server.client().aio.live.connect(model=M25, config=AUDIO)) as session:
                await barge_in_turn(session, barge=BARGE)
                record = await settled(session)
                async for _ in session.receive():
                    pass
                history = session.history
        assert record.injected and record.prompt
        assert all(record.prompt not in text for _, text in history), cls
        assert ("user", BARGE) in history


def test_the_users_words_in_each_shape_the_sdk_takes() -> None:
    from gemini_live_interrupt._sent import sent_text, sent_user_text

    user = types.Content(role="user", parts=[types.Part(text="Hi "), types.Part(text="there.")])
    model = types.Content(role="model", parts=[types.Part(text="Hello.")])
    assert sent_user_text(user, True) == "Hi there."
    assert sent_user_text([model, user], True) == "Hi there."  # the last turn is the request
    assert sent_user_text([user, model], True) == ""  # a replay ending on the model's turn
    assert sent_user_text(user, False) == ""  # context, not said now
    assert sent_user_text({"parts": [{"text": "No role."}]}, True) == "No role."
    thought = types.Content(role="user", parts=[types.Part(text="hm", thought=True),
                                                types.Part(text="Yes.")])
    assert sent_user_text(thought, True) == "Yes."
    assert sent_user_text(None, True) == ""
    assert sent_text("Hello.", True) == "Hello." and sent_text("Hello.", False) == ""
    assert sent_text(["Hel", "lo."], True) == "Hello."
    assert sent_text(types.LiveClientContent(turns=[user], turn_complete=True), False) == \
        "Hi there."
    assert sent_text({"turns": [user], "turn_complete": False}, True) == ""
    assert sent_text(types.LiveClientRealtimeInput(text="Typed."), False) == "Typed."
    assert sent_text(types.Blob(data=b"\0\0", mime_type="audio/pcm"), True) == ""
    assert sent_text({"name": "f", "response": {}, "id": "1"}, True) == ""
