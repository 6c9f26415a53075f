"""The vocabularies are the contract's, complete, and every code has a label."""

from __future__ import annotations

from zhiyuan_contracts import vocabularies as v
from zhiyuan_contracts.registry.v1 import StationChecklist

SERVICE_KINDS = {
    "traffic_assistance", "sanitation", "patrol", "poverty_relief", "elderly_care", "child_care",
    "disability_support", "convenience_service", "civility_persuasion", "publicity", "blood_donation",
    "environment", "large_event", "medical_care", "legal_aid", "tutoring", "employment_guidance",
    "translation", "driving", "culture_sports", "appliance_repair", "social_survey", "emergency_rescue",
    "psychological_support", "training",
}  # fmt: skip
TARGET_GROUPS = {
    "elderly_living_alone", "left_behind_children", "disabled", "migrant_workers", "migrant_children",
    "families_in_need", "veterans", "residents", "public", "patients", "students", "businesses",
}  # fmt: skip
UNIT_TYPES = {
    "party_government",
    "enterprise_institution",
    "civilized_unit_school",
    "community_village",
    "other",
}
TEAM_KINDS = {
    "community", "unit", "school", "party_member", "youth_league", "women_federation", "trade_union",
    "professional",
}  # fmt: skip
POLITICAL_STATUSES = {"party_member", "league_member", "masses", "other"}


def test_codes_match_the_contract() -> None:
    assert {k.value for k in v.ServiceKind} == SERVICE_KINDS
    assert {k.value for k in v.TargetGroup} == TARGET_GROUPS
    assert {k.value for k in v.UnitType} == UNIT_TYPES
    assert {k.value for k in v.TeamKind} == TEAM_KINDS
    assert {k.value for k in v.PoliticalStatus} == POLITICAL_STATUSES


def test_every_code_has_a_chinese_label() -> None:
    pairs = [
        (v.ServiceKind, v.SERVICE_KIND_LABELS),
        (v.TargetGroup, v.TARGET_GROUP_LABELS),
        (v.UnitType, v.UNIT_TYPE_LABELS),
        (v.TeamKind, v.TEAM_KIND_LABELS),
        (v.PoliticalStatus, v.POLITICAL_STATUS_LABELS),
    ]
    for enum, labels in pairs:
        assert set(labels) == set(enum), enum.__name__
        assert all(labels[code.value] for code in enum)
    assert v.label("service_kind", "elderly_care") == "助老/为老服务"
    assert v.label("commendation_kind", "some_new_kind") == "some_new_kind"


def test_service_kind_groups_partition_the_vocabulary() -> None:
    groups = (v.GENERAL_SERVICE_KINDS, v.PROFESSIONAL_SERVICE_KINDS, v.NON_SERVICE_KINDS)
    assert set().union(*groups) == set(v.ServiceKind)
    assert sum(len(g) for g in groups) == len(v.ServiceKind)
    assert len(v.GENERAL_SERVICE_KINDS) == 13 and len(v.PROFESSIONAL_SERVICE_KINDS) == 11
    assert not v.counts_as_service("training")
    assert v.counts_as_service(v.ServiceKind.ELDERLY_CARE)


def test_unit_type_quotas() -> None:
    assert dict(v.UNIT_TYPE_QUOTA_PERCENT) == {
        "party_government": 60,
        "enterprise_institution": 50,
        "civilized_unit_school": 70,
        "community_village": 15,
        "other": None,
    }


def test_station_checklist_labels_cover_the_six_items() -> None:
    assert set(v.STATION_CHECKLIST_LABELS) == set(StationChecklist.model_fields)
    assert len(StationChecklist.model_fields) == 6
