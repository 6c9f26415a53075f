"""The controlled vocabularies of the public contract, with the labels people see.

Codes are stable and travel in events and over HTTP; labels are for portals and reports
and may be reworded without a new event version.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class ServiceKind(StrEnum):
    # general services
    TRAFFIC_ASSISTANCE = "traffic_assistance"
    SANITATION = "sanitation"
    PATROL = "patrol"
    POVERTY_RELIEF = "poverty_relief"
    ELDERLY_CARE = "elderly_care"
    CHILD_CARE = "child_care"
    DISABILITY_SUPPORT = "disability_support"
    CONVENIENCE_SERVICE = "convenience_service"
    CIVILITY_PERSUASION = "civility_persuasion"
    PUBLICITY = "publicity"
    BLOOD_DONATION = "blood_donation"
    ENVIRONMENT = "environment"
    LARGE_EVENT = "large_event"
    # professional services (also the vocabulary of volunteers' skills)
    MEDICAL_CARE = "medical_care"
    LEGAL_AID = "legal_aid"
    TUTORING = "tutoring"
    EMPLOYMENT_GUIDANCE = "employment_guidance"
    TRANSLATION = "translation"
    DRIVING = "driving"
    CULTURE_SPORTS = "culture_sports"
    APPLIANCE_REPAIR = "appliance_repair"
    SOCIAL_SURVEY = "social_survey"
    EMERGENCY_RESCUE = "emergency_rescue"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    # never counts as service minutes
    TRAINING = "training"


class TargetGroup(StrEnum):
    ELDERLY_LIVING_ALONE = "elderly_living_alone"
    LEFT_BEHIND_CHILDREN = "left_behind_children"
    DISABLED = "disabled"
    MIGRANT_WORKERS = "migrant_workers"
    MIGRANT_CHILDREN = "migrant_children"
    FAMILIES_IN_NEED = "families_in_need"
    VETERANS = "veterans"
    RESIDENTS = "residents"
    PUBLIC = "public"
    PATIENTS = "patients"
    STUDENTS = "students"
    BUSINESSES = "businesses"


class UnitType(StrEnum):
    PARTY_GOVERNMENT = "party_government"
    ENTERPRISE_INSTITUTION = "enterprise_institution"
    CIVILIZED_UNIT_SCHOOL = "civilized_unit_school"
    COMMUNITY_VILLAGE = "community_village"
    OTHER = "other"


class TeamKind(StrEnum):
    COMMUNITY = "community"
    UNIT = "unit"
    SCHOOL = "school"
    PARTY_MEMBER = "party_member"
    YOUTH_LEAGUE = "youth_league"
    WOMEN_FEDERATION = "women_federation"
    TRADE_UNION = "trade_union"
    PROFESSIONAL = "professional"


class PoliticalStatus(StrEnum):
    PARTY_MEMBER = "party_member"
    LEAGUE_MEMBER = "league_member"
    MASSES = "masses"
    OTHER = "other"


GENERAL_SERVICE_KINDS: frozenset[ServiceKind] = frozenset(
    {
        ServiceKind.TRAFFIC_ASSISTANCE,
        ServiceKind.SANITATION,
        ServiceKind.PATROL,
        ServiceKind.POVERTY_RELIEF,
        ServiceKind.ELDERLY_CARE,
        ServiceKind.CHILD_CARE,
        ServiceKind.DISABILITY_SUPPORT,
        ServiceKind.CONVENIENCE_SERVICE,
        ServiceKind.CIVILITY_PERSUASION,
        ServiceKind.PUBLICITY,
        ServiceKind.BLOOD_DONATION,
        ServiceKind.ENVIRONMENT,
        ServiceKind.LARGE_EVENT,
    }
)
PROFESSIONAL_SERVICE_KINDS: frozenset[ServiceKind] = frozenset(
    {
        ServiceKind.MEDICAL_CARE,
        ServiceKind.LEGAL_AID,
        ServiceKind.TUTORING,
        ServiceKind.EMPLOYMENT_GUIDANCE,
        ServiceKind.TRANSLATION,
        ServiceKind.DRIVING,
        ServiceKind.CULTURE_SPORTS,
        ServiceKind.APPLIANCE_REPAIR,
        ServiceKind.SOCIAL_SURVEY,
        ServiceKind.EMERGENCY_RESCUE,
        ServiceKind.PSYCHOLOGICAL_SUPPORT,
    }
)
# Training is recorded but never counts towards star levels or commendations.
NON_SERVICE_KINDS: frozenset[ServiceKind] = frozenset({ServiceKind.TRAINING})
SKILLS: frozenset[ServiceKind] = PROFESSIONAL_SERVICE_KINDS


def counts_as_service(kind: ServiceKind | str) -> bool:
    return ServiceKind(kind) not in NON_SERVICE_KINDS


SERVICE_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        ServiceKind.TRAFFIC_ASSISTANCE: "交通协勤",
        ServiceKind.SANITATION: "城市卫生/环境清洁",
        ServiceKind.PATROL: "治安巡逻",
        ServiceKind.POVERTY_RELIEF: "扶贫帮困",
        ServiceKind.ELDERLY_CARE: "助老/为老服务",
        ServiceKind.CHILD_CARE: "关爱儿童",
        ServiceKind.DISABILITY_SUPPORT: "助残",
        ServiceKind.CONVENIENCE_SERVICE: "便民利民",
        ServiceKind.CIVILITY_PERSUASION: "文明劝导",
        ServiceKind.PUBLICITY: "文明宣传",
        ServiceKind.BLOOD_DONATION: "献血捐髓",
        ServiceKind.ENVIRONMENT: "植树护绿/环保",
        ServiceKind.LARGE_EVENT: "大型活动服务",
        ServiceKind.MEDICAL_CARE: "医疗护理",
        ServiceKind.LEGAL_AID: "法律援助",
        ServiceKind.TUTORING: "家教/学业辅导",
        ServiceKind.EMPLOYMENT_GUIDANCE: "就业辅导",
        ServiceKind.TRANSLATION: "外语翻译",
        ServiceKind.DRIVING: "驾驶服务",
        ServiceKind.CULTURE_SPORTS: "文体娱乐",
        ServiceKind.APPLIANCE_REPAIR: "家电维修",
        ServiceKind.SOCIAL_SURVEY: "社会调查",
        ServiceKind.EMERGENCY_RESCUE: "应急救援",
        ServiceKind.PSYCHOLOGICAL_SUPPORT: "心理疏导",
        ServiceKind.TRAINING: "培训",
    }
)

TARGET_GROUP_LABELS: Mapping[str, str] = MappingProxyType(
    {
        TargetGroup.ELDERLY_LIVING_ALONE: "空巢老人",
        TargetGroup.LEFT_BEHIND_CHILDREN: "留守儿童",
        TargetGroup.DISABLED: "残疾人",
        TargetGroup.MIGRANT_WORKERS: "农民工/进城务工人员",
        TargetGroup.MIGRANT_CHILDREN: "农民工子女",
        TargetGroup.FAMILIES_IN_NEED: "困难家庭",
        TargetGroup.VETERANS: "老干部/老军人",
        TargetGroup.RESIDENTS: "社区居民",
        TargetGroup.PUBLIC: "社会公众",
        TargetGroup.PATIENTS: "患者",
        TargetGroup.STUDENTS: "学生",
        TargetGroup.BUSINESSES: "个体工商户/企业",
    }
)

UNIT_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        UnitType.PARTY_GOVERNMENT: "党政机关和人民团体",
        UnitType.ENTERPRISE_INSTITUTION: "企事业单位",
        UnitType.CIVILIZED_UNIT_SCHOOL: "文明单位、学校",
        UnitType.COMMUNITY_VILLAGE: "文明村镇/社区",
        UnitType.OTHER: "其他",
    }
)

# Share of a unit's headcount expected to be registered volunteers, in percent;
# ``None``: no quota (the quota reports skip the unit).
UNIT_TYPE_QUOTA_PERCENT: Mapping[str, int | None] = MappingProxyType(
    {
        UnitType.PARTY_GOVERNMENT: 60,
        UnitType.ENTERPRISE_INSTITUTION: 50,
        UnitType.CIVILIZED_UNIT_SCHOOL: 70,
        UnitType.COMMUNITY_VILLAGE: 15,
        UnitType.OTHER: None,
    }
)

TEAM_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        TeamKind.COMMUNITY: "社区服务队",
        TeamKind.UNIT: "单位服务队",
        TeamKind.SCHOOL: "学校服务队",
        TeamKind.PARTY_MEMBER: "党员志愿服务队",
        TeamKind.YOUTH_LEAGUE: "共青团志愿服务队",
        TeamKind.WOMEN_FEDERATION: "妇联/巾帼志愿服务队",
        TeamKind.TRADE_UNION: "工会志愿服务队",
        TeamKind.PROFESSIONAL: "专业志愿服务队",
    }
)

POLITICAL_STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        PoliticalStatus.PARTY_MEMBER: "中共党员",
        PoliticalStatus.LEAGUE_MEMBER: "共青团员",
        PoliticalStatus.MASSES: "群众",
        PoliticalStatus.OTHER: "其他",
    }
)

# The six items a volunteer service station is checked against (field names of
# ``registry.v1.StationChecklist``).
STATION_CHECKLIST_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "management_rules": "有管理制度",
        "dedicated_place": "有固定场所",
        "team": "有服务队伍",
        "ledgers": "有工作台账",
        "fixed_projects": "有固定项目",
        "signage": "有统一标识",
    }
)

# Known kinds of commendation list; the vocabulary is open (contract: "quarterly,
# annual, team, …"), so events accept any snake_case code and portals fall back to it.
COMMENDATION_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "quarterly": "季度优秀志愿者",
        "annual": "年度优秀志愿者",
        "team": "优秀志愿服务队",
    }
)

STAR_LEVEL_LABELS: Mapping[int, str] = MappingProxyType(
    {0: "未评星", 1: "一星志愿者", 2: "二星志愿者", 3: "三星志愿者", 4: "四星志愿者", 5: "五星志愿者"}
)

LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "service_kind": SERVICE_KIND_LABELS,
        "target_group": TARGET_GROUP_LABELS,
        "unit_type": UNIT_TYPE_LABELS,
        "team_kind": TEAM_KIND_LABELS,
        "political_status": POLITICAL_STATUS_LABELS,
        "station_checklist": STATION_CHECKLIST_LABELS,
        "commendation_kind": COMMENDATION_KIND_LABELS,
    }
)


def label(vocabulary: str, code: str) -> str:
    """The Chinese label of ``code``, or the code itself when it has none (open vocabularies)."""
    return LABELS[vocabulary].get(code, code)
