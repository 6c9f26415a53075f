"""Activities' read models, kept in the command's transaction from its stored events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.bulk import insert_many
from zhiyuan_platform.eventstore import StoredEvent

from .tables import (
    activity_view,
    attendance_view,
    dispute_view,
    record_history,
    record_view,
    signup_view,
    slot_view,
)

Projection = Callable[[AsyncConnection, StoredEvent], Awaitable[None]]


def aggregate_id(event: StoredEvent) -> str:
    return event.stream_id.split("-", 1)[1]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _refresh_counts(conn: AsyncConnection, activity_id: str, slot: int) -> None:
    counts: dict[str, int] = dict(
        (
            await conn.execute(
                select(signup_view.c.status, func.count())
                .where(signup_view.c.activity_id == activity_id, signup_view.c.slot == slot)
                .group_by(signup_view.c.status)
            )
        ).all()
    )
    await conn.execute(
        update(slot_view)
        .where(slot_view.c.activity_id == activity_id, slot_view.c.slot == slot)
        .values(confirmed=counts.get("confirmed", 0), waitlisted=counts.get("waitlisted", 0))
    )


async def published(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    slots = d["slots"]
    values = {
        "team_id": d["team_id"], "district": d["district"], "community": d["community"], "title": d["title"],
        "service_kind": d["service_kind"], "target_group": d["target_group"], "place": d["place"],
        "description": d["description"], "recruitment": d["recruitment"], "status": "published",
        "backfilled": d["backfilled"], "needs_insurance": d["needs_insurance"], "insured": False,
        "allows_minors": d["allows_minors"], "published_at": d["at"],
        "starts_at": min(when(s["starts_at"]) for s in slots), "ends_at": max(when(s["ends_at"]) for s in slots),
    }
    exists = await conn.scalar(select(activity_view.c.activity_id).where(activity_view.c.activity_id == d["activity_id"]))
    if exists:
        await conn.execute(update(activity_view).where(activity_view.c.activity_id == d["activity_id"]).values(**values))
    else:
        await conn.execute(activity_view.insert().values(activity_id=d["activity_id"], **values))
    for index, slot in enumerate(slots):
        await conn.execute(
            slot_view.insert().values(
                activity_id=d["activity_id"], slot=index, starts_at=when(slot["starts_at"]), ends_at=when(slot["ends_at"]),
                capacity=slot["capacity"], confirmed=0, waitlisted=0,
            )
        )


async def backfill_requested(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data["details"]
    slots = d["slots"]
    await conn.execute(
        activity_view.insert().values(
            activity_id=aggregate_id(event), team_id=d["team_id"], district=d["district"], community=d["community"],
            title=d["title"], service_kind=d["service_kind"], target_group=d["target_group"], place=d["place"],
            description=d["description"], recruitment=d["recruitment"], status="backfill_requested", backfilled=True,
            needs_insurance=d["needs_insurance"], insured=False, allows_minors=d["allows_minors"], published_at=None,
            starts_at=min(when(s["starts_at"]) for s in slots), ends_at=max(when(s["ends_at"]) for s in slots),
        )
    )


def _set_status(status: str) -> Projection:
    async def project(conn: AsyncConnection, event: StoredEvent) -> None:
        await conn.execute(update(activity_view).where(activity_view.c.activity_id == aggregate_id(event)).values(status=status))

    return project


async def updated(conn: AsyncConnection, event: StoredEvent) -> None:
    changed = {k: v for k, v in event.data["changed"].items() if k in ("title", "place", "description", "target_group")}
    if changed:
        await conn.execute(update(activity_view).where(activity_view.c.activity_id == aggregate_id(event)).values(**changed))


async def capacity_changed(conn: AsyncConnection, event: StoredEvent) -> None:
    await conn.execute(
        update(slot_view)
        .where(slot_view.c.activity_id == aggregate_id(event), slot_view.c.slot == event.data["slot"])
        .values(capacity=event.data["capacity"])
    )


async def insured(conn: AsyncConnection, event: StoredEvent) -> None:
    await conn.execute(update(activity_view).where(activity_view.c.activity_id == aggregate_id(event)).values(insured=True))


async def signed_up(conn: AsyncConnection, event: StoredEvent) -> None:
    d, activity_id = event.data, aggregate_id(event)
    slot = (await conn.execute(select(slot_view).where(slot_view.c.activity_id == activity_id, slot_view.c.slot == d["slot"]))).one()
    status = "waitlisted" if d["waitlisted"] else "confirmed"
    where = and_(signup_view.c.activity_id == activity_id, signup_view.c.volunteer_id == d["volunteer_id"])
    if await conn.scalar(select(signup_view.c.slot).where(where)) is not None:
        await conn.execute(
            update(signup_view)
            .where(where)
            .values(slot=d["slot"], status=status, starts_at=slot.starts_at, ends_at=slot.ends_at, signed_up_at=d["at"], sequence=event.version)
        )
    else:
        await conn.execute(
            signup_view.insert().values(
                activity_id=activity_id, volunteer_id=d["volunteer_id"], slot=d["slot"], status=status,
                starts_at=slot.starts_at, ends_at=slot.ends_at, signed_up_at=d["at"], sequence=event.version,
            )
        )
    await _refresh_counts(conn, activity_id, d["slot"])


def _signup_status(status: str) -> Projection:
    async def project(conn: AsyncConnection, event: StoredEvent) -> None:
        activity_id = aggregate_id(event)
        await conn.execute(
            update(signup_view)
            .where(signup_view.c.activity_id == activity_id, signup_view.c.volunteer_id == event.data["volunteer_id"])
            .values(status=status)
        )
        await _refresh_counts(conn, activity_id, event.data["slot"])

    return project


async def cancelled(conn: AsyncConnection, event: StoredEvent) -> None:
    activity_id = aggregate_id(event)
    await conn.execute(update(activity_view).where(activity_view.c.activity_id == activity_id).values(status="cancelled"))
    await conn.execute(
        update(signup_view)
        .where(signup_view.c.activity_id == activity_id, signup_view.c.status.in_(("confirmed", "waitlisted")))
        .values(status="released")
    )
    await conn.execute(update(slot_view).where(slot_view.c.activity_id == activity_id).values(confirmed=0, waitlisted=0))


async def completed(conn: AsyncConnection, event: StoredEvent) -> None:
    await conn.execute(
        update(activity_view)
        .where(activity_view.c.activity_id == aggregate_id(event))
        .values(status="completed", summary=event.data["summary"], people_served=event.data["people_served"])
    )


async def checked_in(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        attendance_view.insert().values(
            activity_id=aggregate_id(event), volunteer_id=d["volunteer_id"], checked_in=d["at"], slot=d["slot"],
            checked_out=None, auto_closed=False, method=d["method"], recorded_at=event.recorded_at,
        )
    )


async def checked_out(conn: AsyncConnection, event: StoredEvent) -> None:
    d, activity_id = event.data, aggregate_id(event)
    await conn.execute(
        update(attendance_view)
        .where(
            attendance_view.c.activity_id == activity_id,
            attendance_view.c.volunteer_id == d["volunteer_id"],
            attendance_view.c.checked_out.is_(None),
        )
        .values(checked_out=d["at"], auto_closed=d["auto_closed"])
    )


async def _history(conn: AsyncConnection, event: StoredEvent, change: str, minutes: int, previous: int | None, reason: str | None, by: str) -> None:
    await conn.execute(
        record_history.insert().values(
            record_id=aggregate_id(event), version=event.version, change=change, minutes=minutes,
            previous_minutes=previous, reason=reason, by=by, at=event.data.get("at") or event.recorded_at.isoformat(),
        )
    )


def _logged_rows(event: StoredEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record_view and record_history rows of a HoursLogged or TrainingRecorded."""
    d = event.data
    if event.type == "TrainingRecorded":
        record = {
            "kind": "training", "title": d["title"], "place": "", "target_group": "", "service_kind": "training",
            "policy_version": "exact.v1", "backfilled": False, "late": False,
        }
        change = "training"
    else:
        record = {
            "kind": "service", "title": event.meta.get("title", ""), "place": d["place"], "target_group": d["target_group"],
            "service_kind": d["service_kind"], "policy_version": d["policy_version"], "backfilled": d["backfilled"], "late": d["late"],
        }
        change = "logged"
    record.update(
        record_id=d["record_id"], volunteer_id=d["volunteer_id"], activity_id=d["activity_id"], team_id=d["team_id"],
        district=d["district"], minutes=d["minutes"], original_minutes=d["minutes"], started_at=when(d["started_at"]),
        ended_at=when(d["ended_at"]), status="active", logged_by=d["logged_by"], logged_at=d["at"],
    )
    history = {
        "record_id": aggregate_id(event), "version": event.version, "change": change, "minutes": d["minutes"],
        "previous_minutes": None, "reason": None, "by": d["logged_by"], "at": d.get("at") or event.recorded_at.isoformat(),
    }
    return record, history


async def records_logged(conn: AsyncConnection, events: Sequence[StoredEvent]) -> None:
    """New service and training records: one statement per table, however many records."""
    if not events:
        return
    rows = [_logged_rows(event) for event in events]
    # One statement per table through the driver's executemany (bulk.insert_many).
    await insert_many(conn, record_view, [record for record, _ in rows])
    await insert_many(conn, record_history, [history for _, history in rows])


async def hours_logged(conn: AsyncConnection, event: StoredEvent) -> None:
    await records_logged(conn, [event])


training_recorded = hours_logged


async def corrected(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(update(record_view).where(record_view.c.record_id == aggregate_id(event)).values(minutes=d["minutes"]))
    await _history(conn, event, "corrected", d["minutes"], d["previous_minutes"], d["reason"], d["by"])


async def revoked(conn: AsyncConnection, event: StoredEvent) -> None:
    d = event.data
    await conn.execute(
        update(record_view).where(record_view.c.record_id == aggregate_id(event)).values(minutes=0, status="revoked")
    )
    await _history(conn, event, "revoked", 0, d["previous_minutes"], d["reason"], d["by"])


async def disputed(conn: AsyncConnection, event: StoredEvent) -> None:
    d, record_id = event.data, aggregate_id(event)
    record = (await conn.execute(select(record_view).where(record_view.c.record_id == record_id))).one()
    await conn.execute(
        dispute_view.insert().values(
            record_id=record_id, dispute_no=d["dispute_no"], volunteer_id=record.volunteer_id, activity_id=record.activity_id,
            team_id=record.team_id, claimed_minutes=d["claimed_minutes"], reason=d["reason"], status="open", opened_at=d["at"],
        )
    )
    await _history(conn, event, "disputed", record.minutes, None, d["reason"], d["by"])


async def resolved(conn: AsyncConnection, event: StoredEvent) -> None:
    d, record_id = event.data, aggregate_id(event)
    await conn.execute(
        update(dispute_view)
        .where(dispute_view.c.record_id == record_id, dispute_view.c.dispute_no == d["dispute_no"])
        .values(status="accepted" if d["accepted"] else "rejected", note=d["note"], resolved_by=d["by"], resolved_at=d["at"])
    )
    minutes = await conn.scalar(select(record_view.c.minutes).where(record_view.c.record_id == record_id))
    await _history(conn, event, "dispute_" + ("accepted" if d["accepted"] else "rejected"), int(minutes or 0), None, d["note"], d["by"])


PROJECTIONS: dict[str, Projection] = {
    "BackfillRequested": backfill_requested,
    "BackfillRejected": _set_status("backfill_rejected"),
    "ActivityPublished": published,
    "ActivityUpdated": updated,
    "SlotCapacityChanged": capacity_changed,
    "InsuranceRecorded": insured,
    "VolunteerSignedUp": signed_up,
    "SignUpPromoted": _signup_status("confirmed"),
    "SignUpCancelled": _signup_status("cancelled"),
    "VolunteerCheckedIn": checked_in,
    "VolunteerCheckedOut": checked_out,
    "ActivityCancelled": cancelled,
    "ActivityCompleted": completed,
    "HoursLogged": hours_logged,
    "TrainingRecorded": training_recorded,
    "HoursCorrected": corrected,
    "HoursRevoked": revoked,
    "HoursDisputed": disputed,
    "DisputeResolved": resolved,
}


async def project(conn: AsyncConnection, event: StoredEvent) -> None:
    handler = PROJECTIONS.get(event.type)
    if handler is not None:
        await handler(conn, event)


# Projections that only insert rows of their own: a run of them is written in one go.
_INSERT_ONLY = frozenset({"HoursLogged", "TrainingRecorded"})


async def project_many(conn: AsyncConnection, events: Sequence[StoredEvent]) -> None:
    """``project`` every event in order; consecutive new records are inserted together."""
    run: list[StoredEvent] = []
    for event in events:
        if event.type in _INSERT_ONLY:
            run.append(event)
            continue
        await records_logged(conn, run)
        run = []
        await project(conn, event)
    await records_logged(conn, run)
