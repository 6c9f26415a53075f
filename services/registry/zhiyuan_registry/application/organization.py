"""Units, registering agencies, teams and stations (being built by the organization module).

Until then: every volunteer is registered by their community's street agency, and no
team is known.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.service import HandlerRegistry

from ..domain.divisions import CommunityCode
from .ports import RegistryDeps


class OrganizationRules:
    async def registering_agency(
        self,
        conn: AsyncConnection,
        *,
        requested: str | None,
        community: CommunityCode,
        station_id: str | None,
        principal: Principal | None,
    ) -> str:
        return requested or community.street[:9]

    async def team_community(self, conn: AsyncConnection, team_id: str) -> str | None:
        return None


def wire(host: HandlerRegistry, deps: RegistryDeps) -> None:
    """Registers the organization commands and queries on the host."""
