"""Issuing, verifying and revoking service-record certificates (``zyi.recognition.*``).

- ``IssueCertificate`` {volunteer_id, holder, format}: certifies the volunteer's service
  records as recognition holds them now (corrections applied, revoked records left out). If
  the latest certificate still says exactly that, it is answered again; otherwise a new one
  is issued, and every earlier one of the volunteer then verifies as *superseded*. With
  ``format="pdf"`` the reply carries the PDF, base64-encoded (``pdf_base64``).
- ``VerifyCertificate`` {code}: public, no login; the masked snapshot and its status
  (valid, superseded or revoked). An unknown code is 404.
- ``RevokeCertificate`` {certificate_no, reason}: a district admin of the volunteer's
  district (or of the district that issued it) or a city admin.

Superseded is not stored: a certificate is superseded exactly when a later one of the same
volunteer exists, so the issued rows stay as they were written (an immutable snapshot; only
a revocation adds ``revoked_at`` and ``revoked_reason``).
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Conflict, Forbidden, Invalid, NotFound, Principal, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.tables import activities, certificates, service_records, teams, volunteers
from . import pdf
from .domain import (
    SHANGHAI,
    STATUS_LABELS,
    CertificateError,
    Holder,
    ServedRecord,
    build_snapshot,
    display_code,
    new_code,
    next_number,
    normalize_code,
    number_prefix,
    parse_number,
    same_content,
    status_of,
    verification_url,
)

log = get_logger("zhiyuan.recognition.certificates")

CITY = "110000"


class CertificateSettings(BaseSettings):
    """Where the public verification page lives, as printed in the QR code."""

    model_config = SettingsConfigDict(env_prefix="ZHIYUAN_", extra="ignore")

    public_base_url: str = "http://127.0.0.1:8000"


class HolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    id_type: str = Field(min_length=1, max_length=40)
    id_number_masked: str = Field(min_length=1, max_length=40)
    registration_no: str = Field(min_length=1, max_length=40)


class IssueCertificate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: str = Field(min_length=1, max_length=64)
    holder: HolderIn
    format: Literal["pdf", "json"] = "json"


class VerifyCertificate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)


class RevokeCertificate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate_no: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=4, max_length=1000)


def _refuse(error: CertificateError) -> Invalid:
    return Invalid(
        "certificate-invalid-" + error.field.split(".")[-1].replace("_", "-"),
        f"{error.zh} {error.en}",
        errors=[{"field": error.field, "rule": "certificate", "message": error.en}],
    )


def _rfc3339(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _ensure_self_or_admin(principal: Principal | None, volunteer_id: str, district: str) -> Principal:
    if principal is None:
        raise Forbidden("login-required", "需要登录。 Log in first.", status=401)
    if principal.role == "volunteer" and principal.volunteer == volunteer_id:
        return principal
    if principal.role == "city_admin" or (
        principal.role == "district_admin" and principal.district == district
    ):
        return principal
    raise Forbidden(
        "certificate-not-yours",
        "只有志愿者本人、本区或市级管理员可以出具证明。 Only the volunteer, an admin of their district or the city may issue the certificate.",
    )


def _later_than(row: Any) -> Any:
    """Certificates of the same volunteer issued after ``row`` (the ones that supersede it)."""
    return and_(
        certificates.c.volunteer_id == row.volunteer_id,
        or_(
            certificates.c.issued_at > row.issued_at,
            and_(
                certificates.c.issued_at == row.issued_at, certificates.c.certificate_no > row.certificate_no
            ),
        ),
    )


class CertificateHandlers:
    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")

    def url(self, code: str) -> str:
        return verification_url(self.public_base_url, code)

    # -- issue ----------------------------------------------------------------------------------

    async def issue(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(IssueCertificate, request.payload)
        conn = uow.conn
        person = (
            await conn.execute(
                select(volunteers.c.district).where(volunteers.c.volunteer_id == cmd.volunteer_id)
            )
        ).first()
        if person is None:
            raise NotFound(
                "volunteer-not-known-yet",
                "尚无此志愿者的记录（新注册的志愿者可能需要几秒钟才出现）。 No record of this volunteer yet; a new registration may take a few seconds to appear.",
            )
        district = str(person.district)
        _ensure_self_or_admin(request.principal, cmd.volunteer_id, district)
        try:
            holder = Holder(**cmd.holder.model_dump())
        except CertificateError as error:
            raise _refuse(error) from None
        await uow.lock(f"certificate:{cmd.volunteer_id}")
        records = await self._served(conn, cmd.volunteer_id)
        if not records:
            raise Conflict(
                "certificate-nothing-to-certify",
                "尚无可证明的志愿服务记录。 There is no recorded service to certify yet.",
            )
        latest = (
            await conn.execute(
                select(certificates)
                .where(certificates.c.volunteer_id == cmd.volunteer_id)
                .order_by(certificates.c.issued_at.desc(), certificates.c.certificate_no.desc())
                .limit(1)
            )
        ).first()
        if (
            latest is not None
            and latest.revoked_at is None
            and same_content(latest.snapshot, holder, records)
        ):
            certificate_no, code, snapshot, issued_at = (
                str(latest.certificate_no),
                str(latest.code),
                dict(latest.snapshot),
                latest.issued_at,
            )
            reused = True
        else:
            year = uow.now.astimezone(SHANGHAI).year
            prefix = number_prefix(year, district)
            highest = await conn.scalar(
                select(func.max(certificates.c.certificate_no)).where(
                    certificates.c.certificate_no.like(f"{prefix}%")
                )
            )
            number = next_number(year, district, str(highest) if highest else None)
            certificate_no, code, issued_at = str(number), new_code(), uow.now
            snapshot = build_snapshot(number, holder, records, issued_at)
            # A clash of number or code is an IntegrityError: the runner retries the command.
            await conn.execute(
                certificates.insert().values(
                    certificate_no=certificate_no,
                    code=code,
                    volunteer_id=cmd.volunteer_id,
                    snapshot=snapshot,
                    issued_at=issued_at,
                )
            )
            reused = False
        log.info(
            "certificate.issued",
            certificate_no=certificate_no,
            volunteer_id=cmd.volunteer_id,
            reused=reused,
            superseded=latest.certificate_no if latest is not None and not reused else None,
            format=cmd.format,
        )
        reply: dict[str, Any] = {
            "volunteer_id": cmd.volunteer_id,
            "certificate_no": certificate_no,
            "code": code,
            "code_display": display_code(code),
            "verification_url": self.url(code),
            "status": "valid",
            "reused": reused,
            "issued_at": _rfc3339(issued_at),
            "certificate": snapshot,
            "format": cmd.format,
        }
        if cmd.format == "pdf":
            document = await asyncio.to_thread(
                pdf.render_pdf, snapshot, full_name=holder.name, code=code, url=self.url(code)
            )
            reply["content_type"] = "application/pdf"
            reply["filename"] = f"certificate-{certificate_no}.pdf"
            reply["pdf_base64"] = base64.b64encode(document).decode("ascii")
        return reply

    async def _served(self, conn: AsyncConnection, volunteer_id: str) -> list[ServedRecord]:
        rows = (
            await conn.execute(
                select(
                    service_records.c.record_id,
                    service_records.c.activity_id,
                    func.coalesce(service_records.c.team_id, activities.c.team_id).label("team_id"),
                    func.coalesce(service_records.c.service_kind, activities.c.service_kind).label(
                        "service_kind"
                    ),
                    service_records.c.minutes,
                    service_records.c.started_at,
                )
                .outerjoin(activities, activities.c.activity_id == service_records.c.activity_id)
                .where(
                    service_records.c.volunteer_id == volunteer_id,
                    service_records.c.status == "active",
                    service_records.c.minutes > 0,
                )
                .order_by(service_records.c.started_at, service_records.c.record_id)
            )
        ).all()
        team_ids = sorted({str(r.team_id) for r in rows if r.team_id})
        names: dict[str, str] = {}
        if team_ids:
            names = {
                str(t.team_id): str(t.name)
                for t in await conn.execute(
                    select(teams.c.team_id, teams.c.name).where(teams.c.team_id.in_(team_ids))
                )
            }
        return [
            ServedRecord(
                record_id=str(r.record_id),
                activity_id=str(r.activity_id),
                team_id=str(r.team_id) if r.team_id else None,
                team_name=names.get(str(r.team_id)) if r.team_id else None,
                service_kind=str(r.service_kind) if r.service_kind else None,
                minutes=int(r.minutes),
                started_at=r.started_at,
            )
            for r in rows
        ]

    # -- verify ---------------------------------------------------------------------------------

    async def verify(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(VerifyCertificate, request.payload)
        code = normalize_code(query.code)
        row = None
        if code is not None:
            row = (await conn.execute(select(certificates).where(certificates.c.code == code))).first()
        if row is None:
            raise NotFound(
                "certificate-not-found",
                "没有这个验证码对应的证明，请核对后重试。 No certificate has this verification code.",
            )
        superseded_at = await conn.scalar(select(func.min(certificates.c.issued_at)).where(_later_than(row)))
        status = status_of(revoked=row.revoked_at is not None, superseded=superseded_at is not None)
        return {
            "code": row.code,
            "code_display": display_code(row.code),
            "certificate_no": row.certificate_no,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "valid": status == "valid",
            "issued_at": _rfc3339(row.issued_at),
            "superseded_at": _rfc3339(superseded_at),
            "revoked_at": _rfc3339(row.revoked_at),
            "revoked_reason": row.revoked_reason,
            "verification_url": self.url(row.code),
            "certificate": row.snapshot,
        }

    # -- revoke ---------------------------------------------------------------------------------

    async def revoke(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(RevokeCertificate, request.payload)
        number = cmd.certificate_no.strip().upper()
        row = (
            await uow.conn.execute(select(certificates).where(certificates.c.certificate_no == number))
        ).first()
        if row is None:
            raise NotFound("certificate-not-found", f"没有编号为 {number} 的证明。 No certificate {number}.")
        current = await uow.conn.scalar(
            select(volunteers.c.district).where(volunteers.c.volunteer_id == row.volunteer_id)
        )
        parsed = parse_number(number)
        districts = {d for d in (current, parsed.district if parsed else None) if d}
        principal = request.principal
        if principal is None or not (
            principal.role == "city_admin"
            or (principal.role == "district_admin" and principal.district in districts)
        ):
            raise Forbidden(
                "certificate-revocation-admins-only",
                "只有志愿者所在区或市级管理员可以撤销证明。 Only an admin of the volunteer's district or the city may revoke a certificate.",
            )
        if row.revoked_at is not None:
            raise Conflict(
                "certificate-already-revoked",
                f"证明 {number} 已于 {_rfc3339(row.revoked_at)} 撤销。 Certificate {number} is already revoked.",
            )
        reason = mask_text(cmd.reason.strip())
        await uow.conn.execute(
            update(certificates)
            .where(certificates.c.certificate_no == number)
            .values(revoked_at=uow.now, revoked_reason=reason)
        )
        log.warning(
            "certificate.revoked",
            certificate_no=number,
            volunteer_id=row.volunteer_id,
            by=f"{principal.role}:{principal.subject}",
        )
        return {
            "certificate_no": number,
            "status": "revoked",
            "revoked_at": _rfc3339(uow.now),
            "revoked_reason": reason,
        }


def _by_volunteer(request: Request) -> str | None:
    volunteer_id = request.payload.get("volunteer_id")
    return f"certificate:{volunteer_id}" if isinstance(volunteer_id, str) else None


def wire(host: HandlerRegistry, *, public_base_url: str | None = None) -> CertificateHandlers:
    """Register the three operations; the QR's base URL defaults to ``ZHIYUAN_PUBLIC_BASE_URL``."""
    handlers = CertificateHandlers(public_base_url or CertificateSettings().public_base_url)
    host.command("IssueCertificate", handlers.issue, ordered_by=_by_volunteer)
    host.command("RevokeCertificate", handlers.revoke)
    host.query("VerifyCertificate", handlers.verify)
    return handlers
