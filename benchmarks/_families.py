"""What the delivery and policy benchmarks compare: one model per family, and each policy."""

from __future__ import annotations

from typing import get_args

from gemini_live_interrupt import Channel, InjectionPolicy

FAMILIES = {
    "2.5": "gemini-2.5-flash-native-audio-preview-12-2025",
    "3.1": "gemini-3.1-flash-live-preview",
    "3.8": "gemini-3.8-live",
}
#: label -> policy: the default (its channel from the model table; the note leaves at the
#: barge-in under every policy), then each channel by explicit choice.
POLICIES: dict[str, InjectionPolicy] = {
    "default": InjectionPolicy(),
    **{channel: InjectionPolicy(channel=channel) for channel in get_args(Channel)},
}
