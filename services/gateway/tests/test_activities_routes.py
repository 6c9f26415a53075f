"""Activity, attendance, hours and record routes: shape checks at the gateway, forwarding to
the activities service with the path merged into the payload."""

from typing import Any

import httpx
import pytest

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import FakeBus, bearer

PROBLEM = "application/problem+json"
ORGANIZER = bearer("organizer", district="110105", team="t-1")
VOLUNTEER = bearer("volunteer", volunteer="v-1")
ADMIN = bearer("district_admin", district="110105")

SLOT = {"starts_at": "2026-10-18T09:00:00+08:00", "ends_at": "2026-10-18T11:30:00+08:00", "capacity": 20}
DRAFT: dict[str, Any] = {
    "team_id": "t-1",
    "title": "重阳节探访空巢老人",
    "service_kind": "elderly_care",
    "target_group": "elderly_living_alone",
    "place": "社区服务站",
    "community": "110105001026",
    "slots": [SLOT],
}


def echo(call: Any) -> dict[str, Any]:
    return {"operation": call.operation, **call.payload}


def answer_all(bus: FakeBus) -> None:
    for operation in (
        "PublishActivity",
        "RequestBackfill",
        "DecideBackfill",
        "SearchActivities",
        "GetActivity",
        "UpdateActivity",
        "ChangeCapacity",
        "RecordInsurance",
        "CancelActivity",
        "SignUp",
        "CancelSignUp",
        "Roster",
        "CheckIn",
        "CheckOut",
        "CloseMissedCheckOuts",
        "AttendanceCode",
        "ConfirmHours",
        "CompleteActivity",
        "CorrectRecord",
        "DisputeRecord",
        "ResolveDispute",
        "VolunteerRecords",
        "VolunteerSignUps",
        "TeamDisputes",
    ):
        bus.answer("activities", operation, echo)


def assert_problem(reply: httpx.Response, status: int, field: str | None = None) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body = reply.json()
    assert body["status"] == status
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body


# --- forwarding -----------------------------------------------------------------------------

# (method, path, body, headers, expected status, operation, expected payload)
FORWARDED: list[tuple[str, str, dict[str, Any] | None, dict[str, str], int, str, dict[str, Any]]] = [
    ("POST", "/activities", DRAFT, ORGANIZER, 201, "PublishActivity", DRAFT),
    (
        "POST",
        "/activities/backfills",
        {**DRAFT, "reason": "系统上线前的活动"},
        ORGANIZER,
        201,
        "RequestBackfill",
        {**DRAFT, "reason": "系统上线前的活动"},
    ),
    (
        "POST",
        "/activities/a-1/backfill/decision",
        {"approve": False, "note": "材料不全"},
        ADMIN,
        200,
        "DecideBackfill",
        {"activity_id": "a-1", "approve": False, "note": "材料不全"},
    ),
    (
        "PATCH",
        "/activities/a-1",
        {"place": "新地点"},
        ORGANIZER,
        200,
        "UpdateActivity",
        {"activity_id": "a-1", "place": "新地点"},
    ),
    (
        "POST",
        "/activities/a-1/capacity",
        {"slot": 1, "capacity": 30},
        ORGANIZER,
        200,
        "ChangeCapacity",
        {"activity_id": "a-1", "slot": 1, "capacity": 30},
    ),
    (
        "POST",
        "/activities/a-1/insurance",
        {"policy_no": "P-2026-1", "insurer": "人保财险"},
        ORGANIZER,
        200,
        "RecordInsurance",
        {"activity_id": "a-1", "policy_no": "P-2026-1", "insurer": "人保财险"},
    ),
    (
        "POST",
        "/activities/a-1/cancellation",
        {"reason": "暴雨预警"},
        ORGANIZER,
        200,
        "CancelActivity",
        {"activity_id": "a-1", "reason": "暴雨预警"},
    ),
    ("POST", "/activities/a-1/signups", {}, VOLUNTEER, 201, "SignUp", {"activity_id": "a-1"}),
    (
        "POST",
        "/activities/a-1/signups",
        {"volunteer_id": "v-2", "slot": 1},
        ORGANIZER,
        201,
        "SignUp",
        {"activity_id": "a-1", "volunteer_id": "v-2", "slot": 1},
    ),
    (
        "DELETE",
        "/activities/a-1/signups/v-1",
        None,
        VOLUNTEER,
        200,
        "CancelSignUp",
        {"activity_id": "a-1", "volunteer_id": "v-1"},
    ),
    (
        "POST",
        "/activities/a-1/checkins",
        {"code": "123456"},
        VOLUNTEER,
        200,
        "CheckIn",
        {"activity_id": "a-1", "code": "123456"},
    ),
    (
        "POST",
        "/activities/a-1/checkouts",
        {"volunteer_id": "v-2", "at": "2026-10-18T11:30:00+08:00"},
        ORGANIZER,
        200,
        "CheckOut",
        {"activity_id": "a-1", "volunteer_id": "v-2", "at": "2026-10-18T11:30:00+08:00"},
    ),
    (
        "POST",
        "/activities/a-1/missed-checkouts",
        None,
        ORGANIZER,
        200,
        "CloseMissedCheckOuts",
        {"activity_id": "a-1"},
    ),
    (
        "POST",
        "/activities/a-1/hours",
        {
            "records": [
                {"volunteer_id": "v-1", "minutes": 150},
                {
                    "volunteer_id": "v-2",
                    "started_at": "2026-10-18T01:00:00Z",
                    "ended_at": "2026-10-18T03:30:00Z",
                },
            ],
            "policy": "exact.v1",
        },
        ORGANIZER,
        201,
        "ConfirmHours",
        {
            "activity_id": "a-1",
            "records": [
                {"volunteer_id": "v-1", "minutes": 150},
                {
                    "volunteer_id": "v-2",
                    "started_at": "2026-10-18T01:00:00Z",
                    "ended_at": "2026-10-18T03:30:00Z",
                },
            ],
            "policy": "exact.v1",
        },
    ),
    (
        "POST",
        "/activities/a-1/complete",
        {"summary": "探访 12 户", "people_served": 12},
        ORGANIZER,
        200,
        "CompleteActivity",
        {"activity_id": "a-1", "summary": "探访 12 户", "people_served": 12},
    ),
    (
        "POST",
        "/records/r-1/corrections",
        {"minutes": 0, "reason": "未实际到岗"},
        ORGANIZER,
        200,
        "CorrectRecord",
        {"record_id": "r-1", "minutes": 0, "reason": "未实际到岗"},
    ),
    (
        "POST",
        "/records/r-1/disputes",
        {"reason": "少记了半小时", "claimed_minutes": 180},
        VOLUNTEER,
        201,
        "DisputeRecord",
        {"record_id": "r-1", "reason": "少记了半小时", "claimed_minutes": 180},
    ),
    (
        "POST",
        "/records/r-1/disputes/2/resolution",
        {"accept": True, "minutes": 180, "note": "核实属实"},
        ORGANIZER,
        200,
        "ResolveDispute",
        {"record_id": "r-1", "dispute_no": 2, "accept": True, "minutes": 180, "note": "核实属实"},
    ),
    ("GET", "/activities/a-1/roster", None, ORGANIZER, 200, "Roster", {"activity_id": "a-1"}),
    ("GET", "/activities/a-1", None, VOLUNTEER, 200, "GetActivity", {"activity_id": "a-1"}),
    ("GET", "/volunteers/v-1/records", None, VOLUNTEER, 200, "VolunteerRecords", {"volunteer_id": "v-1"}),
    ("GET", "/volunteers/v-1/signups", None, VOLUNTEER, 200, "VolunteerSignUps", {"volunteer_id": "v-1"}),
    ("GET", "/teams/t-1/disputes", None, ORGANIZER, 200, "TeamDisputes", {"team_id": "t-1"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "operation", "payload"),
    FORWARDED,
    ids=[f"{f[0]} {f[1]} {f[5]}" for f in FORWARDED],
)
async def test_each_route_forwards_its_operation_and_payload(
    client: httpx.AsyncClient,
    bus: FakeBus,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    status: int,
    operation: str,
    payload: dict[str, Any],
) -> None:
    answer_all(bus)
    reply = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    assert reply.status_code == status, reply.text
    assert len(bus.calls) == 1
    call = bus.calls[0]
    assert (call.context, call.operation) == ("activities", operation)
    assert call.payload == payload
    assert call.principal is not None
    assert reply.json() == {"operation": operation, **payload}


async def test_commands_forward_the_idempotency_key(client: httpx.AsyncClient, bus: FakeBus) -> None:
    commands = [f for f in FORWARDED if f[0] != "GET"]
    answer_all(bus)
    for method, path, body, headers, status, _, _ in commands:
        key = f"key-{method}-{path}"
        reply = await client.request(
            method, f"/api/v1{path}", json=body, headers={**headers, "Idempotency-Key": key}
        )
        assert reply.status_code == status, reply.text
        assert bus.calls[-1].idempotency_key == key
    bad = await client.post(
        "/api/v1/activities/a-1/complete",
        json={"summary": "探访", "people_served": 1},
        headers={**ORGANIZER, "Idempotency-Key": ""},
    )
    assert_problem(bad, 422)
    assert len(bus.calls) == len(commands)


async def test_publish_answers_201_with_the_activity_and_its_location(
    client: httpx.AsyncClient, bus: FakeBus
) -> None:
    bus.answer("activities", "PublishActivity", {"activity_id": "a-9", "status": "published"})
    reply = await client.post(
        "/api/v1/activities",
        json={**DRAFT, "recruitment": "team", "allows_minors": True, "needs_insurance": True},
        headers=ORGANIZER,
    )
    assert reply.status_code == 201
    assert reply.json()["activity_id"] == "a-9"
    assert reply.headers["location"] == "/api/v1/activities/a-9"
    sent = bus.calls[-1].payload
    assert sent["recruitment"] == "team" and sent["allows_minors"] is True and sent["needs_insurance"] is True
    assert bus.calls[-1].principal is not None and bus.calls[-1].principal.team == "t-1"


async def test_sign_up_passes_the_waitlist_position_through(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer(
        "activities",
        "SignUp",
        {"activity_id": "a-1", "volunteer_id": "v-1", "slot": 0, "status": "waitlisted", "position": 3},
    )
    reply = await client.post("/api/v1/activities/a-1/signups", json={}, headers=VOLUNTEER)
    assert reply.status_code == 201
    assert reply.json()["status"] == "waitlisted" and reply.json()["position"] == 3


async def test_hours_answer_carries_each_record_id(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer(
        "activities",
        "ConfirmHours",
        {
            "activity_id": "a-1",
            "policy_version": "exact.v1",
            "late": False,
            "records": [{"volunteer_id": "v-1", "record_id": "r-1", "minutes": 150, "late": False}],
        },
    )
    reply = await client.post(
        "/api/v1/activities/a-1/hours",
        json={"records": [{"volunteer_id": "v-1", "minutes": 150}]},
        headers=ORGANIZER,
    )
    assert reply.status_code == 201
    assert [r["record_id"] for r in reply.json()["records"]] == ["r-1"]


async def test_attendance_code_is_a_plain_uncached_request(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("activities", "AttendanceCode", {"activity_id": "a-1", "code": "654321", "expires_at": 1})
    reply = await client.get(
        "/api/v1/activities/a-1/attendance-code", headers={**ORGANIZER, "Idempotency-Key": "ignored"}
    )
    assert reply.status_code == 200 and reply.json()["code"] == "654321"
    assert reply.headers["cache-control"] == "no-store"
    call = bus.calls[-1]
    assert (call.operation, call.payload, call.idempotency_key) == (
        "AttendanceCode",
        {"activity_id": "a-1"},
        None,
    )


# --- reading without a token ----------------------------------------------------------------


async def test_search_needs_no_token_and_passes_filters(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("activities", "SearchActivities", {"items": [], "next": None})
    reply = await client.get(
        "/api/v1/activities",
        params={
            "district": "110105",
            "service_kind": "elderly_care",
            "team_id": "t-1",
            "status": "completed",
            "from": "2026-10-01T00:00:00+08:00",
            "to": "2026-10-31T23:59:59Z",
            "limit": 10,
            "cursor": "abc",
        },
    )
    assert reply.status_code == 200 and reply.json() == {"items": [], "next": None}
    call = bus.calls[-1]
    assert call.principal is None
    assert call.payload == {
        "district": "110105",
        "service_kind": "elderly_care",
        "team_id": "t-1",
        "status": "completed",
        "from": "2026-10-01T00:00:00+08:00",
        "to": "2026-10-31T23:59:59+00:00",
        "limit": 10,
        "cursor": "abc",
    }
    await client.get("/api/v1/activities")
    assert bus.calls[-1].payload == {"limit": 50}
    # An unescaped "+" arrives as a space; the offset is still understood.
    await client.get("/api/v1/activities?from=2026-10-01T00:00:00+08:00")
    assert bus.calls[-1].payload["from"] == "2026-10-01T00:00:00+08:00"
    with_token = await client.get("/api/v1/activities", headers=VOLUNTEER)
    assert with_token.status_code == 200
    assert bus.calls[-1].principal is not None and bus.calls[-1].principal.volunteer == "v-1"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("district=1101", "district"),
        ("service_kind=cooking", "service_kind"),
        ("status=open", "status"),
        ("from=2026-10-01T00:00:00", "from"),
        ("to=yesterday", "to"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ],
)
async def test_search_refuses_bad_filters(
    client: httpx.AsyncClient, bus: FakeBus, query: str, field: str
) -> None:
    reply = await client.get(f"/api/v1/activities?{query}")
    assert_problem(reply, 422, field)
    assert bus.calls == []


async def test_get_activity_needs_no_token(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("activities", "GetActivity", {"activity_id": "a-1", "slots": []})
    reply = await client.get("/api/v1/activities/a-1")
    assert reply.status_code == 200 and reply.json()["activity_id"] == "a-1"
    assert bus.calls[-1].principal is None
    bad_token = await client.get("/api/v1/activities/a-1", headers={"Authorization": "Bearer nope"})
    assert_problem(bad_token, 401)
    bus.answer(
        "activities",
        "GetActivity",
        ServiceProblem({"status": 404, "type": "x/activity-not-found", "detail": "没有 / none"}),
    )
    assert_problem(await client.get("/api/v1/activities/a-2"), 404)


# --- refusals at the gateway ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [(f[0], f[1], f[2]) for f in FORWARDED if not (f[0] == "GET" and f[1] == "/activities/a-1")],
)
async def test_a_token_is_required(
    client: httpx.AsyncClient, bus: FakeBus, method: str, path: str, body: dict[str, Any] | None
) -> None:
    answer_all(bus)
    reply = await client.request(method, f"/api/v1{path}", json=body)
    assert_problem(reply, 401)
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert bus.calls == []


def _slot(**change: Any) -> dict[str, Any]:
    return {**DRAFT, "slots": [{**SLOT, **change}]}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/activities", {**DRAFT, "organiser": "x"}, "organiser"),
        ("POST", "/activities", _slot(starts_at="2026-10-18T09:00:00"), "slots[0].starts_at"),
        ("POST", "/activities", _slot(ends_at="2026-10-18 11:30"), "slots[0].ends_at"),
        ("POST", "/activities", _slot(starts_at=1760749200), "slots[0].starts_at"),
        ("POST", "/activities", _slot(capacity="20"), "slots[0].capacity"),
        ("POST", "/activities", _slot(capacity=0), "slots[0].capacity"),
        ("POST", "/activities", {**DRAFT, "slots": []}, "slots"),
        ("POST", "/activities", {**DRAFT, "service_kind": "cooking"}, "service_kind"),
        ("POST", "/activities", {**DRAFT, "community": "110105"}, "community"),
        ("POST", "/activities", {**DRAFT, "team_id": "t" * 65}, "team_id"),
        ("POST", "/activities", {**DRAFT, "recruitment": "private"}, "recruitment"),
        ("POST", "/activities", {**DRAFT, "allows_minors": "yes"}, "allows_minors"),
        ("POST", "/activities/backfills", DRAFT, "reason"),
        ("POST", "/activities/a-1/backfill/decision", {"approve": 1}, "approve"),
        ("PATCH", "/activities/a-1", {"title": None}, "title"),
        ("PATCH", "/activities/a-1", {"service_kind": "patrol"}, "service_kind"),
        ("POST", "/activities/a-1/capacity", {"capacity": 2.5}, "capacity"),
        ("POST", "/activities/a-1/capacity", {"slot": -1, "capacity": 2}, "slot"),
        ("POST", "/activities/a-1/insurance", {"policy_no": "P-1"}, "insurer"),
        ("POST", "/activities/a-1/cancellation", {}, "reason"),
        ("POST", "/activities/a-1/signups", {"volunteer_id": ""}, "volunteer_id"),
        ("POST", "/activities/a-1/signups", {"slot": "1"}, "slot"),
        ("POST", "/activities/a-1/signups", {"team": "t-1"}, "team"),
        ("POST", "/activities/a-1/checkins", {"code": "12ab56"}, "code"),
        ("POST", "/activities/a-1/checkouts", {"volunteer_id": "v-2", "at": "2026-10-18T11:30:00"}, "at"),
        ("POST", "/activities/a-1/hours", {"records": []}, "records"),
        (
            "POST",
            "/activities/a-1/hours",
            {"records": [{"volunteer_id": "v-1", "minutes": 2.5}]},
            "records[0].minutes",
        ),
        (
            "POST",
            "/activities/a-1/hours",
            {"records": [{"volunteer_id": "v-1", "hours": 2}]},
            "records[0].hours",
        ),
        (
            "POST",
            "/activities/a-1/hours",
            {"records": [{"volunteer_id": "v-1", "started_at": "2026-10-18T09:00:00"}]},
            "records[0].started_at",
        ),
        ("POST", "/activities/a-1/hours", {"records": [{"volunteer_id": "v-1"}], "policy": "up"}, "policy"),
        ("POST", "/activities/a-1/complete", {"summary": "好", "people_served": 3}, "summary"),
        ("POST", "/activities/a-1/complete", {"summary": "很好", "people_served": "3"}, "people_served"),
        ("POST", "/records/r-1/corrections", {"minutes": 2.5, "reason": "多记了"}, "minutes"),
        ("POST", "/records/r-1/corrections", {"minutes": -1, "reason": "多记了"}, "minutes"),
        ("POST", "/records/r-1/corrections", {"minutes": 10}, "reason"),
        ("POST", "/records/r-1/disputes", {"reason": "少记了", "claimed_minutes": 1.5}, "claimed_minutes"),
        ("POST", "/records/r-1/disputes/1/resolution", {"accept": True, "note": "核实", "x": 1}, "x"),
        ("POST", "/records/r-1/disputes/0/resolution", {"accept": True, "note": "核实"}, "n"),
        ("POST", "/records/r-1/disputes/one/resolution", {"accept": True, "note": "核实"}, "n"),
    ],
)
async def test_bad_bodies_are_refused_before_the_service(
    client: httpx.AsyncClient, bus: FakeBus, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    answer_all(bus)
    reply = await client.request(method, f"/api/v1{path}", json=body, headers=ORGANIZER)
    assert_problem(reply, 422, field)
    assert bus.calls == []


async def test_naive_times_are_named_and_never_echoed(client: httpx.AsyncClient, bus: FakeBus) -> None:
    reply = await client.post(
        "/api/v1/activities", json=_slot(starts_at="2026-10-18T09:00:00"), headers=ORGANIZER
    )
    assert_problem(reply, 422, "slots[0].starts_at")
    error = reply.json()["errors"][0]
    assert error["code"] == "timezone_aware"
    assert "offset" in error["message"] and '2026-10-18T09:00:00"' not in reply.text
    assert "slots[0].starts_at" in reply.json()["detail"]


async def test_bad_path_ids_are_refused(client: httpx.AsyncClient, bus: FakeBus) -> None:
    answer_all(bus)
    long_id = "a" * 65
    assert_problem(await client.get(f"/api/v1/activities/{long_id}"), 422, "activity_id")
    assert_problem(await client.get(f"/api/v1/teams/{long_id}/disputes", headers=ORGANIZER), 422, "team_id")
    assert_problem(
        await client.post(
            f"/api/v1/records/{long_id}/corrections", json={"minutes": 1, "reason": "多记"}, headers=ORGANIZER
        ),
        422,
        "record_id",
    )
    assert bus.calls == []


# --- service problems pass through ----------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "method", "path", "body", "problem"),
    [
        (
            "SignUp",
            "POST",
            "/activities/a-1/signups",
            {"slot": 0},
            {"status": 409, "type": "https://zhiyuan.example/problems/slot-full", "detail": "已满 / full"},
        ),
        (
            "ChangeCapacity",
            "POST",
            "/activities/a-1/capacity",
            {"capacity": 1},
            {
                "status": 409,
                "type": "x/capacity-below-confirmed",
                "detail": "少于已确认 / below",
                "confirmed": 5,
            },
        ),
        (
            "CorrectRecord",
            "POST",
            "/records/r-1/corrections",
            {"minutes": 30, "reason": "多记了"},
            {"status": 403, "type": "x/not-your-team", "detail": "不是本队 / not your team"},
        ),
        (
            "VolunteerRecords",
            "GET",
            "/volunteers/v-2/records",
            None,
            {"status": 403, "type": "x/not-your-records", "detail": "只能看本人 / own only"},
        ),
    ],
)
async def test_service_problems_pass_through(
    client: httpx.AsyncClient,
    bus: FakeBus,
    operation: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    problem: dict[str, Any],
) -> None:
    bus.answer("activities", operation, ServiceProblem(problem))
    reply = await client.request(method, f"/api/v1{path}", json=body, headers=VOLUNTEER)
    assert_problem(reply, problem["status"])
    for key, value in problem.items():
        assert reply.json()[key] == value
    assert reply.json()["instance"] == f"/api/v1{path}"


# --- OpenAPI --------------------------------------------------------------------------------

NEW_PATHS = {
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/backfills": {"post"},
    "/api/v1/activities/{activity_id}": {"get", "patch"},
    "/api/v1/activities/{activity_id}/backfill/decision": {"post"},
    "/api/v1/activities/{activity_id}/capacity": {"post"},
    "/api/v1/activities/{activity_id}/insurance": {"post"},
    "/api/v1/activities/{activity_id}/cancellation": {"post"},
    "/api/v1/activities/{activity_id}/signups": {"post"},
    "/api/v1/activities/{activity_id}/signups/{volunteer_id}": {"delete"},
    "/api/v1/activities/{activity_id}/roster": {"get"},
    "/api/v1/activities/{activity_id}/checkins": {"post"},
    "/api/v1/activities/{activity_id}/checkouts": {"post"},
    "/api/v1/activities/{activity_id}/missed-checkouts": {"post"},
    "/api/v1/activities/{activity_id}/attendance-code": {"get"},
    "/api/v1/activities/{activity_id}/hours": {"post"},
    "/api/v1/activities/{activity_id}/complete": {"post"},
    "/api/v1/records/{record_id}/corrections": {"post"},
    "/api/v1/records/{record_id}/disputes": {"post"},
    "/api/v1/records/{record_id}/disputes/{n}/resolution": {"post"},
    "/api/v1/volunteers/{volunteer_id}/records": {"get"},
    "/api/v1/volunteers/{volunteer_id}/signups": {"get"},
    "/api/v1/teams/{team_id}/disputes": {"get"},
}


async def test_openapi_lists_every_new_path_with_problem_responses(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    for path, methods in NEW_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            responses = paths[path][method]["responses"]
            assert PROBLEM in responses["422"]["content"], (path, method)
            assert PROBLEM in responses["401"]["content"], (path, method)
    assert {} in paths["/api/v1/activities"]["get"]["security"]
    assert {} in paths["/api/v1/activities/{activity_id}"]["get"]["security"]
    assert "201" in paths["/api/v1/activities"]["post"]["responses"]
    assert "201" in paths["/api/v1/activities/{activity_id}/signups"]["post"]["responses"]
    parameters = {p["name"] for p in paths["/api/v1/activities"]["get"]["parameters"]}
    assert {"district", "service_kind", "team_id", "status", "from", "to", "limit", "cursor"} <= parameters


# --- what is forwarded is what the service accepts -------------------------------------------

SERVICE_MODELS = {
    "Attendance": ("CheckIn", "CheckOut"),
    "ActivityRef": ("CloseMissedCheckOuts", "AttendanceCode", "GetActivity", "Roster"),
    "VolunteerRef": ("VolunteerRecords", "VolunteerSignUps"),
    "TeamRef": ("TeamDisputes",),
}


async def test_forwarded_payloads_pass_the_service_models(client: httpx.AsyncClient, bus: FakeBus) -> None:
    commands = pytest.importorskip("zhiyuan_activities.application.commands")
    model_of = {op: name for name, ops in SERVICE_MODELS.items() for op in ops}
    answer_all(bus)
    for method, path, body, headers, _, _, _ in FORWARDED:
        await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    await client.get("/api/v1/activities/a-1/attendance-code", headers=ORGANIZER)
    await client.get(
        "/api/v1/activities",
        params={"district": "110105", "from": "2026-10-01T00:00:00+08:00", "to": "2026-10-31T00:00:00Z"},
    )
    await client.post(
        "/api/v1/activities", json={**DRAFT, "recruitment": "team", "allows_minors": True}, headers=ORGANIZER
    )
    await client.post("/api/v1/activities", json={**DRAFT, "service_kind": "paid_work"}, headers=ORGANIZER)
    assert len(bus.calls) == len(FORWARDED) + 4
    for call in bus.calls:
        model = getattr(commands, model_of.get(call.operation, call.operation))
        model.model_validate(call.payload)
