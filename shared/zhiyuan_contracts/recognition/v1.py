"""Recognition events, version 1: star levels and commendation lists.

Subject district: the volunteer's current registration district; a city-wide list uses
the city's code.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from annotated_types import Ge, Le
from pydantic import Field, Strict, model_validator

from ..base import ContractModel, IntegrationEvent
from ..types import (
    CommendationKind,
    CriteriaVersion,
    FreeText,
    Id,
    MaskedName,
    Minutes,
    OrgName,
    Period,
    Rank,
    Scope,
    UtcDateTime,
)

__all__ = [
    "CommendationEntry",
    "CommendationListNoticed",
    "CommendationListPublished",
    "StarLevelAttained",
    "StarLevelLowered",
]


class StarLevelAttained(IntegrationEvent):
    """A volunteer reached a higher star level (星级志愿者)."""

    CONTEXT: ClassVar[str] = "recognition"
    NAME: ClassVar[str] = "StarLevelAttained"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.recognition.StarLevelAttained.v1"

    volunteer_id: Id
    level: Annotated[int, Strict(), Ge(1), Le(5)]
    total_minutes: Minutes
    attained_at: UtcDateTime | None = None
    policy_version: CriteriaVersion | None = Field(default=None, description="The star policy the level was attained under")


class StarLevelLowered(IntegrationEvent):
    """A volunteer's star level went down (after a correction or revocation of hours)."""

    CONTEXT: ClassVar[str] = "recognition"
    NAME: ClassVar[str] = "StarLevelLowered"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.recognition.StarLevelLowered.v1"

    volunteer_id: Id
    level: Annotated[int, Strict(), Ge(0), Le(4)]
    total_minutes: Minutes
    reason: FreeText
    policy_version: CriteriaVersion | None = Field(default=None, description="The star policy in force")


class CommendationEntry(ContractModel):
    """One line of a commendation list: a volunteer or a team, never both."""

    rank: Rank
    volunteer_id: Id | None = None
    team_id: Id | None = None
    minutes: Minutes
    name_masked: MaskedName | None = Field(default=None, description="The volunteer's name, masked")
    team_name: OrgName | None = Field(default=None, description="The team's name (public)")

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.volunteer_id is None) == (self.team_id is None):
            raise ValueError("an entry names exactly one of volunteer_id and team_id")
        return self


class CommendationListNoticed(IntegrationEvent):
    """A commendation list was computed and put on public notice (公示)."""

    CONTEXT: ClassVar[str] = "recognition"
    NAME: ClassVar[str] = "CommendationListNoticed"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.recognition.CommendationListNoticed.v1"

    list_id: Id
    kind: CommendationKind
    period: Period
    scope: Scope
    notice_ends_at: UtcDateTime
    entries: list[CommendationEntry]
    criteria_version: CriteriaVersion


class CommendationListPublished(IntegrationEvent):
    """A commendation list was published after its notice ended (objections resolved)."""

    CONTEXT: ClassVar[str] = "recognition"
    NAME: ClassVar[str] = "CommendationListPublished"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.recognition.CommendationListPublished.v1"

    list_id: Id
    kind: CommendationKind
    period: Period
    scope: Scope
    entries: list[CommendationEntry]
    criteria_version: CriteriaVersion
    published_at: UtcDateTime | None = None
