"""Shared rules of activities and hours: time zones, local days, rounding, working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhiyuan_activities.domain.rules import (
    CHONGQING,
    EXACT,
    NOT_SERVICE_KINDS,
    ROUNDING_POLICIES,
    SHANGHAI,
    RoundingPolicy,
    RuleBroken,
    aware,
    local_day,
    minutes_between,
    minutes_per_local_day,
    working_days_after,
)

FAST = settings(max_examples=100, deadline=None)

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


# -- time --------------------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_with_rule_naive_time() -> None:
    with pytest.raises(RuleBroken) as refused:
        aware(datetime(2030, 5, 10, 9, 0), "starts_at")
    assert refused.value.rule == "naive-time"
    assert refused.value.field == "starts_at"


def test_an_aware_datetime_passes_unchanged() -> None:
    moment = datetime(2030, 5, 10, 9, 0, tzinfo=UTC)
    assert aware(moment, "starts_at") is moment


def test_local_day_is_cut_in_shanghai_not_utc() -> None:
    # 16:30 UTC is 00:30 the next day in Asia/Shanghai (UTC+8).
    assert local_day(datetime(2030, 5, 10, 16, 30, tzinfo=UTC)) == date(2030, 5, 11)
    assert local_day(datetime(2030, 5, 10, 15, 59, tzinfo=UTC)) == date(2030, 5, 10)


def test_an_overnight_slot_splits_its_minutes_over_the_two_shanghai_days() -> None:
    # 22:00-02:00 Asia/Shanghai = 14:00-18:00 UTC.
    start = datetime(2030, 5, 10, 14, 0, tzinfo=UTC)
    end = datetime(2030, 5, 10, 18, 0, tzinfo=UTC)
    assert minutes_per_local_day(start, end) == {date(2030, 5, 10): 120, date(2030, 5, 11): 120}


def test_a_slot_within_one_shanghai_day_stays_on_that_day() -> None:
    start = datetime(2030, 5, 10, 1, 0, tzinfo=UTC)  # 09:00 local
    end = datetime(2030, 5, 10, 5, 30, tzinfo=UTC)  # 13:30 local
    assert minutes_per_local_day(start, end) == {date(2030, 5, 10): 270}


def test_a_multi_day_interval_gives_full_days_in_the_middle() -> None:
    start = datetime(2030, 5, 10, 14, 0, tzinfo=SHANGHAI)
    end = datetime(2030, 5, 12, 10, 0, tzinfo=SHANGHAI)
    assert minutes_per_local_day(start, end) == {
        date(2030, 5, 10): 600,
        date(2030, 5, 11): 1440,
        date(2030, 5, 12): 600,
    }


@FAST
@given(start=instants, length=st.integers(min_value=0, max_value=5 * 24 * 60))
def test_minutes_per_local_day_keeps_every_minute_and_no_day_exceeds_24_hours(
    start: datetime, length: int
) -> None:
    end = start + timedelta(minutes=length)
    per_day = minutes_per_local_day(start, end)
    assert sum(per_day.values()) == minutes_between(start, end) == length
    assert all(0 < minutes <= 24 * 60 for minutes in per_day.values())
    assert sorted(per_day) == list(per_day)
    assert all(local_day(start) <= day <= local_day(end) for day in per_day)


def test_minutes_with_seconds_across_midnight_are_not_lost() -> None:
    # 21:59:30-02:00:30 local: 240 whole minutes, split over the two days without losing one.
    start = datetime(2030, 5, 10, 13, 59, 30, tzinfo=UTC)
    end = datetime(2030, 5, 10, 18, 0, 30, tzinfo=UTC)
    per_day = minutes_per_local_day(start, end)
    assert sum(per_day.values()) == minutes_between(start, end) == 241
    assert set(per_day) == {date(2030, 5, 10), date(2030, 5, 11)}


# -- rounding ---------------------------------------------------------------------------------


def test_the_policies_are_registered_by_version() -> None:
    assert ROUNDING_POLICIES == {"exact.v1": EXACT, "chongqing-15-45.v1": CHONGQING}


@FAST
@given(minutes=st.integers(min_value=0, max_value=100_000))
def test_exact_policy_returns_the_minutes_attended(minutes: int) -> None:
    assert EXACT.round(minutes) == minutes


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, 0),
        (1, 0),
        (15, 0),  # ≤15 minutes of an hour count nothing
        (16, 30),
        (30, 30),
        (45, 30),  # 15–45 count half an hour
        (46, 60),  # over 45 counts a full hour
        (59, 60),
        (60, 60),
        (75, 60),
        (80, 90),
        (105, 90),
        (106, 120),
        (110, 120),
        (120, 120),
        (615, 600),
    ],
)
def test_chongqing_policy_follows_the_zhiyuan_shancheng_bands(minutes: int, expected: int) -> None:
    assert CHONGQING.round(minutes) == expected


@FAST
@given(hours=st.integers(min_value=0, max_value=2000), rest=st.integers(min_value=0, max_value=59))
def test_chongqing_policy_rounds_each_started_hour_remainder_by_band(hours: int, rest: int) -> None:
    expected_part = 0 if rest <= 15 else 30 if rest <= 45 else 60
    assert CHONGQING.round(hours * 60 + rest) == hours * 60 + expected_part


@FAST
@given(minutes=st.integers(min_value=0, max_value=200_000))
def test_chongqing_rounding_is_a_multiple_of_30_within_15_minutes_of_the_input(minutes: int) -> None:
    rounded = CHONGQING.round(minutes)
    assert rounded % 30 == 0
    assert abs(rounded - minutes) <= 15


@FAST
@given(a=st.integers(min_value=0, max_value=100_000), b=st.integers(min_value=0, max_value=100_000))
def test_chongqing_rounding_never_gives_more_time_for_less_service(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert CHONGQING.round(low) <= CHONGQING.round(high)


def test_an_unknown_rounding_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rounding policy"):
        RoundingPolicy("nearest-hour.v1", "?").round(30)


# -- working days ------------------------------------------------------------------------------

FRIDAY = date(2024, 3, 1)


def test_ten_working_days_after_a_friday_skip_both_weekends() -> None:
    assert FRIDAY.weekday() == 4
    assert working_days_after(FRIDAY, 10, frozenset(), frozenset()) == date(2024, 3, 15)


def test_one_working_day_after_a_friday_is_the_monday() -> None:
    assert working_days_after(FRIDAY, 1, frozenset(), frozenset()) == date(2024, 3, 4)


def test_a_listed_holiday_is_not_a_working_day() -> None:
    holidays = frozenset({date(2024, 3, 6)})  # a Wednesday
    assert working_days_after(FRIDAY, 10, holidays, frozenset()) == date(2024, 3, 18)


def test_a_listed_make_up_saturday_counts_as_a_working_day() -> None:
    workdays = frozenset({date(2024, 3, 2)})  # the Saturday right after
    assert date(2024, 3, 2).weekday() == 5
    assert working_days_after(FRIDAY, 10, frozenset(), workdays) == date(2024, 3, 14)
    assert working_days_after(FRIDAY, 1, frozenset(), workdays) == date(2024, 3, 2)


def test_national_day_week_with_make_up_days() -> None:
    # 2024 National Day: 1-7 October off, Sunday 29 September and Saturday 12 October worked.
    holidays = frozenset(date(2024, 10, d) for d in range(1, 8))
    workdays = frozenset({date(2024, 9, 29), date(2024, 10, 12)})
    end = date(2024, 9, 27)  # Friday
    # 29 Sep, 30 Sep, 8, 9, 10, 11, 12 (Sat, worked), 14, 15, 16 Oct.
    assert working_days_after(end, 10, holidays, workdays) == date(2024, 10, 16)


@FAST
@given(
    end=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    weeks=st.integers(min_value=0, max_value=20),
)
def test_five_working_days_are_one_calendar_week_without_holidays(end: date, weeks: int) -> None:
    assume(end.weekday() < 5)
    assert working_days_after(end, 5 * weeks, frozenset(), frozenset()) == end + timedelta(weeks=weeks)


@FAST
@given(
    end=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    days=st.integers(min_value=1, max_value=30),
)
def test_the_deadline_is_itself_a_working_day_after_the_end(end: date, days: int) -> None:
    deadline = working_days_after(end, days, frozenset(), frozenset())
    assert deadline > end
    assert deadline.weekday() < 5


def test_not_service_kinds_include_paid_work_meetings_and_duty_work() -> None:
    assert {"paid_work", "meeting", "duty_work"} <= NOT_SERVICE_KINDS
