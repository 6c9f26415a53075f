"""The JetStream streams of the public feed, one per context.

Provisioned by the project itself at start-up (idempotently). File storage, replayable
from the first event, unlimited retention by default, and a duplicate window long
enough to cover a relay outage that an operator notices and repairs the same day.
"""

from __future__ import annotations

from dataclasses import dataclass

from .subjects import CONTEXTS, PUBLIC_PREFIX

DEFAULT_DUPLICATE_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StreamSpec:
    name: str
    context: str
    subjects: tuple[str, ...]
    duplicate_window_seconds: int = DEFAULT_DUPLICATE_WINDOW_SECONDS
    max_age_seconds: int = 0  # 0: keep forever
    description: str = ""


def stream_for(context: str) -> StreamSpec:
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}")
    return StreamSpec(
        name=f"ZY_{context.upper()}",
        context=context,
        subjects=(f"{PUBLIC_PREFIX}.{context}.>",),
        description=f"Zhiyuan {context} events (CloudEvents 1.0, structured mode)",
    )


STREAMS: tuple[StreamSpec, ...] = tuple(stream_for(c) for c in CONTEXTS)
DEAD_LETTER_STREAM = StreamSpec(
    name="ZY_DEAD_LETTERS",
    context="deadletters",
    subjects=("zyd.>",),
    description="Events a Zhiyuan consumer could not apply, with the reason in headers",
)
