"""Stored activity events → public v1 events."""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.eventstore import StoredEvent


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    raise LookupError(f"activities has no public translation for stored event {stored.type!r}")
