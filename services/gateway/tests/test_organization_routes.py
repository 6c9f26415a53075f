"""Units, agencies, teams and stations: shape checks at the gateway, forwarding to the registry."""

from typing import Any

import httpx

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import FakeBus, bearer

PROBLEM = "application/problem+json"
ADMIN = bearer("district_admin", district="110105")
VOLUNTEER = bearer("volunteer", volunteer="v-1")
ORGANIZER = bearer("organizer", district="110105", team="t-1")
SIX = ("management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage")
FIVE = ("has_organization", "has_people", "has_place_or_target", "has_activities", "has_rules")


def echo(call: Any) -> dict[str, Any]:
    return {"operation": call.operation, **call.payload}


async def test_register_a_unit_answers_201_with_its_id(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterUnit", {"unit_id": "u-1", "district": "110105"})
    body = {"name": "建外街道办事处", "unit_type": "party_government", "community": "110105001026", "headcount": 120}
    reply = await client.post("/api/v1/units", json=body, headers={**ADMIN, "Idempotency-Key": "k-1"})
    assert reply.status_code == 201 and reply.json()["unit_id"] == "u-1"
    assert bus.calls[-1].payload == body and bus.calls[-1].idempotency_key == "k-1"
    assert bus.calls[-1].principal is not None and bus.calls[-1].principal.district == "110105"


async def test_unit_bodies_are_checked_before_the_registry(client: httpx.AsyncClient, bus: FakeBus) -> None:
    good = {"name": "单位", "unit_type": "other", "community": "110105001026", "headcount": 1}
    for bad in (
        {**good, "unit_type": "factory"},
        {**good, "headcount": 0},
        {**good, "headcount": "5"},
        {**good, "community": "1101"},
        {**good, "extra": True},
        {k: v for k, v in good.items() if k != "name"},
    ):
        reply = await client.post("/api/v1/units", json=bad, headers=ADMIN)
        assert reply.status_code == 422 and reply.headers["content-type"] == PROBLEM, bad
    assert (await client.post("/api/v1/units", json=good)).status_code == 401
    assert bus.calls == []


async def test_lists_forward_their_filters_and_paging(client: httpx.AsyncClient, bus: FakeBus) -> None:
    page: dict[str, Any] = {"items": [], "next": None}
    for operation in ("ListUnits", "ListTeams", "ListStations", "ListAgencies"):
        bus.answer("registry", operation, page)
    assert (await client.get("/api/v1/units?district=110105&unit_type=other&limit=5", headers=ADMIN)).json() == page
    assert bus.calls[-1].payload == {"district": "110105", "unit_type": "other", "limit": 5}
    await client.get("/api/v1/teams?district=110105&kind=school&cursor=abc", headers=VOLUNTEER)
    assert bus.calls[-1].payload == {"district": "110105", "kind": "school", "limit": 50, "cursor": "abc"}
    await client.get("/api/v1/stations?place_kind=park", headers=ADMIN)
    assert bus.calls[-1].payload == {"place_kind": "park", "limit": 50}
    await client.get("/api/v1/agencies?district=110105", headers=ADMIN)
    assert bus.calls[-1].operation == "ListAgencies" and bus.calls[-1].payload == {"district": "110105", "limit": 50}
    calls = len(bus.calls)
    for path in (
        "/api/v1/units?district=11",
        "/api/v1/units?limit=501",
        "/api/v1/units?unit_type=factory",
        "/api/v1/teams?kind=choir",
        "/api/v1/stations?place_kind=mall",
        "/api/v1/agencies",
        "/api/v1/teams?limit=0",
    ):
        reply = await client.get(path, headers=ADMIN)
        assert reply.status_code == 422 and reply.headers["content-type"] == PROBLEM, path
    assert (await client.get("/api/v1/teams")).status_code == 401
    assert len(bus.calls) == calls


async def test_agency_routes(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterAgency", {"agency_code": "11010500101", "default": False})
    bus.answer("registry", "AuthorizeStation", echo)
    bus.answer("registry", "RevokeStationAuthorization", echo)
    created = await client.post(
        "/api/v1/agencies", json={"name": "建外青年中心", "level": "street", "division": "110105001000"}, headers=ADMIN
    )
    assert created.status_code == 201 and created.json()["agency_code"] == "11010500101"
    assert (await client.post("/api/v1/agencies", json={"name": "x", "level": "city", "division": "110105"}, headers=ADMIN)).status_code == 422
    granted = await client.post(
        "/api/v1/agencies/110105001/authorizations", json={"station_id": "s-1", "reason": "同意站点注册"}, headers=ADMIN
    )
    assert granted.status_code == 201
    assert granted.json() == {"operation": "AuthorizeStation", "agency": "110105001", "station_id": "s-1", "reason": "同意站点注册"}
    revoked = await client.delete("/api/v1/agencies/110105001/authorizations/s-1?reason=台账不全", headers=ADMIN)
    assert revoked.status_code == 200
    assert revoked.json() == {"operation": "RevokeStationAuthorization", "agency": "110105001", "station_id": "s-1", "reason": "台账不全"}
    calls = len(bus.calls)
    assert (await client.delete("/api/v1/agencies/110105001/authorizations/s-1", headers=ADMIN)).status_code == 422
    assert (await client.post("/api/v1/agencies/11a/authorizations", json={"station_id": "s-1", "reason": "同意"}, headers=ADMIN)).status_code == 422
    assert len(bus.calls) == calls


async def test_register_a_team_with_the_contract_body(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterTeam", {"team_id": "t-9", "district": "110105"})
    body = {"name": "永安里为老服务队", "community": "110105001026", "kind": "community", "unit_id": "u-1", "leader_volunteer_id": "v-1"}
    reply = await client.post("/api/v1/teams", json=body, headers=ADMIN)
    assert reply.status_code == 201 and reply.json()["team_id"] == "t-9"
    assert reply.headers["location"] == "/api/v1/teams/t-9"
    assert bus.calls[-1].payload == body
    assert (await client.post("/api/v1/teams", json={**body, "kind": "choir"}, headers=ADMIN)).status_code == 422
    bus.answer(
        "registry",
        "RegisterTeam",
        ServiceProblem({"status": 403, "type": "x/outside-your-district", "detail": "不行 / not your district"}),
    )
    refused = await client.post("/api/v1/teams", json=body, headers=ADMIN)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM


async def test_team_reads_and_checklist(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "GetTeam", echo)
    bus.answer("registry", "ListTeamMembers", echo)
    bus.answer("registry", "UpdateTeamChecklist", echo)
    assert (await client.get("/api/v1/teams/t-1", headers=VOLUNTEER)).json() == {"operation": "GetTeam", "team_id": "t-1"}
    members = await client.get("/api/v1/teams/t-1/members?limit=10", headers=ORGANIZER)
    assert members.json() == {"operation": "ListTeamMembers", "team_id": "t-1", "limit": 10}
    checklist = dict.fromkeys(FIVE, True)
    updated = await client.put("/api/v1/teams/t-1/checklist", json={"checklist": checklist, "note": "合格"}, headers=ORGANIZER)
    assert updated.status_code == 200
    assert bus.calls[-1].payload == {"team_id": "t-1", "checklist": checklist, "note": "合格"}
    calls = len(bus.calls)
    for bad in ({"checklist": {**checklist, "has_rules": "yes"}}, {"checklist": {"has_rules": True}}, {"note": "x"}):
        assert (await client.put("/api/v1/teams/t-1/checklist", json=bad, headers=ORGANIZER)).status_code == 422
    assert len(bus.calls) == calls


async def test_a_volunteer_joins_themself_and_others_name_the_volunteer(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "JoinTeam", echo)
    bus.answer("registry", "LeaveTeam", echo)
    joined = await client.post("/api/v1/teams/t-1/members", headers=VOLUNTEER)
    assert joined.status_code == 201 and joined.json() == {"operation": "JoinTeam", "team_id": "t-1", "volunteer_id": "v-1"}
    assert (await client.post("/api/v1/teams/t-1/members", json={}, headers=VOLUNTEER)).json()["volunteer_id"] == "v-1"
    named = await client.post("/api/v1/teams/t-1/members", json={"volunteer_id": "v-7"}, headers=ORGANIZER)
    assert named.status_code == 201 and named.json()["volunteer_id"] == "v-7"
    calls = len(bus.calls)
    nobody = await client.post("/api/v1/teams/t-1/members", headers=ORGANIZER)
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "volunteer_id"
    assert (await client.post("/api/v1/teams/t-1/members", json={"volunteer_id": "v 1"}, headers=ORGANIZER)).status_code == 422
    assert len(bus.calls) == calls
    left = await client.delete("/api/v1/teams/t-1/members/v-1?reason=搬家", headers=VOLUNTEER)
    assert left.json() == {"operation": "LeaveTeam", "team_id": "t-1", "volunteer_id": "v-1", "reason": "搬家"}
    bus.answer("registry", "JoinTeam", ServiceProblem({"status": 409, "type": "x/team-already-member", "detail": "已是队员 / already"}))
    again = await client.post("/api/v1/teams/t-1/members", headers=VOLUNTEER)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


async def test_station_routes(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "RegisterStation", {"station_id": "s-1", "district": "110105", "meets_all_six": False})
    bus.answer("registry", "GetStation", echo)
    bus.answer("registry", "UpdateStationChecklist", echo)
    created = await client.post(
        "/api/v1/stations",
        json={"name": "日坛公园志愿服务站", "community": "110105001026", "place_kind": "park", "checklist": {"signage": True}},
        headers=ADMIN,
    )
    assert created.status_code == 201 and created.json()["station_id"] == "s-1"
    assert created.headers["location"] == "/api/v1/stations/s-1"
    assert bus.calls[-1].payload["checklist"] == {**dict.fromkeys(SIX, False), "signage": True}
    assert (await client.get("/api/v1/stations/s-1", headers=VOLUNTEER)).json() == {"operation": "GetStation", "station_id": "s-1"}
    full = dict.fromkeys(SIX, True)
    updated = await client.put("/api/v1/stations/s-1/checklist", json={"checklist": full, "note": "复查合格"}, headers=ADMIN)
    assert updated.json() == {"operation": "UpdateStationChecklist", "station_id": "s-1", "checklist": full, "note": "复查合格"}
    calls = len(bus.calls)
    partial = {k: True for k in SIX[:5]}
    assert (await client.put("/api/v1/stations/s-1/checklist", json={"checklist": partial}, headers=ADMIN)).status_code == 422
    bad_kind = {"name": "站", "community": "110105001026", "place_kind": "mall"}
    assert (await client.post("/api/v1/stations", json=bad_kind, headers=ADMIN)).status_code == 422
    assert len(bus.calls) == calls


async def test_the_organization_endpoints_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    assert {
        "/api/v1/units",
        "/api/v1/agencies",
        "/api/v1/agencies/{code}/authorizations",
        "/api/v1/agencies/{code}/authorizations/{station_id}",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
        "/api/v1/teams/{team_id}/checklist",
        "/api/v1/teams/{team_id}/members",
        "/api/v1/teams/{team_id}/members/{volunteer_id}",
        "/api/v1/stations",
        "/api/v1/stations/{station_id}",
        "/api/v1/stations/{station_id}/checklist",
    } <= set(paths)
    assert "201" in paths["/api/v1/teams"]["post"]["responses"]
