"""``CertificateHolder``: who a service-record certificate is for, read from the person store.

The certificate (issued by recognition) names the volunteer in full and shows the ID type,
the masked ID number and the registration number (Measures Art. 15; the person's own data,
Art. 16). Only the volunteer themself or an admin of their registration district or the
city may ask; every answer is logged in ``pii_reveals`` like any other reveal of a full
name. An erased person has no certificate holder: 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.logging import current_correlation_id, get_logger
from zhiyuan_platform.rpc import Forbidden, NotFound, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.tables import pii_reveals
from ..adapters.volunteer_views import volunteer_view
from .access import is_admin_of, require_principal
from .common import parse
from .ports import RegistryDeps

log = get_logger("zhiyuan.registry")

REVEAL_REASON = "出具志愿服务记录证明 / service-record certificate"


class CertificateHolderQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: str = Field(min_length=1, max_length=64)


class CertificateHolderHandlers:
    def __init__(self, deps: RegistryDeps) -> None:
        self.people = deps.people

    async def certificate_holder(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(CertificateHolderQuery, request.payload)
        row = (
            await conn.execute(
                select(
                    volunteer_view.c.volunteer_id, volunteer_view.c.registration_no, volunteer_view.c.district
                ).where(volunteer_view.c.volunteer_id == query.volunteer_id)
            )
        ).first()
        if row is None:
            raise NotFound("volunteer-not-found", f"没有这个志愿者。 No volunteer {query.volunteer_id}.")
        who = require_principal(request.principal)
        if not (
            (who.role == "volunteer" and who.volunteer == row.volunteer_id) or is_admin_of(who, row.district)
        ):
            raise Forbidden(
                "not-your-volunteer",
                "只有志愿者本人、本区或市级管理员可以出具证明。 Only the volunteer, an admin of their district or the city may have the certificate issued.",
            )
        masked = await self.people.masked(conn, row.volunteer_id)
        person = await self.people.reveal(conn, row.volunteer_id) if masked and not masked.erased else None
        if masked is None or person is None:
            raise NotFound(
                "personal-data-erased", "此人的个人信息已删除。 This person's data has been erased."
            )
        await conn.execute(
            insert(pii_reveals).values(
                volunteer_id=row.volunteer_id,
                revealed_to=who.subject,
                role=who.role,
                reason=REVEAL_REASON,
                correlation_id=current_correlation_id(),
                revealed_at=datetime.now(UTC),
            )
        )
        await conn.commit()
        log.info("pii.certificate_holder_read", volunteer_id=row.volunteer_id, to=who.subject, role=who.role)
        return {
            "volunteer_id": row.volunteer_id,
            "name": person.name,
            "id_type": person.id_type,
            "id_number_masked": masked.id_number,
            "registration_no": row.registration_no,
        }


def wire(host: HandlerRegistry, deps: RegistryDeps) -> CertificateHolderHandlers:
    handlers = CertificateHolderHandlers(deps)
    host.query("CertificateHolder", handlers.certificate_holder, writes=True)
    return handlers
