"""Public events of units, teams and stations (filled in by the organization module)."""

from __future__ import annotations

from .common import Translator

TRANSLATORS: dict[str, Translator] = {}
