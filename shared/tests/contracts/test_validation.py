"""The event models refuse what the contract rules out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from zhiyuan_contracts import envelope
from zhiyuan_contracts.catalogue import parse_event, to_cloud_event
from zhiyuan_contracts.examples import EXAMPLES
from zhiyuan_contracts.types import (
    DistrictCode,
    DivisionCode,
    FreeText,
    Id,
    MaskedName,
    Minutes,
    Period,
    RegistrationNo,
    Scope,
    UtcDateTime,
)

HOURS = "zhiyuan.activities.HoursLogged.v1"


def _data(type_str: str, **changes: Any) -> dict[str, Any]:
    return {**EXAMPLES[type_str].model_dump(mode="json"), **changes}


def _refused(type_str: str, **changes: Any) -> None:
    cls = type(EXAMPLES[type_str])
    with pytest.raises(ValidationError):
        cls.model_validate(_data(type_str, **changes))


# -- minutes ----------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [90.0, 90.5, True, False, "90", -1, None])
def test_minutes_must_be_a_non_negative_int(minutes: object) -> None:
    _refused(HOURS, minutes=minutes)
    _refused("zhiyuan.activities.HoursCorrected.v1", previous_minutes=minutes)
    _refused("zhiyuan.recognition.StarLevelAttained.v1", total_minutes=minutes)


def test_minutes_type_alone() -> None:
    adapter = TypeAdapter(Minutes)
    assert adapter.validate_python(0) == 0
    for bad in (1.0, True, "1", -5):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
    with pytest.raises(ValidationError):
        adapter.validate_json("1.0")


def test_float_minutes_are_refused_through_parse_event() -> None:
    ce = to_cloud_event(
        EXAMPLES[HOURS],
        aggregate_id="r",
        district="110101",
        sequence=1,
        time=datetime.fromisoformat("2026-03-14T00:00:00+00:00"),
    )
    body = envelope.encode(ce).replace(b'"minutes":210', b'"minutes":210.0')
    with pytest.raises(ValidationError):
        parse_event(envelope.decode(body))


# -- codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["11010", "1101011", "abcdef", "１１０１０１", " 110101", "110101\n", 110101, ""]
)
def test_bad_district_codes_are_refused(code: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(DistrictCode).validate_python(code)
    _refused(HOURS, district=code)
    _refused("zhiyuan.registry.VolunteerMoved.v1", to_district=code)


@pytest.mark.parametrize("code", ["11010100100", "1101010010011", "11010100100a", "110101"])
def test_bad_division_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(DivisionCode).validate_python(code)
    _refused("zhiyuan.registry.VolunteerRegistered.v1", community=code)


def test_scope_and_period() -> None:
    for good in ("city", "110101"):
        TypeAdapter(Scope).validate_python(good)
    for good in ("2026", "2026Q1", "2026-03", "2026-12"):
        TypeAdapter(Period).validate_python(good)
    for bad in ("2026Q5", "2026-13", "26Q1", "2026-3"):
        with pytest.raises(ValidationError):
            TypeAdapter(Period).validate_python(bad)
    with pytest.raises(ValidationError):
        TypeAdapter(Scope).validate_python("beijing")


# -- time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    ["2026-03-14T09:00:00", datetime(2026, 3, 14, 9, 0), 1773450000, "1773450000", " 1773450000.5", "2026-03-14", "yesterday"],
)
def test_naive_or_unparseable_times_are_refused(moment: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(UtcDateTime).validate_python(moment)
    _refused("zhiyuan.activities.VolunteerCheckedIn.v1", at=moment)
    _refused(HOURS, started_at=moment)


def test_aware_times_are_kept_and_normalised_to_utc() -> None:
    parsed = TypeAdapter(UtcDateTime).validate_python("2026-03-14T09:00:00+08:00")
    assert parsed.isoformat() == "2026-03-14T01:00:00+00:00"
    assert TypeAdapter(UtcDateTime).dump_python(parsed, mode="json") == "2026-03-14T01:00:00Z"


def test_slots_and_records_end_after_they_start() -> None:
    slot = {"starts_at": "2026-03-14T04:00:00Z", "ends_at": "2026-03-14T01:00:00Z", "capacity": 5}
    _refused("zhiyuan.activities.ActivityPublished.v1", slots=[slot])
    _refused("zhiyuan.activities.ActivityPublished.v1", slots=[])
    _refused(HOURS, started_at="2026-03-14T05:00:00Z")


# -- unknown fields and frozen values -----------------------------------------------------------


def test_unknown_fields_are_refused_when_building_an_event() -> None:
    _refused(HOURS, weather="sunny")
    cls = type(EXAMPLES[HOURS])
    with pytest.raises(ValidationError):
        cls.model_validate({**_data(HOURS), "id_number": "110105194912310021"})
    checklist = _data("zhiyuan.registry.StationRegistered.v1")["checklist"]
    _refused("zhiyuan.registry.StationRegistered.v1", checklist={**checklist, "wifi": True})


def test_missing_required_fields_are_refused() -> None:
    data = _data(HOURS)
    del data["logged_by"]
    with pytest.raises(ValidationError):
        type(EXAMPLES[HOURS]).model_validate(data)
    # unit_id is required but may be null
    registered = _data("zhiyuan.registry.VolunteerRegistered.v1")
    del registered["unit_id"]
    with pytest.raises(ValidationError):
        type(EXAMPLES["zhiyuan.registry.VolunteerRegistered.v1"]).model_validate(registered)
    type(EXAMPLES["zhiyuan.registry.VolunteerRegistered.v1"]).model_validate({**registered, "unit_id": None})


# -- personal data in values ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["张*明", "李*", "欧**明", "J***n"])
def test_masked_names_pass(name: str) -> None:
    assert TypeAdapter(MaskedName).validate_python(name) == name


@pytest.mark.parametrize("name", ["张三明", "李四", "*明", "张三*", "张 *明", "", "**"])
def test_unmasked_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(MaskedName).validate_python(name)
    _refused("zhiyuan.registry.VolunteerRegistered.v1", name_masked=name)


@pytest.mark.parametrize("text", ["联系13800138000", "身份证 11010519491231002X", "电话 010-65128888"])
def test_free_text_with_personal_numbers_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="mask"):
        TypeAdapter(FreeText).validate_python(text)
    _refused("zhiyuan.activities.ActivityCancelled.v1", reason=text)
    _refused("zhiyuan.activities.ActivityPublished.v1", title=text)


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "110105194912310021", "13800138000", "+8613800138000"]
)
def test_ids_may_not_be_personal_numbers(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Id).validate_python(value)


@pytest.mark.parametrize("value", ["ZY110101-2026-000123", "BJ0001", "110101-000123"])
def test_registration_numbers_contain_a_letter_or_a_dash(value: str) -> None:
    assert TypeAdapter(RegistrationNo).validate_python(value) == value


@pytest.mark.parametrize("value", ["110101202600012", "11010519491231002", "12", "ZY 0001"])
def test_all_digit_registration_numbers_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(RegistrationNo).validate_python(value)


# -- vocabularies and ranges --------------------------------------------------------------------


def test_vocabulary_codes_are_checked() -> None:
    _refused(HOURS, target_group="everyone")
    _refused("zhiyuan.activities.ActivityPublished.v1", service_kind="gardening")
    _refused("zhiyuan.registry.TeamRegistered.v1", kind="club")
    _refused("zhiyuan.registry.UnitRegistered.v1", unit_type="company")
    _refused("zhiyuan.registry.VolunteerRegistered.v1", political_status="monarchist")
    # skills are professional service kinds only
    _refused("zhiyuan.registry.VolunteerRegistered.v1", skills=["sanitation"])
    _refused("zhiyuan.registry.VolunteerRegistered.v1", skills=["training"])


@pytest.mark.parametrize("level", [0, 6, 2.0, True])
def test_attained_level_is_one_to_five(level: object) -> None:
    _refused("zhiyuan.recognition.StarLevelAttained.v1", level=level)


@pytest.mark.parametrize("level", [-1, 5])
def test_lowered_level_is_zero_to_four(level: int) -> None:
    _refused("zhiyuan.recognition.StarLevelLowered.v1", level=level)


def test_commendation_entry_names_exactly_one_subject() -> None:
    noticed = "zhiyuan.recognition.CommendationListNoticed.v1"
    both = {"rank": 1, "volunteer_id": "v-1", "team_id": "t-1", "minutes": 60}
    neither = {"rank": 1, "minutes": 60}
    _refused(noticed, entries=[both])
    _refused(noticed, entries=[neither])
    _refused(noticed, entries=[{"rank": 0, "volunteer_id": "v-1", "minutes": 60}])


def test_booleans_are_strict() -> None:
    _refused("zhiyuan.registry.VolunteerRegistered.v1", minor="false")
    _refused("zhiyuan.registry.VolunteerRegistered.v1", minor=0)
    _refused("zhiyuan.activities.ActivityPublished.v1", backfilled="no")
