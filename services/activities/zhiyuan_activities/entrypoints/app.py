"""The activities service: a FastStream app answering ``zyi.activities.*``; it owns and
provisions the ``ZY_ACTIVITIES`` stream and relays its outbox."""

from __future__ import annotations

from zhiyuan_platform.service import ServiceHost

from ..config import ActivitiesSettings
from ..integration.translator import translate


def build(settings: ActivitiesSettings | None = None) -> ServiceHost:
    settings = settings or ActivitiesSettings()
    return ServiceHost(context="activities", package="zhiyuan_activities", settings=settings, translate=translate)
