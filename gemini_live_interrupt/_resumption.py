"""Carrying a conversation's history on to a connection that resumes it.

The service closes a connection after about ten minutes (``goAway`` first); with
``session_resumption`` in the config it sends ``sessionResumptionUpdate.newHandle`` at points it
can resume from, and a new connection with that handle continues the conversation (Live API
docs, "Start and manage live sessions"). Apps and frameworks (LiveKit, ADK, pipecat) reconnect
so every few minutes; a session that started its history again from nothing there would write
notes with none. So each session files its latest handle here with its history, and a session
connecting with that handle starts from it. Pure bookkeeping: no I/O, no SDK types.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

__all__ = ["HISTORIES", "Histories"]

History = Sequence[tuple[str, str]]


class Histories:
    """The latest resumption handle of each of the last ``max_sessions`` sessions, with that
    session's history.

    The history is the session's own rolling history, not a copy: a connection that resumes
    from the handle starts from everything the user lived through up to the end of the one
    before (the turns after the handle too, which the user heard even where the service's
    state at the handle lacks them). A copy is taken when it is handed out.
    """

    def __init__(self, *, max_sessions: int = 1024) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be >= 1, got {max_sessions}")
        self._max = max_sessions
        self._by_handle: OrderedDict[str, History] = OrderedDict()
        self._lock = threading.Lock()  # sessions may run on event loops in several threads

    def keep(self, handle: str, history: History, *, replaces: str | None = None) -> None:
        """File ``history`` under ``handle``; ``replaces``: the same session's previous handle."""
        with self._lock:
            if replaces is not None:
                self._by_handle.pop(replaces, None)
            self._by_handle[handle] = history
            self._by_handle.move_to_end(handle)
            while len(self._by_handle) > self._max:
                self._by_handle.popitem(last=False)

    def get(self, handle: str) -> list[tuple[str, str]]:
        """The history filed under ``handle`` (a copy), or ``[]`` for a handle never filed."""
        with self._lock:
            return list(self._by_handle.get(handle, ()))


#: The process's store: sessions of every connect, wrapped or through the shim, share it.
HISTORIES = Histories()
