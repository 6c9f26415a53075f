"""Lifecycle, login and spot-check routes: shape checks at the gateway, forwarding to the registry."""

from typing import Any

import httpx

from zhiyuan_gateway.core.problems import ServiceProblem
from zhiyuan_gateway.core.security import verify_token

from .conftest import SECRET, FakeBus, bearer

PROBLEM = "application/problem+json"
VOLUNTEER = bearer("volunteer", volunteer="v-1")
ADMIN = bearer("district_admin", district="110105")


def echo(call: Any) -> dict[str, Any]:
    return {"operation": call.operation, **call.payload}


async def test_profile_change_sends_only_the_given_fields(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "UpdateVolunteer", echo)
    reply = await client.patch("/api/v1/volunteers/v-1", json={"skills": ["legal_aid"], "mobile": "13900001111"}, headers=VOLUNTEER)
    assert reply.status_code == 200
    assert bus.calls[-1].payload == {"volunteer_id": "v-1", "skills": ["legal_aid"], "mobile": "13900001111"}
    assert bus.calls[-1].principal is not None and bus.calls[-1].principal.volunteer == "v-1"


async def test_lifecycle_routes_forward_reason_and_key(client: httpx.AsyncClient, bus: FakeBus) -> None:
    for path, operation in [
        ("suspension", "SuspendVolunteer"),
        ("reinstatement", "ReinstateVolunteer"),
        ("deregistration", "DeregisterVolunteer"),
        ("erasure", "EraseVolunteer"),
    ]:
        bus.answer("registry", operation, echo)
        reply = await client.post(f"/api/v1/volunteers/v-9/{path}", json={"reason": "本人申请"}, headers={**ADMIN, "Idempotency-Key": path})
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"operation": operation, "volunteer_id": "v-9", "reason": "本人申请"}
        assert bus.calls[-1].idempotency_key == path
    bus.answer("registry", "MoveVolunteer", echo)
    moved = await client.post("/api/v1/volunteers/v-9/move", json={"community": "110108001001", "reason": "搬家"}, headers=ADMIN)
    assert moved.json()["community"] == "110108001001"


async def test_lifecycle_refusals_at_the_gateway(client: httpx.AsyncClient, bus: FakeBus) -> None:
    assert (await client.post("/api/v1/volunteers/v-9/suspension", json={"reason": "x"})).status_code == 401
    short = await client.post("/api/v1/volunteers/v-9/suspension", json={"reason": "x"}, headers=ADMIN)
    assert short.status_code == 422 and short.headers["content-type"] == PROBLEM
    unknown = await client.patch("/api/v1/volunteers/v-9", json={"id_number": "x"}, headers=ADMIN)
    assert unknown.status_code == 422
    bad_move = await client.post("/api/v1/volunteers/v-9/move", json={"community": "1101", "reason": "搬家"}, headers=ADMIN)
    assert bad_move.status_code == 422
    bus.answer("registry", "SuspendVolunteer", ServiceProblem({"status": 409, "type": "x/volunteer-not-active", "detail": "不行 / no"}))
    conflict = await client.post("/api/v1/volunteers/v-9/suspension", json={"reason": "再次暂停"}, headers=ADMIN)
    assert conflict.status_code == 409 and conflict.headers["content-type"] == PROBLEM
    assert bus.calls == [bus.calls[-1]]  # nothing invalid reached the registry


async def test_list_volunteers_passes_filters(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "ListVolunteers", {"items": [], "next": None})
    reply = await client.get("/api/v1/volunteers?status=active&limit=10", headers=ADMIN)
    assert reply.json() == {"items": [], "next": None}
    assert bus.calls[-1].payload == {"status": "active", "limit": 10}
    assert (await client.get("/api/v1/volunteers?district=11", headers=ADMIN)).status_code == 422


async def test_login_with_a_code_answers_a_volunteer_token(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RequestLoginCode", {"sent": True, "expires_in": 600})
    bus.answer("registry", "ExchangeLoginCode", {"volunteer_id": "v-7"})
    sent = await client.post("/api/v1/auth/code", json={"mobile": "13800138000"})
    assert sent.status_code == 202 and sent.json()["sent"] is True
    token = await client.post("/api/v1/auth/token", json={"mobile": "13800138000", "code": "123456"})
    assert token.status_code == 200
    principal = verify_token(SECRET, token.json()["token"])
    assert principal.role == "volunteer" and principal.volunteer == "v-7"
    bad = await client.post("/api/v1/auth/token", json={"mobile": "13800138000", "code": "12ab56"})
    assert bad.status_code == 422
    bus.answer("registry", "ExchangeLoginCode", ServiceProblem({"status": 401, "type": "x/login-code-invalid", "detail": "错 / wrong"}))
    refused = await client.post("/api/v1/auth/token", json={"mobile": "13800138000", "code": "000000"})
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM


async def test_login_attempts_are_rate_limited(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RequestLoginCode", {"sent": True, "expires_in": 600})
    statuses = [(await client.post("/api/v1/auth/code", json={"mobile": "13800138000"})).status_code for _ in range(25)]
    assert statuses.count(202) == 20 and statuses[-1] == 429


async def test_spot_check_routes(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "DrawSpotCheck", {"check_id": "c-1", "population": 10, "sample_size": 1})
    bus.answer("registry", "RecordSpotCheckOutcome", echo)
    bus.answer("registry", "SpotCheckReport", {"check_id": "c-1", "communities": []})
    drawn = await client.post("/api/v1/districts/110105/spot-checks", json={"seed": "2026-11", "percentage": 10}, headers=ADMIN)
    assert drawn.status_code == 201 and bus.calls[-1].payload == {"district": "110105", "seed": "2026-11", "percentage": 10.0}
    both = await client.post("/api/v1/districts/110105/spot-checks", json={"seed": "s", "percentage": 10, "count": 3}, headers=ADMIN)
    assert both.status_code == 422
    outcome = await client.post("/api/v1/spot-checks/c-1/outcomes", json={"volunteer_id": "v-1", "outcome": "verified"}, headers=ADMIN)
    assert outcome.json()["outcome"] == "verified"
    bad = await client.post("/api/v1/spot-checks/c-1/outcomes", json={"volunteer_id": "v-1", "outcome": "fine"}, headers=ADMIN)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/spot-checks/c-1/report", headers=ADMIN)).json()["check_id"] == "c-1"
