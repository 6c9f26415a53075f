from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from .common import CommunityCode, Identifier, ProfessionalSkill

PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class GuardianConsent(BaseModel):
    """For a minor: who consented and when."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    given_on: date


class VolunteerRegistration(BaseModel):
    """POST /api/v1/volunteers. The gateway checks shape only; the registry checks the ID
    number (GB 11643), the community and uniqueness."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "张三明",
                    "id_number": "11010519491231002X",
                    "mobile": "13800138000",
                    "community": "110105001026",
                    "skills": ["medical_care"],
                    "political_status": "masses",
                }
            ]
        },
    )

    name: PersonName
    id_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+$")
    ]
    mobile: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
    community: CommunityCode = Field(description="12-digit community/village division code")
    skills: list[ProfessionalSkill] = Field(default_factory=list, max_length=11)
    unit_id: Identifier | None = None
    political_status: Literal["party_member", "league_member", "masses", "other"] | None = None
    guardian_consent: GuardianConsent | None = None
    agency: Identifier | None = Field(default=None, description="registering agency; default: the street's")
    station_id: Identifier | None = Field(
        default=None, description="the community station registering the volunteer; the agency must authorize it"
    )

    @field_validator("skills")
    @classmethod
    def _once_each(cls, skills: list[str]) -> list[str]:
        return list(dict.fromkeys(skills))


class VolunteerRegistered(BaseModel):
    """201 answer (documentation; the registry's result is passed through)."""

    model_config = ConfigDict(extra="allow")

    volunteer_id: str
    registration_no: str
    district: str
    token: str | None = Field(default=None, description="a volunteer token, for self-registration only")


class VolunteerRecognition(BaseModel):
    model_config = ConfigDict(extra="allow")

    volunteer_id: str | None = None
    total_minutes: int
    star_level: int = Field(ge=0, le=5)
    next_level_minutes: int | None = Field(description="minutes still needed for the next star; null at five")
    as_of: str | int | None
