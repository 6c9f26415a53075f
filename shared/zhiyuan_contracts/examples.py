"""One valid, realistic instance of every public event, for tests, fixtures and docs.

Services and district-system adapters can build on these (``model_copy(update=...)``)
instead of hand-writing payloads that drift from the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType

from .activities import v1 as activities
from .base import IntegrationEvent
from .recognition import v1 as recognition
from .registry import v1 as registry
from .vocabularies import PoliticalStatus, ServiceKind, TargetGroup, TeamKind, UnitType

__all__ = ["EXAMPLES", "example"]

DISTRICT = "110101"  # 东城区
STREET = "110101001000"  # 东华门街道
COMMUNITY = "110101001001"
OTHER_DISTRICT = "110102"  # 西城区
OTHER_COMMUNITY = "110102001001"

VOLUNTEER_ID = "0b9f4a52-3c1e-4d7a-9a57-6f1d2e8c4b01"
UNIT_ID = "5a2c7e10-8f4b-4c39-b1d2-3e6f9a0b7c02"
TEAM_ID = "9c3e1f77-2a6d-4b8e-8f05-1d4c7b2a9e03"
STATION_ID = "e4d2b6a8-1f3c-4e5a-9b7d-0c2e4f6a8b04"
ACTIVITY_ID = "7f1a3c5e-9b2d-4f6a-8c0e-2b4d6f8a0c05"
RECORD_ID = "3d5f7b9a-1c3e-4a5b-9d7f-1b3d5f7a9c06"
LIST_ID = "c8e0a2b4-6d8f-4a1c-8e3b-5d7f9a1c3e07"
ORGANIZER = "organizer:9c3e1f77-2a6d-4b8e-8f05-1d4c7b2a9e03"

T0 = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
T1 = datetime(2026, 3, 14, 4, 30, tzinfo=UTC)

_CHECKLIST = registry.StationChecklist(
    management_rules=True,
    dedicated_place=True,
    team=True,
    ledgers=False,
    fixed_projects=True,
    signage=False,
)
_ENTRIES = [
    recognition.CommendationEntry(rank=1, volunteer_id=VOLUNTEER_ID, minutes=9000, name_masked="张*明"),
    recognition.CommendationEntry(
        rank=2, volunteer_id="1e3a5c7e-9f1b-4d3f-8a5c-7e9b1d3f5a08", minutes=8400, name_masked="李*"
    ),
]

_ALL: tuple[IntegrationEvent, ...] = (
    registry.VolunteerRegistered(
        volunteer_id=VOLUNTEER_ID,
        registration_no="ZY110101-2026-000123",
        district=DISTRICT,
        street=STREET,
        community=COMMUNITY,
        registered_by=STREET,
        registered_at=T0,
        skills=[ServiceKind.MEDICAL_CARE, ServiceKind.TRANSLATION],
        minor=False,
        unit_id=UNIT_ID,
        name_masked="张*明",
        political_status=PoliticalStatus.LEAGUE_MEMBER,
    ),
    registry.UnitRegistered(
        unit_id=UNIT_ID,
        name="东城区第一人民医院",
        unit_type=UnitType.ENTERPRISE_INSTITUTION,
        community=COMMUNITY,
        headcount=420,
        district=DISTRICT,
    ),
    registry.VolunteerProfileUpdated(
        volunteer_id=VOLUNTEER_ID, changed=["skills"], skills=[ServiceKind.LEGAL_AID]
    ),
    registry.VolunteerMoved(
        volunteer_id=VOLUNTEER_ID,
        from_community=COMMUNITY,
        to_community=OTHER_COMMUNITY,
        from_district=DISTRICT,
        to_district=OTHER_DISTRICT,
    ),
    registry.VolunteerSuspended(volunteer_id=VOLUNTEER_ID, reason="连续三次报名后未到岗"),
    registry.VolunteerReinstated(volunteer_id=VOLUNTEER_ID, reason="本人书面说明，恢复服务资格"),
    registry.VolunteerDeregistered(volunteer_id=VOLUNTEER_ID, reason="本人申请注销"),
    registry.TeamRegistered(
        team_id=TEAM_ID,
        name="东华门社区为老服务队",
        district=DISTRICT,
        community=COMMUNITY,
        kind=TeamKind.COMMUNITY,
        unit=None,
        leader_volunteer_id=VOLUNTEER_ID,
    ),
    registry.VolunteerJoinedTeam(team_id=TEAM_ID, volunteer_id=VOLUNTEER_ID),
    registry.VolunteerLeftTeam(team_id=TEAM_ID, volunteer_id=VOLUNTEER_ID),
    registry.StationRegistered(
        station_id=STATION_ID,
        district=DISTRICT,
        community=COMMUNITY,
        checklist=_CHECKLIST,
        name="东华门社区志愿服务站",
    ),
    registry.StationChecklistUpdated(
        station_id=STATION_ID,
        district=DISTRICT,
        community=COMMUNITY,
        checklist=_CHECKLIST.model_copy(update={"ledgers": True, "signage": True}),
    ),
    activities.ActivityPublished(
        activity_id=ACTIVITY_ID,
        team_id=TEAM_ID,
        district=DISTRICT,
        community=COMMUNITY,
        title="独居老人上门探访",
        service_kind=ServiceKind.ELDERLY_CARE,
        target_group=TargetGroup.ELDERLY_LIVING_ALONE,
        place="东华门社区居委会",
        slots=[activities.ActivitySlot(starts_at=T0, ends_at=T1, capacity=12)],
        backfilled=False,
        needs_insurance=True,
    ),
    activities.VolunteerSignedUp(activity_id=ACTIVITY_ID, volunteer_id=VOLUNTEER_ID),
    activities.SignUpCancelled(activity_id=ACTIVITY_ID, volunteer_id=VOLUNTEER_ID),
    activities.SignUpPromoted(activity_id=ACTIVITY_ID, volunteer_id=VOLUNTEER_ID, slot=0),
    activities.ActivityUpdated(activity_id=ACTIVITY_ID, changed=["place", "description"]),
    activities.VolunteerCheckedIn(activity_id=ACTIVITY_ID, volunteer_id=VOLUNTEER_ID, at=T0),
    activities.VolunteerCheckedOut(activity_id=ACTIVITY_ID, volunteer_id=VOLUNTEER_ID, at=T1),
    activities.HoursLogged(
        record_id=RECORD_ID,
        volunteer_id=VOLUNTEER_ID,
        activity_id=ACTIVITY_ID,
        district=DISTRICT,
        minutes=210,
        started_at=T0,
        ended_at=T1,
        place="东华门社区居委会",
        target_group=TargetGroup.ELDERLY_LIVING_ALONE,
        logged_by=ORGANIZER,
        service_kind=ServiceKind.ELDERLY_CARE,
        team_id=TEAM_ID,
    ),
    activities.HoursCorrected(
        record_id=RECORD_ID,
        volunteer_id=VOLUNTEER_ID,
        minutes=180,
        previous_minutes=210,
        reason="签退时间登记有误",
        activity_id=ACTIVITY_ID,
        corrected_by=ORGANIZER,
    ),
    activities.TrainingRecorded(
        record_id=RECORD_ID,
        volunteer_id=VOLUNTEER_ID,
        activity_id=ACTIVITY_ID,
        district=DISTRICT,
        minutes=90,
        started_at=T0,
        ended_at=T1,
        logged_by=ORGANIZER,
    ),
    activities.HoursRevoked(
        record_id=RECORD_ID,
        volunteer_id=VOLUNTEER_ID,
        previous_minutes=180,
        reason="经核实未参加本次活动",
        activity_id=ACTIVITY_ID,
    ),
    activities.ActivityCompleted(
        activity_id=ACTIVITY_ID,
        district=DISTRICT,
        participants=11,
        total_minutes=2310,
        people_served=36,
        summary="探访独居老人36户，整理居家安全隐患清单一份",
        completed_at=T1,
    ),
    activities.ActivityCancelled(activity_id=ACTIVITY_ID, reason="暴雨红色预警"),
    recognition.StarLevelAttained(volunteer_id=VOLUNTEER_ID, level=1, total_minutes=6000, attained_at=T1),
    recognition.StarLevelLowered(
        volunteer_id=VOLUNTEER_ID, level=0, total_minutes=5820, reason="服务记录更正后未达一星标准"
    ),
    recognition.CommendationListNoticed(
        list_id=LIST_ID,
        kind="quarterly",
        period="2026Q1",
        scope=DISTRICT,
        notice_ends_at=datetime(2026, 4, 10, 16, 0, tzinfo=UTC),
        entries=_ENTRIES,
        criteria_version="2026.1",
    ),
    recognition.CommendationListPublished(
        list_id=LIST_ID,
        kind="quarterly",
        period="2026Q1",
        scope=DISTRICT,
        entries=_ENTRIES,
        criteria_version="2026.1",
        published_at=datetime(2026, 4, 12, 2, 0, tzinfo=UTC),
    ),
)

EXAMPLES: Mapping[str, IntegrationEvent] = MappingProxyType({type(e).TYPE: e for e in _ALL})


def example(type_str: str) -> IntegrationEvent:
    """The example of ``type_str`` (raises ``KeyError`` for a type without one)."""
    return EXAMPLES[type_str]
