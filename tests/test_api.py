"""Argument checking and the shim's factory swap (no connection needed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import live

from gemini_live_interrupt import (
    InterruptAwareSession,
    connect,
    disable_interrupt_resume,
    enable_interrupt_resume,
)

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
ORIGINAL = live.AsyncLive.connect


@pytest.fixture
def client() -> genai.Client:
    return genai.Client(api_key="fake-key")


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    disable_interrupt_resume()
    assert live.AsyncLive.connect is ORIGINAL


BAD = [
    ({"max_history": "4"}, TypeError, "max_history must be an int"),
    ({"max_history": 2.0}, TypeError, "max_history must be an int"),
    ({"max_history": True}, TypeError, "max_history must be an int"),
    ({"max_history": -1}, ValueError, "max_history must be >= 0, got -1"),
    ({"prompt_builder": "not callable"}, TypeError, "prompt_builder must be callable"),
]


@pytest.mark.parametrize(("kwargs", "exc", "match"), BAD)
def test_bad_arguments_fail_at_the_call(client: genai.Client, kwargs: dict[str, object],
                                        exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        connect(client, model=MODEL, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(exc, match=match):
        InterruptAwareSession(client.aio.live.connect(model=MODEL), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(exc, match=match):
        enable_interrupt_resume(**kwargs)  # type: ignore[arg-type]
    assert live.AsyncLive.connect is ORIGINAL  # a refused call changes nothing


@pytest.mark.parametrize(("records", "exc", "match"), [
    (-1, ValueError, "max_records must be >= 0, got -1"),
    ("5", TypeError, "max_records must be an int"),
    (True, TypeError, "max_records must be an int"),
])
def test_a_subclass_with_bad_max_records_fails_at_construction(
        client: genai.Client, records: object, exc: type[Exception], match: str) -> None:
    class Bad(InterruptAwareSession):
        max_records = records  # type: ignore[assignment]

    with pytest.raises(exc, match=match):
        Bad(client.aio.live.connect(model=MODEL))


def test_connect_wants_a_client() -> None:
    with pytest.raises(TypeError, match=r"client must be a google\.genai\.Client"):
        connect("client", model=MODEL)  # type: ignore[arg-type]


def test_shim_rejects_a_session_class_that_is_not_ours() -> None:
    with pytest.raises(TypeError, match="session_class"):
        enable_interrupt_resume(session_class=object)  # type: ignore[arg-type]


def test_the_model_is_found_from_the_connect_call(client: genai.Client) -> None:
    assert InterruptAwareSession(client.aio.live.connect(model=MODEL)).model == MODEL
    assert InterruptAwareSession(client.aio.live.connect(model=MODEL), model="x").model == "x"
    assert connect(client, model=MODEL).model == MODEL


def test_unconnected_session_says_so(client: genai.Client) -> None:
    s = InterruptAwareSession(client.aio.live.connect(model=MODEL))
    assert repr(s) == (f"<InterruptAwareSession model={MODEL!r} channel={s.policy.channel!r} "
                       "interruptions=0 (not connected)>")
    assert repr(s.playback) == "<Playback position=0.000 s>"
    half = object.__new__(InterruptAwareSession)  # as a traceback shows a failed __init__
    assert repr(half) == "<InterruptAwareSession (not initialised)>"
    with pytest.raises(AttributeError, match="not connected yet"):
        _ = s.session_id
    with pytest.raises(RuntimeError, match="not connected"):
        _ = s.raw


def test_shim_swaps_only_the_connect_factory(client: genai.Client) -> None:
    before = dict(vars(live.AsyncSession))
    enable_interrupt_resume(max_history=2)
    enable_interrupt_resume(max_history=3)  # idempotent; the later options win
    s = client.aio.live.connect(model=MODEL)
    assert isinstance(s, InterruptAwareSession)
    assert s._max_history == 3
    assert s.model == MODEL
    assert dict(vars(live.AsyncSession)) == before
    disable_interrupt_resume()
    disable_interrupt_resume()  # safe any time
    assert not isinstance(client.aio.live.connect(model=MODEL), InterruptAwareSession)


def test_shim_uses_the_session_class(client: genai.Client) -> None:
    class Mine(InterruptAwareSession):
        pass

    enable_interrupt_resume(session_class=Mine)
    assert type(client.aio.live.connect(model=MODEL)) is Mine


def test_shim_from_many_threads(client: genai.Client) -> None:
    barrier = threading.Barrier(16)

    def flip(i: int) -> None:
        barrier.wait()
        for _ in range(200):
            enable_interrupt_resume(max_history=i)
            disable_interrupt_resume()

    threads = [threading.Thread(target=flip, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert live.AsyncLive.connect is ORIGINAL
    enable_interrupt_resume()
    assert isinstance(client.aio.live.connect(model=MODEL), InterruptAwareSession)
