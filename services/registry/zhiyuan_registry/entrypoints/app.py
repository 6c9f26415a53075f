"""The registry service: a FastStream app answering ``zyi.registry.*``."""

from __future__ import annotations

from zhiyuan_platform.service import ServiceHost

from ..adapters.person_store import PersonStore
from ..application.handlers import RegistryHandlers
from ..config import RegistrySettings
from ..integration.translator import translate


def build(settings: RegistrySettings | None = None) -> ServiceHost:
    settings = settings or RegistrySettings()
    host = ServiceHost(context="registry", package="zhiyuan_registry", settings=settings, translate=translate)
    handlers = RegistryHandlers(PersonStore(settings.master_key()))
    host.command("RegisterVolunteer", handlers.register_volunteer)
    host.query("GetVolunteer", handlers.get_volunteer)
    return host
