"""From a team and an activity to hours, star levels and statistics, across real processes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

from zhiyuan_cli.supervisor import System

from .test_walking_slice import _token, resident_id

pytestmark = pytest.mark.e2e
COMMUNITY = "110105001026"


def until(call: Callable[[], httpx.Response], ok: Callable[[httpx.Response], bool], timeout: float = 20) -> httpx.Response:
    """Reads after writes are eventually consistent: ask again until the answer is there."""
    deadline = time.monotonic() + timeout
    while True:
        reply = call()
        if ok(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def test_backfilled_activity_to_hours_star_levels_and_stats(system: System) -> None:
    url = f"{system.gateway_url}/api/v1"
    city, chaoyang = _token(system, "city_admin"), _token(system, "district_admin", district="110105")
    team = httpx.post(f"{url}/teams", json={"name": "永安里为老服务队", "community": COMMUNITY, "kind": "community"}, headers=city, timeout=10)
    assert team.status_code == 201, team.text
    team_id = team.json()["team_id"]
    organizer = _token(system, "organizer", district="110105", team=team_id)
    people = []
    for name in ("王小明", "李小红"):
        reply = httpx.post(f"{url}/volunteers", json={"name": name, "id_number": resident_id(), "mobile": "13811112222", "community": COMMUNITY}, headers=city, timeout=10)
        assert reply.status_code == 201, reply.text
        people.append(reply.json()["volunteer_id"])

    start = (datetime.now(UTC) - timedelta(days=8)).replace(microsecond=0)
    body = {
        "team_id": team_id, "title": "学雷锋日敬老院服务", "service_kind": "elderly_care", "target_group": "elderly_living_alone",
        "place": "朝阳区第一敬老院", "community": COMMUNITY, "reason": "活动当日网络故障未能发布",
        "slots": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(days=5)).isoformat(), "capacity": 5}],
    }
    requested = until(lambda: httpx.post(f"{url}/activities/backfills", json=body, headers=organizer, timeout=10), lambda r: r.status_code == 201)
    assert requested.status_code == 201, requested.text
    activity = requested.json()["activity_id"]
    assert httpx.post(f"{url}/activities/{activity}/backfill/decision", json={"approve": True}, headers=organizer, timeout=10).status_code == 403
    approved = httpx.post(f"{url}/activities/{activity}/backfill/decision", json={"approve": True, "note": "情况属实"}, headers=chaoyang, timeout=10)
    assert approved.status_code == 200, approved.text

    for vid in people:
        signed = until(lambda vid=vid: httpx.post(f"{url}/activities/{activity}/signups", json={"volunteer_id": vid}, headers=organizer, timeout=10), lambda r: r.status_code == 201)
        assert signed.status_code == 201 and signed.json()["status"] == "confirmed", signed.text
    # 王小明 served 101 hours over five days (one star); 李小红 two hours.
    sessions = {people[0]: (start, start + timedelta(hours=101)), people[1]: (start + timedelta(hours=1), start + timedelta(hours=3))}
    for vid, (came, left) in sessions.items():
        assert httpx.post(f"{url}/activities/{activity}/checkins", json={"volunteer_id": vid, "at": came.isoformat()}, headers=organizer, timeout=10).status_code == 200
        assert httpx.post(f"{url}/activities/{activity}/checkouts", json={"volunteer_id": vid, "at": left.isoformat()}, headers=organizer, timeout=10).status_code == 200
    confirmed = httpx.post(f"{url}/activities/{activity}/hours", json={"records": [{"volunteer_id": v} for v in people]}, headers=organizer, timeout=10)
    assert confirmed.status_code == 201, confirmed.text
    records = {r["volunteer_id"]: r for r in confirmed.json()["records"]}
    assert records[people[0]]["minutes"] == 101 * 60 and records[people[1]]["minutes"] == 120

    me = _token(system, "volunteer", volunteer=people[0])
    recognition = until(
        lambda: httpx.get(f"{url}/volunteers/{people[0]}/recognition", headers=me, timeout=5),
        lambda r: r.status_code == 200 and r.json()["total_minutes"] == 101 * 60,
    )
    assert recognition.json()["star_level"] == 1 and recognition.json()["next_level_minutes"] == 199 * 60

    corrected = httpx.post(f"{url}/records/{records[people[0]]['record_id']}/corrections", json={"minutes": 90 * 60, "reason": "扣除休息时间"}, headers=organizer, timeout=10)
    assert corrected.status_code == 200, corrected.text
    lowered = until(
        lambda: httpx.get(f"{url}/volunteers/{people[0]}/recognition", headers=me, timeout=5),
        lambda r: r.json().get("total_minutes") == 90 * 60,
    )
    assert lowered.json()["star_level"] == 0
    shown = httpx.get(f"{url}/volunteers/{people[0]}/records", headers=me, timeout=5).json()["items"][0]
    assert shown["minutes"] == 90 * 60 and shown["original_minutes"] == 101 * 60 and shown["backfilled"] is True
    assert [h["change"] for h in shown["history"]] == ["logged", "corrected"]

    # The certificate follows the corrected amount; anyone can verify it by its code.
    certificate = httpx.get(f"{url}/volunteers/{people[0]}/certificate?format=json", headers=me, timeout=20)
    assert certificate.status_code == 200, certificate.text
    issued = certificate.json()
    assert issued["status"] == "valid" and issued["certificate"]["service"]["total_minutes"] == 90 * 60
    code = issued["code"]
    verified = httpx.get(f"{url}/certificates/{code}", timeout=10)
    assert verified.status_code == 200 and verified.json()["status"] == "valid", verified.text
    assert "王小明" not in verified.text and "王*明" in verified.text
    pdf = httpx.get(f"{url}/volunteers/{people[0]}/certificate", headers=me, timeout=20)
    assert pdf.headers["content-type"].startswith("application/pdf") and pdf.content.startswith(b"%PDF")
    assert httpx.get(f"{url}/certificates/ZZZZ-ZZZZ-ZZZZ", timeout=10).status_code == 404

    completed = httpx.post(f"{url}/activities/{activity}/complete", json={"summary": "服务老人40位", "people_served": 40}, headers=organizer, timeout=10)
    assert completed.status_code == 200 and completed.json()["participants"] == 2, completed.text
    stats = until(
        lambda: httpx.get(f"{url}/districts/110105/stats", headers=chaoyang, timeout=5),
        lambda r: r.status_code == 200 and r.json()["people_served"] >= 40,
    ).json()
    assert stats["minutes"] >= 90 * 60 + 120 and stats["teams"] >= 1 and stats["coverage"]["resident_population"] == 3452460

    async def star_events() -> list[tuple[str, int]]:
        assert system.install is not None
        nc = await nats.connect(system.install.nats_url, user="operator", password=system.install.passwords["operator"])
        try:
            consumer = await nc.jetstream().subscribe("zy.recognition.>", ordered_consumer=True)
            found = []
            while True:
                try:
                    msg = await consumer.next_msg(timeout=2)
                except (TimeoutError, nats.errors.TimeoutError):
                    return found
                event = json.loads(msg.data)
                if event["subject"] == people[0]:
                    found.append((event["type"], event["data"]["level"]))
        finally:
            await nc.close()

    assert asyncio.run(star_events()) == [
        ("zhiyuan.recognition.StarLevelAttained.v1", 1),
        ("zhiyuan.recognition.StarLevelLowered.v1", 0),
    ]
