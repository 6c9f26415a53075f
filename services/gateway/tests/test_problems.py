"""Every refusal is application/problem+json with a clear message; nothing bad in is a 500."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from zhiyuan_gateway.core.config import GatewaySettings
from zhiyuan_gateway.core.security import issue_token
from zhiyuan_gateway.main import create_app

from .conftest import SECRET, FakeBus

PROBLEM = "application/problem+json"
Auth = Callable[..., dict[str, str]]
REGISTRATION: dict[str, Any] = {
    "name": "李四",
    "id_number": "110105194912310021",
    "mobile": "13800138000",
    "community": "110105001001",
}


@pytest.fixture(autouse=True)
def _answers(bus: FakeBus) -> None:
    bus.answer(
        "registry",
        "RegisterVolunteer",
        {"volunteer_id": "v-1", "registration_no": "R-1", "district": "110105"},
    )
    bus.answer("registry", "GetVolunteer", {"volunteer_id": "v-1"})


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"].startswith("https://")
    if code is not None:
        assert problem["type"].endswith("/" + code)
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    return problem


async def test_malformed_json(client: httpx.AsyncClient, bus: FakeBus) -> None:
    response = await client.post(
        "/api/v1/volunteers", content=b'{"name": "x",', headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400, "malformed-json")
    assert "not valid JSON" in problem["detail"]
    assert bus.calls == []


async def test_invalid_utf8_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/volunteers", content=b'{"name": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


async def test_unknown_field(client: httpx.AsyncClient, bus: FakeBus) -> None:
    response = await client.post("/api/v1/volunteers", json={**REGISTRATION, "nickname": "小李"})
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"] == [
        {
            "field": "nickname",
            "message": "不接受这个字段 / Unknown field; this request does not accept it",
            "code": "extra_forbidden",
        }
    ]
    assert "nickname" in problem["detail"]
    assert bus.calls == []


async def test_unknown_nested_field(client: httpx.AsyncClient) -> None:
    body = {
        **REGISTRATION,
        "guardian_consent": {"name": "李大", "relation": "母亲", "given_on": "2026-01-01", "x": 1},
    }
    problem = assert_problem(await client.post("/api/v1/volunteers", json=body), 422)
    assert [e["field"] for e in problem["errors"]] == ["guardian_consent.x"]


async def test_wrong_types_name_each_field_and_never_echo_values(client: httpx.AsyncClient) -> None:
    body = {
        **REGISTRATION,
        "id_number": 110105194912310021,
        "community": "1101",
        "skills": ["medical_care", "juggling"],
        "name": "王",
    }
    problem = assert_problem(await client.post("/api/v1/volunteers", json=body), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"id_number", "community", "skills[1]", "name"}
    assert "110105194912310021" not in str(problem)
    for error in problem["errors"]:
        assert " / " in error["message"]


async def test_missing_fields(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.post("/api/v1/volunteers", json={}), 422)
    assert {e["field"] for e in problem["errors"]} == {"name", "id_number", "mobile", "community"}
    assert all(e["code"] == "missing" for e in problem["errors"])


async def test_body_not_an_object(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.post("/api/v1/volunteers", json=[1, 2]), 422)
    assert problem["errors"][0]["field"] == "body"


async def test_missing_body(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.post("/api/v1/volunteers"), 422)
    assert problem["errors"][0]["field"] == "body"


async def test_wrong_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/volunteers", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_problem(response, 415, "unsupported-media-type")


async def test_body_too_large(client: httpx.AsyncClient, settings: GatewaySettings) -> None:
    big = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
    response = await client.post(
        "/api/v1/volunteers", content=big, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "content-too-large")


async def test_chunked_body_too_large(client: httpx.AsyncClient, settings: GatewaySettings) -> None:
    async def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = await client.post(
        "/api/v1/volunteers", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "content-too-large")


async def test_missing_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/volunteers/v-1")
    problem = assert_problem(response, 401, "authentication-required")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in problem["detail"]


async def test_expired_token(client: httpx.AsyncClient) -> None:
    token = issue_token(
        SECRET, "city_admin", now=datetime.now(UTC) - timedelta(hours=2), ttl=timedelta(hours=1)
    )
    response = await client.get("/api/v1/volunteers/v-1", headers={"Authorization": f"Bearer {token}"})
    problem = assert_problem(response, 401, "token-expired")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "expired" in problem["detail"]


async def test_bad_signature(client: httpx.AsyncClient) -> None:
    token = issue_token("another-install-key-0123456789-abcdef", "city_admin")
    response = await client.get("/api/v1/volunteers/v-1", headers={"Authorization": f"Bearer {token}"})
    problem = assert_problem(response, 401, "invalid-token")
    assert "signature" in problem["detail"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token abc"])
async def test_malformed_authorization(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v1/volunteers/v-1", headers={"Authorization": header})
    assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_invalid_token_on_self_registration_is_not_ignored(
    client: httpx.AsyncClient, bus: FakeBus
) -> None:
    response = await client.post(
        "/api/v1/volunteers", json=REGISTRATION, headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401)
    assert bus.calls == []


async def test_wrong_role(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get("/api/v1/volunteers/v-1", headers=auth("district_system", district="110105"))
    problem = assert_problem(response, 403, "forbidden")
    assert "district_system" in problem["detail"]


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/api/v1/nowhere"), 404, "not-found")
    assert "/api/v1/nowhere" in problem["detail"]
    assert_problem(await client.get("/nowhere"), 404)
    landing = await client.get("/")  # the portals' landing page
    assert landing.status_code == 200 and landing.headers["content-type"].startswith("text/html")


async def test_method_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/volunteers")
    problem = assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]
    assert "DELETE" in problem["detail"]


async def test_unhandled_error_is_a_logged_problem_500(settings: GatewaySettings, bus: FakeBus) -> None:
    app = create_app(settings, bus)

    async def boom() -> None:
        raise RuntimeError("bug")

    app.add_api_route("/api/v1/boom", boom)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/api/v1/boom", headers={"X-Correlation-Id": "cid-500"})
    problem = assert_problem(response, 500, "internal-error")
    assert problem["correlation_id"] == "cid-500"
    assert "bug" not in problem["detail"]


async def test_correlation_id_echoed_and_forwarded(client: httpx.AsyncClient, bus: FakeBus) -> None:
    response = await client.post(
        "/api/v1/volunteers", json=REGISTRATION, headers={"X-Correlation-Id": "abc-123"}
    )
    assert response.status_code == 201
    assert response.headers["x-correlation-id"] == "abc-123"
    assert bus.calls[0].correlation_id == "abc-123"


async def test_request_id_is_accepted_as_correlation_id(client: httpx.AsyncClient, bus: FakeBus) -> None:
    response = await client.post("/api/v1/volunteers", json=REGISTRATION, headers={"X-Request-Id": "req-9"})
    assert response.headers["x-correlation-id"] == "req-9"
    assert bus.calls[0].correlation_id == "req-9"


@pytest.mark.parametrize("supplied", [None, "bad id with spaces", "x" * 300])
async def test_correlation_id_generated_when_absent_or_unsafe(
    client: httpx.AsyncClient, bus: FakeBus, supplied: str | None
) -> None:
    headers = {"X-Correlation-Id": supplied} if supplied else {}
    response = await client.post("/api/v1/volunteers", json=REGISTRATION, headers=headers)
    generated = response.headers["x-correlation-id"]
    assert generated != supplied
    assert len(generated) == 36
    assert bus.calls[0].correlation_id == generated


async def test_correlation_id_on_problems(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/volunteers/v-1", headers={"X-Correlation-Id": "p-1"})
    assert response.headers["x-correlation-id"] == "p-1"
    assert response.json()["correlation_id"] == "p-1"


async def test_one_access_log_line_per_request(client: httpx.AsyncClient, auth: Auth) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        await client.get(
            "/api/v1/volunteers/v-1", headers={**auth("city_admin"), "X-Correlation-Id": "log-1"}
        )
    [line] = [entry for entry in logs if entry["event"] == "http_request"]
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/volunteers/v-1"
    assert line["status"] == 200
    assert line["correlation_id"] == "log-1"
    assert line["role"] == "city_admin"
    assert isinstance(line["duration_ms"], float)
