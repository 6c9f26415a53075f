"""Units, registering agencies, teams and stations, through the handlers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import decode
from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.tables import events, outbox
from zhiyuan_platform.testing.host import Answer, InProcessHost
from zhiyuan_registry.adapters.tables import persons

from .conftest import (
    CHAOYANG,
    CHAOYANG_OTHER_STREET,
    CITY_ADMIN,
    HAIDIAN,
    district_admin,
    registration,
    volunteer,
)

CHAOYANG_ADMIN = district_admin("110105")
HAIDIAN_ADMIN = district_admin("110108")
ALL_SIX = dict.fromkeys(("management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage"), True)
FIVE = ("has_organization", "has_people", "has_place_or_target", "has_activities", "has_rules")


def organizer(team_id: str, district: str = "110105") -> Principal:
    return Principal(role="organizer", subject=f"organizer-{team_id}", district=district, team=team_id)


async def count(host: InProcessHost, table: Any) -> int:
    async with host.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def stored_types(host: InProcessHost) -> list[str]:
    async with host.engine.connect() as conn:
        return [r.type for r in await conn.execute(select(events.c.type).order_by(events.c.position))]


async def published(host: InProcessHost) -> list[tuple[str, Any]]:
    """Each outbox row's subject and its body, validated strictly against the catalogue."""
    async with host.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.subject, outbox.c.body).order_by(outbox.c.id))).all()
    return [(r.subject, parse_event(decode(bytes(r.body)), unknown_fields="forbid")) for r in rows]


def assert_bilingual(answer: Answer) -> None:
    detail = answer.problem["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
    assert any(ch.isascii() and ch.isalpha() for ch in detail), detail


async def new_volunteer(host: InProcessHost, **overrides: object) -> str:
    answer = await host.call("RegisterVolunteer", registration(**overrides))
    assert answer.ok, answer
    return str(answer.result["volunteer_id"])


async def new_team(host: InProcessHost, community: str = CHAOYANG, **overrides: object) -> str:
    body: dict[str, object] = {"name": "永安里为老服务队", "community": community, "kind": "community", **overrides}
    answer = await host.call("RegisterTeam", body, principal=CITY_ADMIN)
    assert answer.ok, answer
    return str(answer.result["team_id"])


async def new_station(host: InProcessHost, community: str = CHAOYANG, **overrides: object) -> str:
    body: dict[str, object] = {"name": "永安里志愿服务站", "community": community, "place_kind": "community", **overrides}
    answer = await host.call("RegisterStation", body, principal=CITY_ADMIN)
    assert answer.ok, answer
    return str(answer.result["station_id"])


# -- units -------------------------------------------------------------------------------------------


async def test_a_district_admin_registers_a_unit_and_it_is_published_to_its_district(host: InProcessHost) -> None:
    body = {"name": "建外街道办事处", "unit_type": "party_government", "community": CHAOYANG, "headcount": 120}
    answer = await host.call("RegisterUnit", body, principal=CHAOYANG_ADMIN)
    assert answer.ok and answer.result["district"] == "110105"
    [(subject, event)] = await published(host)
    assert subject == "zy.registry.110105.UnitRegistered"
    assert event.model_dump(mode="json") == {
        "unit_id": answer.result["unit_id"],
        "name": "建外街道办事处",
        "unit_type": "party_government",
        "community": CHAOYANG,
        "headcount": 120,
        "district": "110105",
    }


async def test_unit_refusals_name_the_field_and_store_nothing(host: InProcessHost) -> None:
    good = {"name": "某某中学", "unit_type": "civilized_unit_school", "community": CHAOYANG, "headcount": 80}
    cases: list[tuple[dict[str, object], Principal | None, int, str | None]] = [
        ({**good, "unit_type": "factory"}, CHAOYANG_ADMIN, 422, "unit_type"),
        ({**good, "headcount": 0}, CHAOYANG_ADMIN, 422, "headcount"),
        ({**good, "headcount": "80"}, CHAOYANG_ADMIN, 422, "headcount"),
        ({**good, "name": "   "}, CHAOYANG_ADMIN, 422, "name"),
        ({**good, "community": "110105001999"}, CHAOYANG_ADMIN, 422, "community"),
        ({**good, "extra": 1}, CHAOYANG_ADMIN, 422, "extra"),
        (good, HAIDIAN_ADMIN, 403, None),
        (good, organizer("t-1"), 403, None),
        (good, None, 401, None),
    ]
    for body, who, status, field in cases:
        answer = await host.call("RegisterUnit", body, principal=who)
        assert answer.status == status, (body, who, answer)
        assert_bilingual(answer)
        if field:
            assert answer.problem["errors"][0]["field"] == field, answer.problem
    assert await count(host, events) == 0
    assert await count(host, outbox) == 0


async def test_units_are_listed_by_district_with_paging(host: InProcessHost) -> None:
    for n in range(5):
        body = {"name": f"单位{n}", "unit_type": "enterprise_institution", "community": CHAOYANG, "headcount": 10 + n}
        assert (await host.call("RegisterUnit", body, principal=CHAOYANG_ADMIN)).ok
    haidian = {"name": "海淀单位", "unit_type": "other", "community": HAIDIAN, "headcount": 3}
    assert (await host.call("RegisterUnit", haidian, principal=HAIDIAN_ADMIN)).ok
    first = await host.call("ListUnits", {"district": "110105", "limit": 3}, principal=CHAOYANG_ADMIN)
    rest = await host.call("ListUnits", {"district": "110105", "limit": 3, "cursor": first.result["next"]}, principal=CHAOYANG_ADMIN)
    names = [u["name"] for u in first.result["items"] + rest.result["items"]]
    assert len(first.result["items"]) == 3 and rest.result["next"] is None
    assert sorted(names) == [f"单位{n}" for n in range(5)]
    everything = await host.call("ListUnits", {}, principal=CITY_ADMIN)
    assert len(everything.result["items"]) == 6
    assert (await host.call("ListUnits", {"limit": 501}, principal=CITY_ADMIN)).status == 422
    assert (await host.call("ListUnits", {"cursor": "not-a-cursor"}, principal=CITY_ADMIN)).status == 422
    assert (await host.call("ListUnits", {})).status == 401


# -- registering agencies ------------------------------------------------------------------------------


async def test_registering_agencies_name_the_default_first_then_get_serials(host: InProcessHost) -> None:
    street = {"name": "建外街道志愿者协会", "level": "street", "division": "110105001000"}
    first = await host.call("RegisterAgency", street, principal=CHAOYANG_ADMIN)
    second = await host.call("RegisterAgency", {**street, "name": "建外街道青年志愿者服务中心"}, principal=CHAOYANG_ADMIN)
    third = await host.call("RegisterAgency", {**street, "name": "第三家"}, principal=CITY_ADMIN)
    assert [a.result["agency_code"] for a in (first, second, third)] == ["110105001", "11010500101", "11010500102"]
    assert first.result["default"] is True and second.result["default"] is False
    district = {"name": "朝阳区志愿者联合会", "level": "district", "division": "110105"}
    assert (await host.call("RegisterAgency", district, principal=CHAOYANG_ADMIN)).result["agency_code"] == "110105"
    assert (await host.call("RegisterAgency", district, principal=CHAOYANG_ADMIN)).result["agency_code"] == "11010501"
    # Agencies are internal: stored, never published.
    assert await stored_types(host) == ["AgencyRegistered"] * 5
    assert await count(host, outbox) == 0
    # A volunteer may be registered under any of them that covers the community.
    numbers = []
    for agency in ("11010500101", "110105", "11010501", None):
        answer = await host.call("RegisterVolunteer", registration(agency=agency) if agency else registration())
        assert answer.ok, answer
        numbers.append(answer.result["registration_no"])
    assert numbers == ["11010500101-000001", "110105-000001", "11010501-000001", "110105001-000001"]


async def test_agency_registration_refusals(host: InProcessHost) -> None:
    cases: list[tuple[dict[str, object], Principal | None, int, str]] = [
        ({"name": "协会", "level": "street", "division": "110108001000"}, CHAOYANG_ADMIN, 403, "outside-your-district"),
        ({"name": "协会", "level": "street", "division": CHAOYANG}, CHAOYANG_ADMIN, 422, "division-not-a-street"),
        ({"name": "协会", "level": "district", "division": "110100"}, CITY_ADMIN, 422, "division-not-a-district"),
        ({"name": "协会", "level": "street", "division": "110105999000"}, CHAOYANG_ADMIN, 422, "division-unknown"),
        ({"name": "协会", "level": "city", "division": "110105"}, CHAOYANG_ADMIN, 422, "invalid-request"),
        ({"name": "协会", "level": "district", "division": "110105"}, volunteer("v-1"), 403, "outside-your-district"),
    ]
    for body, who, status, code in cases:
        answer = await host.call("RegisterAgency", body, principal=who)
        assert answer.status == status and answer.problem["type"].endswith(code), (body, answer)
        assert_bilingual(answer)
    assert await count(host, events) == 0


async def test_a_requested_agency_must_cover_the_community(host: InProcessHost) -> None:
    cases = {
        "110108001": "a Haidian street agency for a Chaoyang community",
        "110105002": "another street of the same district",
        "11010500199": "an agency that was never registered",
        "1101050": "not an agency code",
    }
    for agency, why in cases.items():
        answer = await host.call("RegisterVolunteer", registration(agency=agency))
        assert answer.status == 422, (why, answer)
        assert answer.problem["type"].endswith("agency-not-covering-community"), answer.problem
        assert answer.problem["errors"][0]["field"] == "agency"
        assert_bilingual(answer)
    assert await count(host, events) == 0
    assert await count(host, persons) == 0
    assert await count(host, outbox) == 0


async def test_a_station_registers_volunteers_only_under_an_agency_that_authorized_it(host: InProcessHost) -> None:
    station = await new_station(host)
    refused = await host.call("RegisterVolunteer", registration(station_id=station))
    assert refused.status == 403 and refused.problem["type"].endswith("station-not-authorized")
    assert_bilingual(refused)
    unknown = await host.call("RegisterVolunteer", registration(station_id="no-such-station"))
    assert unknown.status == 403 and unknown.problem["type"].endswith("station-not-authorized")

    grant = {"agency": "110105001", "station_id": station, "reason": "站点已具备注册条件"}
    assert (await host.call("AuthorizeStation", grant, principal=HAIDIAN_ADMIN)).status == 403
    assert (await host.call("AuthorizeStation", grant, principal=CHAOYANG_ADMIN)).result["authorized"] is True
    assert (await host.call("AuthorizeStation", grant, principal=CHAOYANG_ADMIN)).status == 409
    accepted = await host.call("RegisterVolunteer", registration(station_id=station))
    assert accepted.ok and accepted.result["registration_no"] == "110105001-000001"
    # Authorized by the street agency, not by the district's.
    other_agency = await host.call("RegisterVolunteer", registration(station_id=station, agency="110105"))
    assert other_agency.status == 403

    revoke = {"agency": "110105001", "station_id": station, "reason": "台账不全，暂停授权"}
    assert (await host.call("RevokeStationAuthorization", revoke, principal=CHAOYANG_ADMIN)).result["authorized"] is False
    assert (await host.call("RevokeStationAuthorization", revoke, principal=CHAOYANG_ADMIN)).status == 409
    assert (await host.call("RegisterVolunteer", registration(station_id=station))).status == 403
    details = await host.call("GetStation", {"station_id": station}, principal=CHAOYANG_ADMIN)
    assert details.result["authorized_by_agencies"] == []


async def test_an_agency_authorizes_only_stations_within_its_division(host: InProcessHost) -> None:
    elsewhere = await new_station(host, community=CHAOYANG_OTHER_STREET)
    street = {"agency": "110105001", "station_id": elsewhere, "reason": "跨街道授权"}
    outside = await host.call("AuthorizeStation", street, principal=CHAOYANG_ADMIN)
    assert outside.status == 422 and outside.problem["type"].endswith("station-outside-agency")
    assert outside.problem["errors"][0]["field"] == "station_id"
    assert (await host.call("AuthorizeStation", {**street, "agency": "110105"}, principal=CHAOYANG_ADMIN)).ok
    missing = await host.call("AuthorizeStation", {**street, "station_id": "nope"}, principal=CHAOYANG_ADMIN)
    assert missing.status == 404
    unregistered = await host.call("AuthorizeStation", {**street, "agency": "11010500107"}, principal=CHAOYANG_ADMIN)
    assert unregistered.status == 404 and unregistered.problem["type"].endswith("agency-not-found")
    unknown_street = await host.call("AuthorizeStation", {**street, "agency": "110105999"}, principal=CHAOYANG_ADMIN)
    assert unknown_street.status == 404
    malformed = await host.call("AuthorizeStation", {**street, "agency": "1101050"}, principal=CHAOYANG_ADMIN)
    assert malformed.status == 422 and malformed.problem["errors"][0]["field"] == "agency"


async def test_agencies_of_a_district_are_listed_with_the_defaults_and_their_stations(host: InProcessHost) -> None:
    await host.call("RegisterAgency", {"name": "建外街道志愿者协会", "level": "street", "division": "110105001000"}, principal=CHAOYANG_ADMIN)
    await host.call("RegisterAgency", {"name": "建外青年中心", "level": "street", "division": "110105001000"}, principal=CHAOYANG_ADMIN)
    station = await new_station(host)
    grant = {"agency": "11010500101", "station_id": station, "reason": "同意站点注册"}
    assert (await host.call("AuthorizeStation", grant, principal=CHAOYANG_ADMIN)).ok
    listed = await host.call("ListAgencies", {"district": "110105", "limit": 500}, principal=volunteer("v-1"))
    by_code = {a["code"]: a for a in listed.result["items"]}
    assert by_code["110105"]["default"] is True and by_code["110105"]["level"] == "district"
    assert by_code["110105001"]["name"] == "建外街道志愿者协会" and by_code["110105001"]["division_name"]
    assert by_code["110105002"]["name"] is None  # a default agency nobody has named yet
    assert by_code["11010500101"]["authorized_stations"] == [station]
    assert all(code.startswith("110105") for code in by_code)
    codes = [a["code"] for a in listed.result["items"]]
    assert codes == sorted(codes) and listed.result["next"] is None
    page = await host.call("ListAgencies", {"district": "110105", "limit": 2}, principal=CHAOYANG_ADMIN)
    rest = await host.call("ListAgencies", {"district": "110105", "limit": 500, "cursor": page.result["next"]}, principal=CHAOYANG_ADMIN)
    assert [a["code"] for a in page.result["items"] + rest.result["items"]] == codes
    assert (await host.call("ListAgencies", {"district": "1101"}, principal=CHAOYANG_ADMIN)).status == 422


# -- teams ------------------------------------------------------------------------------------------------


async def test_registering_a_team_publishes_it_and_its_leader_joins(host: InProcessHost) -> None:
    leader = await new_volunteer(host)
    unit = await host.call(
        "RegisterUnit",
        {"name": "建外街道办事处", "unit_type": "party_government", "community": CHAOYANG, "headcount": 50},
        principal=CHAOYANG_ADMIN,
    )
    body = {"name": "建外党员服务队", "community": CHAOYANG, "kind": "party_member", "unit_id": unit.result["unit_id"], "leader_volunteer_id": leader}
    answer = await host.call("RegisterTeam", body, principal=CHAOYANG_ADMIN)
    assert answer.ok, answer
    team_id = answer.result["team_id"]
    subjects = [(s, e) for s, e in await published(host) if s.endswith(("TeamRegistered", "VolunteerJoinedTeam"))]
    assert [s for s, _ in subjects] == ["zy.registry.110105.TeamRegistered", "zy.registry.110105.VolunteerJoinedTeam"]
    registered = subjects[0][1].model_dump(mode="json")
    assert registered == {
        "team_id": team_id,
        "name": "建外党员服务队",
        "district": "110105",
        "community": CHAOYANG,
        "kind": "party_member",
        "unit": unit.result["unit_id"],
        "leader_volunteer_id": leader,
    }
    team = await host.call("GetTeam", {"team_id": team_id}, principal=volunteer(leader))
    assert team.result["members"] == 1 and team.result["leader_volunteer_id"] == leader
    assert team.result["checklist"] == dict.fromkeys(FIVE, False) and team.result["meets_all_five"] is False


async def test_team_registration_refusals(host: InProcessHost) -> None:
    suspended = await new_volunteer(host)
    await host.call("SuspendVolunteer", {"volunteer_id": suspended, "reason": "连续爽约"}, principal=CHAOYANG_ADMIN)
    before = await count(host, events)
    base: dict[str, object] = {"name": "服务队", "community": CHAOYANG, "kind": "community"}
    cases: list[tuple[dict[str, object], Principal | None, int, str | None]] = [
        (base, HAIDIAN_ADMIN, 403, None),
        (base, organizer("t-1"), 403, None),
        (base, volunteer(suspended), 403, None),
        ({**base, "kind": "choir"}, CHAOYANG_ADMIN, 422, "kind"),
        ({**base, "leader_volunteer_id": "nobody"}, CHAOYANG_ADMIN, 422, "leader_volunteer_id"),
        ({**base, "leader_volunteer_id": suspended}, CHAOYANG_ADMIN, 422, "leader_volunteer_id"),
        ({**base, "unit_id": "no-such-unit"}, CHAOYANG_ADMIN, 422, "unit_id"),
    ]
    for body, who, status, field in cases:
        answer = await host.call("RegisterTeam", body, principal=who)
        assert answer.status == status, (body, answer)
        assert_bilingual(answer)
        if field:
            assert answer.problem["errors"][0]["field"] == field
    assert await count(host, events) == before
    # The city admin registers anywhere; a district admin within their district.
    assert (await host.call("RegisterTeam", {**base, "community": HAIDIAN}, principal=CITY_ADMIN)).ok
    assert (await host.call("RegisterTeam", {**base, "community": HAIDIAN}, principal=HAIDIAN_ADMIN)).ok


async def test_the_five_haves_are_assessed_by_the_teams_organizer_or_an_admin_with_history(host: InProcessHost) -> None:
    team_id = await new_team(host)
    other_team = await new_team(host)
    half = {**dict.fromkeys(FIVE, True), "has_rules": False}
    refusals: list[tuple[dict[str, object], Principal | None, int]] = [
        ({"checklist": half}, organizer(other_team), 403),
        ({"checklist": half}, volunteer("v-1"), 403),
        ({"checklist": half}, HAIDIAN_ADMIN, 403),
        ({"checklist": {**half, "has_rules": "yes"}}, CHAOYANG_ADMIN, 422),
        ({"checklist": {k: v for k, v in half.items() if k != "has_rules"}}, CHAOYANG_ADMIN, 422),
    ]
    before = await count(host, events)
    for extra, who, status in refusals:
        assert (await host.call("UpdateTeamChecklist", {"team_id": team_id, **extra}, principal=who)).status == status
    assert await count(host, events) == before
    assert (await host.call("UpdateTeamChecklist", {"team_id": "nope", "checklist": half}, principal=CITY_ADMIN)).status == 404
    first = await host.call("UpdateTeamChecklist", {"team_id": team_id, "checklist": half, "note": "制度待完善"}, principal=organizer(team_id))
    assert first.result["meets_all_five"] is False
    done = await host.call(
        "UpdateTeamChecklist",
        {"team_id": team_id, "checklist": dict.fromkeys(FIVE, True), "note": "联系人13812345678已交制度"},
        principal=CHAOYANG_ADMIN,
    )
    assert done.result["meets_all_five"] is True
    team = await host.call("GetTeam", {"team_id": team_id}, principal=CHAOYANG_ADMIN)
    assert team.result["meets_all_five"] is True
    history = team.result["checklist_history"]
    assert [h["complete"] for h in history] == [False, False, True]
    assert history[1]["by"] == f"organizer:organizer-{team_id}" and history[1]["note"] == "制度待完善"
    assert history[2]["note"] == "联系人138****5678已交制度" and history[2]["at"].startswith("2026-11-23T02:00")
    # The assessment is internal: nothing new is published for it.
    assert [s.rsplit(".", 1)[1] for s, _ in await published(host)] == ["TeamRegistered", "TeamRegistered"]


async def test_joining_and_leaving_a_team(host: InProcessHost) -> None:
    team_id = await new_team(host)
    alice = await new_volunteer(host)
    bob = await new_volunteer(host, community=HAIDIAN)
    carol = await new_volunteer(host)
    suspended = await new_volunteer(host)
    await host.call("SuspendVolunteer", {"volunteer_id": suspended, "reason": "连续爽约"}, principal=CHAOYANG_ADMIN)
    before = await count(host, events)
    refusals: list[tuple[str, Principal | None, int, str]] = [
        (alice, volunteer(bob), 403, "not-your-team"),
        (alice, organizer("another-team"), 403, "not-your-team"),
        (alice, HAIDIAN_ADMIN, 403, "not-your-team"),
        (alice, None, 401, "login-required"),
        ("nobody", CHAOYANG_ADMIN, 404, "volunteer-not-found"),
        (suspended, CHAOYANG_ADMIN, 422, "volunteer-not-active"),
    ]
    for who_joins, principal, status, code in refusals:
        answer = await host.call("JoinTeam", {"team_id": team_id, "volunteer_id": who_joins}, principal=principal)
        assert answer.status == status and answer.problem["type"].endswith(code), answer
        assert_bilingual(answer)
    assert (await host.call("JoinTeam", {"team_id": "nope", "volunteer_id": alice}, principal=volunteer(alice))).status == 404
    assert await count(host, events) == before

    assert (await host.call("JoinTeam", {"team_id": team_id, "volunteer_id": alice}, principal=volunteer(alice))).result["members"] == 1
    again = await host.call("JoinTeam", {"team_id": team_id, "volunteer_id": alice}, principal=volunteer(alice))
    assert again.status == 409 and again.problem["type"].endswith("team-already-member")
    # A volunteer of another district may join; the team's organizer and its district's admin enrol people.
    assert (await host.call("JoinTeam", {"team_id": team_id, "volunteer_id": bob}, principal=organizer(team_id))).ok
    assert (await host.call("JoinTeam", {"team_id": team_id, "volunteer_id": carol}, principal=CHAOYANG_ADMIN)).ok

    not_member = await host.call("LeaveTeam", {"team_id": team_id, "volunteer_id": suspended}, principal=CHAOYANG_ADMIN)
    assert not_member.status == 409 and not_member.problem["type"].endswith("team-not-a-member")
    assert (await host.call("LeaveTeam", {"team_id": team_id, "volunteer_id": carol}, principal=volunteer(alice))).status == 403
    left = await host.call("LeaveTeam", {"team_id": team_id, "volunteer_id": carol, "reason": "工作调动"}, principal=volunteer(carol))
    assert left.result["members"] == 2

    members = await host.call("ListTeamMembers", {"team_id": team_id}, principal=organizer(team_id))
    assert sorted(m["volunteer_id"] for m in members.result["items"]) == sorted([alice, bob])
    assert all(m["name"] == "张*明" and m["status"] == "active" for m in members.result["items"])
    for outsider in (volunteer(alice), organizer("another-team"), HAIDIAN_ADMIN):
        assert (await host.call("ListTeamMembers", {"team_id": team_id}, principal=outsider)).status == 403
    page = await host.call("ListTeamMembers", {"team_id": team_id, "limit": 1}, principal=CHAOYANG_ADMIN)
    rest = await host.call("ListTeamMembers", {"team_id": team_id, "cursor": page.result["next"]}, principal=CHAOYANG_ADMIN)
    assert len(page.result["items"]) == 1 and len(rest.result["items"]) == 1 and rest.result["next"] is None
    assert (await host.call("GetTeam", {"team_id": team_id}, principal=volunteer(bob))).result["members"] == 2

    membership = [(s, e.model_dump()) for s, e in await published(host) if "Team" in s and "Registered" not in s]
    assert membership == [
        ("zy.registry.110105.VolunteerJoinedTeam", {"team_id": team_id, "volunteer_id": alice}),
        ("zy.registry.110105.VolunteerJoinedTeam", {"team_id": team_id, "volunteer_id": bob}),
        ("zy.registry.110105.VolunteerJoinedTeam", {"team_id": team_id, "volunteer_id": carol}),
        ("zy.registry.110105.VolunteerLeftTeam", {"team_id": team_id, "volunteer_id": carol}),
    ]


async def test_an_organizer_registers_volunteers_only_in_their_teams_community(host: InProcessHost) -> None:
    team_id = await new_team(host)
    assert (await host.call("RegisterVolunteer", registration(), principal=organizer(team_id))).ok
    elsewhere = await host.call("RegisterVolunteer", registration(community=CHAOYANG_OTHER_STREET), principal=organizer(team_id))
    assert elsewhere.status == 403 and elsewhere.problem["type"].endswith("outside-your-team-community")
    unknown_team = await host.call("RegisterVolunteer", registration(), principal=organizer("no-such-team"))
    assert unknown_team.status == 403


async def test_teams_are_listed_by_district(host: InProcessHost) -> None:
    for _ in range(3):
        await new_team(host)
    await new_team(host, community=HAIDIAN, kind="school")
    chaoyang = await host.call("ListTeams", {"district": "110105", "limit": 2}, principal=Principal(role="district_system", subject="s", district="110105"))
    rest = await host.call("ListTeams", {"district": "110105", "cursor": chaoyang.result["next"]}, principal=CHAOYANG_ADMIN)
    assert len(chaoyang.result["items"]) == 2 and len(rest.result["items"]) == 1
    assert {t["district"] for t in chaoyang.result["items"] + rest.result["items"]} == {"110105"}
    schools = await host.call("ListTeams", {"kind": "school"}, principal=CITY_ADMIN)
    assert [t["community"] for t in schools.result["items"]] == [HAIDIAN]
    assert (await host.call("GetTeam", {"team_id": "nope"}, principal=CITY_ADMIN)).status == 404


# -- stations -------------------------------------------------------------------------------------------


async def test_stations_register_with_their_six_haves_and_keep_every_reassessment(host: InProcessHost) -> None:
    answer = await host.call(
        "RegisterStation",
        {"name": "日坛公园志愿服务站", "community": CHAOYANG, "place_kind": "park", "checklist": {"signage": True, "team": True}},
        principal=CHAOYANG_ADMIN,
    )
    assert answer.ok and answer.result["meets_all_six"] is False
    station = answer.result["station_id"]
    partial = {**ALL_SIX, "ledgers": False}
    refusals: list[tuple[dict[str, object], Principal | None, int]] = [
        ({"checklist": ALL_SIX}, HAIDIAN_ADMIN, 403),
        ({"checklist": ALL_SIX}, organizer("t-1"), 403),
        ({"checklist": {k: v for k, v in ALL_SIX.items() if k != "signage"}}, CHAOYANG_ADMIN, 422),
        ({"checklist": {**ALL_SIX, "wifi": True}}, CHAOYANG_ADMIN, 422),
        ({"checklist": ALL_SIX, "note": "x" * 501}, CHAOYANG_ADMIN, 422),
    ]
    before = await count(host, events)
    for extra, who, status in refusals:
        assert (await host.call("UpdateStationChecklist", {"station_id": station, **extra}, principal=who)).status == status
    assert await count(host, events) == before
    assert (await host.call("UpdateStationChecklist", {"station_id": "nope", "checklist": ALL_SIX}, principal=CITY_ADMIN)).status == 404
    first = await host.call("UpdateStationChecklist", {"station_id": station, "checklist": partial, "note": "台账缺失"}, principal=CHAOYANG_ADMIN)
    assert first.result["meets_all_six"] is False
    done = await host.call(
        "UpdateStationChecklist",
        {"station_id": station, "checklist": ALL_SIX, "note": "复查合格，站长电话13900001111"},
        principal=CITY_ADMIN,
    )
    assert done.result["meets_all_six"] is True
    details = await host.call("GetStation", {"station_id": station}, principal=volunteer("v-1"))
    assert details.result["checklist"] == ALL_SIX and details.result["meets_all_six"] is True
    assert details.result["place_kind"] == "park"
    history = details.result["checklist_history"]
    assert [h["checklist"]["signage"] for h in history] == [True, True, True]
    assert [h["checklist"]["management_rules"] for h in history] == [False, True, True]
    assert [h["by"] for h in history] == ["district_admin:admin-110105", "district_admin:admin-110105", "city_admin:city-admin"]
    assert history[2]["note"] == "复查合格，站长电话139****1111"
    stored = [e for _, e in await published(host)]
    assert [type(e).__name__ for e in stored] == ["StationRegistered", "StationChecklistUpdated", "StationChecklistUpdated"]
    assert stored[0].checklist.model_dump() == {**dict.fromkeys(ALL_SIX, False), "signage": True, "team": True}
    assert stored[-1].checklist.complete is True
    assert {s for s, _ in await published(host)} == {
        "zy.registry.110105.StationRegistered",
        "zy.registry.110105.StationChecklistUpdated",
    }


async def test_station_registration_refusals_and_lists(host: InProcessHost) -> None:
    base: dict[str, Any] = {"name": "站", "community": CHAOYANG, "place_kind": "school"}
    cases: list[tuple[dict[str, Any], Principal, int]] = [
        ({**base, "place_kind": "mall"}, CHAOYANG_ADMIN, 422),
        ({**base, "checklist": {"signage": 1}}, CHAOYANG_ADMIN, 422),
        (base, HAIDIAN_ADMIN, 403),
        (base, volunteer("v-1"), 403),
    ]
    for body, who, status in cases:
        answer = await host.call("RegisterStation", body, principal=who)
        assert answer.status == status, (body, answer)
        assert_bilingual(answer)
    assert await count(host, events) == 0
    for _ in range(3):
        await new_station(host)
    await new_station(host, community=HAIDIAN, place_kind="welfare_home")
    page = await host.call("ListStations", {"district": "110105", "limit": 2}, principal=CHAOYANG_ADMIN)
    rest = await host.call("ListStations", {"district": "110105", "limit": 2, "cursor": page.result["next"]}, principal=CHAOYANG_ADMIN)
    assert len(page.result["items"]) == 2 and len(rest.result["items"]) == 1 and rest.result["next"] is None
    homes = await host.call("ListStations", {"place_kind": "welfare_home"}, principal=CITY_ADMIN)
    assert [s["district"] for s in homes.result["items"]] == ["110108"]
    assert (await host.call("GetStation", {"station_id": "nope"}, principal=CITY_ADMIN)).status == 404


async def test_every_published_organization_event_validates_strictly(host: InProcessHost) -> None:
    leader = await new_volunteer(host)
    await host.call("RegisterUnit", {"name": "单位", "unit_type": "other", "community": HAIDIAN, "headcount": 1}, principal=CITY_ADMIN)
    team_id = await new_team(host, community=HAIDIAN, name="电话13812345678服务队", leader_volunteer_id=leader)
    await host.call("LeaveTeam", {"team_id": team_id, "volunteer_id": leader}, principal=volunteer(leader))
    station = await new_station(host, community=HAIDIAN)
    await host.call("UpdateStationChecklist", {"station_id": station, "checklist": ALL_SIX}, principal=CITY_ADMIN)
    subjects = [s for s, _ in await published(host)]
    assert [s for s in subjects if ".110108." in s] == [
        "zy.registry.110108.UnitRegistered",
        "zy.registry.110108.TeamRegistered",
        "zy.registry.110108.VolunteerJoinedTeam",
        "zy.registry.110108.VolunteerLeftTeam",
        "zy.registry.110108.StationRegistered",
        "zy.registry.110108.StationChecklistUpdated",
    ]
    team = await host.call("GetTeam", {"team_id": team_id}, principal=CITY_ADMIN)
    # Free text in a name is masked before it is stored; the leader who left is no longer the leader.
    assert team.result["name"] == "电话138****5678服务队"
    assert team.result["leader_volunteer_id"] is None and team.result["members"] == 0


async def test_racing_agency_registrations_each_get_their_own_code(host: InProcessHost) -> None:
    street = {"level": "street", "division": "110105001000"}
    answers = await asyncio.gather(
        *(host.call("RegisterAgency", {**street, "name": f"机构{n}"}, principal=CHAOYANG_ADMIN) for n in range(6))
    )
    assert all(a.ok for a in answers), answers
    assert sorted(a.result["agency_code"] for a in answers) == ["110105001", *(f"1101050010{n}" for n in range(1, 6))]


async def test_racing_joins_to_one_team_all_succeed(host: InProcessHost) -> None:
    team_id = await new_team(host)
    people = [await new_volunteer(host) for _ in range(12)]
    answers = await asyncio.gather(
        *(host.call("JoinTeam", {"team_id": team_id, "volunteer_id": v}, principal=volunteer(v)) for v in people)
    )
    assert [a.status for a in answers] == [200] * 12
    team = await host.call("GetTeam", {"team_id": team_id}, principal=CITY_ADMIN)
    assert team.result["members"] == 12
