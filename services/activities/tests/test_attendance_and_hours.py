"""Attendance and the hours ledger: every invariant refused precisely, nothing stored by a refusal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from zhiyuan_activities.application.activities import ActivityHandlers, close_missed_check_outs_everywhere
from zhiyuan_activities.config import ActivitiesSettings
from zhiyuan_activities.domain.rules import MISSED_CHECK_OUT_GRACE
from zhiyuan_platform.tables import events, outbox

from .conftest import DISTRICT_ADMIN, ORGANIZER, OTHER_ORGANIZER, START, Activities, volunteer


async def _activity_with(acts: Activities, n: int = 1, hours: int = 3, capacity: int = 10, **extra: object) -> tuple[str, list[str]]:
    activity = await acts.publish(slots=[(timedelta(days=1), timedelta(days=1, hours=hours), capacity)], **extra)
    people = [await acts.volunteer() for _ in range(n)]
    for v in people:
        assert (await acts.call("SignUp", {"activity_id": activity}, volunteer(v))).ok
    acts.clock.advance(days=1)  # the slot starts now
    return activity, people


async def _attend(acts: Activities, activity: str, v: str, minutes: int) -> None:
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    acts.clock.advance(minutes=minutes)
    assert (await acts.call("CheckOut", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok


async def _count(acts: Activities) -> tuple[int, int]:
    async with acts.host.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)) or 0), int(await conn.scalar(select(func.count()).select_from(outbox)) or 0)


async def test_check_in_by_rotating_code_and_by_roster(acts: Activities) -> None:
    activity, (a, b) = await _activity_with(acts, 2)
    code = (await acts.call("AttendanceCode", {"activity_id": activity}, ORGANIZER)).result["code"]
    assert (await acts.call("CheckIn", {"activity_id": activity, "code": code}, volunteer(a))).result["method"] == "code"
    wrong = await acts.call("CheckIn", {"activity_id": activity, "code": "000000" if code != "000000" else "111111"}, volunteer(b))
    assert wrong.status == 422 and wrong.problem["errors"][0]["field"] == "code"
    acts.clock.advance(minutes=3)  # the code has rotated twice: it no longer works
    assert (await acts.call("CheckIn", {"activity_id": activity, "code": code}, volunteer(b))).status == 422
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": b}, ORGANIZER)).result["method"] == "roster"
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": b}, OTHER_ORGANIZER)).status == 403
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": b}, volunteer(b))).status == 403


async def test_at_most_three_pairs_a_day_and_missed_check_outs_are_closed_and_flagged(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1, hours=10)
    for _ in range(3):
        await _attend(acts, activity, v, 30)
        acts.clock.advance(minutes=10)
    fourth = await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)
    assert fourth.status == 409 and fourth.problem["type"].endswith("too-many-pairs")
    other, (w,) = await _activity_with(acts, 1, hours=2)
    assert (await acts.call("CheckIn", {"activity_id": other, "volunteer_id": w}, ORGANIZER)).ok
    acts.clock.advance(hours=3)
    closed = await acts.call("CloseMissedCheckOuts", {"activity_id": other}, ORGANIZER)
    assert closed.result["closed"] == [w]
    roster = (await acts.call("Roster", {"activity_id": other}, ORGANIZER)).result["items"][0]
    assert roster["flagged"] is True and roster["attendance"][0]["auto_closed"] is True


def _handlers(acts: Activities) -> ActivityHandlers:
    return acts.host.commands["CloseMissedCheckOuts"].__self__  # type: ignore[attr-defined, no-any-return]


async def test_the_sweep_closes_missed_check_outs_without_anyone_asking(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1, hours=2)
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    handlers = _handlers(acts)
    assert handlers.sweep_grace == MISSED_CHECK_OUT_GRACE == timedelta(hours=2)
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == []  # the slot has not ended
    acts.clock.advance(hours=3)
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == []  # ended an hour ago: within the grace
    acts.clock.advance(hours=1)
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == [activity]
    roster = (await acts.call("Roster", {"activity_id": activity}, ORGANIZER)).result["items"][0]
    assert roster["flagged"] is True
    assert roster["attendance"][0]["checked_out"] == (START + timedelta(days=1, hours=2)).isoformat()  # at the slot's end
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == []


async def _backfilled(acts: Activities, people: int, *, days_ago: int = 3, hours: int = 2) -> tuple[str, list[str], datetime]:
    start = acts.clock.now - timedelta(days=days_ago)
    body = {
        "team_id": "team-chaoyang-1", "title": "学雷锋日清洁", "service_kind": "sanitation", "target_group": "residents",
        "place": "社区", "community": "110105001026", "reason": "系统故障当日未能发布",
        "slots": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat(), "capacity": 10}],
    }
    activity = (await acts.call("RequestBackfill", body, ORGANIZER)).result["activity_id"]
    assert (await acts.call("DecideBackfill", {"activity_id": activity, "approve": True}, DISTRICT_ADMIN)).ok
    volunteers = [await acts.volunteer() for _ in range(people)]
    for v in volunteers:
        assert (await acts.call("SignUp", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    return activity, volunteers, start


async def test_the_sweep_leaves_a_back_filled_check_in_for_its_check_out_to_arrive(acts: Activities) -> None:
    activity, (on_time, forgot), start = await _backfilled(acts, 2)
    for v in (on_time, forgot):
        assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v, "at": start.isoformat()}, ORGANIZER)).ok
    handlers = _handlers(acts)
    # The slot ended three days ago, but these check-ins were entered just now.
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == []
    acts.clock.advance(minutes=10)
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == []
    back = {"activity_id": activity, "volunteer_id": on_time, "at": (start + timedelta(minutes=95)).isoformat()}
    assert (await acts.call("CheckOut", back, ORGANIZER)).ok
    acts.clock.advance(hours=2)  # the grace after the check-ins were entered is over
    assert await close_missed_check_outs_everywhere(acts.host, handlers) == [activity]
    roster = {r["volunteer_id"]: r for r in (await acts.call("Roster", {"activity_id": activity}, ORGANIZER)).result["items"]}
    assert roster[on_time]["flagged"] is False
    assert roster[on_time]["attendance"][0]["checked_out"] == (start + timedelta(minutes=95)).isoformat()
    assert roster[forgot]["flagged"] is True
    assert roster[forgot]["attendance"][0]["checked_out"] == (start + timedelta(hours=2)).isoformat()
    confirmed = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": on_time}]}, ORGANIZER)
    assert confirmed.result["records"][0]["minutes"] == 95


async def test_the_sweeps_grace_is_configurable(acts: Activities, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIYUAN_MISSED_CHECK_OUT_GRACE_MINUTES", "0")
    assert ActivitiesSettings().missed_check_out_grace() == timedelta(0)
    activity, (v,) = await _activity_with(acts, 1, hours=2)
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    acts.clock.advance(hours=2)
    assert await close_missed_check_outs_everywhere(acts.host, _handlers(acts)) == []
    no_grace = ActivityHandlers(acts.codes, ActivitiesSettings().missed_check_out_grace())
    assert await close_missed_check_outs_everywhere(acts.host, no_grace) == [activity]


async def test_hours_from_attendance_under_the_rounding_policy(acts: Activities) -> None:
    activity, (a, b) = await _activity_with(acts, 2)
    await _attend(acts, activity, a, 100)
    await _attend(acts, activity, b, 80)
    exact = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": a}]}, ORGANIZER)
    assert exact.result["records"][0]["minutes"] == 100 and exact.result["policy_version"] == "exact.v1"
    chongqing = await acts.call("ConfirmHours", {"activity_id": activity, "policy": "chongqing-15-45.v1", "records": [{"volunteer_id": b}]}, ORGANIZER)
    assert chongqing.result["records"][0]["minutes"] == 90  # 1 h 20 min → 1.5 h under 志愿山城's bands
    records = (await acts.call("VolunteerRecords", {"volunteer_id": b}, volunteer(b))).result
    assert records["items"][0]["policy_version"] == "chongqing-15-45.v1" and records["total_minutes"] == 90


async def test_every_invariant_is_refused_and_stores_nothing(acts: Activities) -> None:
    activity, (attended, absent) = await _activity_with(acts, 2)
    await _attend(acts, activity, attended, 60)
    before = await _count(acts)
    start = acts.clock.now - timedelta(minutes=60)
    cases = {
        "did-not-attend": [{"volunteer_id": absent, "minutes": 30}],
        "minutes-beyond-attendance": [{"volunteer_id": attended, "minutes": 61}],
        "in-the-future": [{"volunteer_id": attended, "started_at": start.isoformat(), "ended_at": (acts.clock.now + timedelta(hours=1)).isoformat()}],
        "no-minutes": [{"volunteer_id": attended, "minutes": 0}],
        "invalid-request": [{"volunteer_id": attended, "minutes": 30.5}],
    }
    for rule, records in cases.items():
        answer = await acts.call("ConfirmHours", {"activity_id": activity, "records": records}, ORGANIZER)
        assert not answer.ok and answer.problem["type"].endswith(rule), (rule, answer.problem)
        assert answer.problem.get("errors"), answer.problem
    negative = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": attended, "minutes": -5}]}, ORGANIZER)
    assert negative.status == 422
    # One bad record refuses the whole batch.
    mixed = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": attended}, {"volunteer_id": absent}]}, ORGANIZER)
    assert mixed.status == 422 and mixed.problem["errors"][0]["field"] == "records[1].volunteer_id"
    assert await _count(acts) == before
    assert (await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": attended}]}, OTHER_ORGANIZER)).status == 403


async def test_no_overlapping_records_for_one_volunteer_across_activities(acts: Activities) -> None:
    first = await acts.publish(slots=[(timedelta(days=1), timedelta(days=1, hours=3), 5)])
    v = await acts.volunteer()
    await acts.call("SignUp", {"activity_id": first}, volunteer(v))
    acts.clock.advance(days=1)
    await _attend(acts, first, v, 120)
    assert (await acts.call("ConfirmHours", {"activity_id": first, "records": [{"volunteer_id": v}]}, ORGANIZER)).ok
    again = await acts.call("ConfirmHours", {"activity_id": first, "records": [{"volunteer_id": v}]}, ORGANIZER)
    assert again.status == 409 and again.problem["type"].endswith("overlapping-service")


async def test_records_of_one_volunteer_in_one_batch_may_not_overlap_each_other(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1)
    start = acts.clock.now
    await _attend(acts, activity, v, 120)
    before = await _count(acts)
    first = {"volunteer_id": v, "started_at": start.isoformat(), "ended_at": (start + timedelta(minutes=70)).isoformat()}
    second = {"volunteer_id": v, "started_at": (start + timedelta(minutes=60)).isoformat(), "ended_at": (start + timedelta(minutes=120)).isoformat()}
    answer = await acts.call("ConfirmHours", {"activity_id": activity, "records": [first, second]}, ORGANIZER)
    assert answer.status == 409 and answer.problem["type"].endswith("overlapping-service")
    assert answer.problem["errors"][0]["field"] == "records[1].started_at"
    assert await _count(acts) == before
    second["started_at"] = (start + timedelta(minutes=70)).isoformat()
    split = await acts.call("ConfirmHours", {"activity_id": activity, "records": [first, second]}, ORGANIZER)
    assert [r["minutes"] for r in split.result["records"]] == [70, 50]


async def test_two_records_of_one_volunteer_in_one_batch_count_once_toward_the_days_24_hours(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1, hours=15)  # 08:00–23:00 in Beijing
    morning = acts.clock.now
    await _attend(acts, activity, v, 700)
    acts.clock.advance(minutes=20)
    evening = acts.clock.now
    await _attend(acts, activity, v, 150)
    records = [
        {"volunteer_id": v, "started_at": morning.isoformat(), "ended_at": (morning + timedelta(minutes=700)).isoformat()},
        {"volunteer_id": v, "started_at": evening.isoformat(), "ended_at": (evening + timedelta(minutes=150)).isoformat()},
    ]
    answer = await acts.call("ConfirmHours", {"activity_id": activity, "records": records}, ORGANIZER)
    assert answer.ok, answer.problem
    assert (await acts.call("VolunteerRecords", {"volunteer_id": v}, volunteer(v))).result["total_minutes"] == 850


async def test_a_batch_of_many_records_stores_each_record_its_history_and_its_event_in_order(acts: Activities) -> None:
    activity, people = await _activity_with(acts, 30, capacity=30)
    for v in people:
        assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    acts.clock.advance(minutes=90)
    for v in people:
        assert (await acts.call("CheckOut", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    answer = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": v} for v in people]}, ORGANIZER)
    assert [(r["volunteer_id"], r["minutes"]) for r in answer.result["records"]] == [(v, 90) for v in people]
    for v, sent in zip(people, answer.result["records"], strict=True):
        shown = (await acts.call("VolunteerRecords", {"volunteer_id": v}, volunteer(v))).result
        assert [(r["record_id"], r["minutes"], [h["change"] for h in r["history"]]) for r in shown["items"]] == [(sent["record_id"], 90, ["logged"])]
    async with acts.host.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.subject, outbox.c.body).order_by(outbox.c.id))).all()
    logged = [row for row in rows if row.subject.endswith(".HoursLogged")]
    assert [json.loads(row.body)["data"]["record_id"] for row in logged] == [r["record_id"] for r in answer.result["records"]]
    again = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": people[7]}]}, ORGANIZER)
    assert again.status == 409 and again.problem["errors"][0]["field"] == "records[0].started_at"


async def test_corrections_revocations_and_disputes_are_new_events(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1)
    await _attend(acts, activity, v, 120)
    record_id = (await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": v, "minutes": 90}]}, ORGANIZER)).result["records"][0]["record_id"]
    disputed = await acts.call("DisputeRecord", {"record_id": record_id, "reason": "我服务了两个小时", "claimed_minutes": 120}, volunteer(v))
    assert disputed.result["dispute_no"] == 1
    assert (await acts.call("DisputeRecord", {"record_id": record_id, "reason": "再提一次"}, volunteer(v))).status == 409
    assert (await acts.call("DisputeRecord", {"record_id": record_id, "reason": "不是我的"}, volunteer("someone"))).status == 403
    queue = await acts.call("TeamDisputes", {"team_id": "team-chaoyang-1"}, ORGANIZER)
    assert [d["status"] for d in queue.result["items"]] == ["open"]
    accepted = await acts.call("ResolveDispute", {"record_id": record_id, "dispute_no": 1, "accept": True, "minutes": 120, "note": "核实签到记录"}, ORGANIZER)
    assert accepted.result["minutes"] == 120
    await acts.call("DisputeRecord", {"record_id": record_id, "reason": "还想再核"}, volunteer(v))
    rejected = await acts.call("ResolveDispute", {"record_id": record_id, "dispute_no": 2, "accept": False, "note": "与签到一致"}, ORGANIZER)
    assert rejected.result == {"record_id": record_id, "dispute_no": 2, "status": "rejected", "minutes": 120}
    corrected = await acts.call("CorrectRecord", {"record_id": record_id, "minutes": 100, "reason": "扣除路途时间"}, ORGANIZER)
    assert corrected.result["previous_minutes"] == 120
    assert (await acts.call("CorrectRecord", {"record_id": record_id, "minutes": 500, "reason": "多算"}, ORGANIZER)).status == 422
    revoked = await acts.call("CorrectRecord", {"record_id": record_id, "minutes": 0, "reason": "经核实未参加"}, ORGANIZER)
    assert revoked.result["revoked"] is True
    assert (await acts.call("CorrectRecord", {"record_id": record_id, "minutes": 30, "reason": "恢复"}, ORGANIZER)).status == 409
    shown = (await acts.call("VolunteerRecords", {"volunteer_id": v}, volunteer(v))).result
    assert shown["total_minutes"] == 0
    history = [h["change"] for h in shown["items"][0]["history"]]
    assert history == ["logged", "disputed", "corrected", "dispute_accepted", "disputed", "dispute_rejected", "corrected", "revoked"]
    async with acts.host.engine.connect() as conn:
        subjects = [r.subject for r in await conn.execute(select(outbox.c.subject).order_by(outbox.c.id))]
    assert subjects[-4:] == [
        "zy.activities.110105.HoursLogged", "zy.activities.110105.HoursCorrected",
        "zy.activities.110105.HoursCorrected", "zy.activities.110105.HoursRevoked",
    ]


async def test_training_attendance_becomes_training_records_never_service_minutes(acts: Activities) -> None:
    activity, (v,) = await _activity_with(acts, 1, service_kind="training")
    await _attend(acts, activity, v, 90)
    confirmed = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": v}]}, ORGANIZER)
    assert confirmed.ok
    shown = (await acts.call("VolunteerRecords", {"volunteer_id": v}, volunteer(v))).result
    assert shown["total_minutes"] == 0 and shown["training_minutes"] == 90
    async with acts.host.engine.connect() as conn:
        subjects = {r.subject for r in await conn.execute(select(outbox.c.subject))}
    assert "zy.activities.110105.TrainingRecorded" in subjects and "zy.activities.110105.HoursLogged" not in subjects


async def test_late_confirmations_are_allowed_but_flagged(acts: Activities) -> None:
    activity, (a, b) = await _activity_with(acts, 2)
    await _attend(acts, activity, a, 60)
    await _attend(acts, activity, b, 60)
    on_time = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": a}]}, ORGANIZER)
    assert on_time.result["late"] is False
    acts.clock.advance(days=20)  # more than 10 working days after the end
    late = await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": b}]}, ORGANIZER)
    assert late.result["late"] is True
    assert [r["late"] for r in (await acts.call("VolunteerRecords", {"volunteer_id": b}, volunteer(b))).result["items"]] == [True]


async def test_backfill_needs_a_reason_and_a_district_admins_approval(acts: Activities) -> None:
    now = acts.clock.now
    body = {"team_id": "team-chaoyang-1", "title": "学雷锋日清洁", "service_kind": "sanitation", "target_group": "residents", "place": "社区",
            "community": "110105001026", "slots": [{"starts_at": (now - timedelta(days=3)).isoformat(), "ends_at": (now - timedelta(days=3) + timedelta(hours=2)).isoformat(), "capacity": 5}]}
    assert (await acts.call("RequestBackfill", body, ORGANIZER)).status == 422  # no reason
    requested = await acts.call("RequestBackfill", {**body, "reason": "系统故障当日未能发布"}, ORGANIZER)
    activity = requested.result["activity_id"]
    assert (await acts.call("DecideBackfill", {"activity_id": activity, "approve": True}, ORGANIZER)).status == 403
    assert (await acts.call("DecideBackfill", {"activity_id": activity, "approve": True}, DISTRICT_ADMIN)).result["status"] == "published"
    v = await acts.volunteer()
    assert (await acts.call("SignUp", {"activity_id": activity, "volunteer_id": v}, ORGANIZER)).ok
    start = now - timedelta(days=3)
    assert (await acts.call("CheckIn", {"activity_id": activity, "volunteer_id": v, "at": start.isoformat()}, ORGANIZER)).ok
    assert (await acts.call("CheckOut", {"activity_id": activity, "volunteer_id": v, "at": (start + timedelta(hours=2)).isoformat()}, ORGANIZER)).ok
    assert (await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": v}]}, ORGANIZER)).ok
    record = (await acts.call("VolunteerRecords", {"volunteer_id": v}, volunteer(v))).result["items"][0]
    assert record["backfilled"] is True and record["minutes"] == 120


async def test_completing_records_the_summary(acts: Activities) -> None:
    activity, (a, b, _absent) = await _activity_with(acts, 3)
    await _attend(acts, activity, a, 60)
    await _attend(acts, activity, b, 45)
    await acts.call("ConfirmHours", {"activity_id": activity, "records": [{"volunteer_id": a}, {"volunteer_id": b}]}, ORGANIZER)
    early = await acts.call("CompleteActivity", {"activity_id": activity, "summary": "服务老人12户", "people_served": 12}, ORGANIZER)
    assert early.status == 409
    acts.clock.advance(hours=3)
    done = await acts.call("CompleteActivity", {"activity_id": activity, "summary": "服务老人12户", "people_served": 12}, ORGANIZER)
    assert done.result == {"activity_id": activity, "participants": 2, "total_minutes": 105, "people_served": 12}
    detail = (await acts.call("GetActivity", {"activity_id": activity})).result
    assert detail["status"] == "completed" and detail["people_served"] == 12
