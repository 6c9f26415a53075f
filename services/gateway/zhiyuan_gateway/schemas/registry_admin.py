"""Request bodies of the volunteer lifecycle, login and spot-check endpoints."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .common import CommunityCode, ProfessionalSkill

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
Mobile = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileChange(Strict):
    """Only the fields given change; ``name`` and ``mobile`` are personal data and never enter an event."""

    skills: list[ProfessionalSkill] | None = None
    unit_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    political_status: Literal["party_member", "league_member", "masses", "other"] | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)] | None = None
    mobile: Mobile | None = None


class Move(Strict):
    community: CommunityCode
    reason: Reason


class WithReason(Strict):
    reason: Reason


class LoginCodeRequest(Strict):
    mobile: Mobile


class LoginCodeExchange(Strict):
    mobile: Mobile
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class SpotCheckDraw(Strict):
    seed: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    percentage: Annotated[float, Field(gt=0, le=100)] | None = None
    count: Annotated[int, Field(ge=1, le=100_000)] | None = None

    @model_validator(mode="after")
    def _one_size(self) -> "SpotCheckDraw":
        if (self.percentage is None) == (self.count is None):
            raise ValueError("give either percentage or count / 抽查比例或人数二选一")
        return self


class SpotCheckOutcome(Strict):
    volunteer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    outcome: Literal["verified", "unreachable", "mismatch"]
    note: Annotated[str, StringConstraints(max_length=1000)] = ""
