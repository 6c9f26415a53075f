"""Registering agencies (注册机构): the district and street volunteer associations and centres
that register volunteers and issue their numbers (002).

Every district and every street has a default agency, there before anyone names it: its
code is the division's prefix — six digits for a district (``110105``), nine for a street
(``110105001``) — which is what registration numbers already begin with
(``110105001-000042``). Registering an agency for a division first names that default one;
each further agency of the same division gets the prefix and a two-digit serial
(``11010500101``). Codes are digits only, so a registration number keeps its dash.

A community station registers volunteers only under an agency that has authorized it
(002: community stations register with the consent of a registering agency).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .unit import OrganizationError, org_name

DISTRICT, STREET = "district", "street"
LEVELS = (DISTRICT, STREET)
MAX_SERIAL = 99

_DIGITS = re.compile(r"^[0-9]+$")
# code length → (level, prefix length, default?)
_SHAPES = {6: (DISTRICT, 6, True), 8: (DISTRICT, 6, False), 9: (STREET, 9, True), 11: (STREET, 9, False)}


@dataclass(frozen=True)
class AgencyCode:
    code: str
    level: str
    prefix: str
    default: bool

    @classmethod
    def parse(cls, raw: str, *, field: str = "agency") -> AgencyCode:
        shape = _SHAPES.get(len(raw or "")) if _DIGITS.match(raw or "") else None
        if shape is None or (shape[0] == STREET and raw[6:9] == "000"):
            raise OrganizationError(
                "agency-code-malformed",
                f"{raw} 不是注册机构代码（区6位、街道9位，另加2位序号）。",
                f"{raw!r} is not an agency code (6 digits for a district, 9 for a street, plus 2 for a serial).",
                field=field,
            )
        level, length, default = shape
        return cls(raw, level, raw[:length], default)

    @property
    def district(self) -> str:
        return self.code[:6]

    def covers(self, community: str) -> bool:
        """Whether a community lies in the agency's district or street."""
        return community.startswith(self.prefix)


def division_prefix(level: str, division: str) -> str:
    """The code prefix of a district (6 digits) or of a 12-digit street code (its first nine)."""
    if level == DISTRICT:
        if not re.fullmatch(r"[0-9]{6}", division) or division.endswith("00"):
            raise OrganizationError(
                "division-not-a-district", f"{division} 不是区县代码。", f"{division} is not a district code.", field="division"
            )
        return division
    if level == STREET:
        if not re.fullmatch(r"[0-9]{9}000", division) or division[6:9] == "000":
            raise OrganizationError(
                "division-not-a-street",
                f"{division} 不是街道（乡镇）代码（12位，以000结尾）。",
                f"{division} is not a street/township code (12 digits ending in 000).",
                field="division",
            )
        return division[:9]
    raise OrganizationError("level-unknown", "级别应为 district 或 street。", "The level is district or street.", field="level")


def next_agency_code(prefix: str, existing: Iterable[str]) -> str:
    """The code a newly registered agency of the division gets: the default first, then serials."""
    taken = set(existing)
    if prefix not in taken:
        return prefix
    serials = [int(code[len(prefix):]) for code in taken if code != prefix and code.startswith(prefix)]
    serial = max(serials, default=0) + 1
    if serial > MAX_SERIAL:
        raise OrganizationError(
            "too-many-agencies",
            f"该区划已有{MAX_SERIAL}个以上注册机构。",
            f"The division already has more than {MAX_SERIAL} agencies.",
            field="division",
            conflict=True,
        )
    return f"{prefix}{serial:02d}"


@dataclass(frozen=True)
class AgencyRegistered(DomainEvent):
    TYPE: ClassVar[str] = "AgencyRegistered"

    agency: str
    name: str
    level: str
    division: str
    district: str
    registered_by: str
    registered_at: str


@dataclass(frozen=True)
class StationAuthorized(DomainEvent):
    TYPE: ClassVar[str] = "StationAuthorized"

    agency: str
    station_id: str
    station_community: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class StationAuthorizationRevoked(DomainEvent):
    TYPE: ClassVar[str] = "StationAuthorizationRevoked"

    agency: str
    station_id: str
    reason: str
    by: str
    at: str


class Agency(Aggregate):
    """One registering agency; a default one exists (unnamed) before any event."""

    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e for e in (AgencyRegistered, StationAuthorized, StationAuthorizationRevoked)
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.code = AgencyCode.parse(aggregate_id)
        self.name: str | None = None
        self.authorized: set[str] = set()

    def register(self, *, name: str, level: str, division: str, by: str, at: str) -> None:
        if self.name is not None:
            raise OrganizationError(
                "agency-already-registered",
                f"注册机构 {self.id} 已登记。",
                f"Agency {self.id} is already registered.",
                conflict=True,
            )
        if level != self.code.level or division_prefix(level, division) != self.code.prefix:
            raise OrganizationError(
                "agency-division-mismatch",
                "机构代码与所属区划不符。",
                f"Agency {self.id} does not belong to the {level} {division}.",
                field="division",
            )
        self._record(
            AgencyRegistered(
                agency=self.id,
                name=org_name(name),
                level=level,
                division=division,
                district=self.code.district,
                registered_by=by,
                registered_at=at,
            )
        )

    def authorize(self, *, station_id: str, station_community: str, reason: str, by: str, at: str) -> None:
        if not self.code.covers(station_community):
            raise OrganizationError(
                "station-outside-agency",
                "该站点不在本注册机构的辖区内。",
                f"The station is outside agency {self.id}'s {self.code.level}.",
                field="station_id",
            )
        if station_id in self.authorized:
            raise OrganizationError(
                "station-already-authorized", "该站点已获授权。", "The station is already authorized by this agency.", conflict=True
            )
        self._record(
            StationAuthorized(
                agency=self.id, station_id=station_id, station_community=station_community, reason=reason, by=by, at=at
            )
        )

    def revoke(self, *, station_id: str, reason: str, by: str, at: str) -> None:
        if station_id not in self.authorized:
            raise OrganizationError(
                "no-such-authorization", "该站点未获本机构授权。", "The station is not authorized by this agency.", conflict=True
            )
        self._record(StationAuthorizationRevoked(agency=self.id, station_id=station_id, reason=reason, by=by, at=at))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, AgencyRegistered):
            self.name = event.name
        elif isinstance(event, StationAuthorized):
            self.authorized.add(event.station_id)
        elif isinstance(event, StationAuthorizationRevoked):
            self.authorized.discard(event.station_id)
        else:
            super().apply(event)
