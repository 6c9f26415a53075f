"""Units (单位): the organs, enterprises, schools and communities volunteers belong to.

A unit's type and headcount feed the quota reports (002: party and government organs ≥ 60%
of staff registered, enterprises and institutions ≥ 50%, …). This module also holds what
every organization aggregate (unit, agency, team, station) shares: the error they raise
and the rule for an organisation's public name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .divisions import CommunityCode

NAME_MAX = 100
HEADCOUNT_MAX = 10_000_000


class OrganizationError(ValueError):
    """A rule of the organization that a command broke.

    ``field`` names the input at fault for a refused input; ``conflict`` marks a change the
    current state does not allow (answered 409 rather than 422).
    """

    def __init__(self, rule: str, zh: str, en: str, *, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(f"{zh} {en}")
        self.rule = rule
        self.zh = zh
        self.en = en
        self.field = field
        self.conflict = conflict


def org_name(raw: str, *, field: str = "name") -> str:
    """An organisation's public name: trimmed, not blank, at most 100 characters."""
    name = " ".join(raw.split())
    if not name:
        raise OrganizationError("name-blank", "名称不能为空。", "The name cannot be blank.", field=field)
    if len(name) > NAME_MAX:
        raise OrganizationError(
            "name-too-long", f"名称最多{NAME_MAX}个字。", f"The name has at most {NAME_MAX} characters.", field=field
        )
    return name


@dataclass(frozen=True)
class UnitRegistered(DomainEvent):
    TYPE: ClassVar[str] = "UnitRegistered"

    unit_id: str
    name: str
    unit_type: str
    community: str
    street: str
    district: str
    headcount: int
    registered_by: str
    registered_at: str


class Unit(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {e.TYPE: e for e in (UnitRegistered,)}

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.unit_type = ""
        self.community = ""
        self.district = ""
        self.headcount = 0

    @classmethod
    def register(
        cls,
        *,
        unit_id: str,
        name: str,
        unit_type: str,
        community: CommunityCode,
        headcount: int,
        by: str,
        at: str,
    ) -> Unit:
        """A unit counts at least one person: the quota report divides by its headcount."""
        if headcount < 1 or headcount > HEADCOUNT_MAX:
            raise OrganizationError(
                "headcount-range",
                f"人数应在1到{HEADCOUNT_MAX}之间。",
                f"The headcount must be between 1 and {HEADCOUNT_MAX}.",
                field="headcount",
            )
        unit = cls(unit_id)
        unit._record(
            UnitRegistered(
                unit_id=unit_id,
                name=org_name(name),
                unit_type=unit_type,
                community=community.code,
                street=community.street,
                district=community.district,
                headcount=headcount,
                registered_by=by,
                registered_at=at,
            )
        )
        return unit

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, UnitRegistered):
            self.name = event.name
            self.unit_type = event.unit_type
            self.community = event.community
            self.district = event.district
            self.headcount = event.headcount
        else:
            super().apply(event)
