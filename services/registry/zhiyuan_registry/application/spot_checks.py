"""Spot checks of registrations: draw a reproducible sample, record outcomes, report rates."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import rfc3339
from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.rpc import Invalid, NotFound, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.spot_check_views import spot_check_items, spot_check_view
from ..adapters.volunteer_views import volunteer_view
from ..domain.spot_check import OUTCOMES, Candidate, SpotCheck, SpotCheckError
from .access import ensure_admin_of
from .common import actor_of, parse
from .ports import RegistryDeps


class DrawSpotCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str = Field(pattern=r"^[0-9]{6}$")
    seed: str = Field(min_length=1, max_length=100)
    percentage: float | None = Field(default=None, gt=0, le=100)
    count: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one_size(self) -> DrawSpotCheck:
        if (self.percentage is None) == (self.count is None):
            raise ValueError("give either percentage or count")
        return self


class RecordOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_id: str
    volunteer_id: str
    outcome: Literal["verified", "unreachable", "mismatch"]
    note: str = Field(default="", max_length=1000)


class CheckRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_id: str


class DistrictRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str = Field(pattern=r"^[0-9]{6}$")


def _problem(error: SpotCheckError, field: str) -> Invalid:
    return Invalid(
        f"spot-check-{error.rule}", f"{error.zh} {error.en}", errors=[{"field": field, "rule": error.rule, "message": error.en}]
    )


class SpotCheckHandlers:
    async def draw(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: DrawSpotCheck = parse(DrawSpotCheck, request.payload)
        who = ensure_admin_of(request.principal, cmd.district)
        rows = await uow.conn.execute(
            select(volunteer_view.c.volunteer_id, volunteer_view.c.registration_no, volunteer_view.c.community).where(
                volunteer_view.c.district == cmd.district, volunteer_view.c.status == "active"
            )
        )
        population = [Candidate(r.volunteer_id, r.registration_no, r.community) for r in rows]
        try:
            check = SpotCheck.draw(
                check_id=str(uuid.uuid4()),
                district=cmd.district,
                seed=cmd.seed,
                population=population,
                percentage=cmd.percentage,
                count=cmd.count,
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except SpotCheckError as error:
            raise _problem(error, "percentage" if cmd.percentage is not None else "count") from None
        await uow.save(check, district=cmd.district)
        return {"check_id": check.id, "population": len(population), "sample_size": len(check.sampled)}

    async def record_outcome(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: RecordOutcome = parse(RecordOutcome, request.payload)
        check = await uow.load(SpotCheck, cmd.check_id)
        if check is None:
            raise NotFound("spot-check-not-found", f"没有这次抽查。 No spot check {cmd.check_id}.")
        who = ensure_admin_of(request.principal, check.district)
        try:
            check.record_outcome(
                volunteer_id=cmd.volunteer_id, outcome=cmd.outcome, note=mask_text(cmd.note), by=actor_of(who), at=rfc3339(uow.now)
            )
        except SpotCheckError as error:
            raise _problem(error, "volunteer_id" if error.rule == "not-sampled" else "note") from None
        await uow.save(check, district=check.district)
        return {"check_id": check.id, "volunteer_id": cmd.volunteer_id, "outcome": cmd.outcome}

    async def _header(self, conn: AsyncConnection, request: Request) -> Any:
        query: CheckRef = parse(CheckRef, request.payload)
        row = (await conn.execute(select(spot_check_view).where(spot_check_view.c.check_id == query.check_id))).first()
        if row is None:
            raise NotFound("spot-check-not-found", f"没有这次抽查。 No spot check {query.check_id}.")
        ensure_admin_of(request.principal, row.district)
        return row

    async def get(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        header = await self._header(conn, request)
        items = await conn.execute(
            select(spot_check_items, volunteer_view.c.registration_no, volunteer_view.c.name_masked)
            .join(volunteer_view, volunteer_view.c.volunteer_id == spot_check_items.c.volunteer_id)
            .where(spot_check_items.c.check_id == header.check_id)
            .order_by(spot_check_items.c.position)
        )
        return {
            "check_id": header.check_id,
            "district": header.district,
            "seed": header.seed,
            "population": header.population,
            "sample_size": header.sample_size,
            "drawn_by": header.drawn_by,
            "drawn_at": header.drawn_at,
            "items": [
                {
                    "volunteer_id": r.volunteer_id,
                    "registration_no": r.registration_no,
                    "name": r.name_masked,
                    "community": r.community,
                    "outcome": r.outcome,
                    "note": r.note,
                    "checked_by": r.checked_by,
                    "checked_at": r.checked_at,
                }
                for r in items
            ],
        }

    async def report(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        header = await self._header(conn, request)
        rows = await conn.execute(
            select(spot_check_items.c.community, spot_check_items.c.outcome).where(spot_check_items.c.check_id == header.check_id)
        )
        per: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*OUTCOMES, "pending", "sampled"), 0))
        for community, outcome in rows:
            per[community]["sampled"] += 1
            per[community][outcome or "pending"] += 1
        communities: list[dict[str, Any]] = []
        for community in sorted(per):
            counts = per[community]
            checked = counts["sampled"] - counts["pending"]
            communities.append(
                {
                    "community": community,
                    **counts,
                    "checked": checked,
                    "verified_rate": round(counts["verified"] / checked, 4) if checked else None,
                }
            )
        total_checked = sum(c["checked"] for c in communities)
        total_verified = sum(c["verified"] for c in communities)
        return {
            "check_id": header.check_id,
            "district": header.district,
            "communities": communities,
            "checked": total_checked,
            "verified_rate": round(total_verified / total_checked, 4) if total_checked else None,
        }

    async def list(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query: DistrictRef = parse(DistrictRef, request.payload)
        ensure_admin_of(request.principal, query.district)
        rows = await conn.execute(
            select(spot_check_view).where(spot_check_view.c.district == query.district).order_by(spot_check_view.c.drawn_at.desc())
        )
        return {
            "items": [
                {"check_id": r.check_id, "seed": r.seed, "population": r.population, "sample_size": r.sample_size, "drawn_at": r.drawn_at}
                for r in rows
            ],
            "next": None,
        }


def wire(host: HandlerRegistry, deps: RegistryDeps) -> None:
    handlers = SpotCheckHandlers()
    host.command("DrawSpotCheck", handlers.draw)
    host.command("RecordSpotCheckOutcome", handlers.record_outcome)
    host.query("GetSpotCheck", handlers.get)
    host.query("SpotCheckReport", handlers.report)
    host.query("ListSpotChecks", handlers.list)
