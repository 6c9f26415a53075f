"""Reads of recognition's projections; each answer says how far it has caught up."""

from __future__ import annotations

import csv
import importlib.resources
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.vocabularies import UNIT_TYPE_QUOTA_PERCENT
from zhiyuan_platform import tracking
from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Forbidden, Invalid, NotFound, Request
from zhiyuan_platform.service import HandlerRegistry

from .adapters.tables import (
    activities,
    minute_ledger,
    service_records,
    stations,
    teams,
    units,
    volunteer_totals,
    volunteers,
)
from .domain.periods import SHANGHAI, end_of_local_day, parse_period, periods_of
from .domain.star_policy import StarPolicy

ANNUAL_MINIMUM_MINUTES = 20 * 60
COVERAGE_TARGET = 0.10


class GetVolunteerRecognition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: str
    as_of_date: date | None = None


class Leaderboard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: str = Field(default="city", pattern=r"^(city|[0-9]{6})$")
    period: str
    limit: int = Field(default=20, ge=1, le=500)


class DistrictStats(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: str = Field(pattern=r"^([0-9]{6})$")
    level: Literal["city", "district", "street", "community"] = "district"
    year: int | None = Field(default=None, ge=2000, le=2100)


class AnnualMinimum(BaseModel):
    model_config = ConfigDict(extra="forbid")
    district: str = Field(pattern=r"^[0-9]{6}$")
    year: int = Field(ge=2000, le=2100)
    limit: int = Field(default=500, ge=1, le=5000)


async def as_of(conn: AsyncConnection) -> dict[str, Any]:
    """The latest event time applied and the stream positions the read models stand at."""
    positions = await tracking.positions(conn)
    times = [p.event_time for p in positions if p.event_time]
    return {
        "as_of": max(times) if times else None,
        "as_of_positions": {p.stream: p.position for p in positions},
    }


@lru_cache(maxsize=4)
def population(city: str = "110000") -> dict[str, int]:
    text = (importlib.resources.files("zhiyuan_recognition") / "data" / f"population-{city}.csv").read_text(
        encoding="utf-8"
    )
    return {row["district"]: int(row["resident_population"]) for row in csv.DictReader(text.splitlines())}


def _period(label: str) -> Any:
    try:
        return parse_period(label)
    except ValueError as exc:
        raise Invalid(
            "invalid-period",
            f"期间格式应为 2026、2026Q1 或 2026-03。 {exc}",
            errors=[{"field": "period", "rule": "period", "message": str(exc)}],
        ) from None


def _is_city(code: str) -> bool:
    return code.endswith("00")


def _within(column: Any, code: str) -> Any:
    """A district code matches itself; a city code every district of the city: a
    municipality's (110000) districts share its first two digits, a prefecture city's
    (440300) its first four."""
    if not _is_city(code):
        return column == code
    prefix = code[:2] if code.endswith("0000") else code[:4]
    return func.substr(column, 1, len(prefix)) == prefix


class RecognitionQueries:
    def __init__(self, policy: StarPolicy) -> None:
        self.policy = policy

    async def volunteer_recognition(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(GetVolunteerRecognition, request.payload)
        principal = request.principal
        if (
            principal is not None
            and principal.role == "volunteer"
            and principal.volunteer != query.volunteer_id
        ):
            raise Forbidden("not-yours", "只能查看本人的星级。 You may read only your own recognition.")
        # One statement for the person, their total and the three periods (a portal's most
        # frequent read: each statement is a round trip to the database's thread).
        labels = periods_of(datetime.now(UTC))
        columns: list[Any] = [
            volunteer_totals.c.volunteer_id,
            volunteer_totals.c.district,
            volunteer_totals.c.total_minutes,
            volunteers.c.registration_no,
            *(self._served(query.volunteer_id, label).label(kind) for kind, label in labels.items()),
        ]
        if query.as_of_date is not None:
            # The records as logged by then, plus the corrections known by then.
            end = end_of_local_day(query.as_of_date)
            logged = select(func.coalesce(func.sum(service_records.c.logged_minutes), 0)).where(
                service_records.c.volunteer_id == query.volunteer_id, service_records.c.logged_at < end
            )
            changed = select(func.coalesce(func.sum(minute_ledger.c.delta), 0)).where(
                minute_ledger.c.volunteer_id == query.volunteer_id, minute_ledger.c.at < end
            )
            columns.append((logged.scalar_subquery() + changed.scalar_subquery()).label("total_as_of"))
        row = (
            await conn.execute(
                select(*columns)
                .select_from(
                    volunteer_totals.outerjoin(volunteers, volunteers.c.volunteer_id == volunteer_totals.c.volunteer_id)
                )
                .where(volunteer_totals.c.volunteer_id == query.volunteer_id)
            )
        ).first()
        caught_up = await as_of(conn)
        if row is None:
            raise NotFound(
                "volunteer-not-known-yet",
                "尚无此志愿者的记录（新注册的志愿者可能需要几秒钟才出现）。 No record of this volunteer yet; a new registration may take a few seconds to appear.",
                **caught_up,
            )
        total = int(row.total_as_of or 0) if query.as_of_date is not None else int(row.total_minutes)
        return {
            "volunteer_id": row.volunteer_id,
            "registration_no": row.registration_no,
            "district": row.district,
            "total_minutes": total,
            "star_level": self.policy.level_for(total),
            "next_level_minutes": self.policy.next_level_minutes(total),
            "policy_version": self.policy.version,
            "thresholds_minutes": list(self.policy.thresholds_minutes),
            "as_of_date": query.as_of_date.isoformat() if query.as_of_date else None,
            "periods": {kind: {"period": label, "minutes": int(row._mapping[kind])} for kind, label in labels.items()},
            **caught_up,
        }

    @staticmethod
    def _served(volunteer_id: str, label: str) -> Any:
        """The minutes a volunteer served in a period, as a scalar subquery."""
        period = parse_period(label)
        return (
            select(func.coalesce(func.sum(service_records.c.minutes), 0))
            .where(
                service_records.c.volunteer_id == volunteer_id,
                service_records.c.started_at >= period.start,
                service_records.c.started_at < period.end,
            )
            .scalar_subquery()
        )

    async def leaderboard(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(Leaderboard, request.payload)
        period = _period(query.period)
        minutes = func.sum(service_records.c.minutes).label("minutes")
        conditions = [service_records.c.started_at >= period.start, service_records.c.started_at < period.end]
        if query.scope != "city":
            conditions.append(service_records.c.district == query.scope)
        rows = await conn.execute(
            select(
                service_records.c.volunteer_id,
                volunteers.c.registration_no,
                volunteers.c.name_masked,
                minutes,
            )
            .join(volunteers, volunteers.c.volunteer_id == service_records.c.volunteer_id)
            .where(and_(*conditions))
            .group_by(service_records.c.volunteer_id, volunteers.c.registration_no, volunteers.c.name_masked)
            .having(minutes > 0)
            .order_by(minutes.desc(), volunteers.c.registration_no)
            .limit(query.limit)
        )
        items = [
            {
                "rank": i,
                "volunteer_id": r.volunteer_id,
                "registration_no": r.registration_no,
                "name_masked": r.name_masked,
                "minutes": int(r.minutes),
            }
            for i, r in enumerate(rows, start=1)
        ]
        return {"scope": query.scope, "period": query.period, "items": items, **await as_of(conn)}

    async def district_stats(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(DistrictStats, request.payload)
        principal = request.principal
        if (
            principal is not None
            and principal.role in ("district_admin", "district_system")
            and principal.district != query.district
        ):
            raise Forbidden(
                "outside-your-district", "只能查看本区统计。 You may read only your district's statistics."
            )
        district = query.district
        now = datetime.now(UTC)
        year = query.year or now.astimezone(SHANGHAI).year
        year_period = parse_period(str(year))
        key = {
            "city": func.substr(volunteers.c.district, 1, 2),
            "district": volunteers.c.district,
            "street": volunteers.c.street,
            "community": volunteers.c.community,
        }[query.level]
        registered: dict[str, int] = dict(
            (
                await conn.execute(
                    select(key, func.count())
                    .where(_within(volunteers.c.district, district), volunteers.c.status != "deregistered")
                    .group_by(key)
                )
            ).all()
        )
        twelve_months_ago = now - timedelta(days=365)
        active_rows = await conn.execute(
            select(key, func.count(func.distinct(service_records.c.volunteer_id)))
            .join(volunteers, volunteers.c.volunteer_id == service_records.c.volunteer_id)
            .where(
                _within(volunteers.c.district, district),
                service_records.c.started_at >= twelve_months_ago,
                service_records.c.minutes > 0,
            )
            .group_by(key)
        )
        active: dict[str, int] = dict(active_rows.all())  # type: ignore[arg-type]
        served = await conn.execute(
            select(func.count(), func.coalesce(func.sum(service_records.c.minutes), 0)).where(
                _within(service_records.c.district, district),
                service_records.c.minutes > 0,
                service_records.c.started_at >= year_period.start,
                service_records.c.started_at < year_period.end,
            )
        )
        participations, minutes = served.one()
        acts = (
            await conn.execute(
                select(func.count(), func.coalesce(func.sum(activities.c.people_served), 0)).where(
                    _within(activities.c.district, district),
                    activities.c.status != "cancelled",
                    activities.c.starts_at >= year_period.start,
                    activities.c.starts_at < year_period.end,
                )
            )
        ).one()
        team_count = int(
            await conn.scalar(select(func.count()).select_from(teams).where(_within(teams.c.district, district)))
            or 0
        )
        station_rows = (
            await conn.execute(
                select(
                    func.count(), func.coalesce(func.sum(case((stations.c.meets_all_six, 1), else_=0)), 0)
                ).where(_within(stations.c.district, district))
            )
        ).one()
        monthly = []
        for month in range(1, 13):
            period = parse_period(f"{year}-{month:02d}")
            row = (
                await conn.execute(
                    select(func.count(), func.coalesce(func.sum(service_records.c.minutes), 0)).where(
                        _within(service_records.c.district, district),
                        service_records.c.minutes > 0,
                        service_records.c.started_at >= period.start,
                        service_records.c.started_at < period.end,
                    )
                )
            ).one()
            monthly.append({"month": period.label, "participations": int(row[0]), "minutes": int(row[1])})
        total_registered = sum(int(v) for v in registered.values())
        stars: dict[int, int] = dict(
            (
                await conn.execute(
                    select(volunteer_totals.c.star_level, func.count())
                    .join(volunteers, volunteers.c.volunteer_id == volunteer_totals.c.volunteer_id)
                    .where(_within(volunteers.c.district, district), volunteers.c.status != "deregistered")
                    .group_by(volunteer_totals.c.star_level)
                )
            ).all()
        )
        resident = sum(population().values()) if _is_city(district) else population().get(district)
        quotas = await self._unit_quotas(conn, district)
        return {
            "district": district,
            "year": year,
            "registered": total_registered,
            "active": sum(int(v) for v in active.values()),
            "teams": team_count,
            "stations": int(station_rows[0]),
            "stations_meeting_all_six": int(station_rows[1] or 0),
            "activities": int(acts[0]),
            "participations": int(participations),
            "minutes": int(minutes),
            "people_served": int(acts[1] or 0),
            "coverage": {
                "resident_population": resident,
                "registered_share": round(total_registered / resident, 6) if resident else None,
                "target": COVERAGE_TARGET,
                "meets_target": resident is not None and total_registered / resident >= COVERAGE_TARGET,
            },
            "unit_quotas": quotas,
            "by_star_level": [{"star_level": level, "volunteers": int(stars.get(level, 0))} for level in range(6)],
            "by_" + query.level: [
                {query.level: k, "registered": int(registered.get(k, 0)), "active": int(active.get(k, 0))}
                for k in sorted(set(registered) | set(active))
            ],
            "monthly": monthly,
            **await as_of(conn),
        }

    async def _unit_quotas(self, conn: AsyncConnection, district: str) -> list[dict[str, Any]]:
        rows = await conn.execute(
            select(units.c.unit_type, func.sum(units.c.headcount))
            .where(_within(units.c.district, district))
            .group_by(units.c.unit_type)
        )
        headcounts = dict(rows.all())
        members: dict[str, int] = dict(
            (
                await conn.execute(
                    select(units.c.unit_type, func.count())
                    .join(volunteers, volunteers.c.unit_id == units.c.unit_id)
                    .where(_within(units.c.district, district), volunteers.c.status != "deregistered")
                    .group_by(units.c.unit_type)
                )
            ).all()
        )
        result = []
        for unit_type, quota in UNIT_TYPE_QUOTA_PERCENT.items():
            headcount = int(headcounts.get(unit_type, 0) or 0)
            registered = int(members.get(unit_type, 0) or 0)
            share = registered / headcount if headcount else None
            result.append(
                {
                    "unit_type": str(getattr(unit_type, "value", unit_type)),
                    "quota_percent": quota,
                    "headcount": headcount,
                    "registered": registered,
                    "share": round(share, 6) if share is not None else None,
                    "meets_quota": share is not None and quota is not None and share * 100 >= quota,
                }
            )
        return result

    async def annual_minimum(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(AnnualMinimum, request.payload)
        principal = request.principal
        if (
            principal is not None
            and principal.role in ("district_admin", "district_system")
            and principal.district != query.district
        ):
            raise Forbidden(
                "outside-your-district", "只能查看本区名单。 You may read only your district's list."
            )
        period = parse_period(str(query.year))
        served = (
            select(service_records.c.volunteer_id, func.sum(service_records.c.minutes).label("minutes"))
            .where(service_records.c.started_at >= period.start, service_records.c.started_at < period.end)
            .group_by(service_records.c.volunteer_id)
            .subquery()
        )
        minutes = func.coalesce(served.c.minutes, 0)
        rows = await conn.execute(
            select(
                volunteers.c.volunteer_id,
                volunteers.c.registration_no,
                volunteers.c.name_masked,
                volunteers.c.community,
                minutes.label("minutes"),
            )
            .outerjoin(served, served.c.volunteer_id == volunteers.c.volunteer_id)
            .where(
                volunteers.c.district == query.district,
                volunteers.c.status == "active",
                minutes < ANNUAL_MINIMUM_MINUTES,
            )
            .order_by(minutes, volunteers.c.registration_no)
            .limit(query.limit)
        )
        items = [
            {
                "volunteer_id": r.volunteer_id,
                "registration_no": r.registration_no,
                "name_masked": r.name_masked,
                "community": r.community,
                "minutes": int(r.minutes),
                "missing_minutes": ANNUAL_MINIMUM_MINUTES - int(r.minutes),
            }
            for r in rows
        ]
        return {
            "district": query.district,
            "year": query.year,
            "minimum_minutes": ANNUAL_MINIMUM_MINUTES,
            "items": items,
            **await as_of(conn),
        }


def wire(host: HandlerRegistry, policy: StarPolicy) -> RecognitionQueries:
    queries = RecognitionQueries(policy)
    host.query("GetVolunteerRecognition", queries.volunteer_recognition)
    host.query("Leaderboard", queries.leaderboard)
    host.query("DistrictStats", queries.district_stats)
    host.query("AnnualMinimum", queries.annual_minimum)
    return queries
