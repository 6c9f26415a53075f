"""CertificateHolder: the full name for the certificate, to the volunteer or their admins, logged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from zhiyuan_platform.rpc import Principal
from zhiyuan_platform.testing.host import InProcessHost, migrated_engine
from zhiyuan_registry.adapters.division_data import load_tree
from zhiyuan_registry.adapters.divisions import TreeDivisions
from zhiyuan_registry.adapters.person_store import PersonStore
from zhiyuan_registry.adapters.projections import project
from zhiyuan_registry.adapters.tables import pii_reveals
from zhiyuan_registry.application import certificate_holder, organization, volunteers
from zhiyuan_registry.application.ports import RegistryDeps
from zhiyuan_registry.integration.translator import translate

from .conftest import CITY_ADMIN, NOW, district_admin, id_number, registration, volunteer


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
    certificate_holder.wire(running, deps)
    yield running
    await engine.dispose()


async def registered(host: InProcessHost, number: str) -> dict[str, str]:
    created = await host.call("RegisterVolunteer", registration(id_number=number))
    assert created.ok, created.problem
    return dict(created.result)


async def reveals(host: InProcessHost) -> list[tuple[str, str, str]]:
    async with host.engine.connect() as conn:
        rows = await conn.execute(select(pii_reveals.c.volunteer_id, pii_reveals.c.role, pii_reveals.c.reason))
        return [(r.volunteer_id, r.role, r.reason) for r in rows]


async def test_the_volunteer_and_their_admins_get_the_holder(host: InProcessHost) -> None:
    number = id_number()
    created = await registered(host, number)
    vid = created["volunteer_id"]
    for principal in (volunteer(vid), district_admin("110105"), CITY_ADMIN):
        answer = await host.call("CertificateHolder", {"volunteer_id": vid}, principal=principal)
        assert answer.ok, answer.problem
        assert answer.result == {
            "volunteer_id": vid,
            "name": "张三明",
            "id_type": "resident_id_card",
            "id_number_masked": number[:3] + "*" * 11 + number[-4:],
            "registration_no": created["registration_no"],
        }
        assert number not in str(answer.result)
    logged = await reveals(host)
    assert [role for _, role, _ in logged] == ["volunteer", "district_admin", "city_admin"]
    assert all(v == vid and "证明" in reason for v, _, reason in logged)


async def test_everyone_else_is_refused_and_nothing_is_logged(host: InProcessHost) -> None:
    vid = (await registered(host, id_number()))["volunteer_id"]
    other = (await registered(host, id_number()))["volunteer_id"]
    cases = [
        (volunteer(other), 403),
        (district_admin("110108"), 403),
        (Principal(role="organizer", subject="o-1", district="110105", team="t-1"), 403),
        (Principal(role="district_system", subject="sys", district="110105"), 403),
        (None, 401),
    ]
    for principal, status in cases:
        answer = await host.call("CertificateHolder", {"volunteer_id": vid}, principal=principal)
        assert answer.status == status, (principal, answer)
        assert "name" not in answer.problem
    assert await reveals(host) == []


async def test_unknown_and_erased(host: InProcessHost) -> None:
    unknown = await host.call("CertificateHolder", {"volunteer_id": "no-such-volunteer"}, principal=CITY_ADMIN)
    assert unknown.status == 404
    vid = (await registered(host, id_number()))["volunteer_id"]
    erased = await host.call("EraseVolunteer", {"volunteer_id": vid, "reason": "本人申请删除"}, principal=volunteer(vid))
    assert erased.ok
    answer = await host.call("CertificateHolder", {"volunteer_id": vid}, principal=volunteer(vid))
    assert answer.status == 404 and answer.problem["type"].endswith("personal-data-erased")
    refused = await host.call("CertificateHolder", {"volunteer_id": vid, "extra": 1}, principal=CITY_ADMIN)
    assert refused.status == 422
    assert await reveals(host) == []
