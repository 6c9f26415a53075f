"""Connecting to a district's feed and choosing where a replay starts.

A district system connects as ``district-<code>`` and reads one stream,
``ZY_DISTRICT_<code>``, which holds every event of ``zy.*.<code>.>`` in the order it
reached the district. Sequences and times here are that stream's, not the city streams'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import nats
from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from zhiyuan_platform.natsconf import check_district, district_stream, district_user

# A pull consumer the follower did not name goes away after this long without a fetch.
EPHEMERAL_INACTIVE_SECONDS = 120.0
DEFAULT_ACK_WAIT_SECONDS = 60.0
DEFAULT_MAX_ACK_PENDING = 1000


@dataclass(frozen=True)
class Since:
    """Where a new consumer starts; an existing durable resumes where it stopped.

    ``Since.start()`` (every event, from the first), ``Since.sequence(n)`` (from district
    stream sequence ``n``), ``Since.time(t)`` (from the first event that reached the district
    stream at or after ``t``) or ``Since.new()`` (only what arrives from now on).
    """

    kind: Literal["start", "sequence", "time", "new"] = "start"
    seq: int | None = None
    at: datetime | None = None

    @classmethod
    def start(cls) -> Since:
        return cls("start")

    @classmethod
    def sequence(cls, seq: int) -> Since:
        if seq < 1:
            raise ValueError("stream sequences start at 1")
        return cls("sequence", seq=seq)

    @classmethod
    def time(cls, at: datetime) -> Since:
        if at.tzinfo is None:
            raise ValueError("give a timezone-aware time")
        return cls("time", at=at.astimezone(UTC))

    @classmethod
    def new(cls) -> Since:
        return cls("new")

    def consumer_fields(self) -> dict[str, Any]:
        if self.kind == "sequence":
            return {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": self.seq}
        if self.kind == "time":
            return {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": self.at}
        if self.kind == "new":
            return {"deliver_policy": DeliverPolicy.NEW}
        return {"deliver_policy": DeliverPolicy.ALL}


def parse_since_time(value: str) -> datetime:
    """RFC 3339 (``2026-03-14T09:00:00+08:00``, ``…Z``) or a date; no offset means Beijing time."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - timedelta(hours=8)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class DistrictCredentials:
    """What ``zhiyuan district credentials <code>`` prints."""

    url: str
    district: str
    password: str = field(repr=False)
    user: str = ""

    def __post_init__(self) -> None:
        check_district(self.district)
        if not self.user:
            object.__setattr__(self, "user", district_user(self.district))

    @property
    def stream(self) -> str:
        return district_stream(self.district)


async def connect(credentials: DistrictCredentials, **options: Any) -> NATS:
    """A NATS connection as the district's user; ``options`` go to ``nats.connect``."""
    settings: dict[str, Any] = {
        "servers": [credentials.url],
        "user": credentials.user,
        "password": credentials.password,
        "name": f"zhiyuan-district-{credentials.district}",
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1.0,
    }
    settings.update(options)
    return await nats.connect(**settings)


def consumer_config(
    since: Since,
    *,
    durable: str | None = None,
    ack: bool = True,
    ack_wait: float = DEFAULT_ACK_WAIT_SECONDS,
    max_ack_pending: int = DEFAULT_MAX_ACK_PENDING,
) -> ConsumerConfig:
    """A pull consumer on the district stream: durable (kept until deleted) or ephemeral."""
    return ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT if ack else AckPolicy.NONE,
        ack_wait=ack_wait if ack else None,
        max_ack_pending=max_ack_pending if ack else None,
        inactive_threshold=None if durable else EPHEMERAL_INACTIVE_SECONDS,
        **since.consumer_fields(),
    )


async def pull_subscription(
    nc: NATS,
    district: str,
    since: Since,
    *,
    durable: str | None = None,
    ack: bool = True,
    ack_wait: float = DEFAULT_ACK_WAIT_SECONDS,
) -> Any:
    """Bind to the durable ``durable`` (created from ``since`` if it does not exist yet), or
    create an ephemeral consumer. Returns nats-py's ``PullSubscription``.

    ``ack_wait``: how long the server waits for an acknowledgement before it delivers a
    message again (to this consumer's next fetch)."""
    js = nc.jetstream(timeout=10)
    # ">" rather than zy.*.<code>.>: the stream holds nothing else, and the create request
    # then names no wildcard filter in its subject.
    return await js.pull_subscribe(
        ">",
        durable=durable,
        stream=district_stream(district),
        config=consumer_config(since, durable=durable, ack=ack, ack_wait=ack_wait),
    )
