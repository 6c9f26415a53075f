"""The clock commands see. A local install may run a simulated clock (for the demo and
for generating history through the public commands); production refuses it.

The simulated clock is the real clock plus an offset kept in ``<data_dir>/clock.json``,
shared by every service of the install and moved with ``zhiyuan clock``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .settings import PlatformSettings

CLOCK_FILE = "clock.json"


def read_offset(data_dir: Path) -> timedelta:
    path = data_dir / CLOCK_FILE
    try:
        return timedelta(seconds=float(json.loads(path.read_text())["offset_seconds"]))
    except (FileNotFoundError, ValueError, KeyError):
        return timedelta(0)


def write_offset(data_dir: Path, offset: timedelta) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CLOCK_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
    tmp.replace(path)


def clock_for(settings: PlatformSettings) -> Callable[[], datetime]:
    if not settings.simulated_clock:
        return lambda: datetime.now(UTC)
    if settings.env == "production":
        raise ValueError("a simulated clock is refused in production")
    data_dir = settings.data_dir

    def simulated() -> datetime:
        return datetime.now(UTC) + read_offset(data_dir)

    return simulated
