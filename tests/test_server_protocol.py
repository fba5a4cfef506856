"""Wire-level behaviour of the offline server: paths, spellings, violations, faults."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from google.genai import errors, types
from websockets.asyncio.client import connect as ws_connect

from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import M25, needs_context_update

AUDIO: dict[str, Any] = {"response_modalities": ["AUDIO"], "output_audio_transcription": {}}
PATH = "/ws/google.ai.generativelanguage.{v}.GenerativeService.BidiGenerateContent"
SETUP = {"setup": {"model": f"models/{M25}"}}
SPEED = 40.0



def wss(server: FakeLiveServer, path: str) -> str:
    return server.url.replace("https://", "wss://") + path


async def raw_session(server: FakeLiveServer, *frames: Any, path: str = PATH.format(v="v1")
                      ) -> tuple[int | None, str, list[dict[str, Any]]]:
    """Send frames on a raw socket; return the close code, reason and the JSON received."""
    got: list[dict[str, Any]] = []
    async with ws_connect(wss(server, path), ssl=server.ssl_context) as ws:
        for frame in frames:
            await ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))
        try:
            async for raw in ws:
                got.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        assert ws.close_code is not None
        return ws.close_code, ws.close_reason or "", got


@pytest.mark.parametrize("path", [PATH.format(v="v1"), PATH.format(v="v1beta"),
                                  "/" + PATH.format(v="v1") + "?key=x",
                                  PATH.format(v="v1beta") + "Constrained"])
async def test_path_is_matched_by_suffix(path: str) -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        async with ws_connect(wss(server, path), ssl=server.ssl_context) as ws:
            await ws.send(json.dumps(SETUP))
            assert json.loads(await ws.recv()) == {"setupComplete": {"sessionId": "fake-session-0"}}


async def test_other_paths_are_refused() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        with pytest.raises(websockets.InvalidStatus):
            async with ws_connect(wss(server, "/ws/nothing"), ssl=server.ssl_context):
                pass


@pytest.mark.parametrize("frames", [
    ["{not json"],
    [{"client_content": {"turns": [], "turnComplete": True}}],  # first frame not setup
    [{"setup": {}}],  # no model
    [SETUP, {"bogus_message": {}}],
    [SETUP, {"realtime_input": {"textt": "typo"}}],
    [SETUP, {"realtimeInput": {"text": 5}}],
    [SETUP, {"realtime_input": {"audio": {"data": "***", "mimeType": "audio/pcm"}}}],
    [SETUP, {"client_content": {"turns": "hi"}}],
    [SETUP, {"client_content": {"turnComplete": "yes"}}],
    [SETUP, {"setup": {"model": "again"}}],
    [SETUP, ["a", "list"]],
    [SETUP, {"realtime_input": {"text": "a"}, "client_content": {}}],
])
async def test_protocol_violations_close_with_1007(frames: list[Any],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        code, reason, _ = await raw_session(server, *frames)
    assert (code, reason) == (1007, "Request contains an invalid argument.")
    assert not any(r.exc_info for r in caplog.records)  # no traceback
    assert any(r.name == "gemini_live_interrupt.testing" and "protocol violation" in r.message
               for r in caplog.records)


async def test_both_spellings_are_accepted_at_every_level() -> None:
    setup = {"setup": {"model": f"models/{M25}",
                       "generation_config": {"response_modalities": ["TEXT"]},
                       "systemInstruction": {"parts": [{"text": "Be kind."}]}}}
    async with FakeLiveServer(replies=["Yes."], speed=SPEED) as server:
        async with ws_connect(wss(server, PATH.format(v="v1")), ssl=server.ssl_context) as ws:
            await ws.send(json.dumps(setup))
            await ws.recv()
            await ws.send(json.dumps({"clientContent": {
                "turns": [{"role": "user", "parts": [{"text": "Hi"}]}], "turn_complete": True}}))
            text = ""
            while "turnComplete" not in (raw := str(await ws.recv())):
                text += "".join(p["text"] for p in
                                json.loads(raw)["serverContent"].get("modelTurn", {})
                                .get("parts", []))
    assert text == "Yes."
    assert server.context == [("system", "Be kind."), ("user", "Hi"), ("model", "Yes.")]
    assert [m.kind for m in server.received] == ["setup", "client_content"]
    assert server.received[1].data["turn_complete"] is True  # as received, not normalised


async def test_server_frames_are_camel_case_text() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with ws_connect(wss(server, PATH.format(v="v1")), ssl=server.ssl_context) as ws:
            await ws.send(json.dumps({"setup": {"model": M25, "outputAudioTranscription": {}}}))
            await ws.recv()
            await ws.send(json.dumps({"realtimeInput": {"text": "Hello"}}))
            frames: list[str] = []
            while True:
                raw = await ws.recv()
                assert isinstance(raw, str)
                frames.append(raw)
                if "turnComplete" in raw:
                    break
    keys = {k for f in frames for k in json.loads(f)["serverContent"]}
    assert keys == {"modelTurn", "outputTranscription", "generationComplete", "turnComplete"}
    assert any("inlineData" in f and "mimeType" in f for f in frames)


async def test_drop_surfaces_as_api_error_with_the_code() -> None:
    async with FakeLiveServer(replies=["One two three four five six seven."],
                              speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await session.send_realtime_input(text="Count")
            with pytest.raises(errors.APIError) as info:
                async for m in session.receive():
                    if m.server_content and m.server_content.output_transcription:
                        await server.drop(code=1011, reason="Internal error encountered.")
    assert info.value.code == 1011
    assert "Internal error encountered." in str(info.value)
    assert not server.turns[0].interrupted and server.turns[0].ended_at is not None


async def test_drop_1006_aborts_without_a_close_frame() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await server.drop(code=1006)
            with pytest.raises(errors.APIError) as info:
                async for _ in session.receive():
                    pass
    assert info.value.code == 1006


async def test_go_away_reaches_the_sdk() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await server.go_away(time_left="10s")
            message = await anext(aiter(session.receive()))
    assert message.go_away is not None and message.go_away.time_left == "10s"


async def test_send_raw_malformed_frame_reaches_the_sdk_as_an_error() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await server.send_raw(b"{not json")
            with pytest.raises(ValueError, match="Failed to parse response"):
                async for _ in session.receive():
                    pass


async def test_phantom_interrupt_without_user_speech() -> None:
    async with FakeLiveServer(speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=AUDIO) as session:
            await server.phantom_interrupt()
            message = await anext(aiter(session.receive()))
    assert message.server_content and message.server_content.interrupted
    assert server.turns == []


@needs_context_update
async def test_context_update_replaces_the_system_instruction_without_a_turn() -> None:
    async with FakeLiveServer(replies=["Ahoy."], speed=SPEED) as server:
        config = {**AUDIO, "system_instruction": "Be formal."}
        async with server.client().aio.live.connect(model=M25, config=config) as session:
            await session.send_context_update(system_instruction="Talk like a pirate.")
            await server.wait_for(lambda: server.received[-1].kind == "context_update")
            await session.send_realtime_input(text="Hi")
            async for _ in session.receive():
                pass
    assert server.context[0] == ("system", "Talk like a pirate.")
    assert len(server.turns) == 1
    assert types  # the SDK's own types are what tests construct elsewhere
