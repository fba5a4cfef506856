"""The interrupt-aware session through the real SDK against the offline server."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from google.genai import errors, types

from gemini_live_interrupt import (
    InjectionPolicy,
    InterruptAwareSession,
    Interruption,
    connect,
    enable_interrupt_resume,
)
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, CHANNEL_25, M25, M31, STORY, notes

SPEED = 25.0


def words_in(messages: list[types.LiveServerMessage]) -> str:
    return "".join(
        m.server_content.output_transcription.text
        for m in messages
        if m.server_content and m.server_content.output_transcription
        and m.server_content.output_transcription.text
    )


async def barge_in_turn(session: Any, *, after_words: int = 6,
                        barge: str = "Wait, what about dragons?") -> list[types.LiveServerMessage]:
    """Ask for a story, talk over it (realtime text) once some words came; return the turn.

    The app plays audio as soon as it arrives (reports it at once), so heard = all received.
    """
    await session.send_realtime_input(text="Tell me a story.")
    seen: list[types.LiveServerMessage] = []
    barged = False
    async for message in session.receive():
        seen.append(message)
        content = message.server_content
        if content and content.model_turn and not barged:
            for part in content.model_turn.parts or ():
                if part.inline_data and part.inline_data.data:
                    session.playback.played(nbytes=len(part.inline_data.data))
        if not barged and len(words_in(seen).split()) >= after_words:
            barged = True
            await session.send_realtime_input(text=barge)
    assert barged
    return seen




def realtime_texts(server: FakeLiveServer) -> list[str]:
    return [m.data["text"] for m in server.received
            if m.kind == "realtime_input" and "text" in m.data]


async def settled(session: InterruptAwareSession, n: int = 1) -> list[Interruption]:
    for _ in range(200):
        if len(session.interruptions) >= n:
            return session.interruptions
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {n} settled interruption records: {session.interruptions}")


async def test_wrapped_connect_sends_one_note_with_heard_and_history() -> None:
    replies = ["Hi there.", STORY, "Dragons, then."]
    async with FakeLiveServer(replies=replies, speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO) as session:
            assert session.session_id == session.raw.session_id
            await session.send_realtime_input(text="Hello.")
            first = [m async for m in session.receive()]
            assert first[-1].server_content and first[-1].server_content.turn_complete
            seen = await barge_in_turn(session)
            # The app saw the flag itself; receive() ended with the cut turn's turnComplete.
            assert any(m.server_content and m.server_content.interrupted for m in seen)
            assert seen[-1].server_content and seen[-1].server_content.turn_complete
            (record,) = await settled(session)
            assert repr(session) == (f"<InterruptAwareSession model={M25!r} "
                                     f"channel={CHANNEL_25!r} interruptions=1>")
            await server.wait_for(lambda: len(notes(server)) == 1)
            async for _ in session.receive():  # the answer (read it: unread frames slow close)
                pass
    assert repr(session).endswith("interruptions=1 (closed)>")
    # 2.5's default channel: a context update, which starts no reply of its own.
    assert record.injected and record.channel == CHANNEL_25 and record.reason is None
    assert [t.cause for t in server.turns] == ["realtime_text", "realtime_text", "realtime_text"]
    (note,) = notes(server)
    assert note == record.prompt
    assert record.heard and STORY.startswith(record.heard.rstrip(".,"))
    assert f"<<<{record.heard}>>>" in note
    assert record.generated.startswith(record.heard)
    # History before the interrupted exchange: the first exchange and the story request.
    assert record.history == (("user", "Hello."), ("model", "Hi there."),
                              ("user", "Tell me a story."))
    assert "user: <<<Hello.>>>" in note
    # The note is in the model's context, as the server keeps it.
    assert any(note in text for role, text in server.context if role in ("system", "model"))


async def test_user_speech_over_the_model_goes_to_history_and_notes() -> None:
    async with FakeLiveServer(replies=[STORY, "Dragons, then.", "OK."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO, max_history=10) as session:
            await barge_in_turn(session, barge="What about dragons?")
            (record,) = await settled(session)
            async for _ in session.receive():  # the next reply
                pass
            history = session.history
    assert ("user", "Tell me a story.") in history
    assert ("model", record.heard) in history
    # The barge-in is one user entry, never taken for the request that started the turn.
    assert ("user", "What about dragons?") in history
    assert record.user_text in ("", "What about dragons?")
    assert "Tell me a story." not in record.user_text


async def test_gemini_3_1_gets_the_note_as_silent_model_content_and_survives() -> None:
    async with FakeLiveServer(replies=[STORY, "Fine.", "Sure."], speed=SPEED) as server:
        async with connect(server.client(), model=M31, config=AUDIO, max_history=10) as session:
            await barge_in_turn(session)
            (record,) = await settled(session)
            assert record.channel == "silent_content" and record.injected
            assert record.prompt and record.prompt.startswith("[Interruption note, my own")
            await server.wait_for(lambda: ("model", record.prompt) in server.context)
            async for _ in session.receive():
                pass
            # Still open: another exchange works.
            await session.send_realtime_input(text="Thanks.")
            async for _ in session.receive():
                pass
            history = session.history
    assert notes(server) == [record.prompt]  # a model-role turn: 3.1 takes it (with a role)
    assert record.prompt not in realtime_texts(server)
    assert [t.cause for t in server.turns] == ["realtime_text"] * 3  # no reply to the note
    assert all(record.prompt not in text for _, text in history)


async def test_shim_makes_unchanged_code_interrupt_aware() -> None:
    enable_interrupt_resume(max_history=2)
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        client = server.client()
        async with client.aio.live.connect(model=M25, config=AUDIO) as session:
            assert isinstance(session, InterruptAwareSession)
            await barge_in_turn(session)
            (record,) = await settled(session)
            await server.wait_for(lambda: len(notes(server)) == 1)
    assert record.injected and len(record.history) <= 2


async def test_subclass_prompt_and_hook() -> None:
    seen: list[Interruption] = []

    class Mine(InterruptAwareSession):
        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            return f"CUT AFTER: {heard}"

        async def on_interruption(self, record: Interruption) -> None:
            seen.append(record)

    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        async with Mine(server.client().aio.live.connect(model=M25, config=AUDIO)) as session:
            assert session.model == M25
            await barge_in_turn(session)
            await settled(session)
            await server.wait_for(lambda: len(notes(server)) == 1)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
    assert notes(server) == [f"CUT AFTER: {seen[0].heard}"]
    assert seen == session.interruptions


async def test_a_raising_builder_is_logged_and_the_default_is_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        raise RuntimeError("boom")

    async with FakeLiveServer(replies=[STORY, "OK.", "Still here."],
                              speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO,
                           prompt_builder=broken) as session:
            await barge_in_turn(session)
            (record,) = await settled(session)
            await server.wait_for(lambda: len(notes(server)) == 1)
            # The answer to the barge-in first (the note started no reply of its own).
            await server.wait_for(lambda: len(server.turns) == 2
                                  and server.turns[1].ended_at is not None)
            # The session keeps working: the conversation goes on through the same receive().
            await session.send_realtime_input(text="Are you there?")
            await server.wait_for(lambda: any(t.text == "Still here." for t in server.turns))
            async for _ in session.receive():
                pass
    assert record.injected and record.prompt and "Interruption note" in record.prompt
    assert notes(server) == [record.prompt]
    errors_logged = [r for r in caplog.records
                     if r.name == "gemini_live_interrupt" and r.levelno == logging.ERROR]
    assert errors_logged and errors_logged[0].exc_info is not None


async def test_a_builder_returning_none_sends_nothing() -> None:
    async with FakeLiveServer(replies=[STORY, "OK."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO,
                           prompt_builder=lambda h, u, hist: None) as session:
            await barge_in_turn(session)
            (record,) = await settled(session)
    assert not record.injected and record.reason == "builder returned None"
    assert notes(server) == []


async def test_a_phantom_interrupt_sends_nothing() -> None:
    async with FakeLiveServer(replies=["Short answer."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config={"response_modalities": ["TEXT"]}
                           ) as session:
            await session.send_realtime_input(text="Hi")
            async for _ in session.receive():
                pass
            await server.phantom_interrupt()
            await server.phantom_interrupt()  # a repeated flag is the same episode
            await session.send_realtime_input(text="Again")
            async for _ in session.receive():
                pass
            (record,) = await settled(session)
    assert record.reason == "phantom" and not record.injected
    assert notes(server) == []


async def test_a_dead_line_under_the_note_never_breaks_the_receive_loop() -> None:
    class CutsTheLine(InterruptAwareSession):
        loop: asyncio.AbstractEventLoop
        def build_prompt(self, heard: str, user_text: str,
                         history: list[tuple[str, str]]) -> str | None:
            # The network dies just before the note leaves (builders run in a worker thread:
            # abort on the loop's thread).
            self.loop.call_soon_threadsafe(self.raw._ws.transport.abort)
            time.sleep(0.05)
            return "note"

    async with FakeLiveServer(replies=[STORY], speed=SPEED) as server:
        async with CutsTheLine(server.client().aio.live.connect(model=M25, config=AUDIO)) as s:
            s.loop = asyncio.get_running_loop()
            with pytest.raises(errors.APIError):  # the app sees the SDK's own error, as before
                await barge_in_turn(s)
                async for _ in s.receive():
                    pass
            (record,) = await settled(s)
    # websockets may accept the frame before it notices the dead transport: either way the
    # record is settled and the note never reached the service.
    assert record.reason in (None, "send failed")
    assert notes(server) == []


async def test_a_dropped_connection_reaches_the_app_as_the_sdk_error() -> None:
    async with FakeLiveServer(replies=[STORY], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Tell me a story.")
            with pytest.raises(errors.APIError) as info:
                async for message in session.receive():
                    if words_in([message]):
                        await server.drop(code=1011, reason="Internal error encountered.")
    assert info.value.code == 1011


async def test_receive_yields_exactly_what_the_sdk_yields() -> None:
    async def kinds(wrap: bool) -> list[tuple[bool, bool, bool]]:
        async with FakeLiveServer(replies=["One two three four five."], speed=SPEED) as server:
            cm = server.client().aio.live.connect(model=M25, config=AUDIO)
            async with (InterruptAwareSession(cm) if wrap else cm) as session:
                await session.send_realtime_input(text="Count.")
                return [
                    (bool(m.server_content and m.server_content.output_transcription),
                     bool(m.server_content and m.server_content.model_turn),
                     bool(m.server_content and m.server_content.turn_complete))
                    async for m in session.receive()
                ]

    bare, wrapped = await kinds(False), await kinds(True)
    assert wrapped == bare and wrapped[-1][2]


async def test_tool_calls_pass_through() -> None:
    from gemini_live_interrupt.testing import ToolCall

    config = {**AUDIO, "tools": [{"function_declarations": [{"name": "get_time"}]}]}
    async with FakeLiveServer(replies=[ToolCall("get_time", {}), "It is noon."],
                              speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=config) as session:
            await session.send_realtime_input(text="What time is it?")
            calls: list[types.FunctionCall] = []
            seen: list[types.LiveServerMessage] = []
            async for m in session.receive():
                seen.append(m)
                if m.tool_call and m.tool_call.function_calls:
                    call = m.tool_call.function_calls[0]
                    calls.append(call)
                    await session.send_tool_response(function_responses=types.FunctionResponse(
                        id=call.id, name=call.name, response={"time": "12:00"}))
            # On 2.5 the toolCall's turn completes at once; the answer is the next turn.
            seen += [m async for m in session.receive()]
    assert [c.name for c in calls] == ["get_time"]
    assert "noon" in words_in(seen)
    assert len([m for m in server.received if m.kind == "tool_response"]) == 1
    assert session.interruptions == []


async def test_leaving_the_session_with_a_note_pending_cancels_it_cleanly() -> None:
    gate = asyncio.Event()

    class SlowHook(InterruptAwareSession):
        async def on_interruption(self, record: Interruption) -> None:
            await gate.wait()  # never set: the hook is still running when the app leaves

    async with FakeLiveServer(replies=[STORY], speed=SPEED) as server:
        async with SlowHook(server.client().aio.live.connect(model=M25, config=AUDIO)) as s:
            await s.send_realtime_input(text="Tell me a story.")
            async for message in s.receive():
                if words_in([message]):
                    await s.send_realtime_input(text="Stop.")
                if message.server_content and message.server_content.interrupted:
                    break  # leave at once: the note and the hook are still pending
            pending = set(s._tasks) | set(s._hooks)
            assert pending
        # Leaving cancelled and awaited everything: nothing left running, nothing unretrieved.
        assert all(t.done() for t in pending) and not s._tasks and not s._hooks


async def test_a_note_still_being_sent_does_not_hold_up_the_next_barge_ins_note() -> None:
    # Notes are written and sent by one resident task; while it waits on a slow send, the
    # next barge-in's note must go out on its own, not queue behind it.
    gate = asyncio.Event()
    sends: list[str] = []

    class SlowFirstSend(InterruptAwareSession):
        async def inject(self, prompt: str) -> None:
            sends.append(prompt)
            if len(sends) == 1:
                await gate.wait()  # the first note's send hangs until the second is out
            await super().inject(prompt)

    async with FakeLiveServer(replies=[STORY, STORY], speed=SPEED) as server:
        async with SlowFirstSend(server.client().aio.live.connect(model=M25, config=AUDIO)) as s:
            await s.send_realtime_input(text="Tell me a story.")
            for barge in ("Stop.", "Wait, again?"):
                cut = False
                while not cut:  # the turn being cut, then (after the first) the answer to it
                    async for message in s.receive():
                        if words_in([message]) and not cut and len(sends) < 2:
                            cut = True
                            await s.send_realtime_input(text=barge)
            for _ in range(200):
                if len(notes(server)) == 1:
                    break
                await asyncio.sleep(0.01)
            # The second note is on the wire while the first is still held.
            assert len(sends) == 2 and notes(server) and not gate.is_set()
            assert notes(server) == [sends[1]]
            gate.set()
            records = await settled(s, 2)
    # Records come as barge-ins settle: the second's first. The first note was on its way
    # when the second barge-in came, so it went too, late.
    assert [(r.episode, r.injected) for r in records] == [(2, True), (1, True)]


async def test_a_barge_in_still_waiting_on_leaving_gets_its_record_and_hook() -> None:
    seen: list[Interruption] = []

    class Hooked(InterruptAwareSession):
        async def on_interruption(self, record: Interruption) -> None:
            await asyncio.sleep(0.01)  # a hook that awaits still runs to its end
            seen.append(record)

    policy = InjectionPolicy(first_words_wait=60.0)  # the note waits for words that never come
    async with FakeLiveServer(replies=[STORY], speed=SPEED) as server:
        async with Hooked(server.client().aio.live.connect(model=M25, config=AUDIO),
                          policy=policy) as s:
            await s.send_realtime_input(text="Tell me a story.")
            async for message in s.receive():
                if words_in([message]):
                    await s.send_realtime_input(text="Stop.")
                if message.server_content and message.server_content.interrupted:
                    break  # leave before the model answers: the note is still waiting
    assert [(r.reason, r.injected) for r in s.interruptions] == [("session closed", False)]
    assert seen == s.interruptions


async def test_leaving_with_unread_frames_does_not_wait_out_the_close_timeout() -> None:
    # websockets pauses reading when frames pile up unread; the close handshake would then
    # wait its 10 s timeout. The session reads them while it closes.
    async with FakeLiveServer(replies=[STORY], speed=1000.0) as server:
        session = connect(server.client(), model=M25, config=AUDIO)
        async with session:
            await session.send_realtime_input(text="Tell me a story.")
            await server.wait_for(lambda: bool(server.turns) and server.turns[0].ended_at)
            exit_started = asyncio.get_running_loop().time()
        took = asyncio.get_running_loop().time() - exit_started
    assert took < 5.0


def test_leaving_never_spins_on_a_task_that_just_finished() -> None:
    # A background task that has finished but whose done-callback has not run yet is still in
    # the pending set; since Python 3.12, gather() over it completes without yielding, so an
    # exit sweep that awaits it again and again never lets the callback run (a rare hang on
    # leaving, seen in CI on 3.12). Run in a thread so a regression fails instead of hanging;
    # it can only fail on 3.12+, which CI runs.
    import threading

    from google import genai

    async def scenario() -> None:
        s = InterruptAwareSession(genai.Client(api_key="k").aio.live.connect(model=M25))

        async def quick() -> None:
            return None

        task = asyncio.get_running_loop().create_task(quick())
        s._tasks.add(task)
        task.add_done_callback(s._tasks.discard)
        await asyncio.sleep(0)  # the task runs and finishes; its callbacks are only queued
        assert task.done() and task in s._tasks
        await s._cancel(s._tasks)

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "the exit sweep spun on a finished task"
    assert not errors, errors
