"""The subscriber kit's DistrictFollower against the real feed: the local copy, durable
resume (nothing missed, nothing twice), replay from a sequence or a time, and the
version policy with a dummy v2 published beside v1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhiyuan_contracts.catalogue import versioned_event_id
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_contracts.examples import ACTIVITY_ID, RECORD_ID, VOLUNTEER_ID
from zhiyuan_district_client import DEFAULT_HANDLERS, DistrictFollower, EventOutcome, Since
from zhiyuan_district_client.store import DistrictStore
from zhiyuan_platform.natsconf import district_user

from .conftest import A, B, Feed, event

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]

REGISTERED = "zhiyuan.registry.VolunteerRegistered.v1"
REGISTERED_V2 = "zhiyuan.registry.VolunteerRegistered.v2"


def follower(feed: Feed, store: Path, code: str = A, **options: object) -> DistrictFollower:
    return DistrictFollower(
        feed.url,
        district_user(code),
        feed.districts[code],
        code,
        store=store,
        **options,  # type: ignore[arg-type]
    )


async def test_the_local_copy_of_volunteers_activities_and_hours(feed: Feed, tmp_path: Path) -> None:
    other = "6c1d8e2f-4a3b-4c5d-9e6f-7a8b9c0d1e2f"
    story = [
        event(REGISTERED, A),
        event(REGISTERED, A, volunteer_id=other, name_masked="李*", registration_no="ZY110101-2026-000124"),
        event("zhiyuan.activities.ActivityPublished.v1", A),
        event("zhiyuan.activities.HoursLogged.v1", A, minutes=180),
        event("zhiyuan.activities.HoursLogged.v1", A, record_id="r-2", volunteer_id=other, minutes=60),
        event("zhiyuan.activities.HoursCorrected.v1", A, minutes=150, previous_minutes=180),
        event(
            "zhiyuan.activities.HoursRevoked.v1", A, record_id="r-2", volunteer_id=other, previous_minutes=60
        ),
        event("zhiyuan.recognition.StarLevelAttained.v1", A, level=1, total_minutes=150),
        event("zhiyuan.registry.VolunteerSuspended.v1", A, volunteer_id=other),
        event(
            "zhiyuan.activities.ActivityCompleted.v1", A, participants=2, total_minutes=150, people_served=40
        ),
        event("zhiyuan.registry.TeamRegistered.v1", A),  # known, not kept in this copy
        # B's, never to be seen here.
        event(REGISTERED, B, volunteer_id="b-volunteer"),
        event(
            "zhiyuan.activities.HoursLogged.v1",
            B,
            record_id="b-record",
            volunteer_id=VOLUNTEER_ID,
            minutes=999,
        ),
    ]
    for ce in story:
        await feed.publish(ce)
    await feed.wait_district(A, 11)

    async with follower(feed, tmp_path / "a.sqlite3", durable="copy") as f:
        assert await f.catch_up() == 11
        store = f.store
        volunteers = {v["volunteer_id"]: v for v in store.volunteers()}
        assert set(volunteers) == {VOLUNTEER_ID, other}
        assert volunteers[VOLUNTEER_ID]["name_masked"] == "张*明"
        assert volunteers[VOLUNTEER_ID]["status"] == "active"
        assert volunteers[VOLUNTEER_ID]["community"] == "110101001001"
        assert volunteers[other]["status"] == "suspended"
        [activity] = store.activities()
        assert activity["activity_id"] == ACTIVITY_ID and activity["status"] == "completed"
        assert activity["people_served"] == 40
        records = {r["record_id"]: r for r in store.records()}
        assert records[RECORD_ID]["minutes"] == 150 and records[RECORD_ID]["status"] == "corrected"
        assert records[RECORD_ID]["logged_minutes"] == 180
        assert records["r-2"]["minutes"] == 0 and records["r-2"]["status"] == "revoked"
        assert "b-record" not in records
        assert store.totals(VOLUNTEER_ID) == {
            "volunteer_id": VOLUNTEER_ID,
            "minutes": 150,
            "records": 1,
            "star_level": 1,
        }
        assert store.totals(other)["minutes"] == 0 and store.totals(other)["records"] == 0
        assert store.summary()["minutes"] == 150
        assert store.outcomes() == {"applied": 10, "ignored": 1}


async def test_events_of_an_atomic_batch_reach_the_district(feed: Feed, tmp_path: Path) -> None:
    """The relay publishes in atomic batches: a batch mixing districts is split by them."""
    batch = [
        event("zhiyuan.activities.HoursLogged.v1", code, record_id=f"{code}-{i}", minutes=15)
        for i in range(6)
        for code in (A, B)
    ]
    await feed.publish_batch(batch)
    await feed.wait_district(A, 6)
    await feed.wait_district(B, 6)
    seen: list[EventOutcome] = []
    async with follower(feed, tmp_path / "a.sqlite3", durable="batch", on_event=seen.append) as f:
        await f.catch_up()
        assert [o.id for o in seen] == [ce.id for ce in batch if ce.district == A]
        assert f.store.totals(VOLUNTEER_ID)["minutes"] == 6 * 15


async def test_a_follower_that_disconnects_misses_nothing_and_gets_nothing_twice(
    feed: Feed, tmp_path: Path
) -> None:
    first_batch = [
        event("zhiyuan.activities.HoursLogged.v1", A, record_id=f"r{i}", minutes=10) for i in range(30)
    ]
    for ce in first_batch:
        await feed.publish(ce)
    await feed.wait_district(A, 30)
    store = tmp_path / "a.sqlite3"
    seen: list[EventOutcome] = []

    before = follower(feed, store, durable="resume", batch=5, on_event=seen.append)
    assert await before.catch_up(limit=12) == 12
    await before.close()  # offline, mid-way
    delivered_before = [o.id for o in seen]
    assert delivered_before == [ce.id for ce in first_batch[:12]]

    second_batch = [
        event("zhiyuan.activities.HoursLogged.v1", A, record_id=f"s{i}", minutes=5) for i in range(10)
    ]
    for ce in second_batch:
        await feed.publish(ce)
    await feed.wait_district(A, 40)

    seen.clear()
    async with follower(feed, store, durable="resume", batch=7, on_event=seen.append) as after:
        assert await after.catch_up() == 28
        assert [o.id for o in seen] == [ce.id for ce in first_batch[12:] + second_batch]
        assert {o.outcome for o in seen} == {"applied"}
        assert await after.pending() == 0
        assert after.store.totals(VOLUNTEER_ID) == {
            "volunteer_id": VOLUNTEER_ID,
            "minutes": 30 * 10 + 10 * 5,
            "records": 40,
            "star_level": 0,
        }
        assert after.store.summary()["events"] == 40


async def test_a_crash_between_commit_and_ack_is_recognised_by_the_event_id(
    feed: Feed, tmp_path: Path
) -> None:
    for i in range(3):
        await feed.publish(event("zhiyuan.activities.HoursLogged.v1", A, record_id=f"c{i}", minutes=30))
    await feed.wait_district(A, 3)
    store = tmp_path / "a.sqlite3"
    crashed = follower(feed, store, durable="crashy", ack_wait=1.0)
    await crashed.connect()
    # The commit happens, the acknowledgement never leaves: the consumer redelivers.
    [msg] = await crashed._sub.fetch(1, timeout=2)
    assert crashed.store.apply(msg.data, msg.metadata.sequence.stream).outcome == "applied"
    await crashed.close()

    seen: list[EventOutcome] = []
    await asyncio.sleep(1.1)  # the ack wait of the lost acknowledgement
    async with follower(feed, store, durable="crashy", on_event=seen.append) as again:
        await again.catch_up()
        assert sorted(o.outcome for o in seen) == ["applied", "applied", "duplicate"]
        assert again.store.totals(VOLUNTEER_ID)["minutes"] == 90
        assert again.store.totals(VOLUNTEER_ID)["records"] == 3


async def test_replay_from_a_sequence_or_a_time(feed: Feed, tmp_path: Path) -> None:
    early = [event(REGISTERED, A, volunteer_id=f"v{i}") for i in range(5)]
    for ce in early:
        await feed.publish(ce)
    await feed.wait_district(A, 5)
    await asyncio.sleep(0.05)
    boundary = datetime.now(UTC)
    await asyncio.sleep(0.05)
    late = [event(REGISTERED, A, volunteer_id=f"w{i}") for i in range(4)]
    for ce in late:
        await feed.publish(ce)
    await feed.wait_district(A, 9)

    cases: list[tuple[Since, list[CloudEvent]]] = [
        (Since.start(), early + late),
        (Since.sequence(4), early[3:] + late),
        (Since.time(boundary), late),
    ]
    for i, (since, expected) in enumerate(cases):
        seen: list[EventOutcome] = []
        async with follower(
            feed, tmp_path / f"{i}.sqlite3", durable=f"replay{i}", since=since, on_event=seen.append
        ) as f:
            await f.catch_up()
        assert [o.id for o in seen] == [ce.id for ce in expected], since

    # An existing durable resumes: `since` only shapes a new one.
    seen = []
    async with follower(
        feed, tmp_path / "0.sqlite3", durable="replay0", since=Since.sequence(1), on_event=seen.append
    ) as f:
        await f.catch_up()
    assert seen == []


def _v2_twin(v1: CloudEvent) -> CloudEvent:
    """A dummy v2 of VolunteerRegistered: same subject, sequence and district; the data
    reshaped (skills become objects); the id derived from v1's."""
    data = dict(v1.data)
    data["skills"] = [{"kind": s, "certified": False} for s in v1.data["skills"]]
    return CloudEvent(
        id=versioned_event_id(v1.id, REGISTERED_V2),
        source=v1.source,
        type=REGISTERED_V2,
        subject=v1.subject,
        time=v1.time,
        district=v1.district,
        sequence=v1.sequence,
        data=data,
        correlationid=v1.correlationid,
    )


async def test_a_v2_published_beside_v1(feed: Feed, tmp_path: Path) -> None:
    v1 = event(REGISTERED, A)
    v2 = _v2_twin(v1)
    # The producer publishes the pair on the same subject, v1 first; a re-publication of
    # either (a relay retry, a republish after a loss) is dropped by JetStream.
    first = [await feed.publish(v1), await feed.publish_raw(f"zy.registry.{A}.VolunteerRegistered", v2)]
    again = [await feed.publish(v1), await feed.publish_raw(f"zy.registry.{A}.VolunteerRegistered", v2)]
    assert [bool(a.duplicate) for a in first] == [False, False]
    assert [bool(a.duplicate) for a in again] == [True, True]
    assert [a.seq for a in again] == [a.seq for a in first]
    # After v1's window only v2 is published (a volunteer registered later).
    v2_only = _v2_twin(event(REGISTERED, A, volunteer_id="v2-only"))
    await feed.publish_raw(f"zy.registry.{A}.VolunteerRegistered", v2_only)
    await feed.wait_district(A, 3)
    await asyncio.sleep(0.2)
    assert await feed.district_count(A) == 3

    # A follower that knows v1 only: applies v1, skips (and records) the v2 types.
    async with follower(feed, tmp_path / "v1.sqlite3", durable="knows-v1") as f:
        await f.catch_up()
        assert f.store.event(v1.id)["outcome"] == "applied"  # type: ignore[index]
        assert f.store.event(v2.id)["outcome"] == "skipped"  # type: ignore[index]
        assert f.store.event(v2_only.id)["outcome"] == "skipped"  # type: ignore[index]
        assert [v["volunteer_id"] for v in f.store.volunteers()] == [VOLUNTEER_ID]

    # A follower upgraded to v2: the twin of an applied v1 is not applied again; a v2
    # without a v1 is applied.
    applied_v2: list[str] = []

    def registered_v2(conn, ce):  # type: ignore[no-untyped-def]
        applied_v2.append(ce.id)
        conn.execute(
            "INSERT INTO volunteers (volunteer_id, status, community, updated_at) VALUES (?, 'active', ?, ?)",
            (ce.data["volunteer_id"], ce.data["community"], ce.time),
        )

    handlers = {**DEFAULT_HANDLERS, REGISTERED_V2: registered_v2}
    async with follower(feed, tmp_path / "v2.sqlite3", durable="knows-v2", handlers=handlers) as f:
        await f.catch_up()
        assert f.store.event(v1.id)["outcome"] == "applied"  # type: ignore[index]
        assert f.store.event(v2.id)["outcome"] == "twin"  # type: ignore[index]
        assert f.store.event(v2_only.id)["outcome"] == "applied"  # type: ignore[index]
        assert applied_v2 == [v2_only.id]
        assert sorted(v["volunteer_id"] for v in f.store.volunteers()) == sorted([VOLUNTEER_ID, "v2-only"])


def test_twins_are_recognised_whichever_version_comes_first(tmp_path: Path) -> None:
    """The store on its own: v2 first, then v1 (a consumer must not rely on the order)."""
    from zhiyuan_contracts.envelope import encode

    applied: list[str] = []
    handlers = {**DEFAULT_HANDLERS, REGISTERED_V2: lambda _conn, ce: applied.append(ce.id)}
    store = DistrictStore(tmp_path / "s.sqlite3", A, handlers)
    v1 = event(REGISTERED, A)
    v2 = _v2_twin(v1)
    assert store.apply(encode(v2), 1).outcome == "applied"
    assert store.apply(encode(v1), 2).outcome == "twin"
    assert store.apply(encode(v1), 2).outcome == "duplicate"
    assert store.apply(b"not json", 3).outcome == "rejected"
    assert applied == [v2.id] and store.volunteers() == []
    assert store.last_stream_seq() == 2
    store.close()
    with pytest.raises(ValueError, match="holds district"):
        DistrictStore(tmp_path / "s.sqlite3", B)
