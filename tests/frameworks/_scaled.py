"""Sessions on the server's clock: the offline server runs SPEED x real time in these tests."""

from __future__ import annotations

import time

from gemini_live_interrupt import InterruptAwareSession


def scaled(speed: float, base: type[InterruptAwareSession] = InterruptAwareSession,
           ) -> type[InterruptAwareSession]:
    """``base`` with its clock running ``speed`` x real time, as the documented ``clock``
    attribute allows: the wait for the user's first words and the real-time playback
    estimate then keep the same proportions as against the real service."""

    class Scaled(base):  # type: ignore[valid-type,misc]
        clock = staticmethod(lambda: time.monotonic() * speed)

    return Scaled
