"""HTTP → registry → event store → relay → JetStream → recognition → HTTP, across processes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date, timedelta

import httpx
import nats
import pytest

from zhiyuan_cli.supervisor import System
from zhiyuan_registry.domain.identity import check_char

pytestmark = pytest.mark.e2e


def resident_id(born: date | None = None) -> str:
    """A valid, almost surely unused ID number (random birth date and serial)."""
    rand = uuid.uuid4().int
    born = born or date(1950, 1, 1) + timedelta(days=rand % 20000)
    serial = f"{(rand >> 20) % 1000:03d}"
    first17 = f"110105{born:%Y%m%d}{serial}"
    return first17 + check_char(first17)


def register(system: System, **overrides: object) -> httpx.Response:
    body = {
        "name": "张三明",
        "id_number": resident_id(),
        "mobile": "13812345678",
        "community": "110105001026",
        "skills": ["medical_care"],
        **overrides,
    }
    return httpx.post(f"{system.gateway_url}/api/v1/volunteers", json=body, headers={"X-Correlation-Id": "e2e-" + uuid.uuid4().hex}, timeout=10)


def wait_for(check: object, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        reply = check()  # type: ignore[operator]
        if reply.status_code == 200 or time.monotonic() > deadline:
            return reply  # type: ignore[no-any-return]
        time.sleep(0.2)


def test_registration_reaches_recognition(system: System) -> None:
    created = register(system)
    assert created.status_code == 201, created.text
    body = created.json()
    volunteer_id, token = body["volunteer_id"], body["token"]
    assert "-" in body["registration_no"] and body["district"] == "110105"

    reply = wait_for(
        lambda: httpx.get(
            f"{system.gateway_url}/api/v1/volunteers/{volunteer_id}/recognition",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
    )
    assert reply.status_code == 200, reply.text
    recognition = reply.json()
    assert recognition["total_minutes"] == 0
    assert recognition["star_level"] == 0
    assert recognition["next_level_minutes"] == 100 * 60
    assert recognition["as_of"] is not None

    profile = httpx.get(
        f"{system.gateway_url}/api/v1/volunteers/{volunteer_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).json()
    assert profile["name"] == "张*明"
    assert profile["id_number"].startswith("110") and "*" in profile["id_number"]
    assert profile["mobile"] == "138****5678"


async def test_event_on_the_public_subject_carries_no_personal_data_and_the_correlation_id(system: System) -> None:
    assert system.install is not None
    correlation = "e2e-" + uuid.uuid4().hex
    id_number = resident_id()
    async with httpx.AsyncClient(timeout=10) as client:
        created = await client.post(
            f"{system.gateway_url}/api/v1/volunteers",
            json={"name": "李四海", "id_number": id_number, "mobile": "13900001111", "community": "110105001026"},
            headers={"X-Correlation-Id": correlation},
        )
    assert created.status_code == 201, created.text
    volunteer_id = created.json()["volunteer_id"]
    nc = await nats.connect(system.install.nats_url, user="operator", password=system.install.passwords["operator"])
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + 15
        found = None
        while found is None and time.monotonic() < deadline:
            msg = await js.get_last_msg("ZY_REGISTRY", "zy.registry.110105.VolunteerRegistered")
            event = json.loads(msg.data or b"{}")
            if event.get("subject") == volunteer_id:
                found = (msg, event)
            else:
                await asyncio.sleep(0.1)
        assert found is not None, "VolunteerRegistered never reached zy.registry.110105.VolunteerRegistered"
        msg, event = found
        assert event["type"] == "zhiyuan.registry.VolunteerRegistered.v1"
        assert event["specversion"] == "1.0" and event["source"] == "/zhiyuan/registry"
        assert event["district"] == "110105" and event["sequence"] == 1
        assert event["correlationid"] == correlation
        assert msg.headers and msg.headers.get("Nats-Msg-Id") == event["id"]
        raw = (msg.data or b"").decode()
        assert id_number not in raw and "13900001111" not in raw and "李四海" not in raw
        assert event["data"]["name_masked"] == "李*海"
    finally:
        await nc.close()
    # The same correlation id is on the registry's log line for the command and on
    # recognition's for the event it caused.
    for service, line_event in (("registry", "volunteer.registered"), ("recognition", "volunteer.projected")):
        deadline = time.monotonic() + 10
        while True:
            lines = [json.loads(x) for x in (system.root / "logs" / f"{service}.log").read_text().splitlines() if x.startswith("{")]
            tagged = [x for x in lines if x.get("event") == line_event and x.get("correlation_id") == correlation]
            if tagged or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert tagged, f"no {line_event} line with correlation_id {correlation} in {service}.log"
        assert tagged[0]["volunteer_id"] == volunteer_id


def test_duplicate_registration_is_409_naming_the_registration_no(system: System) -> None:
    id_number = resident_id()
    first = register(system, id_number=id_number)
    assert first.status_code == 201
    second = register(system, id_number=id_number, name="王五")
    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    assert second.json()["registration_no"] == first.json()["registration_no"]


def test_idempotency_key_gives_the_same_answer_and_no_second_effect(system: System) -> None:
    body = {"name": "赵六", "id_number": resident_id(), "mobile": "13700002222", "community": "110105001026"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    admin = _token(system, "city_admin")
    first = httpx.post(f"{system.gateway_url}/api/v1/volunteers", json=body, headers={**key, **admin}, timeout=10)
    again = httpx.post(f"{system.gateway_url}/api/v1/volunteers", json=body, headers={**key, **admin}, timeout=10)
    assert first.status_code == again.status_code == 201
    assert first.json()["volunteer_id"] == again.json()["volunteer_id"]


def test_bad_input_gets_problem_json_never_500(system: System) -> None:
    url = f"{system.gateway_url}/api/v1/volunteers"
    valid = resident_id()
    wrong_check = valid[:-1] + ("1" if valid[-1] == "0" else "0")  # never the right check character
    cases = [
        httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"}, timeout=5),
        httpx.post(url, json={"name": "张三", "id_number": resident_id(), "mobile": "13812345678", "community": "110105001026", "shoe_size": 42}, timeout=5),
        httpx.post(url, json={"name": 7, "id_number": [], "mobile": None, "community": 1}, timeout=5),
        httpx.post(url, json={"name": "张三", "id_number": wrong_check, "mobile": "13812345678", "community": "110105001026"}, timeout=5),
        httpx.get(f"{system.gateway_url}/api/v1/volunteers/abc/recognition", timeout=5),
        httpx.get(f"{system.gateway_url}/api/v1/volunteers/abc", headers={"Authorization": "Bearer nonsense"}, timeout=5),
    ]
    for reply in cases:
        assert 400 <= reply.status_code < 500, (reply.status_code, reply.text)
        assert reply.headers["content-type"].startswith("application/problem+json"), reply.text
        assert reply.json()["detail"]


def test_status_reports_every_service_and_consumer(system: System) -> None:
    services = httpx.get(f"{system.gateway_url}/api/v1/health/services", timeout=5).json()["services"]
    assert set(services) == {"registry", "activities", "recognition"}
    assert all(s["status"] == "ok" for s in services.values())
    consumers = {c["name"]: c for c in services["recognition"]["consumers"]}
    assert set(consumers) == {"recognition-registry", "recognition-activities"}


def _token(system: System, role: str, **claims: str) -> dict[str, str]:
    from zhiyuan_gateway.core.config import load_or_create_token_key
    from zhiyuan_gateway.core.security import issue_token

    return {"Authorization": "Bearer " + issue_token(load_or_create_token_key(system.root), role, **claims)}  # type: ignore[arg-type]
