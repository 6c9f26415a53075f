"""The registry service: a FastStream app answering ``zyi.registry.*``."""

from __future__ import annotations

from zhiyuan_platform.service import ServiceHost

from ..adapters.division_data import load_tree
from ..adapters.divisions import TreeDivisions
from ..adapters.person_store import PersonStore
from ..adapters.projections import project
from ..application import certificate_holder, divisions, login, organization, spot_checks, volunteers
from ..application.ports import RegistryDeps
from ..config import RegistrySettings
from ..integration.translator import translate


def build(settings: RegistrySettings | None = None) -> ServiceHost:
    settings = settings or RegistrySettings()
    host = ServiceHost(
        context="registry", package="zhiyuan_registry", settings=settings, translate=translate, project=project
    )
    tree = load_tree()
    deps = RegistryDeps(
        people=PersonStore(settings.master_key()),
        divisions=TreeDivisions(tree),
        organization=organization.OrganizationRules(),
    )
    volunteers.wire(host, deps)
    organization.wire(host, deps)
    spot_checks.wire(host, deps)
    divisions.wire(host, tree)
    certificate_holder.wire(host, deps)
    login.wire(host, deps, codes_to_log=settings.env == "local")
    return host
