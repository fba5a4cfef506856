"""Where the model's reply to the app's tool answers goes (part of the core).

A tool's answer asks for a reply that answers the app, not the user's speech: the tracker
needs to know which turn that is (its request is known, no late words of the user's go to
it), and whether an ``interrupted`` is the app's doing rather than a barge-in. The tracker
hands in what it sees (a "mark" of the open turn's output, ``None`` when no turn is open) and
is told what follows. No SDK types, sockets or event loop here.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ToolReplies"]

#: A mark of the open turn and how much of its output has come; ``None``: no open turn.
Mark = tuple[object, ...] | None


class ToolReplies:
    """The state of the app's tool answers between a ``toolCall`` and the reply to them."""

    __slots__ = ("_after", "_at_call", "_call_open", "_pending", "cut_held")  # one a session

    def __init__(self) -> None:
        self._at_call: Mark = None  # the open turn's output at the latest call
        self._pending = False  # a blocking call answered in a silent open turn: not placed
        self._call_open = False  # a call came with no turn open: a generation until its end
        self._after = False  # a NON_BLOCKING answer: the reply follows this generation
        self.cut_held = False
        """An ``INTERRUPT`` answer's cut may come after the start of the turn it cuts."""

    def called(self, mark: Mark) -> None:
        """A ``toolCall`` came."""
        self._at_call = mark
        if mark is None:
            self._call_open = True  # the generation goes on, words or not

    def answered(self, scheduling: Sequence[str], mark: Mark) -> tuple[bool, bool]:
        """The app answered; returns (the next turn to open is the reply, the app may cut
        what the model is generating).

        ``scheduling``: each answer's, ``""`` for a blocking call's. A NON_BLOCKING call's
        model does not wait for it (SDK docstring, ``FunctionResponseScheduling``): it replies
        to a ``WHEN_IDLE`` or ``INTERRUPT`` answer once what it is generating ends (which an
        ``INTERRUPT`` one cuts), and not at all to a ``SILENT`` one.

        A blocking call's reply: on 3.x a turn that called a tool and said nothing since goes
        on with it (it is still open: no ``turnComplete`` until the answer); otherwise (2.5's
        call completes its turn, a call with no words before it) the reply opens a turn of its
        own. An app can answer before 2.5's ``turnComplete`` has reached it: while the turn is
        open and silent the reply's place is decided by what comes first, more output (it
        goes on) or the turn's end (a turn of its own).
        """
        asks = cuts = False
        if "WHEN_IDLE" in scheduling or "INTERRUPT" in scheduling:
            generating = self._call_open or mark is not None
            if "INTERRUPT" in scheduling:
                cuts = True
                self.cut_held = generating  # the generation it cuts may not have shown yet
            if generating:
                self._after = True
            else:
                asks = True
        if scheduling and "" not in scheduling:
            return asks, cuts
        # _at_call is kept: calls made together may be answered one by one.
        if self._at_call is None or self._at_call != mark:
            asks = True
        else:
            self._pending = True
        return asks, cuts

    def generation_ended(self, mark: Mark) -> bool:
        """``turnComplete`` came (``mark``: the turn it ends, before it ends); returns whether
        the next turn to open is a reply to the app."""
        self._call_open = False
        asks = False
        if self._after:
            self._after = self.cut_held = False
            asks = True
        if self._pending:
            self._pending = False
            if self._at_call == mark:
                asks = True  # silent since the call: the reply opens a turn
        return asks

    def cut_seen(self) -> None:
        """The ``interrupted`` an ``INTERRUPT`` answer (or the session's note) caused came."""
        self.cut_held = False

    def turn_started(self) -> None:
        """A model turn opened: what was pending for it is placed."""
        self._at_call = None
        self._pending = False
