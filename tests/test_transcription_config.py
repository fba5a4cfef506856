"""The transcription the library needs: turned on where it builds the connect call, else a warning.

Output transcription says what the model said (so what the user heard), input transcription
what the user said over it. Without them every interruption record is empty (issue #13, item 4).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from google import genai
from google.genai import live, types

from gemini_live_interrupt import (
    InterruptAwareSession,
    connect,
    enable_interrupt_resume,
)
from gemini_live_interrupt._config import (
    INPUT,
    OUTPUT,
    declared_behaviors,
    missing_transcription,
    missing_warning,
    non_blocking_by_default,
    with_transcription,
)
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import AUDIO, M25, STORY
from .test_session import SPEED, barge_in_turn, settled

BARE: dict[str, Any] = {"response_modalities": ["AUDIO"]}  # no transcription at all
LOGGER = "gemini_live_interrupt"
INPUT_WARNING = (
    "input_audio_transcription is not in the connect config: "
    "interruption records will not have what the user said"
)
OUTPUT_WARNING = (
    "output_audio_transcription is not in the connect config: "
    "interruption records will not have what the model said"
)


def setup_of(server: FakeLiveServer) -> dict[str, Any]:
    first = server.received[0]
    assert first.kind == "setup"
    return first.data


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER and r.levelno == logging.WARNING]


def infos_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER and r.levelno == logging.INFO]


# --- the pure functions --------------------------------------------------------------------


@pytest.mark.parametrize(("config", "missing"), [
    (None, (OUTPUT, INPUT)),
    ({}, (OUTPUT, INPUT)),
    (BARE, (OUTPUT, INPUT)),
    (AUDIO, ()),
    ({**BARE, "output_audio_transcription": {}}, (INPUT,)),
    ({**BARE, "input_audio_transcription": {}}, (OUTPUT,)),
    ({**BARE, "output_audio_transcription": None, "input_audio_transcription": {}}, (OUTPUT,)),
    ({"outputAudioTranscription": {}, "inputAudioTranscription": {}}, ()),  # camelCase keys
    ({"response_modalities": ["TEXT"]}, (INPUT,)),  # text parts carry what the model said
    ({"response_modalities": ["text"]}, (INPUT,)),
    ({"responseModalities": [types.Modality.TEXT]}, (INPUT,)),
    ({"generation_config": {"response_modalities": ["TEXT"]}}, (INPUT,)),
    ({"response_modalities": ["TEXT", "AUDIO"]}, (OUTPUT, INPUT)),
    (types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO]), (OUTPUT, INPUT)),
    (types.LiveConnectConfig(response_modalities=[types.Modality.TEXT]), (INPUT,)),
    (types.LiveConnectConfig(
        generation_config=types.GenerationConfig(response_modalities=[types.Modality.TEXT])),
     (INPUT,)),
    (types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig(),
                             input_audio_transcription=types.AudioTranscriptionConfig()), ()),
    ("not a config", ()),  # unknown: nothing can be said (the SDK rejects it anyway)
])
def test_missing_transcription(config: Any, missing: tuple[str, ...]) -> None:
    assert missing_transcription(config) == missing


def test_with_transcription_copies_a_dict_and_keeps_the_users_fields() -> None:
    mine = {**BARE, "output_audio_transcription": {"word_timestamp": True}, "tools": [{"a": 1}]}
    before = copy.deepcopy(mine)
    config, added = with_transcription(mine)
    assert added == (INPUT,)
    assert mine == before  # never mutated
    assert isinstance(config, dict) and config is not mine
    assert config["output_audio_transcription"] == {"word_timestamp": True}
    assert config["input_audio_transcription"] == {}
    assert config["tools"] is mine["tools"]  # a shallow copy: the rest is passed as it was


def test_with_transcription_copies_a_config_object() -> None:
    mine = types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO],
                                   system_instruction="Be brief.")
    before = mine.model_dump()
    config, added = with_transcription(mine)
    assert added == (OUTPUT, INPUT)
    assert mine.model_dump() == before
    assert mine.output_audio_transcription is None and mine.input_audio_transcription is None
    assert isinstance(config, types.LiveConnectConfig) and config is not mine
    assert isinstance(config.output_audio_transcription, types.AudioTranscriptionConfig)
    assert isinstance(config.input_audio_transcription, types.AudioTranscriptionConfig)
    assert config.system_instruction == "Be brief."


def test_with_transcription_of_none_and_of_complete_configs() -> None:
    assert with_transcription(None) == ({OUTPUT: {}, INPUT: {}}, (OUTPUT, INPUT))
    assert with_transcription(AUDIO) == (AUDIO, ())
    assert with_transcription(AUDIO)[0] is AUDIO  # nothing to add: no copy either
    text = {"response_modalities": ["TEXT"]}
    assert with_transcription(text) == ({**text, INPUT: {}}, (INPUT,))


def test_missing_warning_says_what_the_records_lack() -> None:
    assert missing_warning(()) is None
    assert INPUT_WARNING in (missing_warning((INPUT,)) or "")
    both = missing_warning((OUTPUT, INPUT)) or ""
    assert OUTPUT_WARNING in both and INPUT_WARNING in both


# --- the wrapped connect, through the real SDK --------------------------------------------


async def test_connect_turns_missing_transcription_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    mine = dict(BARE)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=mine):
            pass
    setup = setup_of(server)
    assert "outputAudioTranscription" in setup and "inputAudioTranscription" in setup
    assert mine == BARE  # the user's dict is left alone
    (info,) = infos_of(caplog)
    assert OUTPUT in info and INPUT in info
    assert warnings_of(caplog) == []


async def test_connect_copies_a_config_object(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    mine = types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO],
                                   input_audio_transcription=types.AudioTranscriptionConfig())
    before = mine.model_dump()
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=mine):
            pass
    setup = setup_of(server)
    assert "outputAudioTranscription" in setup and "inputAudioTranscription" in setup
    assert mine.model_dump() == before
    (info,) = infos_of(caplog)
    assert OUTPUT in info and INPUT not in info  # only what was added is named
    assert warnings_of(caplog) == []


async def test_connect_without_config_and_in_text_modality() -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with connect(server.client(), model=M25):
            pass
    setup = setup_of(server)
    assert "outputAudioTranscription" in setup and "inputAudioTranscription" in setup

    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config={"response_modalities": ["TEXT"]}):
            pass
    setup = setup_of(server)
    assert "inputAudioTranscription" in setup
    assert "outputAudioTranscription" not in setup  # the text parts carry what it said


async def test_connect_opt_out_adds_nothing_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=BARE, add_transcription=False):
            pass
    setup = setup_of(server)
    assert "outputAudioTranscription" not in setup and "inputAudioTranscription" not in setup
    assert infos_of(caplog) == []
    (warning,) = warnings_of(caplog)  # once per session, naming both fields
    assert OUTPUT_WARNING in warning and INPUT_WARNING in warning


def test_the_option_must_be_a_bool() -> None:
    client = genai.Client(api_key="fake-key")
    with pytest.raises(TypeError, match="add_transcription must be a bool"):
        connect(client, model=M25, add_transcription="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="add_transcription must be a bool"):
        enable_interrupt_resume(add_transcription=None)  # type: ignore[arg-type]


# --- the shim --------------------------------------------------------------------------------


async def test_shim_turns_missing_transcription_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    enable_interrupt_resume()
    mine = dict(BARE)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=mine) as session:
            assert isinstance(session, InterruptAwareSession)
    setup = setup_of(server)
    assert "outputAudioTranscription" in setup and "inputAudioTranscription" in setup
    assert mine == BARE
    (info,) = infos_of(caplog)
    assert OUTPUT in info and INPUT in info
    assert warnings_of(caplog) == []


async def test_shim_opt_out(caplog: pytest.LogCaptureFixture) -> None:
    enable_interrupt_resume(add_transcription=False)
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=BARE):
            pass
    setup = setup_of(server)
    assert "outputAudioTranscription" not in setup and "inputAudioTranscription" not in setup
    (warning,) = warnings_of(caplog)
    assert OUTPUT_WARNING in warning and INPUT_WARNING in warning


async def test_disabled_shim_leaves_the_config_alone() -> None:
    enable_interrupt_resume()
    from gemini_live_interrupt import disable_interrupt_resume

    disable_interrupt_resume()
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        async with server.client().aio.live.connect(model=M25, config=BARE):
            pass
    assert "outputAudioTranscription" not in setup_of(server)


# --- a session given a context manager: it can only warn ----------------------------------


async def test_direct_session_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeLiveServer(replies=["Hi."], speed=SPEED) as server:
        cm = server.client().aio.live.connect(model=M25, config={
            **BARE, "output_audio_transcription": {}})
        async with InterruptAwareSession(cm) as session:
            await session.send_realtime_input(text="Hello.")
            async for _ in session.receive():
                pass
    setup = setup_of(server)
    assert "inputAudioTranscription" not in setup  # the config is not ours to change
    (warning,) = warnings_of(caplog)
    assert INPUT_WARNING in warning and OUTPUT not in warning


async def test_direct_session_with_transcription_says_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    client = genai.Client(api_key="fake-key")
    InterruptAwareSession(client.aio.live.connect(model=M25, config=AUDIO))
    InterruptAwareSession(client.aio.live.connect(
        model=M25, config={"response_modalities": ["TEXT"], "input_audio_transcription": {}}))
    assert warnings_of(caplog) == []
    InterruptAwareSession(client.aio.live.connect(model=M25))  # no config: nothing on
    (warning,) = warnings_of(caplog)
    assert OUTPUT_WARNING in warning and INPUT_WARNING in warning


def test_a_context_manager_whose_config_cannot_be_seen_gets_no_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    @asynccontextmanager
    async def my_connect() -> AsyncIterator[live.AsyncSession]:
        yield None  # type: ignore[misc]  # never entered

    InterruptAwareSession(my_connect(), model=M25)
    assert warnings_of(caplog) == []


# --- what it changes: records that say what was heard ------------------------------------


async def test_barge_in_without_transcription_in_the_config_still_has_heard() -> None:
    async with FakeLiveServer(replies=[STORY, "Dragons, then."], speed=SPEED) as server:
        async with connect(server.client(), model=M25, config=BARE) as session:
            await barge_in_turn(session)
            (record,) = await settled(session)
            async for _ in session.receive():
                pass
    assert record.injected
    assert record.heard and STORY.startswith(record.heard.rstrip(".,"))
    assert f"<<<{record.heard}>>>" in (record.prompt or "")


def test_function_behaviors_are_read_from_any_spelling_of_the_config() -> None:
    declared = types.FunctionDeclaration(name="search", behavior=types.Behavior.NON_BLOCKING)
    configs: list[Any] = [
        {"tools": [{"function_declarations": [{"name": "search", "behavior": "NON_BLOCKING"},
                                              {"name": "weather", "behavior": "BLOCKING"},
                                              {"name": "time"}]}]},
        {"tools": [{"functionDeclarations": [{"name": "search", "behavior": "non_blocking"},
                                             {"name": "weather", "behavior": "BLOCKING"},
                                             {"name": "time"}]}]},
        types.LiveConnectConfig(tools=[types.Tool(function_declarations=[
            declared, types.FunctionDeclaration(name="weather", behavior=types.Behavior.BLOCKING),
            types.FunctionDeclaration(name="time")])]),
    ]
    for config in configs:
        assert declared_behaviors(config) == {"search": "NON_BLOCKING", "weather": "BLOCKING"}
    assert declared_behaviors(None) == {}
    assert declared_behaviors({"tools": [print]}) == {}  # a callable declares none


def test_undeclared_functions_are_non_blocking_from_gemini_38_on() -> None:
    assert non_blocking_by_default("gemini-3.8-live")
    assert non_blocking_by_default("models/gemini-3.8-live-extended-thinking")
    assert not non_blocking_by_default("gemini-3.1-flash-live-preview")
    assert not non_blocking_by_default("gemini-2.5-flash-native-audio-preview-12-2025")
    assert not non_blocking_by_default("my-tuned-model") and not non_blocking_by_default(None)
