"""Whether the SDK's ``AsyncSession.receive()`` is a loop we know, so the session can run it.

``receive()`` is a thin async generator over ``_receive()`` (one server message each) that ends
after the message completing the turn. Wrapping it costs every message one more async-generator
step (about 900 instructions, on a bare SDK cost of ~650 k for an audio chunk); running the same
loop over ``_receive()`` ourselves costs nothing extra, and lets a lone audio chunk skip the
turn-end test (it can be neither turnComplete nor an interaction status).

That is only sound while the loop is exactly the SDK's. So the SDK's ``receive`` (and the
turn-end test it calls) is compared, instruction by instruction, with the two shapes it has
had, compiled here by the running Python; anything else (another SDK release, a subclass that
overrides ``receive``, a ``receive`` replaced on the session, a patched module) returns
``None`` and the session wraps ``receive()`` as before. ``_receive`` is looked up on the
session each time, so whatever wraps it (on the class or the session) is called. The
shapes, from google-genai's ``live.py``:

- 2.x to 3.3: ``if result.server_content and result.server_content.turn_complete``;
- 3.4 and later: ``if _is_interaction_complete(result.server_content)``, where an
  ``interactionStatus`` other than UNSPECIFIED decides (IDLE ends the turn) and
  ``turnComplete`` otherwise.
"""

from __future__ import annotations

import dis
from collections.abc import Callable
from types import CodeType
from typing import Any

__all__ = ["turn_end"]

TurnEnd = Callable[[Any], bool]
"""Called with a message's ``server_content``: whether the SDK's ``receive()`` ends there."""

_TURN_COMPLETE = '''
async def receive(self):
    while result := await self._receive():
        if result.server_content and result.server_content.turn_complete:
            yield result
            break
        yield result
'''

_INTERACTION = '''
async def receive(self):
    while result := await self._receive():
        if _is_interaction_complete(result.server_content):
            yield result
            break
        yield result
'''

_IS_COMPLETE = '''
def _is_interaction_complete(server_content):
    if not server_content:
        return False
    if (
        server_content.interaction_status is not None
        and server_content.interaction_status
        != types.InteractionStatus.INTERACTION_STATUS_UNSPECIFIED
    ):
        return server_content.interaction_status == types.InteractionStatus.IDLE
    return bool(server_content.turn_complete)
'''


def _ops(code: CodeType) -> tuple[tuple[str, object], ...]:
    # Operations with their resolved arguments: the same for the same source, whatever the
    # docstring, comments, annotations or the order of the code's constant and name tables.
    return tuple((i.opname, i.argval) for i in dis.get_instructions(code))


def _compiled(source: str) -> CodeType:
    # The function's code, as the running Python compiles it (nothing is executed).
    module = compile(source, "<google-genai live.py>", "exec")
    (code,) = (c for c in module.co_consts if isinstance(c, CodeType))
    return code


_SHAPES: dict[str, tuple[tuple[str, object], ...]] = {}
_KNOWN: dict[tuple[object, object], TurnEnd | None] = {}


def _shape(name: str, source: str) -> tuple[tuple[str, object], ...]:
    if name not in _SHAPES:
        _SHAPES[name] = _ops(_compiled(source))
    return _SHAPES[name]


def _turn_complete(content: Any) -> bool:
    return bool(content and content.turn_complete)


def turn_end(session: object) -> TurnEnd | None:
    """The SDK's own turn-end test for ``session``'s ``receive()``, or ``None`` when that
    ``receive()`` is not one of the known loops over ``_receive()`` (then wrap it)."""
    if "receive" in getattr(session, "__dict__", ()):
        return None  # replaced on this session (a framework's or a test's wrapper): call it
    receive = getattr(type(session), "receive", None)
    code = getattr(receive, "__code__", None)
    if not isinstance(code, CodeType) or not callable(getattr(session, "_receive", None)):
        return None
    helper = getattr(receive, "__globals__", {}).get("_is_interaction_complete")
    key = (receive, helper)
    if key not in _KNOWN:
        _KNOWN[key] = _find(code, helper)
    return _KNOWN[key]


def _find(code: CodeType, helper: object) -> TurnEnd | None:
    try:
        ops = _ops(code)
        if ops == _shape("turn_complete", _TURN_COMPLETE):
            return _turn_complete
        helper_code = getattr(helper, "__code__", None)
        if (ops == _shape("interaction", _INTERACTION) and isinstance(helper_code, CodeType)
                and _ops(helper_code) == _shape("is_complete", _IS_COMPLETE)):
            assert callable(helper)
            end: TurnEnd = helper
            return end
    except Exception:  # an unreadable function is an unknown one
        return None
    return None
