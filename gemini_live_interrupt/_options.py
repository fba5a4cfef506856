"""Setting a session up: checking options, reading the connect call, picking the channel."""

from __future__ import annotations

import logging
from typing import Any

from ._channels import has_context_update
from ._config import missing_transcription, missing_warning
from ._policy import FALLBACK, Channel, InjectionPolicy, channel_for_model

__all__ = ["check_options", "connect_kwargs", "resolve_channel", "warn_missing_transcription"]

logger = logging.getLogger("gemini_live_interrupt")

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


def connect_kwargs(connection: object) -> dict[str, Any]:
    """The keyword arguments of the ``client.aio.live.connect(...)`` call behind ``connection``.

    That call returns an ``_AsyncGeneratorContextManager``, which keeps them as ``kwds``;
    other context managers simply have none (``{}``).
    """
    kwds = getattr(connection, "kwds", None)
    return dict(kwds) if isinstance(kwds, dict) else {}


def warn_missing_transcription(kwargs: dict[str, Any]) -> None:
    """Log once per session which transcription its connect config lacks.

    Only a connect call's keyword arguments (``model`` is required there) tell what config
    the session will have; any other context manager's config cannot be known: say nothing.
    """
    if "model" in kwargs:
        warning = missing_warning(missing_transcription(kwargs.get("config")))
        if warning is not None:
            logger.warning("%s", warning)


def resolve_channel(
    policy: InjectionPolicy, model: str | None, table: tuple[tuple[str, Channel], ...]
) -> Channel:
    """The channel in force: the policy's, else the model table's; a context update falls
    back (with a warning, once per process) where the installed SDK cannot send one."""
    global _warned_no_context_update
    channel = policy.channel or channel_for_model(model, table)
    if channel == "context_update" and not has_context_update():
        if not _warned_no_context_update:
            _warned_no_context_update = True
            logger.warning(
                "gemini_live_interrupt: this google-genai has no send_context_update "
                "(upgrade it); notes go by %s instead, which a 2.5 model does not see in "
                "its next answer to audio", FALLBACK)
        channel = FALLBACK
    return channel
