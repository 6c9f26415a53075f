"""Shared rules of activities and hours: time, rounding policies, what counts as service.

Pure: the clock is always an argument. All instants are timezone-aware UTC; days are cut
in Asia/Shanghai, the city's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ACTIVITY_SPAN = timedelta(days=366)
MAX_MINUTES_PER_DAY = 24 * 60
MAX_PAIRS_PER_DAY = 3  # i志愿: at most three check-in/out pairs per volunteer per day
CHECK_IN_EARLY = timedelta(minutes=30)
# How long after a slot's end (and after a check-in was recorded) the periodic sweep
# waits before closing a check-in nobody checked out.
MISSED_CHECK_OUT_GRACE = timedelta(hours=2)
CONFIRMATION_WORKING_DAYS = 10  # Measures Art. 11: record within 10 working days of the end
TRAINING = "training"
# Never volunteer service (Measures Art. 19; i志愿): refused by kind, whatever the title says.
NOT_SERVICE_KINDS = frozenset({"paid_work", "duty_work", "meeting", "team_building", "commercial_event"})


class RuleBroken(ValueError):
    """A refusal: ``rule`` is machine-readable, ``field`` the input it concerns."""

    def __init__(self, rule: str, zh: str, en: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(f"{zh} {en}")
        self.rule = rule
        self.zh = zh
        self.en = en
        self.field = field
        self.status = status


def aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise RuleBroken("naive-time", "时间须带时区。", "Times must carry a UTC offset (e.g. Z or +08:00).", field=field)
    return moment


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def minutes_per_local_day(start: datetime, end: datetime) -> dict[date, int]:
    """How the interval's minutes fall on Shanghai calendar days (an overnight slot spans two).

    Counted cumulatively from ``start`` so that the days always add up to
    ``minutes_between(start, end)``, even when the times carry seconds.
    """
    result: dict[date, int] = {}
    cursor = start
    counted = 0
    while cursor < end:
        local = cursor.astimezone(SHANGHAI)
        next_midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), SHANGHAI)
        piece_end = min(end, next_midnight)
        so_far = minutes_between(start, piece_end)
        if so_far > counted:
            result[local.date()] = result.get(local.date(), 0) + so_far - counted
        counted = so_far
        cursor = piece_end
    return result


@dataclass(frozen=True)
class RoundingPolicy:
    """How attended time becomes confirmed minutes; the version is recorded on each record."""

    version: str
    description: str

    def round(self, minutes: int) -> int:
        if self.version.startswith("exact"):
            return minutes
        if self.version.startswith("chongqing-15-45"):
            hours, rest = divmod(minutes, 60)
            if rest <= 15:
                part = 0
            elif rest <= 45:
                part = 30
            else:
                part = 60
            return hours * 60 + part
        raise ValueError(f"unknown rounding policy {self.version}")


EXACT = RoundingPolicy("exact.v1", "Exact minutes attended")
CHONGQING = RoundingPolicy(
    "chongqing-15-45.v1", "志愿山城: ≤15 min of an hour count 0, 15–45 count 30, over 45 count a full hour"
)
ROUNDING_POLICIES = {p.version: p for p in (EXACT, CHONGQING)}


def working_days_after(end: date, days: int, holidays: frozenset[date], workdays: frozenset[date]) -> date:
    """The date ``days`` working days after ``end`` (weekends off unless a make-up workday)."""
    current = end
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        is_weekend = current.weekday() >= 5
        working = (not is_weekend and current not in holidays) or current in workdays
        if working:
            counted += 1
    return current
