"""The 24-hours-a-day limit, checked against the minutes already credited to the days a record touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyuan_activities.application.hours import HoursHandlers, ServedTime, _share, day_start
from zhiyuan_activities.domain.rules import EXACT, RuleBroken, minutes_between, minutes_per_local_day

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# 2026-11-20 00:00 in Beijing is 2026-11-19 16:00 UTC.
DAY = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)


def served(*spans: tuple[datetime, timedelta, int]) -> ServedTime:
    time = ServedTime()
    for start, length, minutes in spans:
        time.add(start, start + length, minutes)
    return time


def test_a_day_already_credited_23_hours_takes_one_more_hour_and_no_more() -> None:
    check = HoursHandlers(EXACT)._check
    # Rounded-up credit can exceed the time itself (e.g. 50 minutes counted as an hour):
    # 23 hours credited in 20 hours of the Beijing day of 20 November.
    theirs = served(*((DAY + timedelta(hours=h), timedelta(minutes=50), 60) for h in range(23)))
    check(NOW, DAY + timedelta(hours=23), DAY + timedelta(hours=23, minutes=50), 60, theirs)
    with pytest.raises(RuleBroken) as refused:
        check(NOW, DAY + timedelta(hours=23), DAY + timedelta(hours=23, minutes=50), 61, theirs)
    assert refused.value.rule == "more-than-24-hours" and "2026-11-20" in refused.value.en


def test_only_the_days_a_record_touches_count() -> None:
    check = HoursHandlers(EXACT)._check
    theirs = served(*((DAY + timedelta(hours=h), timedelta(minutes=50), 60) for h in range(24)))  # a full day
    next_day = DAY + timedelta(days=1, hours=2)
    check(NOW, next_day, next_day + timedelta(hours=3), 180, theirs)  # the next Beijing day is free
    overnight = DAY + timedelta(hours=23, minutes=55)  # 23:55 → 00:05: five minutes on the full day
    with pytest.raises(RuleBroken) as refused:
        check(NOW, overnight, overnight + timedelta(minutes=10), 10, theirs)
    assert refused.value.rule == "more-than-24-hours"


def test_a_batch_is_read_with_the_whole_beijing_days_it_touches() -> None:
    late_evening = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 23:30 on the 20th in Beijing
    assert day_start(late_evening) == DAY
    assert day_start(late_evening, after=True) == DAY + timedelta(days=1)
    assert day_start(DAY) == DAY


def _share_by_proportion(start: datetime, end: datetime, minutes: int) -> dict[object, int]:
    """The rule as written: each day's part of the interval, the rest to the last day."""
    per_day = minutes_per_local_day(start, end)
    total = sum(per_day.values()) or 1
    shares = {day: minutes * part // total for day, part in per_day.items()}
    if shares:
        shares[max(shares)] += minutes - sum(shares.values())
    return shares


@settings(max_examples=300)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=0, max_value=3 * 24 * 3600),
    minutes=st.integers(min_value=0, max_value=3 * 24 * 60),
)
def test_a_records_share_of_each_day_is_its_proportion(start: datetime, seconds: int, minutes: int) -> None:
    end = start + timedelta(seconds=seconds)
    shares = _share(start, end, minutes)
    assert shares == _share_by_proportion(start, end, minutes)
    assert sum(shares.values()) == (minutes if minutes_between(start, end) > 0 else 0)


async def test_the_sqlite_read_of_served_time_equals_the_generic_one(acts) -> None:  # type: ignore[no-untyped-def]
    """``_service_records`` on SQLite reads the rows through the driver: same records, same
    intervals and per-day credit as SQLAlchemy's read (revoked, training and out-of-window
    rows left out alike)."""
    import types
    import uuid

    from sqlalchemy import insert

    from zhiyuan_activities.adapters.tables import record_view

    volunteers = [str(uuid.uuid4()) for _ in range(5)]
    rows = []
    for n, v in enumerate(volunteers):
        for h in range(-3, 30, 2):
            start = DAY + timedelta(hours=h, minutes=n)
            rows.append({
                "record_id": str(uuid.uuid4()), "volunteer_id": v, "activity_id": "a", "team_id": "t", "district": "110105",
                "kind": "training" if h == 5 else "service", "minutes": 50 + n, "original_minutes": 50 + n,
                "started_at": start, "ended_at": start + timedelta(minutes=70), "title": "", "place": "", "target_group": "",
                "service_kind": "elderly_care", "policy_version": "exact.v1", "backfilled": False, "late": False,
                "status": "revoked" if h == 7 else "active", "logged_by": "x", "logged_at": "2026-11-23T00:00:00+00:00",
            })
    handlers = HoursHandlers(EXACT)
    async with acts.host.engine.begin() as conn:
        await conn.execute(insert(record_view), rows)
        uow = types.SimpleNamespace(conn=conn)
        since, until = day_start(DAY), day_start(DAY + timedelta(hours=20), after=True)
        fast = await handlers._service_records(uow, volunteers, since, until)  # type: ignore[arg-type]
        conn.dialect.name, name = "generic", conn.dialect.name  # the SQLAlchemy read
        try:
            generic = await handlers._service_records(uow, volunteers, since, until)  # type: ignore[arg-type]
        finally:
            conn.dialect.name = name
    assert set(fast) == set(volunteers)
    for v in volunteers:
        assert sorted(fast[v].intervals) == sorted(generic[v].intervals)
        assert fast[v].credited == generic[v].credited
        assert all(s.tzinfo is not None for s, _ in fast[v].intervals)
