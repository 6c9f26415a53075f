from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from zhiyuan_gateway.core.config import GatewaySettings
from zhiyuan_gateway.core.problems import ServiceProblem, ServiceTimeout, ServiceUnavailable
from zhiyuan_gateway.core.security import verify_token
from zhiyuan_gateway.main import create_app

from .conftest import SECRET, FakeBus

PROBLEM = "application/problem+json"
Auth = Callable[..., dict[str, str]]

REGISTRATION: dict[str, Any] = {
    "name": "张三明",
    "id_number": "11010519491231002X",
    "mobile": "13800138000",
    "community": "110105001001",
    "skills": ["medical_care", "legal_aid"],
}
REGISTERED = {"volunteer_id": "v-0001", "registration_no": "BJ-CY-000001", "district": "110105"}


@pytest.fixture
def registry(bus: FakeBus) -> FakeBus:
    bus.answer("registry", "RegisterVolunteer", dict(REGISTERED))
    bus.answer(
        "registry",
        "GetVolunteer",
        lambda call: {
            "volunteer_id": call.payload["volunteer_id"],
            "name": "张*明",
            "id_number": "1101**********002X",
        },
    )
    return bus


async def test_self_registration(client: httpx.AsyncClient, registry: FakeBus) -> None:
    body = {
        **REGISTRATION,
        "unit_id": "u-1",
        "political_status": "league_member",
        "guardian_consent": {"name": "张大明", "relation": "父亲", "given_on": "2026-03-01"},
        "agency": "agency-110105",
        "station_id": "station-7",
    }
    response = await client.post("/api/v1/volunteers", json=body, headers={"Idempotency-Key": "reg-42"})
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["volunteer_id"] == "v-0001"
    assert data["registration_no"] == "BJ-CY-000001"
    assert data["district"] == "110105"
    assert response.headers["location"] == "/api/v1/volunteers/v-0001"

    [call] = registry.calls
    assert (call.context, call.operation) == ("registry", "RegisterVolunteer")
    assert call.principal is None
    assert call.idempotency_key == "reg-42"
    assert call.payload == {**body, "guardian_consent": {**body["guardian_consent"]}}

    principal = verify_token(SECRET, data["token"])
    assert principal.role == "volunteer"
    assert principal.volunteer == "v-0001"


async def test_self_registration_token_reads_own_profile(
    client: httpx.AsyncClient, registry: FakeBus
) -> None:
    token = (await client.post("/api/v1/volunteers", json=REGISTRATION)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    own = await client.get("/api/v1/volunteers/v-0001", headers=headers)
    assert own.status_code == 200, own.text
    assert own.json()["name"] == "张*明"
    other = await client.get("/api/v1/volunteers/v-0002", headers=headers)
    assert other.status_code == 403
    assert other.headers["content-type"] == PROBLEM


async def test_defaults_are_forwarded(client: httpx.AsyncClient, registry: FakeBus) -> None:
    body = {k: v for k, v in REGISTRATION.items() if k != "skills"}
    assert (await client.post("/api/v1/volunteers", json=body)).status_code == 201
    payload = registry.calls[0].payload
    assert payload["skills"] == []
    assert payload["unit_id"] is None
    assert payload["guardian_consent"] is None


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("organizer", {"district": "110105", "team": "t-1"}),
        ("district_admin", {"district": "110105"}),
        ("city_admin", {}),
    ],
)
async def test_registration_by_registrar(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    response = await client.post("/api/v1/volunteers", json=REGISTRATION, headers=auth(role, **claims))
    assert response.status_code == 201
    assert "token" not in response.json()
    assert registry.calls[0].principal is not None
    assert registry.calls[0].principal.role == role


@pytest.mark.parametrize(
    ("role", "claims"),
    [("volunteer", {"volunteer": "v-9"}), ("district_system", {"district": "110105"})],
)
async def test_registration_refused_for_other_roles(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    response = await client.post("/api/v1/volunteers", json=REGISTRATION, headers=auth(role, **claims))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert role in response.json()["detail"]
    assert registry.calls == []


async def test_conflict_passes_through_with_its_fields(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer(
        "registry",
        "RegisterVolunteer",
        ServiceProblem(
            {
                "type": "https://zhiyuan.example.org/problems/already-registered",
                "title": "Already registered",
                "status": 409,
                "detail": "该身份证号已注册 / This ID number is already registered",
                "registration_no": "BJ-CY-000001",
            }
        ),
    )
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/already-registered")
    assert problem["registration_no"] == "BJ-CY-000001"
    assert problem["status"] == 409
    assert problem["instance"] == "/api/v1/volunteers"


async def test_registry_validation_problem_passes_through(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer(
        "registry",
        "RegisterVolunteer",
        ServiceProblem({"type": "x/invalid-id-number", "status": 422, "detail": "bad", "field": "id_number"}),
    )
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 422
    assert response.json()["field"] == "id_number"


async def test_service_timeout_is_504(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterVolunteer", ServiceTimeout({"status": 504, "detail": "too slow"}))
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM


async def test_service_unavailable_is_503(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterVolunteer", ServiceUnavailable({"status": 503, "detail": "down"}))
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 503


async def test_service_problem_without_a_usable_status_is_502(
    client: httpx.AsyncClient, bus: FakeBus
) -> None:
    bus.answer("registry", "RegisterVolunteer", ServiceProblem({"status": "teapot", "detail": "?"}))
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM


async def test_result_without_volunteer_id_is_502(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterVolunteer", {"registration_no": "X-1"})
    response = await client.post("/api/v1/volunteers", json=REGISTRATION)
    assert response.status_code == 502


@pytest.mark.parametrize("key", ["", " leading", "x" * 201, "中文", "tab\tkey"])
async def test_bad_idempotency_key(client: httpx.AsyncClient, registry: FakeBus, key: str) -> None:
    response = await client.post(
        "/api/v1/volunteers", json=REGISTRATION, headers={"Idempotency-Key": key.encode("utf-8")}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert registry.calls == []


async def test_self_registration_is_rate_limited(tmp_path: Any) -> None:
    settings = GatewaySettings(
        data_dir=tmp_path, token_secret=SecretStr(SECRET), self_registration_per_minute=2
    )
    bus = FakeBus()
    bus.answer("registry", "RegisterVolunteer", dict(REGISTERED))
    app = create_app(settings, bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for _ in range(2):
            assert (await client.post("/api/v1/volunteers", json=REGISTRATION)).status_code == 201
        limited = await client.post("/api/v1/volunteers", json=REGISTRATION)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == PROBLEM
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Registrars with a token are not limited.
        token = {"Authorization": f"Bearer {_city_admin_token()}"}
        assert (await client.post("/api/v1/volunteers", json=REGISTRATION, headers=token)).status_code == 201
    assert len(bus.calls) == 3


def _city_admin_token() -> str:
    from zhiyuan_gateway.core.security import issue_token

    return issue_token(SECRET, "city_admin")


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("organizer", {"district": "110105", "team": "t-1"}),
        ("district_admin", {"district": "110105"}),
        ("city_admin", {}),
        ("volunteer", {"volunteer": "v-0001"}),
    ],
)
async def test_get_volunteer(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    response = await client.get("/api/v1/volunteers/v-0001", headers=auth(role, **claims))
    assert response.status_code == 200
    [call] = registry.calls
    assert (call.context, call.operation) == ("registry", "GetVolunteer")
    assert call.payload == {"volunteer_id": "v-0001", "reveal": False, "reason": None}
    assert call.principal is not None and call.principal.role == role


async def test_get_volunteer_refuses_district_system(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth
) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-0001", headers=auth("district_system", district="110105")
    )
    assert response.status_code == 403
    assert registry.calls == []


async def test_get_volunteer_needs_a_token(client: httpx.AsyncClient, registry: FakeBus) -> None:
    response = await client.get("/api/v1/volunteers/v-0001")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_reveal_with_reason(client: httpx.AsyncClient, registry: FakeBus, auth: Auth) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-0001",
        params={"reveal": "true", "reason": "电话抽查 spot check"},
        headers=auth("district_admin", district="110105"),
    )
    assert response.status_code == 200
    assert registry.calls[0].payload == {
        "volunteer_id": "v-0001",
        "reveal": True,
        "reason": "电话抽查 spot check",
    }


@pytest.mark.parametrize("reason", [None, "", "   "])
async def test_reveal_needs_a_reason(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth, reason: str | None
) -> None:
    params = {"reveal": "true"} | ({"reason": reason} if reason is not None else {})
    response = await client.get("/api/v1/volunteers/v-0001", params=params, headers=auth("city_admin"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "reason"
    assert registry.calls == []


@pytest.mark.parametrize(
    ("role", "claims"),
    [("organizer", {"district": "110105", "team": "t-1"}), ("volunteer", {"volunteer": "v-0001"})],
)
async def test_reveal_needs_an_admin(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-0001", params={"reveal": "true", "reason": "x"}, headers=auth(role, **claims)
    )
    assert response.status_code == 403
    assert registry.calls == []


async def test_bad_reveal_value_and_volunteer_id(
    client: httpx.AsyncClient, registry: FakeBus, auth: Auth
) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-0001", params={"reveal": "maybe"}, headers=auth("city_admin")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reveal"
    response = await client.get("/api/v1/volunteers/" + "x" * 65, headers=auth("city_admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "volunteer_id"


async def test_not_found_passes_through(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    bus.answer(
        "registry",
        "GetVolunteer",
        ServiceProblem({"type": "x/volunteer-not-found", "status": 404, "detail": "no"}),
    )
    response = await client.get("/api/v1/volunteers/v-404", headers=auth("city_admin"))
    assert response.status_code == 404
    assert response.json()["type"] == "x/volunteer-not-found"
