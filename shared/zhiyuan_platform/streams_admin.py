"""Provisioning of the streams a service owns, at start-up, idempotently."""

from __future__ import annotations

from dataclasses import replace

from nats.aio.client import Client as NATS

from zhiyuan_contracts.streams import DEAD_LETTER_STREAM, stream_for

from .messaging import ensure_stream


async def ensure_context_stream(nc: NATS, context: str, *, replicas: int = 1, max_age_days: float = 0) -> None:
    spec = replace(stream_for(context), max_age_seconds=int(max_age_days * 86400))
    await ensure_stream(nc, spec, replicas=replicas)


async def ensure_dead_letter_stream(nc: NATS, *, replicas: int = 1) -> None:
    await ensure_stream(nc, DEAD_LETTER_STREAM, replicas=replicas)
