"""Every inline projection of the registry, dispatched by stored event type."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.eventstore import StoredEvent

from . import organization_views, spot_check_views, volunteer_views
from .volunteer_views import Projection

PROJECTIONS: dict[str, Projection] = {
    **volunteer_views.PROJECTIONS,
    **organization_views.PROJECTIONS,
    **spot_check_views.PROJECTIONS,
}


async def project(conn: AsyncConnection, event: StoredEvent) -> None:
    handler = PROJECTIONS.get(event.type)
    if handler is not None:
        await handler(conn, event)
