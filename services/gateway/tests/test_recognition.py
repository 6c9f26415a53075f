from collections.abc import Callable

import httpx
import pytest

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import FakeBus

Auth = Callable[..., dict[str, str]]
ANSWER = {
    "volunteer_id": "v-1",
    "total_minutes": 6300,
    "star_level": 1,
    "next_level_minutes": 11700,
    "as_of": "2026-03-01T08:00:00Z",
}


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("volunteer", {"volunteer": "v-1"}),
        ("organizer", {"district": "110105", "team": "t-1"}),
        ("district_admin", {"district": "110105"}),
        ("city_admin", {}),
        ("district_system", {"district": "310104"}),
    ],
)
async def test_recognition(
    client: httpx.AsyncClient, bus: FakeBus, auth: Auth, role: str, claims: dict[str, str]
) -> None:
    bus.answer("recognition", "GetVolunteerRecognition", ANSWER)
    response = await client.get("/api/v1/volunteers/v-1/recognition", headers=auth(role, **claims))
    assert response.status_code == 200
    assert response.json() == ANSWER
    [call] = bus.calls
    assert (call.context, call.operation, call.payload) == (
        "recognition",
        "GetVolunteerRecognition",
        {"volunteer_id": "v-1"},
    )
    assert call.principal is not None and call.principal.role == role


async def test_recognition_of_someone_else(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    response = await client.get(
        "/api/v1/volunteers/v-2/recognition", headers=auth("volunteer", volunteer="v-1")
    )
    assert response.status_code == 403
    assert bus.calls == []


async def test_recognition_needs_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/volunteers/v-1/recognition")).status_code == 401


async def test_recognition_not_found(client: httpx.AsyncClient, bus: FakeBus, auth: Auth) -> None:
    bus.answer("recognition", "GetVolunteerRecognition", ServiceProblem({"status": 404, "detail": "unknown"}))
    response = await client.get("/api/v1/volunteers/v-1/recognition", headers=auth("city_admin"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
