"""The wrapped connect and the compatibility shim that swaps the SDK's connect factory."""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from google import genai
from google.genai import live, types

from ._config import check_add_transcription, with_transcription
from ._policy import InjectionPolicy
from ._prompt import PromptBuilder
from ._session import InterruptAwareSession, check_options

__all__ = ["connect", "disable_interrupt_resume", "enable_interrupt_resume"]

logger = logging.getLogger("gemini_live_interrupt")

# What `on_session` is: called with each session the shim opens, once it is connected.
_OnSession = Callable[[InterruptAwareSession], object]

# Captured at import, before any swap, so `connect()` never wraps twice.
_sdk_connect: Callable[..., AbstractAsyncContextManager[live.AsyncSession]] = live.AsyncLive.connect


def connect(
    client: genai.Client,
    *,
    model: str,
    config: types.LiveConnectConfigOrDict | None = None,
    prompt_builder: PromptBuilder | None = None,
    max_history: int = 4,
    policy: InjectionPolicy | None = None,
    add_transcription: bool = True,
) -> InterruptAwareSession:
    """``client.aio.live.connect(model=..., config=...)``, yielding an ``InterruptAwareSession``.

    ``prompt_builder``, ``max_history`` and ``policy`` are as for ``InterruptAwareSession``.
    Use as ``async with connect(client, model=M, config=C) as session: ...``.

    ``add_transcription``: the records need ``output_audio_transcription`` (what the model
    said; not in TEXT response modality) and ``input_audio_transcription`` (what the user
    said). By default those missing from ``config`` are added to a copy of it (``config``
    itself is never changed; fields you set are kept) and an INFO log names them. ``False``
    adds nothing; the session then warns about what its records will lack.

    Raises:
        TypeError: ``client`` is not a ``google.genai.Client``, ``prompt_builder`` is not
            callable, ``max_history`` is not an int, or ``add_transcription`` not a bool.
        ValueError: ``max_history`` is negative.
    """
    if not isinstance(client, genai.Client):
        raise TypeError(f"client must be a google.genai.Client, got {type(client).__name__}")
    check_options(prompt_builder, max_history, policy)
    check_add_transcription(add_transcription)
    if add_transcription:
        config = _transcribed(config)
    return InterruptAwareSession(
        _sdk_connect(client.aio.live, model=model, config=config),
        prompt_builder=prompt_builder,
        max_history=max_history,
        model=model,
        policy=policy,
    )


def _transcribed(
    config: types.LiveConnectConfigOrDict | None,
) -> types.LiveConnectConfigOrDict | None:
    config, added = with_transcription(config)
    if added:
        logger.info("gemini_live_interrupt: added %s to the connect config (the interruption "
                    "records are built from it; add_transcription=False turns this off)",
                    " and ".join(f"{name}={{}}" for name in added))
    return config


@dataclass(frozen=True)
class _ShimOptions:
    prompt_builder: PromptBuilder | None
    max_history: int
    policy: InjectionPolicy | None
    session_class: type[InterruptAwareSession]
    add_transcription: bool
    on_session: _OnSession | None


_lock = threading.Lock()
_options: _ShimOptions | None = None


def _connect_through_shim(
    self: live.AsyncLive, *, model: str, config: types.LiveConnectConfigOrDict | None = None
) -> AbstractAsyncContextManager[Any]:
    options = _options
    if options is None:  # disabled between the lookup of the method and this call
        return _sdk_connect(self, model=model, config=config)
    if options.add_transcription:
        config = _transcribed(config)
    connection = _sdk_connect(self, model=model, config=config)
    session = options.session_class(
        connection,
        prompt_builder=options.prompt_builder,
        max_history=options.max_history,
        model=model,
        policy=options.policy,
    )
    if options.on_session is not None:
        session._on_connected = functools.partial(_announce, options.on_session)
    return session


def _check_on_session(on_session: object) -> None:
    if on_session is None:
        return
    if not callable(on_session):
        raise TypeError("on_session must be a callable taking the session, or None, got "
                        f"{type(on_session).__name__}: {on_session!r}")
    # An instance whose __call__ is ``async def`` is one too.
    if inspect.iscoroutinefunction(on_session) or inspect.iscoroutinefunction(
            type(on_session).__call__):
        raise TypeError("on_session must be a plain (not async) callable: it is called "
                        f"synchronously as the session connects, got {on_session!r}")


def _announce(on_session: _OnSession, session: InterruptAwareSession) -> None:
    # Runs in the session's __aenter__, inside the framework's connect: never let it fail.
    try:
        result = on_session(session)
    except Exception:
        logger.exception("gemini_live_interrupt: on_session raised; the session is connected "
                         "and carries on")
        return
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()  # never awaited: close it, so no "never awaited" warning follows
        logger.error("gemini_live_interrupt: on_session returned an awaitable, which is "
                     "ignored: it must do its work synchronously (start a task for more)")


def enable_interrupt_resume(
    prompt_builder: PromptBuilder | None = None,
    max_history: int = 4,
    *,
    policy: InjectionPolicy | None = None,
    session_class: type[InterruptAwareSession] = InterruptAwareSession,
    add_transcription: bool = True,
    on_session: _OnSession | None = None,
) -> None:
    """Make ``client.aio.live.connect(...)`` yield an ``InterruptAwareSession`` everywhere.

    Swaps ``google.genai.live.AsyncLive.connect`` (nothing else). Idempotent and thread-safe;
    a later call updates the options for sessions opened after it.

    ``add_transcription``: as for ``connect``; by default each connect call's config gets
    the transcription the records need (in a copy, logged at INFO); ``False`` adds nothing.

    ``on_session``: called with each session the shim opens, once it is connected (in its
    ``async with``, before the framework gets it), so that an app whose framework keeps the
    session to itself can report playback (``session.playback.played(...)``) and read
    ``session.interruptions``. It runs synchronously in the framework's connecting task (so
    it sees the context variables the app set before starting the framework), once per
    connection, reconnections included. An exception in it is logged on the
    ``gemini_live_interrupt`` logger and the session carries on; a value it returns is
    ignored (an awaitable is closed unawaited, with an error logged).

    Raises:
        TypeError: bad ``prompt_builder``, ``max_history``, ``session_class``,
            ``add_transcription`` or ``on_session`` (not callable, or an async function).
        ValueError: ``max_history`` is negative.
    """
    global _options
    check_options(prompt_builder, max_history, policy)
    check_add_transcription(add_transcription)
    _check_on_session(on_session)
    if not (isinstance(session_class, type) and issubclass(session_class, InterruptAwareSession)):
        raise TypeError(
            f"session_class must be a subclass of InterruptAwareSession, got {session_class!r}"
        )
    with _lock:
        _options = _ShimOptions(prompt_builder, max_history, policy, session_class,
                                add_transcription, on_session)
        live.AsyncLive.connect = _connect_through_shim  # type: ignore[method-assign,assignment]


def disable_interrupt_resume() -> None:
    """Restore the SDK's own ``connect``. Safe to call any time; open sessions keep working."""
    global _options
    with _lock:
        _options = None
        if live.AsyncLive.__dict__.get("connect") is _connect_through_shim:
            live.AsyncLive.connect = _sdk_connect  # type: ignore[method-assign,assignment]
