"""The organization aggregates on their own: rules, recorded events, rehydration."""

from __future__ import annotations

import pytest

from zhiyuan_registry.domain.agency import (
    Agency,
    AgencyCode,
    StationAuthorized,
    division_prefix,
    next_agency_code,
)
from zhiyuan_registry.domain.divisions import CommunityCode
from zhiyuan_registry.domain.station import SIX_HAVES, Station, StationChecklistUpdated
from zhiyuan_registry.domain.team import FIVE_HAVES, Team, VolunteerJoinedTeam
from zhiyuan_registry.domain.unit import OrganizationError, Unit, org_name

COMMUNITY = CommunityCode("110105001026")
AT = "2026-11-23T02:00:00Z"


def rule_of(error: pytest.ExceptionInfo[OrganizationError]) -> tuple[str, str | None, bool]:
    return error.value.rule, error.value.field, error.value.conflict


# -- units and names ------------------------------------------------------------------------------


def test_a_unit_counts_at_least_one_person() -> None:
    with pytest.raises(OrganizationError) as error:
        Unit.register(unit_id="u", name="单位", unit_type="other", community=COMMUNITY, headcount=0, by="x", at=AT)
    assert rule_of(error) == ("headcount-range", "headcount", False)
    unit = Unit.register(unit_id="u", name=" 建外  街道办 ", unit_type="other", community=COMMUNITY, headcount=1, by="x", at=AT)
    assert unit.name == "建外 街道办" and unit.district == "110105" and unit.version == 1


def test_names_are_trimmed_and_may_not_be_blank_or_too_long() -> None:
    assert org_name("  a\tb ") == "a b"
    with pytest.raises(OrganizationError) as blank:
        org_name(" \n ")
    assert rule_of(blank) == ("name-blank", "name", False)
    with pytest.raises(OrganizationError) as long:
        org_name("队" * 101)
    assert long.value.rule == "name-too-long"


# -- agencies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "prefix", "default"),
    [
        ("110105", "district", "110105", True),
        ("11010501", "district", "110105", False),
        ("110105001", "street", "110105001", True),
        ("11010500112", "street", "110105001", False),
    ],
)
def test_agency_codes_say_their_level_and_division(code: str, level: str, prefix: str, default: bool) -> None:
    parsed = AgencyCode.parse(code)
    assert (parsed.level, parsed.prefix, parsed.default, parsed.district) == (level, prefix, default, "110105")
    assert parsed.covers("110105001026") is True
    assert parsed.covers("110108001001") is False


@pytest.mark.parametrize("raw", ["", "1101", "1101050", "110105000", "110105001026", "11010500a", "1101050011"])
def test_malformed_agency_codes_are_refused(raw: str) -> None:
    with pytest.raises(OrganizationError) as error:
        AgencyCode.parse(raw)
    assert rule_of(error) == ("agency-code-malformed", "agency", False)


def test_a_district_agency_covers_every_street_a_street_agency_only_its_own() -> None:
    assert AgencyCode.parse("110105").covers("110105002024")
    assert not AgencyCode.parse("110105001").covers("110105002024")


def test_the_default_agency_is_named_first_then_serials_follow() -> None:
    assert next_agency_code("110105001", []) == "110105001"
    assert next_agency_code("110105001", ["110105001"]) == "11010500101"
    assert next_agency_code("110105001", ["110105001", "11010500101", "11010500107"]) == "11010500108"
    # Another street's codes share no serial with this one.
    assert next_agency_code("110105001", ["110105001", "11010500201"]) == "11010500101"
    full = ["110105", *(f"110105{n:02d}" for n in range(1, 100))]
    with pytest.raises(OrganizationError) as error:
        next_agency_code("110105", full)
    assert rule_of(error) == ("too-many-agencies", "division", True)


def test_division_prefixes() -> None:
    assert division_prefix("district", "110105") == "110105"
    assert division_prefix("street", "110105001000") == "110105001"
    for level, division, rule in [
        ("district", "110100", "division-not-a-district"),
        ("district", "110105001000", "division-not-a-district"),
        ("street", "110105001026", "division-not-a-street"),
        ("street", "110105000000", "division-not-a-street"),
        ("city", "110000", "level-unknown"),
    ]:
        with pytest.raises(OrganizationError) as error:
            division_prefix(level, division)
        assert error.value.rule == rule


def test_an_agency_is_named_once_and_authorizes_stations_in_its_division() -> None:
    agency = Agency("110105001")
    assert agency.name is None and agency.code.default
    with pytest.raises(OrganizationError) as mismatch:
        agency.register(name="协会", level="street", division="110105002000", by="x", at=AT)
    assert mismatch.value.rule == "agency-division-mismatch"
    agency.register(name="建外街道志愿者协会", level="street", division="110105001000", by="x", at=AT)
    with pytest.raises(OrganizationError) as twice:
        agency.register(name="again", level="street", division="110105001000", by="x", at=AT)
    assert rule_of(twice) == ("agency-already-registered", None, True)

    with pytest.raises(OrganizationError) as outside:
        agency.authorize(station_id="s-2", station_community="110105002024", reason="r", by="x", at=AT)
    assert rule_of(outside) == ("station-outside-agency", "station_id", False)
    agency.authorize(station_id="s-1", station_community="110105001026", reason="同意", by="x", at=AT)
    with pytest.raises(OrganizationError) as again:
        agency.authorize(station_id="s-1", station_community="110105001026", reason="同意", by="x", at=AT)
    assert again.value.conflict
    agency.revoke(station_id="s-1", reason="暂停", by="x", at=AT)
    with pytest.raises(OrganizationError) as gone:
        agency.revoke(station_id="s-1", reason="暂停", by="x", at=AT)
    assert rule_of(gone) == ("no-such-authorization", None, True)

    replayed = Agency.rehydrate("110105001", ((e.TYPE, e.to_data()) for e in agency.pending))
    assert replayed.name == "建外街道志愿者协会" and replayed.authorized == set() and replayed.version == 3
    assert isinstance(agency.pending[1], StationAuthorized)


# -- teams -----------------------------------------------------------------------------------------------


def _team(leader: str | None = None) -> Team:
    return Team.register(
        team_id="t-1", name="服务队", kind="community", community=COMMUNITY, unit_id=None, leader_volunteer_id=leader, by="x", at=AT
    )


def test_a_new_team_meets_none_of_the_five_and_its_leader_is_its_first_member() -> None:
    team = _team(leader="v-1")
    assert team.checklist == dict.fromkeys(FIVE_HAVES, False) and not team.meets_all_five
    assert team.members == {"v-1"} and team.leader == "v-1"
    assert [e.TYPE for e in team.pending] == ["TeamRegistered", "VolunteerJoinedTeam"]
    assert isinstance(team.pending[1], VolunteerJoinedTeam) and team.pending[1].district == "110105"
    assert _team().members == set()


def test_membership_rules() -> None:
    team = _team()
    team.join(volunteer_id="v-2", by="x", at=AT)
    with pytest.raises(OrganizationError) as twice:
        team.join(volunteer_id="v-2", by="x", at=AT)
    assert rule_of(twice) == ("team-already-member", None, True)
    with pytest.raises(OrganizationError) as stranger:
        team.leave(volunteer_id="v-3", reason="", by="x", at=AT)
    assert rule_of(stranger) == ("team-not-a-member", None, True)
    team.leave(volunteer_id="v-2", reason="", by="x", at=AT)
    assert team.members == set()
    team.join(volunteer_id="v-2", by="x", at=AT)  # a volunteer who left may come back
    replayed = Team.rehydrate("t-1", ((e.TYPE, e.to_data()) for e in team.pending))
    assert replayed.members == {"v-2"} and replayed.version == team.version


def test_the_five_haves_need_exactly_five_true_or_false_items() -> None:
    team = _team()
    for bad in (
        dict.fromkeys(FIVE_HAVES[:4], True),
        {**dict.fromkeys(FIVE_HAVES, True), "has_money": True},
        {**dict.fromkeys(FIVE_HAVES, True), "has_rules": 1},
    ):
        with pytest.raises(OrganizationError) as error:
            team.update_checklist(checklist=bad, note="", by="x", at=AT)
        assert rule_of(error) == ("checklist-items", "checklist", False)
    team.update_checklist(checklist=dict.fromkeys(FIVE_HAVES, True), note="ok", by="x", at=AT)
    assert team.meets_all_five


def test_a_leader_who_leaves_is_no_longer_the_leader() -> None:
    team = _team(leader="v-1")
    team.leave(volunteer_id="v-1", reason="", by="x", at=AT)
    assert team.leader is None


# -- stations -------------------------------------------------------------------------------------------


def test_a_station_keeps_what_changed_in_each_reassessment() -> None:
    with pytest.raises(OrganizationError) as kind:
        Station.register(station_id="s", name="站", place_kind="mall", community=COMMUNITY, checklist=dict.fromkeys(SIX_HAVES, False), by="x", at=AT)
    assert rule_of(kind) == ("place-kind-unknown", "place_kind", False)
    station = Station.register(
        station_id="s", name="站", place_kind="park", community=COMMUNITY, checklist={**dict.fromkeys(SIX_HAVES, False), "signage": True}, by="x", at=AT
    )
    assert not station.meets_all_six
    station.update_checklist(checklist=dict.fromkeys(SIX_HAVES, True), note="复查", by="y", at=AT)
    update = station.pending[-1]
    assert isinstance(update, StationChecklistUpdated)
    assert update.previous["signage"] is True and update.previous["ledgers"] is False
    assert update.district == "110105" and update.community == COMMUNITY.code
    assert station.meets_all_six
    with pytest.raises(OrganizationError):
        station.update_checklist(checklist={"signage": True}, note="", by="y", at=AT)
    replayed = Station.rehydrate("s", ((e.TYPE, e.to_data()) for e in station.pending))
    assert replayed.meets_all_six and replayed.place_kind == "park"
