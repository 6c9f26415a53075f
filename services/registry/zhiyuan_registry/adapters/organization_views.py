"""Read models of units, agencies, teams and stations (filled in by the organization module)."""

from __future__ import annotations

from .volunteer_views import Projection

PROJECTIONS: dict[str, Projection] = {}
