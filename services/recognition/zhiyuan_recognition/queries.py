"""Reads of recognition's projections; each answer says how far it has caught up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform import tracking
from zhiyuan_platform.rpc import Invalid, NotFound, Request

from .adapters.tables import volunteer_totals
from .domain.star_policy import StarPolicy


class GetVolunteerRecognition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: str


async def as_of(conn: AsyncConnection) -> dict[str, Any]:
    """The latest event time applied and the stream positions the read models stand at."""
    positions = await tracking.positions(conn)
    times = [p.event_time for p in positions if p.event_time]
    return {"as_of": max(times) if times else None, "as_of_positions": {p.stream: p.position for p in positions}}


class RecognitionQueries:
    def __init__(self, policy: StarPolicy) -> None:
        self.policy = policy

    async def volunteer_recognition(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        try:
            query = GetVolunteerRecognition.model_validate(request.payload)
        except ValidationError as exc:
            raise Invalid("invalid-request", str(exc)) from None
        row = (
            await conn.execute(select(volunteer_totals).where(volunteer_totals.c.volunteer_id == query.volunteer_id))
        ).first()
        caught_up = await as_of(conn)
        if row is None:
            raise NotFound(
                "volunteer-not-known-yet",
                "尚无此志愿者的服务记录（新注册的志愿者可能需要几秒钟才出现）。 "
                "No record of this volunteer yet; a new registration may take a few seconds to appear.",
                **caught_up,
            )
        total = int(row.total_minutes)
        return {
            "volunteer_id": row.volunteer_id,
            "registration_no": row.registration_no,
            "district": row.district,
            "total_minutes": total,
            "star_level": self.policy.level_for(total),
            "next_level_minutes": self.policy.next_level_minutes(total),
            "policy_version": self.policy.version,
            **caught_up,
        }
