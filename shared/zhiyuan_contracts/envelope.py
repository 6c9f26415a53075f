"""The CloudEvents 1.0 envelope, structured mode, as carried over NATS.

The body of every message on ``zy.>`` is one JSON CloudEvent with its ``data``;
``id`` doubles as the ``Nats-Msg-Id`` header so JetStream drops a re-published copy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
MSG_ID_HEADER = "Nats-Msg-Id"


class CloudEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A structured-mode CloudEvent with Zhiyuan's extension attributes.

    ``district`` is the six-digit GB/T 2260 code the event belongs to, ``sequence`` the
    aggregate's version (1-based), ``correlationid`` the request that caused it and
    ``causationid`` the request or event that directly caused it.
    """

    id: str
    source: str
    type: str
    subject: str
    time: str
    district: str
    sequence: int
    data: dict[str, Any]
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"
    correlationid: str | None = None
    causationid: str | None = None

    @property
    def context(self) -> str:
        """``registry`` for ``zhiyuan.registry.VolunteerRegistered.v1``."""
        return self.type.split(".")[1]

    @property
    def name(self) -> str:
        return self.type.split(".")[2]

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(CloudEvent)


def encode(event: CloudEvent) -> bytes:
    """The structured-mode body: every required attribute, optional ones only when set."""
    attributes = msgspec.structs.asdict(event)
    return _encoder.encode({k: v for k, v in attributes.items() if v is not None})


def decode(body: bytes) -> CloudEvent:
    """Decode a message body; raises ``msgspec.ValidationError`` / ``DecodeError`` on bad input."""
    event = _decoder.decode(body)
    if event.specversion != SPECVERSION:
        raise msgspec.ValidationError(f"unsupported CloudEvents specversion {event.specversion!r}")
    return event


def new_event_id() -> str:
    return str(uuid.uuid4())


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, microseconds kept (events of one second stay ordered)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in Zhiyuan is timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
