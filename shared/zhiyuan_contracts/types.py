"""Constrained field types shared by every public event.

Each is an ``Annotated`` alias, so a field reads as its meaning (``district: DistrictCode``)
and carries its rule into the generated JSON Schema.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, Strict, StringConstraints

from .envelope import rfc3339
from .pii import MASKED_NAME_PATTERN, contains_pii
from .vocabularies import (
    PROFESSIONAL_SERVICE_KINDS,
    PoliticalStatus,
    ServiceKind,
    TargetGroup,
    TeamKind,
    UnitType,
)

__all__ = [
    "ActorRef",
    "Capacity",
    "CommendationKind",
    "Count",
    "CriteriaVersion",
    "DistrictCode",
    "DivisionCode",
    "FieldName",
    "FreeText",
    "Id",
    "MaskedName",
    "Minutes",
    "OrgName",
    "Period",
    "PoliticalStatus",
    "Rank",
    "RegistrationNo",
    "Scope",
    "ServiceKind",
    "ShortText",
    "Skill",
    "SlotIndex",
    "StarLevel",
    "TargetGroup",
    "TeamKind",
    "UnitType",
    "UtcDateTime",
]

# -- codes --------------------------------------------------------------------------

DistrictCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6}$"),
    Field(description="Six-digit GB/T 2260 district code", examples=["110101"]),
]

DivisionCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{12}$"),
    Field(
        description="Twelve-digit statistical division code (street or community/village)",
        examples=["110101001001"],
    ),
]

# -- identifiers ----------------------------------------------------------------------

_ID_NUMBER_SHAPED = re.compile(r"^(?:\d{17}[\dXx]|\d{15})$")
_MOBILE_SHAPED = re.compile(r"^\+?(?:86)?1[3-9]\d{9}$")


def _not_personal_number(value: str) -> str:
    # An id must never be a resident ID number or a phone number in disguise. Both shapes
    # are 11 to 18 characters long; most ids (UUIDs) are not, and every event has several.
    if 11 <= len(value) <= 18 and (_ID_NUMBER_SHAPED.match(value) or _MOBILE_SHAPED.match(value)):
        raise ValueError("an identifier may not be a resident ID number or a phone number")
    return value


Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$"),
    AfterValidator(_not_personal_number),
    Field(
        description="Opaque identifier (usually a UUID)", examples=["3f6c1a9e-8d2b-4f7a-9c1e-2b5d7e8f9a01"]
    ),
]

# Who did it: a volunteer id, an organizer or admin principal, a system component.
ActorRef = Id


def _registration_no(value: str) -> str:
    if not re.search(r"[A-Za-z-]", value):
        raise ValueError("a registration number contains a letter or a dash (never all digits)")
    return value


RegistrationNo = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9-]{3,40}$"),
    AfterValidator(_registration_no),
    Field(
        description="Volunteer registration number; always contains a letter or a dash",
        examples=["ZY110101-2026-000123"],
    ),
]

# -- amounts ------------------------------------------------------------------------

Minutes = Annotated[
    int,
    Strict(),
    Ge(0),
    Field(description="A time amount in whole minutes (never floating hours)", examples=[120]),
]

Count = Annotated[int, Strict(), Ge(0)]
Capacity = Annotated[int, Strict(), Ge(1)]
SlotIndex = Annotated[int, Strict(), Ge(0), Field(description="0-based slot index")]
Rank = Annotated[int, Strict(), Ge(1), Field(description="1-based rank; ties may share a rank")]
StarLevel = Annotated[int, Strict(), Ge(0), Le(5)]

# -- time ---------------------------------------------------------------------------


_SECONDS = re.compile(r"^\s*[-+]?[0-9]+(?:\.[0-9]*)?\s*$")


def _datetime_or_text(value: Any) -> Any:
    # Refuse unix timestamps — numbers, and numbers written as text — and dates that
    # pydantic's lax mode would quietly accept.
    if isinstance(value, datetime) or (isinstance(value, str) and not _SECONDS.match(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time string or a datetime")


def _aware_utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime: every time in Zhiyuan is timezone-aware")
    return value.replace(tzinfo=UTC) if not offset else value.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_datetime_or_text),
    AfterValidator(_aware_utc),
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    Field(description="RFC 3339 date-time, timezone required; sent in UTC with Z"),
]

# -- text ---------------------------------------------------------------------------


def _no_pii(value: str) -> str:
    if contains_pii(value):
        raise ValueError(
            "free text holds an ID or phone number; mask it first (zhiyuan_contracts.pii.mask_text)"
        )
    return value


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_pii)]
FreeText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_no_pii),
    Field(description="Free text, ID and phone numbers masked"),
]
# The name of an organisation (team, unit, station): public, never a person's name.
OrgName = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_no_pii)]

MaskedName = Annotated[
    str,
    StringConstraints(pattern=MASKED_NAME_PATTERN, max_length=64),
    Field(
        description="A person's name masked: first and last character kept, the rest '*'",
        examples=["张*明", "李*"],
    ),
]

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

# -- recognition ----------------------------------------------------------------------

Period = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$"),
    Field(
        description="A year, quarter or month, cut in Asia/Shanghai time",
        examples=["2026", "2026Q1", "2026-03"],
    ),
]
Scope = Annotated[
    str,
    StringConstraints(pattern=r"^(city|[0-9]{6})$"),
    Field(description="'city' or a six-digit district code", examples=["city", "110101"]),
]
CommendationKind = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$"),
    Field(description="quarterly, annual, team, …", examples=["quarterly"]),
]
CriteriaVersion = Annotated[str, StringConstraints(min_length=1, max_length=64)]

# -- vocabularies -------------------------------------------------------------------------


def _professional(kind: ServiceKind) -> ServiceKind:
    if kind not in PROFESSIONAL_SERVICE_KINDS:
        raise ValueError(f"{kind.value!r} is not a professional service kind; skills use those")
    return kind


Skill = Annotated[ServiceKind, AfterValidator(_professional)]
