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


@dataclass(frozen=True)
class VolunteerProfileUpdated(DomainEvent):
    """Field names only for personal data (name, mobile): their values live in the person store."""

    TYPE: ClassVar[str] = "VolunteerProfileUpdated"

    volunteer_id: str
    changed: list[str]
    skills: list[str] | None
    unit_id: str | None
    political_status: str | None
    name_masked: str | None
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerMoved(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerMoved"

    volunteer_id: str
    from_community: str
    to_community: str
    from_street: str
    to_street: str
    from_district: str
    to_district: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerSuspended(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerSuspended"

    volunteer_id: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerReinstated(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerReinstated"

    volunteer_id: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerDeregistered(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerDeregistered"

    volunteer_id: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class PersonalDataErased(DomainEvent):
    """The person's data was destroyed on request; the anonymous history stays."""

    TYPE: ClassVar[str] = "PersonalDataErased"

    volunteer_id: str
    reason: str
    by: str
    at: str


class LifecycleError(ValueError):
    """A change the volunteer's current state does not allow."""

    def __init__(self, rule: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} {en}")
        self.rule = rule
        self.zh = zh
        self.en = en


EDITABLE_FIELDS = ("skills", "unit_id", "political_status", "name", "mobile")


class Volunteer(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e
        for e in (
            VolunteerRegistered,
            VolunteerProfileUpdated,
            VolunteerMoved,
            VolunteerSuspended,
            VolunteerReinstated,
            VolunteerDeregistered,
            PersonalDataErased,
        )
    }

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
        self.erased = False

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

    # -- the life of a registration ---------------------------------------------------

    def _ensure_not_deregistered(self) -> None:
        if self.status == "deregistered":
            raise LifecycleError(
                "deregistered", "该志愿者已注销。", "This volunteer is deregistered; reinstate them first."
            )

    def update_profile(
        self,
        *,
        changed: list[str],
        skills: list[str] | None,
        unit_id: str | None,
        political_status: str | None,
        name_masked: str | None,
        by: str,
        at: str,
    ) -> None:
        self._ensure_not_deregistered()
        unknown = sorted(set(changed) - set(EDITABLE_FIELDS))
        if unknown:
            raise LifecycleError("not-editable", f"不能修改：{unknown}。", f"These fields cannot be changed: {unknown}.")
        if not changed:
            raise LifecycleError("nothing-changed", "没有要修改的内容。", "Nothing to change.")
        self._record(
            VolunteerProfileUpdated(
                volunteer_id=self.id,
                changed=sorted(set(changed)),
                skills=sorted(set(skills)) if skills is not None else None,
                unit_id=unit_id,
                political_status=political_status,
                name_masked=name_masked,
                by=by,
                at=at,
            )
        )

    def move(self, *, to: CommunityCode, reason: str, by: str, at: str) -> None:
        self._ensure_not_deregistered()
        if to.code == self.community:
            raise LifecycleError("same-community", "已在该社区。", "The volunteer is already registered in this community.")
        self._record(
            VolunteerMoved(
                volunteer_id=self.id,
                from_community=self.community,
                to_community=to.code,
                from_street=self.street,
                to_street=to.street,
                from_district=self.district,
                to_district=to.district,
                reason=reason,
                by=by,
                at=at,
            )
        )

    def suspend(self, *, reason: str, by: str, at: str) -> None:
        if self.status != "active":
            raise LifecycleError("not-active", "只能暂停正常状态的志愿者。", f"Only an active volunteer can be suspended (now {self.status}).")
        self._record(VolunteerSuspended(volunteer_id=self.id, reason=reason, by=by, at=at))

    def reinstate(self, *, reason: str, by: str, at: str) -> None:
        if self.status not in ("suspended", "deregistered"):
            raise LifecycleError("not-suspended", "该志愿者状态正常，无需恢复。", "Only a suspended or deregistered volunteer can be reinstated.")
        if self.erased:
            raise LifecycleError("erased", "个人信息已删除，不能恢复。", "This person's data was erased; they must register anew.")
        self._record(VolunteerReinstated(volunteer_id=self.id, reason=reason, by=by, at=at))

    def deregister(self, *, reason: str, by: str, at: str) -> None:
        self._ensure_not_deregistered()
        self._record(VolunteerDeregistered(volunteer_id=self.id, reason=reason, by=by, at=at))

    def erase_personal_data(self, *, reason: str, by: str, at: str) -> None:
        if self.erased:
            raise LifecycleError("already-erased", "个人信息已删除。", "This person's data was already erased.")
        if self.status != "deregistered":
            self._record(VolunteerDeregistered(volunteer_id=self.id, reason=reason, by=by, at=at))
        self._record(PersonalDataErased(volunteer_id=self.id, reason=reason, by=by, at=at))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, VolunteerProfileUpdated):
            if event.skills is not None:
                self.skills = list(event.skills)
            if "unit_id" in event.changed:
                self.unit_id = event.unit_id
            if "political_status" in event.changed:
                self.political_status = event.political_status
            if event.name_masked is not None:
                self.name_masked = event.name_masked
        elif isinstance(event, VolunteerMoved):
            self.community, self.street, self.district = event.to_community, event.to_street, event.to_district
        elif isinstance(event, VolunteerSuspended):
            self.status = "suspended"
        elif isinstance(event, VolunteerReinstated):
            self.status = "active"
        elif isinstance(event, VolunteerDeregistered):
            self.status = "deregistered"
        elif isinstance(event, PersonalDataErased):
            self.erased = True
            self.name_masked = "（已删除）"
        elif isinstance(event, VolunteerRegistered):
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
