"""Read model of spot checks (filled in with the spot-check module)."""

from __future__ import annotations

from .volunteer_views import Projection

PROJECTIONS: dict[str, Projection] = {}
