"""Registry flows through the gateway: login by code, spot checks, and no personal data on zy.>."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import httpx
import nats
import pytest

from zhiyuan_cli.supervisor import System

from .test_walking_slice import _token, resident_id

pytestmark = pytest.mark.e2e
COMMUNITIES = ["110105001026", "110105002024", "110108001001", "110118100200"]


def _post(system: System, path: str, body: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{system.gateway_url}/api/v1{path}", json=body, headers=headers, timeout=10)


def test_login_by_mobile_and_code(system: System) -> None:
    mobile = f"137{uuid.uuid4().int % 10**8:08d}"
    created = _post(system, "/volunteers", {"name": "孙八", "id_number": resident_id(), "mobile": mobile, "community": COMMUNITIES[0]}, {})
    assert created.status_code == 201
    assert _post(system, "/auth/code", {"mobile": mobile}, {}).status_code == 202
    env = {**os.environ, "ZHIYUAN_DATA_DIR": str(system.root)}
    deadline = time.monotonic() + 10
    code = None
    while code is None and time.monotonic() < deadline:
        printed = subprocess.run([sys.executable, "-m", "zhiyuan_cli", "codes"], env=env, capture_output=True, text=True, check=True).stdout
        lines = [line for line in printed.splitlines() if mobile[:3] in line and mobile[-4:] in line]
        code = lines[-1].split()[-1] if lines else None
        time.sleep(0.2)
    assert code is not None and len(code) == 6
    token = _post(system, "/auth/token", {"mobile": mobile, "code": code}, {})
    assert token.status_code == 200, token.text
    assert token.json()["volunteer_id"] == created.json()["volunteer_id"]
    me = httpx.get(
        f"{system.gateway_url}/api/v1/volunteers/{created.json()['volunteer_id']}",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
        timeout=5,
    )
    assert me.status_code == 200 and me.json()["mobile"] == f"{mobile[:3]}****{mobile[-4:]}"


def test_hundreds_of_registrations_put_no_id_or_phone_number_on_zy(system: System) -> None:
    admin = _token(system, "city_admin")
    people = []
    for i in range(200):
        number, mobile = resident_id(), f"13{i % 10}{uuid.uuid4().int % 10**8:08d}"
        reply = _post(
            system, "/volunteers",
            {"name": "欧阳" + "明华"[i % 2], "id_number": number, "mobile": mobile, "community": COMMUNITIES[i % 4],
             "skills": ["tutoring"]},
            admin,
        )
        assert reply.status_code == 201, reply.text
        people.append((reply.json()["volunteer_id"], number, mobile))
    # Life events too, with reasons that try to smuggle numbers in.
    for volunteer_id, number, mobile in people[:20]:
        reason = f"核实：身份证 {number}，电话 {mobile}"
        assert _post(system, f"/volunteers/{volunteer_id}/suspension", {"reason": reason}, admin).status_code == 200
        assert _post(system, f"/volunteers/{volunteer_id}/reinstatement", {"reason": "已核实"}, admin).status_code == 200
        patched = httpx.patch(f"{system.gateway_url}/api/v1/volunteers/{volunteer_id}", json={"mobile": "13911112222"}, headers=admin, timeout=5)
        assert patched.status_code == 200

    async def scan() -> list[bytes]:
        assert system.install is not None
        nc = await nats.connect(system.install.nats_url, user="operator", password=system.install.passwords["operator"])
        bodies: list[bytes] = []
        try:
            js = nc.jetstream()
            for _ in range(100):
                info = await js.stream_info("ZY_REGISTRY")
                if info.state.messages >= len(people) + 60:
                    break
                await asyncio.sleep(0.2)
            consumer = await js.subscribe("zy.registry.>", ordered_consumer=True)
            while True:
                try:
                    msg = await consumer.next_msg(timeout=2)
                except (TimeoutError, nats.errors.TimeoutError):
                    break
                bodies.append(msg.data)
        finally:
            await nc.close()
        return bodies

    bodies = asyncio.run(scan())
    assert len(bodies) >= len(people) + 60
    text = b"\n".join(bodies).decode()
    for _, number, mobile in people:
        assert number not in text and number[:17] not in text
        assert mobile not in text
    assert "13911112222" not in text
    assert "欧阳明" not in text and "欧阳华" not in text
    for body in bodies:
        event = json.loads(body)
        if event["type"].endswith("VolunteerSuspended.v1"):
            assert "*" in event["data"]["reason"]


def test_spot_check_over_http(system: System) -> None:
    admin = _token(system, "district_admin", district="110118")
    for _ in range(6):
        assert _post(system, "/volunteers", {"name": "李四", "id_number": resident_id(), "mobile": "13500001111", "community": COMMUNITIES[3]}, admin).status_code == 201
    drawn = _post(system, "/districts/110118/spot-checks", {"seed": "e2e", "count": 3}, admin)
    assert drawn.status_code == 201, drawn.text
    check_id = drawn.json()["check_id"]
    sample = httpx.get(f"{system.gateway_url}/api/v1/spot-checks/{check_id}", headers=admin, timeout=5).json()["items"]
    assert len(sample) == 3
    for item in sample:
        assert _post(system, f"/spot-checks/{check_id}/outcomes", {"volunteer_id": item["volunteer_id"], "outcome": "verified"}, admin).status_code == 200
    report = httpx.get(f"{system.gateway_url}/api/v1/spot-checks/{check_id}/report", headers=admin, timeout=5).json()
    assert report["verified_rate"] == 1.0
    other = _token(system, "district_admin", district="110105")
    assert httpx.get(f"{system.gateway_url}/api/v1/spot-checks/{check_id}", headers=other, timeout=5).status_code == 403


def test_the_division_tree_is_beijing(system: System) -> None:
    top = httpx.get(f"{system.gateway_url}/api/v1/divisions", timeout=5).json()["items"]
    assert [(d["code"], d["name"]) for d in top] == [("110000", "北京市")]
    districts = httpx.get(f"{system.gateway_url}/api/v1/divisions/110000/children", timeout=5).json()["items"]
    assert len(districts) == 16 and {"code": "110105", "name": "朝阳区", "level": "district"}.items() <= next(
        d for d in districts if d["code"] == "110105"
    ).items()
    unknown = _post(system, "/volunteers", {"name": "王五", "id_number": resident_id(), "mobile": "13500001111", "community": "110105001999"}, {})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "community"
