"""The catalogue matches the contract table, and each class names itself explicitly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import msgspec
import pytest
from pydantic import ValidationError

from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import (
    CATALOGUE,
    EVENT_CLASSES,
    UnknownEventType,
    deprecated_types,
    event_class,
    parse_event,
    subject_of,
    to_cloud_event,
    versioned_event_id,
)
from zhiyuan_contracts.examples import EXAMPLES

# The v1 table of /work/shared/spec/contract.md ("The catalogue (v1)"): required fields.
CONTRACT_V1: dict[str, set[str]] = {
    "zhiyuan.registry.VolunteerRegistered.v1": {
        "volunteer_id",
        "registration_no",
        "district",
        "street",
        "community",
        "registered_by",
        "registered_at",
        "skills",
        "minor",
        "unit_id",
    },
    "zhiyuan.registry.UnitRegistered.v1": {"unit_id", "name", "unit_type", "community", "headcount"},
    "zhiyuan.registry.VolunteerProfileUpdated.v1": {"volunteer_id", "changed"},
    "zhiyuan.registry.VolunteerMoved.v1": {
        "volunteer_id",
        "from_community",
        "to_community",
        "from_district",
        "to_district",
    },
    "zhiyuan.registry.VolunteerSuspended.v1": {"volunteer_id", "reason"},
    "zhiyuan.registry.VolunteerReinstated.v1": {"volunteer_id", "reason"},
    "zhiyuan.registry.VolunteerDeregistered.v1": {"volunteer_id", "reason"},
    "zhiyuan.registry.TeamRegistered.v1": {"team_id", "name", "district", "community", "kind", "unit"},
    "zhiyuan.registry.VolunteerJoinedTeam.v1": {"team_id", "volunteer_id"},
    "zhiyuan.registry.VolunteerLeftTeam.v1": {"team_id", "volunteer_id"},
    "zhiyuan.registry.StationRegistered.v1": {"station_id", "district", "community", "checklist"},
    "zhiyuan.registry.StationChecklistUpdated.v1": {"station_id", "district", "community", "checklist"},
    "zhiyuan.activities.ActivityPublished.v1": {
        "activity_id",
        "team_id",
        "district",
        "community",
        "title",
        "service_kind",
        "target_group",
        "place",
        "slots",
        "backfilled",
    },
    "zhiyuan.activities.VolunteerSignedUp.v1": {"activity_id", "volunteer_id"},
    "zhiyuan.activities.SignUpCancelled.v1": {"activity_id", "volunteer_id"},
    "zhiyuan.activities.VolunteerCheckedIn.v1": {"activity_id", "volunteer_id", "at"},
    "zhiyuan.activities.VolunteerCheckedOut.v1": {"activity_id", "volunteer_id", "at"},
    "zhiyuan.activities.HoursLogged.v1": {
        "record_id",
        "volunteer_id",
        "activity_id",
        "district",
        "minutes",
        "started_at",
        "ended_at",
        "place",
        "target_group",
        "logged_by",
    },
    "zhiyuan.activities.HoursCorrected.v1": {
        "record_id",
        "volunteer_id",
        "minutes",
        "previous_minutes",
        "reason",
    },
    "zhiyuan.activities.HoursRevoked.v1": {"record_id", "volunteer_id", "previous_minutes", "reason"},
    "zhiyuan.activities.ActivityCompleted.v1": {
        "activity_id",
        "district",
        "participants",
        "total_minutes",
        "people_served",
        "summary",
    },
    "zhiyuan.activities.ActivityCancelled.v1": {"activity_id", "reason"},
    "zhiyuan.recognition.StarLevelAttained.v1": {"volunteer_id", "level", "total_minutes"},
    "zhiyuan.recognition.StarLevelLowered.v1": {"volunteer_id", "level", "total_minutes", "reason"},
    "zhiyuan.recognition.CommendationListNoticed.v1": {
        "list_id",
        "kind",
        "period",
        "scope",
        "notice_ends_at",
        "entries",
        "criteria_version",
    },
    "zhiyuan.recognition.CommendationListPublished.v1": {
        "list_id",
        "kind",
        "period",
        "scope",
        "entries",
        "criteria_version",
    },
}
# Nested values the contract spells out.
SLOT_FIELDS = {"starts_at", "ends_at", "capacity"}
CHECKLIST_ITEMS = {"management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage"}
ENTRY_FIELDS = {"rank", "minutes"}  # plus exactly one of volunteer_id / team_id


def _required(cls: type[IntegrationEvent]) -> set[str]:
    return {name for name, field in cls.model_fields.items() if field.is_required()}


def test_every_contract_event_is_in_the_catalogue() -> None:
    missing = sorted(set(CONTRACT_V1) - set(CATALOGUE))
    assert not missing, f"contract events missing from the catalogue: {missing}"


def test_every_event_beyond_the_contract_table_is_documented_in_the_readme() -> None:
    # Extending the contract is allowed; an extension must be written down in the README's
    # API section, where clients that know only contract.md learn about it.
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    extra = sorted(set(CATALOGUE) - set(CONTRACT_V1))
    undocumented = [t for t in extra if f"`{t}`" not in readme]
    assert not undocumented, f"events beyond contract.md not documented in README.md: {undocumented}"


@pytest.mark.parametrize("type_str", sorted(CONTRACT_V1))
def test_required_fields_cover_the_contract(type_str: str) -> None:
    cls = CATALOGUE[type_str]
    missing = CONTRACT_V1[type_str] - _required(cls)
    assert not missing, f"{type_str} lacks required contract fields {sorted(missing)}"
    # Anything required beyond the contract would be a breaking change for producers.
    assert _required(cls) == CONTRACT_V1[type_str]


def test_nested_shapes_follow_the_contract() -> None:
    from zhiyuan_contracts.activities.v1 import ActivitySlot
    from zhiyuan_contracts.recognition.v1 import CommendationEntry
    from zhiyuan_contracts.registry.v1 import StationChecklist

    assert {n for n, f in ActivitySlot.model_fields.items() if f.is_required()} == SLOT_FIELDS
    assert set(StationChecklist.model_fields) == CHECKLIST_ITEMS
    assert all(f.is_required() for f in StationChecklist.model_fields.values())
    assert {n for n, f in CommendationEntry.model_fields.items() if f.is_required()} == ENTRY_FIELDS
    assert {"volunteer_id", "team_id"} <= set(CommendationEntry.model_fields)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_type_is_written_out_and_consistent(cls: type[IntegrationEvent]) -> None:
    assert f"zhiyuan.{cls.CONTEXT}.{cls.NAME}.v{cls.VERSION}" == cls.TYPE
    assert cls.__name__ == cls.NAME
    # Written literally on the class itself, not inherited or computed from the module.
    for attr in ("CONTEXT", "NAME", "VERSION", "TYPE"):
        assert attr in cls.__dict__, f"{cls.__name__}.{attr} must be set on the class itself"
    assert cls.__module__ == f"zhiyuan_contracts.{cls.CONTEXT}.v{cls.VERSION}"
    assert CATALOGUE[cls.TYPE] is cls
    assert event_class(cls.TYPE) is cls


def test_a_class_whose_type_disagrees_is_refused() -> None:
    with pytest.raises(TypeError, match="CONTEXT/NAME/VERSION"):

        class HoursLogged(IntegrationEvent):
            CONTEXT: ClassVar[str] = "activities"
            NAME: ClassVar[str] = "HoursLogged"
            VERSION: ClassVar[int] = 2
            TYPE: ClassVar[str] = "zhiyuan.activities.HoursLogged.v1"


def test_unknown_type_raises_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType) as caught:
        event_class("zhiyuan.activities.HoursLogged.v9")
    assert caught.value.type == "zhiyuan.activities.HoursLogged.v9"
    assert isinstance(caught.value, LookupError)
    ce = to_cloud_event(
        EXAMPLES["zhiyuan.activities.HoursLogged.v1"],
        aggregate_id="r",
        district="110101",
        sequence=1,
        time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    unknown = msgspec.structs.replace(ce, type="zhiyuan.activities.HoursWhispered.v1")
    with pytest.raises(UnknownEventType):
        parse_event(unknown)


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(CATALOGUE)
    for type_str, event in EXAMPLES.items():
        assert type(event) is CATALOGUE[type_str]


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.TYPE)
def test_events_are_frozen(cls: type[IntegrationEvent]) -> None:
    event = EXAMPLES[cls.TYPE]
    first_field = next(iter(cls.model_fields))
    with pytest.raises(ValidationError):
        setattr(event, first_field, "changed")


def test_cloud_event_attributes() -> None:
    event = EXAMPLES["zhiyuan.registry.VolunteerMoved.v1"]
    ce = to_cloud_event(
        event,
        aggregate_id="0b9f4a52-3c1e-4d7a-9a57-6f1d2e8c4b01",
        district="110102",
        sequence=7,
        time=datetime(2026, 3, 14, 9, 0, 0, 123456, tzinfo=UTC),
        event_id="a6b1a0de-5c1f-4b6e-9f51-2d7b8a9c0e11",
        correlation_id="req-1",
        causation_id="cmd-1",
    )
    assert ce.type == "zhiyuan.registry.VolunteerMoved.v1"
    assert ce.source == "/zhiyuan/registry"
    assert ce.subject == "0b9f4a52-3c1e-4d7a-9a57-6f1d2e8c4b01"
    assert ce.time == "2026-03-14T09:00:00.123456Z"
    assert (ce.district, ce.sequence) == ("110102", 7)
    assert (ce.id, ce.correlationid, ce.causationid) == (
        "a6b1a0de-5c1f-4b6e-9f51-2d7b8a9c0e11",
        "req-1",
        "cmd-1",
    )
    assert ce.data == event.model_dump(mode="json")
    assert subject_of(ce) == "zy.registry.110102.VolunteerMoved"


def test_to_cloud_event_generates_an_id_and_checks_its_arguments() -> None:
    event = EXAMPLES["zhiyuan.recognition.StarLevelAttained.v1"]
    moment = datetime(2026, 3, 14, tzinfo=UTC)
    first = to_cloud_event(event, aggregate_id="v", district="110101", sequence=1, time=moment)
    second = to_cloud_event(event, aggregate_id="v", district="110101", sequence=1, time=moment)
    assert first.id != second.id
    with pytest.raises(ValueError, match="six-digit"):
        to_cloud_event(event, aggregate_id="v", district="1101", sequence=1, time=moment)
    with pytest.raises(ValueError, match="1-based"):
        to_cloud_event(event, aggregate_id="v", district="110101", sequence=0, time=moment)
    with pytest.raises(ValueError, match="naive"):
        to_cloud_event(event, aggregate_id="v", district="110101", sequence=1, time=datetime(2026, 3, 14))


def test_versioned_event_id_is_deterministic() -> None:
    v1_id = "a6b1a0de-5c1f-4b6e-9f51-2d7b8a9c0e11"
    v2 = versioned_event_id(v1_id, "zhiyuan.activities.HoursLogged.v2")
    assert v2 == versioned_event_id(v1_id, "zhiyuan.activities.HoursLogged.v2")
    assert v2 != v1_id


def test_nothing_is_deprecated_yet() -> None:
    assert deprecated_types(datetime(2100, 1, 1).date()) == []
