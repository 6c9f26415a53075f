"""What the volunteer handlers need from the rest of the registry, as small protocols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.rpc import Principal

from ..adapters.person_store import PersonStore
from ..domain.division_tree import DivisionTree
from ..domain.divisions import CommunityCode


class Divisions(Protocol):
    @property
    def tree(self) -> DivisionTree:
        """The whole division tree (districts, streets, communities) with its code year."""
        ...

    def community(self, code: str) -> CommunityCode:
        """The community with this 12-digit code; raises ``Invalid`` naming the reason."""
        ...


class Organization(Protocol):
    async def registering_agency(
        self,
        conn: AsyncConnection,
        *,
        requested: str | None,
        community: CommunityCode,
        station_id: str | None,
        principal: Principal | None,
    ) -> str:
        """The agency that registers this volunteer (and issues the number); refuses what is not allowed."""
        ...

    async def team_community(self, conn: AsyncConnection, team_id: str) -> str | None:
        """The community a team belongs to, or None for an unknown team."""
        ...


@dataclass(frozen=True)
class RegistryDeps:
    people: PersonStore
    divisions: Divisions
    organization: Organization
