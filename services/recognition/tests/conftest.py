"""Recognition's folds over a migrated database, fed with generated deliveries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.testing.host import migrated_engine

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@dataclass
class Feed:
    """Builds the two streams as JetStream would hold them."""

    registry: list[Delivery] = field(default_factory=list)
    activities: list[Delivery] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)

    def _add(self, stream: list[Delivery], context: str, name: str, subject: str, district: str, data: dict[str, object], at: datetime) -> CloudEvent:
        self.sequences[subject] = self.sequences.get(subject, 0) + 1
        event = CloudEvent(
            id=str(uuid.uuid4()), source=f"/zhiyuan/{context}", type=f"zhiyuan.{context}.{name}.v1", subject=subject,
            time=at.isoformat().replace("+00:00", "Z"), district=district, sequence=self.sequences[subject], data=data,
        )
        stream.append(Delivery(len(stream) + 1, f"zy.{context}.{district}.{name}", encode(event)))
        return event

    def register(self, district: str = "110105", at: datetime = T0) -> str:
        vid = str(uuid.uuid4())
        n = len(self.registry) + 1
        self._add(self.registry, "registry", "VolunteerRegistered", vid, district, {
            "volunteer_id": vid, "registration_no": f"{district}001-{n:06d}", "district": district, "street": f"{district}001000",
            "community": f"{district}001026", "registered_by": f"{district}001", "registered_at": at.isoformat(), "skills": [],
            "minor": False, "unit_id": None, "name_masked": "张*明",
        }, at)
        return vid

    def move(self, vid: str, to_district: str, at: datetime) -> None:
        self._add(self.registry, "registry", "VolunteerMoved", vid, to_district, {
            "volunteer_id": vid, "from_community": "110105001026", "to_community": f"{to_district}001001",
            "from_district": "110105", "to_district": to_district,
        }, at)

    def log(self, vid: str, minutes: int, at: datetime, district: str = "110105") -> str:
        record_id = str(uuid.uuid4())
        self._add(self.activities, "activities", "HoursLogged", record_id, district, {
            "record_id": record_id, "volunteer_id": vid, "activity_id": str(uuid.uuid4()), "district": district,
            "minutes": minutes, "started_at": at.isoformat(), "ended_at": (at + timedelta(minutes=max(minutes, 1))).isoformat(),
            "place": "社区", "target_group": "residents", "logged_by": "organizer:o1", "service_kind": "elderly_care",
        }, at)
        return record_id

    def correct(self, record_id: str, vid: str, minutes: int, previous: int, at: datetime, district: str = "110105") -> None:
        name = "HoursRevoked" if minutes == 0 else "HoursCorrected"
        data: dict[str, object] = {"record_id": record_id, "volunteer_id": vid, "previous_minutes": previous, "reason": "更正"}
        if minutes:
            data["minutes"] = minutes
        self._add(self.activities, "activities", name, record_id, district, data, at)

    def republish(self, stream_name: str, index: int) -> None:
        """A copy re-published beyond JetStream's duplicate window: new stream seq, same event."""
        stream = self.registry if stream_name == "ZY_REGISTRY" else self.activities
        original = stream[index]
        stream.append(Delivery(len(stream) + 1, original.subject, original.data))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await migrated_engine("zhiyuan_recognition", database_url)
    yield engine
    await engine.dispose()
