"""Registering volunteers and the life of a registration, through the handlers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select

from zhiyuan_platform.tables import events, outbox
from zhiyuan_platform.testing.host import InProcessHost
from zhiyuan_registry.adapters.tables import persons

from .conftest import (
    CHAOYANG,
    CHAOYANG_OTHER_STREET,
    CITY_ADMIN,
    HAIDIAN,
    district_admin,
    id_number,
    registration,
    volunteer,
)


async def count(host: InProcessHost, table: object) -> int:
    async with host.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_registration_issues_sequential_numbers_per_agency(host: InProcessHost) -> None:
    first = await host.call("RegisterVolunteer", registration())
    second = await host.call("RegisterVolunteer", registration())
    other_street = await host.call("RegisterVolunteer", registration(community=CHAOYANG_OTHER_STREET))
    assert first.ok and second.ok and other_street.ok
    assert first.result["registration_no"] == "110105001-000001"
    assert second.result["registration_no"] == "110105001-000002"
    assert other_street.result["registration_no"] == "110105002-000001"


async def test_a_second_registration_of_one_person_is_409_naming_the_number(host: InProcessHost) -> None:
    number = id_number()
    first = await host.call("RegisterVolunteer", registration(id_number=number))
    again = await host.call("RegisterVolunteer", registration(id_number=number, community=HAIDIAN, name="王五"))
    assert again.status == 409
    assert again.problem["registration_no"] == first.result["registration_no"]
    assert await count(host, persons) == 1


async def test_fifty_racing_registrations_of_one_person_exactly_one_wins(host: InProcessHost) -> None:
    number = id_number()
    answers = await asyncio.gather(*(host.call("RegisterVolunteer", registration(id_number=number)) for _ in range(50)))
    assert sorted(a.status for a in answers) == [200] + [409] * 49
    winners = [a for a in answers if a.ok]
    assert len(winners) == 1
    assert all(a.status == 409 and a.problem["registration_no"] == winners[0].result["registration_no"] for a in answers if not a.ok)
    assert await count(host, persons) == 1
    # The refused ones consumed no registration number.
    nxt = await host.call("RegisterVolunteer", registration())
    assert nxt.result["registration_no"] == "110105001-000002"


async def test_refusals_store_nothing_and_name_field_and_rule(host: InProcessHost) -> None:
    valid = id_number()  # one number: its check character replaced by one that is never right
    cases = {
        "id-number-check-digit": registration(id_number=valid[:-1] + ("1" if valid.endswith("0") else "0")),
        "id-number-minimum-age": registration(id_number=id_number(born=date(2013, 1, 1))),
        "guardian-consent-required-for-minors": registration(id_number=id_number(born=date(2010, 1, 1))),
        "mobile-shape": registration(mobile="12345"),
        "community-not-a-community": registration(community="110105001000"),
        "community-unknown": registration(community="110105001999"),
        "invalid-request": registration(skills=["cooking"]),
    }
    for code, body in cases.items():
        answer = await host.call("RegisterVolunteer", body)
        assert answer.status == 422, (code, answer)
        assert answer.problem["type"].endswith(code), (code, answer.problem)
        assert answer.problem["errors"][0]["field"], answer.problem
        detail = answer.problem["detail"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in detail) and any(ch.isascii() and ch.isalpha() for ch in detail)
    assert await count(host, events) == 0
    assert await count(host, outbox) == 0
    assert await count(host, persons) == 0


async def test_minors_register_with_a_guardian_consent(host: InProcessHost) -> None:
    answer = await host.call(
        "RegisterVolunteer",
        registration(
            id_number=id_number(born=date(2010, 1, 1)),
            guardian_consent={"name": "张大山", "relation": "father", "given_on": "2026-11-01"},
        ),
    )
    assert answer.ok
    profile = await host.call("GetVolunteer", {"volunteer_id": answer.result["volunteer_id"]}, principal=CITY_ADMIN)
    assert profile.result["minor"] is True


async def test_reads_are_masked_and_a_reveal_needs_a_reason_and_is_logged(host: InProcessHost) -> None:
    number = id_number()
    created = await host.call("RegisterVolunteer", registration(id_number=number))
    vid = created.result["volunteer_id"]
    own = await host.call("GetVolunteer", {"volunteer_id": vid}, principal=volunteer(vid))
    assert own.result["name"] == "张*明" and own.result["mobile"] == "138****5678"
    assert own.result["id_number"] == number[:3] + "*" * 11 + number[-4:]
    other = await host.call("GetVolunteer", {"volunteer_id": vid}, principal=volunteer("someone-else"))
    assert other.status == 403
    foreign_admin = await host.call("GetVolunteer", {"volunteer_id": vid}, principal=district_admin("110108"))
    assert foreign_admin.status == 403
    no_reason = await host.call("GetVolunteer", {"volunteer_id": vid, "reveal": True}, principal=district_admin("110105"))
    assert no_reason.status == 422
    revealed = await host.call(
        "GetVolunteer", {"volunteer_id": vid, "reveal": True, "reason": "电话抽查核实身份"}, principal=district_admin("110105")
    )
    assert revealed.result["id_number"] == number and revealed.result["name"] == "张三明"
    from zhiyuan_registry.adapters.tables import pii_reveals

    async with host.engine.connect() as conn:
        log = (await conn.execute(select(pii_reveals))).one()
    assert log.volunteer_id == vid and log.reason == "电话抽查核实身份" and log.role == "district_admin"


async def test_life_of_a_registration(host: InProcessHost) -> None:
    created = await host.call("RegisterVolunteer", registration())
    vid = created.result["volunteer_id"]
    admin = district_admin("110105")
    assert (await host.call("SuspendVolunteer", {"volunteer_id": vid, "reason": "连续三次爽约"}, principal=admin)).result["status"] == "suspended"
    assert (await host.call("SuspendVolunteer", {"volunteer_id": vid, "reason": "again"}, principal=admin)).status == 409
    assert (await host.call("SuspendVolunteer", {"volunteer_id": vid, "reason": "x y"}, principal=volunteer(vid))).status == 403
    assert (await host.call("ReinstateVolunteer", {"volunteer_id": vid, "reason": "已说明情况"}, principal=admin)).result["status"] == "active"
    moved = await host.call("MoveVolunteer", {"volunteer_id": vid, "community": HAIDIAN, "reason": "搬家"}, principal=volunteer(vid))
    assert moved.result["district"] == "110108"
    # Now the volunteer belongs to Haidian: Chaoyang's admin no longer manages them.
    assert (await host.call("SuspendVolunteer", {"volunteer_id": vid, "reason": "测试一下"}, principal=admin)).status == 403
    updated = await host.call("UpdateVolunteer", {"volunteer_id": vid, "skills": ["legal_aid"], "mobile": "13900009999"}, principal=volunteer(vid))
    assert updated.result["changed"] == ["mobile", "skills"]
    profile = await host.call("GetVolunteer", {"volunteer_id": vid}, principal=volunteer(vid))
    assert profile.result["mobile"] == "139****9999" and profile.result["skills"] == ["legal_aid"]
    assert (await host.call("DeregisterVolunteer", {"volunteer_id": vid, "reason": "本人申请"}, principal=volunteer(vid))).result["status"] == "deregistered"
    assert (await host.call("UpdateVolunteer", {"volunteer_id": vid, "skills": []}, principal=volunteer(vid))).status == 409
    async with host.engine.connect() as conn:
        kinds = [r.type for r in await conn.execute(select(events.c.type).order_by(events.c.position))]
        subjects = [r.subject for r in await conn.execute(select(outbox.c.subject).order_by(outbox.c.id))]
    assert kinds == [
        "VolunteerRegistered", "VolunteerSuspended", "VolunteerReinstated", "VolunteerMoved",
        "VolunteerProfileUpdated", "VolunteerDeregistered",
    ]
    assert subjects == [
        "zy.registry.110105.VolunteerRegistered", "zy.registry.110105.VolunteerSuspended",
        "zy.registry.110105.VolunteerReinstated", "zy.registry.110108.VolunteerMoved",
        "zy.registry.110108.VolunteerProfileUpdated", "zy.registry.110108.VolunteerDeregistered",
    ]


async def test_a_number_is_never_reused_after_deregistration(host: InProcessHost) -> None:
    first = await host.call("RegisterVolunteer", registration())
    await host.call("DeregisterVolunteer", {"volunteer_id": first.result["volunteer_id"], "reason": "本人申请"}, principal=CITY_ADMIN)
    nxt = await host.call("RegisterVolunteer", registration())
    assert nxt.result["registration_no"] == "110105001-000002"


async def test_erasure_destroys_the_personal_data_and_keeps_the_history(host: InProcessHost) -> None:
    number = id_number()
    created = await host.call("RegisterVolunteer", registration(id_number=number))
    vid = created.result["volunteer_id"]
    erased = await host.call("EraseVolunteer", {"volunteer_id": vid, "reason": "本人申请删除"}, principal=volunteer(vid))
    assert erased.result == {"volunteer_id": vid, "status": "deregistered", "erased": True}
    revealed = await host.call("GetVolunteer", {"volunteer_id": vid, "reveal": True, "reason": "核实身份信息"}, principal=CITY_ADMIN)
    assert revealed.status == 404
    profile = await host.call("GetVolunteer", {"volunteer_id": vid}, principal=CITY_ADMIN)
    assert profile.result["registration_no"] == created.result["registration_no"]
    assert profile.result["personal_data_erased"] is True
    async with host.engine.connect() as conn:
        row = (await conn.execute(select(persons).where(persons.c.volunteer_id == vid))).one()
        history = [r.type for r in await conn.execute(select(events.c.type))]
    assert row.sealed is None and row.id_hash is None
    assert history == ["VolunteerRegistered", "VolunteerDeregistered", "PersonalDataErased"]
    # The person may register again: nothing can tie the new registration to the erased one.
    again = await host.call("RegisterVolunteer", registration(id_number=number))
    assert again.ok and again.result["volunteer_id"] != vid


async def test_admin_lists_their_district_with_paging(host: InProcessHost) -> None:
    for _ in range(5):
        await host.call("RegisterVolunteer", registration())
    await host.call("RegisterVolunteer", registration(community=HAIDIAN))
    admin = district_admin("110105")
    page = await host.call("ListVolunteers", {"limit": 3}, principal=admin)
    rest = await host.call("ListVolunteers", {"limit": 3, "cursor": page.result["next"]}, principal=admin)
    numbers = [v["registration_no"] for v in page.result["items"] + rest.result["items"]]
    assert len(numbers) == 5 and numbers == sorted(numbers) and rest.result["next"] is None
    assert (await host.call("ListVolunteers", {"district": "110108"}, principal=admin)).status == 403
    assert (await host.call("ListVolunteers", {}, principal=volunteer("x"))).status == 403
    everyone = await host.call("ListVolunteers", {"community": CHAOYANG}, principal=CITY_ADMIN)
    assert len(everyone.result["items"]) == 5
