"""Subjects of the public event feed: ``zy.<context>.<district>.<EventName>``.

Request/reply traffic between the gateway and the services lives under ``zyi.`` and
never reaches a district subscriber.
"""

from __future__ import annotations

import re

CONTEXTS = ("registry", "activities", "recognition")
PUBLIC_PREFIX = "zy"
INTERNAL_PREFIX = "zyi"

_DISTRICT = re.compile(r"^[0-9]{6}$")
_NAME = re.compile(r"^[A-Z][A-Za-z]+$")


def event_subject(context: str, district: str, event_name: str) -> str:
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {CONTEXTS}")
    if not _DISTRICT.match(district):
        raise ValueError(f"district must be a six-digit GB/T 2260 code, got {district!r}")
    if not _NAME.match(event_name):
        raise ValueError(f"event name must be PascalCase, got {event_name!r}")
    return f"{PUBLIC_PREFIX}.{context}.{district}.{event_name}"


def district_filter(district: str) -> str:
    """What a district system subscribes to: everything that happened in its district."""
    if not _DISTRICT.match(district):
        raise ValueError(f"district must be a six-digit GB/T 2260 code, got {district!r}")
    return f"{PUBLIC_PREFIX}.*.{district}.>"


def request_subject(context: str, operation: str) -> str:
    """``zyi.registry.RegisterVolunteer``: a command or query sent by the gateway."""
    if context not in (*CONTEXTS, "gateway"):
        raise ValueError(f"unknown context {context!r}")
    return f"{INTERNAL_PREFIX}.{context}.{operation}"


def type_string(context: str, event_name: str, version: int) -> str:
    return f"zhiyuan.{context}.{event_name}.v{version}"


def source_of(context: str) -> str:
    return f"/zhiyuan/{context}"
