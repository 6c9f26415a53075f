"""Service-record certificates (志愿服务记录证明, Measures of 2020 Arts. 14–17).

- ``GET /volunteers/{id}/certificate``: the volunteer (or an admin) gets the certificate as a
  PDF, or its data with ``?format=json``. The registry answers who it is for
  (``CertificateHolder``: it decides who may see the full name, and logs it); recognition
  issues it (``IssueCertificate``) — the same certificate again while the records are
  unchanged, a new one after a correction. The PDF travels base64-encoded in the reply.
- ``GET /certificates/{code}``: public verification, no token; an unknown code is 404.
- ``POST /certificates/{certificate_no}/revocation``: district or city admins.
"""

import base64
import binascii
import re
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from zhiyuan_platform.logging import get_logger

from ...core.problems import ApiProblem, problem_responses
from ...core.security import Role
from ...schemas.common import VolunteerIdPath
from ..deps import (
    ADMINS_AND_ORGANIZERS,
    Bus,
    CurrentPrincipal,
    IdempotencyKey,
    ensure_role,
    ensure_self_or_roles,
)

router = APIRouter(tags=["certificates"])
log = get_logger("zhiyuan.gateway.certificates")

HOLDER_FIELDS = ("name", "id_type", "id_number_masked", "registration_no")
REVOKERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
CERTIFICATE_NO_PATTERN = r"^ZYC-[0-9]{4}-[0-9]{6}-[0-9]{8}$"
_FILENAME_SAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_CODE_LENGTH = 64

PDF_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the certificate: a PDF (default) or its data (`?format=json`)",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=4, max_length=1000, description="why the certificate is revoked (public)")


def _bad_gateway(detail: str) -> ApiProblem:
    return ApiProblem(502, "bad-gateway", detail)


@router.get(
    "/volunteers/{volunteer_id}/certificate",
    response_model=None,
    summary="The volunteer's service-record certificate (PDF, or JSON with ?format=json)",
    responses={**PDF_OR_JSON, **problem_responses(401, 403, 404, 409, 422, 502, 503, 504)},
)
async def get_certificate(
    volunteer_id: VolunteerIdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    fmt: Annotated[
        Literal["pdf", "json"], Query(alias="format", description="pdf (default) or json: the data only")
    ] = "pdf",
) -> Response:
    ensure_self_or_roles(principal, volunteer_id, ADMINS_AND_ORGANIZERS)
    holder = await bus.request(
        "registry", "CertificateHolder", {"volunteer_id": volunteer_id}, principal=principal
    )
    if not isinstance(holder, dict) or any(not isinstance(holder.get(k), str) for k in HOLDER_FIELDS):
        log.error("certificate_holder_incomplete", volunteer_id=volunteer_id)
        raise _bad_gateway("登记服务的应答不完整 / The registry's answer about the holder is incomplete")
    result = await bus.request(
        "recognition",
        "IssueCertificate",
        {"volunteer_id": volunteer_id, "holder": {k: holder[k] for k in HOLDER_FIELDS}, "format": fmt},
        principal=principal,
    )
    if not isinstance(result, dict) or not isinstance(result.get("certificate_no"), str):
        raise _bad_gateway(
            "认可服务的应答缺少证明编号 / The recognition service answered without a certificate"
        )
    no_store = {"Cache-Control": "no-store"}  # personal data: never kept by a shared cache
    if fmt == "json":
        return JSONResponse(result, headers=no_store)
    try:
        document = base64.b64decode(str(result.get("pdf_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        document = b""
    if not document.startswith(b"%PDF"):
        raise _bad_gateway("认可服务未返回PDF / The recognition service answered without a PDF")
    filename = _FILENAME_SAFE.sub("_", f"certificate-{result['certificate_no']}.pdf")
    return Response(
        document,
        media_type="application/pdf",
        headers={
            **no_store,
            "Content-Disposition": f'inline; filename="{filename}"',
            "X-Certificate-No": quote(result["certificate_no"], safe="-"),
            "X-Verification-Code": quote(str(result.get("code", "")), safe=""),
        },
    )


@router.get(
    "/certificates/{code}",
    response_model=None,
    summary="Verify a certificate by its code (public, no token)",
    responses=problem_responses(404, 503, 504),
)
async def verify_certificate(
    code: Annotated[str, Path(description="the 12-character verification code (dashes allowed)")],
    bus: Bus,
) -> JSONResponse:
    if len(code) > MAX_CODE_LENGTH:
        raise ApiProblem(
            404,
            "certificate-not-found",
            "没有这个验证码对应的证明 / No certificate has this verification code",
        )
    result = await bus.request("recognition", "VerifyCertificate", {"code": code}, principal=None)
    return JSONResponse(result, headers={"Cache-Control": "no-cache"})


@router.post(
    "/certificates/{certificate_no}/revocation",
    response_model=None,
    summary="Revoke a certificate (district or city admins)",
    responses=problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504),
)
async def revoke_certificate(
    certificate_no: Annotated[
        str, Path(pattern=CERTIFICATE_NO_PATTERN, description="ZYC-<year>-<district>-<serial>")
    ],
    body: Revocation,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    ensure_role(principal, REVOKERS, "a certificate revocation")
    result = await bus.request(
        "recognition",
        "RevokeCertificate",
        {"certificate_no": certificate_no, "reason": body.reason.strip()},
        principal=principal,
        idempotency_key=idempotency_key,
    )
    return JSONResponse(result)
