"""The registry service: a FastStream app answering ``zyi.registry.*``."""

from __future__ import annotations

from zhiyuan_platform.service import ServiceHost

from ..adapters.divisions import CodeShapeDivisions
from ..adapters.person_store import PersonStore
from ..adapters.projections import project
from ..application import organization, volunteers
from ..application.ports import RegistryDeps
from ..config import RegistrySettings
from ..integration.translator import translate


def build(settings: RegistrySettings | None = None) -> ServiceHost:
    settings = settings or RegistrySettings()
    host = ServiceHost(
        context="registry", package="zhiyuan_registry", settings=settings, translate=translate, project=project
    )
    deps = RegistryDeps(
        people=PersonStore(settings.master_key()),
        divisions=CodeShapeDivisions(),
        organization=organization.OrganizationRules(),
    )
    volunteers.wire(host, deps)
    organization.wire(host, deps)
    return host
