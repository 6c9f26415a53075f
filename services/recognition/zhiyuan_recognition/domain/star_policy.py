"""Star levels (星级志愿者) under a versioned policy: thresholds per jurisdiction.

No national statute fixes them; the common default is 100/300/600/1000/1500 hours
(2012 draft rules, Guangdong, Fujian, Sichuan); Beijing uses 100/200/500/800/1000.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class StarPolicy:
    version: str
    jurisdiction: str
    thresholds_hours: tuple[int, int, int, int, int]

    @cached_property
    def thresholds_minutes(self) -> tuple[int, ...]:
        return tuple(h * 60 for h in self.thresholds_hours)

    def level_for(self, total_minutes: int) -> int:
        """How many thresholds ``total_minutes`` reaches (thresholds ascend)."""
        return bisect_right(self.thresholds_minutes, total_minutes)

    def next_level_minutes(self, total_minutes: int) -> int | None:
        """Minutes still needed for the next star; None at five stars."""
        level = self.level_for(total_minutes)
        if level >= len(self.thresholds_minutes):
            return None
        return self.thresholds_minutes[level] - total_minutes


NATIONAL_DEFAULT = StarPolicy("national-2012.v1", "000000", (100, 300, 600, 1000, 1500))
BEIJING = StarPolicy("beijing.v1", "110000", (100, 200, 500, 800, 1000))
POLICIES = {p.version: p for p in (NATIONAL_DEFAULT, BEIJING)}
