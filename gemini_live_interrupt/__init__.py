"""Interruption handling for the Gemini Live API (google-genai).

When the user talks over the model, tell the model what the user heard and what they said.
"""

from ._policy import DEFAULT_MODEL_TABLE, Channel, InjectionPolicy
from ._prompt import PromptBuilder, default_prompt
from ._records import Interruption, Reason, Stall
from ._session import InterruptAwareSession
from ._shim import connect, disable_interrupt_resume, enable_interrupt_resume

__all__ = [
    "DEFAULT_MODEL_TABLE",
    "Channel",
    "InjectionPolicy",
    "InterruptAwareSession",
    "Interruption",
    "PromptBuilder",
    "Reason",
    "Stall",
    "connect",
    "default_prompt",
    "disable_interrupt_resume",
    "enable_interrupt_resume",
]
