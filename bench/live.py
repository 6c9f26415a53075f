"""Live ingest and latency through the running system (``zhiyuan up``'s supervisor).

Everything goes through the public API of a fresh local install (its own nats-server with
``sync_interval: always``, the three services and the gateway as processes, SQLite):

- Prepared, untimed: volunteers registered through the gateway, back-filled activities
  (one multi-day slot each, in the past, approved by the district), every volunteer
  signed up, checked in at the start and out at the end.
- Live ingest (timed): POST /api/v1/activities/{id}/hours with 100 records per request
  (one hour of each of the activity's 100 volunteers), one sender per activity, until
  recognition has committed every one of them (its ``service_records`` row count,
  read from its database, reaches the number sent).
- Latency: paced at 1,000 HoursLogged/s; for one volunteer of each request, the time from
  the HoursLogged commit to the first GET /api/v1/volunteers/{id}/recognition through the
  gateway that shows the new total. The commit's moment is the timestamp of activities'
  ``command.done`` log line for the request (each POST carries its own
  ``X-Correlation-Id``), logged right after the commit. Beside it: from the outbox row's
  ``created_at`` (the command's clock at its start: errs long by the command's own time)
  and from the POST's answer (after the reply's trip back: errs short).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sqlite3
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from zhiyuan_cli.supervisor import System
from zhiyuan_platform.testing.servers import free_port

COMMUNITY = "110105001026"
PER_ACTIVITY = 100  # volunteers per activity = records per request


def resident_id(n: int) -> str:
    from zhiyuan_registry.domain.identity import check_char

    rand = uuid.uuid4().int
    born = date(1960, 1, 1) + timedelta(days=(rand + n) % 15000)
    first17 = f"110105{born:%Y%m%d}{(rand >> 20) % 1000:03d}"
    return first17 + check_char(first17)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Activity:
    activity_id: str
    start: datetime
    volunteers: list[str]
    hours: int  # one-hour windows available
    next_window: int = 0


@dataclass
class LiveResult:
    records: int = 0
    seconds: float = 0.0
    requests: int = 0
    post_p50_ms: float = 0.0
    note: str = ""
    cpu_us_per_record: dict[str, float] = field(default_factory=dict)  # process -> CPU µs per record

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class LatencyResult:
    target_rate: float = 0.0
    achieved_rate: float = 0.0
    samples: int = 0
    missing: int = 0
    from_commit_ms: list[float] = field(default_factory=list)  # command.done, logged after the commit
    from_start_ms: list[float] = field(default_factory=list)  # outbox created_at, the command's start
    from_answer_ms: list[float] = field(default_factory=list)


class Live:
    def __init__(self, *, activities: int, days: int, echo: Any = print) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="zy-bench-live-"))
        self.n_activities = activities
        self.days = days
        self.echo = echo
        self.system: System | None = None
        self.activities: list[Activity] = []
        self.minutes: dict[str, int] = {}  # volunteer -> minutes confirmed so far
        self.anomalies: list[str] = []
        self.timeouts = 0  # requests the gateway answered 504
        self._previous_data_dir = os.environ.get("ZHIYUAN_DATA_DIR")

    # -- the system ----------------------------------------------------------------------------

    def start(self) -> None:
        os.environ["ZHIYUAN_DATA_DIR"] = str(self.root)
        self.system = System(self.root, gateway_port=free_port(), echo=lambda _line: None)
        self.system.start()
        self.system.wait_ready(timeout=120)

    def stop(self) -> None:
        if self.system is not None:
            self.system.stop()
        if self._previous_data_dir is None:
            os.environ.pop("ZHIYUAN_DATA_DIR", None)
        else:
            os.environ["ZHIYUAN_DATA_DIR"] = self._previous_data_dir
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)

    def token(self, role: str, **claims: str) -> dict[str, str]:
        from zhiyuan_gateway.core.config import load_or_create_token_key
        from zhiyuan_gateway.core.security import issue_token

        return {"Authorization": "Bearer " + issue_token(load_or_create_token_key(self.root), role, **claims)}  # type: ignore[arg-type]

    @property
    def api(self) -> str:
        assert self.system is not None
        return f"{self.system.gateway_url}/api/v1"

    def _db(self, service: str) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.root / f'{service}.db'}?mode=ro", uri=True, timeout=30)

    def recognition_records(self) -> int:
        with contextlib.closing(self._db("recognition")) as db:
            return int(db.execute("SELECT count(*) FROM service_records").fetchone()[0])

    def outbox_pending(self, service: str) -> int:
        with contextlib.closing(self._db(service)) as db:
            return int(db.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0])

    async def wait_quiet(self, timeout: float = 120.0) -> None:  # noqa: ASYNC109
        """Until every outbox is drained and recognition's record count stops moving."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            pending = sum(self.outbox_pending(s) for s in ("registry", "activities"))
            count = self.recognition_records()
            if pending == 0 and count == last:
                return
            last = count
            await asyncio.sleep(1.0)
        raise TimeoutError("the system did not settle")

    # -- preparation (untimed) -----------------------------------------------------------------

    async def prepare(self) -> float:
        started = time.perf_counter()
        city = self.token("city_admin")
        admin = self.token("district_admin", district="110105")
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            team = await http.post(
                f"{self.api}/teams",
                json={"name": "朝阳区基准测试服务队", "community": COMMUNITY, "kind": "community"},
                headers=city,
            )
            team.raise_for_status()
            team_id = team.json()["team_id"]
            organizer = self.token("organizer", district="110105", team=team_id)
            self.organizer = organizer
            self.reader = city
            gate = asyncio.Semaphore(8)

            async def register(n: int) -> str:
                async with gate:
                    reply = await http.post(
                        f"{self.api}/volunteers",
                        headers=city,
                        json={
                            "name": "张三明",
                            "id_number": resident_id(n),
                            "mobile": "13812345678",
                            "community": COMMUNITY,
                        },
                    )
                    if reply.status_code != 201:
                        raise RuntimeError(f"registration refused: {reply.status_code} {reply.text[:300]}")
                    return str(reply.json()["volunteer_id"])

            people = await asyncio.gather(*(register(n) for n in range(self.n_activities * PER_ACTIVITY)))
            self.minutes = dict.fromkeys(people, 0)
            # Activities one after another into the past, each `days` long, ending a day ago.
            end = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
            for a in range(self.n_activities):
                a_end = end - timedelta(days=a * self.days)
                a_start = a_end - timedelta(days=self.days)
                body = {
                    "team_id": team_id,
                    "title": f"社区养老驿站值守（第{a + 1}期）",
                    "service_kind": "elderly_care",
                    "target_group": "elderly_living_alone",
                    "place": "养老驿站",
                    "community": COMMUNITY,
                    "reason": "基准测试：历史活动补录",
                    "slots": [
                        {
                            "starts_at": a_start.isoformat(),
                            "ends_at": a_end.isoformat(),
                            "capacity": PER_ACTIVITY,
                        }
                    ],
                }
                requested = await _until(
                    lambda b=body: http.post(f"{self.api}/activities/backfills", json=b, headers=organizer),
                    201,
                )
                activity_id = requested.json()["activity_id"]
                approved = await http.post(
                    f"{self.api}/activities/{activity_id}/backfill/decision",
                    json={"approve": True, "note": "情况属实"},
                    headers=admin,
                )
                approved.raise_for_status()
                members = people[a * PER_ACTIVITY : (a + 1) * PER_ACTIVITY]
                self.activities.append(Activity(activity_id, a_start, members, hours=self.days * 24))

            async def attend(activity: Activity, vid: str) -> None:
                async with gate:
                    base = f"{self.api}/activities/{activity.activity_id}"
                    await _until(
                        lambda: http.post(f"{base}/signups", json={"volunteer_id": vid}, headers=organizer),
                        201,
                    )
                    came = activity.start.isoformat()
                    left = (activity.start + timedelta(hours=activity.hours)).isoformat()
                    for _attempt in range(3):
                        ins = await http.post(
                            f"{base}/checkins", json={"volunteer_id": vid, "at": came}, headers=organizer
                        )
                        outs = await http.post(
                            f"{base}/checkouts", json={"volunteer_id": vid, "at": left}, headers=organizer
                        )
                        if outs.status_code == 200 and ins.status_code in (200, 409):
                            return
                        # Seen once under heavy load: a check-out refused "not checked in"
                        # right after its check-in answered 200. Counted, reported, retried.
                        self.anomalies.append(
                            f"check-in {ins.status_code} then check-out {outs.status_code}: {outs.text[:160]}"
                        )
                    raise RuntimeError(f"attendance refused: {self.anomalies[-1]}")

            await asyncio.gather(*(attend(a, v) for a in self.activities for v in a.volunteers))
        await self.wait_quiet()
        return time.perf_counter() - started

    # -- confirming hours ------------------------------------------------------------------------

    def _batch(self, activity: Activity) -> dict[str, Any] | None:
        if activity.next_window >= activity.hours:
            return None
        w = activity.next_window
        activity.next_window += 1
        start = activity.start + timedelta(hours=w)
        end = start + timedelta(hours=1)
        return {
            "records": [
                {"volunteer_id": v, "started_at": start.isoformat(), "ended_at": end.isoformat()}
                for v in activity.volunteers
            ],
            "policy": "exact.v1",
        }

    async def _confirm(
        self, http: httpx.AsyncClient, activity: Activity, body: dict[str, Any], correlation_id: str | None = None
    ) -> httpx.Response | None:
        headers = self.organizer if correlation_id is None else {**self.organizer, "X-Correlation-Id": correlation_id}
        reply = await http.post(f"{self.api}/activities/{activity.activity_id}/hours", json=body, headers=headers)
        if reply.status_code == 504:
            # The gateway waits 5 s for the activities service; the command may still
            # commit. Counted; its hour window is not used again.
            self.timeouts += 1
            return None
        if reply.status_code != 201:
            raise RuntimeError(f"hours refused: {reply.status_code} {reply.text[:500]}")
        for r in reply.json()["records"]:
            self.minutes[r["volunteer_id"]] += int(r["minutes"])
        return reply

    def capacity(self) -> int:
        return sum((a.hours - a.next_window) * len(a.volunteers) for a in self.activities)

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU so far of each process of the system (``/proc``) and of this one."""
        assert self.system is not None
        tick = os.sysconf("SC_CLK_TCK")
        used: dict[str, float] = {}
        for child in self.system.children:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{child.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[child.name] = (int(fields[11]) + int(fields[12])) / tick
        own = resource.getrusage(resource.RUSAGE_SELF)
        used["bench client"] = own.ru_utime + own.ru_stime
        return used

    async def ingest(self, records: int, *, timeout: float) -> LiveResult:  # noqa: ASYNC109
        """Confirm ``records`` HoursLogged as fast as the system takes them; timed to the last projection commit."""
        baseline = self.recognition_records()
        cpu_before = self.cpu_seconds()
        sent = 0
        posts: list[float] = []
        budget = min(records, self.capacity())
        limits = httpx.Limits(max_connections=len(self.activities) + 2)
        started = time.perf_counter()
        deadline = started + timeout

        async def sender(activity: Activity, http: httpx.AsyncClient) -> None:
            nonlocal sent
            while sent < budget and time.perf_counter() < deadline:
                body = self._batch(activity)
                if body is None:
                    return
                t = time.perf_counter()
                if await self._confirm(http, activity, body) is not None:
                    sent += len(body["records"])
                posts.append(time.perf_counter() - t)

        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            await asyncio.gather(*(sender(a, http) for a in self.activities))
        answered = time.perf_counter()
        note = ""
        while self.recognition_records() < baseline + sent:
            if time.perf_counter() > deadline + 120:
                note = "recognition did not catch up in time"
                break
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
        done = self.recognition_records() - baseline
        result = LiveResult(done, seconds, len(posts), percentile(posts, 50) * 1000, note)
        if done:
            cpu_after = self.cpu_seconds()
            result.cpu_us_per_record = {
                name: (cpu_after[name] - cpu_before[name]) / done * 1e6 for name in cpu_after if name in cpu_before
            }
        result.note = (
            note or f"last answer at {answered - started:.1f} s, last projection commit at {seconds:.1f} s"
        )
        return result

    async def latency(self, *, rate: float, seconds: float) -> LatencyResult:
        """Paced at ``rate`` HoursLogged/s; one sampled volunteer per request."""
        per_request = PER_ACTIVITY
        interval = len(self.activities) * per_request / rate  # each activity's sender keeps its share
        result = LatencyResult(target_rate=rate)
        samples: list[
            tuple[str, str, float, float]
        ] = []  # record_id, correlation id, answered (epoch), seen (epoch)
        sent = 0
        started = time.perf_counter()
        stop_at = started + seconds

        async def watch(
            http: httpx.AsyncClient, vid: str, expected: int, record_id: str, correlation_id: str, answered: float
        ) -> None:
            give_up = time.time() + 60
            while time.time() < give_up:
                reply = await http.get(f"{self.api}/volunteers/{vid}/recognition", headers=self.reader)
                if reply.status_code == 200 and int(reply.json()["total_minutes"]) >= expected:
                    samples.append((record_id, correlation_id, answered, time.time()))
                    return
                await asyncio.sleep(0.005)
            result.missing += 1

        watchers: list[asyncio.Task[None]] = []

        async def sender(
            index: int, activity: Activity, post: httpx.AsyncClient, poll: httpx.AsyncClient
        ) -> None:
            nonlocal sent
            next_at = started + index * interval / len(self.activities)
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                next_at += interval
                body = self._batch(activity)
                if body is None:
                    return
                tracked = body["records"][(activity.next_window * 7) % per_request]["volunteer_id"]
                correlation_id = f"bench-latency-{uuid.uuid4()}"
                reply = await self._confirm(post, activity, body, correlation_id)
                if reply is None:
                    continue
                answered = time.time()
                sent += per_request
                record_id = next(
                    r["record_id"] for r in reply.json()["records"] if r["volunteer_id"] == tracked
                )
                watchers.append(
                    asyncio.create_task(
                        watch(poll, tracked, self.minutes[tracked], record_id, correlation_id, answered)
                    )
                )

        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            httpx.AsyncClient(timeout=60, limits=limits) as post,
            httpx.AsyncClient(timeout=60, limits=limits) as poll,
        ):
            await asyncio.gather(*(sender(i, a, post, poll) for i, a in enumerate(self.activities)))
            elapsed = time.perf_counter() - started
            await asyncio.gather(*watchers)
        result.achieved_rate = sent / elapsed if elapsed else 0.0
        started_at = self.command_start_times({s[0] for s in samples})
        committed = self.commit_times({s[1] for s in samples})
        for record_id, correlation_id, answered, seen in samples:
            result.from_answer_ms.append((seen - answered) * 1000)
            if record_id in started_at:
                result.from_start_ms.append((seen - started_at[record_id]) * 1000)
            if correlation_id in committed:
                result.from_commit_ms.append((seen - committed[correlation_id]) * 1000)
        result.samples = len(samples)
        return result

    def commit_times(self, correlation_ids: set[str]) -> dict[str, float]:
        """When each request's command committed (epoch seconds), by correlation id: the
        timestamp of activities' ``command.done`` line, logged right after the commit."""
        found: dict[str, float] = {}
        with open(self.root / "logs" / "activities.log", encoding="utf-8", errors="replace") as log:
            for line in log:
                if '"command.done"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("correlation_id") in correlation_ids and entry.get("event") == "command.done":
                    found[entry["correlation_id"]] = datetime.fromisoformat(entry["timestamp"]).timestamp()
        return found

    def command_start_times(self, record_ids: set[str]) -> dict[str, float]:
        """The HoursLogged outbox rows' ``created_at`` (epoch seconds) by record id."""
        found: dict[str, float] = {}
        with contextlib.closing(self._db("activities")) as db:
            rows = db.execute(
                "SELECT body, created_at FROM outbox WHERE subject LIKE 'zy.activities.%.HoursLogged'"
            ).fetchall()
        for body, created_at in rows:
            record_id = json.loads(body)["data"]["record_id"]
            if record_id in record_ids:
                moment = datetime.fromisoformat(str(created_at))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                found[record_id] = moment.timestamp()
        return found


async def _until(call: Any, status: int, timeout: float = 60.0) -> httpx.Response:  # noqa: ASYNC109
    """Eventually consistent: a volunteer or team may not have reached activities yet."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await call()
        if reply.status_code == status:
            return reply  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise RuntimeError(f"still {reply.status_code} after {timeout:.0f}s: {reply.text[:300]}")
        await asyncio.sleep(0.25)
