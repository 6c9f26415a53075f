"""A durable pull consumer read continuously: what has arrived is handed over at once.

nats-py's ``fetch(n, timeout)``, once the first message of a waiting pull request has
come, waits out the rest of the timeout for the batch to fill. On a quiet stream every
event therefore waits for that timeout before it is applied (with 0.1 s, about 50 ms on
average: the largest part of "committed → readable"). A ``PullFeed`` keeps one pull
request open on the server (``batch`` messages, ``expires`` seconds) and returns whatever
has been delivered as soon as anything has. Under load the messages that arrive while a
batch is being applied make up the next batch, so batches grow with the load by
themselves; the open request bounds how many can be waiting in this process.

A request ends when it has delivered its ``batch``, or with a status from the server
(408 expired, 409 e.g. leadership change); either way the next one is sent. A request
the server lost without a word (its connection was re-established) is re-sent once its
expiry has passed with a margin. A 409 "Consumer Deleted" or 503 "No Responders" raises
``ConsumerGone``: the caller creates the consumer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DEFAULT_PREFIX

STATUS_HEADER = "Status"
DESCRIPTION_HEADER = "Description"
HEARTBEAT = "100"
NO_RESPONDERS = "503"
GRACE_SECONDS = 1.0


class ConsumerGone(Exception):
    """The durable consumer (or the stream) is not there any more."""


class PullFeed:
    def __init__(
        self,
        nc: NATS,
        *,
        stream: str,
        consumer: str,
        batch: int,
        expires: float = 5.0,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._nc = nc
        self._next_subject = f"{prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._batch = batch
        self._expires = expires
        self._inbox = nc.new_inbox()
        self._arrived: deque[Msg] = deque()
        self._signal = asyncio.Event()
        self._owed = 0  # messages the open request may still deliver; 0: none open
        self._requested_at = 0.0
        self._sub: Subscription | None = None
        self.requests_sent = 0

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_message)

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None

    async def _on_message(self, msg: Msg) -> None:
        self._arrived.append(msg)
        self._signal.set()

    async def _request(self) -> None:
        body = json.dumps({"batch": self._batch, "expires": int(self._expires * 1_000_000_000)}).encode()
        self._owed = self._batch
        self._requested_at = time.monotonic()
        self.requests_sent += 1
        await self._nc.publish(self._next_subject, body, reply=self._inbox)

    def _request_lapsed(self) -> bool:
        return time.monotonic() - self._requested_at > self._expires + GRACE_SECONDS

    def _take(self) -> list[Msg]:
        """Up to ``batch`` delivered messages, in order; status messages settle the request."""
        taken: list[Msg] = []
        arrived = self._arrived
        while arrived and len(taken) < self._batch:
            msg = arrived.popleft()
            status = msg.headers.get(STATUS_HEADER) if msg.headers else None
            if status is None:
                taken.append(msg)
                self._owed -= 1
                continue
            if status == HEARTBEAT:
                continue
            description = (msg.headers or {}).get(DESCRIPTION_HEADER, "")
            if status == NO_RESPONDERS or "consumer deleted" in description.lower():
                self._owed = 0
                raise ConsumerGone(f"{status} {description}".strip())
            self._owed = 0  # 404/408/409: this request is over
        return taken

    async def next_batch(self, timeout: float) -> list[Msg]:  # noqa: ASYNC109
        """What has been delivered, as soon as anything has (at most ``batch``); [] after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            taken = self._take()
            if self._owed <= 0 or self._request_lapsed():
                await self._request()
            if taken:
                return taken
            self._signal.clear()
            if self._arrived:
                continue
            wait = min(deadline, self._requested_at + self._expires + GRACE_SECONDS) - time.monotonic()
            if wait <= 0:
                if time.monotonic() >= deadline:
                    return []
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), wait)
