"""Totals, star levels announced exactly once, as-of-date, and rebuild = live, property-based."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.rpc import Request
from zhiyuan_platform.tables import aggregate_sequences, events, outbox
from zhiyuan_recognition.adapters.tables import (
    READ_MODELS,
    minute_ledger,
    service_records,
    volunteer_totals,
    volunteers,
)
from zhiyuan_recognition.domain.star_policy import BEIJING, NATIONAL_DEFAULT
from zhiyuan_recognition.queries import RecognitionQueries
from zhiyuan_recognition.rebuild import consumers, ledger, rebuild

from .conftest import T0, Feed


async def live(engine: AsyncEngine, feed: Feed, *, seed: int = 0, policy=NATIONAL_DEFAULT) -> None:  # type: ignore[no-untyped-def]
    """What the running service does: random batches, redeliveries of earlier batches."""
    rng = random.Random(seed)
    folds = consumers(engine, ledger(policy))
    for stream, deliveries in (("ZY_REGISTRY", feed.registry), ("ZY_ACTIVITIES", feed.activities)):
        i = 0
        while i < len(deliveries):
            size = rng.randint(1, 7)
            batch = deliveries[i : i + size]
            await folds[stream].apply(batch)
            if rng.random() < 0.3:  # crashed before the ack: the same batch comes again
                await folds[stream].apply(batch)
            i += size


async def batches(deliveries: list[Delivery], size: int = 1000) -> AsyncIterator[list[Delivery]]:
    for i in range(0, len(deliveries), size):
        yield deliveries[i : i + size]


async def dump(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    result = {}
    async with engine.connect() as conn:
        for table in READ_MODELS:
            columns = [c for c in table.c if c.name != "id"]
            rows = (await conn.execute(select(*columns))).all()
            result[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return result


async def star_events(engine: AsyncEngine) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(events.c.type, events.c.data).where(events.c.type.like("StarLevel%")).order_by(events.c.position))
        return [(r.type, r.data["level"]) for r in rows]


async def test_totals_star_levels_and_exactly_once_announcements(engine: AsyncEngine) -> None:
    feed = Feed()
    vid = feed.register()
    first = feed.log(vid, 100 * 60, T0 + timedelta(days=1))  # 100 h: one star
    feed.log(vid, 200 * 60, T0 + timedelta(days=2))  # 300 h: two stars
    feed.correct(first, vid, 30 * 60, 100 * 60, T0 + timedelta(days=3))  # 230 h: back to one star
    feed.republish("ZY_ACTIVITIES", 1)
    await live(engine, feed, seed=3)
    assert await star_events(engine) == [("StarLevelAttained", 1), ("StarLevelAttained", 2), ("StarLevelLowered", 1)]
    async with engine.connect() as conn:
        total = await conn.scalar(select(volunteer_totals.c.total_minutes))
        subjects = [r.subject for r in await conn.execute(select(outbox.c.subject).order_by(outbox.c.id))]
    assert total == 230 * 60
    assert subjects == ["zy.recognition.110105.StarLevelAttained"] * 2 + ["zy.recognition.110105.StarLevelLowered"]
    # Replaying everything again (a redelivery storm) announces nothing new.
    await live(engine, feed, seed=4)
    assert len(await star_events(engine)) == 3


async def test_many_levels_reached_in_one_batch_are_each_announced_once_with_the_records_then(engine: AsyncEngine) -> None:
    feed = Feed()
    one, two, both = feed.register(), feed.register(), feed.register()
    first = {v: feed.log(v, 60 * 60, T0 + timedelta(days=1)) for v in (one, two, both)}  # 60 h each
    ready = len(feed.activities)
    late = {
        one: [feed.log(one, 50 * 60, T0 + timedelta(days=2))],  # 110 h: one star
        two: [feed.log(two, 250 * 60, T0 + timedelta(days=2))],  # 310 h: two stars at once
        both: [feed.log(both, 50 * 60, T0 + timedelta(days=2)), feed.log(both, 200 * 60, T0 + timedelta(days=3))],
    }
    folds = consumers(engine, ledger(NATIONAL_DEFAULT))
    await folds["ZY_REGISTRY"].apply(feed.registry)
    await folds["ZY_ACTIVITIES"].apply(feed.activities[:ready])
    await folds["ZY_ACTIVITIES"].apply(feed.activities[ready:])  # the three cross in one batch
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(events.c.stream_id, events.c.version, events.c.type, events.c.data, events.c.meta).where(
                    events.c.type.like("StarLevel%")
                )
            )
        ).all()
    awards = {(r.stream_id.removeprefix("volunteerstar-"), r.version): r for r in rows}
    assert sorted((v, version, awards[(v, version)].data["level"]) for v, version in awards) == sorted(
        [(one, 1, 1), (two, 1, 2), (both, 1, 1), (both, 2, 2)]
    )
    # Each award names the records with minutes when it was reached: "both" reached one
    # star before its last record was in.
    assert sorted(awards[(both, 1)].data["records"]) == sorted([first[both], late[both][0]])
    assert sorted(awards[(both, 2)].data["records"]) == sorted([first[both], *late[both]])
    assert sorted(awards[(two, 1)].data["records"]) == sorted([first[two], *late[two]])
    # ... and is caused by the event that moved the total.
    logged_ids = {d.data: d for d in feed.activities[ready:]}
    assert len(logged_ids) == 4
    caused_by = {json.loads(d)["id"] for d in logged_ids}
    assert {r.meta["causation_id"] for r in rows} == caused_by
    # Delivered again (a crash before the ack), nothing is announced twice.
    await folds["ZY_ACTIVITIES"].apply(feed.activities[ready:])
    assert len(await star_events(engine)) == 4


async def test_a_rebuild_under_another_policy_announces_only_the_levels_that_differ(engine: AsyncEngine) -> None:
    feed = Feed()
    two_here = [feed.register() for _ in range(3)]  # 210 h: one star nationally, two in Beijing
    same = feed.register()  # 120 h: one star under both
    for v in two_here:
        feed.log(v, 210 * 60, T0 + timedelta(days=1))
    feed.log(same, 120 * 60, T0 + timedelta(days=1))
    await live(engine, feed)
    assert sorted(await star_events(engine)) == [("StarLevelAttained", 1)] * 4
    report = await rebuild(engine, BEIJING, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    assert report.announced == 3
    assert sorted(await star_events(engine)) == [("StarLevelAttained", 1)] * 4 + [("StarLevelAttained", 2)] * 3
    async with engine.connect() as conn:
        rows = (await conn.execute(select(events.c.data).where(events.c.type == "StarLevelAttained"))).all()
    assert {r.data["policy_version"] for r in rows if r.data["level"] == 2} == {"beijing.v1"}
    again = await rebuild(engine, BEIJING, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    assert again.announced == 0


async def test_as_of_a_date_and_the_beijing_policy(engine: AsyncEngine) -> None:
    feed = Feed()
    vid = feed.register()
    record = feed.log(vid, 150 * 60, T0 + timedelta(days=1))
    feed.log(vid, 60 * 60, T0 + timedelta(days=10))
    feed.correct(record, vid, 0, 150 * 60, T0 + timedelta(days=20))
    await live(engine, feed, policy=BEIJING)
    queries = RecognitionQueries(BEIJING)
    async with engine.connect() as conn:
        async def at(day: int) -> dict[str, object]:
            date = (T0 + timedelta(days=day)).date()
            return await queries.volunteer_recognition(conn, Request(payload={"volunteer_id": vid, "as_of_date": date.isoformat()}))

        assert ((await at(0))["total_minutes"], (await at(0))["star_level"]) == (0, 0)
        assert ((await at(5))["total_minutes"], (await at(5))["star_level"]) == (150 * 60, 1)
        assert ((await at(15))["total_minutes"], (await at(15))["star_level"]) == (210 * 60, 2)  # Beijing: 200 h is two stars
        now = await queries.volunteer_recognition(conn, Request(payload={"volunteer_id": vid}))
    assert now["total_minutes"] == 60 * 60 and now["star_level"] == 0 and now["next_level_minutes"] == 40 * 60
    assert now["policy_version"] == "beijing.v1"


async def test_a_volunteers_recognition_gives_the_minutes_of_this_year_quarter_and_month(engine: AsyncEngine) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime.now(UTC)
    feed = Feed()
    vid = feed.register()
    served = {now - timedelta(days=d): 60 + d for d in (0, 20, 45, 80, 130, 200, 370, 800)}
    for at, minutes in served.items():
        feed.log(vid, minutes, at)
    await live(engine, feed)
    async with engine.connect() as conn:
        answer = await RecognitionQueries(NATIONAL_DEFAULT).volunteer_recognition(conn, Request(payload={"volunteer_id": vid}))
    here = now.astimezone(shanghai)

    def within(same: Any) -> int:
        return sum(m for at, m in served.items() if same(at.astimezone(shanghai)))

    expected = {
        "year": within(lambda t: t.year == here.year),
        "quarter": within(lambda t: t.year == here.year and (t.month - 1) // 3 == (here.month - 1) // 3),
        "month": within(lambda t: (t.year, t.month) == (here.year, here.month)),
    }
    assert {kind: p["minutes"] for kind, p in answer["periods"].items()} == expected
    assert expected["month"] >= 60  # the record of today counts in every period
    assert answer["periods"]["month"]["period"] == f"{here.year}-{here.month:02d}"
    assert answer["total_minutes"] == sum(served.values())
    assert answer["registration_no"] == "110105001-000001"


async def test_a_move_keeps_history_and_district_views_count_where_served(engine: AsyncEngine) -> None:
    feed = Feed()
    vid = feed.register("110105")
    feed.log(vid, 120, T0 + timedelta(days=1), district="110105")
    feed.move(vid, "110108", T0 + timedelta(days=2))
    feed.log(vid, 60, T0 + timedelta(days=3), district="110108")
    await live(engine, feed)
    async with engine.connect() as conn:
        row = (await conn.execute(select(volunteer_totals))).one()
        served = dict((await conn.execute(select(service_records.c.district, func.sum(service_records.c.minutes)).group_by(service_records.c.district))).all())
        home = await conn.scalar(select(volunteers.c.district))
    assert row.total_minutes == 180 and row.district == "110108" and home == "110108"
    assert served == {"110105": 120, "110108": 60}


PLANS = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.sampled_from(["log", "log", "log", "correct", "revoke", "move", "republish"]),
        st.integers(1, 400 * 60),
    ),
    min_size=1,
    max_size=40,
)


def history(plan: list[tuple[int, str, int]], seed: int) -> tuple[Feed, dict[str, tuple[str, int]]]:
    """Five volunteers and what ``plan`` does to them; the records' final minutes."""
    feed = Feed()
    people = [feed.register() for _ in range(5)]
    records: dict[str, tuple[str, int]] = {}
    for day, (who, action, minutes) in enumerate(plan, start=1):
        at = T0 + timedelta(days=day)
        vid = people[who]
        mine = [r for r, (v, m) in records.items() if v == vid and m > 0]
        if action == "log" or (action in ("correct", "revoke") and not mine):
            records[feed.log(vid, minutes, at)] = (vid, minutes)
        elif action == "correct":
            record = mine[0]
            feed.correct(record, vid, minutes, records[record][1], at)
            records[record] = (vid, minutes)
        elif action == "revoke":
            record = mine[-1]
            feed.correct(record, vid, 0, records[record][1], at)
            records[record] = (vid, 0)
        elif action == "move":
            feed.move(vid, "110108", at)
        elif feed.activities:
            feed.republish("ZY_ACTIVITIES", seed % len(feed.activities))
    return feed, records


async def wipe(engine: AsyncEngine) -> None:
    """Everything recognition holds, its own events too (one database serves every example)."""
    from zhiyuan_platform.tables import aggregate_sequences, tracking

    async with engine.begin() as conn:
        for table in (*READ_MODELS, events, outbox, tracking, aggregate_sequences):
            await conn.execute(delete(table))


async def star_events_in_full(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(events.c.stream_id, events.c.type, events.c.data).where(events.c.type.like("StarLevel%")).order_by(events.c.position)
        )
        return [(r.stream_id, r.type, r.data["level"], r.data["total_minutes"], sorted(r.data.get("records", []))) for r in rows]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=PLANS, seed=st.integers(0, 1000))
async def test_rebuild_equals_live_on_any_history(engine: AsyncEngine, plan: list[tuple[int, str, int]], seed: int) -> None:
    await wipe(engine)
    feed, records = history(plan, seed)
    await live(engine, feed, seed=seed)
    live_state, announced = await dump(engine), await star_events(engine)
    report = await rebuild(engine, NATIONAL_DEFAULT, {"ZY_REGISTRY": batches(feed.registry, 3), "ZY_ACTIVITIES": batches(feed.activities, 4)})
    assert await dump(engine) == live_state
    assert await star_events(engine) == announced  # a rebuild re-announces nothing
    assert report.announced == 0
    async with engine.connect() as conn:
        ledger_total = await conn.scalar(select(func.coalesce(func.sum(service_records.c.logged_minutes), 0))) + await conn.scalar(
            select(func.coalesce(func.sum(minute_ledger.c.delta), 0))
        )
    assert ledger_total == sum(m for _, m in records.values())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=PLANS, seed=st.integers(0, 1000))
async def test_a_rebuild_past_its_memory_budget_folds_as_live_to_the_same_result(
    engine: AsyncEngine, plan: list[tuple[int, str, int]], seed: int
) -> None:
    await wipe(engine)
    feed, _ = history(plan, seed)
    totals = {"ZY_REGISTRY": len(feed.registry), "ZY_ACTIVITIES": len(feed.activities)}
    sources = lambda: {"ZY_REGISTRY": batches(feed.registry, 5), "ZY_ACTIVITIES": batches(feed.activities, 5)}  # noqa: E731
    in_memory = await rebuild(engine, NATIONAL_DEFAULT, sources(), totals=totals)
    state, announced = await dump(engine), await star_events(engine)
    bounded = await rebuild(engine, NATIONAL_DEFAULT, sources(), totals=totals, memory_budget=0)
    assert (in_memory.in_memory, bounded.in_memory) == (True, False)
    assert await dump(engine) == state
    assert await star_events(engine) == announced
    assert bounded.applied == in_memory.applied


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=PLANS, seed=st.integers(0, 1000))
async def test_batch_boundaries_change_nothing(engine: AsyncEngine, plan: list[tuple[int, str, int]], seed: int) -> None:
    """The ledger folds whole batches in memory: one event at a time and all events at once
    give the same tables and announce the same levels, in the same order, with the same totals."""
    feed, _ = history(plan, seed)
    results = []
    for size in (1, 10_000):
        await wipe(engine)
        folds = consumers(engine, ledger(NATIONAL_DEFAULT))
        for stream, deliveries in (("ZY_REGISTRY", feed.registry), ("ZY_ACTIVITIES", feed.activities)):
            async for batch in batches(deliveries, size):
                await folds[stream].apply(batch)
        results.append((await dump(engine), await star_events_in_full(engine)))
    assert results[0] == results[1]


async def test_a_rebuild_under_another_policy_announces_exactly_the_differences(engine: AsyncEngine) -> None:
    feed = Feed()
    one, two, three = feed.register(), feed.register(), feed.register()
    feed.log(one, 250 * 60, T0 + timedelta(days=1))  # national: one star; Beijing (200 h): two
    feed.log(two, 120 * 60, T0 + timedelta(days=1))  # one star under both
    feed.log(three, 50 * 60, T0 + timedelta(days=1))  # none under both
    await live(engine, feed)
    assert await star_events(engine) == [("StarLevelAttained", 1), ("StarLevelAttained", 1)]
    report = await rebuild(engine, BEIJING, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    assert report.announced == 1
    assert (await star_events_in_full(engine))[-1][1:4] == ("StarLevelAttained", 2, 250 * 60)
    again = await rebuild(engine, BEIJING, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    assert again.announced == 0  # and a second rebuild finds nothing left to announce


async def _indexes(engine: AsyncEngine) -> dict[str, list[str]]:
    def read(conn: Any) -> dict[str, list[str]]:
        inspector = inspect(conn)
        return {t: sorted(str(i["name"]) for i in inspector.get_indexes(t)) for t in ("service_records", "minute_ledger")}

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def test_a_rebuild_leaves_every_index_the_migrations_made_even_when_it_fails(engine: AsyncEngine) -> None:
    # The big read models are filled without their secondary indexes, which are built
    # once at the end: a user of the rebuilt service must find every one of them again.
    migrated = await _indexes(engine)
    assert "ix_service_records_volunteer_id" in migrated["service_records"]
    feed = Feed()
    vid = feed.register()
    feed.log(vid, 60, T0 + timedelta(days=1))
    await rebuild(engine, NATIONAL_DEFAULT, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    assert await _indexes(engine) == migrated

    async def broken() -> AsyncIterator[list[Delivery]]:
        yield feed.activities
        raise ConnectionError("the stream went away")

    with pytest.raises(ConnectionError):
        await rebuild(engine, NATIONAL_DEFAULT, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": broken()})
    assert await _indexes(engine) == migrated


async def test_a_rebuild_keeps_what_other_consumers_tracked(engine: AsyncEngine) -> None:
    # reset empties recognition's own tracking (TRUNCATE on PostgreSQL only when nobody
    # else has rows there); another consumer's positions in the same database stay.
    async with engine.begin() as conn:
        await conn.execute(aggregate_sequences.insert().values(consumer="district-110105", aggregate_id="a1", sequence=7))
    feed = Feed()
    feed.log(feed.register(), 60, T0 + timedelta(days=1))
    await rebuild(engine, NATIONAL_DEFAULT, {"ZY_REGISTRY": batches(feed.registry), "ZY_ACTIVITIES": batches(feed.activities)})
    async with engine.connect() as conn:
        kept = (await conn.execute(select(aggregate_sequences.c.consumer, aggregate_sequences.c.sequence))).all()
    assert ("district-110105", 7) in [tuple(r) for r in kept]
    assert {r.consumer for r in kept} == {"district-110105", "recognition-registry", "recognition-activities"}


async def test_a_rebuild_applies_what_the_live_handlers_apply_and_dead_letters_as_they_do(engine: AsyncEngine) -> None:
    # The replay folds the frequent events itself and leaves status changes and the
    # organization to the live handlers, afterwards, in order; a correction of a record
    # nobody logged fails its handler in both, and is dead-lettered in both.
    from zhiyuan_platform.tables import dead_letters

    feed = Feed()
    vid, other = feed.register(), feed.register("110108")
    feed._add(feed.registry, "registry", "VolunteerSuspended", vid, "110105", {"volunteer_id": vid, "reason": "核查中"}, T0)
    feed._add(feed.registry, "registry", "UnitRegistered", "u-1", "110105", {
        "unit_id": "u-1", "name": "朝阳区某街道办", "unit_type": "party_government", "community": "110105001026", "headcount": 40,
    }, T0)
    feed._add(feed.registry, "registry", "TeamRegistered", "t-1", "110105", {
        "team_id": "t-1", "name": "永安里服务队", "district": "110105", "community": "110105001026", "kind": "community", "unit": "u-1",
    }, T0)
    feed._add(feed.registry, "registry", "VolunteerReinstated", vid, "110105", {"volunteer_id": vid, "reason": "核查完毕"}, T0)
    feed._add(feed.registry, "registry", "VolunteerSuspended", other, "110108", {"volunteer_id": other, "reason": "核查中"}, T0)
    logged = feed.log(vid, 120, T0 + timedelta(days=1))
    feed.correct("never-logged-1", other, 30, 60, T0 + timedelta(days=2))
    feed.correct(logged, vid, 90, 120, T0 + timedelta(days=3))
    await wipe(engine)
    await live(engine, feed)
    built_live = await dump(engine)
    assert {r[0]: r[5] for r in built_live["volunteers"]} == {vid: "active", other: "suspended"}
    assert [r[0] for r in built_live["teams"]] == ["t-1"] and [r[0] for r in built_live["units"]] == ["u-1"]

    report = await rebuild(engine, NATIONAL_DEFAULT, {"ZY_REGISTRY": batches(feed.registry, 2), "ZY_ACTIVITIES": batches(feed.activities, 2)})
    assert await dump(engine) == built_live
    assert report.dead_lettered == 1
    assert report.applied == {"ZY_REGISTRY": 7, "ZY_ACTIVITIES": 2}
    async with engine.connect() as conn:
        reasons = list(await conn.scalars(select(dead_letters.c.reason)))
    assert len(reasons) == 1 and reasons[0].startswith("handler failed: LookupError('correction of unknown service record never-logged-1')")
