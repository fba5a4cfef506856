"""What the session reads of a connect config: pure functions.

The transcription it needs for the records to say anything, the resumption handle it
continues from, and which of its functions are NON_BLOCKING.

``output_audio_transcription`` is what the model said (and so what the user heard),
``input_audio_transcription`` what the user said over it. In TEXT response modality the
model's text parts carry what it said, so only input transcription is needed there.
"""

from __future__ import annotations

import re
from typing import Any

from google.genai import types

__all__ = [
    "INPUT",
    "OUTPUT",
    "check_add_transcription",
    "declared_behaviors",
    "missing_transcription",
    "missing_warning",
    "non_blocking_by_default",
    "resumption_handle",
    "with_transcription",
]

OUTPUT = "output_audio_transcription"
INPUT = "input_audio_transcription"

# The SDK builds a LiveConnectConfig from a dict, whose fields also take their camelCase alias.
_ALIASES = {OUTPUT: "outputAudioTranscription", INPUT: "inputAudioTranscription"}

_LACKS = {
    OUTPUT: "what the model said (heard and generated stay empty)",
    INPUT: "what the user said (user_text stays empty)",
}


def check_add_transcription(value: object) -> None:
    """Raise at the call that got a bad ``add_transcription``."""
    if not isinstance(value, bool):
        raise TypeError(
            f"add_transcription must be a bool, got {type(value).__name__}: {value!r}")


def _get(config: Any, name: str, alias: str | None = None) -> Any:
    if isinstance(config, dict):
        value = config.get(name)
        return config.get(alias) if value is None and alias is not None else value
    return getattr(config, name, None)


def _text_only(config: Any) -> bool:
    modalities = _get(config, "response_modalities", "responseModalities")
    if modalities is None:
        generation = _get(config, "generation_config", "generationConfig")
        if generation is not None:
            modalities = _get(generation, "response_modalities", "responseModalities")
    if not modalities or isinstance(modalities, str):
        return False  # unset: the Live API answers in AUDIO
    names = [str(getattr(m, "value", m)).upper() for m in modalities]
    return all(name == "TEXT" for name in names)


def missing_transcription(config: object) -> tuple[str, ...]:
    """The transcription fields ``config`` lacks that the records need, in ``(OUTPUT, INPUT)``
    order. ``config`` is a dict, a ``LiveConnectConfig`` or ``None``; anything else gives
    ``()`` (nothing can be said about it)."""
    if config is None:
        return (OUTPUT, INPUT)
    if not isinstance(config, (dict, types.LiveConnectConfig)):
        return ()
    wanted = (INPUT,) if _text_only(config) else (OUTPUT, INPUT)
    return tuple(name for name in wanted if _get(config, name, _ALIASES[name]) is None)


def with_transcription(
    config: types.LiveConnectConfigOrDict | None,
) -> tuple[types.LiveConnectConfigOrDict | None, tuple[str, ...]]:
    """``config`` with the missing transcription turned on, and the fields that were added.

    A copy (of the same kind; a dict for ``None``) when something is added, else ``config``
    itself: the caller's dict or ``LiveConnectConfig`` is never changed. Fields the caller
    set are kept as they are.
    """
    added = missing_transcription(config)
    if not added:
        return config, ()
    if isinstance(config, types.LiveConnectConfig):
        update = {name: types.AudioTranscriptionConfig() for name in added}
        return config.model_copy(update=update), added
    new: dict[str, Any] = dict(config or {})
    for name in added:
        new.pop(_ALIASES[name], None)  # an alias set to None would be read before ours
        new[name] = {}
    return new, added  # type: ignore[return-value]  # a LiveConnectConfigDict


def missing_warning(missing: tuple[str, ...]) -> str | None:
    """The warning for a session whose connect config lacks ``missing``; ``None`` if nothing."""
    if not missing:
        return None
    return "gemini_live_interrupt: " + "; ".join(
        f"{name} is not in the connect config: interruption records will not have "
        f"{_LACKS[name]}" for name in missing
    )


def resumption_handle(config: object) -> str | None:
    """The handle a connect config (a ``LiveConnectConfig`` or a dict, snake or camel case)
    resumes a conversation from, if any."""
    handle = _get(_get(config, "session_resumption", "sessionResumption"), "handle")
    return handle if isinstance(handle, str) and handle else None


_NONE: dict[str, str] = {}  # shared, never written: an empty dict per session costs bytes


def declared_behaviors(config: object) -> dict[str, str]:
    """``{name: "NON_BLOCKING" | "BLOCKING"}`` for the functions a connect config declares a
    ``behavior`` for (a tool answer's ``scheduling`` applies to NON_BLOCKING ones alone: "Only
    applicable to NON_BLOCKING function calls, is ignored otherwise", SDK docstring of
    ``FunctionResponseScheduling``). Do not modify the result: it may be shared."""
    behaviors: dict[str, str] = {}
    for tool in _get(config, "tools") or ():
        declarations = _get(tool, "function_declarations", "functionDeclarations") or ()
        for declaration in declarations if isinstance(tool, (dict, types.Tool)) else ():
            behavior = _get(declaration, "behavior")
            behavior = str(getattr(behavior, "value", behavior)).upper()
            name = _get(declaration, "name")
            if isinstance(name, str) and behavior in ("NON_BLOCKING", "BLOCKING"):
                behaviors[name] = behavior
    return behaviors or _NONE


def non_blocking_by_default(model: str | None) -> bool:
    """Whether ``model`` runs a function NON_BLOCKING when its declaration says nothing: Gemini
    3.8 and later do (reported: pipecat-ai 1.14 ``gemini_live/llm.py``, "The 3.8 Live family
    flipped the default: function calls execute NON_BLOCKING unless the declaration explicitly
    asks for BLOCKING"; livekit-plugins-google 1.8.9). Unknown names: no."""
    found = re.search(r"gemini-(\d+)\.(\d+)", model or "")
    return found is not None and (int(found[1]), int(found[2])) >= (3, 8)
