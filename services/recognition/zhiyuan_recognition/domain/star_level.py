"""What has been announced about a volunteer's star level: the record that makes each
change announced exactly once, whatever is replayed or redelivered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent


@dataclass(frozen=True)
class StarLevelAttained(DomainEvent):
    TYPE: ClassVar[str] = "StarLevelAttained"
    volunteer_id: str
    level: int
    total_minutes: int
    policy_version: str
    records: list[str]
    at: str


@dataclass(frozen=True)
class StarLevelLowered(DomainEvent):
    TYPE: ClassVar[str] = "StarLevelLowered"
    volunteer_id: str
    level: int
    total_minutes: int
    policy_version: str
    reason: str
    at: str


class VolunteerStar(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e for e in (StarLevelAttained, StarLevelLowered)
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.level = 0

    def reach(
        self, *, level: int, total_minutes: int, policy_version: str, records: list[str], reason: str, at: str
    ) -> bool:
        """Announce the level if it differs from the last one announced; True if it did."""
        if level == self.level:
            return False
        if level > self.level:
            self._record(StarLevelAttained(self.id, level, total_minutes, policy_version, records, at))
        else:
            self._record(StarLevelLowered(self.id, level, total_minutes, policy_version, reason, at))
        return True

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, StarLevelAttained | StarLevelLowered):
            self.level = event.level
        else:
            super().apply(event)
