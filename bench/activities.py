"""How long activities' commands take on a busy activity, in process (no NATS, no gateway).

    .venv/bin/python -m bench.activities [--volunteers 100] [--rounds 5] [--postgres-url URL] [--no-snapshots]

Builds activities with N volunteers each signed up, checked in and out (3N + 1 events in
the activity's stream), then times, per round: a read-only command that loads the busy
activity (``AttendanceCode``), a check-in on it, and ``ConfirmHours`` of all N records,
counting the SQL statements each one sends. Not a test; prints medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from zhiyuan_activities.adapters import registry_copy, views
from zhiyuan_activities.application import activities, hours, queries
from zhiyuan_activities.application.context import AttendanceCodes
from zhiyuan_activities.domain.rules import EXACT
from zhiyuan_activities.integration.translator import translate
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.logging import configure_logging
from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.testing.host import InProcessHost, migrated_engine

TEAM = "team-bench"
COMMUNITY = "110105001026"
ORGANIZER = Principal(role="organizer", subject="org", district="110105", team=TEAM)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def registry_event(host: InProcessHost, name: str, data: dict[str, Any], seq: int) -> None:
    cloud = CloudEvent(
        id=str(uuid.uuid4()), source="/zhiyuan/registry", type=f"zhiyuan.registry.{name}.v1", subject="x",
        time="2026-01-01T00:00:00Z", district="110105", sequence=seq, data=data,
    )
    async with host.engine.begin() as conn:
        await registry_copy.HANDLERS[cloud.type](conn, cloud)


async def main(volunteers: int, rounds: int, url: str | None, snapshots: bool) -> None:
    configure_logging("measure", "console", "WARNING")
    tmp = Path(tempfile.mkdtemp())
    database_url = url or f"sqlite+aiosqlite:///{tmp / 'activities.db'}"
    engine = await migrated_engine("zhiyuan_activities", database_url)
    clock = Clock()
    host = InProcessHost(engine, translate, project=views.project, project_many=views.project_many, clock=clock)
    if not snapshots:
        host.runner.snapshots = None  # every load reads the whole stream
    activities.wire(host, AttendanceCodes(b"bench"))
    hours.wire(host, EXACT)
    queries.wire(host)
    statements = [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        statements[0] += 1

    await registry_event(host, "TeamRegistered", {"team_id": TEAM, "name": "队", "district": "110105", "community": COMMUNITY, "kind": "community", "unit": None}, 1)
    people = []
    for i in range(volunteers):
        v = str(uuid.uuid4())
        await registry_event(host, "VolunteerRegistered", {
            "volunteer_id": v, "registration_no": f"110105001-{i:06d}", "district": "110105", "street": "110105001000",
            "community": COMMUNITY, "registered_by": "110105001", "registered_at": "2026-01-01T00:00:00Z",
            "skills": [], "minor": False, "unit_id": None}, i + 2)
        people.append(v)

    prepare = f"{3 * volunteers + 1} roster commands"
    timings: dict[str, list[float]] = {prepare: [], "load (AttendanceCode)": [], "check-in": [], f"ConfirmHours × {volunteers}": []}
    counts: dict[str, list[int]] = {k: [] for k in timings}

    async def timed(name: str, operation: str, payload: dict[str, Any]) -> Any:
        statements[0] = 0
        started = time.perf_counter()
        answer = await host.call(operation, payload, principal=ORGANIZER)
        timings[name].append(time.perf_counter() - started)
        counts[name].append(statements[0])
        assert answer.ok, answer
        return answer

    for _ in range(rounds):
        body = {
            "team_id": TEAM, "title": "测量活动", "service_kind": "elderly_care", "target_group": "elderly_living_alone",
            "place": "活动室", "community": COMMUNITY,
            "slots": [{"starts_at": (clock.now + timedelta(days=1)).isoformat(), "ends_at": (clock.now + timedelta(days=1, hours=3)).isoformat(), "capacity": volunteers + 1}],
        }
        activity = (await host.call("PublishActivity", body, principal=ORGANIZER)).result["activity_id"]
        extra = str(uuid.uuid4())
        await registry_event(host, "VolunteerRegistered", {
            "volunteer_id": extra, "registration_no": f"110105002-{uuid.uuid4().int % 10**6:06d}", "district": "110105",
            "street": "110105001000", "community": COMMUNITY, "registered_by": "110105001",
            "registered_at": "2026-01-01T00:00:00Z", "skills": [], "minor": False, "unit_id": None}, 10**6)
        statements[0] = 0
        started = time.perf_counter()
        for v in [*people, extra]:
            assert (await host.call("SignUp", {"activity_id": activity, "volunteer_id": v}, principal=ORGANIZER)).ok
        clock.now += timedelta(days=1)
        for v in people:
            assert (await host.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, principal=ORGANIZER)).ok
        clock.now += timedelta(hours=1)
        for v in people:
            assert (await host.call("CheckOut", {"activity_id": activity, "volunteer_id": v}, principal=ORGANIZER)).ok
        timings[prepare].append(time.perf_counter() - started)
        counts[prepare].append(statements[0])
        clock.now += timedelta(minutes=5)
        await timed("load (AttendanceCode)", "AttendanceCode", {"activity_id": activity})
        await timed("check-in", "CheckIn", {"activity_id": activity, "volunteer_id": extra})
        await timed(f"ConfirmHours × {volunteers}", "ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": v} for v in people]})
        clock.now += timedelta(days=1)

    cache = "on" if host.runner.snapshots is not None else "off"
    print(f"database: {engine.url.render_as_string(hide_password=True)}; activity stream: {3 * volunteers + 2}+ events; {rounds} rounds; snapshot cache {cache}")
    for name, values in timings.items():
        print(f"{name:28} median {statistics.median(values) * 1000:8.1f} ms   min {min(values) * 1000:8.1f} ms   SQL statements {statistics.median(counts[name]):.0f}")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--no-snapshots", action="store_true", help="turn the snapshot cache off")
    args = parser.parse_args()
    asyncio.run(main(args.volunteers, args.rounds, args.postgres_url, not args.no_snapshots))
