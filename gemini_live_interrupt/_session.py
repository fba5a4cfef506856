"""The async layer: wraps an SDK Live session, feeds the tracker, sends notes beside the app."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from google.genai import types
from google.genai.live import AsyncSession

from ._channels import has_context_update, instruction_text, send_note
from ._config import missing_transcription, missing_warning
from ._playback import Playback
from ._policy import (
    DEFAULT_MODEL_TABLE,
    FALLBACK,
    Channel,
    InjectionPolicy,
    Timing,
    policy_for_model,
)
from ._prompt import PromptBuilder, default_prompt, tidy
from ._records import Interruption, Stall
from ._scheduler import Action, Drop, HideEcho, Nudge, Release, Scheduler, Send, Stalled
from ._tracker import BargeIn, Tracker

__all__ = ["InterruptAwareSession", "check_options"]

logger = logging.getLogger("gemini_live_interrupt")

if TYPE_CHECKING:
    # Type checkers see every AsyncSession method with its real signature; at run time the
    # attributes come from the wrapped session through __getattr__.
    _SessionBase = AsyncSession
else:
    _SessionBase = object


_warned_no_context_update = False


def check_options(prompt_builder: object, max_history: object, policy: object = None) -> None:
    """Raise at the call that got bad options, naming the argument and the value."""
    if policy is not None and not isinstance(policy, InjectionPolicy):
        raise TypeError(
            f"policy must be an InjectionPolicy or None, got {type(policy).__name__}: {policy!r}"
        )
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


def _warn_missing_transcription(kwargs: dict[str, Any]) -> None:
    # Only a connect call's keyword arguments (`model` is required there) tell what config
    # the session will have; any other context manager's config cannot be known: say nothing.
    # (`kwds` is kept by contextlib from the call itself; the generator's frame locals would
    # only show the config after the SDK converted it, and are CPython internals.)
    if "model" in kwargs:
        warning = missing_warning(missing_transcription(kwargs.get("config")))
        if warning is not None:
            logger.warning("%s", warning)


def _without_echo(message: types.LiveServerMessage) -> types.LiveServerMessage | None:
    """``message`` without the transcription of our note (``None`` if nothing else is left)."""
    content = message.server_content
    if content is None:
        return message
    content = content.model_copy(update={"input_transcription": None,
                                         "interim_input_transcription": None}
                                 if hasattr(content, "interim_input_transcription")
                                 else {"input_transcription": None})
    stripped = message.model_copy(update={"server_content": content})
    if stripped.model_dump(exclude_none=True) == {"server_content": {}}:
        return None
    return stripped


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
        policy: when and how notes are sent (``InjectionPolicy``); unset fields come from
            ``model_table``.

    Raises:
        TypeError: ``prompt_builder`` is not callable, ``max_history`` is not an int, or
            ``policy`` is not an ``InjectionPolicy``.
        ValueError: ``max_history`` is negative.

    Subclass it to customise: override ``build_prompt``, ``should_inject``, ``inject``,
    ``on_interruption`` or ``model_table``.
    """

    #: ``(substring of the model name, timing, channel)``, first match wins.
    model_table: ClassVar[tuple[tuple[str, Timing, Channel], ...]] = DEFAULT_MODEL_TABLE
    #: How many interruption records ``interruptions`` keeps (and stall records ``stalls``).
    max_records: ClassVar[int] = 100
    #: What a stall nudge sends as realtime text (pipecat nudges Gemini with a space).
    stall_nudge_text: ClassVar[str] = " "
    #: The clock for timing and the real-time playback estimate, in seconds. Simulations that
    #: run faster than real time replace it (``staticmethod(lambda: time.monotonic() * k)``).
    clock: Callable[[], float] = staticmethod(time.monotonic)
    #: Seconds a custom prompt builder may take (it runs in a worker thread, beside the app's
    #: receive loop); after that the default note is sent instead and a warning logged.
    prompt_timeout: ClassVar[float] = 0.5
    #: Longest note a custom prompt builder may return, in characters; longer ones are cut
    #: to this length (and a warning logged).
    max_prompt_chars: ClassVar[int] = 32_000

    def __init__(
        self,
        connection: AbstractAsyncContextManager[AsyncSession],
        /,
        *,
        prompt_builder: PromptBuilder | None = None,
        max_history: int = 4,
        model: str | None = None,
        policy: InjectionPolicy | None = None,
    ) -> None:
        check_options(prompt_builder, max_history, policy)
        if model is not None and not isinstance(model, str):
            raise TypeError(f"model must be a str or None, got {type(model).__name__}: {model!r}")
        self._connection = connection
        self._raw: AsyncSession | None = None
        self._prompt_builder = prompt_builder
        self._max_history = max_history
        kwargs = _connect_kwargs(connection)
        found = kwargs.get("model")
        self.model: str | None = model or (found if isinstance(found, str) else None)
        self._instruction = instruction_text(kwargs.get("config"))
        _warn_missing_transcription(kwargs)
        self.policy = self._resolve(policy or InjectionPolicy())
        """The policy in force, its timing and channel filled in from ``model_table``."""
        self._tracker = Tracker(max_history=max_history)
        assert self.policy.timing is not None and self.policy.channel is not None
        self._scheduler = Scheduler(
            self._tracker, self.policy, self.policy.timing, self.policy.channel
        )
        self.playback = Playback(self._tracker)
        """Report what the speaker has played: ``session.playback.played(nbytes=...)``."""
        self._records: deque[Interruption] = deque(maxlen=self.max_records)
        self._stalls: deque[Stall] = deque(maxlen=self.max_records)
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.Task[None] | None = None
        self._released = asyncio.Event()

    def _resolve(self, policy: InjectionPolicy) -> InjectionPolicy:
        global _warned_no_context_update
        timing, channel = policy_for_model(self.model, self.model_table)
        timing = policy.timing or timing
        channel = policy.channel or channel
        if channel == "context_update" and not has_context_update():
            if not _warned_no_context_update:
                _warned_no_context_update = True
                logger.warning(
                    "gemini_live_interrupt: this google-genai has no send_context_update "
                    "(upgrade it); notes go by %s instead, which a 2.5 model does not see in "
                    "its next answer to audio", FALLBACK[1])
            channel = FALLBACK[1]
        return dataclasses.replace(policy, timing=timing, channel=channel)

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
            # A barge-in still waiting for its moment gets its record (and hook) too.
            for action in self._scheduler.close():
                if isinstance(action, Drop):
                    self._settle(self._record(action.barge_in, reason=action.reason))
            await self._cancel_pending()
        finally:
            # Frames the app left unread pause the socket's reader, and the close handshake
            # then waits out websockets' close timeout (10 s): read them while closing.
            drain = asyncio.get_running_loop().create_task(self._drain())
            try:
                result = await self._connection.__aexit__(exc_type, exc, tb)
            finally:
                drain.cancel()
                await asyncio.gather(drain, return_exceptions=True)
        return result

    async def _drain(self) -> None:
        raw = self._raw
        if raw is None:
            return
        with contextlib.suppress(Exception):
            while True:
                async for _ in raw.receive():
                    pass

    async def send_tool_response(
        self,
        *,
        function_responses: types.FunctionResponseOrDict
        | Sequence[types.FunctionResponseOrDict],
    ) -> None:
        """``AsyncSession.send_tool_response``; a note waits while a tool call is unanswered."""
        await self.raw.send_tool_response(function_responses=function_responses)
        items = (function_responses if isinstance(function_responses, Sequence)
                 else [function_responses])
        ids = [str((r.get("id") if isinstance(r, dict) else r.id) or "") for r in items]
        self._scheduler.tool_responded(ids)
        self._arm()

    # --- what the app sees -----------------------------------------------------------------

    @property
    def history(self) -> list[tuple[str, str]]:
        """The rolling ``(role, text)`` history, oldest first (at most ``max_history``)."""
        return self._tracker.history

    @property
    def interruptions(self) -> list[Interruption]:
        """Records of the latest interruptions, oldest first (at most ``max_records``)."""
        return list(self._records)

    @property
    def stalls(self) -> list[Stall]:
        """Stalls seen: the model said nothing for long after a barge-in (opt-in watch)."""
        return list(self._stalls)

    async def receive(self) -> AsyncIterator[types.LiveServerMessage]:
        """Yield the messages of one model turn, as ``AsyncSession.receive()`` does.

        Interruptions are handled beside the app: the ``interrupted`` message is yielded at
        once and the resume note is sent from a background task. With
        ``InjectionPolicy(hold_output=True)`` model output that arrives before a pending note
        is sent is held back (at most ``hold_timeout``), then yielded in order.
        """
        messages = self.raw.receive()
        held: deque[types.LiveServerMessage] = deque()
        try:
            async for message in messages:
                if self._observe(message):
                    stripped = _without_echo(message)
                    if stripped is None:
                        continue
                    message = stripped
                if not self._scheduler.holding:
                    yield message
                    continue
                held.append(message)
                await self._until_released()
                while held:
                    yield held.popleft()
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
        if self._prompt_builder is not None:
            return self._prompt_builder(heard, user_text, history)
        return self._default_prompt(heard, user_text, history)

    def should_inject(self, record: Interruption) -> bool:
        """Last word before a note leaves (``record.prompt`` holds it); ``False`` skips it."""
        return True

    async def inject(self, prompt: str) -> None:
        """Send the note by the policy's channel. Override to send it some other way."""
        assert self.policy.channel is not None
        await send_note(self.raw, prompt, self.policy.channel, self._instruction)

    async def on_interruption(self, record: Interruption) -> None:
        """Called (in a background task) with each interruption's record once it is settled."""

    # --- internals -----------------------------------------------------------------------

    def _observe(self, message: types.LiveServerMessage) -> bool:
        """Feed the core; True when the message carries our own note's transcription."""
        try:
            actions = self._scheduler.feed(message, self.clock())
        except Exception:
            # Never let our bookkeeping break the app's receive loop.
            logger.exception("gemini_live_interrupt: could not track a server message")
            return False
        self._dispatch(actions)
        return bool(actions) and any(isinstance(a, HideEcho) for a in actions)

    def _dispatch(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self._send(action.barge_in, action.channel)
            elif isinstance(action, Drop):
                self._settle(self._record(action.barge_in, reason=action.reason))
            elif isinstance(action, Release):
                self._released.set()
            elif isinstance(action, Nudge):
                logger.info("gemini_live_interrupt: no answer after barge-in %d; nudging",
                            action.episode)
                self._spawn(self._nudge())
            elif isinstance(action, HideEcho):
                pass  # receive() acts on it
            elif isinstance(action, Stalled):
                logger.warning("gemini_live_interrupt: the model has said nothing for %.1f s "
                               "after barge-in %d", action.seconds, action.episode)
                self._stalls.append(Stall(action.episode, action.seconds, self.clock()))
        self._arm()

    def _record(self, barge_in: BargeIn, **outcome: Any) -> Interruption:
        return Interruption(
            episode=barge_in.episode,
            heard=tidy(barge_in.heard),
            user_text=tidy(barge_in.user_text),
            generated=tidy(barge_in.generated),
            history=barge_in.history,
            played_seconds=barge_in.played_seconds,
            received_seconds=barge_in.received_seconds,
            at=barge_in.at,
            **{"injected": False, "prompt": None, "channel": None, "reason": None, **outcome},
        )

    def _send(self, barge_in: BargeIn, channel: Channel) -> None:
        # The note is written in the background task, never in the app's receive loop: a
        # custom builder may be slow (it gets ``prompt_timeout`` in a worker thread).
        self._spawn(self._prepare(barge_in, channel))

    def _custom_builder(self) -> bool:
        return (self._prompt_builder is not None
                or type(self).build_prompt is not InterruptAwareSession.build_prompt)

    async def _prepare(self, barge_in: BargeIn, channel: Channel) -> None:
        record = self._record(barge_in)
        args = (record.heard, record.user_text, list(barge_in.history))
        try:
            if self._custom_builder():
                prompt = await asyncio.wait_for(
                    asyncio.to_thread(self._build, *args), timeout=self.prompt_timeout)
            else:
                prompt = self._build(*args)
        except TimeoutError:
            logger.warning("gemini_live_interrupt: prompt builder took longer than %.2f s; "
                           "using the default", self.prompt_timeout)
            prompt = self._default_prompt(*args)
        except asyncio.CancelledError:
            self._settle(self._record(barge_in, reason="session closed"))
            raise
        if prompt is None:
            self._close_episode(barge_in.episode, self._record(
                barge_in, reason="builder returned None"))
            return
        record = self._record(barge_in, prompt=prompt, channel=channel)
        try:
            wanted = self.should_inject(record)
        except Exception:
            logger.exception("gemini_live_interrupt: should_inject raised; injecting anyway")
            wanted = True
        if not wanted:
            self._close_episode(barge_in.episode, dataclasses.replace(
                record, reason="should_inject declined"))
            return
        await self._inject(record)

    def _default_prompt(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str:
        # A model-role note is read as the model's own words: it is worded as its memory.
        role = "model" if self.policy.channel == "silent_content" else "user"
        return default_prompt(heard, user_text, history, role=role)

    def _build(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str | None:
        try:
            prompt = self.build_prompt(heard, user_text, history)
        except Exception:
            logger.exception("gemini_live_interrupt: prompt builder raised; using the default")
            return self._default_prompt(heard, user_text, history)
        if prompt is not None and not isinstance(prompt, str):
            logger.error(
                "gemini_live_interrupt: prompt builder returned %s, not str or None; "
                "using the default", type(prompt).__name__,
            )
            return self._default_prompt(heard, user_text, history)
        if prompt is not None and len(prompt) > self.max_prompt_chars:
            logger.warning("gemini_live_interrupt: prompt builder returned %d characters; "
                           "cut to max_prompt_chars=%d", len(prompt), self.max_prompt_chars)
            prompt = prompt[: self.max_prompt_chars]
        return prompt

    async def _inject(self, record: Interruption) -> None:
        assert record.prompt is not None
        outcome = record
        try:
            if not self._scheduler.is_current(record.episode):
                outcome = dataclasses.replace(record, reason="no longer current")
            else:
                # Told before the send (its echo can come during it), and here rather than in
                # inject(), which subclasses override: a realtime-text note's transcription is
                # ours, not the user's, however it is sent.
                echoed = record.channel == "realtime_text"
                self._tracker.note_sent(record.prompt if echoed else None)
                await self.inject(record.prompt)
                outcome = dataclasses.replace(record, injected=True)
        except asyncio.CancelledError:
            outcome = dataclasses.replace(record, reason="session closed")
            raise
        except Exception as exc:
            logger.warning("gemini_live_interrupt: could not send the resume note: %r", exc)
            outcome = dataclasses.replace(record, reason=f"send failed: {exc!r}")
        finally:
            self._close_episode(record.episode, outcome)

    def _close_episode(self, episode: int, record: Interruption) -> None:
        self._settle(record)
        self._dispatch(self._scheduler.settled(episode, self.clock()))

    async def _nudge(self) -> None:
        try:
            await self.raw.send_realtime_input(text=self.stall_nudge_text)
        except Exception as exc:
            logger.warning("gemini_live_interrupt: could not nudge the model: %r", exc)

    async def _until_released(self) -> None:
        # Output is held for a note in flight; the note's task or the hold timeout ends it.
        while self._scheduler.holding:
            self._released.clear()
            try:
                await asyncio.wait_for(self._released.wait(), timeout=0.05)
            except TimeoutError:
                self._dispatch(self._scheduler.poll(self.clock()))

    def _arm(self) -> None:
        # One timer task, alive while the scheduler has a deadline.
        # (the cheap check first: this runs for every message)
        if (self._timer is not None and not self._timer.done()) or \
                self._scheduler.deadline is None:
            return
        try:
            self._timer = asyncio.get_running_loop().create_task(self._tick())
        except RuntimeError:
            return  # no loop (a report made outside one): the next message re-arms
        self._tasks.add(self._timer)
        self._timer.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        # The clock may be scaled (simulations), so wake often rather than once.
        while (deadline := self._scheduler.deadline) is not None:
            await asyncio.sleep(min(0.02, max(0.0, deadline - self.clock())))
            if self.clock() >= deadline:
                try:
                    actions = self._scheduler.poll(self.clock())
                except Exception:
                    logger.exception("gemini_live_interrupt: scheduler failed")
                    return
                for action in actions:
                    self._dispatch([action])
                if self._scheduler.deadline == deadline:
                    await asyncio.sleep(0.02)  # nothing came due after all: never spin

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
        self._released.set()
        while True:
            # A finished task leaves the set only when its done-callback runs, and since
            # Python 3.12 gather() over finished tasks completes without yielding to the loop
            # that would run it: sweeping them again and again spun forever. Skip them.
            tasks = [task for task in self._tasks if not task.done()]
            self._tasks.intersection_update(tasks)
            if not tasks:
                return
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
