"""Loading the history into JetStream (untimed) and reading it back as fast as it goes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from zhiyuan_contracts.streams import stream_for
from zhiyuan_platform.messaging import ensure_stream

from .history import History, Message, chunks

ATOMIC_BATCH = 1000


async def provision(nc: NATS) -> None:
    for context in ("registry", "activities"):
        await ensure_stream(nc, stream_for(context))


async def publish_atomic(nc: NATS, messages: list[Message]) -> None:
    """As the outbox relay does: atomic batches of 1,000, ``Nats-Msg-Id`` = event id."""
    for batch in chunks(messages, ATOMIC_BATCH):
        batch_id = str(uuid.uuid4())
        last = len(batch)
        for i, m in enumerate(batch, start=1):
            headers = {"Nats-Msg-Id": m.msg_id, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i)}
            if i == last:
                headers["Nats-Batch-Commit"] = "1"
            if i == 1 or i == last:
                reply = await nc.request(m.subject, m.body, timeout=30, headers=headers)
                answer = json.loads(reply.data) if reply.data else {}
                if "error" in answer:
                    raise RuntimeError(f"batch refused: {answer['error']}")
            else:
                await nc.publish(m.subject, m.body, headers=headers)


async def load(nc: NATS, history: History) -> float:
    """Publish both streams; returns the seconds it took (not a measured figure)."""
    await provision(nc)
    started = time.perf_counter()
    for stream, messages in history.streams().items():
        await publish_atomic(nc, messages)
        info = await nc.jetstream().stream_info(stream)
        if info.state.messages != len(messages):
            raise RuntimeError(f"{stream} holds {info.state.messages} messages, expected {len(messages)}")
    return time.perf_counter() - started


async def raw_read(nc: NATS, stream: str, *, pending: int = 200_000) -> tuple[int, float]:
    """An ordered push consumer reading the whole stream, doing nothing with the messages."""
    js = nc.jetstream()
    info = await js.stream_info(stream)
    last = info.state.last_seq
    subject = f"zy.{stream.removeprefix('ZY_').lower()}.>"
    started = time.perf_counter()
    sub = await js.subscribe(subject, ordered_consumer=True, stream=stream, pending_msgs_limit=pending)
    count = 0
    try:
        while True:
            msg = await sub.next_msg(timeout=5)
            count += 1
            if msg.metadata.sequence.stream >= last:
                break
    finally:
        await sub.unsubscribe()
    return count, time.perf_counter() - started


async def raw_read_callback(nc: NATS, stream: str) -> tuple[int, float]:
    """An ordered push consumer (ephemeral, AckNone, flow control) with a message callback."""
    js = nc.jetstream()
    last = (await js.stream_info(stream)).state.last_seq
    inbox = nc.new_inbox()
    done = asyncio.Event()
    count = 0

    async def on_message(msg: object) -> None:
        nonlocal count
        reply = getattr(msg, "reply", "") or ""
        if reply.startswith("$JS.ACK."):
            count += 1
            if count >= last:
                done.set()
        elif reply:  # flow control
            await nc.publish(reply, b"")

    started = time.perf_counter()
    sub = await nc.subscribe(inbox, cb=on_message, pending_msgs_limit=-1, pending_bytes_limit=-1)
    consumer = await js.add_consumer(
        stream,
        ConsumerConfig(
            deliver_subject=inbox,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            flow_control=True,
            idle_heartbeat=5.0,
            mem_storage=True,
            num_replicas=1,
        ),
    )
    try:
        await asyncio.wait_for(done.wait(), timeout=300)
    finally:
        seconds = time.perf_counter() - started
        await sub.unsubscribe()
        await js.delete_consumer(stream, consumer.name)
    return count, seconds


async def raw_read_ours(nc: NATS, stream: str) -> tuple[int, float]:
    """The replay's own reader, ``zhiyuan_platform.replay.read_stream``, doing nothing with the batches."""
    from zhiyuan_platform.replay import read_stream

    count = 0
    started = time.perf_counter()
    async for batch in read_stream(nc, stream):
        count += len(batch)
    return count, time.perf_counter() - started
