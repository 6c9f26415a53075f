"""Service records: logged within attendance, corrected by new events, disputed by their volunteer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyuan_activities.domain.rules import RuleBroken
from zhiyuan_activities.domain.service_record import (
    DisputeResolved,
    HoursCorrected,
    HoursDisputed,
    HoursLogged,
    HoursRevoked,
    ServiceRecord,
    TrainingRecorded,
)

NOW = datetime(2030, 5, 11, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def logged(minutes: int = 180, attended: int = 200) -> HoursLogged:
    return HoursLogged(
        record_id="rec-1",
        volunteer_id="v1",
        activity_id="act-1",
        team_id="team-1",
        district="110105",
        community="110105001001",
        minutes=minutes,
        attended_minutes=attended,
        started_at="2030-05-10T01:00:00+00:00",
        ended_at="2030-05-10T05:00:00+00:00",
        place="朝阳区某社区",
        target_group="elderly_alone",
        service_kind="sanitation",
        logged_by="org-1",
        policy_version="exact.v1",
        backfilled=False,
        late=False,
        at=NOW.isoformat(),
    )


def record(minutes: int = 180, attended: int = 200) -> ServiceRecord:
    return ServiceRecord.log(logged(minutes, attended))


def training() -> ServiceRecord:
    return ServiceRecord.log_training(
        TrainingRecorded(
            record_id="rec-t",
            volunteer_id="v1",
            activity_id="act-t",
            team_id="team-1",
            district="110105",
            minutes=120,
            started_at="2030-05-10T01:00:00+00:00",
            ended_at="2030-05-10T03:00:00+00:00",
            title="急救培训",
            logged_by="org-1",
            at=NOW.isoformat(),
        )
    )


def refused(rule: str, call: Any, *args: Any, **kwargs: Any) -> RuleBroken:
    with pytest.raises(RuleBroken) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value
    return caught.value


def state(rec: ServiceRecord) -> dict[str, Any]:
    return {
        "data": rec.data,
        "minutes": rec.minutes,
        "revoked": rec.revoked,
        "training": rec.training,
        "open_dispute": rec.open_dispute,
        "disputes": rec.disputes,
        "version": rec.version,
    }


def assert_replays_to_same_state(rec: ServiceRecord) -> None:
    replayed = ServiceRecord.rehydrate(rec.id, [(e.TYPE, e.to_data()) for e in rec.pending])
    assert state(replayed) == state(rec)


# -- logging -------------------------------------------------------------------------------------------


def test_logging_records_hours_logged_for_the_volunteer() -> None:
    rec = record(180, 200)
    assert [type(e) for e in rec.pending] == [HoursLogged]
    assert (rec.id, rec.volunteer_id, rec.activity_id, rec.district) == ("rec-1", "v1", "act-1", "110105")
    assert rec.minutes == 180
    assert_replays_to_same_state(rec)


def test_logged_minutes_may_equal_the_attended_minutes() -> None:
    assert record(200, 200).minutes == 200


@pytest.mark.parametrize("minutes", [201, 10_000, -1])
def test_logged_minutes_cannot_exceed_the_attended_minutes_or_be_negative(minutes: int) -> None:
    error = refused("minutes-beyond-attendance", ServiceRecord.log, logged(minutes, 200))
    assert error.field == "minutes"


def test_a_training_record_carries_no_service_minutes() -> None:
    rec = training()
    assert [type(e) for e in rec.pending] == [TrainingRecorded]
    assert rec.training is True
    assert rec.minutes == 0
    assert_replays_to_same_state(rec)


# -- corrections ------------------------------------------------------------------------------------------


def test_a_correction_with_a_reason_records_hours_corrected_with_the_previous_minutes() -> None:
    rec = record(180, 200)
    rec.correct(minutes=150, reason="中途离开30分钟", by="org-1", now=LATER)
    event = rec.pending[-1]
    assert isinstance(event, HoursCorrected)
    assert (event.minutes, event.previous_minutes, event.reason, event.by) == (
        150,
        180,
        "中途离开30分钟",
        "org-1",
    )
    assert rec.minutes == 150
    rec.correct(minutes=200, reason="核实后补足", by="org-1", now=LATER)
    assert rec.pending[-1] == HoursCorrected(
        minutes=200, previous_minutes=150, reason="核实后补足", by="org-1", at=LATER.isoformat()
    )
    assert_replays_to_same_state(rec)


@pytest.mark.parametrize("reason", ["", "  ", "x"])
def test_a_correction_needs_a_reason(reason: str) -> None:
    rec = record()
    refused("reason-required", rec.correct, minutes=100, reason=reason, by="org-1", now=LATER)
    assert rec.minutes == 180


@pytest.mark.parametrize("minutes", [201, -5])
def test_a_correction_stays_within_the_attended_minutes(minutes: int) -> None:
    refused(
        "minutes-beyond-attendance",
        record(180, 200).correct,
        minutes=minutes,
        reason="核实",
        by="o",
        now=LATER,
    )


def test_a_correction_to_the_same_minutes_is_refused() -> None:
    refused("unchanged", record(180).correct, minutes=180, reason="核实", by="org-1", now=LATER)


def test_correcting_to_zero_revokes_the_record() -> None:
    rec = record(180)
    rec.correct(minutes=0, reason="未实际到场", by="org-1", now=LATER)
    event = rec.pending[-1]
    assert isinstance(event, HoursRevoked)
    assert event.previous_minutes == 180
    assert (rec.minutes, rec.revoked) == (0, True)
    assert_replays_to_same_state(rec)


def test_a_revoked_record_refuses_further_corrections_and_disputes() -> None:
    rec = record(180)
    rec.correct(minutes=0, reason="未实际到场", by="org-1", now=LATER)
    refused("revoked", rec.correct, minutes=60, reason="恢复", by="org-1", now=LATER)
    refused("revoked", rec.dispute, volunteer_id="v1", claimed_minutes=180, reason="我到场了", now=LATER)
    assert rec.version == 2


def test_a_training_record_refuses_corrections_and_disputes() -> None:
    rec = training()
    refused("training-record", rec.correct, minutes=60, reason="调整", by="org-1", now=LATER)
    refused("training-record", rec.dispute, volunteer_id="v1", claimed_minutes=60, reason="算服务", now=LATER)
    assert rec.version == 1


# -- disputes ------------------------------------------------------------------------------------------------


def test_only_the_records_volunteer_can_dispute_it() -> None:
    rec = record()
    error = refused(
        "not-your-record", rec.dispute, volunteer_id="v2", claimed_minutes=200, reason="少算了", now=LATER
    )
    assert error.status == 403
    number = rec.dispute(volunteer_id="v1", claimed_minutes=200, reason="少算了20分钟", now=LATER)
    assert number == 1
    event = rec.pending[-1]
    assert isinstance(event, HoursDisputed)
    assert (event.dispute_no, event.claimed_minutes, event.by) == (1, 200, "v1")
    assert rec.open_dispute == 1


def test_only_one_dispute_is_open_at_a_time() -> None:
    rec = record()
    rec.dispute(volunteer_id="v1", claimed_minutes=200, reason="少算了", now=LATER)
    refused("dispute-open", rec.dispute, volunteer_id="v1", claimed_minutes=190, reason="再议", now=LATER)
    rec.resolve_dispute(accept=False, minutes=None, note="签到记录为准", by="org-1", now=LATER)
    assert rec.dispute(volunteer_id="v1", claimed_minutes=190, reason="再议", now=LATER) == 2


def test_a_dispute_needs_a_reason() -> None:
    refused(
        "reason-required", record().dispute, volunteer_id="v1", claimed_minutes=200, reason=" ", now=LATER
    )


def test_accepting_a_dispute_records_the_correction_then_the_resolution() -> None:
    rec = record(180, 200)
    rec.dispute(volunteer_id="v1", claimed_minutes=200, reason="少算了20分钟", now=LATER)
    rec.resolve_dispute(accept=True, minutes=200, note="核实签到属实", by="org-1", now=LATER)
    corrected, resolved = rec.pending[-2:]
    assert isinstance(corrected, HoursCorrected)
    assert (corrected.minutes, corrected.previous_minutes) == (200, 180)
    assert "核实签到属实" in corrected.reason
    assert isinstance(resolved, DisputeResolved)
    assert (resolved.dispute_no, resolved.accepted, resolved.by) == (1, True, "org-1")
    assert rec.minutes == 200
    assert rec.open_dispute is None
    assert_replays_to_same_state(rec)


def test_accepting_a_dispute_needs_the_corrected_minutes() -> None:
    rec = record()
    rec.dispute(volunteer_id="v1", claimed_minutes=None, reason="时长有误", now=LATER)
    refused(
        "minutes-required", rec.resolve_dispute, accept=True, minutes=None, note="同意", by="org-1", now=LATER
    )
    assert rec.open_dispute == 1


def test_accepting_a_dispute_with_minutes_beyond_attendance_changes_nothing() -> None:
    rec = record(180, 200)
    rec.dispute(volunteer_id="v1", claimed_minutes=300, reason="少算了", now=LATER)
    before = rec.version
    refused(
        "minutes-beyond-attendance",
        rec.resolve_dispute,
        accept=True,
        minutes=300,
        note="同意",
        by="o",
        now=LATER,
    )
    assert (rec.version, rec.minutes, rec.open_dispute) == (before, 180, 1)


def test_rejecting_a_dispute_keeps_the_minutes() -> None:
    rec = record(180, 200)
    rec.dispute(volunteer_id="v1", claimed_minutes=200, reason="少算了", now=LATER)
    rec.resolve_dispute(accept=False, minutes=200, note="以签到记录为准", by="org-1", now=LATER)
    resolved = rec.pending[-1]
    assert isinstance(resolved, DisputeResolved)
    assert resolved.accepted is False
    assert not any(isinstance(e, HoursCorrected) for e in rec.pending)
    assert rec.minutes == 180
    assert rec.open_dispute is None
    assert_replays_to_same_state(rec)


def test_resolving_needs_an_open_dispute_and_a_note() -> None:
    rec = record()
    refused(
        "no-open-dispute", rec.resolve_dispute, accept=False, minutes=None, note="无", by="org-1", now=LATER
    )
    rec.dispute(volunteer_id="v1", claimed_minutes=200, reason="少算了", now=LATER)
    refused("note-required", rec.resolve_dispute, accept=False, minutes=None, note="", by="org-1", now=LATER)


# -- replay --------------------------------------------------------------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("correct"), st.integers(min_value=-1, max_value=210)),
        st.tuples(st.just("dispute"), st.sampled_from(["v1", "v2"])),
        st.tuples(st.just("accept"), st.integers(min_value=0, max_value=210)),
        st.tuples(st.just("reject"), st.none()),
    ),
    max_size=20,
)


@settings(max_examples=100, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=200), operations=steps)
def test_replaying_the_recorded_events_rebuilds_the_same_record(
    minutes: int, operations: list[tuple[str, Any]]
) -> None:
    rec = record(minutes, 200)
    for name, value in operations:
        try:
            if name == "correct":
                rec.correct(minutes=value, reason="核实更正", by="org-1", now=LATER)
            elif name == "dispute":
                rec.dispute(volunteer_id=value, claimed_minutes=None, reason="有误", now=LATER)
            else:
                rec.resolve_dispute(
                    accept=name == "accept", minutes=value, note="已核实", by="org-1", now=LATER
                )
        except RuleBroken:
            pass
        assert 0 <= rec.minutes <= 200
        assert rec.revoked == (rec.minutes == 0 and any(isinstance(e, HoursRevoked) for e in rec.pending))
    assert_replays_to_same_state(rec)
