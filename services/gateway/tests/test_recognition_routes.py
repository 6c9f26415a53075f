"""Recognition routes: leaderboards, statistics, the reminder list, commendation lists, as-of reads."""

from typing import Any

import httpx

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import FakeBus, bearer

PROBLEM = "application/problem+json"
CITY = bearer("city_admin")
CHAOYANG = bearer("district_admin", district="110105")


def echo(call: Any) -> dict[str, Any]:
    return {"operation": call.operation, **call.payload}


async def test_leaderboard_is_public_and_validates_the_period(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("recognition", "Leaderboard", echo)
    reply = await client.get("/api/v1/leaderboards?period=2026Q1&scope=110105&limit=5")
    assert reply.json() == {"operation": "Leaderboard", "scope": "110105", "period": "2026Q1", "limit": 5}
    assert (await client.get("/api/v1/leaderboards?period=2026Q5")).status_code == 422
    assert (await client.get("/api/v1/leaderboards")).status_code == 422


async def test_district_stats_and_reminder_list_need_a_reader(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("recognition", "DistrictStats", echo)
    bus.answer("recognition", "AnnualMinimum", echo)
    assert (await client.get("/api/v1/districts/110105/stats")).status_code == 401
    assert (await client.get("/api/v1/districts/110105/stats", headers=bearer("volunteer", volunteer="v"))).status_code == 403
    stats = await client.get("/api/v1/districts/110105/stats?level=community&year=2026", headers=CHAOYANG)
    assert stats.json() == {"operation": "DistrictStats", "district": "110105", "level": "community", "year": 2026}
    system = bearer("district_system", district="110105")
    reminder = await client.get("/api/v1/districts/110105/annual-minimum?year=2026", headers=system)
    assert reminder.json()["operation"] == "AnnualMinimum"
    assert (await client.get("/api/v1/districts/1101/stats", headers=CHAOYANG)).status_code == 422


async def test_recognition_as_of_a_date(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("recognition", "GetVolunteerRecognition", echo)
    reply = await client.get("/api/v1/volunteers/v-1/recognition?as_of=2026-03-05", headers=bearer("volunteer", volunteer="v-1"))
    assert reply.json() == {"operation": "GetVolunteerRecognition", "volunteer_id": "v-1", "as_of_date": "2026-03-05"}
    assert (await client.get("/api/v1/volunteers/v-1/recognition?as_of=yesterday", headers=CITY)).status_code == 422


async def test_commendation_routes(client: httpx.AsyncClient, bus: FakeBus) -> None:
    for operation in ("ComputeCommendationList", "RecordObjection", "ResolveObjection", "PublishCommendationList", "ListCommendations", "GetCommendation"):
        bus.answer("recognition", operation, echo)
    computed = await client.post("/api/v1/commendations", json={"kind": "quarterly", "period": "2026Q1", "scope": "110105"}, headers=CHAOYANG)
    assert computed.status_code == 201 and computed.json()["operation"] == "ComputeCommendationList"
    assert (await client.post("/api/v1/commendations", json={"kind": "best", "period": "2026", "scope": "city"}, headers=CITY)).status_code == 422
    objection = await client.post("/api/v1/commendations/l-1/objections", json={"entry": 2, "reason": "时长有误，请核实"}, headers=bearer("volunteer", volunteer="v"))
    assert objection.status_code == 201 and objection.json() == {"operation": "RecordObjection", "list_id": "l-1", "entry": 2, "reason": "时长有误，请核实"}
    resolution = await client.post("/api/v1/commendations/l-1/objections/1/resolution", json={"decision": "uphold", "note": "核实属实"}, headers=CITY)
    assert resolution.json() == {"operation": "ResolveObjection", "list_id": "l-1", "objection_no": 1, "upheld": True, "note": "核实属实"}
    assert (await client.post("/api/v1/commendations/l-1/publish", headers=CITY)).json()["operation"] == "PublishCommendationList"
    assert (await client.get("/api/v1/commendations?state=published")).json() == {"operation": "ListCommendations", "state": "published"}
    bus.answer("recognition", "PublishCommendationList", ServiceProblem({"status": 409, "type": "x/commendation-notice-not-over", "detail": "未到 / not yet"}))
    early = await client.post("/api/v1/commendations/l-1/publish", headers=CITY)
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
