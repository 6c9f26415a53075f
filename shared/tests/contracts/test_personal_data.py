"""No public event can carry a resident ID number, a phone number or an unmasked name."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from zhiyuan_contracts import generate
from zhiyuan_contracts.base import ContractModel, IntegrationEvent
from zhiyuan_contracts.catalogue import EVENT_CLASSES
from zhiyuan_contracts.pii import (
    _PATTERNS,
    ORG_NAME_FIELDS,
    contains_pii,
    field_name_violation,
    mask_name,
    mask_text,
    personal_data_violations,
)
from zhiyuan_contracts.types import (
    _ID_NUMBER_SHAPED,
    _MOBILE_SHAPED,
    MaskedName,
    OrgName,
    _not_personal_number,
)


def test_no_event_field_could_carry_personal_data() -> None:
    assert personal_data_violations(EVENT_CLASSES) == []


def test_committed_schemas_have_no_personal_data_fields() -> None:
    # The same scan over the files consumers actually read, nested $defs included.
    problems: list[str] = []
    for path in sorted(generate.SCHEMAS_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        scopes = [(schema["title"].split(".")[2], schema), *schema.get("$defs", {}).items()]
        for scope_name, scope in scopes:
            for field, field_schema in scope.get("properties", {}).items():
                if problem := field_name_violation(scope_name, field, field_schema):
                    problems.append(f"{path.name}: {problem}")
    assert problems == []


def test_allow_list_names_only_organisations() -> None:
    for entry in ORG_NAME_FIELDS:
        model, field = entry.split(".")
        assert field in {"name", "team_name", "unit_name", "station_name"}
        assert model.startswith(("Unit", "Team", "Station", "Commendation"))


# -- the check itself must be able to fail ------------------------------------------------


class Guardian(ContractModel):
    guardian_name: str
    id_card: str


class LeakyEvent(IntegrationEvent):
    CONTEXT: ClassVar[str] = "registry"
    NAME: ClassVar[str] = "LeakyEvent"
    VERSION: ClassVar[int] = 1
    TYPE: ClassVar[str] = "zhiyuan.registry.LeakyEvent.v1"

    volunteer_id: str
    name: str
    mobile: str
    contact_tel: str | None = None
    resident_id: str
    guardians: list[Guardian]
    extra: dict[str, str]
    name_masked: MaskedName
    team_name: OrgName


def test_the_scan_catches_a_deliberately_bad_event() -> None:
    found = personal_data_violations([LeakyEvent])
    flagged = {problem.split(":")[0] for problem in found}
    assert flagged == {
        "LeakyEvent.name",
        "LeakyEvent.mobile",
        "LeakyEvent.contact_tel",
        "LeakyEvent.resident_id",
        "LeakyEvent.extra",
        "LeakyEvent.team_name",  # an org name, but not on the allow-list for this model
        "Guardian.guardian_name",
        "Guardian.id_card",
    }


@pytest.mark.parametrize(
    "field",
    [
        "id_number",
        "id_card",
        "idcard",
        "resident_id",
        "identity",
        "sfz",
        "mobile",
        "phone",
        "tel",
        "telephone",
    ],
)
def test_each_forbidden_name_is_caught(field: str) -> None:
    assert field_name_violation("AnyEvent", field, {"type": "string"}) is not None
    assert field_name_violation("AnyEvent", f"guardian_{field}", {"type": "string"}) is not None


@pytest.mark.parametrize("field", ["hotel", "valid_notes", "volunteer_id", "telemetry", "place", "title"])
def test_harmless_names_pass(field: str) -> None:
    assert field_name_violation("AnyEvent", field, {"type": "string"}) is None


def test_a_masked_name_field_passes_and_a_plain_one_does_not() -> None:
    class Masked(BaseModel):
        name_masked: MaskedName | None = None
        display_name: str

    assert [p.split(":")[0] for p in personal_data_violations([Masked])] == ["Masked.display_name"]


# -- masking helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"), [("张三明", "张*明"), ("李四", "李*"), ("王", "王*"), ("欧阳小明", "欧**明")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_text_hides_id_and_phone_numbers() -> None:
    text = "联系人电话13800138000，身份证11010519491231002X，座机010-65128888。"
    masked = mask_text(text)
    assert contains_pii(text)
    assert not contains_pii(masked)
    assert "13800138000" not in masked and "11010519491231002X" not in masked and "65128888" not in masked
    assert masked.startswith("联系人电话138****8000")


def test_ordinary_numbers_are_left_alone() -> None:
    for text in ["2026-03-14 09:00 集合", "服务 36 户", "社区代码 110101001001", "ZY110101-2026-000123"]:
        assert not contains_pii(text)
        assert mask_text(text) == text


_PII_ALPHABET = st.sampled_from([*"0123456789Xx+- \u3000社区活动１２３", "86", "138", "010-", "0571 "])


@given(st.lists(_PII_ALPHABET, max_size=40).map("".join))
def test_the_quick_check_for_numbers_finds_exactly_what_the_full_patterns_find(text: str) -> None:
    # contains_pii skips texts without a run of three digits; it must never skip a number.
    assert contains_pii(text) == any(p.search(text) for p in _PATTERNS)


@given(st.lists(st.sampled_from(list("0123456789Xx+-ab")), max_size=24).map("".join))
def test_an_id_is_refused_exactly_when_it_is_shaped_like_an_id_or_mobile_number(value: str) -> None:
    shaped = bool(_ID_NUMBER_SHAPED.match(value) or _MOBILE_SHAPED.match(value))
    try:
        _not_personal_number(value)
        refused = False
    except ValueError:
        refused = True
    assert refused == shaped
