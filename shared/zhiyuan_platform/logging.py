"""structlog, JSON in production, with causality carried in context variables.

Every entrypoint binds ``correlation_id`` (the HTTP request that started it all),
``causation_id`` (the request or event being handled) and ``event_id``; the same values
travel in the CloudEvent extensions so a district system can follow them too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

_configured = False


def configure_logging(service: str, fmt: str = "json", level: str = "INFO") -> None:
    global _configured
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    _configured = True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


@contextmanager
def causality(
    *, correlation_id: str | None, causation_id: str | None, event_id: str | None = None, **extra: Any
) -> Iterator[None]:
    """Bind the causal chain for the duration of one request or one event."""
    values = {"correlation_id": correlation_id, "causation_id": causation_id, "event_id": event_id, **extra}
    values = {k: v for k, v in values.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**values):
        yield


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value is not None else None


def current_causation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("causation_id")
    return str(value) if value is not None else None
