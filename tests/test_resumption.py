"""A connection that resumes a conversation (session resumption) carries its history on.

The service closes connections after about ten minutes and sends ``goAway`` first; apps and
frameworks reconnect with the latest ``sessionResumptionUpdate.newHandle``, and the service
restores the conversation. The notes' history should not start again from nothing there.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from gemini_live_interrupt import InjectionPolicy, connect, enable_interrupt_resume
from gemini_live_interrupt._config import resumption_handle
from gemini_live_interrupt._core import Core, Remember
from gemini_live_interrupt._events import Resumable, events_of
from gemini_live_interrupt._resumption import Histories
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25, STORY, notes
from .test_session import barge_in_turn, settled

SPEED = 25.0
RESUMABLE = {**AUDIO, "session_resumption": {}}


# --- the pieces -----------------------------------------------------------------------------


def update(**fields: Any) -> types.LiveServerMessage:
    return types.LiveServerMessage(
        session_resumption_update=types.LiveServerSessionResumptionUpdate(**fields))


def test_a_resumable_update_is_an_event_and_the_others_are_not() -> None:
    assert events_of(update(new_handle="h1", resumable=True)) == [Resumable("h1")]
    # SDK docstring: "we send update empty new_handle and resumable=false" while the model
    # generates or runs tools; resuming from there "will result in some data loss".
    assert events_of(update(resumable=False)) == []
    assert events_of(update(new_handle="", resumable=False)) == []
    assert events_of(update(new_handle="h2", resumable=False)) == []
    assert events_of(update()) == []


def test_the_core_answers_a_handle_with_its_live_history() -> None:
    core = Core("context_update", InjectionPolicy(), max_history=4,
                history=[("user", "Hello."), ("model", "Hi.")])
    assert core.history == [("user", "Hello."), ("model", "Hi.")]
    (action,) = core.receive([Resumable("h1")], 0.0)
    assert isinstance(action, Remember) and action.handle == "h1"
    assert list(action.history) == core.history


def test_a_seed_longer_than_max_history_keeps_its_newest_entries() -> None:
    seed = [("user", "a"), ("model", "b"), ("user", "c")]
    assert Core("context_update", InjectionPolicy(), max_history=2,
                history=seed).history == seed[1:]
    assert Core("context_update", InjectionPolicy(), max_history=0, history=seed).history == []


def test_histories_keep_the_latest_handle_of_each_session() -> None:
    histories = Histories(max_sessions=2)
    a = [("user", "a")]
    histories.keep("a1", a)
    histories.keep("a2", a, replaces="a1")
    assert histories.get("a1") == [] and histories.get("a2") == a
    a.append(("model", "b"))  # the session goes on: a later get sees it
    assert histories.get("a2") == [("user", "a"), ("model", "b")]
    got = histories.get("a2")
    got.clear()  # a copy: the session's own history is untouched
    assert histories.get("a2") == a
    histories.keep("b1", [("user", "b")])
    histories.keep("c1", [("user", "c")])  # over max_sessions: the oldest session goes
    assert histories.get("a2") == [] and histories.get("b1") and histories.get("c1")
    assert histories.get("never seen") == []
    with pytest.raises(ValueError, match="max_sessions"):
        Histories(max_sessions=0)


def test_the_handle_is_read_from_every_form_of_connect_config() -> None:
    assert resumption_handle({"session_resumption": {"handle": "h"}}) == "h"
    assert resumption_handle({"sessionResumption": {"handle": "h"}}) == "h"
    assert resumption_handle(types.LiveConnectConfig(
        session_resumption=types.SessionResumptionConfig(handle="h"))) == "h"
    assert resumption_handle({"session_resumption": types.SessionResumptionConfig(
        handle="h")}) == "h"
    for config in (None, {}, {"session_resumption": {}}, {"session_resumption": None},
                   types.LiveConnectConfig(), {"session_resumption": {"handle": 7}}):
        assert resumption_handle(config) is None


# --- through the real SDK and the offline server ---------------------------------------------


async def next_handle(session: Any) -> str:
    """Read on until the service's next resumable handle (the app's receive loop would)."""
    while True:
        async for message in session.receive():
            update = message.session_resumption_update
            if update and update.resumable and update.new_handle:
                return str(update.new_handle)


async def test_a_resumed_connection_notes_with_the_history_before_it() -> None:
    async with FakeLiveServer(replies=["Hi there.", STORY, "Dragons, then."],
                              speed=SPEED) as server:
        client = server.client()
        async with connect(client, model=M25, config=RESUMABLE) as first:
            await first.send_realtime_input(text="Hello.")
            async for _ in first.receive():
                pass
            handle = await next_handle(first)
            before = first.history
        assert before == [("user", "Hello."), ("model", "Hi there.")]
        resumed = {**AUDIO, "session_resumption": {"handle": handle}}
        async with connect(client, model=M25, config=resumed) as second:
            assert second.history == before  # from the start, as the service's context
            await barge_in_turn(second)
            (record,) = await settled(second)
            await server.wait_for(lambda: len(notes(server)) == 1)
            async for _ in second.receive():
                pass
    assert [t.session for t in server.turns] == [0, 1, 1]
    assert record.injected
    assert record.history == (("user", "Hello."), ("model", "Hi there."),
                              ("user", "Tell me a story."))
    assert record.prompt and "user: <<<Hello.>>>" in record.prompt


async def test_the_history_goes_on_to_the_end_of_the_connection_it_resumes() -> None:
    # The handle came at the cut turn's end; the answer after it is what the user lived
    # through up to the end of that connection: it comes too.
    async with FakeLiveServer(replies=[STORY, "Dragons, then.", "Blue."],
                              speed=SPEED) as server:
        client = server.client()
        async with connect(client, model=M25, config=RESUMABLE, max_history=10) as first:
            await barge_in_turn(first, barge="What about dragons?")
            (record,) = await settled(first)
            handle = await next_handle(first)  # the cut turn's: its answer comes after it
            async for _ in first.receive():  # the answer to the barge-in
                pass
            before = first.history
        assert before == [("user", "Tell me a story."), ("model", record.heard),
                          ("user", "What about dragons?"), ("model", "Dragons, then.")]
        resumed = {**AUDIO, "session_resumption": {"handle": handle}}
        async with connect(client, model=M25, config=resumed, max_history=10) as second:
            assert second.history == before
            await second.send_realtime_input(text="Sky colour?")
            async for _ in second.receive():
                pass
            after = second.history
    assert after[: len(before)] == before and after[len(before):] == [
        ("user", "Sky colour?"), ("model", "Blue.")]


async def test_with_the_shim_unchanged_resuming_code_keeps_the_history() -> None:
    # Plain SDK code as the frameworks write it: keep the latest handle, reconnect with it.
    enable_interrupt_resume()
    async with FakeLiveServer(replies=["Hi there.", "Blue."], speed=SPEED) as server:
        client = server.client()
        async with client.aio.live.connect(model=M25, config=RESUMABLE) as session:
            await session.send_realtime_input(text="Hello.")
            async for _ in session.receive():
                pass
            handle = await next_handle(session)
        config = types.LiveConnectConfig(
            response_modalities=[types.Modality.AUDIO],
            output_audio_transcription=types.AudioTranscriptionConfig(),
            input_audio_transcription=types.AudioTranscriptionConfig(),
            session_resumption=types.SessionResumptionConfig(handle=handle))
        async with client.aio.live.connect(model=M25, config=config) as session:
            assert session.history == [("user", "Hello."), ("model", "Hi there.")]


async def test_a_new_conversation_starts_with_no_history() -> None:
    # A handle this process never saw (another worker's, or none): nothing to carry on.
    async with FakeLiveServer(replies=["Hi there."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=RESUMABLE) as session:
            assert session.history == []
            await session.send_realtime_input(text="Hello.")
            async for _ in session.receive():
                pass
            assert session.history == [("user", "Hello."), ("model", "Hi there.")]


async def test_the_service_says_not_resumable_while_it_speaks() -> None:
    # As the SDK documents it: an update with no handle while the model generates.
    async with FakeLiveServer(replies=[STORY], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=RESUMABLE) as session:
            await session.send_realtime_input(text="Tell me a story.")
            seen = [m async for m in session.receive()]
            last = await anext(aiter(session.receive()))
    updates = [m.session_resumption_update for m in seen if m.session_resumption_update]
    assert updates and all(not u.resumable and not u.new_handle for u in updates)
    first_output = next(i for i, m in enumerate(seen)
                        if m.server_content and m.server_content.model_turn)
    assert any(m.session_resumption_update for m in seen[:first_output])  # as it begins
    assert last.session_resumption_update and last.session_resumption_update.resumable


async def test_handles_are_unique_across_servers() -> None:
    # As the service's: a resumed session must never meet another server's (test's) history.
    handles = []
    for _ in range(2):
        async with FakeLiveServer(replies=["Hi there."], speed=SPEED) as server:
            async with connect(server.client(), model=M25, config=RESUMABLE) as session:
                await session.send_realtime_input(text="Hello.")
                async for _ in session.receive():
                    pass
                handles.append(await next_handle(session))
    assert handles[0] != handles[1]
