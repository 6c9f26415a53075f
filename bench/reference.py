"""The reference: the same history through the ``eventsourcing`` library's projection machinery.

The history's events are recorded (untimed) in an ``eventsourcing`` application (POPO
recorder: the library's SQLite application recorder does not support subscriptions), as the library's own aggregate events (volunteers registered and
moved, service records logged, corrected and revoked). A ``ProjectionRunner`` then
subscribes to that application and a ``Projection`` folds it into a materialised view of
every volunteer's total minutes — with the library's POPO (in-memory) view, and with its
SQLite view (one transaction per event, with its tracking record, as the library does).
Timed: from starting the runner until the view's tracking position reaches the last
notification (decoding, subscription, projection and view writes all included).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

import msgspec
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteTrackingRecorder

from .history import History


class Volunteer(Aggregate):
    class Registered(Aggregate.Event):
        district: str

    class Moved(Aggregate.Event):
        to_district: str


class ServiceRecord(Aggregate):
    class Logged(Aggregate.Event):
        volunteer_id: str
        minutes: int
        service_kind: str

    class Corrected(Aggregate.Event):
        minutes: int

    class Revoked(Aggregate.Event):
        pass


class City(Application[uuid.UUID]):
    """The application the history is recorded in (POPO: SQLite's recorder has no subscriptions).

    Every instance shares one recorder, so the instance the runner constructs reads the
    events recorded before it started.
    """

    name = "City"
    shared: ClassVar[ApplicationRecorder | None] = None

    def construct_recorder(self) -> ApplicationRecorder:
        if City.shared is None:
            City.shared = super().construct_recorder()
        return City.shared


# -- the views --------------------------------------------------------------------------------


class TotalsView:
    """What the projection needs of a view (one method per change, tracking included)."""

    def register(self, volunteer_id: str, district: str, tracking: Tracking) -> None: ...
    def move(self, volunteer_id: str, district: str, tracking: Tracking) -> None: ...
    def log(self, record_id: str, volunteer_id: str, minutes: int, tracking: Tracking) -> None: ...
    def correct(self, record_id: str, minutes: int, tracking: Tracking) -> None: ...
    def total_minutes(self) -> int: ...


class POPOTotals(POPOTrackingRecorder, TotalsView):
    def __init__(self) -> None:
        super().__init__()
        self.totals: dict[str, int] = {}
        self.districts: dict[str, str] = {}
        self.records: dict[str, tuple[str, int]] = {}

    def register(self, volunteer_id: str, district: str, tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self.totals.setdefault(volunteer_id, 0)
            self.districts[volunteer_id] = district
            self._insert_tracking(tracking)

    def move(self, volunteer_id: str, district: str, tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self.districts[volunteer_id] = district
            self._insert_tracking(tracking)

    def log(self, record_id: str, volunteer_id: str, minutes: int, tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self.records[record_id] = (volunteer_id, minutes)
            self.totals[volunteer_id] = self.totals.get(volunteer_id, 0) + minutes
            self._insert_tracking(tracking)

    def correct(self, record_id: str, minutes: int, tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            volunteer_id, old = self.records[record_id]
            self.records[record_id] = (volunteer_id, minutes)
            self.totals[volunteer_id] += minutes - old
            self._insert_tracking(tracking)

    def total_minutes(self) -> int:
        with self._database_lock:
            return sum(self.totals.values())


class SQLiteTotals(SQLiteTrackingRecorder, TotalsView):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS volunteer_totals (volunteer_id TEXT PRIMARY KEY, district TEXT, "
            "total_minutes INTEGER NOT NULL) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS service_records (record_id TEXT PRIMARY KEY, volunteer_id TEXT, "
            "minutes INTEGER NOT NULL) WITHOUT ROWID",
        ]

    def register(self, volunteer_id: str, district: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR IGNORE INTO volunteer_totals VALUES (?, ?, 0)", (volunteer_id, district))
            self._insert_tracking(c, tracking)

    def move(self, volunteer_id: str, district: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE volunteer_totals SET district = ? WHERE volunteer_id = ?", (district, volunteer_id)
            )
            self._insert_tracking(c, tracking)

    def log(self, record_id: str, volunteer_id: str, minutes: int, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT INTO service_records VALUES (?, ?, ?)", (record_id, volunteer_id, minutes))
            c.execute(
                "INSERT INTO volunteer_totals VALUES (?, NULL, ?) ON CONFLICT (volunteer_id) "
                "DO UPDATE SET total_minutes = total_minutes + excluded.total_minutes",
                (volunteer_id, minutes),
            )
            self._insert_tracking(c, tracking)

    def correct(self, record_id: str, minutes: int, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT volunteer_id, minutes FROM service_records WHERE record_id = ?", (record_id,))
            row = c.fetchone()
            c.execute("UPDATE service_records SET minutes = ? WHERE record_id = ?", (minutes, record_id))
            c.execute(
                "UPDATE volunteer_totals SET total_minutes = total_minutes + ? WHERE volunteer_id = ?",
                (minutes - int(row["minutes"]), row["volunteer_id"]),
            )
            self._insert_tracking(c, tracking)

    def total_minutes(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COALESCE(SUM(total_minutes), 0) FROM volunteer_totals")
            return int(c.fetchone()[0])


# -- the projection ---------------------------------------------------------------------------


class TotalsProjection(Projection[Any]):
    name = "totals"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, domain_event: Volunteer.Registered, tracking: Tracking) -> None:
        self.view.register(str(domain_event.originator_id), domain_event.district, tracking)

    @process_event.register
    def _(self, domain_event: Volunteer.Moved, tracking: Tracking) -> None:
        self.view.move(str(domain_event.originator_id), domain_event.to_district, tracking)

    @process_event.register
    def _(self, domain_event: ServiceRecord.Logged, tracking: Tracking) -> None:
        if domain_event.service_kind == "training":
            self.view.insert_tracking(tracking)
        else:
            self.view.log(
                str(domain_event.originator_id), domain_event.volunteer_id, domain_event.minutes, tracking
            )

    @process_event.register
    def _(self, domain_event: ServiceRecord.Corrected, tracking: Tracking) -> None:
        self.view.correct(str(domain_event.originator_id), domain_event.minutes, tracking)

    @process_event.register
    def _(self, domain_event: ServiceRecord.Revoked, tracking: Tracking) -> None:
        self.view.correct(str(domain_event.originator_id), 0, tracking)


# -- recording the history and timing the runner ----------------------------------------------


_decoder = msgspec.json.Decoder()


def _to_domain(body: bytes) -> Aggregate.Event:
    e = _decoder.decode(body)
    d = e["data"]
    common = {
        "originator_id": uuid.UUID(e["subject"]),
        "originator_version": e["sequence"],
        "timestamp": datetime.fromisoformat(e["time"].replace("Z", "+00:00")),
    }
    name = e["type"].split(".")[2]
    if name == "VolunteerRegistered":
        return Volunteer.Registered(**common, district=d["district"])
    if name == "VolunteerMoved":
        return Volunteer.Moved(**common, to_district=d["to_district"])
    if name == "HoursLogged":
        return ServiceRecord.Logged(
            **common,
            volunteer_id=d["volunteer_id"],
            minutes=d["minutes"],
            service_kind=d.get("service_kind") or "",
        )
    if name == "HoursCorrected":
        return ServiceRecord.Corrected(**common, minutes=d["minutes"])
    if name == "HoursRevoked":
        return ServiceRecord.Revoked(**common)
    raise ValueError(name)


@dataclass
class ReferenceResult:
    view: str
    events: int
    seconds: float
    complete: bool
    total_minutes: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class Reference:
    def __init__(self, history: History) -> None:
        self.workdir = tempfile.mkdtemp(prefix="zy-bench-es-")
        self.env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        City.shared = None
        app = City(env=self.env)
        stored = [
            app.mapper.to_stored_event(_to_domain(m.body)) for m in history.registry + history.activities
        ]
        for start in range(0, len(stored), 5000):
            app.recorder.insert_events(stored[start : start + 5000])
        self.last = app.recorder.max_notification_id() or 0

    def run(self, view: str, *, budget: float) -> ReferenceResult:
        env = dict(self.env)
        if view == "popo":
            view_class: type[Any] = POPOTotals
        else:
            env["TOTALS_PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
            env["TOTALS_SQLITE_DBNAME"] = os.path.join(self.workdir, f"totals-{uuid.uuid4().hex[:6]}.db")
            view_class = SQLiteTotals
        started = time.perf_counter()
        with ProjectionRunner(
            application_class=City, projection_class=TotalsProjection, view_class=view_class, env=env
        ) as runner:
            complete = True
            try:
                runner.wait(self.last, timeout=budget)
            except TimeoutError:
                complete = False
            seconds = time.perf_counter() - started
            done = runner.view.max_tracking_id("City") or 0
            total = runner.view.total_minutes()
        return ReferenceResult(view, done, seconds, complete and done >= self.last, total)

    def cleanup(self) -> None:
        import shutil

        with contextlib.suppress(Exception):
            shutil.rmtree(self.workdir)
