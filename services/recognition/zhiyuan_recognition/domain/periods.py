"""Periods (``2026``, ``2026Q1``, ``2026-03``) cut in Asia/Shanghai time, as UTC bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_PERIOD = re.compile(r"^(?P<year>[0-9]{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def parse_period(label: str) -> Period:
    match = _PERIOD.match(label or "")
    if match is None:
        raise ValueError(f"period must look like 2026, 2026Q1 or 2026-03, not {label!r}")
    year = int(match["year"])
    if match["quarter"]:
        first_month = (int(match["quarter"]) - 1) * 3 + 1
        start, end = date(year, first_month, 1), _add_months(date(year, first_month, 1), 3)
    elif match["month"]:
        start = date(year, int(match["month"]), 1)
        end = _add_months(start, 1)
    else:
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return Period(label, _local_midnight(start), _local_midnight(end))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def periods_of(moment: datetime) -> dict[str, str]:
    """The year, quarter and month labels a moment falls in (Shanghai)."""
    local = moment.astimezone(SHANGHAI)
    return {
        "year": f"{local.year}",
        "quarter": f"{local.year}Q{(local.month - 1) // 3 + 1}",
        "month": f"{local.year}-{local.month:02d}",
    }


def end_of_local_day(day: date) -> datetime:
    return _local_midnight(day + timedelta(days=1))
