"""Read a whole JetStream stream, from a sequence to its end, as fast as Python can.

Why this exists: a replay (``zhiyuan recognition rebuild``) reads every event of a stream.
nats-py's push consumer with a message callback — the fastest way nats-py has — reads
ZY_ACTIVITIES (199k events of ~1 KB) at ~95-113k msgs/s on the 2-core dev VM; most of
that time is nats-py's per-message machinery (a ``Msg`` object, header parsing, a task hop
per callback). ``read_stream`` speaks the NATS protocol itself on an ``asyncio.Protocol``
over a connection of its own: one regular-expression match per delivered message's
``(H)MSG`` line, the payload sliced out of the read buffer. Measured on the same stream,
best of 3, batches discarded: ~296k msgs/s against ~97k for the nats-py callback reader
(a bare prototype that built no ``Delivery`` reached ~350-414k; building the frozen
``Delivery`` dataclass is now the largest single cost).

What it guarantees (``read_stream``):

- every message of the stream from ``start_sequence`` to the stream's last sequence *when
  the read began* is yielded exactly once, in stream-sequence order, in batches of at
  most ``batch_size``; messages published during the read are not; an empty stream (or a
  start past its end) yields nothing, at once;
- messages deleted before or during the read are simply absent: the read ends on a
  delivered message with nothing pending after it, or when the server says nothing is
  pending, so deletions at the tail never make it wait for a sequence that will not come;
- a lost message is never skipped silently: the consumer sequence of every delivery and
  of every idle heartbeat is checked, and on a gap, on a consumer that went away (no
  heartbeat for three heartbeat intervals) or on a status the reader does not expect, a
  new consumer is created from the next expected stream sequence — as nats-py's ordered
  consumer does — up to ``MAX_RESTARTS`` times in a row without progress, then
  ``ReplayError``;
- memory stays bounded whatever the stream's length: when ``queued_batches`` batches wait
  for the caller, the flow-control replies are held back, so the server stops within its
  flow-control window (at most 32 MiB), and at twice that many reading from the socket
  pauses (``pause_reading``): at most ``2 * queued_batches`` batches wait, plus the one
  being filled and one socket read (the nats-py fallback: plus what the server sent within
  its window, in nats-py's queue);
- the ephemeral consumer(s) are deleted at the end, on error and on cancellation or an
  early ``aclose()`` (use ``contextlib.aclosing`` when breaking out of the loop).

The control plane (stream info, consumer create/info/delete) goes through ``nc``; the
data plane is a second TCP connection to the server ``nc`` is connected to, with the same
user/password or token. Where that cannot be replicated — TLS, nkeys, JWT/creds files,
WebSocket — or the server refuses it (logged), the same reader runs on a nats-py
subscription instead (slower, same guarantees). The permissions needed are those of any
push consumer: subscribe to ``_INBOX.>`` (nc's inbox prefix), publish
``$JS.FC.<stream>.>`` (flow-control replies) and the
``$JS.API.CONSUMER.{CREATE,INFO,DELETE}.<stream>`` requests.

Not handled: a lost data connection is a ``ReplayError`` (no reconnect; the caller runs
the replay again). Reading stays paused only while twice ``queued_batches`` wait, which
held-back flow control makes rare; should it stay paused past the server's
``write_deadline`` (10 s by default) with more in flight than the socket buffers hold,
the server drops the connection as a slow consumer, and that is such a loss.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from .consumer import Delivery
from .logging import get_logger

log = get_logger("zhiyuan.replay")

QUEUED_BATCHES = 8
IDLE_HEARTBEAT = 5.0
# Heartbeat intervals without a byte from the server before the consumer is presumed gone.
MISSED_HEARTBEATS = 3
# Consumer restarts in a row without a message delivered in between before giving up.
MAX_RESTARTS = 5

# A delivered message: (H)MSG <subject> <sid> $JS.ACK.[<domain>.<account hash>.]<stream>.
# <consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>[.<token>]
# [<header bytes>] <total bytes>. Groups: subject, sid, stream seq, consumer seq, pending,
# header bytes (None for MSG), total bytes.
_DELIVERY = re.compile(
    rb"""H?MSG\ ([^\ \r\n]+)\ ([^\ \r\n]+)\ \$JS\.ACK\.
    (?:[^\ .\r\n]+\.[^\ .\r\n]+\.)??      # domain and account hash (12-token form)
    [^\ .\r\n]+\.[^\ .\r\n]+\.\d+\.        # stream, consumer, times delivered
    (\d+)\.(\d+)\.\d+\.(\d+)               # stream seq, consumer seq, timestamp, pending
    (?:\.[^\ .\r\n]+)?                     # random token (12-token form)
    \ (?:(\d+)\ )?(\d+)\r\n""",
    re.VERBOSE,
)
_ACK_PREFIX = "$JS.ACK."
_LAST_CONSUMER = "Nats-Last-Consumer"
_STALLED = "Nats-Consumer-Stalled"


class ReplayError(Exception):
    """The stream could not be read to its end (refused, connection lost, no progress)."""


# Control items, queued between the batches in the order they arose.
@dataclass(frozen=True)
class _End:
    pass


@dataclass(frozen=True)
class _Failed:
    error: Exception


@dataclass(frozen=True)
class _Restart:
    """Messages were missed: a new consumer is needed from the next expected sequence."""

    generation: int
    reason: str


@dataclass(frozen=True)
class _Check:
    """The consumer looks idle: ask the server whether anything is still pending."""

    generation: int


_Item = list[Delivery] | _End | _Failed | _Restart | _Check
_END = _End()


def ack_sequences(reply: str) -> tuple[int, int, int]:
    """(stream sequence, consumer sequence, pending) of a ``$JS.ACK`` reply subject.

    ``$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`` (9 tokens), or
    with the domain and account hash in front and a random token at the end (12; 11
    without the token).
    """
    tokens = reply.split(".")
    if len(tokens) == 9:
        return int(tokens[5]), int(tokens[6]), int(tokens[8])
    if len(tokens) in (11, 12):
        return int(tokens[7]), int(tokens[8]), int(tokens[10])
    raise ReplayError(f"not a JetStream ack subject: {reply!r}")


class _Feed(abc.ABC):
    """The reader's state, whatever carries the messages: sequences, batches, the queue.

    The transport (``_Wire``, ``_Callback``) calls ``_delivered``/``_status``; the
    generator in ``read_stream`` takes items with ``get`` and acts on the control items.
    """

    def __init__(self, *, last: int, start: int, batch_size: int, queued: int) -> None:
        self.last = last
        self.batch_size = batch_size
        self.queued = queued
        self.items: deque[_Item] = deque()
        self.batches = 0  # batches among the items
        self.batch: list[Delivery] = []
        self.sseq = start - 1  # the last stream sequence taken
        self.cseq = 0  # the last consumer sequence of the current consumer
        self.generation = 0  # of the current consumer; 0: none accepted
        self.accepting = False
        self.done = False
        self.held_fc: str | None = None  # a flow-control reply held back while the queue is full
        self.paused = False
        self.last_heard = time.monotonic()
        self._waiter: asyncio.Future[None] | None = None

    # -- transport hooks ------------------------------------------------------------------
    @abc.abstractmethod
    def _reply(self, subject: str) -> None:
        """Publish an empty reply (to a flow-control request)."""

    def _pause(self) -> None:
        self.paused = True

    def _resume(self) -> None:
        self.paused = False

    # -- the queue ------------------------------------------------------------------------
    def _push(self, item: _Item) -> None:
        self.items.append(item)
        if isinstance(item, list):
            self.batches += 1
            if self.batches >= 2 * self.queued and not self.paused:
                self._pause()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self, within: float) -> _Item | None:
        """The next item, or None after ``within`` seconds without one."""
        if not self.items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await asyncio.wait_for(waiter, within)
            except TimeoutError:
                return None
            finally:
                self._waiter = None
        item = self.items.popleft()
        if isinstance(item, list):
            self.batches -= 1
            if self.batches < self.queued:
                self._room()
        return item

    def _room(self) -> None:
        if self.held_fc is not None or self.paused:
            self.last_heard = time.monotonic()  # the server was kept waiting by us, not idle
        if self.held_fc is not None:
            subject, self.held_fc = self.held_fc, None
            self._reply(subject)
        if self.paused:
            self._resume()

    def _flush(self) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            self._push(batch)

    # -- state changes --------------------------------------------------------------------
    def arm(self, generation: int) -> None:
        """Accept the messages of a new consumer (its consumer sequence starts at 1)."""
        self.generation = generation
        self.cseq = 0
        self.held_fc = None
        self.accepting = not self.done

    def finish(self) -> None:
        if not self.done:
            self.done = True
            self.accepting = False
            self._flush()
            self._push(_END)

    def fail(self, error: Exception) -> None:
        if not self.done:
            self.done = True
            self.accepting = False
            self._push(_Failed(error))

    def _gap(self, reason: str) -> None:
        self.accepting = False
        self._push(_Restart(self.generation, reason))

    def _taken(self, pending_zero: bool) -> None:
        """After a message was appended to the batch (its sequence already in ``sseq``)."""
        if self.sseq >= self.last:
            self.finish()
        elif pending_zero:  # nothing after it: the rest up to ``last`` was deleted
            self._flush()
            self._push(_Check(self.generation))
        elif len(self.batch) >= self.batch_size:
            self._flush()

    def _delivered(self, sseq: int, cseq: int, pending_zero: bool, subject: str, data: bytes) -> None:
        if cseq != self.cseq + 1:
            self._gap(f"consumer sequence {cseq} after {self.cseq}")
            return
        self.cseq = cseq
        if sseq > self.last:  # published after the read began: everything before it is in
            self.finish()
            return
        if sseq <= self.sseq:  # never twice
            return
        self.sseq = sseq
        self.batch.append(Delivery(sseq, subject, data))
        self._taken(pending_zero)

    def _flow_control(self, reply: str) -> None:
        if self.batches >= self.queued:
            self.held_fc = reply  # the newest one: the server ignores replies to older ones
        else:
            self._reply(reply)

    def _status(self, reply: str, status: str, headers: dict[str, str]) -> None:
        """A status message on the deliver subject: flow control, heartbeat, or trouble."""
        if status == "100" and reply:
            self._flow_control(reply)
            return
        if status != "100":
            self._gap(f"status {status} on the deliver subject")
            return
        stalled = headers.get(_STALLED)
        if stalled:
            self._flow_control(stalled)
        last_consumer = headers.get(_LAST_CONSUMER)
        if last_consumer is not None and int(last_consumer) != self.cseq:
            self._gap(f"heartbeat says consumer sequence {last_consumer}, last seen {self.cseq}")
        elif not stalled:
            self._push(_Check(self.generation))

    @abc.abstractmethod
    async def subscribe(self, inbox: str, generation: int) -> None:
        """Listen on ``inbox`` for the consumer of ``generation``."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and let go of the transport."""


class _Wire(_Feed, asyncio.Protocol):
    """The data plane on a NATS connection of its own (see the module's docstring)."""

    def __init__(self, *, last: int, start: int, batch_size: int, queued: int) -> None:
        super().__init__(last=last, start=start, batch_size=batch_size, queued=queued)
        self.transport: asyncio.Transport | None = None
        self.sid = b""  # of the current consumer's subscription; b"" matches no message
        self._chunks: list[bytes] = []
        self._have = 0
        self._need = 0  # bytes needed in _chunks before parsing can make progress
        loop = asyncio.get_running_loop()
        self.info: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pongs: deque[asyncio.Future[None]] = deque()

    # -- asyncio.Protocol -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        error = ReplayError(f"the replay connection to NATS was lost: {exc or 'closed by the server'}")
        self._abort(error)

    def data_received(self, data: bytes) -> None:
        self.last_heard = time.monotonic()
        if self._chunks:
            self._chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return
            buf = b"".join(self._chunks)
        else:
            buf = data
        self._need = 0
        pos = self._parse(buf)
        if pos < len(buf):
            rest = buf[pos:]
            self._chunks = [rest]
            self._have = len(rest)
        else:
            self._chunks = []
            self._have = 0

    # -- the protocol ---------------------------------------------------------------------
    def _parse(self, buf: bytes) -> int:
        """Handle every complete operation in ``buf``; the offset of the first incomplete one.

        The hot loop: one match per delivery, the state in locals (written back before
        anything else looks at it).
        """
        n = len(buf)
        pos = 0
        match = _DELIVERY.match
        sid = self.sid if self.accepting else None
        batch = self.batch
        size = self.batch_size
        last = self.last
        cseq = self.cseq
        sseq = self.sseq
        while pos < n:
            m = match(buf, pos)
            if m is None:
                self.cseq, self.sseq = cseq, sseq
                nxt = self._operation(buf, pos)
                if self.done:
                    return n
                if nxt < 0:
                    return pos
                pos = nxt
                sid = self.sid if self.accepting else None
                batch = self.batch
                continue
            start = m.end()
            end = start + int(m[7])
            if end + 2 > n:
                self._need = end + 2 - pos
                break
            pos = end + 2
            if m[2] != sid:
                continue  # an earlier consumer's, or after a gap
            delivered = int(m[4])
            if delivered != cseq + 1:
                self.cseq, self.sseq = cseq, sseq
                self._gap(f"consumer sequence {delivered} after {cseq}")
                sid = None
                continue
            cseq = delivered
            seq = int(m[3])
            if seq > last:  # published after the read began: everything before it is in
                self.cseq, self.sseq = cseq, sseq
                self.finish()
                return n
            if seq <= sseq:  # never twice
                continue
            sseq = seq
            hdr = m[6]
            batch.append(Delivery(seq, m[1].decode(), buf[start + int(hdr) if hdr else start : end]))
            if seq >= last or m[5] == b"0" or len(batch) >= size:
                self.cseq, self.sseq = cseq, sseq
                self._taken(m[5] == b"0")
                if self.done:
                    return n
                batch = self.batch
        self.cseq, self.sseq = cseq, sseq
        return pos

    def _operation(self, buf: bytes, pos: int) -> int:
        """Any operation but a delivery: the offset after it, or -1 if it is incomplete."""
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return -1
        line = buf[pos:eol]
        if line.startswith((b"HMSG ", b"MSG ")):
            args = line.split()
            headers = args[0] == b"HMSG"
            size = int(args[-1])
            header_size = int(args[-2]) if headers else 0
            start = eol + 2
            end = start + size
            if end + 2 > len(buf):
                self._need = end + 2 - pos
                return -1
            if args[2] == self.sid and self.accepting:
                reply = args[3].decode() if len(args) == (6 if headers else 5) else ""
                self._message(reply, buf[start : start + header_size] if headers else b"")
            return end + 2
        if line == b"PING":
            self._write(b"PONG\r\n")
        elif line == b"PONG":
            if self._pongs:
                pong = self._pongs.popleft()
                if not pong.done():
                    pong.set_result(None)
        elif line.startswith(b"INFO "):
            if not self.info.done():
                self.info.set_result(json.loads(line[5:]))
        elif line.startswith(b"-ERR"):
            self._abort(
                ReplayError(f"NATS refused the replay connection: {line[5:].decode(errors='replace')}")
            )
        elif not line.startswith(b"+OK"):
            self._abort(ReplayError(f"unexpected NATS protocol line: {line[:80]!r}"))
        return eol + 2

    def _message(self, reply: str, header_block: bytes) -> None:
        if reply.startswith(_ACK_PREFIX):
            # A delivery the fast pattern did not match: a form this reader does not know.
            self.fail(ReplayError(f"unexpected JetStream ack subject {reply!r}"))
            return
        lines = header_block.decode(errors="replace").split("\r\n")
        # NATS/1.0 <status> <description>
        first = lines[0].split(" ", 2)
        status = first[1] if len(first) > 1 else ""
        headers: dict[str, str] = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip()] = value.strip()
        if not status:
            return  # a plain message on the inbox: not from JetStream
        self._status(reply, status, headers)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _abort(self, error: Exception) -> None:
        if not self.info.done():
            self.info.set_exception(error)
            self.info.exception()  # retrieved: nobody may be waiting for it any more
        while self._pongs:
            pong = self._pongs.popleft()
            if not pong.done():
                pong.set_exception(error)
        self.fail(error)

    # -- _Feed hooks ----------------------------------------------------------------------
    def _reply(self, subject: str) -> None:
        self._write(b"PUB " + subject.encode() + b" 0\r\n\r\n")

    def _pause(self) -> None:
        super()._pause()
        if self.transport is not None:
            self.transport.pause_reading()

    def _resume(self) -> None:
        super()._resume()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    # -- set-up ---------------------------------------------------------------------------
    async def ping(self, within: float) -> None:
        """Return once the server has processed everything written so far."""
        pong = asyncio.get_running_loop().create_future()
        self._pongs.append(pong)
        self._write(b"PING\r\n")
        await asyncio.wait_for(pong, within)

    async def handshake(self, connect: dict[str, Any], within: float) -> bool:
        """CONNECT as ``nc`` did; False when the server wants what this reader cannot do."""
        info = await asyncio.wait_for(asyncio.shield(self.info), within)
        if info.get("tls_required") or not info.get("headers"):
            return False
        self._write(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        await self.ping(within)
        return True

    async def subscribe(self, inbox: str, generation: int) -> None:
        old = self.sid
        self.sid = str(generation).encode()
        self.arm(generation)
        command = b"SUB " + inbox.encode() + b" " + self.sid + b"\r\n"
        if old:
            command += b"UNSUB " + old + b"\r\n"
        self._write(command)
        await self.ping(within=10.0)  # the subscription is in place before the consumer is

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Callback(_Feed):
    """The same reader on a nats-py subscription, for connections ``_Wire`` cannot copy."""

    def __init__(self, nc: NATS, *, last: int, start: int, batch_size: int, queued: int) -> None:
        super().__init__(last=last, start=start, batch_size=batch_size, queued=queued)
        self.nc = nc
        self.sub: Subscription | None = None
        self._room_event = asyncio.Event()
        self._room_event.set()
        self._replies: set[asyncio.Task[None]] = set()

    def _reply(self, subject: str) -> None:
        task = asyncio.get_running_loop().create_task(self.nc.publish(subject, b""))
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)

    def _pause(self) -> None:
        super()._pause()
        self._room_event.clear()

    def _resume(self) -> None:
        super()._resume()
        self._room_event.set()

    def _on_message_for(self, generation: int) -> Callable[[Msg], Any]:
        async def on_message(msg: Msg) -> None:
            if generation != self.generation or not self.accepting:
                return
            self.last_heard = time.monotonic()
            reply = msg.reply or ""
            if reply.startswith(_ACK_PREFIX):
                sseq, cseq, pending = ack_sequences(reply)
                self._delivered(sseq, cseq, pending == 0, msg.subject, msg.data)
                if self.paused and not self.done:
                    # The queue is at twice its size: hold this subscription's task (and
                    # so the flow-control requests behind this message) until there is room.
                    await self._room_event.wait()
            else:
                headers = msg.headers or {}
                status = headers.get("Status", "")
                if status:
                    self._status(reply, status, headers)

        return on_message

    async def subscribe(self, inbox: str, generation: int) -> None:
        old = self.sub
        self.arm(generation)
        self.sub = await self.nc.subscribe(
            inbox, cb=self._on_message_for(generation), pending_msgs_limit=-1, pending_bytes_limit=-1
        )
        if old is not None:
            with contextlib.suppress(Exception):
                await old.unsubscribe()
        await self.nc.flush()

    async def close(self) -> None:
        self._room_event.set()  # a callback waiting for room returns
        if self.sub is not None:
            with contextlib.suppress(Exception):
                await self.sub.unsubscribe()


def connect_options(nc: NATS) -> dict[str, Any] | None:
    """The CONNECT fields that open a connection as ``nc``'s, or None if that cannot be done
    without nats-py (TLS, WebSocket, nkeys, JWT or creds files)."""
    url = nc.connected_url
    if url is None or url.scheme != "nats" or nc.options.get("tls") is not None:
        return None
    for attribute in ("_signature_cb", "_user_jwt_cb", "_user_credentials", "_nkeys_seed", "_nkeys_seed_str"):
        if getattr(nc, attribute, None) is not None:
            return None
    server_info: dict[str, Any] = getattr(nc, "_server_info", None) or {}
    if server_info.get("tls_required"):
        return None
    options: dict[str, Any] = {
        "verbose": False,
        "pedantic": False,
        "lang": "python3",
        "version": "zhiyuan-replay",
        "protocol": 1,
        "headers": True,
        "no_responders": True,
        "echo": False,
    }
    if nc.options.get("name"):
        options["name"] = f"{nc.options['name']} replay"

    def value(option: str) -> Any:
        given = nc.options.get(option)
        return given() if callable(given) else given

    user, password, token = value("user"), value("password"), value("token")
    if user is not None and password is not None:
        options["user"], options["pass"] = user, password
    elif token is not None:
        options["auth_token"] = token
    elif url.username is not None:
        if url.password is None:
            options["auth_token"] = url.username
        else:
            options["user"], options["pass"] = url.username, url.password
    return options


async def _open_wire(nc: NATS, *, last: int, start: int, batch_size: int, queued: int) -> _Wire | None:
    """A connection of the reader's own, or None: nc's cannot be copied, or the server
    would not have the copy (a refusal, e.g. a per-user connection limit, is logged)."""
    connect = connect_options(nc)
    url = nc.connected_url
    if connect is None or url is None or url.hostname is None:
        return None
    loop = asyncio.get_running_loop()
    timeout = float(nc.options.get("connect_timeout") or 2.0)
    wire = _Wire(last=last, start=start, batch_size=batch_size, queued=queued)
    try:
        await asyncio.wait_for(loop.create_connection(lambda: wire, url.hostname, url.port or 4222), timeout)
        if await wire.handshake(connect, timeout):
            return wire
    except (ReplayError, OSError, TimeoutError) as exc:
        log.warning("replay.own_connection_refused", server=url.netloc.rpartition("@")[2], error=str(exc))
    except BaseException:
        await wire.close()
        raise
    await wire.close()
    return None


async def read_stream(
    nc: NATS,
    stream: str,
    *,
    batch_size: int = 5000,
    start_sequence: int = 1,
    idle_heartbeat: float = IDLE_HEARTBEAT,
    queued_batches: int = QUEUED_BATCHES,
    own_connection: bool = True,
) -> AsyncGenerator[list[Delivery], None]:
    """The stream from ``start_sequence`` to its last message when the read began, in
    order, each message once, in batches of at most ``batch_size`` (see the module's
    docstring for the guarantees).

    ``own_connection=False`` reads through a nats-py subscription even where a connection
    of its own is possible (what happens anyway under TLS, nkeys or creds files).
    """
    if batch_size < 1 or queued_batches < 1 or idle_heartbeat <= 0:
        raise ValueError("batch_size and queued_batches must be positive, idle_heartbeat too")
    js = nc.jetstream()
    state = (await js.stream_info(stream)).state
    last = state.last_seq
    start = max(start_sequence, 1)
    if state.messages == 0 or start > last:
        return
    sizes = {"last": last, "start": start, "batch_size": batch_size, "queued": queued_batches}
    wire = await _open_wire(nc, **sizes) if own_connection else None
    feed: _Feed = wire if wire is not None else _Callback(nc, **sizes)
    consumer: str | None = None
    generation = 0
    restarts = 0  # in a row, without a message taken in between
    restarted_at = feed.sseq

    async def begin(from_seq: int) -> None:
        nonlocal consumer, generation
        if consumer is not None:
            old, consumer = consumer, None
            with contextlib.suppress(Exception):
                await js.delete_consumer(stream, old)
        generation += 1
        inbox = nc.new_inbox()
        await feed.subscribe(inbox, generation)  # before the consumer exists: nothing is lost
        config = ConsumerConfig(
            deliver_subject=inbox,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL if from_seq <= 1 else DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=None if from_seq <= 1 else from_seq,
            flow_control=True,
            idle_heartbeat=idle_heartbeat,
            mem_storage=True,
            num_replicas=1,
        )
        info = await js.add_consumer(stream, config)
        consumer = info.name
        feed.last_heard = time.monotonic()
        if info.num_pending == 0 and (info.delivered is None or not info.delivered.consumer_seq):
            feed.finish()  # nothing from from_seq on (deleted, or purged)

    try:
        await begin(start)
        while True:
            item = await feed.get(within=idle_heartbeat)
            if item is None:
                silent = time.monotonic() - feed.last_heard
                if silent > MISSED_HEARTBEATS * idle_heartbeat and not feed.done:
                    item = _Restart(generation, f"no heartbeat for {silent:.1f}s")
                else:
                    continue
            if isinstance(item, list):
                yield item
            elif isinstance(item, _End):
                return
            elif isinstance(item, _Failed):
                raise item.error
            elif isinstance(item, _Check):
                if item.generation == generation and consumer is not None and not feed.done:
                    try:
                        info = await js.consumer_info(stream, consumer)
                    except NotFoundError:
                        feed.items.appendleft(_Restart(generation, "the consumer is gone"))
                        continue
                    delivered = info.delivered.consumer_seq if info.delivered is not None else 0
                    if info.num_pending == 0 and (delivered or 0) <= feed.cseq:
                        feed.finish()
            elif item.generation == generation and not feed.done:  # _Restart
                if feed.sseq > restarted_at:
                    restarts = 0
                restarts += 1
                restarted_at = feed.sseq
                if restarts > MAX_RESTARTS:
                    raise ReplayError(f"reading {stream} makes no progress: {item.reason}")
                await begin(feed.sseq + 1)
    finally:
        if consumer is not None:
            with contextlib.suppress(Exception):
                await js.delete_consumer(stream, consumer)
        await feed.close()
