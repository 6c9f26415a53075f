"""Certificates over HTTP: the PDF and its data, public verification, revocation."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import Call, FakeBus

Auth = Callable[..., dict[str, str]]
PDF = b"%PDF-1.4\n% a certificate\n%%EOF\n"
HOLDER = {
    "volunteer_id": "v-1",
    "name": "张三明",
    "id_type": "resident_id_card",
    "id_number_masked": "110***********123X",
    "registration_no": "110105001-000001",
}
SNAPSHOT = {"certificate_no": "ZYC-2026-110105-00000001", "volunteer": {"name_masked": "张*明"}}


def issued(call: Call) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "volunteer_id": call.payload["volunteer_id"],
        "certificate_no": "ZYC-2026-110105-00000001",
        "code": "ABCD2345EFGH",
        "verification_url": "http://127.0.0.1:8000/api/v1/certificates/ABCD2345EFGH",
        "status": "valid",
        "reused": False,
        "certificate": SNAPSHOT,
        "format": call.payload["format"],
    }
    if call.payload["format"] == "pdf":
        answer["pdf_base64"] = base64.b64encode(PDF).decode()
    return answer


@pytest.fixture
def answering(bus: FakeBus) -> FakeBus:
    bus.answer("registry", "CertificateHolder", HOLDER)
    bus.answer("recognition", "IssueCertificate", issued)
    return bus


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("volunteer", {"volunteer": "v-1"}),
        ("district_admin", {"district": "110105"}),
        ("city_admin", {}),
        ("organizer", {"district": "110105", "team": "t-1"}),
    ],
)
async def test_the_certificate_as_a_pdf(
    client: httpx.AsyncClient, answering: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    response = await client.get("/api/v1/volunteers/v-1/certificate", headers=auth(role, **claims))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="certificate-ZYC-2026-110105-00000001.pdf"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-verification-code"] == "ABCD2345EFGH"
    assert response.content == PDF
    holder_call, issue_call = answering.calls
    assert (holder_call.context, holder_call.operation, holder_call.payload) == (
        "registry",
        "CertificateHolder",
        {"volunteer_id": "v-1"},
    )
    assert (issue_call.context, issue_call.operation) == ("recognition", "IssueCertificate")
    assert issue_call.payload == {
        "volunteer_id": "v-1",
        "holder": {k: HOLDER[k] for k in ("name", "id_type", "id_number_masked", "registration_no")},
        "format": "pdf",
    }
    assert issue_call.principal is not None and issue_call.principal.role == role


async def test_the_certificate_as_json(client: httpx.AsyncClient, answering: FakeBus, auth: Auth) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-1/certificate", params={"format": "json"}, headers=auth("volunteer", volunteer="v-1")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["certificate"] == SNAPSHOT and body["code"] == "ABCD2345EFGH" and "pdf_base64" not in body
    assert answering.calls[1].payload["format"] == "json"


async def test_refusals_before_any_service_is_asked(client: httpx.AsyncClient, answering: FakeBus, auth: Auth) -> None:
    assert (await client.get("/api/v1/volunteers/v-1/certificate")).status_code == 401
    other = await client.get("/api/v1/volunteers/v-1/certificate", headers=auth("volunteer", volunteer="v-2"))
    assert other.status_code == 403
    system = await client.get(
        "/api/v1/volunteers/v-1/certificate", headers=auth("district_system", district="110105")
    )
    assert system.status_code == 403
    bad = await client.get(
        "/api/v1/volunteers/v-1/certificate", params={"format": "docx"}, headers=auth("city_admin")
    )
    assert bad.status_code == 422
    assert answering.calls == []


@pytest.mark.parametrize(
    ("context", "operation", "status"),
    [("registry", "CertificateHolder", 404), ("registry", "CertificateHolder", 403), ("recognition", "IssueCertificate", 409)],
)
async def test_service_refusals_pass_through(
    client: httpx.AsyncClient, answering: FakeBus, auth: Auth, context: str, operation: str, status: int
) -> None:
    answering.answer(context, operation, ServiceProblem({"status": status, "detail": "refused"}))
    response = await client.get("/api/v1/volunteers/v-1/certificate", headers=auth("city_admin"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if context == "registry":
        assert [c.operation for c in answering.calls] == ["CertificateHolder"]


async def test_a_reply_without_a_pdf_is_a_bad_gateway(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    bus.answer("registry", "CertificateHolder", HOLDER)
    bus.answer("recognition", "IssueCertificate", {"certificate_no": "ZYC-2026-110105-00000001", "pdf_base64": "@@@"})
    response = await client.get("/api/v1/volunteers/v-1/certificate", headers=auth("city_admin"))
    assert response.status_code == 502
    bus.answer("registry", "CertificateHolder", {"volunteer_id": "v-1"})
    response = await client.get("/api/v1/volunteers/v-1/certificate", headers=auth("city_admin"))
    assert response.status_code == 502


async def test_public_verification_needs_no_token(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    answer = {"code": "ABCD2345EFGH", "status": "valid", "valid": True, "certificate": SNAPSHOT}
    bus.answer("recognition", "VerifyCertificate", answer)
    response = await client.get("/api/v1/certificates/ABCD-2345-EFGH")
    assert response.status_code == 200
    assert response.json() == answer
    [call] = bus.calls
    assert (call.context, call.operation, call.payload, call.principal) == (
        "recognition",
        "VerifyCertificate",
        {"code": "ABCD-2345-EFGH"},
        None,
    )
    # A token, even an expired or foreign one, changes nothing: it is not even read.
    with_token = await client.get("/api/v1/certificates/ABCD2345EFGH", headers={"Authorization": "Bearer nonsense"})
    assert with_token.status_code == 200 and bus.calls[-1].principal is None


async def test_unknown_code_is_404(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer(
        "recognition",
        "VerifyCertificate",
        ServiceProblem({"status": 404, "type": "https://zhiyuan.example.org/problems/certificate-not-found", "detail": "no"}),
    )
    response = await client.get("/api/v1/certificates/ZZZZ2222ZZZZ")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    too_long = await client.get("/api/v1/certificates/" + "A" * 65)
    assert too_long.status_code == 404 and len(bus.calls) == 1


async def test_revocation_by_admins(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    bus.answer("recognition", "RevokeCertificate", {"certificate_no": "ZYC-2026-110105-00000001", "status": "revoked"})
    path = "/api/v1/certificates/ZYC-2026-110105-00000001/revocation"
    body = {"reason": "记录有误，已撤销"}
    assert (await client.post(path, json=body)).status_code == 401
    for role, claims in (("volunteer", {"volunteer": "v-1"}), ("organizer", {"district": "110105", "team": "t"})):
        assert (await client.post(path, json=body, headers=auth(role, **claims))).status_code == 403
    assert (await client.post(path, json={"reason": "x"}, headers=auth("city_admin"))).status_code == 422
    assert (await client.post(path, json={**body, "more": 1}, headers=auth("city_admin"))).status_code == 422
    bad_number = await client.post("/api/v1/certificates/ABC/revocation", json=body, headers=auth("city_admin"))
    assert bad_number.status_code == 422
    assert bus.calls == []
    response = await client.post(
        path, json=body, headers={**auth("district_admin", district="110105"), "Idempotency-Key": "k-1"}
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    [call] = bus.calls
    assert call.payload == {"certificate_no": "ZYC-2026-110105-00000001", "reason": body["reason"]}
    assert call.idempotency_key == "k-1"


async def test_the_openapi_document_lists_the_certificate_paths(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    assert "application/pdf" in paths["/api/v1/volunteers/{volunteer_id}/certificate"]["get"]["responses"]["200"]["content"]
    assert "/api/v1/certificates/{code}" in paths
    assert "/api/v1/certificates/{certificate_no}/revocation" in paths
