"""The async layer: wraps an SDK Live session, feeds the tracker, sends notes beside the app."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from google.genai import types
from google.genai.live import AsyncSession

from ._models import DEFAULT_MODEL_TABLE, Channel, channel_for_model
from ._playback import Playback
from ._prompt import PromptBuilder, default_prompt, tidy
from ._records import Interruption
from ._tracker import BargeIn, Tracker

__all__ = ["InterruptAwareSession", "check_options"]

logger = logging.getLogger("gemini_live_interrupt")

if TYPE_CHECKING:
    # Type checkers see every AsyncSession method with its real signature; at run time the
    # attributes come from the wrapped session through __getattr__.
    _SessionBase = AsyncSession
else:
    _SessionBase = object


def check_options(prompt_builder: object, max_history: object) -> None:
    """Raise at the call that got bad options, naming the argument and the value."""
    if prompt_builder is not None and not callable(prompt_builder):
        raise TypeError(
            f"prompt_builder must be callable or None, got {type(prompt_builder).__name__}: "
            f"{prompt_builder!r}"
        )
    if isinstance(max_history, bool) or not isinstance(max_history, int):
        raise TypeError(
            f"max_history must be an int, got {type(max_history).__name__}: {max_history!r}"
        )
    if max_history < 0:
        raise ValueError(f"max_history must be >= 0, got {max_history}")


def _connect_kwargs(connection: object) -> dict[str, Any]:
    # `client.aio.live.connect(model=..., config=...)` is an _AsyncGeneratorContextManager that
    # keeps its call's keyword arguments; other context managers simply have none.
    kwds = getattr(connection, "kwds", None)
    return dict(kwds) if isinstance(kwds, dict) else {}


class InterruptAwareSession(_SessionBase):
    """A Live session that tells the model what the user heard and said when they cut in.

    Wraps the (not yet entered) context manager returned by ``client.aio.live.connect(...)``;
    use it with ``async with``. Every attribute and method of the SDK's ``AsyncSession`` is
    available on it (they are forwarded to ``.raw``); ``receive()`` has the SDK's semantics.

    Args:
        connection: what ``client.aio.live.connect(model=..., config=...)`` returned.
        prompt_builder: ``(heard, user_text, history) -> str | None``; ``None`` uses
            ``default_prompt``. Returning ``None`` skips that note.
        max_history: how many ``(role, text)`` history entries to keep; 0 keeps none.
        model: the model name, when it cannot be read from ``connection``.

    Raises:
        TypeError: ``prompt_builder`` is not callable, or ``max_history`` is not an int.
        ValueError: ``max_history`` is negative.

    Subclass it to customise: override ``build_prompt``, ``on_interruption`` or ``model_table``.
    """

    #: ``(substring of the model name, channel)``, first match wins; see ``_models``.
    model_table: ClassVar[tuple[tuple[str, Channel], ...]] = DEFAULT_MODEL_TABLE
    #: How many interruption records ``interruptions`` keeps.
    max_records: ClassVar[int] = 100
    #: The clock for the real-time playback estimate, in seconds. Simulations that play audio
    #: faster than real time replace it (``staticmethod(lambda: time.monotonic() * speed)``).
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        connection: AbstractAsyncContextManager[AsyncSession],
        /,
        *,
        prompt_builder: PromptBuilder | None = None,
        max_history: int = 4,
        model: str | None = None,
    ) -> None:
        check_options(prompt_builder, max_history)
        if model is not None and not isinstance(model, str):
            raise TypeError(f"model must be a str or None, got {type(model).__name__}: {model!r}")
        self._connection = connection
        self._raw: AsyncSession | None = None
        self._prompt_builder = prompt_builder
        self._max_history = max_history
        kwargs = _connect_kwargs(connection)
        found = kwargs.get("model")
        self.model: str | None = model or (found if isinstance(found, str) else None)
        self._tracker = Tracker(max_history=max_history)
        self.playback = Playback(self._tracker)
        """Report what the speaker has played: ``session.playback.played(nbytes=...)``."""
        self._records: deque[Interruption] = deque(maxlen=self.max_records)
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the wrapped session -------------------------------------------------------------

    @property
    def raw(self) -> AsyncSession:
        """The SDK's own session (only inside ``async with``)."""
        if self._raw is None:
            raise RuntimeError("the session is not connected: use `async with` first")
        return self._raw

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the wrapper itself.
        if name.startswith("__") or self.__dict__.get("_raw") is None:
            raise AttributeError(
                f"{type(self).__name__!s} has no attribute {name!r}"
                + ("" if name.startswith("__") else " (not connected yet: use `async with`)")
            )
        return getattr(self.__dict__["_raw"], name)

    async def __aenter__(self) -> Self:
        self._raw = await self._connection.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            await self._cancel_pending()
        finally:
            result = await self._connection.__aexit__(exc_type, exc, tb)
        return result

    # --- what the app sees -----------------------------------------------------------------

    @property
    def history(self) -> list[tuple[str, str]]:
        """The rolling ``(role, text)`` history, oldest first (at most ``max_history``)."""
        return self._tracker.history

    @property
    def interruptions(self) -> list[Interruption]:
        """Records of the latest interruptions, oldest first (at most ``max_records``)."""
        return list(self._records)

    async def receive(self) -> AsyncIterator[types.LiveServerMessage]:
        """Yield the messages of one model turn, as ``AsyncSession.receive()`` does.

        Interruptions are handled beside the app: the ``interrupted`` message is yielded at
        once and the resume note is sent from a background task.
        """
        messages = self.raw.receive()
        try:
            async for message in messages:
                self._observe(message)
                yield message
        finally:
            # Close the SDK's generator now, not at garbage collection, if the app breaks out.
            aclose = getattr(messages, "aclose", None)
            if aclose is not None:
                await aclose()

    # --- hooks for subclasses ----------------------------------------------------------------

    def build_prompt(
        self, heard: str, user_text: str, history: list[tuple[str, str]]
    ) -> str | None:
        """Write the resume note; ``None`` sends nothing. Defaults to ``prompt_builder``."""
        builder = self._prompt_builder or default_prompt
        return builder(heard, user_text, history)

    async def on_interruption(self, record: Interruption) -> None:
        """Called (in a background task) with each interruption's record once it is settled."""

    def channel_for(self, model: str | None) -> Channel:
        """The channel a note takes for ``model``, from ``model_table``."""
        return channel_for_model(model, self.model_table)

    # --- internals -----------------------------------------------------------------------

    def _observe(self, message: types.LiveServerMessage) -> None:
        try:
            barge_ins = self._tracker.feed(message, self.clock())
        except Exception:
            # Never let our bookkeeping break the app's receive loop.
            logger.exception("gemini_live_interrupt: could not track a server message")
            return
        for barge_in in barge_ins:
            self._handle(barge_in)

    def _handle(self, barge_in: BargeIn) -> None:
        heard, user_text = tidy(barge_in.heard), tidy(barge_in.user_text)
        history = list(barge_in.history)

        def record(**outcome: Any) -> Interruption:
            return Interruption(
                episode=barge_in.episode,
                heard=heard,
                user_text=user_text,
                generated=tidy(barge_in.generated),
                history=barge_in.history,
                played_seconds=barge_in.played_seconds,
                received_seconds=barge_in.received_seconds,
                at=barge_in.at,
                **{"injected": False, "prompt": None, "channel": None, "reason": None, **outcome},
            )

        if barge_in.phantom:
            self._settle(record(reason="phantom"))
            return
        prompt = self._build(heard, user_text, history)
        if prompt is None:
            self._settle(record(reason="builder returned None"))
            return
        channel = self.channel_for(self.model)
        self._spawn(self._inject(prompt, channel, record))

    def _build(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str | None:
        try:
            prompt = self.build_prompt(heard, user_text, history)
        except Exception:
            logger.exception("gemini_live_interrupt: prompt builder raised; using the default")
            return default_prompt(heard, user_text, history)
        if prompt is not None and not isinstance(prompt, str):
            logger.error(
                "gemini_live_interrupt: prompt builder returned %s, not str or None; "
                "using the default", type(prompt).__name__,
            )
            return default_prompt(heard, user_text, history)
        return prompt

    async def _inject(self, prompt: str, channel: Channel, record: Any) -> None:
        try:
            await self._send_note(prompt, channel)
        except asyncio.CancelledError:
            self._settle(record(prompt=prompt, channel=channel, reason="session closed"))
            raise
        except Exception as exc:
            logger.warning("gemini_live_interrupt: could not send the resume note: %r", exc)
            self._settle(record(prompt=prompt, channel=channel, reason=f"send failed: {exc!r}"))
            return
        self._settle(record(injected=True, prompt=prompt, channel=channel))

    async def _send_note(self, prompt: str, channel: Channel) -> None:
        raw = self.raw
        if channel == "client_content":
            await raw.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text=prompt)]),
                turn_complete=True,
            )
        else:
            self._tracker.note_sent(prompt)
            await raw.send_realtime_input(text=prompt)

    def _settle(self, record: Interruption) -> None:
        self._records.append(record)
        self._spawn(self._call_hook(record))

    async def _call_hook(self, record: Interruption) -> None:
        try:
            await self.on_interruption(record)
        except Exception:
            logger.exception("gemini_live_interrupt: on_interruption hook raised")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cancel_pending(self) -> None:
        # A cancelled note settles its record, which may spawn a hook task: sweep until quiet.
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
