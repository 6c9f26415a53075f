"""The volunteer aggregate: registration and the life of a registration.

No personal data lives here: the name, ID number and mobile are in the person store,
keyed by ``volunteer_id``, so that erasing a person leaves this history anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .divisions import CommunityCode
from .identity import IdentityError, ResidentId, mask_name

MINIMUM_AGE = 14  # 《志愿服务条例》 practice: under 14 cannot register on their own
ADULT_AGE = 18


@dataclass(frozen=True)
class GuardianConsent:
    name: str
    relation: str
    given_on: date


@dataclass(frozen=True)
class VolunteerRegistered(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerRegistered"

    volunteer_id: str
    registration_no: str
    agency: str
    community: str
    street: str
    district: str
    skills: list[str]
    minor: bool
    unit_id: str | None
    political_status: str | None
    name_masked: str
    registered_at: str
    registered_by: str


class Volunteer(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {VolunteerRegistered.TYPE: VolunteerRegistered}

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.status = "unregistered"
        self.registration_no = ""
        self.community = ""
        self.district = ""
        self.street = ""
        self.skills: list[str] = []
        self.minor = False
        self.unit_id: str | None = None
        self.political_status: str | None = None
        self.name_masked = ""
        self.registered_at = ""
        self.agency = ""

    @classmethod
    def register(
        cls,
        *,
        volunteer_id: str,
        registration_no: str,
        agency: str,
        community: CommunityCode,
        identity: ResidentId,
        name: str,
        skills: list[str],
        unit_id: str | None,
        political_status: str | None,
        guardian_consent: GuardianConsent | None,
        today: date,
        registered_at: str,
        registered_by: str,
    ) -> Volunteer:
        """Register a person: under 14 is refused, 14 to 17 need a recorded guardian consent."""
        minor = check_eligibility(identity, guardian_consent, today)
        volunteer = cls(volunteer_id)
        volunteer._record(
            VolunteerRegistered(
                volunteer_id=volunteer_id,
                registration_no=registration_no,
                agency=agency,
                community=community.code,
                street=community.street,
                district=community.district,
                skills=sorted(set(skills)),
                minor=minor,
                unit_id=unit_id,
                political_status=political_status,
                name_masked=mask_name(name),
                registered_at=registered_at,
                registered_by=registered_by,
            )
        )
        return volunteer

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, VolunteerRegistered):
            self.status = "active"
            self.registration_no = event.registration_no
            self.community = event.community
            self.street = event.street
            self.district = event.district
            self.skills = list(event.skills)
            self.minor = event.minor
            self.unit_id = event.unit_id
            self.political_status = event.political_status
            self.name_masked = event.name_masked
            self.registered_at = event.registered_at
            self.agency = event.agency
        else:
            super().apply(event)


def check_eligibility(identity: ResidentId, guardian_consent: GuardianConsent | None, today: date) -> bool:
    """May this person register today? Returns whether they register as a minor."""
    age = identity.age_on(today)
    if age < MINIMUM_AGE:
        raise IdentityError(
            "id_number", "minimum_age", f"未满{MINIMUM_AGE}周岁不能注册。", f"Volunteers must be at least {MINIMUM_AGE}."
        )
    minor = age < ADULT_AGE
    if minor and guardian_consent is None:
        raise IdentityError(
            "guardian_consent",
            "required_for_minors",
            "14至17周岁须记录监护人同意（姓名、关系、同意日期）。",
            "Volunteers aged 14 to 17 need a guardian's consent (name, relation, date).",
        )
    if guardian_consent is not None and guardian_consent.given_on > today:
        raise IdentityError(
            "guardian_consent", "date_in_future", "监护人同意日期不能晚于今天。", "The consent date cannot be in the future."
        )
    return minor
