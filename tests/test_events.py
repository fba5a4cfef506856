"""The edge: SDK server messages become the core's events, and the echo comes out of them."""

from __future__ import annotations

import pytest
from google.genai import types

from gemini_live_interrupt._events import (
    INTERRUPTED,
    TURN_COMPLETE,
    ModelAudio,
    ModelText,
    ModelTranscript,
    ToolCall,
    ToolCallCancelled,
    UserInterim,
    UserWords,
    events_of,
    model_output,
    without_input_transcription,
)

from .conftest import needs_interim_transcription, needs_word_timestamps


def msg(**content: object) -> types.LiveServerMessage:
    return types.LiveServerMessage(server_content=types.LiveServerContent(**content))  # type: ignore[arg-type]


def part_audio(nbytes: int, mime: str | None = "audio/pcm;rate=24000") -> types.Part:
    return types.Part(inline_data=types.Blob(data=b"\x00" * nbytes, mime_type=mime))


def test_one_message_in_the_order_the_core_takes_it() -> None:
    m = msg(input_transcription=types.Transcription(text="Stop", finished=True),
            interrupted=True,
            output_transcription=types.Transcription(text="Once"),
            model_turn=types.Content(role="model", parts=[
                part_audio(4800), types.Part(text="thinking", thought=True),
                types.Part(text="Hi")]),
            turn_complete=True)
    assert events_of(m) == [UserWords("Stop", True), INTERRUPTED, ModelTranscript("Once"),
                            ModelAudio(4800, 24000), ModelText("Hi"), TURN_COMPLETE]


def test_audio_rates_and_blobs_that_are_not_audio() -> None:
    m = msg(model_turn=types.Content(role="model", parts=[
        part_audio(320, "audio/pcm;rate=16000"), part_audio(10, "audio/pcm"),
        part_audio(10, None), part_audio(0), part_audio(10, "image/png")]))
    assert events_of(m) == [ModelAudio(320, 16000), ModelAudio(10, 24000)]


def test_empty_pieces_make_no_events() -> None:
    assert events_of(types.LiveServerMessage()) == []
    assert events_of(msg(output_transcription=types.Transcription(text=""))) == []
    assert events_of(msg(input_transcription=types.Transcription(text=""))) == []
    assert events_of(msg(input_transcription=types.Transcription(finished=True))) == [
        UserWords("", True)]


def test_tool_calls_and_cancellations() -> None:
    call = types.LiveServerMessage(tool_call=types.LiveServerToolCall(
        function_calls=[types.FunctionCall(id="a", name="f", args={}),
                        types.FunctionCall(name="g", args={})]))
    assert events_of(call) == [ToolCall(("a", ""))]
    assert events_of(types.LiveServerMessage(tool_call=types.LiveServerToolCall())) == [
        ToolCall(())]
    cancel = types.LiveServerMessage(
        tool_call_cancellation=types.LiveServerToolCallCancellation(ids=["a"]))
    assert events_of(cancel) == [ToolCallCancelled(("a",))]


@needs_interim_transcription
def test_interim_transcription() -> None:
    m = msg(interim_input_transcription=types.Transcription(text="What"))
    assert events_of(m) == [UserInterim("What")]


@needs_word_timestamps
def test_word_timestamps_are_carried_and_incomplete_ones_dropped() -> None:
    words = [types.WordInfo(word="Hi", start_offset="0.100s", end_offset="0.400s"),
             types.WordInfo(word="there", start_offset="0.4s", end_offset="0.9s")]
    m = msg(output_transcription=types.Transcription(text="Hi there", words=words))
    assert events_of(m) == [ModelTranscript("Hi there", ((0.1, 0.4), (0.4, 0.9)))]
    partial = [types.WordInfo(word="Hi", start_offset="0.1s")]
    m = msg(output_transcription=types.Transcription(text="Hi", words=partial))
    assert events_of(m) == [ModelTranscript("Hi", None)]


def test_without_input_transcription() -> None:
    only = msg(input_transcription=types.Transcription(text="Note"))
    assert without_input_transcription(only) is None
    both = msg(input_transcription=types.Transcription(text="Note"), turn_complete=True)
    stripped = without_input_transcription(both)
    assert stripped is not None and stripped.server_content is not None
    assert stripped.server_content.turn_complete and not stripped.server_content.input_transcription
    plain = types.LiveServerMessage(setup_complete=types.LiveServerSetupComplete())
    assert without_input_transcription(plain) is plain


def wire(frame: dict[str, object]) -> types.LiveServerMessage:
    """A message as the SDK builds it from a frame it received (AsyncSession._receive)."""
    from google.genai import _live_converters

    converted = _live_converters._LiveServerMessage_from_mldev(frame)
    return types.LiveServerMessage._from_response(
        response=converted, kwargs=types.LiveServerMessage().model_dump())


AUDIO_PART = {"inlineData": {"mimeType": "audio/pcm;rate=16000", "data": "AAAAAA=="}}


@pytest.mark.parametrize(("mime", "rate"), [
    ("audio/pcm;rate=16000", 16000), ("audio/pcm;rate=24000", 24000), ("audio/pcm", 24000),
    ("audio/pcm;rate=48000", 48000),
])
def test_a_lone_audio_chunk_takes_the_short_path_and_says_the_same(mime: str, rate: int) -> None:
    part = {"inlineData": {"mimeType": mime, "data": "AAAAAA=="}}
    m = wire({"serverContent": {"modelTurn": {"parts": [part]}}})
    assert model_output(m) == (4, rate)
    assert events_of(m) == [ModelAudio(4, rate)]


def test_a_lone_transcript_chunk_takes_the_short_path_and_says_the_same() -> None:
    m = wire({"serverContent": {"outputTranscription": {"text": " hi"}}})
    assert model_output(m) == " hi"
    assert events_of(m) == [ModelTranscript(" hi")]


@pytest.mark.parametrize("frame", [
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART]}, "interrupted": True}},
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART]},
                       "outputTranscription": {"text": "Hi"}}},
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART]}, "turnComplete": True}},
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART, AUDIO_PART]}}},
    {"serverContent": {"modelTurn": {"parts": [
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}}},
    {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm"}}]}}},
    {"serverContent": {"modelTurn": {"parts": [{"text": "x"}]}}},
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART]}},
     "toolCall": {"functionCalls": [{"id": "a", "name": "f"}]}},
    {"serverContent": {"modelTurn": {"parts": [AUDIO_PART]}},
     "usageMetadata": {"totalTokenCount": 3}},
    {"serverContent": {"outputTranscription": {"text": " hi"}, "turnComplete": True}},
    {"serverContent": {"outputTranscription": {"text": " hi"}},
     "usageMetadata": {"totalTokenCount": 3}},
    {"serverContent": {"outputTranscription": {"text": ""}}},
    {"serverContent": {"outputTranscription": {"text": " hi", "finished": True}}},
    {"serverContent": {"inputTranscription": {"text": " hi"}}},
    {"serverContent": {"outputTranscription": {"finished": True}}},
    {"serverContent": {"interrupted": True}},
    {"serverContent": {"turnComplete": True}},
    {"serverContent": {"generationComplete": True}},
    {"usageMetadata": {"totalTokenCount": 3}},
    {"setupComplete": {}},
])
def test_anything_more_than_one_piece_of_model_output_takes_the_full_path(
        frame: dict[str, object]) -> None:
    assert model_output(wire(frame)) is None


def test_a_part_whose_blob_is_audio_is_audio_on_either_path() -> None:
    # The full path takes a part's audio blob and leaves anything else in that part.
    m = wire({"serverContent": {"modelTurn": {"parts": [{**AUDIO_PART, "text": "x"}]}}})
    assert model_output(m) == (4, 16000)
    assert events_of(m) == [ModelAudio(4, 16000)]


def test_a_message_built_in_code_is_read_the_same_either_way() -> None:
    # Built by hand (not from a frame), fields set to their defaults still count as set: the
    # short path declines and the full path reads it.
    m = msg(model_turn=types.Content(parts=[part_audio(8)]), interrupted=None)
    assert model_output(m) is None and events_of(m) == [ModelAudio(8, 24000)]


def test_a_transcript_chunk_with_more_in_its_message_is_read_in_full() -> None:
    m = wire({"serverContent": {"outputTranscription": {"text": " hi"}},
              "usageMetadata": {"totalTokenCount": 3}})
    assert events_of(m) == [ModelTranscript(" hi")]
    assert events_of(wire({"serverContent": {"outputTranscription": {"text": ""}}})) == []


@needs_word_timestamps
def test_a_lone_transcript_chunk_keeps_its_word_timestamps() -> None:
    m = wire({"serverContent": {"outputTranscription": {"text": " hi", "words": [
        {"word": "hi", "startOffset": "0.1s", "endOffset": "0.3s"}]}}})
    assert events_of(m) == [ModelTranscript(" hi", ((0.1, 0.3),))]
