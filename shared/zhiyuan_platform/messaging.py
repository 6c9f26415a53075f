"""NATS connections and idempotent stream provisioning."""

from __future__ import annotations

from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from zhiyuan_contracts.streams import StreamSpec

from .logging import get_logger
from .settings import PlatformSettings

log = get_logger("zhiyuan.messaging")


async def connect(settings: PlatformSettings, *, name: str, **options: Any) -> NATS:
    async def _error(exc: Exception) -> None:
        log.warning("nats.error", connection=name, error=repr(exc))

    async def _disconnected() -> None:
        log.warning("nats.disconnected", connection=name)

    async def _reconnected() -> None:
        log.info("nats.reconnected", connection=name)

    kwargs: dict[str, Any] = {
        "servers": [settings.nats_url],
        "name": name,
        "error_cb": _error,
        "disconnected_cb": _disconnected,
        "reconnected_cb": _reconnected,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
    }
    if settings.nats_user:
        kwargs["user"] = settings.nats_user
        kwargs["password"] = settings.nats_password
    kwargs.update(options)
    return await nats.connect(**kwargs)


def stream_config(spec: StreamSpec, *, atomic: bool = True, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=float(spec.max_age_seconds),
        duplicate_window=float(spec.duplicate_window_seconds),
        allow_atomic=atomic or None,
        num_replicas=replicas,
    )


async def ensure_stream(nc: NATS, spec: StreamSpec, *, replicas: int = 1) -> None:
    """Create the stream, or bring an existing one to the spec; safe to call at every start.

    Atomic batch publish needs nats-server 2.12+; an older server refuses the option and
    the stream is created without it (the relay then publishes one message at a time).
    """
    js = nc.jetstream()
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        info = None
    for atomic in (True, False):
        config = stream_config(spec, atomic=atomic, replicas=replicas)
        try:
            if info is None:
                await js.add_stream(config)
                log.info("stream.created", stream=spec.name, atomic=atomic)
            else:
                current = info.config
                if (
                    sorted(current.subjects or []) != sorted(config.subjects or [])
                    or current.duplicate_window != config.duplicate_window
                    or bool(current.allow_atomic) != atomic
                    or (current.max_age or 0) != (config.max_age or 0)
                ):
                    await js.update_stream(config)
                    log.info("stream.updated", stream=spec.name, atomic=atomic)
            return
        except Exception as exc:
            if not atomic:
                raise
            log.warning("stream.atomic_unavailable", stream=spec.name, error=repr(exc))
