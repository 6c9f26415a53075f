"""A district's local copy of its volunteers, activities and hours, in SQLite.

Every event is applied at most once: the ``events`` table remembers each event id with
what became of it (``applied``, ``ignored``, ``twin``, ``skipped`` or ``rejected``), in the
same transaction as the change it made. The tables are plain SQL for the district's own
reports::

    volunteers        volunteer_id, registration_no, name_masked, status, district, street,
                      community, skills (JSON), minor, unit_id, registered_at, updated_at
    activities        activity_id, team_id, community, title, service_kind, target_group,
                      place, starts_at, ends_at, capacity, backfilled, status, participants,
                      total_minutes, people_served, updated_at
    service_records   record_id, volunteer_id, activity_id, minutes (corrections applied),
                      logged_minutes, status (logged, corrected, revoked), started_at,
                      ended_at, service_kind, updated_at
    volunteer_totals  volunteer_id, minutes, records, star_level   (running totals)
    events            id, type, name, version, subject, sequence, time, stream_seq,
                      outcome, detail

Only this module writes the file; open it read-only elsewhere while a follower runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import msgspec
import pydantic

from zhiyuan_contracts.activities import v1 as activities
from zhiyuan_contracts.catalogue import CATALOGUE, parse_event, versioned_event_id
from zhiyuan_contracts.envelope import CloudEvent, decode
from zhiyuan_contracts.recognition import v1 as recognition
from zhiyuan_contracts.registry import v1 as registry

Outcome = Literal["applied", "ignored", "twin", "duplicate", "skipped", "rejected"]
# A handler changes the copy for one event type, inside the store's transaction.
Handler = Callable[[sqlite3.Connection, CloudEvent], None]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    subject TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    time TEXT NOT NULL,
    stream_seq INTEGER,
    outcome TEXT NOT NULL,
    detail TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_logical ON events (subject, name, sequence);
CREATE TABLE IF NOT EXISTS volunteers (
    volunteer_id TEXT PRIMARY KEY,
    registration_no TEXT,
    name_masked TEXT,
    status TEXT NOT NULL,
    district TEXT,
    street TEXT,
    community TEXT,
    skills TEXT NOT NULL DEFAULT '[]',
    minor INTEGER,
    unit_id TEXT,
    registered_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS activities (
    activity_id TEXT PRIMARY KEY,
    team_id TEXT,
    community TEXT,
    title TEXT,
    service_kind TEXT,
    target_group TEXT,
    place TEXT,
    starts_at TEXT,
    ends_at TEXT,
    capacity INTEGER,
    backfilled INTEGER,
    status TEXT NOT NULL,
    participants INTEGER,
    total_minutes INTEGER,
    people_served INTEGER,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS service_records (
    record_id TEXT PRIMARY KEY,
    volunteer_id TEXT NOT NULL,
    activity_id TEXT,
    minutes INTEGER NOT NULL,
    logged_minutes INTEGER,
    status TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    service_kind TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS service_records_volunteer ON service_records (volunteer_id);
CREATE TABLE IF NOT EXISTS volunteer_totals (
    volunteer_id TEXT PRIMARY KEY,
    minutes INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    star_level INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class EventOutcome:
    """What the store made of one delivered message."""

    id: str | None
    type: str | None
    outcome: Outcome
    stream_seq: int | None = None
    detail: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _add_minutes(conn: sqlite3.Connection, volunteer_id: str, minutes: int, records: int) -> None:
    conn.execute(
        "INSERT INTO volunteer_totals (volunteer_id, minutes, records) VALUES (?, ?, ?) "
        "ON CONFLICT (volunteer_id) DO UPDATE SET minutes = minutes + excluded.minutes, "
        "records = records + excluded.records",
        (volunteer_id, minutes, records),
    )


def _set_status(conn: sqlite3.Connection, volunteer_id: str, status: str) -> None:
    conn.execute(
        "INSERT INTO volunteers (volunteer_id, status, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (volunteer_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
        (volunteer_id, status, _now()),
    )


# --- v1 handlers: each parses the data with the contract's class -------------------------


def _volunteer_registered(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, registry.VolunteerRegistered)
    conn.execute(
        "INSERT INTO volunteers (volunteer_id, registration_no, name_masked, status, district, street, "
        "community, skills, minor, unit_id, registered_at, updated_at) "
        "VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (volunteer_id) DO UPDATE SET registration_no = excluded.registration_no, "
        "name_masked = excluded.name_masked, district = excluded.district, street = excluded.street, "
        "community = excluded.community, skills = excluded.skills, minor = excluded.minor, "
        "unit_id = excluded.unit_id, registered_at = excluded.registered_at, updated_at = excluded.updated_at",
        (
            e.volunteer_id,
            e.registration_no,
            e.name_masked,
            e.district,
            e.street,
            e.community,
            json.dumps([str(s) for s in e.skills]),
            int(e.minor),
            e.unit_id,
            _iso(e.registered_at),
            _now(),
        ),
    )


def _volunteer_profile_updated(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, registry.VolunteerProfileUpdated)
    _set_status_if_new(conn, e.volunteer_id)
    if e.skills is not None:
        conn.execute(
            "UPDATE volunteers SET skills = ?, updated_at = ? WHERE volunteer_id = ?",
            (json.dumps([str(s) for s in e.skills]), _now(), e.volunteer_id),
        )
    if "unit_id" in e.changed:
        conn.execute(
            "UPDATE volunteers SET unit_id = ?, updated_at = ? WHERE volunteer_id = ?",
            (e.unit_id, _now(), e.volunteer_id),
        )


def _set_status_if_new(conn: sqlite3.Connection, volunteer_id: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO volunteers (volunteer_id, status, updated_at) VALUES (?, 'active', ?)",
        (volunteer_id, _now()),
    )


def _volunteer_moved(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, registry.VolunteerMoved)
    # Published to the new district only: the volunteer now belongs here.
    status = "active" if e.to_district == ce.district else "moved_away"
    conn.execute(
        "INSERT INTO volunteers (volunteer_id, status, district, street, community, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (volunteer_id) DO UPDATE SET status = excluded.status, "
        "district = excluded.district, street = COALESCE(excluded.street, volunteers.street), "
        "community = excluded.community, updated_at = excluded.updated_at",
        (e.volunteer_id, status, e.to_district, e.to_street, e.to_community, _now()),
    )


def _status_handler(status: str) -> Handler:
    def handle(conn: sqlite3.Connection, ce: CloudEvent) -> None:
        e = parse_event(ce)
        volunteer_id = getattr(e, "volunteer_id", None)
        assert isinstance(volunteer_id, str)
        _set_status(conn, volunteer_id, status)

    return handle


def _activity_published(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.ActivityPublished)
    conn.execute(
        "INSERT INTO activities (activity_id, team_id, community, title, service_kind, target_group, place, "
        "starts_at, ends_at, capacity, backfilled, status, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'published', ?) ON CONFLICT (activity_id) DO NOTHING",
        (
            e.activity_id,
            e.team_id,
            e.community,
            e.title,
            str(e.service_kind),
            str(e.target_group),
            e.place,
            _iso(min(s.starts_at for s in e.slots)),
            _iso(max(s.ends_at for s in e.slots)),
            sum(int(s.capacity) for s in e.slots),
            int(e.backfilled),
            _now(),
        ),
    )


def _activity_updated(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.ActivityUpdated)
    if e.slots:
        conn.execute(
            "UPDATE activities SET starts_at = ?, ends_at = ?, capacity = ?, updated_at = ? WHERE activity_id = ?",
            (
                _iso(min(s.starts_at for s in e.slots)),
                _iso(max(s.ends_at for s in e.slots)),
                sum(int(s.capacity) for s in e.slots),
                _now(),
                e.activity_id,
            ),
        )


def _activity_completed(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.ActivityCompleted)
    conn.execute(
        "INSERT INTO activities (activity_id, status, participants, total_minutes, people_served, updated_at) "
        "VALUES (?, 'completed', ?, ?, ?, ?) ON CONFLICT (activity_id) DO UPDATE SET status = 'completed', "
        "participants = excluded.participants, total_minutes = excluded.total_minutes, "
        "people_served = excluded.people_served, updated_at = excluded.updated_at",
        (e.activity_id, int(e.participants), int(e.total_minutes), int(e.people_served), _now()),
    )


def _activity_cancelled(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.ActivityCancelled)
    conn.execute(
        "INSERT INTO activities (activity_id, status, updated_at) VALUES (?, 'cancelled', ?) "
        "ON CONFLICT (activity_id) DO UPDATE SET status = 'cancelled', updated_at = excluded.updated_at",
        (e.activity_id, _now()),
    )


def _hours_logged(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.HoursLogged)
    inserted = conn.execute(
        "INSERT INTO service_records (record_id, volunteer_id, activity_id, minutes, logged_minutes, status, "
        "started_at, ended_at, service_kind, updated_at) VALUES (?, ?, ?, ?, ?, 'logged', ?, ?, ?, ?) "
        "ON CONFLICT (record_id) DO NOTHING",
        (
            e.record_id,
            e.volunteer_id,
            e.activity_id,
            int(e.minutes),
            int(e.minutes),
            _iso(e.started_at),
            _iso(e.ended_at),
            None if e.service_kind is None else str(e.service_kind),
            _now(),
        ),
    ).rowcount
    if inserted:
        _add_minutes(conn, e.volunteer_id, int(e.minutes), 1)


def _current_minutes(conn: sqlite3.Connection, record_id: str) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT minutes, status FROM service_records WHERE record_id = ?", (record_id,)
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _hours_corrected(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.HoursCorrected)
    current = _current_minutes(conn, e.record_id)
    new = int(e.minutes)
    if current is None:
        # The record was logged before this copy's history (or elsewhere): take it as it is now.
        conn.execute(
            "INSERT INTO service_records (record_id, volunteer_id, activity_id, minutes, status, updated_at) "
            "VALUES (?, ?, ?, ?, 'corrected', ?)",
            (e.record_id, e.volunteer_id, e.activity_id, new, _now()),
        )
        _add_minutes(conn, e.volunteer_id, new, 1)
        return
    old, status = current
    conn.execute(
        "UPDATE service_records SET minutes = ?, status = 'corrected', updated_at = ? WHERE record_id = ?",
        (new, _now(), e.record_id),
    )
    _add_minutes(conn, e.volunteer_id, new - old, 1 if status == "revoked" else 0)


def _hours_revoked(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, activities.HoursRevoked)
    current = _current_minutes(conn, e.record_id)
    if current is None:
        conn.execute(
            "INSERT INTO service_records (record_id, volunteer_id, activity_id, minutes, status, updated_at) "
            "VALUES (?, ?, ?, 0, 'revoked', ?)",
            (e.record_id, e.volunteer_id, e.activity_id, _now()),
        )
        return
    old, status = current
    if status == "revoked":
        return
    conn.execute(
        "UPDATE service_records SET minutes = 0, status = 'revoked', updated_at = ? WHERE record_id = ?",
        (_now(), e.record_id),
    )
    _add_minutes(conn, e.volunteer_id, -old, -1)


def _star_level(conn: sqlite3.Connection, ce: CloudEvent) -> None:
    e = parse_event(ce)
    assert isinstance(e, recognition.StarLevelAttained | recognition.StarLevelLowered)
    conn.execute(
        "INSERT INTO volunteer_totals (volunteer_id, star_level) VALUES (?, ?) "
        "ON CONFLICT (volunteer_id) DO UPDATE SET star_level = excluded.star_level",
        (e.volunteer_id, int(e.level)),
    )


DEFAULT_HANDLERS: Mapping[str, Handler] = {
    registry.VolunteerRegistered.TYPE: _volunteer_registered,
    registry.VolunteerProfileUpdated.TYPE: _volunteer_profile_updated,
    registry.VolunteerMoved.TYPE: _volunteer_moved,
    registry.VolunteerSuspended.TYPE: _status_handler("suspended"),
    registry.VolunteerReinstated.TYPE: _status_handler("active"),
    registry.VolunteerDeregistered.TYPE: _status_handler("deregistered"),
    activities.ActivityPublished.TYPE: _activity_published,
    activities.ActivityUpdated.TYPE: _activity_updated,
    activities.ActivityCompleted.TYPE: _activity_completed,
    activities.ActivityCancelled.TYPE: _activity_cancelled,
    activities.HoursLogged.TYPE: _hours_logged,
    activities.HoursCorrected.TYPE: _hours_corrected,
    activities.HoursRevoked.TYPE: _hours_revoked,
    recognition.StarLevelAttained.TYPE: _star_level,
    recognition.StarLevelLowered.TYPE: _star_level,
}


def _version_of(type_str: str) -> int:
    _, _, suffix = type_str.rpartition(".v")
    return int(suffix) if suffix.isdigit() else 0


def _name_of(type_str: str) -> str:
    parts = type_str.split(".")
    return parts[2] if len(parts) == 4 else type_str


class DistrictStore:
    """The SQLite copy. ``apply`` takes one message body; ``transaction`` groups several."""

    def __init__(
        self, path: str | Path, district: str, handlers: Mapping[str, Handler] | None = None
    ) -> None:
        self.path = Path(path)
        self.district = district
        self.handlers: dict[str, Handler] = dict(DEFAULT_HANDLERS if handlers is None else handlers)
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(_SCHEMA)
        self._in_transaction = False
        with self.transaction():
            stored = self._meta("district")
            if stored is not None and stored != district:
                raise ValueError(f"{self.path} holds district {stored}, not {district}")
            self._set_meta("district", district)
            self._set_meta("schema_version", str(SCHEMA_VERSION))

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction: committed when the block ends, rolled back if it raises."""
        if self._in_transaction:
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._in_transaction = False

    def apply(self, body: bytes, stream_seq: int | None = None) -> EventOutcome:
        """Apply one message body (a structured-mode CloudEvent), at most once per event id.

        The version policy (docs/district-feeds.md): a type with a handler is applied; a
        twin of an event already applied under another version (``id`` =
        ``versioned_event_id(v1_id, type)``, same ``subject``, ``sequence`` and name) is
        not applied again; a type the catalogue knows but this copy does not keep is
        ``ignored``; an unknown type (a newer version, say) is ``skipped``. Each is
        recorded, so it is never looked at twice.
        """
        try:
            ce = decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return EventOutcome(None, None, "rejected", stream_seq, f"not a CloudEvent: {exc}")
        with self.transaction():
            if self._conn.execute("SELECT 1 FROM events WHERE id = ?", (ce.id,)).fetchone():
                return EventOutcome(ce.id, ce.type, "duplicate", stream_seq)
            handler = self.handlers.get(ce.type)
            outcome: Outcome
            detail: str | None = None
            if handler is None:
                outcome = "ignored" if ce.type in CATALOGUE else "skipped"
            elif (twin := self._twin_of(ce)) is not None:
                outcome, detail = "twin", f"twin of {twin}, already applied"
            else:
                self._conn.execute("SAVEPOINT event")
                try:
                    handler(self._conn, ce)
                except (pydantic.ValidationError, AssertionError, ValueError, KeyError) as exc:
                    self._conn.execute("ROLLBACK TO event")
                    outcome, detail = "rejected", f"{type(exc).__name__}: {exc}"[:500]
                else:
                    outcome = "applied"
                self._conn.execute("RELEASE event")
            self._record(ce, stream_seq, outcome, detail)
        return EventOutcome(ce.id, ce.type, outcome, stream_seq, detail)

    def _twin_of(self, ce: CloudEvent) -> str | None:
        """The id of an applied event that ``ce`` is another version of, if any."""
        rows = self._conn.execute(
            "SELECT id, type, version FROM events WHERE subject = ? AND name = ? AND sequence = ? "
            "AND outcome = 'applied' AND version != ?",
            (ce.subject, _name_of(ce.type), ce.sequence, _version_of(ce.type)),
        ).fetchall()
        for other_id, other_type, other_version in rows:
            try:
                if _version_of(ce.type) > other_version:
                    if versioned_event_id(other_id, ce.type) == ce.id:
                        return str(other_id)
                elif versioned_event_id(ce.id, other_type) == other_id:
                    return str(other_id)
            except ValueError:  # an id that is no UUID cannot have twins
                continue
        return None

    def _record(self, ce: CloudEvent, stream_seq: int | None, outcome: Outcome, detail: str | None) -> None:
        self._conn.execute(
            "INSERT INTO events (id, type, name, version, subject, sequence, time, stream_seq, outcome, "
            "detail, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ce.id,
                ce.type,
                _name_of(ce.type),
                _version_of(ce.type),
                ce.subject,
                ce.sequence,
                ce.time,
                stream_seq,
                outcome,
                detail,
                _now(),
            ),
        )
        if stream_seq is not None:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES ('last_stream_seq', ?) ON CONFLICT (key) DO UPDATE "
                "SET value = MAX(CAST(meta.value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(stream_seq),),
            )

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- reading ---------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def last_stream_seq(self) -> int:
        """The highest district-stream sequence applied so far (0 before the first)."""
        value = self._meta("last_stream_seq")
        return int(value) if value else 0

    def volunteers(self, status: str | None = None) -> list[dict[str, Any]]:
        if status is None:
            return self._rows("SELECT * FROM volunteers ORDER BY volunteer_id")
        return self._rows("SELECT * FROM volunteers WHERE status = ? ORDER BY volunteer_id", (status,))

    def activities(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM activities ORDER BY starts_at, activity_id")

    def records(self, volunteer_id: str | None = None) -> list[dict[str, Any]]:
        if volunteer_id is None:
            return self._rows("SELECT * FROM service_records ORDER BY started_at, record_id")
        return self._rows(
            "SELECT * FROM service_records WHERE volunteer_id = ? ORDER BY started_at, record_id",
            (volunteer_id,),
        )

    def totals(self, volunteer_id: str) -> dict[str, Any]:
        """``minutes`` (corrections applied, revocations removed), ``records``, ``star_level``."""
        rows = self._rows("SELECT * FROM volunteer_totals WHERE volunteer_id = ?", (volunteer_id,))
        return (
            rows[0] if rows else {"volunteer_id": volunteer_id, "minutes": 0, "records": 0, "star_level": 0}
        )

    def summary(self) -> dict[str, int]:
        """The district at a glance: volunteers by status, activities, minutes, records."""
        one = self._conn.execute
        return {
            "volunteers_active": int(
                one("SELECT COUNT(*) FROM volunteers WHERE status = 'active'").fetchone()[0]
            ),
            "volunteers": int(one("SELECT COUNT(*) FROM volunteers").fetchone()[0]),
            "activities": int(one("SELECT COUNT(*) FROM activities").fetchone()[0]),
            "records": int(
                one("SELECT COUNT(*) FROM service_records WHERE status != 'revoked'").fetchone()[0]
            ),
            "minutes": int(one("SELECT COALESCE(SUM(minutes), 0) FROM service_records").fetchone()[0]),
            "events": int(one("SELECT COUNT(*) FROM events").fetchone()[0]),
        }

    def outcomes(self) -> dict[str, int]:
        """How many events ended ``applied``, ``ignored``, ``twin``, ``skipped``, ``rejected``."""
        return {
            str(outcome): int(count)
            for outcome, count in self._conn.execute("SELECT outcome, COUNT(*) FROM events GROUP BY outcome")
        }

    def event(self, event_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM events WHERE id = ?", (event_id,))
        return rows[0] if rows else None

    def close(self) -> None:
        self._conn.close()
