"""to_cloud_event → encode → decode → parse_event gives back the same event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan_contracts import envelope
from zhiyuan_contracts.activities.v1 import HoursLogged
from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import CATALOGUE, parse_event, subject_of, to_cloud_event
from zhiyuan_contracts.examples import EXAMPLES
from zhiyuan_contracts.vocabularies import TargetGroup

MOMENT = datetime(2026, 3, 14, 1, 2, 3, 456789, tzinfo=UTC)


def _through_the_wire(event: IntegrationEvent, district: str = "110101") -> envelope.CloudEvent:
    ce = to_cloud_event(event, aggregate_id="agg-1", district=district, sequence=3, time=MOMENT)
    return envelope.decode(envelope.encode(ce))


@pytest.mark.parametrize("type_str", sorted(CATALOGUE))
def test_every_example_round_trips(type_str: str) -> None:
    event = EXAMPLES[type_str]
    decoded = _through_the_wire(event)
    assert parse_event(decoded) == event
    assert parse_event(decoded, unknown_fields="forbid") == event
    assert type(parse_event(decoded)) is type(event)
    assert subject_of(decoded) == f"zy.{type(event).CONTEXT}.110101.{type(event).NAME}"


def test_times_travel_in_utc_with_z() -> None:
    beijing = timezone(timedelta(hours=8))
    event = EXAMPLES["zhiyuan.activities.VolunteerCheckedIn.v1"].model_copy()
    local = type(event).model_validate(
        {**event.model_dump(), "at": datetime(2026, 3, 14, 9, 0, tzinfo=beijing)}
    )
    assert local.model_dump(mode="json")["at"] == "2026-03-14T01:00:00Z"
    assert parse_event(_through_the_wire(local)) == local


def test_a_newer_optional_field_is_ignored_by_default_and_refused_on_demand() -> None:
    from pydantic import ValidationError

    event = EXAMPLES["zhiyuan.activities.HoursLogged.v1"]
    ce = _through_the_wire(event)
    newer = msgspec.structs.replace(ce, data={**ce.data, "weather": "sunny"})
    assert parse_event(newer) == event
    with pytest.raises(ValidationError):
        parse_event(newer, unknown_fields="forbid")


_offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=_offsets)


@given(
    minutes=st.integers(min_value=0, max_value=10**7),
    started_at=_starts,
    target_group=st.sampled_from(TargetGroup),
)
def test_hours_logged_round_trips_for_any_minutes(
    minutes: int, started_at: datetime, target_group: TargetGroup
) -> None:
    event = HoursLogged(
        record_id="3d5f7b9a-1c3e-4a5b-9d7f-1b3d5f7a9c06",
        volunteer_id="0b9f4a52-3c1e-4d7a-9a57-6f1d2e8c4b01",
        activity_id="7f1a3c5e-9b2d-4f6a-8c0e-2b4d6f8a0c05",
        district="110101",
        minutes=minutes,
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=minutes),
        place="东华门社区居委会",
        target_group=target_group,
        logged_by="organizer:team-1",
    )
    decoded = _through_the_wire(event)
    assert decoded.data["minutes"] == minutes
    assert isinstance(decoded.data["minutes"], int)
    parsed = parse_event(decoded)
    assert parsed == event
    assert isinstance(parsed, HoursLogged)
    assert parsed.minutes == minutes
    assert parsed.started_at.tzinfo is UTC


@given(minutes=st.floats(allow_nan=True, allow_infinity=True))
def test_hours_logged_never_accepts_float_minutes(minutes: float) -> None:
    from pydantic import ValidationError

    data = {**EXAMPLES["zhiyuan.activities.HoursLogged.v1"].model_dump(mode="json"), "minutes": minutes}
    with pytest.raises(ValidationError):
        HoursLogged.model_validate(data)
