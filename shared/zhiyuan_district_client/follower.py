"""``DistrictFollower``: keep a local SQLite copy of a district up to date from its feed.

::

    follower = DistrictFollower(
        "nats://city.example:4222", "district-110101", password, "110101",
        durable="dongcheng-copy", store="dongcheng.sqlite3",
    )
    await follower.catch_up()          # everything the district stream holds now
    stop = asyncio.Event()
    await follower.run(stop)           # then follow live until stop is set
    await follower.close()

It reads with a durable pull consumer, so a follower that was offline for a week resumes
where it stopped. Each fetched batch is applied in one SQLite transaction, committed, and
only then acknowledged; an event already in the copy (the same ``id``) is never applied
twice, so a crash between the commit and the acknowledgement costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS

from .feed import DEFAULT_ACK_WAIT_SECONDS, DistrictCredentials, Since, connect, pull_subscription
from .store import DistrictStore, EventOutcome, Handler

DEFAULT_BATCH = 256


class DistrictFollower:
    """A durable follower of one district's feed, applying it to a :class:`DistrictStore`.

    ``since`` only matters when the durable ``durable`` does not exist yet (see
    :class:`Since`); afterwards it resumes. ``ack_wait`` (seconds, set when the durable is
    created) is how long an unacknowledged batch waits before it is delivered again. ``handlers`` replaces the store's handler table
    (``{type: handler}``; start from ``store.DEFAULT_HANDLERS``). ``on_event`` is called
    with the :class:`EventOutcome` of every delivered message, after its commit.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        district: str,
        *,
        durable: str = "district-follower",
        store: str | Path = "district.sqlite3",
        since: Since | None = None,
        batch: int = DEFAULT_BATCH,
        ack_wait: float = DEFAULT_ACK_WAIT_SECONDS,
        handlers: Mapping[str, Handler] | None = None,
        on_event: Callable[[EventOutcome], None] | None = None,
        nats_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.credentials = DistrictCredentials(url=url, district=district, password=password, user=user)
        self.district = district
        self.durable = durable
        self.since = since or Since.start()
        self.batch = batch
        self.ack_wait = ack_wait
        self.on_event = on_event
        self.nats_options = dict(nats_options or {})
        self.store = DistrictStore(store, district, handlers)
        self._nc: NATS | None = None
        self._sub: Any = None

    async def __aenter__(self) -> DistrictFollower:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        if self._nc is None:
            self._nc = await connect(self.credentials, **self.nats_options)
        if self._sub is None:
            self._sub = await pull_subscription(
                self._nc, self.district, self.since, durable=self.durable, ack_wait=self.ack_wait
            )

    async def close(self) -> None:
        """Disconnect (the durable stays on the server) and close the store."""
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = None
        self._sub = None
        self.store.close()

    async def pending(self) -> int:
        """Events in the district stream this follower has not received yet."""
        await self.connect()
        info = await self._sub.consumer_info()
        return int(info.num_pending) + int(info.num_ack_pending)

    async def _fetch(self, count: int, wait: float) -> list[Any]:
        try:
            msgs: list[Any] = await self._sub.fetch(count, timeout=wait)
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        return msgs

    async def _apply(self, msgs: list[Any]) -> list[EventOutcome]:
        # One transaction for the batch; acknowledged only once it is committed.
        outcomes = []
        with self.store.transaction():
            for msg in msgs:
                seq = msg.metadata.sequence.stream if msg.metadata else None
                outcomes.append(self.store.apply(msg.data, seq))
        for msg in msgs[:-1]:
            await msg.ack()
        # The server handles a connection's messages in order: once the last ack is
        # confirmed, so are the ones before it.
        await msgs[-1].ack_sync(timeout=10)
        if self.on_event is not None:
            for outcome in outcomes:
                self.on_event(outcome)
        return outcomes

    async def catch_up(self, limit: int | None = None, idle: float = 1.0) -> int:
        """Apply everything the district stream holds now (or ``limit`` messages); returns
        how many messages were delivered."""
        await self.connect()
        delivered = 0
        if await self.pending() == 0:
            return 0
        while limit is None or delivered < limit:
            want = self.batch if limit is None else min(self.batch, limit - delivered)
            msgs = await self._fetch(want, wait=idle)
            if not msgs:
                if await self.pending() == 0:
                    break
                continue
            await self._apply(msgs)
            delivered += len(msgs)
            last = msgs[-1].metadata
            if limit is None and last is not None and last.num_pending == 0:
                break
        return delivered

    async def run(self, stop: asyncio.Event, poll: float = 2.0) -> None:
        """Follow live until ``stop`` is set; rides out NATS outages (nats-py reconnects)."""
        await self.connect()
        while not stop.is_set():
            try:
                msgs = await self._fetch(self.batch, wait=poll)
                if msgs:
                    await self._apply(msgs)
            except nats.errors.Error:
                # Disconnected, or an ack lost: what was committed but not acknowledged
                # comes again and is recognised by its id.
                await asyncio.sleep(poll)
