"""The demo's output: its timeline as events happen (or JSON lines), wrapped to the
terminal, with a progress indicator on a terminal's stderr."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = ["Printer", "stdout_to_devnull"]

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: event kind -> (label in the timeline, ANSI colour)
_LABELS = {
    "user": ("you", "33"),
    "model": ("model", "36"),
    "barge_in": ("barge-in", "1;31"),
    "note": ("note", "35"),
    "transcription": ("service", "32"),
    "answer": ("model", "36"),
}
_LABEL_WIDTH = max(len(label) for label, _ in _LABELS.values())


@dataclass
class _Line:
    t: float
    kind: str
    text: str
    detail: list[str]
    data: dict[str, Any]


class Printer:
    """Prints the timeline as it happens (or JSON lines), wrapped to the terminal (at most 80
    columns), and a progress indicator on a terminal's stderr.

    Times are seconds of conversation time since :meth:`start`: the wall clock times the
    demo's ``speed``. An event can be stamped earlier than it is printed (``t=``); between
    :meth:`hold` and :meth:`release` events wait, and are then printed in time order.
    """

    def __init__(self, *, color: bool, as_json: bool, out: TextIO | None = None,
                 progress: bool = False, width: int = 80,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.color, self.as_json = color, as_json
        self.out = out if out is not None else sys.stdout
        self.progress = progress and not as_json
        self.width = max(40, min(80, width))
        self.clock = clock
        self.speed = 1.0
        self.t0 = clock()
        self.status = "connecting"
        self.tags: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self._held: list[_Line] = []
        self._holds = 0
        self._spun = False
        self.broken = False
        """The reader of ``out`` went away (``| head``); nothing more is written."""
        self.on_broken: Callable[[], object] | None = None

    def _write(self, text: str) -> None:
        if self.broken:
            return
        self._clear_spinner()
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError:
            self.broken = True
            if self.out is sys.stdout:
                stdout_to_devnull()
            if self.on_broken is not None:
                self.on_broken()

    def start(self, speed: float) -> None:
        """Time zero of the conversation, which runs ``speed`` times faster than real time."""
        self.speed, self.t0 = speed, self.clock()

    def now(self) -> float:
        """Seconds of conversation time since :meth:`start`."""
        return (self.clock() - self.t0) * self.speed

    def paragraph(self, text: str = "", *, indent: str = "") -> None:
        """Prose (the header, the summary): wrapped, and left out of JSON output."""
        if self.as_json:
            return
        self._write(textwrap.fill(text, self.width, initial_indent=indent,
                                  subsequent_indent=indent, break_on_hyphens=False))

    def paragraph_row(self, name: str, text: str, width: int) -> None:
        """``name`` then ``text`` wrapped beside it (the header), left out of JSON output."""
        if self.as_json:
            return
        self._write(textwrap.fill(text, self.width, initial_indent=f"{name:<{width}}",
                                  subsequent_indent=" " * width, break_on_hyphens=False))

    def raw(self, lines: Sequence[str]) -> None:
        """Preformatted lines (a table), left out of JSON output."""
        if self.as_json:
            return
        self._write("\n".join(line.rstrip() for line in lines))

    def record(self, kind: str, **data: Any) -> None:
        """A JSON-only event (a summary): nothing in the human timeline."""
        if self.as_json:
            self._json({"event": kind, **self.tags, **data})

    def event(self, kind: str, text: str, *, t: float | None = None,
              detail: Sequence[str] = (), **data: Any) -> None:
        """One event of the timeline: conversation time, who, what (``detail``: indented
        lines below it, such as the note's text)."""
        line = _Line(self.now() if t is None else t, kind, text, list(detail), data)
        if self._holds:
            self._held.append(line)
        else:
            self._emit(line)

    def hold(self) -> None:
        """Keep events back (until as many :meth:`release` calls) to print them in order."""
        self._holds += 1

    def release(self, *, everything: bool = False) -> None:
        """Undo one :meth:`hold` (every one with ``everything``); print what waited, in order."""
        self._holds = 0 if everything else max(0, self._holds - 1)
        if not self._holds and self._held:
            held, self._held = sorted(self._held, key=lambda line: line.t), []
            for line in held:
                self._emit(line)

    def _json(self, obj: dict[str, Any]) -> None:
        self.events.append(obj)
        self._write(json.dumps(obj))

    def _emit(self, line: _Line) -> None:
        if self.as_json:
            obj = {"t": round(line.t, 2), "event": line.kind, **self.tags, "text": line.text,
                   **line.data}
            if line.detail:
                obj.setdefault("detail", line.detail)
            self._json(obj)
            return
        label, colour = _LABELS.get(line.kind, (line.kind, ""))
        stamp = f"{line.t:5.1f}s  {label:<{_LABEL_WIDTH}}  "
        hang = " " * len(stamp)
        text = textwrap.fill(line.text, self.width, initial_indent=stamp,
                             subsequent_indent=hang, break_on_hyphens=False)
        if self.color and colour:
            text = text.replace(label, f"\033[{colour}m{label}\033[0m", 1)
        out = [text]
        for sub in line.detail:
            out.append(textwrap.fill(sub, self.width, initial_indent=hang + "  ",
                                     subsequent_indent=hang + "    ", break_on_hyphens=False))
        self._write("\n".join(out))

    def _clear_spinner(self) -> None:
        if self._spun:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._spun = False

    async def spin(self) -> None:
        """Show ``status`` beside a spinner on stderr until cancelled (terminals only)."""
        if not self.progress:
            return
        try:
            for i in range(10**9):
                sys.stderr.write(f"\r\033[K{_SPINNER[i % len(_SPINNER)]} {self.status}…")
                sys.stderr.flush()
                self._spun = True
                await asyncio.sleep(0.1)
        finally:
            self._clear_spinner()


def stdout_to_devnull() -> None:
    # The reader went away (`| head`): nothing more is written to it (Python flushes stdout
    # at exit, which would raise again and print a traceback).
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
