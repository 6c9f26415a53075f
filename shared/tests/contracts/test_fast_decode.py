"""The fast path accepts nothing ``parse_event`` refuses, and reads what it accepts alike.

``decode_fast(body)`` is either ``None`` (the caller takes ``parse_event(decode(body))``)
or a typed event that ``parse_event(decode(body))`` also accepts, field for field equal.
Bodies are built from valid events of the five hot types, then mutated in the ways a
careless or hostile producer would; valid ones must take the fast path.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from zhiyuan_contracts import fast
from zhiyuan_contracts.catalogue import CATALOGUE, UnknownEventType, parse_event, to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent, decode, encode
from zhiyuan_contracts.examples import EXAMPLES
from zhiyuan_contracts.fast import FAST_TYPES, FastEvent, HoursLoggedData, decode_fast
from zhiyuan_contracts.pii import MASKED_NAME_PATTERN, contains_pii
from zhiyuan_contracts.types import _ID_NUMBER_SHAPED, _MOBILE_SHAPED, _not_personal_number
from zhiyuan_contracts.vocabularies import (
    PROFESSIONAL_SERVICE_KINDS,
    PoliticalStatus,
    ServiceKind,
    TargetGroup,
)

REGISTERED = "zhiyuan.registry.VolunteerRegistered.v1"
MOVED = "zhiyuan.registry.VolunteerMoved.v1"
LOGGED = "zhiyuan.activities.HoursLogged.v1"
CORRECTED = "zhiyuan.activities.HoursCorrected.v1"
REVOKED = "zhiyuan.activities.HoursRevoked.v1"
HOT = (REGISTERED, MOVED, LOGGED, CORRECTED, REVOKED)
DATA_CLASSES: dict[str, type[msgspec.Struct]] = {
    REGISTERED: fast.VolunteerRegisteredData,
    MOVED: fast.VolunteerMovedData,
    LOGGED: fast.HoursLoggedData,
    CORRECTED: fast.HoursCorrectedData,
    REVOKED: fast.HoursRevokedData,
}
ENVELOPE_ATTRIBUTES = [f.name for f in msgspec.structs.fields(CloudEvent) if f.name != "data"]
T0 = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)

# What kind of value each field holds, for the generators and the mutations.
KINDS: dict[str, dict[str, str]] = {
    REGISTERED: {
        "volunteer_id": "id",
        "registration_no": "registration_no",
        "district": "district",
        "street": "division",
        "community": "division",
        "registered_by": "short_text",
        "registered_at": "time",
        "skills": "skills",
        "minor": "bool",
        "unit_id": "id?",
        "name_masked": "masked_name?",
        "political_status": "political_status?",
    },
    MOVED: {
        "volunteer_id": "id",
        "from_community": "division",
        "to_community": "division",
        "from_district": "district",
        "to_district": "district",
        "from_street": "division?",
        "to_street": "division?",
    },
    LOGGED: {
        "record_id": "id",
        "volunteer_id": "id",
        "activity_id": "id",
        "district": "district",
        "minutes": "minutes",
        "started_at": "time",
        "ended_at": "time",
        "place": "short_text",
        "target_group": "target_group",
        "logged_by": "id",
        "service_kind": "service_kind?",
        "team_id": "id?",
        "backfilled": "bool",
        "community": "division?",
        "policy_version": "criteria_version?",
        "late": "bool",
    },
    CORRECTED: {
        "record_id": "id",
        "volunteer_id": "id",
        "minutes": "minutes",
        "previous_minutes": "minutes",
        "reason": "free_text",
        "activity_id": "id?",
        "corrected_by": "id?",
    },
    REVOKED: {
        "record_id": "id",
        "volunteer_id": "id",
        "previous_minutes": "minutes",
        "reason": "free_text",
        "activity_id": "id?",
        "revoked_by": "id?",
    },
}

# -- checking one body ---------------------------------------------------------------------


def assert_agrees(body: bytes) -> FastEvent | None:
    """If the fast path accepts ``body``, so does parse_event, with the same values."""
    event = decode_fast(body)
    if event is None:
        return None
    cloud_event = decode(body)  # the general path must accept it too...
    model = parse_event(cloud_event)
    assert event.type == cloud_event.type == type(model).TYPE
    assert type(event.data) is DATA_CLASSES[event.type]
    for name in ENVELOPE_ATTRIBUTES:
        if name != "type":
            assert getattr(event, name) == getattr(cloud_event, name), name
    names = [f.name for f in msgspec.structs.fields(event.data)]
    assert names == list(type(model).model_fields)
    for name in names:  # ...and read every field alike
        mine, theirs = getattr(event.data, name), getattr(model, name)
        if isinstance(theirs, datetime):
            assert isinstance(mine, datetime), name
            assert mine == theirs and mine.tzinfo is UTC and theirs.utcoffset() == timedelta(0), name
        elif isinstance(theirs, list):
            assert type(mine) is list and mine == theirs, name
        else:
            assert type(mine) is (str if isinstance(theirs, str) else type(theirs)), name
            assert mine == theirs, name
    # What to_cloud_event answers is read by parse_event as the same event.
    again = event.to_cloud_event()
    assert parse_event(again) == model
    assert [getattr(again, n) for n in ENVELOPE_ATTRIBUTES] == [
        getattr(cloud_event, n) for n in ENVELOPE_ATTRIBUTES
    ]
    return event


def general_path_accepts(body: bytes) -> bool:
    try:
        parse_event(decode(body))
    except (msgspec.MsgspecError, UnknownEventType, ValidationError, ValueError, OverflowError):
        return False
    return True


# -- valid values ----------------------------------------------------------------------------

ID_REGEX = r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}"


def _not_a_personal_number(value: str) -> bool:
    try:
        _not_personal_number(value)
    except ValueError:
        return False
    return True


ids = st.one_of(
    st.uuids().map(str),
    st.sampled_from(
        [
            "organizer:9c3e1f77-2a6d-4b8e-8f05-1d4c7b2a9e03",
            "team-110101-001",
            "a",
            "Z" * 128,
            "x.y_z:w@v/u-t",
            "1381234567",  # ten digits: no phone number
            "138123456789",  # twelve
            "1101051949123100",  # sixteen
            "12345678901234567890",  # twenty
        ]
    ),
    st.from_regex(ID_REGEX, fullmatch=True),
).filter(_not_a_personal_number)
districts = st.from_regex(r"[0-9]{6}", fullmatch=True)
divisions = st.from_regex(r"[0-9]{12}", fullmatch=True)
minutes = st.one_of(st.integers(min_value=0, max_value=24 * 60), st.integers(min_value=0))
places = st.one_of(
    st.sampled_from(
        ["东华门社区居委会", "社区活动室", "地铁站口", "3号楼", "A" * 200, "😀" * 200, "138****5678"]
    ),
    st.text(min_size=1, max_size=200),
).filter(lambda text: not contains_pii(text))
reasons = st.one_of(
    st.sampled_from(["签退时间登记有误", "重复登记", "扣除休息时间", "x" * 2000]),
    st.text(min_size=1, max_size=400),
).filter(lambda text: not contains_pii(text))
registration_nos = st.one_of(
    st.sampled_from(["ZY110101-2026-000123", "BJ110101-0000001", "1-2", "abc"]),
    st.from_regex(r"[A-Za-z0-9-]{3,40}", fullmatch=True),
).filter(lambda value: re.search(r"[A-Za-z-]", value) is not None)
masked_names = st.one_of(
    st.sampled_from(["张*明", "李*", "J***n", "欧**娜"]),
    st.from_regex(MASKED_NAME_PATTERN.replace("$", r"\Z"), fullmatch=True),
).filter(lambda value: len(value) <= 64)
criteria_versions = st.text(min_size=1, max_size=64)
offsets = st.one_of(
    st.none(),  # Z
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


def rfc3339(moment: datetime, offset: int | None, digits: int) -> str:
    """``moment`` written strictly as RFC 3339, the way the fast path reads it."""
    zone = UTC if offset is None else timezone(timedelta(minutes=offset))
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    if offset is None:
        return text + "Z"
    sign = "+" if offset >= 0 else "-"
    return f"{text}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


@st.composite
def times(draw: st.DrawFn, at: datetime | None = None) -> str:
    moment = draw(instants) if at is None else at
    return rfc3339(moment, draw(offsets), draw(st.sampled_from([0, 0, 1, 3, 6])))


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": ids,
    "district": districts,
    "division": divisions,
    "minutes": minutes,
    "time": times(),
    "short_text": places,
    "free_text": reasons,
    "target_group": st.sampled_from([g.value for g in TargetGroup]),
    "service_kind": st.sampled_from([k.value for k in ServiceKind]),
    "skills": st.lists(st.sampled_from(sorted(k.value for k in PROFESSIONAL_SERVICE_KINDS)), max_size=4),
    "bool": st.booleans(),
    "registration_no": registration_nos,
    "masked_name": masked_names,
    "political_status": st.sampled_from([p.value for p in PoliticalStatus]),
    "criteria_version": criteria_versions,
}
ABSENT = object()


@st.composite
def valid_data(draw: st.DrawFn, type_str: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, kind in KINDS[type_str].items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        field = type(EXAMPLES[type_str]).model_fields[name]
        choices: list[Any] = [draw(VALUES[kind])]
        if optional:
            choices.append(None)
        if not field.is_required():
            choices.append(ABSENT)
        value = draw(st.sampled_from(choices))
        if value is not ABSENT:
            data[name] = value
    if type_str == LOGGED:  # ended_at at or after started_at
        started = draw(instants.filter(lambda m: m < datetime(2199, 1, 1, tzinfo=UTC)))
        ended = started + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
        data["started_at"] = draw(times(started))
        data["ended_at"] = draw(times(ended))
    if draw(st.booleans()):  # a newer producer's field, as bench/history.py's attended_minutes
        data[draw(st.sampled_from(["attended_minutes", "weather", "type", "data"]))] = draw(
            st.one_of(st.integers(), st.text(), st.none(), st.lists(st.integers()))
        )
    return data


@st.composite
def valid_envelope(draw: st.DrawFn, type_str: str, data: dict[str, Any]) -> dict[str, Any]:
    context = type_str.split(".")[1]
    envelope: dict[str, Any] = {
        "id": draw(st.one_of(st.uuids().map(str), st.text())),
        "source": f"/zhiyuan/{context}",
        "type": type_str,
        "subject": draw(st.one_of(st.uuids().map(str), st.text())),
        "time": draw(st.one_of(times(), st.text())),
        "district": draw(st.one_of(districts, st.text())),
        "sequence": draw(st.integers()),
        "data": data,
    }
    for name, values in (
        ("specversion", st.just("1.0")),
        ("datacontenttype", st.text()),
        ("correlationid", st.one_of(st.none(), st.text())),
        ("causationid", st.one_of(st.none(), st.text())),
        ("traceparent", st.text()),  # an extension attribute nobody here knows
    ):
        if draw(st.booleans()):
            envelope[name] = draw(values)
    order = draw(st.permutations(list(envelope)))  # "type" need not come first
    return {name: envelope[name] for name in order}


def to_body(envelope: dict[str, Any], style: str) -> bytes:
    if style == "msgspec":
        return msgspec.json.encode(envelope)
    if style == "ascii":  # every non-ASCII character escaped as \\uXXXX
        return json.dumps(envelope).encode()
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode()


styles = st.sampled_from(["msgspec", "msgspec", "ascii", "pretty"])


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    type_str = draw(st.sampled_from(HOT))
    envelope = draw(valid_envelope(type_str, draw(valid_data(type_str))))
    return type_str, envelope


# -- mutations ---------------------------------------------------------------------------------

NOT_JSON_TYPES: list[Any] = [None, True, False, 0, 1, -1, 1.5, 120.0, "", "x", [], {}, ["x"], {"a": 1}]
BAD: dict[str, list[Any]] = {
    "id": [
        "",
        " ",
        "a b",
        "-a",
        ".a",
        "_a",
        "a\n",
        "\na",
        "a\r",
        "a\u0000",
        "A" * 129,
        "11010519491231002X",
        "11010519491231002x",
        "110105194912310",
        "13812345678",
        "8613812345678",
        "+8613812345678",
        "１２３",
        "ä",
        "a,b",
        "a\u2028",
    ],
    "district": ["", "11010", "1101011", "11010a", "110101\n", "１１０１０１", " 110101", "١١٠١٠١", 110101],
    "division": ["", "11010100100", "1101010010011", "110101001001\n", "11010100100x", 110101001001],
    "minutes": [-1, -(2**70), True, False, 1.0, 120.5, "120", -0.0, 1e3, None],
    "time": [
        "",
        "2026-03-14T01:00:00",
        "2026-03-14T01:00:00.123456",
        "2026-03-14t01:00:00z",
        "2026-03-14 01:00:00Z",
        "2026-03-14T01:00:00.1234567Z",
        "2026-03-14T01:00:00.9999999Z",
        "2026-03-14T01:00:00.1234565+08:00",
        "2026-03-14T01:00:00+0800",
        "2026-03-14T01:00:00+08",
        "2026-03-14T01:00:00+24:00",
        "2026-03-14T01:00:00+10:60",
        "2026-03-14T01:00:00-00:99",
        "2026-03-14T01:00:00-00:00",
        "2026-03-14T01:00Z",
        "2026-03-14T01:00:00,5Z",
        "2026-03-14T24:00:00Z",
        "2026-03-14T23:59:60Z",
        "2026-02-30T01:00:00Z",
        "2026-W11-6T01:00:00Z",
        "20260314T010000Z",
        "2026-03-14",
        "1700000000",
        1700000000,
        1700000000.5,
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "0000-01-01T00:00:00Z",
        "２０２６-03-14T01:00:00Z",
        "2026-03-14T01:00:00Z\n",
    ],
    "short_text": [
        "",
        "x" * 201,
        "😀" * 201,
        "联系电话13812345678",
        "身份证11010519491231002X",
        "座机010-12345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "١٣٨١٢٣٤٥٦٧٨",
    ],
    "free_text": ["", "x" * 2001, "联系13812345678", "110105194912310", "请拨0571 8888888"],
    "target_group": ["", "ELDERLY_LIVING_ALONE", "elderly", " public", "public ", "elderly_care"],
    "service_kind": ["", "ELDERLY_CARE", "elderly", "public", "training "],
    "skills": [["elderly_care"], ["training"], ["medical_care", "nope"], "medical_care", [None], None],
    "bool": [0, 1, "true", "false", None],
    "registration_no": ["123456", "ab", "a" * 41, "ZY 1", "ZY_1", "ZY1\n", "１２a"],
    "masked_name": ["张三明", "张*明\n", " *", "**", "张 *", "*明", "a" * 65, "张*" + "*" * 63, "张\u3000*"],
    "political_status": ["PARTY_MEMBER", "x", ""],
    "criteria_version": ["", "x" * 65],
}


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    type_str, envelope = draw(valid_events())
    data = envelope["data"]
    kinds = KINDS[type_str]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        what = draw(
            st.sampled_from(
                [
                    "bad value",
                    "bad value",
                    "json type",
                    "drop",
                    "valid",
                    "valid",
                    "valid",
                    "envelope",
                    "swap times",
                ]
            )
        )
        if what in {"bad value", "json type", "drop", "valid"}:
            name = draw(st.sampled_from(sorted(kinds)))
            kind = kinds[name].rstrip("?")
            if what == "bad value":
                data[name] = draw(st.sampled_from(BAD[kind]))
            elif what == "json type":
                data[name] = draw(st.sampled_from(NOT_JSON_TYPES))
            elif what == "drop":
                data.pop(name, None)
            else:
                data[name] = draw(VALUES[kind])
        elif what == "envelope":
            name = draw(st.sampled_from([*ENVELOPE_ATTRIBUTES, "data"]))
            change = draw(st.sampled_from(["drop", "json type", "specversion", "type"]))
            if change == "drop":
                envelope.pop(name, None)
            elif change == "json type":
                envelope[name] = draw(st.sampled_from(NOT_JSON_TYPES))
            elif change == "specversion":
                envelope["specversion"] = draw(st.sampled_from(["1.1", "1", "0.3", " 1.0", 1.0, None]))
            else:
                envelope["type"] = draw(st.sampled_from([*HOT, *sorted(CATALOGUE), "zhiyuan.x.Y.v1", ""]))
        elif type_str == LOGGED and "started_at" in data and "ended_at" in data:
            data["started_at"], data["ended_at"] = data["ended_at"], data["started_at"]
    body = to_body(envelope, draw(styles))
    tweak = draw(st.sampled_from(["none", "none", "none", "duplicate", "escape", "truncate"]))
    if tweak == "duplicate" and kinds:  # the same key twice: the last one counts, in both paths
        name = draw(st.sampled_from(sorted(kinds)))
        value = msgspec.json.encode(
            draw(st.one_of(VALUES[kinds[name].rstrip("?")], st.sampled_from(NOT_JSON_TYPES)))
        )
        key = b'"data":{' if b'"data":{' in body else b'"data": {'
        body = body.replace(key, key + b'"' + name.encode() + b'":' + value + b",", 1)
    elif tweak == "escape":  # an ASCII digit or dot written as a \\u escape
        positions = [i for i, byte in enumerate(body) if byte in b"0123456789." and body[i - 1 : i] != b"\\"]
        if positions:
            i = draw(st.sampled_from(positions))
            body = body[:i] + b"\\u%04x" % body[i] + body[i + 1 :]
    elif tweak == "truncate":
        body = body[: draw(st.integers(min_value=0, max_value=len(body)))]
    return body


# -- the properties --------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bodies())
def test_whatever_the_fast_path_accepts_parse_event_accepts_alike(body: bytes) -> None:
    assert_agrees(body)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events(), styles)
def test_valid_events_take_the_fast_path(event: tuple[str, dict[str, Any]], style: str) -> None:
    type_str, envelope = event
    body = to_body(envelope, style)
    assume(general_path_accepts(body))  # a LOGGED time cut to fewer digits may fall before the start
    accepted = assert_agrees(body)
    assert accepted is not None
    assert accepted.type == type_str


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events())
def test_to_cloud_event_is_the_decoded_envelope_for_bodies_written_like_the_producers(
    event: tuple[str, dict[str, Any]],
) -> None:
    _, envelope = event
    body = to_body(envelope, "msgspec")
    assume(general_path_accepts(body))
    cloud_event = decode(body)
    # What a producer writes: catalogue.to_cloud_event of the event, then encode.
    canonical = msgspec.structs.replace(cloud_event, data=parse_event(cloud_event).model_dump(mode="json"))
    canonical_body = encode(canonical)
    accepted = decode_fast(canonical_body)
    assert accepted is not None
    assert accepted.to_cloud_event() == decode(canonical_body)


@pytest.mark.parametrize("type_str", HOT)
def test_to_cloud_event_of_each_example_is_the_decoded_body(type_str: str) -> None:
    body = encode(
        to_cloud_event(EXAMPLES[type_str], aggregate_id="agg-1", district="110101", sequence=2, time=T0)
    )
    accepted = decode_fast(body)
    assert accepted is not None
    assert accepted.to_cloud_event() == decode(body)
    assert parse_event(accepted.to_cloud_event()) == EXAMPLES[type_str]


def test_to_cloud_event_normalises_what_it_does_not_keep() -> None:
    # A valid body as bench/history.py writes it: an unknown field, optional fields left
    # out, a time with an offset. parse_event reads the same event from both.
    data = EXAMPLES[LOGGED].model_dump(mode="json", exclude={"community", "late"})
    data |= {"attended_minutes": 240, "started_at": "2026-03-14T09:00:00+08:00"}
    body = _body(LOGGED, data)
    accepted = assert_agrees(body)
    assert accepted is not None
    data_again = accepted.to_cloud_event().data
    assert "attended_minutes" not in data_again
    assert data_again["community"] is None and data_again["late"] is False
    assert data_again["started_at"] == "2026-03-14T01:00:00Z"


# -- named refusals --------------------------------------------------------------------------


def _body(type_str: str, data: dict[str, Any], attributes: dict[str, Any] | None = None) -> bytes:
    envelope = {
        "id": "e-1",
        "source": "/zhiyuan/x",
        "type": type_str,
        "subject": "s-1",
        "time": "2026-03-14T01:00:00Z",
        "district": "110101",
        "sequence": 1,
        "data": data,
        **(attributes or {}),
    }
    return msgspec.json.encode(envelope)


def _example(type_str: str, **changes: Any) -> bytes:
    data = {**EXAMPLES[type_str].model_dump(mode="json"), **changes}
    return _body(type_str, {k: v for k, v in data.items() if v is not ABSENT})


@pytest.mark.parametrize("type_str", HOT)
def test_each_example_takes_the_fast_path(type_str: str) -> None:
    assert assert_agrees(_example(type_str)) is not None


@pytest.mark.parametrize("type_str", HOT)
def test_every_bad_value_in_every_field(type_str: str) -> None:
    # Each bad value of its kind, and each JSON type, in each field of the example, one at
    # a time: whatever the fast path still accepts, parse_event accepts alike.
    accepted = refused = 0
    for name, kind in KINDS[type_str].items():
        for value in [*BAD[kind.rstrip("?")], *NOT_JSON_TYPES, ABSENT]:
            body = _example(type_str, **{name: value})
            if assert_agrees(body) is None:
                refused += 1
            else:
                accepted += 1
    assert refused > accepted > 0


REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    ("an id shaped like a resident ID number", LOGGED, {"volunteer_id": "11010519491231002X"}),
    ("an old 15-digit ID number", CORRECTED, {"corrected_by": "110105491231002"}),
    ("an id shaped like a mobile number", REVOKED, {"record_id": "13812345678"}),
    ("... also with 86 before it", MOVED, {"volunteer_id": "8613812345678"}),
    ("an id starting with punctuation", LOGGED, {"team_id": "-team"}),
    ("an id with a trailing newline", LOGGED, {"logged_by": "organizer\n"}),
    ("an id of 129 characters", REGISTERED, {"unit_id": "a" * 129}),
    ("an empty id", CORRECTED, {"activity_id": ""}),
    ("a phone number in free text", CORRECTED, {"reason": "联系13812345678"}),
    ("an ID number in the place", LOGGED, {"place": "住址11010519491231002X"}),
    ("a landline in the place", LOGGED, {"place": "电话010-12345678"}),
    ("an empty place", LOGGED, {"place": ""}),
    ("a place of 201 characters", LOGGED, {"place": "地" * 201}),
    ("a registering agency with a phone number", REGISTERED, {"registered_by": "13812345678"}),
    ("a naive time", LOGGED, {"started_at": "2026-03-14T01:00:00"}),
    ("a unix timestamp", REGISTERED, {"registered_at": 1773450000}),
    ("seconds since 1970 in a string", REGISTERED, {"registered_at": "1773450000"}),
    ("an offset of sixty minutes", REGISTERED, {"registered_at": "2026-03-14T09:00:00+07:60"}),
    ("ended_at before started_at", LOGGED, {"ended_at": "2026-03-14T00:59:59Z"}),
    ("... also when the offsets hide it", LOGGED, {"ended_at": "2026-03-14T08:59:59+08:00"}),
    ("minutes as a float", LOGGED, {"minutes": 210.0}),
    ("minutes as a bool", CORRECTED, {"previous_minutes": True}),
    ("minutes as a string", REVOKED, {"previous_minutes": "180"}),
    ("negative minutes", CORRECTED, {"minutes": -1}),
    ("null minutes", LOGGED, {"minutes": None}),
    ("a bool as 0", REGISTERED, {"minor": 0}),
    ("an unknown target group", LOGGED, {"target_group": "elderly"}),
    ("an unknown service kind", LOGGED, {"service_kind": "Elderly_Care"}),
    ("a skill that is not professional", REGISTERED, {"skills": ["elderly_care"]}),
    ("an all-digit registration number", REGISTERED, {"registration_no": "110101000123"}),
    ("an unmasked name", REGISTERED, {"name_masked": "张三明"}),
    ("a masked name with a trailing newline", REGISTERED, {"name_masked": "张*\n"}),
    ("a district of five digits", MOVED, {"to_district": "11010"}),
    ("a district with a trailing newline", MOVED, {"from_district": "110101\n"}),
    ("a district in full-width digits", LOGGED, {"district": "１１０１０１"}),
    ("a missing required field", LOGGED, {"logged_by": ABSENT}),
    ("a missing unit_id (required, even if null)", REGISTERED, {"unit_id": ABSENT}),
]


@pytest.mark.parametrize(("why", "type_str", "changes"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_by_both_paths(why: str, type_str: str, changes: dict[str, Any]) -> None:
    body = _example(type_str, **changes)
    assert decode_fast(body) is None
    assert not general_path_accepts(body)


LEFT_TO_THE_GENERAL_PATH: list[tuple[str, str, dict[str, Any]]] = [
    # msgspec would round this to .123457; pydantic truncates it to .123456
    ("a fraction of seven digits", LOGGED, {"started_at": "2026-03-14T01:00:00.1234567Z"}),
    ("a lower-case t and z", LOGGED, {"ended_at": "2026-03-14t05:00:00z"}),
    ("a space for the T", REGISTERED, {"registered_at": "2026-03-14 01:00:00Z"}),
    ("an offset without a colon", REGISTERED, {"registered_at": "2026-03-14T09:00:00+0800"}),
    ("a time without seconds", LOGGED, {"ended_at": "2026-03-14T05:00Z"}),
    ("a fraction after a comma", LOGGED, {"ended_at": "2026-03-14T05:00:00,5Z"}),
]


@pytest.mark.parametrize(
    ("why", "type_str", "changes"), LEFT_TO_THE_GENERAL_PATH, ids=[r[0] for r in LEFT_TO_THE_GENERAL_PATH]
)
def test_valid_but_left_to_the_general_path(why: str, type_str: str, changes: dict[str, Any]) -> None:
    body = _example(type_str, **changes)
    assert decode_fast(body) is None
    assert general_path_accepts(body)


@st.composite
def time_like_texts(draw: st.DrawFn) -> str:
    """Times of RFC 3339's shape, one digit pair often out of its range, separators varied."""
    text = draw(times())
    if draw(st.booleans()):
        pairs = [m.start() for m in re.finditer(r"(?<![0-9])[0-9]{2}(?![0-9])", text)]
        if pairs:
            at = draw(st.sampled_from(pairs))
            text = text[:at] + draw(st.from_regex(r"\A[0-9]{2}\Z")) + text[at + 2 :]
    if draw(st.booleans()):
        text = text.replace("T", draw(st.sampled_from(["t", " ", "_"])))
    return text


@settings(max_examples=800, deadline=None)
@given(time_like_texts())
def test_any_time_of_rfc3339_shape_is_read_as_pydantic_reads_it(text: str) -> None:
    assert_agrees(_example(REGISTERED, registered_at=text))
    assert_agrees(_example(LOGGED, started_at=text, ended_at=text))


@pytest.mark.parametrize(
    "attributes",
    [
        {"specversion": "1.1"},
        {"specversion": None},
        {"sequence": "1"},
        {"sequence": 1.0},
        {"id": None},
        {"data": None},
    ],
)
def test_an_envelope_decode_refuses_is_refused(attributes: dict[str, Any]) -> None:
    body = _body(LOGGED, EXAMPLES[LOGGED].model_dump(mode="json"), attributes)
    assert decode_fast(body) is None
    with pytest.raises(msgspec.ValidationError):
        decode(body)


@pytest.mark.parametrize("type_str", sorted(set(CATALOGUE) - FAST_TYPES))
def test_other_types_are_left_to_the_general_path(type_str: str) -> None:
    body = _body(type_str, EXAMPLES[type_str].model_dump(mode="json"))
    assert decode_fast(body) is None
    assert general_path_accepts(body)


def test_a_type_given_twice_is_refused() -> None:
    body = _example(LOGGED).replace(
        b'"sequence":1', b'"sequence":1,"type":"zhiyuan.activities.HoursRevoked.v1"'
    )
    assert decode_fast(body) is None


def test_a_key_given_twice_counts_once_the_last_as_in_the_general_path() -> None:
    body = _example(LOGGED).replace(b'"data":{', b'"data":{"minutes":-5,')
    assert decode_fast(body) is None  # the first value is refused on the way
    body = _example(LOGGED).replace(b'"data":{', b'"data":{"minutes":5,')
    accepted = assert_agrees(body)
    assert accepted is not None and isinstance(accepted.data, HoursLoggedData)
    assert accepted.data.minutes == 210


def test_an_escaped_digit_in_a_time_is_read_as_the_digit() -> None:
    body = _example(LOGGED, started_at="2026-03-14T01:00:00.1234567Z").replace(b"67Z", b"6\\u0037Z")
    assert decode_fast(body) is None
    body = _example(LOGGED).replace(b"2026-03-14T01:00:00Z", b"2026-03-14T01:00:0\\u0030Z")
    accepted = assert_agrees(body)
    assert accepted is not None and isinstance(accepted.data, HoursLoggedData)
    assert accepted.data.started_at == T0


def test_times_are_utc_datetimes() -> None:
    accepted = assert_agrees(_example(LOGGED, started_at="2026-03-14T08:30:00.5+07:30"))
    assert accepted is not None and isinstance(accepted.data, HoursLoggedData)
    assert accepted.data.started_at == datetime(2026, 3, 14, 1, 0, 0, 500000, tzinfo=UTC)
    assert accepted.data.started_at.tzinfo is UTC


# -- built in Python ----------------------------------------------------------------------------


def test_a_data_struct_built_in_python_is_checked_too() -> None:
    fields: dict[str, Any] = dict(
        record_id="r-1",
        volunteer_id="v-1",
        activity_id="a-1",
        district="110101",
        minutes=60,
        place="社区活动室",
        target_group="public",
        logged_by="organizer:1",
    )
    beijing = timezone(timedelta(hours=8))
    built = HoursLoggedData(started_at=datetime(2026, 3, 14, 9, 0, tzinfo=beijing), ended_at=T0, **fields)
    assert built.started_at == T0 and built.started_at.tzinfo is UTC
    for started_at in (datetime(2026, 3, 14, 1, 0), datetime(2026, 3, 14, 1, 1, tzinfo=UTC)):  # naive, late
        with pytest.raises(ValueError):
            HoursLoggedData(started_at=started_at, ended_at=T0, **fields)
    with pytest.raises(ValueError):
        HoursLoggedData(**{**fields, "record_id": "13812345678"}, started_at=T0, ended_at=T0)


# -- the structs stay the pydantic classes' ------------------------------------------------------


@pytest.mark.parametrize("type_str", HOT)
def test_the_struct_has_the_fields_of_the_pydantic_class(type_str: str) -> None:
    model_fields = type(EXAMPLES[type_str]).model_fields
    struct_fields = msgspec.structs.fields(DATA_CLASSES[type_str])
    assert [f.name for f in struct_fields] == list(model_fields)
    for f in struct_fields:
        model_field = model_fields[f.name]
        assert (f.required, model_field.is_required()) == (True, True) or (
            not f.required and not model_field.is_required() and f.default == model_field.default
        ), f.name
    assert set(KINDS[type_str]) == set(model_fields)


def test_only_hours_logged_has_a_model_validator_and_it_is_the_known_one() -> None:
    validators = {
        type_str: set(type(EXAMPLES[type_str]).__pydantic_decorators__.model_validators) for type_str in HOT
    }
    assert validators == {t: ({"_ends_after_start"} if t == LOGGED else set()) for t in HOT}
    field_validators = {
        type_str: set(type(EXAMPLES[type_str]).__pydantic_decorators__.field_validators) for type_str in HOT
    }
    assert field_validators == {t: set() for t in HOT}


def test_the_fast_types_are_the_five() -> None:
    assert set(HOT) == FAST_TYPES
    assert all(fast_type in CATALOGUE for fast_type in FAST_TYPES)


@pytest.mark.parametrize("pattern", fast._JOINED_PATTERNS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_no_joined_pattern_matches_a_newline(pattern: str, data: st.DataObject) -> None:
    # One regex checks all of a struct's patterned fields, their values joined with
    # newlines: sound only while no pattern can match a newline.
    value = data.draw(st.from_regex(re.compile(pattern + r"\Z"), fullmatch=True))
    assert "\n" not in value
    for i in range(len(value) + 1):
        assert re.fullmatch(pattern, value[:i] + "\n" + value[i:]) is None


PERSONAL_NUMBER_LIKE = st.one_of(
    st.from_regex(r"\A\+?(?:86)?1[3-9][0-9]{9}\Z"),
    st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z|\A[0-9]{15}\Z"),
    st.from_regex(r"\A[0-9Xx+]{9,20}\Z"),
    st.from_regex(r"\A" + ID_REGEX + r"\Z"),
)


@settings(max_examples=500, deadline=None)
@given(PERSONAL_NUMBER_LIKE)
def test_the_id_pattern_refuses_what_not_personal_number_refuses(value: str) -> None:
    fast_ok = re.fullmatch(fast._ID, value) is not None
    pydantic_ok = re.fullmatch(ID_REGEX, value) is not None and _not_a_personal_number(value)
    assert fast_ok == pydantic_ok


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(re.compile(_ID_NUMBER_SHAPED.pattern, re.ASCII), fullmatch=True),
        st.from_regex(re.compile(_MOBILE_SHAPED.pattern, re.ASCII), fullmatch=True),
    )
)
def test_every_personal_number_an_id_could_be_is_what_the_look_ahead_assumes(value: str) -> None:
    # fast._ID skips the shapes unless an id begins with ten ASCII digits, and ignores
    # _not_personal_number's length window: sound while every shape lies within both.
    assert 11 <= len(value) <= 18
    if re.fullmatch(ID_REGEX, value):
        assert re.match(r"[0-9]{10}", value)
        assert re.fullmatch(fast._ID, value) is None


def test_a_body_decode_cannot_read_is_refused() -> None:
    for body in (b"", b"{", b"[]", b"null", b'{"type":"zhiyuan.activities.HoursLogged.v1"}', b"\xff"):
        assert decode_fast(body) is None
