"""The async layer: wraps an SDK Live session, feeds the tracker, sends notes beside the app."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from google.genai import types
from google.genai.live import AsyncSession

from ._channels import instruction_text, send_note
from ._config import declared_behaviors, non_blocking_by_default, resumption_handle
from ._core import Action, Core, Finished, HideEcho, Nudge, Remember, Send, Stalled
from ._events import events_of, model_output, without_input_transcription
from ._options import check_options, connect_kwargs, resolve_channel, warn_missing_transcription
from ._playback import Playback
from ._policy import DEFAULT_MODEL_TABLE, Channel, InjectionPolicy
from ._prompt import PromptBuilder, cap_prompt, default_prompt, run_builder, tidy
from ._records import Interruption, Reason, Stall
from ._resumption import HISTORIES
from ._sdk_loop import turn_end
from ._sent import sent_text, sent_user_text
from ._tracker import BargeIn

__all__ = ["InterruptAwareSession", "check_options"]

logger = logging.getLogger("gemini_live_interrupt")

if TYPE_CHECKING:
    # Type checkers see every AsyncSession method with its real signature; at run time the
    # attributes come from the wrapped session through __getattr__.
    _SessionBase = AsyncSession
else:
    _SessionBase = object


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
        policy: how notes are sent (``InjectionPolicy``); an unset channel comes from
            ``model_table``.

    Raises:
        TypeError: ``prompt_builder`` is not callable, ``max_history`` (or a subclass's
            ``max_records``) is not an int, or ``policy`` is not an ``InjectionPolicy``.
        ValueError: ``max_history`` or ``max_records`` is negative.

    Subclass it to customise: override ``build_prompt``, ``should_inject``, ``inject``,
    ``on_interruption`` or ``model_table``.
    """

    #: ``(substring of the model name, channel)``, first match wins.
    model_table: ClassVar[tuple[tuple[str, Channel], ...]] = DEFAULT_MODEL_TABLE
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
    #: Seconds ``async with`` waits on leaving for ``on_interruption`` hooks still running.
    hook_timeout: ClassVar[float] = 1.0

    _connection: AbstractAsyncContextManager[AsyncSession]
    _entered: bool

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
        records = self.max_records
        if not isinstance(records, int) or isinstance(records, bool):
            raise TypeError(f"max_records must be an int, got {type(records).__name__}: "
                            f"{records!r}")
        if records < 0:
            raise ValueError(f"max_records must be >= 0, got {records}")
        if model is not None and not isinstance(model, str):
            raise TypeError(f"model must be a str or None, got {type(model).__name__}: {model!r}")
        if isinstance(connection, InterruptAwareSession):
            # The shim is on, so connect(...) already gave a session: this one takes over its
            # connection rather than wrapping a wrapper (which would track everything twice).
            if connection._entered:
                raise TypeError("connection is an InterruptAwareSession already in use: pass "
                                "what client.aio.live.connect(...) returns, not yet entered")
            model = model or connection.model
            connection = connection._connection
        elif isinstance(connection, AsyncSession):
            raise TypeError(
                "connection is an open AsyncSession; InterruptAwareSession wraps the connect "
                "call instead: `async with InterruptAwareSession(client.aio.live.connect("
                "model=..., config=...)) as session:`")
        elif not (hasattr(connection, "__aenter__") and hasattr(connection, "__aexit__")):
            raise TypeError(
                "connection must be what client.aio.live.connect(model=..., config=...) "
                f"returns (an async context manager), got {type(connection).__name__}: "
                f"{connection!r}")
        self._connection = connection
        self._entered = False
        self._exited = False
        self._raw: AsyncSession | None = None
        self._prompt_builder = prompt_builder
        self._max_history = max_history
        kwargs = connect_kwargs(connection)
        found = kwargs.get("model")
        self.model: str | None = model or (found if isinstance(found, str) else None)
        self._instruction = instruction_text(kwargs.get("config"))
        warn_missing_transcription(kwargs)
        policy = policy or InjectionPolicy()
        self.policy = dataclasses.replace(
            policy, channel=resolve_channel(policy, self.model, self.model_table))
        """The policy in force, its channel filled in from ``model_table``."""
        assert self.policy.channel is not None
        # A connection that resumes a conversation this process had goes on with its history.
        resumes = resumption_handle(kwargs.get("config"))
        self._core = Core(self.policy.channel, self.policy, max_history=max_history,
                          history=HISTORIES.get(resumes) if resumes else (),
                          behaviors=declared_behaviors(kwargs.get("config")),
                          non_blocking_by_default=non_blocking_by_default(self.model))
        self._handle: str | None = None  # the latest this session filed in HISTORIES
        self.playback = Playback(self._core, connected=False)
        """Report what the speaker has played: ``session.playback.played(nbytes=...)``."""
        # Lists kept at most max_records long (_keep), not deques: an empty deque takes 760
        # bytes, a list 56, in every session.
        self._records: list[Interruption] = []
        self._stalls: list[Stall] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._hooks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None  # writes and sends notes (_write)
        self._writer_idle: asyncio.Future[BargeIn] | None = None  # what it waits on
        # Notes inject() is sending (not the user's words); a list: a set would hash each
        # prompt on the way from the flag to the wire.
        self._sending: list[str] = []
        # Called with the session once connected (the shim's on_session; it logs errors).
        self._on_connected: Callable[[InterruptAwareSession], None] | None = None

    # --- the wrapped session -------------------------------------------------------------

    @property
    def raw(self) -> AsyncSession:
        """The SDK's own session (only inside ``async with``)."""
        if self._raw is None:
            raise RuntimeError("the session is not connected: use `async with` first")
        return self._raw

    def __repr__(self) -> str:
        # From __dict__: a traceback may show one whose __init__ raised part way.
        d = self.__dict__
        if "_records" not in d:
            return f"<{type(self).__name__} (not initialised)>"
        state = (" (not connected)" if d["_raw"] is None else
                 " (closed)" if d["_exited"] else "")
        return (f"<{type(self).__name__} model={d['model']!r} channel={d['policy'].channel!r} "
                f"interruptions={len(d['_records'])}{state}>")

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the wrapper itself.
        if name.startswith("__") or self.__dict__.get("_raw") is None:
            raise AttributeError(
                f"{type(self).__name__!s} has no attribute {name!r}"
                + ("" if name.startswith("__") else " (not connected yet: use `async with`)")
            )
        return getattr(self.__dict__["_raw"], name)

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("this InterruptAwareSession was already used: open a new one "
                               "with client.aio.live.connect(...) for each connection")
        self._entered = True
        self._raw = await self._connection.__aenter__()
        self.playback._connected = True
        if self._on_connected is not None:
            self._on_connected(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            await self._cancel(self._tasks)  # notes being written or sent, nudges, the timer
            # Every barge-in not settled yet gets its record, and every record its hook.
            self._dispatch(self._core.close())
            if self._hooks:
                await asyncio.wait(set(self._hooks), timeout=self.hook_timeout)
            await self._cancel(self._hooks)
        finally:
            # Frames the app left unread pause the socket's reader, and the close handshake
            # then waits out websockets' close timeout (10 s): read them while closing.
            drain = asyncio.get_running_loop().create_task(self._drain())
            try:
                result = await self._connection.__aexit__(exc_type, exc, tb)
            finally:
                self._exited = True
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

    def send_realtime_input(self, *, text: str | None = None,
                            **kwargs: Any) -> Coroutine[Any, Any, None]:
        """``AsyncSession.send_realtime_input`` (await it as that); ``text`` counts as the
        user's words (not a nudge: no letter or digit, or wrapped whole in a tag)."""
        # The SDK's own coroutine, with none of ours around it: audio goes this way 25-50
        # times a second (an async wrapper cost twice what the proxy did, ~3 % of the send).
        raw = self._raw or self.raw
        if text is None:
            return raw.send_realtime_input(**kwargs)
        # Before the send: an `interrupted` it causes finds the words already counted.
        self._user_sent(text)
        return raw.send_realtime_input(text=text, **kwargs)

    async def send_client_content(self, *, turns: Any = None, turn_complete: bool = True) -> None:
        """``AsyncSession.send_client_content``; the last turn's text counts as the user's
        words when it is the user's and completes the turn (the service transcribes none)."""
        raw = self.raw
        self._user_sent(sent_user_text(turns, turn_complete))
        await raw.send_client_content(turns=turns, turn_complete=turn_complete)

    async def send(self, *, input: Any = None, end_of_turn: bool | None = False) -> None:
        """The deprecated ``AsyncSession.send`` (google-adk sends 2.5 text by it); the user's
        text in it counts as their words, as in the specific methods."""
        raw = self.raw
        self._user_sent(sent_text(input, end_of_turn))
        await raw.send(input=input, end_of_turn=end_of_turn)

    def _user_sent(self, text: str) -> None:
        if not text or text in self._sending:  # a note a subclass sends through these methods
            return
        try:
            actions = self._core.user_sent(text, self.clock())
        except Exception:
            logger.exception("gemini_live_interrupt: could not track text sent to the model")
            return
        if actions:
            self._dispatch(actions)

    async def send_tool_response(
        self,
        *,
        function_responses: types.FunctionResponseOrDict
        | Sequence[types.FunctionResponseOrDict],
    ) -> None:
        """``AsyncSession.send_tool_response``; a note waits while a tool call is unanswered.

        Answer tools through this method, not ``raw``: the session then knows that the model's
        reply answers the tool and not the user, and, for a NON_BLOCKING function (declared
        so in the connect config, or undeclared on Gemini 3.8 and later), that an answer
        scheduled ``INTERRUPT`` cuts the model by the app's doing (no barge-in) and a
        ``SILENT`` one starts no reply.
        """
        await self.raw.send_tool_response(function_responses=function_responses)
        items = (function_responses if isinstance(function_responses, Sequence)
                 else [function_responses])
        try:
            actions = self._core.tool_responded([_tool_answer(r) for r in items], self.clock())
        except Exception:  # sent already: a fault in the tracking must not reach the app
            logger.exception("gemini_live_interrupt: could not track a tool response")
            return
        self._dispatch(actions)

    # --- what the app sees -----------------------------------------------------------------

    @property
    def history(self) -> list[tuple[str, str]]:
        """The rolling ``(role, text)`` history, oldest first (at most ``max_history``)."""
        return self._core.history

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
        once and the resume note is sent from a background task. The service's transcription
        of a realtime-text note is left out (it is not the user's speech).
        """
        raw = self.raw
        ends = turn_end(raw)
        if ends is None:
            # Not a receive() we know to the instruction: wrap it.
            messages = raw.receive()
            try:
                async for message in messages:
                    if self._feed(message, model_output(message)):
                        stripped = without_input_transcription(message)
                        if stripped is None:
                            continue
                        message = stripped
                    yield message
            finally:
                # Close the SDK's generator now, not at garbage collection, if the app breaks
                # out.
                aclose = getattr(messages, "aclose", None)
                if aclose is not None:
                    await aclose()
            return
        # The SDK's own loop (see _sdk_loop), with the session's bookkeeping in it: one async
        # generator instead of two. Locals: this body runs for every message the app reads.
        fetch = raw._receive
        core = self._core
        clock = self.clock
        while message := await fetch():
            out = model_output(message)
            if out is not None:
                # One piece of model output and nothing else (nearly every message): it can
                # end no turn and carries no echo, and it rarely makes the core act.
                try:
                    if isinstance(out, tuple):
                        actions = core.audio(out[0], out[1], clock())
                    else:
                        actions = core.transcript(out, clock())
                except Exception:
                    logger.exception("gemini_live_interrupt: could not track a server message")
                else:
                    if actions:
                        self._dispatch(actions)
                yield message
                continue
            last = ends(message.server_content)
            if self._feed(message, None):
                stripped = without_input_transcription(message)
                if stripped is None:
                    if last:
                        return
                    continue
                message = stripped
            yield message
            if last:
                return

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

    def _feed(self, message: types.LiveServerMessage,
              out: tuple[int, int] | str | None) -> bool:
        """Feed the core one message (``out``: what ``model_output`` found in it); True when it
        carries our own note's transcription."""
        core = self._core
        actions: Sequence[Action] | None
        try:
            if out is None:
                actions = core.receive(events_of(message), self.clock())
            elif isinstance(out, tuple):
                actions = core.audio(out[0], out[1], self.clock())
            else:
                actions = core.transcript(out, self.clock())
        except Exception:
            # Never let our bookkeeping break the app's receive loop.
            logger.exception("gemini_live_interrupt: could not track a server message")
            return False
        if not actions:
            # Model output alone never moves the core's deadline; other messages may.
            if out is None and core.deadline is not None:
                self._arm()
            return False
        self._dispatch(actions)
        # A loop, not any() over a generator: this runs at every barge-in, on the way to the note.
        for action in actions:  # noqa: SIM110
            if type(action) is HideEcho:
                return True
        return False

    def _dispatch(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                # Written in a background task, never in the app's receive loop: a custom
                # builder may be slow (it gets ``prompt_timeout`` in a worker thread).
                self._write(action.barge_in)
            elif isinstance(action, Finished):
                self._keep(self._records, action.record)
                if self._overrides("on_interruption"):
                    self._spawn(self._call_hook(action.record), self._hooks)
            elif isinstance(action, Nudge):
                logger.info("gemini_live_interrupt: no answer after barge-in %d; nudging",
                            action.episode)
                self._spawn(self._nudge())
            elif isinstance(action, Stalled):
                logger.warning("gemini_live_interrupt: the model has said nothing for %.1f s "
                               "after barge-in %d", action.stall.seconds, action.stall.episode)
                self._keep(self._stalls, action.stall)
            elif isinstance(action, Remember):
                HISTORIES.keep(action.handle, action.history, replaces=self._handle)
                self._handle = action.handle
            # HideEcho: receive() acts on it.
        self._arm()

    def _keep(self, records: list[Any], record: Any) -> None:
        records.append(record)
        if len(records) > self.max_records:
            del records[0]

    def _overrides(self, hook: str) -> bool:
        # Whether a subclass (or the instance) replaced this hook: the default's work is
        # skipped when it would do nothing (a task for a hook that returns at once).
        return (getattr(type(self), hook) is not getattr(InterruptAwareSession, hook)
                or hook in self.__dict__)

    def _write(self, barge_in: BargeIn) -> None:
        # The session's writer task is woken for the note (waking a waiting task costs a
        # fraction of creating one, and this is on the way from the flag to the wire); while
        # it is busy with another note, this one gets a task of its own.
        idle = self._writer_idle
        if idle is not None and not idle.done():
            self._writer_idle = None
            idle.set_result(barge_in)
        elif self._writer is None or self._writer.done():
            self._writer = self._spawn(self._write_notes(barge_in))
        else:
            self._spawn(self._write_note(barge_in))

    async def _write_notes(self, barge_in: BargeIn) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._write_note(barge_in)
            idle = self._writer_idle = loop.create_future()
            barge_in = await idle

    async def _write_note(self, barge_in: BargeIn) -> None:
        try:
            await self._write_and_send(barge_in)
        except Exception:
            # A fault of our own: logged, and the next barge-in gets its note all the same.
            logger.exception("gemini_live_interrupt: could not write or send a note")

    def _custom_builder(self) -> bool:
        return self._prompt_builder is not None or self._overrides("build_prompt")

    async def _write_and_send(self, barge_in: BargeIn) -> None:
        episode = barge_in.episode
        if self._custom_builder():
            args = (tidy(barge_in.heard), tidy(barge_in.user_text), list(barge_in.history))
            try:
                prompt = await asyncio.wait_for(
                    asyncio.to_thread(self._build, *args), timeout=self.prompt_timeout)
            except TimeoutError:
                logger.warning("gemini_live_interrupt: prompt builder took longer than %.2f s; "
                               "using the default", self.prompt_timeout)
                prompt = self._default_prompt(*args)
            if prompt is None:
                self._failed(episode, "builder returned None")
                return
        else:
            # The default note, on the way from the flag to the wire: no builder to guard
            # against, and it tidies what it quotes itself.
            prompt = cap_prompt(self._default_prompt(barge_in.heard, barge_in.user_text,
                                                     barge_in.history), self.max_prompt_chars)
        if self._overrides("should_inject"):
            draft = self._core.draft(episode, prompt)
            if draft is None:
                return  # the session closed while the note was being written
            try:
                wanted = self.should_inject(draft)
            except Exception:
                logger.exception("gemini_live_interrupt: should_inject raised; injecting anyway")
                wanted = True
            if not wanted:
                self._failed(episode, "should_inject declined", prompt)
                return
        # The core is told before the send (the note's echo can come during it), and here
        # rather than in inject(), which subclasses override.
        stale = self._core.begin_note(episode, prompt)
        if stale is not None:
            self._failed(episode, stale, prompt)
            return
        self._sending.append(prompt)
        try:
            await self.inject(prompt)
        except Exception as exc:
            logger.warning("gemini_live_interrupt: could not send the resume note: %r", exc)
            self._failed(episode, "send failed", prompt, error=repr(exc))
            return
        finally:
            self._sending.remove(prompt)
        self._dispatch(self._core.note_sent(episode, self.clock()))

    def _failed(self, episode: int, reason: Reason, prompt: str | None = None,
                error: str | None = None) -> None:
        self._dispatch(self._core.note_failed(episode, reason, self.clock(), prompt=prompt,
                                              error=error))

    def _default_prompt(self, heard: str, user_text: str,
                        history: Sequence[tuple[str, str]]) -> str:
        # A model-role note is read as the model's own words: it is worded as its memory.
        role = "model" if self.policy.channel == "silent_content" else "user"
        return default_prompt(heard, user_text, history, role=role)

    def _build(self, heard: str, user_text: str, history: list[tuple[str, str]]) -> str | None:
        return run_builder(self.build_prompt, self._default_prompt, heard, user_text, history,
                           max_chars=self.max_prompt_chars)

    async def _nudge(self) -> None:
        try:
            await self.raw.send_realtime_input(text=self.stall_nudge_text)
        except Exception as exc:
            logger.warning("gemini_live_interrupt: could not nudge the model: %r", exc)

    def _arm(self) -> None:
        # One timer task, alive while the core has a deadline.
        if (self._timer is not None and not self._timer.done()) or self._core.deadline is None:
            return
        try:
            self._timer = asyncio.get_running_loop().create_task(self._tick())
        except RuntimeError:
            return  # no loop (a report made outside one): the next message re-arms
        self._tasks.add(self._timer)
        self._timer.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        # The clock may be scaled (simulations), so wake often rather than once.
        while (deadline := self._core.deadline) is not None:
            await asyncio.sleep(min(0.02, max(0.0, deadline - self.clock())))
            if self.clock() >= deadline:
                try:
                    actions = self._core.poll(self.clock())
                except Exception:
                    logger.exception("gemini_live_interrupt: the core failed at its deadline")
                    return
                self._dispatch(actions)
                if self._core.deadline == deadline:
                    await asyncio.sleep(0.02)  # nothing came due after all: never spin

    async def _call_hook(self, record: Interruption) -> None:
        try:
            await self.on_interruption(record)
        except Exception:
            logger.exception("gemini_live_interrupt: on_interruption hook raised")

    def _spawn(self, coro: Coroutine[Any, Any, None],
               into: set[asyncio.Task[None]] | None = None) -> asyncio.Task[None]:
        tasks = self._tasks if into is None else into
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    @staticmethod
    async def _cancel(tasks: set[asyncio.Task[None]]) -> None:
        # Sweep until quiet: a task may spawn another while it is being cancelled.
        while True:
            # A finished task leaves the set only when its done-callback runs, and since
            # Python 3.12 gather() over finished tasks completes without yielding to the loop
            # that would run it: sweeping them again and again spun forever. Skip them.
            pending = [task for task in tasks if not task.done()]
            tasks.intersection_update(pending)
            if not pending:
                return
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def _tool_answer(response: types.FunctionResponseOrDict) -> tuple[str, str, str]:
    """A tool answer's call id, function name and scheduling (its upper-case name, "" when
    not given).

    The scheduling is the SDK's ``FunctionResponse.scheduling``, or else a ``"scheduling"``
    key of the response itself, where the Live API's tool guide puts it
    (https://ai.google.dev/gemini-api/docs/live-tools, "Asynchronous function calling":
    ``response={"result": "ok", "scheduling": "INTERRUPT"}``; pipecat sends it so).
    """
    if isinstance(response, dict):
        call_id, name, when = response.get("id"), response.get("name"), response.get("scheduling")
        result = response.get("response")
    else:
        call_id, name, when = response.id, response.name, response.scheduling
        result = response.response
    if not when and isinstance(result, dict):
        when = result.get("scheduling")
    when = getattr(when, "value", when)  # a FunctionResponseScheduling, or its name
    return str(call_id or ""), str(name or ""), str(when).upper() if when else ""
