"""The hours ledger as recognition sees it: records, totals, the ledger of changes, and
star levels announced exactly once through recognition's own outbox.

Each handler runs inside the tracked consumer's transaction, so the read-model change,
the announcement (event store + outbox) and the consumer's position commit together.
During a rebuild (``announce=False``) nothing is announced: what was announced is already
in the event store, and ``reconcile`` announces only a level that truly differs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import CloudEvent, parse_time
from zhiyuan_platform.commands import Translator, UnitOfWork
from zhiyuan_platform.consumer import Handler
from zhiyuan_platform.eventstore import EventStore
from zhiyuan_platform.logging import get_logger

from ..adapters.tables import minute_ledger, service_records, volunteer_totals, volunteers
from ..domain.star_level import VolunteerStar
from ..domain.star_policy import StarPolicy
from .upsert import insert_ignore

log = get_logger("zhiyuan.recognition")


class Ledger:
    def __init__(self, policy: StarPolicy, translate: Translator, *, announce: bool = True) -> None:
        self.policy = policy
        self.translate = translate
        self.announce = announce
        self.store = EventStore()

    # -- registry -----------------------------------------------------------------------------

    async def volunteer_registered(self, conn: AsyncConnection, event: CloudEvent) -> None:
        d = event.data
        await conn.execute(
            insert_ignore(conn, volunteers).values(
                volunteer_id=d["volunteer_id"],
                registration_no=d["registration_no"],
                district=d["district"],
                street=d["street"],
                community=d["community"],
                status="active",
                unit_id=d.get("unit_id"),
                name_masked=d.get("name_masked"),
                registered_at=parse_time(d["registered_at"]),
            )
        )
        await conn.execute(
            insert_ignore(conn, volunteer_totals).values(
                volunteer_id=d["volunteer_id"],
                district=d["district"],
                total_minutes=0,
                star_level=0,
                as_of=event.time,
            )
        )
        log.info("volunteer.projected", volunteer_id=d["volunteer_id"], district=d["district"])

    async def volunteer_moved(self, conn: AsyncConnection, event: CloudEvent) -> None:
        d = event.data
        values: dict[str, Any] = {"district": d["to_district"], "community": d["to_community"]}
        if d.get("to_street"):
            values["street"] = d["to_street"]
        await conn.execute(
            update(volunteers).where(volunteers.c.volunteer_id == d["volunteer_id"]).values(**values)
        )
        # Totals follow the person; district views count minutes where they were served.
        await conn.execute(
            update(volunteer_totals)
            .where(volunteer_totals.c.volunteer_id == d["volunteer_id"])
            .values(district=d["to_district"])
        )

    def status(self, status: str) -> Handler:
        async def handle(conn: AsyncConnection, event: CloudEvent) -> None:
            await conn.execute(
                update(volunteers)
                .where(volunteers.c.volunteer_id == event.data["volunteer_id"])
                .values(status=status)
            )

        return handle

    async def profile_updated(self, conn: AsyncConnection, event: CloudEvent) -> None:
        d = event.data
        values: dict[str, Any] = {}
        if "unit_id" in d.get("changed", []):
            values["unit_id"] = d.get("unit_id")
        if "personal_data_erased" in d.get("changed", []):
            values["name_masked"] = None
        if values:
            await conn.execute(
                update(volunteers).where(volunteers.c.volunteer_id == d["volunteer_id"]).values(**values)
            )

    # -- hours ----------------------------------------------------------------------------------

    async def hours_logged(self, conn: AsyncConnection, event: CloudEvent) -> None:
        d = event.data
        if d.get("service_kind") == "training":
            return  # training never counts as service minutes
        await conn.execute(
            insert_ignore(conn, service_records).values(
                record_id=d["record_id"],
                volunteer_id=d["volunteer_id"],
                activity_id=d["activity_id"],
                team_id=d.get("team_id"),
                district=d["district"],
                community=d.get("community"),
                service_kind=d.get("service_kind"),
                target_group=d.get("target_group"),
                place=d.get("place"),
                logged_by=d.get("logged_by"),
                minutes=int(d["minutes"]),
                started_at=parse_time(d["started_at"]),
                ended_at=parse_time(d["ended_at"]),
                status="active",
            )
        )
        await self._change(
            conn,
            event,
            d["volunteer_id"],
            d["record_id"],
            int(d["minutes"]),
            served_at=parse_time(d["started_at"]),
        )

    async def hours_corrected(self, conn: AsyncConnection, event: CloudEvent) -> None:
        await self._set(conn, event, int(event.data["minutes"]), "active")

    async def hours_revoked(self, conn: AsyncConnection, event: CloudEvent) -> None:
        await self._set(conn, event, 0, "revoked")

    async def _set(self, conn: AsyncConnection, event: CloudEvent, minutes: int, status: str) -> None:
        record_id = event.data["record_id"]
        row = (
            await conn.execute(select(service_records).where(service_records.c.record_id == record_id))
        ).first()
        if row is None:
            raise LookupError(f"correction of unknown service record {record_id}")
        await conn.execute(
            update(service_records)
            .where(service_records.c.record_id == record_id)
            .values(minutes=minutes, status=status)
        )
        reason = event.data.get("reason", "")
        await self._change(
            conn, event, row.volunteer_id, record_id, minutes - int(row.minutes), reason=reason
        )

    async def _change(
        self,
        conn: AsyncConnection,
        event: CloudEvent,
        volunteer_id: str,
        record_id: str,
        delta: int,
        *,
        served_at: datetime | None = None,
        reason: str = "",
    ) -> None:
        at = parse_time(event.time)
        await conn.execute(
            minute_ledger.insert().values(volunteer_id=volunteer_id, record_id=record_id, delta=delta, at=at)
        )
        total = await conn.scalar(
            select(volunteer_totals.c.total_minutes).where(volunteer_totals.c.volunteer_id == volunteer_id)
        )
        new_total = int(total or 0) + delta
        level = self.policy.level_for(new_total)
        values: dict[str, Any] = {"total_minutes": new_total, "star_level": level, "as_of": event.time}
        if served_at is not None:
            values["last_served_at"] = served_at
        if total is None:  # hours for a volunteer whose registration this consumer has not seen (yet)
            district = await conn.scalar(
                select(volunteers.c.district).where(volunteers.c.volunteer_id == volunteer_id)
            )
            await conn.execute(
                volunteer_totals.insert().values(
                    volunteer_id=volunteer_id, district=district or event.district, **values
                )
            )
        else:
            await conn.execute(
                update(volunteer_totals)
                .where(volunteer_totals.c.volunteer_id == volunteer_id)
                .values(**values)
            )
        if self.announce:
            await self.announce_level(conn, volunteer_id, level, new_total, reason=reason, at=at)

    async def announce_level(
        self, conn: AsyncConnection, volunteer_id: str, level: int, total: int, *, reason: str, at: datetime
    ) -> bool:
        uow = UnitOfWork(conn, self.store, self.translate, datetime.now(UTC))
        star = await uow.load(VolunteerStar, volunteer_id) or VolunteerStar(volunteer_id)
        records = []
        if level > star.level:
            records = [
                r.record_id
                for r in await conn.execute(
                    select(service_records.c.record_id).where(
                        service_records.c.volunteer_id == volunteer_id, service_records.c.minutes > 0
                    )
                )
            ]
        if not star.reach(
            level=level,
            total_minutes=total,
            policy_version=self.policy.version,
            records=records,
            reason=reason or "服务时长更正 / service minutes corrected",
            at=at.isoformat(),
        ):
            return False
        district = await conn.scalar(
            select(volunteers.c.district).where(volunteers.c.volunteer_id == volunteer_id)
        )
        await uow.save(star, district=district or "110000")
        log.info("star_level.announced", volunteer_id=volunteer_id, level=level, total_minutes=total)
        return True

    # -- wiring -----------------------------------------------------------------------------------

    def registry_handlers(self) -> dict[str, Handler]:
        return {
            "zhiyuan.registry.VolunteerRegistered.v1": self.volunteer_registered,
            "zhiyuan.registry.VolunteerMoved.v1": self.volunteer_moved,
            "zhiyuan.registry.VolunteerSuspended.v1": self.status("suspended"),
            "zhiyuan.registry.VolunteerReinstated.v1": self.status("active"),
            "zhiyuan.registry.VolunteerDeregistered.v1": self.status("deregistered"),
            "zhiyuan.registry.VolunteerProfileUpdated.v1": self.profile_updated,
        }

    def activities_handlers(self) -> dict[str, Handler]:
        return {
            "zhiyuan.activities.HoursLogged.v1": self.hours_logged,
            "zhiyuan.activities.HoursCorrected.v1": self.hours_corrected,
            "zhiyuan.activities.HoursRevoked.v1": self.hours_revoked,
        }
