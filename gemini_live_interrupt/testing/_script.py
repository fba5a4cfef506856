"""What every connection of one offline server shares: the script, the settings and the records."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Sequence

from ._timing import ServiceTiming
from ._types import ClientMessage, Context, ModelTurn, Quirks, Replies, ToolCall

__all__ = ["DEFAULT_REPLY", "Script"]

DEFAULT_REPLY = "OK."
"""What the scripted model says once ``replies`` is exhausted."""


class Script:
    """The scripted conversation and the server's records, shared by its connections.

    Connections (:class:`~._session.ServerSession`) read replies, user transcripts and settings
    from it and write what they saw and said into it; ``on_change`` is called after each write.
    """

    def __init__(
        self,
        replies: Replies,
        *,
        user_transcripts: Sequence[str],
        speed: float,
        chunk_seconds: float,
        timing: ServiceTiming,
        quirks: Quirks | None,
        seed: int | None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.replies = replies
        self.user_transcripts = list(user_transcripts)
        self.speed = speed
        self.chunk_seconds = chunk_seconds
        self.timing = timing
        self.quirks = quirks
        self.rng = random.Random(seed)
        self.on_change = on_change
        self.received: list[ClientMessage] = []
        self.turns: list[ModelTurn] = []
        self.latest_context: Context = []
        self._reply_index = 0
        self._user_index = 0
        self._handles: dict[str, Context] = {}
        # The service's handles are opaque and unique; so are these, across servers too (a
        # session resuming by handle must not meet another server's conversation).
        self.handle_prefix = f"fake-handle-{secrets.token_hex(6)}"
        self._start = time.monotonic()

    def now(self) -> float:
        """Seconds since the server started (``time.monotonic`` based)."""
        return time.monotonic() - self._start

    def restart_clock(self) -> None:
        self._start = time.monotonic()

    def quirks_for(self, model: str) -> Quirks:
        return self.quirks if self.quirks is not None else Quirks.for_model(model)

    def next_reply(self, context: Context) -> str | ToolCall:
        """The scripted model's next reply given ``context``."""
        replies = self.replies
        if callable(replies):
            return replies(list(context))
        if self._reply_index >= len(replies):
            return DEFAULT_REPLY
        item = replies[self._reply_index]
        self._reply_index += 1
        return item(list(context)) if callable(item) else item

    def next_user_transcript(self) -> str:
        """The transcript of the next user audio utterance (``""`` once exhausted)."""
        if self._user_index >= len(self.user_transcripts):
            return ""
        self._user_index += 1
        return self.user_transcripts[self._user_index - 1]

    def record(self, message: ClientMessage) -> None:
        self.received.append(message)
        self.on_change()

    def add_turn(self, turn: ModelTurn) -> None:
        self.turns.append(turn)
        self.on_change()

    def save_handle(self, handle: str, context: Context) -> None:
        self._handles[handle] = list(context)

    def resume(self, handle: str) -> Context | None:
        saved = self._handles.get(handle)
        return None if saved is None else list(saved)
