"""Activities wired in process over a migrated database, with a clock the tests move."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from zhiyuan_activities.adapters import registry_copy
from zhiyuan_activities.adapters.views import project, project_many
from zhiyuan_activities.application import activities, hours, queries
from zhiyuan_activities.application.context import AttendanceCodes
from zhiyuan_activities.domain.rules import EXACT
from zhiyuan_activities.integration.translator import translate
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.testing.host import InProcessHost, migrated_engine

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
TEAM = "team-chaoyang-1"
COMMUNITY = "110105001026"
CITY_ADMIN = Principal(role="city_admin", subject="city")
ORGANIZER = Principal(role="organizer", subject="org-1", district="110105", team=TEAM)
OTHER_ORGANIZER = Principal(role="organizer", subject="org-2", district="110105", team="team-other")
DISTRICT_ADMIN = Principal(role="district_admin", subject="admin-cy", district="110105")


def volunteer(volunteer_id: str) -> Principal:
    return Principal(role="volunteer", subject=volunteer_id, volunteer=volunteer_id)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Activities:
    host: InProcessHost
    clock: Clock
    codes: AttendanceCodes
    counter: list[int] = field(default_factory=lambda: [0])

    async def call(self, operation: str, payload: dict[str, object], principal: Principal | None = None):  # type: ignore[no-untyped-def]
        return await self.host.call(operation, payload, principal=principal)

    async def registry_event(self, name: str, data: dict[str, object]) -> None:
        """What the tracked consumer does with an event from ZY_REGISTRY."""
        self.counter[0] += 1
        event = CloudEvent(
            id=str(uuid.uuid4()), source="/zhiyuan/registry", type=f"zhiyuan.registry.{name}.v1",
            subject=str(data.get("volunteer_id") or data.get("team_id")), time=self.clock.now.isoformat(),
            district="110105", sequence=self.counter[0], data=data,
        )
        async with self.host.engine.begin() as conn:
            await registry_copy.HANDLERS[event.type](conn, event)

    async def volunteer(self, *, minor: bool = False, team: str | None = None, district: str = "110105") -> str:
        volunteer_id = str(uuid.uuid4())
        await self.registry_event(
            "VolunteerRegistered",
            {"volunteer_id": volunteer_id, "registration_no": f"110105001-{self.counter[0]:06d}", "district": district,
             "street": "110105001000", "community": COMMUNITY, "registered_by": "110105001", "registered_at": "2026-01-01T00:00:00Z",
             "skills": [], "minor": minor, "unit_id": None},
        )
        if team:
            await self.registry_event("VolunteerJoinedTeam", {"team_id": team, "volunteer_id": volunteer_id})
        return volunteer_id

    async def publish(self, *, slots: list[tuple[timedelta, timedelta, int]] | None = None, principal: Principal = ORGANIZER, **extra: object) -> str:
        slots = slots or [(timedelta(days=1), timedelta(days=1, hours=3), 10)]
        body: dict[str, object] = {
            "team_id": TEAM, "title": "关爱空巢老人上门服务", "service_kind": "elderly_care",
            "target_group": "elderly_living_alone", "place": "永安里社区活动室", "community": COMMUNITY,
            "slots": [{"starts_at": (self.clock.now + a).isoformat(), "ends_at": (self.clock.now + b).isoformat(), "capacity": cap} for a, b, cap in slots],
            **extra,
        }
        answer = await self.call("PublishActivity", body, principal)
        assert answer.ok, answer
        return str(answer.result["activity_id"])


@pytest.fixture
async def acts(database_url: str) -> AsyncIterator[Activities]:
    engine = await migrated_engine("zhiyuan_activities", database_url)
    clock = Clock()
    host = InProcessHost(engine, translate, project=project, project_many=project_many, clock=clock)
    codes = AttendanceCodes(b"test-attendance-key")
    activities.wire(host, codes)
    hours.wire(host, EXACT)
    queries.wire(host)
    running = Activities(host, clock, codes)
    await running.registry_event("TeamRegistered", {"team_id": TEAM, "name": "永安里为老服务队", "district": "110105", "community": COMMUNITY, "kind": "community", "unit": None})
    await running.registry_event("TeamRegistered", {"team_id": "team-other", "name": "别的队", "district": "110105", "community": COMMUNITY, "kind": "community", "unit": None})
    yield running
    await engine.dispose()
