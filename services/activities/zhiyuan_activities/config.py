"""Activities settings: the platform's."""

from __future__ import annotations

from zhiyuan_platform.settings import ServiceSettings


class ActivitiesSettings(ServiceSettings):
    pass
