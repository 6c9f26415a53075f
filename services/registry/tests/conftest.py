"""The registry wired in process over a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet

from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.testing.host import InProcessHost, migrated_engine
from zhiyuan_registry.adapters.division_data import load_tree
from zhiyuan_registry.adapters.divisions import TreeDivisions
from zhiyuan_registry.adapters.person_store import PersonStore
from zhiyuan_registry.adapters.projections import project
from zhiyuan_registry.application import login, organization, spot_checks, volunteers
from zhiyuan_registry.application.ports import RegistryDeps
from zhiyuan_registry.domain.identity import check_char
from zhiyuan_registry.integration.translator import translate

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CHAOYANG = "110105001026"  # 永安里社区, 建外街道, 朝阳区
CHAOYANG_OTHER_STREET = "110105002024"  # 体东社区, 朝外街道
HAIDIAN = "110108001001"  # 翠微路社区, 万寿路街道, 海淀区
CITY_ADMIN = Principal(role="city_admin", subject="city-admin")


def district_admin(district: str) -> Principal:
    return Principal(role="district_admin", subject=f"admin-{district}", district=district)


def volunteer(volunteer_id: str) -> Principal:
    return Principal(role="volunteer", subject=volunteer_id, volunteer=volunteer_id)


_serials = iter(range(1, 10**6))


def id_number(born: date = date(1990, 3, 7), area: str = "110105") -> str:
    """A valid resident ID number, different at every call."""
    n = next(_serials)
    first17 = f"{area}{born:%Y%m%d}{n % 1000:03d}"
    if n >= 1000:
        first17 = f"{area}{date(born.year - n // 1000, born.month, born.day):%Y%m%d}{n % 1000:03d}"
    return first17 + check_char(first17)


def registration(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "张三明",
        "id_number": id_number(),
        "mobile": "13812345678",
        "community": CHAOYANG,
        "skills": ["medical_care"],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def host(database_url: str) -> AsyncIterator[InProcessHost]:
    engine = await migrated_engine("zhiyuan_registry", database_url)
    running = InProcessHost(engine, translate, project=project, clock=lambda: NOW)
    deps = RegistryDeps(
        people=PersonStore(Fernet.generate_key()),
        divisions=TreeDivisions(load_tree()),
        organization=organization.OrganizationRules(),
    )
    volunteers.wire(running, deps)
    organization.wire(running, deps)
    spot_checks.wire(running, deps)
    login.wire(running, deps, codes_to_log=True)
    yield running
    await engine.dispose()
