"""The activity aggregate: publishing, back-fill, the roster and its waitlist, attendance, the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from zhiyuan_activities.domain.activity import (
    Activity,
    ActivityCancelled,
    ActivityCompleted,
    ActivityPublished,
    ActivityUpdated,
    BackfillRejected,
    BackfillRequested,
    Candidate,
    SignUpCancelled,
    SignUpPromoted,
    Slot,
    SlotCapacityChanged,
    VolunteerCheckedIn,
    VolunteerCheckedOut,
    VolunteerSignedUp,
)
from zhiyuan_activities.domain.rules import NOT_SERVICE_KINDS, RuleBroken, local_day, minutes_per_local_day

FAST = settings(max_examples=100, deadline=None)

NOW = datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
START = datetime(2030, 5, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
END = datetime(2030, 5, 10, 5, 0, tzinfo=UTC)  # 13:00 in Shanghai
MIN = timedelta(minutes=1)


def details(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "team_id": "team-1",
        "district": "110105",
        "community": "110105001001",
        "title": "社区环境清洁",
        "service_kind": "sanitation",
        "target_group": "elderly_alone",
        "place": "朝阳区某社区",
        "recruitment": "public",
        "needs_insurance": False,
        "allows_minors": False,
        "description": "清理楼道与绿地",
    }
    return {**base, **changes}


def slot(start: datetime = START, end: datetime = END, capacity: int = 2) -> Slot:
    return Slot(start, end, capacity)


def published(*slots: Slot, now: datetime = NOW, **changes: Any) -> Activity:
    return Activity.publish("act-1", details(**changes), list(slots) or [slot()], now=now, by="org-1")


def vol(
    name: str, *, active: bool = True, minor: bool = False, teams: frozenset[str] = frozenset()
) -> Candidate:
    return Candidate(volunteer_id=name, active=active, minor=minor, team_ids=teams)


def refused(rule: str, call: Any, *args: Any, **kwargs: Any) -> RuleBroken:
    with pytest.raises(RuleBroken) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value
    return caught.value


def history(activity: Activity) -> list[tuple[str, dict[str, Any]]]:
    return [(e.TYPE, e.to_data()) for e in activity.pending]


def state(activity: Activity) -> dict[str, Any]:
    return {
        "status": activity.status,
        "details": activity.details,
        "slots": activity.slots,
        "rosters": [(r.confirmed, r.waitlist) for r in activity.rosters],
        "attendance": {
            key: [(a.checked_in, a.checked_out, a.auto_closed, a.recorded_at) for a in sessions]
            for key, sessions in activity.attendance.items()
        },
        "insured": activity.insured,
        "backfilled": activity.backfilled,
        "version": activity.version,
    }


def assert_replays_to_same_state(activity: Activity) -> None:
    replayed = Activity.rehydrate(activity.id, history(activity))
    assert state(replayed) == state(activity)
    assert replayed.expected_version == activity.version


# -- publishing ----------------------------------------------------------------------------------


def test_publishing_a_future_activity_records_activity_published() -> None:
    activity = published(slot(capacity=1))
    [event] = activity.pending
    assert isinstance(event, ActivityPublished)
    assert event.backfilled is False
    assert event.approved_by is None
    assert event.by == "org-1"
    assert event.slots == [{"starts_at": START.isoformat(), "ends_at": END.isoformat(), "capacity": 1}]
    assert activity.status == "published"
    assert activity.version == 1
    assert_replays_to_same_state(activity)


@pytest.mark.parametrize("start", [NOW, NOW - timedelta(days=1)], ids=["starting-now", "started-yesterday"])
def test_only_future_activities_can_be_published(start: datetime) -> None:
    refused("starts-in-the-past", published, slot(start, start + timedelta(hours=2)))


def test_an_activity_starting_a_minute_from_now_can_be_published() -> None:
    assert published(slot(NOW + MIN, NOW + timedelta(hours=1))).status == "published"


def test_the_earliest_slot_decides_whether_an_activity_is_in_the_future() -> None:
    later = slot(START, END)
    past = slot(NOW - timedelta(hours=3), NOW - timedelta(hours=1))
    refused("starts-in-the-past", published, later, past)


def test_an_activity_may_last_exactly_366_days() -> None:
    first = slot(START, START + timedelta(hours=2))
    last = slot(START + timedelta(days=366) - timedelta(hours=2), START + timedelta(days=366))
    assert published(first, last).status == "published"


def test_an_activity_longer_than_a_year_is_refused() -> None:
    first = slot(START, START + timedelta(hours=2))
    last = slot(START + timedelta(days=366), START + timedelta(days=366, minutes=1))
    refused("longer-than-a-year", published, first, last)


@pytest.mark.parametrize(
    "length", [timedelta(0), -timedelta(hours=1)], ids=["zero-length", "ends-before-start"]
)
def test_a_slot_must_end_after_it_starts(length: timedelta) -> None:
    error = refused("slot-ends-before-start", published, slot(START, START + length))
    assert error.field == "slots[0].ends_at"


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_slot_needs_capacity_of_at_least_one(capacity: int) -> None:
    refused("capacity", published, slot(capacity=capacity))


def test_an_activity_needs_at_least_one_slot() -> None:
    refused("no-slots", Activity.publish, "act-1", details(), [], now=NOW, by="org-1")


@pytest.mark.parametrize("kind", sorted(NOT_SERVICE_KINDS))
def test_paid_work_duty_work_and_meetings_are_not_volunteer_service(kind: str) -> None:
    error = refused("not-volunteer-service", published, slot(), service_kind=kind)
    assert error.field == "service_kind"


def test_the_not_service_kinds_include_paid_work_meetings_and_duty_work() -> None:
    assert {"paid_work", "meeting", "duty_work"} <= NOT_SERVICE_KINDS


def test_an_update_cannot_turn_an_activity_into_non_service_work() -> None:
    activity = published()
    refused("not-volunteer-service", activity.update, {"service_kind": "paid_work"}, now=NOW, by="org-1")
    activity.update({"service_kind": "tutoring"}, now=NOW, by="org-1")
    assert isinstance(activity.pending[-1], ActivityUpdated)
    assert activity.details["service_kind"] == "tutoring"


@pytest.mark.parametrize("which", ["start", "end"])
def test_naive_slot_times_are_refused(which: str) -> None:
    naive_start = START.replace(tzinfo=None) if which == "start" else START
    naive_end = END.replace(tzinfo=None) if which == "end" else END
    error = refused("naive-time", published, Slot(naive_start, naive_end, 2))
    assert error.field == f"slots[0].{which}s_at"


# -- back-fill ---------------------------------------------------------------------------------------

PAST_START = datetime(2030, 4, 20, 1, 0, tzinfo=UTC)
PAST_END = datetime(2030, 4, 20, 5, 0, tzinfo=UTC)
REASON = "网络故障，现场未能发布活动"


def backfill_requested() -> Activity:
    return Activity.request_backfill(
        "act-b", details(), [slot(PAST_START, PAST_END)], reason=REASON, now=NOW, by="org-requester"
    )


def test_a_backfill_request_for_an_ended_activity_is_recorded() -> None:
    activity = backfill_requested()
    [event] = activity.pending
    assert isinstance(event, BackfillRequested)
    assert event.reason == REASON
    assert event.by == "org-requester"
    assert activity.status == "backfill_requested"
    assert_replays_to_same_state(activity)


@pytest.mark.parametrize(
    ("start", "end"),
    [(START, END), (NOW - timedelta(hours=1), NOW + timedelta(hours=1))],
    ids=["in-the-future", "still-running"],
)
def test_backfill_is_only_for_activities_that_have_ended(start: datetime, end: datetime) -> None:
    refused(
        "backfill-not-past",
        Activity.request_backfill,
        "act-b",
        details(),
        [slot(start, end)],
        reason=REASON,
        now=NOW,
        by="org-requester",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_backfill_needs_a_reason(reason: str) -> None:
    refused(
        "backfill-reason",
        Activity.request_backfill,
        "act-b",
        details(),
        [slot(PAST_START, PAST_END)],
        reason=reason,
        now=NOW,
        by="org-requester",
    )


def test_a_backfill_still_refuses_non_service_kinds() -> None:
    refused(
        "not-volunteer-service",
        Activity.request_backfill,
        "act-b",
        details(service_kind="meeting"),
        [slot(PAST_START, PAST_END)],
        reason=REASON,
        now=NOW,
        by="org-requester",
    )


def test_approving_a_backfill_publishes_it_as_backfilled_by_the_requester() -> None:
    activity = backfill_requested()
    activity.approve_backfill(now=NOW + timedelta(hours=1), by="district-admin")
    event = activity.pending[-1]
    assert isinstance(event, ActivityPublished)
    assert event.backfilled is True
    assert event.approved_by == "district-admin"
    assert event.by == "org-requester"
    assert event.backfill_reason == REASON
    assert event.team_id == "team-1"
    assert event.slots == [
        {"starts_at": PAST_START.isoformat(), "ends_at": PAST_END.isoformat(), "capacity": 2}
    ]
    assert activity.status == "published"
    assert activity.backfilled is True
    assert_replays_to_same_state(activity)


def test_a_backfill_cannot_be_approved_twice() -> None:
    activity = backfill_requested()
    activity.approve_backfill(now=NOW, by="district-admin")
    refused("not-pending", activity.approve_backfill, now=NOW, by="district-admin")
    assert activity.version == 2


def test_a_rejected_backfill_cannot_then_be_approved() -> None:
    activity = backfill_requested()
    activity.reject_backfill(note="无现场照片", now=NOW, by="district-admin")
    assert isinstance(activity.pending[-1], BackfillRejected)
    assert activity.status == "backfill_rejected"
    refused("not-pending", activity.approve_backfill, now=NOW, by="district-admin")
    refused("not-pending", activity.reject_backfill, note="again", now=NOW, by="district-admin")
    assert_replays_to_same_state(activity)


def test_a_published_activity_has_no_backfill_to_approve() -> None:
    refused("not-pending", published().approve_backfill, now=NOW, by="district-admin")


def test_a_backfilled_activity_takes_sign_ups_and_attendance_after_the_fact() -> None:
    activity = backfill_requested()
    activity.approve_backfill(now=NOW, by="district-admin")
    activity.sign_up(vol("v1"), 0, now=NOW, by="org-requester")
    activity.check_in("v1", at=PAST_START, now=NOW, method="manual", by="org-requester")
    activity.check_out("v1", at=PAST_END, now=NOW, method="manual", by="org-requester")
    assert activity.attended("v1")[0].checked_out == PAST_END


# -- sign-up and the waitlist --------------------------------------------------------------------------


def test_sign_ups_beyond_capacity_are_waitlisted_in_arrival_order() -> None:
    activity = published(slot(capacity=2))
    results = [activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}") for i in range(1, 6)]
    assert results == [(False, None), (False, None), (True, 1), (True, 2), (True, 3)]
    assert activity.rosters[0].confirmed == ["v1", "v2"]
    assert activity.rosters[0].waitlist == ["v3", "v4", "v5"]
    assert [activity.position(f"v{i}") for i in range(1, 6)] == [None, None, 1, 2, 3]
    assert [e.waitlisted for e in activity.pending if isinstance(e, VolunteerSignedUp)] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_each_slot_has_its_own_capacity_and_waitlist() -> None:
    activity = published(
        slot(capacity=1), slot(START + timedelta(days=1), END + timedelta(days=1), capacity=1)
    )
    assert activity.sign_up(vol("v1"), 0, now=NOW, by="v1") == (False, None)
    assert activity.sign_up(vol("v2"), 1, now=NOW, by="v2") == (False, None)
    assert activity.sign_up(vol("v3"), 0, now=NOW, by="v3") == (True, 1)
    assert activity.slot_of("v3") == (0, True)
    assert activity.slot_of("v2") == (1, False)


def test_cancelling_a_confirmed_sign_up_promotes_the_first_waitlisted() -> None:
    activity = published(slot(capacity=2))
    for i in range(1, 6):
        activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}")
    activity.cancel_sign_up("v1", now=NOW, by="v1")
    cancelled, promoted = activity.pending[-2:]
    assert isinstance(cancelled, SignUpCancelled)
    assert cancelled.was_waitlisted is False
    assert isinstance(promoted, SignUpPromoted)
    assert promoted.volunteer_id == "v3"
    assert activity.rosters[0].confirmed == ["v2", "v3"]
    assert activity.rosters[0].waitlist == ["v4", "v5"]
    assert activity.position("v4") == 1
    assert activity.position("v5") == 2
    assert activity.slot_of("v1") is None


def test_cancelling_a_waitlisted_sign_up_promotes_nobody_and_moves_the_queue_up() -> None:
    activity = published(slot(capacity=2))
    for i in range(1, 6):
        activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}")
    before = activity.version
    activity.cancel_sign_up("v3", now=NOW, by="v3")
    assert activity.version == before + 1
    [event] = activity.pending[before:]
    assert isinstance(event, SignUpCancelled)
    assert event.was_waitlisted is True
    assert activity.rosters[0].confirmed == ["v1", "v2"]
    assert activity.rosters[0].waitlist == ["v4", "v5"]
    assert activity.position("v4") == 1
    assert activity.position("v5") == 2


def test_cancelling_without_a_sign_up_is_refused() -> None:
    refused("not-signed-up", published().cancel_sign_up, "nobody", now=NOW, by="nobody")


def test_raising_capacity_promotes_as_many_waitlisted_as_fit_first_come_first_served() -> None:
    activity = published(slot(capacity=1))
    for i in range(1, 6):
        activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}")
    before = activity.version
    activity.change_capacity(0, 3, now=NOW, by="org-1")
    changed, *promoted = activity.pending[before:]
    assert isinstance(changed, SlotCapacityChanged)
    assert changed.capacity == 3
    assert [(type(e), e.volunteer_id) for e in promoted] == [(SignUpPromoted, "v2"), (SignUpPromoted, "v3")]
    assert activity.rosters[0].confirmed == ["v1", "v2", "v3"]
    assert activity.rosters[0].waitlist == ["v4", "v5"]
    assert activity.slots[0].capacity == 3


def test_capacity_cannot_be_lowered_below_the_confirmed_count() -> None:
    activity = published(slot(capacity=3))
    for i in range(1, 4):
        activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}")
    error = refused("capacity-below-confirmed", activity.change_capacity, 0, 2, now=NOW, by="org-1")
    assert error.status == 409
    assert activity.slots[0].capacity == 3


def test_capacity_can_be_lowered_to_exactly_the_confirmed_count_and_then_waitlists() -> None:
    activity = published(slot(capacity=5))
    for i in range(1, 4):
        activity.sign_up(vol(f"v{i}"), 0, now=NOW, by=f"v{i}")
    activity.change_capacity(0, 3, now=NOW, by="org-1")
    assert activity.slots[0].capacity == 3
    assert activity.sign_up(vol("v4"), 0, now=NOW, by="v4") == (True, 1)


def test_capacity_of_an_empty_slot_cannot_go_below_one() -> None:
    refused("capacity", published().change_capacity, 0, 0, now=NOW, by="org-1")


def test_only_active_volunteers_can_sign_up() -> None:
    activity = published()
    refused("volunteer-not-active", activity.sign_up, vol("v1", active=False), 0, now=NOW, by="v1")
    activity.sign_up(vol("v1"), 0, now=NOW, by="v1")


def test_minors_can_sign_up_only_where_minors_are_allowed() -> None:
    refused("minors-not-allowed", published().sign_up, vol("kid", minor=True), 0, now=NOW, by="kid")
    assert published(allows_minors=True).sign_up(vol("kid", minor=True), 0, now=NOW, by="kid") == (
        False,
        None,
    )


def test_team_recruitment_takes_only_members_of_the_team() -> None:
    activity = published(recruitment="team")
    refused("team-only", activity.sign_up, vol("v1"), 0, now=NOW, by="v1")
    refused("team-only", activity.sign_up, vol("v2", teams=frozenset({"team-2"})), 0, now=NOW, by="v2")
    activity.sign_up(vol("v3", teams=frozenset({"team-2", "team-1"})), 0, now=NOW, by="v3")
    assert activity.rosters[0].confirmed == ["v3"]


def test_public_recruitment_takes_volunteers_of_any_team() -> None:
    activity = published(recruitment="public")
    activity.sign_up(vol("v1", teams=frozenset({"team-9"})), 0, now=NOW, by="v1")


def test_an_activity_needing_insurance_opens_sign_up_only_once_insurance_is_recorded() -> None:
    activity = published(needs_insurance=True)
    refused("insurance-required", activity.sign_up, vol("v1"), 0, now=NOW, by="v1")
    activity.record_insurance(policy_no="PICC-2030-0001", insurer="PICC", now=NOW, by="org-1")
    assert activity.insured
    activity.sign_up(vol("v1"), 0, now=NOW, by="v1")
    assert_replays_to_same_state(activity)


def test_a_volunteer_cannot_sign_up_twice_for_the_same_activity() -> None:
    activity = published(slot(capacity=1), slot(START + timedelta(days=1), END + timedelta(days=1)))
    activity.sign_up(vol("v1"), 0, now=NOW, by="v1")
    refused("already-signed-up", activity.sign_up, vol("v1"), 0, now=NOW, by="v1")
    refused("already-signed-up", activity.sign_up, vol("v1"), 1, now=NOW, by="v1")
    activity.sign_up(vol("v2"), 0, now=NOW, by="v2")
    refused("already-signed-up", activity.sign_up, vol("v2"), 0, now=NOW, by="v2")


@pytest.mark.parametrize("now", [START, START + MIN, END], ids=["at-start", "after-start", "at-end"])
def test_sign_up_closes_when_the_slot_starts(now: datetime) -> None:
    activity = published()
    refused("slot-started", activity.sign_up, vol("v1"), 0, now=now, by="v1")
    activity.sign_up(vol("v1"), 0, now=START - MIN, by="v1")


def test_sign_up_for_an_unknown_slot_is_refused() -> None:
    refused("unknown-slot", published().sign_up, vol("v1"), 1, now=NOW, by="v1")


# -- the roster under any sequence of operations ---------------------------------------------------------

VOLUNTEERS = [f"v{i}" for i in range(8)]


class RosterMachine(RuleBasedStateMachine):
    """Sign-ups, cancellations and capacity changes against a plain first-come model."""

    @initialize(capacities=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3))
    def publish(self, capacities: list[int]) -> None:
        self.activity = published(
            *(slot(START + timedelta(days=i), END + timedelta(days=i), c) for i, c in enumerate(capacities))
        )
        self.capacity = list(capacities)
        self.confirmed: list[list[str]] = [[] for _ in capacities]
        self.waiting: list[list[str]] = [[] for _ in capacities]
        self.arrivals: list[str] = []  # every sign-up, in arrival order

    def _promote(self, index: int) -> None:
        while self.waiting[index] and len(self.confirmed[index]) < self.capacity[index]:
            self.confirmed[index].append(self.waiting[index].pop(0))

    def _signed_up(self, volunteer: str) -> bool:
        return any(
            volunteer in c or volunteer in w for c, w in zip(self.confirmed, self.waiting, strict=True)
        )

    @rule(volunteer=st.sampled_from(VOLUNTEERS), index=st.integers(min_value=0, max_value=2))
    def sign_up(self, volunteer: str, index: int) -> None:
        index %= len(self.capacity)
        if self._signed_up(volunteer):
            refused("already-signed-up", self.activity.sign_up, vol(volunteer), index, now=NOW, by=volunteer)
            return
        waitlisted, position = self.activity.sign_up(vol(volunteer), index, now=NOW, by=volunteer)
        self.arrivals.append(volunteer)
        if len(self.confirmed[index]) < self.capacity[index]:
            self.confirmed[index].append(volunteer)
            assert (waitlisted, position) == (False, None)
        else:
            self.waiting[index].append(volunteer)
            assert (waitlisted, position) == (True, len(self.waiting[index]))

    @rule(volunteer=st.sampled_from(VOLUNTEERS))
    def cancel(self, volunteer: str) -> None:
        if not self._signed_up(volunteer):
            refused("not-signed-up", self.activity.cancel_sign_up, volunteer, now=NOW, by=volunteer)
            return
        self.activity.cancel_sign_up(volunteer, now=NOW, by=volunteer)
        for index, (confirmed, waiting) in enumerate(zip(self.confirmed, self.waiting, strict=True)):
            if volunteer in confirmed:
                confirmed.remove(volunteer)
                self._promote(index)
            elif volunteer in waiting:
                waiting.remove(volunteer)

    @rule(index=st.integers(min_value=0, max_value=2), capacity=st.integers(min_value=1, max_value=6))
    def change_capacity(self, index: int, capacity: int) -> None:
        index %= len(self.capacity)
        if capacity < len(self.confirmed[index]):
            refused(
                "capacity-below-confirmed", self.activity.change_capacity, index, capacity, now=NOW, by="org"
            )
            return
        self.activity.change_capacity(index, capacity, now=NOW, by="org")
        self.capacity[index] = capacity
        self._promote(index)

    @invariant()
    def matches_the_first_come_model(self) -> None:
        rosters = self.activity.rosters
        assert [r.confirmed for r in rosters] == self.confirmed
        assert [r.waitlist for r in rosters] == self.waiting
        assert [s.capacity for s in self.activity.slots] == self.capacity

    @invariant()
    def confirmed_never_exceed_capacity(self) -> None:
        for roster, slot_ in zip(self.activity.rosters, self.activity.slots, strict=True):
            assert len(roster.confirmed) <= slot_.capacity

    @invariant()
    def nobody_is_signed_up_twice(self) -> None:
        everyone = [v for r in self.activity.rosters for v in (*r.confirmed, *r.waitlist)]
        assert len(everyone) == len(set(everyone))

    @invariant()
    def nobody_waits_while_a_place_is_free(self) -> None:
        for roster, slot_ in zip(self.activity.rosters, self.activity.slots, strict=True):
            if roster.waitlist:
                assert len(roster.confirmed) == slot_.capacity

    @invariant()
    def the_waitlist_is_in_arrival_order(self) -> None:
        for roster in self.activity.rosters:
            latest = {v: i for i, v in enumerate(self.arrivals)}  # a re-sign-up arrives anew
            assert roster.waitlist == sorted(roster.waitlist, key=latest.__getitem__)
            assert [self.activity.position(v) for v in roster.waitlist] == list(
                range(1, len(roster.waitlist) + 1)
            )

    @invariant()
    def replaying_the_events_gives_the_same_roster(self) -> None:
        assert_replays_to_same_state(self.activity)


RosterMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_the_roster_keeps_capacity_fifo_and_replays_for_any_sequence = RosterMachine.TestCase


# -- attendance -------------------------------------------------------------------------------------------


def with_confirmed(*names: str, start: datetime = START, end: datetime = END, capacity: int = 2) -> Activity:
    activity = published(slot(start, end, capacity))
    for name in names:
        activity.sign_up(vol(name), 0, now=NOW, by=name)
    return activity


def test_only_confirmed_volunteers_can_check_in() -> None:
    activity = with_confirmed("v1", "v2", "v3")  # capacity 2: v3 waits
    refused("not-confirmed", activity.check_in, "v3", at=START, now=START, method="qr", by="v3")
    refused("not-confirmed", activity.check_in, "stranger", at=START, now=START, method="qr", by="stranger")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    event = activity.pending[-1]
    assert isinstance(event, VolunteerCheckedIn)
    assert (event.volunteer_id, event.slot, event.at) == ("v1", 0, START.isoformat())


def test_check_in_opens_thirty_minutes_before_the_slot() -> None:
    activity = with_confirmed("v1", "v2")
    early = START - timedelta(minutes=30)
    refused("outside-slot", activity.check_in, "v1", at=early - MIN, now=early - MIN, method="qr", by="v1")
    activity.check_in("v1", at=early, now=early, method="qr", by="v1")
    assert activity.attended("v1")[0].checked_in == early


def test_check_in_closes_at_the_slot_end() -> None:
    activity = with_confirmed("v1", "v2")
    late = END + MIN
    refused("outside-slot", activity.check_in, "v1", at=late, now=late, method="qr", by="v1")
    activity.check_in("v2", at=END, now=late, method="qr", by="v2")


def test_a_check_in_cannot_be_in_the_future() -> None:
    activity = with_confirmed("v1")
    now = START + timedelta(minutes=10)
    refused(
        "in-the-future", activity.check_in, "v1", at=now + timedelta(minutes=5), now=now, method="qr", by="v1"
    )
    activity.check_in("v1", at=now, now=now, method="qr", by="v1")


def test_a_naive_check_in_time_is_refused() -> None:
    activity = with_confirmed("v1")
    refused(
        "naive-time", activity.check_in, "v1", at=START.replace(tzinfo=None), now=START, method="qr", by="v1"
    )


def test_a_volunteer_must_check_out_before_checking_in_again() -> None:
    activity = with_confirmed("v1")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    refused(
        "already-checked-in", activity.check_in, "v1", at=START + MIN, now=START + MIN, method="qr", by="v1"
    )


MULTI_DAY_START = datetime(2030, 5, 10, 0, 0, tzinfo=UTC)  # 08:00 Shanghai, 10 May
MULTI_DAY_END = datetime(2030, 5, 12, 0, 0, tzinfo=UTC)  # 08:00 Shanghai, 12 May


def pair(activity: Activity, name: str, at: datetime, minutes: int = 10) -> None:
    out = at + timedelta(minutes=minutes)
    activity.check_in(name, at=at, now=at, method="qr", by=name)
    activity.check_out(name, at=out, now=out, method="qr", by=name)


def test_at_most_three_check_in_pairs_per_shanghai_day_and_the_next_day_starts_afresh() -> None:
    activity = with_confirmed("v1", start=MULTI_DAY_START, end=MULTI_DAY_END)
    for hour in (1, 3, 5):  # 09:00, 11:00, 13:00 Shanghai on 10 May
        pair(activity, "v1", MULTI_DAY_START + timedelta(hours=hour))
    fourth = MULTI_DAY_START + timedelta(hours=7)
    error = refused("too-many-pairs", activity.check_in, "v1", at=fourth, now=fourth, method="qr", by="v1")
    assert error.status == 409
    next_day = MULTI_DAY_START + timedelta(days=1, hours=1)  # 09:00 Shanghai on 11 May
    pair(activity, "v1", next_day)
    assert len(activity.attended("v1")) == 4
    assert_replays_to_same_state(activity)


def test_the_daily_pair_limit_is_per_volunteer() -> None:
    activity = with_confirmed("v1", "v2", start=MULTI_DAY_START, end=MULTI_DAY_END)
    for hour in (1, 3, 5):
        pair(activity, "v1", MULTI_DAY_START + timedelta(hours=hour))
    for hour in (1, 3, 5):
        pair(activity, "v2", MULTI_DAY_START + timedelta(hours=hour))
    assert len(activity.attended("v2")) == 3


# 22:00-02:00 in Asia/Shanghai on the night of 10 to 11 May.
NIGHT_START = datetime(2030, 5, 10, 14, 0, tzinfo=UTC)
NIGHT_END = datetime(2030, 5, 10, 18, 0, tzinfo=UTC)


def test_an_overnight_slot_counts_its_minutes_on_both_shanghai_days() -> None:
    activity = with_confirmed("v1", start=NIGHT_START, end=NIGHT_END)
    only = activity.slots[0]
    assert minutes_per_local_day(only.starts_at, only.ends_at) == {
        date(2030, 5, 10): 120,
        date(2030, 5, 11): 120,
    }


def test_overnight_check_ins_count_against_the_shanghai_day_of_the_check_in() -> None:
    # All four check-ins fall on the same UTC day; only the last is after Shanghai midnight.
    activity = with_confirmed("v1", start=NIGHT_START, end=NIGHT_END)
    for minute in (0, 20, 40):  # 22:00, 22:20, 22:40 on 10 May
        pair(activity, "v1", NIGHT_START + timedelta(minutes=minute))
    before_midnight = NIGHT_START + timedelta(minutes=110)  # 23:50 on 10 May
    refused(
        "too-many-pairs",
        activity.check_in,
        "v1",
        at=before_midnight,
        now=before_midnight,
        method="qr",
        by="v1",
    )
    after_midnight = NIGHT_START + timedelta(minutes=125)  # 00:05 on 11 May
    assert local_day(after_midnight) == date(2030, 5, 11)
    pair(activity, "v1", after_midnight)
    assert len(activity.attended("v1")) == 4


def test_a_check_out_must_come_after_the_check_in() -> None:
    activity = with_confirmed("v1")
    at = START + timedelta(minutes=10)
    activity.check_in("v1", at=at, now=at, method="qr", by="v1")
    refused("before-check-in", activity.check_out, "v1", at=at, now=at, method="qr", by="v1")
    refused("before-check-in", activity.check_out, "v1", at=at - MIN, now=at, method="qr", by="v1")


def test_a_check_out_needs_an_open_check_in() -> None:
    activity = with_confirmed("v1")
    refused("not-checked-in", activity.check_out, "v1", at=START, now=START, method="qr", by="v1")
    pair(activity, "v1", START)
    later = START + timedelta(hours=1)
    refused("not-checked-in", activity.check_out, "v1", at=later, now=later, method="qr", by="v1")


def test_a_check_out_cannot_be_in_the_future() -> None:
    activity = with_confirmed("v1")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    now = START + timedelta(hours=1)
    refused(
        "in-the-future",
        activity.check_out,
        "v1",
        at=now + timedelta(minutes=5),
        now=now,
        method="qr",
        by="v1",
    )


def test_a_late_check_out_is_clipped_to_the_slot_end() -> None:
    activity = with_confirmed("v1")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    late = END + timedelta(hours=2)
    activity.check_out("v1", at=late, now=late, method="qr", by="v1")
    event = activity.pending[-1]
    assert isinstance(event, VolunteerCheckedOut)
    assert event.at == END.isoformat()
    assert event.auto_closed is False
    assert activity.attended("v1")[0].checked_out == END


def test_missed_check_outs_are_closed_at_the_slot_end_only_once_the_slot_has_ended() -> None:
    activity = with_confirmed("v1", "v2")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    pair(activity, "v2", START)
    before = activity.version
    assert activity.close_missed_check_outs(now=END - MIN) == []
    assert activity.version == before
    assert activity.close_missed_check_outs(now=END + timedelta(hours=3)) == ["v1"]
    event = activity.pending[-1]
    assert isinstance(event, VolunteerCheckedOut)
    assert (event.volunteer_id, event.at, event.auto_closed) == ("v1", END.isoformat(), True)
    session = activity.attended("v1")[0]
    assert (session.checked_out, session.auto_closed) == (END, True)
    assert activity.attended("v2")[0].auto_closed is False
    assert activity.close_missed_check_outs(now=END + timedelta(hours=4)) == []
    assert_replays_to_same_state(activity)


def test_with_a_grace_missed_check_outs_wait_after_the_slot_end_and_after_a_check_in_entered_late() -> None:
    grace = timedelta(hours=2)
    activity = with_confirmed("v1", "v2")
    activity.check_in("v1", at=START, now=START, method="qr", by="v1")
    entered = END + timedelta(hours=5)  # the organizer enters v2's check-in long after the slot
    activity.check_in("v2", at=START, now=entered, method="roster", by="org-1")
    assert activity.close_missed_check_outs(now=END + grace - MIN, grace=grace) == []
    assert activity.close_missed_check_outs(now=END + grace, grace=grace) == ["v1"]
    assert activity.close_missed_check_outs(now=entered + grace - MIN, grace=grace) == []
    assert activity.close_missed_check_outs(now=entered + grace, grace=grace) == ["v2"]
    assert [(s.checked_out, s.auto_closed) for s in activity.attended("v2")] == [(END, True)]
    assert_replays_to_same_state(activity)


def test_check_ins_stored_without_their_recording_time_wait_only_for_the_slot_end() -> None:
    grace = timedelta(hours=2)
    activity = with_confirmed("v1")
    activity.check_in("v1", at=START, now=END + timedelta(hours=5), method="roster", by="org-1")
    older = [(kind, {k: v for k, v in data.items() if k != "recorded_at"}) for kind, data in history(activity)]
    stored_before = Activity.rehydrate(activity.id, older)
    assert stored_before.attended("v1")[0].recorded_at is None
    assert stored_before.close_missed_check_outs(now=END + grace, grace=grace) == ["v1"]


# -- cancelling and completing ---------------------------------------------------------------------------------


def test_cancelling_an_activity_releases_every_sign_up_and_closes_sign_up() -> None:
    activity = published(
        slot(capacity=1), slot(START + timedelta(days=1), END + timedelta(days=1), capacity=1)
    )
    for name, index in (("v1", 0), ("v2", 0), ("v3", 1), ("v4", 1)):
        activity.sign_up(vol(name), index, now=NOW, by=name)
    activity.cancel(reason="暴雨预警", now=NOW, by="org-1")
    event = activity.pending[-1]
    assert isinstance(event, ActivityCancelled)
    assert sorted(event.released) == ["v1", "v2", "v3", "v4"]
    assert activity.status == "cancelled"
    assert all(not r.confirmed and not r.waitlist for r in activity.rosters)
    refused("activity-cancelled", activity.sign_up, vol("v5"), 0, now=NOW, by="v5")
    refused("activity-cancelled", activity.cancel, reason="again", now=NOW, by="org-1")
    assert_replays_to_same_state(activity)


def test_cancelling_an_activity_needs_a_reason() -> None:
    refused("reason-required", published().cancel, reason=" ", now=NOW, by="org-1")


def test_an_activity_is_completed_only_after_its_last_slot_ends() -> None:
    second_end = END + timedelta(days=1)
    activity = published(slot(START, END), slot(START + timedelta(days=1), second_end))
    kwargs: dict[str, Any] = {"logged_minutes": {}, "people_served": 5, "summary": "顺利完成", "by": "org-1"}
    refused("not-ended", activity.complete, now=END + timedelta(hours=1), **kwargs)
    refused("not-ended", activity.complete, now=second_end - MIN, **kwargs)
    activity.complete(now=second_end, **kwargs)
    assert activity.status == "completed"


def test_completing_records_participants_with_minutes_and_the_total() -> None:
    activity = with_confirmed("v1", "v2", "v3", capacity=3)
    activity.complete(
        logged_minutes={"v1": 240, "v2": 90, "v3": 0},
        people_served=30,
        summary="清理楼道12栋，服务独居老人30人",
        now=END,
        by="org-1",
    )
    event = activity.pending[-1]
    assert isinstance(event, ActivityCompleted)
    assert (event.participants, event.total_minutes, event.people_served) == (2, 330, 30)
    refused("activity-completed", activity.sign_up, vol("v9"), 0, now=END, by="v9")
    assert_replays_to_same_state(activity)


# -- replay --------------------------------------------------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("sign_up"), st.sampled_from(VOLUNTEERS[:5]), st.integers(min_value=0, max_value=1)),
        st.tuples(st.just("cancel"), st.sampled_from(VOLUNTEERS[:5]), st.just(0)),
        st.tuples(
            st.just("capacity"), st.integers(min_value=0, max_value=1), st.integers(min_value=1, max_value=4)
        ),
    ),
    max_size=25,
)
attendance_steps = st.lists(
    st.tuples(
        st.sampled_from(["in", "out"]),
        st.sampled_from(VOLUNTEERS[:5]),
        st.integers(min_value=1, max_value=90),
    ),
    max_size=25,
)


@FAST
@given(roster_ops=operations, steps=attendance_steps, close_at=st.integers(min_value=0, max_value=600))
def test_replaying_the_recorded_events_rebuilds_the_same_activity(
    roster_ops: list[tuple[str, Any, int]], steps: list[tuple[str, str, int]], close_at: int
) -> None:
    activity = published(
        slot(MULTI_DAY_START, MULTI_DAY_START + timedelta(hours=4), 2),
        slot(NIGHT_START, NIGHT_END, 1),
    )
    for name, a, b in roster_ops:
        try:
            if name == "sign_up":
                activity.sign_up(vol(a), b, now=NOW, by=a)
            elif name == "cancel":
                activity.cancel_sign_up(a, now=NOW, by=a)
            else:
                activity.change_capacity(a, b, now=NOW, by="org")
        except RuleBroken:
            pass
    clock = MULTI_DAY_START - timedelta(minutes=30)
    for direction, name, minutes in steps:
        clock += timedelta(minutes=minutes)
        try:
            if direction == "in":
                activity.check_in(name, at=clock, now=clock, method="qr", by=name)
            else:
                activity.check_out(name, at=clock, now=clock, method="qr", by=name)
        except RuleBroken:
            pass
    activity.close_missed_check_outs(now=clock + timedelta(minutes=close_at))
    assert_replays_to_same_state(activity)
