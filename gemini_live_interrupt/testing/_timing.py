"""How fast the offline server reacts: the field's timings (the default) or none at all."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

__all__ = ["Seconds", "ServiceTiming"]

Seconds = float | tuple[float, float]
"""A delay in real seconds: fixed, or ``(low, high)`` to draw from uniformly on each use."""


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(name: str, value: object) -> None:
    # Infinite delays are refused too: a timer at +inf would never fire (a session that never
    # answers is the freeze quirk's job), and uniform(0, inf) draws inf or nan.
    if isinstance(value, tuple):
        if len(value) != 2 or not all(_number(v) for v in value):
            raise TypeError(f"{name} must be a number or a (low, high) pair, got {value!r}")
        low, high = value
        if not 0 <= low <= high < math.inf:
            raise ValueError(f"{name} must satisfy 0 <= low <= high < inf, got {value!r}")
    elif _number(value):
        if not 0 <= value < math.inf:  # type: ignore[operator]
            raise ValueError(f"{name} must be >= 0 and finite, got {value!r}")
    else:
        raise TypeError(f"{name} must be a number or a (low, high) pair, got {value!r}")


@dataclass(frozen=True)
class ServiceTiming:
    """When the offline server reacts to the user, in real seconds (the server divides each by
    its ``speed``). A pair ``(low, high)`` is drawn from uniformly, with the server's seeded
    random generator, each time it is used.

    :meth:`field` (the default) plays the timings reported for the real service;
    :meth:`instant` reacts at once, as the server did before it knew better. Change one number
    with ``dataclasses.replace(ServiceTiming.field(), input_lag=1.0)``.

    Attributes:
        interrupt_lag: from the first loud chunk of user audio to ``interrupted``. Field:
            50-100 ms (reported: pipecat-ai/pipecat#3381). Realtime text and ``activityStart``
            interrupt at once.
        input_lag: how far each word's ``inputTranscription`` trails the audio that spoke it,
            drawn once per utterance. Field: 0.5-2 s (reported: pipecat-ai/pipecat#3381), so the
            last words arrive after the user has stopped talking.
        interim_lag: the same for ``interimInputTranscription`` (only when the quirk is on).
            Field: 0.15-0.35 s (assumed: "low latency", SDK 3.4 docstring; no figure published).
        silence: audio seconds of quiet after the last speech that end the user's turn (the
            service's VAD). Field: 0.6 s (reported range 0.5-0.8 s; the SDK's
            ``silence_duration_ms`` sets it when the client sends one).
        response_latency: from the end of the user's turn (or any other request for a reply) to
            the model's first output. Field: 0.3 s (assumed, within "a few hundred ms").
        interim_shape: ``"cumulative"``: each interim message holds the whole hypothesis so far
            (how Google's streaming speech recognition reports interim results, and the harder
            case: a client that appends them repeats words); ``"delta"``: each holds new words.
        output_speed: how many times faster than real time the model's output (its audio and
            the transcription placed on it) is sent, on top of the server's ``speed``;
            ``math.inf`` sends each turn all at once, one message per pass of the event loop.
            Field: 3.0. Output is generated faster than real time (Live API docs); one
            reply, about 15.6 s of audio, came within 8.1 s (reported:
            torkiv-labs/txtCaster#209), in bursts, at times slower than real time (reported:
            livekit/agents#3604); 3 is a middle figure, not a measured one. The turn still
            plays in real time: its ``turnComplete`` waits for the playout (SDK docstring,
            ``LiveServerContent.generation_complete``), and a barge-in until then cuts it; one
            after the last chunk came sees nothing more of it arrive.
        output_pauses: the chance, after each audio chunk, that the output stops for
            ``output_pause`` before it goes on, so it comes in bursts and a player that has
            played all it had waits (an underrun; the turn then plays out later, and its
            turnComplete waits for that too). Reported: livekit/agents#3604 (audio "in bursts",
            playback hiccups when a burst runs out; "Gemini Live sometimes doesn't produce
            audio as fast as real-time"). Field: 0.0, off: how often is not known.
        output_pause: how long each such pause lasts. Default 0.2-0.8 s (assumed).
    """

    interrupt_lag: Seconds = (0.05, 0.1)
    input_lag: Seconds = (0.5, 2.0)
    interim_lag: Seconds = (0.15, 0.35)
    silence: float = 0.6
    response_latency: Seconds = 0.3
    interim_shape: Literal["cumulative", "delta"] = "cumulative"
    output_speed: float = 3.0
    output_pauses: float = 0.0
    output_pause: Seconds = (0.2, 0.8)

    def __post_init__(self) -> None:
        for name in ("interrupt_lag", "input_lag", "interim_lag", "silence", "response_latency",
                     "output_pause"):
            _check(name, getattr(self, name))
        if isinstance(self.silence, tuple):
            raise TypeError(f"silence must be a number, got {self.silence!r}")
        if not _number(self.output_speed):
            raise TypeError(f"output_speed must be a number, got {self.output_speed!r}")
        if not self.output_speed > 0:  # math.inf is allowed: all at once
            raise ValueError(f"output_speed must be > 0, got {self.output_speed!r}")
        if not _number(self.output_pauses):
            raise TypeError(f"output_pauses must be a number, got {self.output_pauses!r}")
        if not 0 <= self.output_pauses <= 1:
            raise ValueError(f"output_pauses must be a chance in [0, 1], got "
                             f"{self.output_pauses!r}")
        if self.interim_shape not in ("cumulative", "delta"):
            raise ValueError(
                f"interim_shape must be 'cumulative' or 'delta', got {self.interim_shape!r}")

    @classmethod
    def field(cls) -> ServiceTiming:
        """The timings reported for the real service (the default)."""
        return cls()

    @classmethod
    def instant(cls) -> ServiceTiming:
        """No delays: ``interrupted`` at the first loud chunk, each word transcribed as it is
        spoken, the answer as soon as the VAD's ``silence`` (0.3 s) has passed; output paced
        at real time (``output_speed=1.0``)."""
        return cls(interrupt_lag=0.0, input_lag=0.0, interim_lag=0.0, silence=0.3,
                   response_latency=0.0, output_speed=1.0)


def draw(value: Seconds, rng: random.Random) -> float:
    """One delay: ``value`` itself, or a uniform draw from its ``(low, high)``."""
    if isinstance(value, tuple):
        return rng.uniform(*value)
    return float(value)
