"""Sign-up: capacity, the FIFO waitlist, overlaps, who may sign up — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from zhiyuan_platform.tables import events, outbox

from .conftest import DISTRICT_ADMIN, ORGANIZER, OTHER_ORGANIZER, Activities, volunteer


async def test_capacity_and_fifo_waitlist_with_promotion(acts: Activities) -> None:
    activity = await acts.publish(slots=[(timedelta(days=1), timedelta(days=1, hours=2), 2)])
    people = [await acts.volunteer() for _ in range(5)]
    answers = [await acts.call("SignUp", {"activity_id": activity}, volunteer(v)) for v in people]
    assert [a.result["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a.result.get("position") for a in answers[2:]] == [1, 2, 3]
    cancelled = await acts.call("CancelSignUp", {"activity_id": activity}, volunteer(people[0]))
    assert cancelled.result["promoted"] == [people[2]]
    mine = await acts.call("GetActivity", {"activity_id": activity}, volunteer(people[4]))
    assert mine.result["my_signup"] == {"slot": 0, "status": "waitlisted", "position": 2}
    raised = await acts.call("ChangeCapacity", {"activity_id": activity, "slot": 0, "capacity": 4}, ORGANIZER)
    assert raised.result["confirmed"] == 4 and raised.result["waitlisted"] == 0
    lowered = await acts.call("ChangeCapacity", {"activity_id": activity, "slot": 0, "capacity": 3}, ORGANIZER)
    assert lowered.status == 409 and lowered.problem["type"].endswith("capacity-below-confirmed")
    roster = await acts.call("Roster", {"activity_id": activity}, ORGANIZER)
    assert [i["volunteer_id"] for i in roster.result["items"] if i["status"] == "confirmed"] == people[1:]


@pytest.mark.postgres
async def test_a_hundred_simultaneous_sign_ups_for_ten_places(acts: Activities, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the concurrency claim is made for PostgreSQL; SQLite serializes every write anyway")
    activity = await acts.publish(slots=[(timedelta(days=1), timedelta(days=1, hours=2), 10)])
    people = [await acts.volunteer() for _ in range(100)]

    async def sign_up(i: int):  # type: ignore[no-untyped-def]
        await asyncio.sleep(i * 0.004)  # arrival order = i
        return await acts.call("SignUp", {"activity_id": activity}, volunteer(people[i]))

    answers = await asyncio.gather(*(sign_up(i) for i in range(100)))
    assert all(a.ok for a in answers), [a.problem for a in answers if not a.ok][:3]
    confirmed = [i for i, a in enumerate(answers) if a.result["status"] == "confirmed"]
    waitlisted = sorted((a.result["position"], i) for i, a in enumerate(answers) if a.result["status"] == "waitlisted")
    assert len(confirmed) == 10 and len(waitlisted) == 90
    assert confirmed == list(range(10))
    assert [i for _, i in waitlisted] == list(range(10, 100))
    assert [p for p, _ in waitlisted] == list(range(1, 91))
    detail = await acts.call("GetActivity", {"activity_id": activity})
    assert detail.result["slots"][0]["confirmed"] == 10 and detail.result["slots"][0]["waitlisted"] == 90


async def test_a_volunteer_cannot_hold_overlapping_sign_ups(acts: Activities) -> None:
    first = await acts.publish(slots=[(timedelta(days=1), timedelta(days=1, hours=3), 5)])
    overlapping = await acts.publish(slots=[(timedelta(days=1, hours=2), timedelta(days=1, hours=4), 5)])
    after = await acts.publish(slots=[(timedelta(days=1, hours=3), timedelta(days=1, hours=5), 5)])
    v = await acts.volunteer()
    assert (await acts.call("SignUp", {"activity_id": first}, volunteer(v))).ok
    clash = await acts.call("SignUp", {"activity_id": overlapping}, volunteer(v))
    assert clash.status == 409 and clash.problem["type"].endswith("overlapping-sign-up")
    assert (await acts.call("SignUp", {"activity_id": after}, volunteer(v))).ok  # touching is not overlapping
    # Cancelling the first frees its time, but 2h–4h still overlaps the later 3h–5h sign-up.
    await acts.call("CancelSignUp", {"activity_id": first}, volunteer(v))
    assert (await acts.call("SignUp", {"activity_id": overlapping}, volunteer(v))).status == 409
    await acts.call("CancelSignUp", {"activity_id": after}, volunteer(v))
    assert (await acts.call("SignUp", {"activity_id": overlapping}, volunteer(v))).ok


async def test_who_may_sign_up(acts: Activities) -> None:
    activity = await acts.publish()
    minor = await acts.volunteer(minor=True)
    assert (await acts.call("SignUp", {"activity_id": activity}, volunteer(minor))).problem["type"].endswith("minors-not-allowed")
    open_to_minors = await acts.publish(allows_minors=True)
    assert (await acts.call("SignUp", {"activity_id": open_to_minors}, volunteer(minor))).ok
    suspended = await acts.volunteer()
    await acts.registry_event("VolunteerSuspended", {"volunteer_id": suspended, "reason": "核查"})
    assert (await acts.call("SignUp", {"activity_id": activity}, volunteer(suspended))).problem["type"].endswith("volunteer-not-active")
    unknown = await acts.call("SignUp", {"activity_id": activity}, volunteer("nobody"))
    assert unknown.status == 409 and unknown.problem["type"].endswith("volunteer-not-known")
    team_only = await acts.publish(recruitment="team")
    outsider, member = await acts.volunteer(), await acts.volunteer(team="team-chaoyang-1")
    assert (await acts.call("SignUp", {"activity_id": team_only}, volunteer(outsider))).problem["type"].endswith("team-only")
    assert (await acts.call("SignUp", {"activity_id": team_only}, volunteer(member))).ok
    # Another volunteer cannot sign someone up; the team's organizer can, another team's cannot.
    someone = await acts.volunteer()
    assert (await acts.call("SignUp", {"activity_id": activity, "volunteer_id": someone}, volunteer(outsider))).status == 403
    assert (await acts.call("SignUp", {"activity_id": activity, "volunteer_id": someone}, OTHER_ORGANIZER)).status == 403
    assert (await acts.call("SignUp", {"activity_id": activity, "volunteer_id": someone}, ORGANIZER)).ok


async def test_insurance_gate(acts: Activities) -> None:
    risky = await acts.publish(service_kind="emergency_rescue", needs_insurance=True)
    v = await acts.volunteer()
    refused = await acts.call("SignUp", {"activity_id": risky}, volunteer(v))
    assert refused.status == 409 and refused.problem["type"].endswith("insurance-required")
    assert (await acts.call("RecordInsurance", {"activity_id": risky, "policy_no": "PA-2026-001", "insurer": "人保财险"}, ORGANIZER)).ok
    assert (await acts.call("SignUp", {"activity_id": risky}, volunteer(v))).ok


async def test_publishing_rules_and_roles(acts: Activities) -> None:
    now = acts.clock.now
    base = {"team_id": "team-chaoyang-1", "title": "交通文明劝导", "service_kind": "civility_persuasion", "target_group": "public", "place": "路口", "community": "110105001026"}
    past = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": (now - timedelta(hours=2)).isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat(), "capacity": 3}]}, ORGANIZER)
    assert past.status == 422 and past.problem["type"].endswith("starts-in-the-past")
    long = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=400)).isoformat(), "capacity": 3}]}, ORGANIZER)
    assert long.problem["type"].endswith("longer-than-a-year")
    meeting = await acts.call("PublishActivity", {**base, "service_kind": "meeting", "slots": [{"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=1, hours=1)).isoformat(), "capacity": 3}]}, ORGANIZER)
    assert meeting.status == 422 and meeting.problem["type"].endswith("not-volunteer-service")
    naive = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": "2026-03-02T08:00:00", "ends_at": "2026-03-02T10:00:00", "capacity": 3}]}, ORGANIZER)
    assert naive.status == 422 and naive.problem["errors"][0]["field"].startswith("slots.0")
    float_cap = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=1, hours=1)).isoformat(), "capacity": 2.5}]}, ORGANIZER)
    assert float_cap.status == 422
    other_team = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=1, hours=1)).isoformat(), "capacity": 3}]}, OTHER_ORGANIZER)
    assert other_team.status == 403
    admin = await acts.call("PublishActivity", {**base, "slots": [{"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=1, hours=1)).isoformat(), "capacity": 3}]}, DISTRICT_ADMIN)
    assert admin.ok
    async with acts.host.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(events)) == 1  # only the admin's activity
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 1


async def test_times_are_utc_and_shown_in_shanghai_across_midnight(acts: Activities) -> None:
    # 22:00–02:00 Beijing time is 14:00–18:00 UTC.
    starts = acts.clock.now.replace(hour=14) + timedelta(days=1)
    body = {"team_id": "team-chaoyang-1", "title": "夜间巡逻", "service_kind": "patrol", "target_group": "residents", "place": "社区",
            "community": "110105001026", "slots": [{"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(), "capacity": 2}]}
    created = await acts.call("PublishActivity", body, ORGANIZER)
    detail = (await acts.call("GetActivity", {"activity_id": created.result["activity_id"]})).result
    slot = detail["slots"][0]
    assert slot["starts_at"] == "2026-03-02T14:00:00Z" and slot["ends_at"] == "2026-03-02T18:00:00Z"
    assert slot["starts_at_local"] == "2026-03-02T22:00:00+08:00" and slot["ends_at_local"] == "2026-03-03T02:00:00+08:00"
    # The same instant given with +08:00 is stored identically.
    local = {**body, "slots": [{"starts_at": "2026-03-03T22:00:00+08:00", "ends_at": "2026-03-04T02:00:00+08:00", "capacity": 2}]}
    again = await acts.call("PublishActivity", local, ORGANIZER)
    assert (await acts.call("GetActivity", {"activity_id": again.result["activity_id"]})).result["slots"][0]["starts_at"] == "2026-03-03T14:00:00Z"


async def test_cancelling_an_activity_releases_sign_ups_and_tells_through_the_event(acts: Activities) -> None:
    activity = await acts.publish()
    people = [await acts.volunteer() for _ in range(3)]
    for v in people:
        await acts.call("SignUp", {"activity_id": activity}, volunteer(v))
    cancelled = await acts.call("CancelActivity", {"activity_id": activity, "reason": "暴雨预警"}, ORGANIZER)
    assert sorted(cancelled.result["released"]) == sorted(people)
    mine = await acts.call("VolunteerSignUps", {"volunteer_id": people[0]}, volunteer(people[0]))
    assert mine.result["items"][0]["status"] == "released"
    assert (await acts.call("SignUp", {"activity_id": activity}, volunteer(await acts.volunteer()))).status == 409
    async with acts.host.engine.connect() as conn:
        subjects = [r.subject for r in await conn.execute(select(outbox.c.subject).order_by(outbox.c.id))]
    assert subjects[-1] == "zy.activities.110105.ActivityCancelled"
