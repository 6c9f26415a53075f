"""A fast, typed decoding of the five events a replay reads most, as strict as ``parse_event``.

Recognition's replay reads millions of ``VolunteerRegistered``, ``VolunteerMoved``,
``HoursLogged``, ``HoursCorrected`` and ``HoursRevoked`` events. :func:`decode_fast`
decodes one message body straight into typed msgspec structs (one decoder call: a tagged
union on the CloudEvent ``type``) and checks everything the pydantic classes check, so a
body it accepts is one ``parse_event(decode(body))`` accepts, with the same values.

Anything else gets ``None``: another type, anything invalid, and the few valid bodies this
path does not judge (see :func:`decode_fast`). The caller then takes the general path,
``parse_event(decode(body))``, which decides; ``None`` is always safe.

How the rules stay the pydantic classes' own:

* lengths and bounds are read from the ``Annotated`` aliases of :mod:`.types` and checked
  by msgspec;
* patterns are read from the same aliases; a struct checks all of its patterned fields with
  one regular expression, their patterns joined by newlines (none of them can match a
  newline, so each field has to match its own pattern; a Python call per field costs
  more than the whole decoding). Each pattern ends where its value ends, as pydantic's
  Rust regex reads ``$`` (Python's ``$`` also matches before a trailing newline);
* the checks msgspec cannot express call the functions of :mod:`.types` (personal data in
  free text, the registration number rule, UTC), or use their regexes (no id shaped like
  an ID or phone number);
* vocabularies are ``Literal`` types built from the enums of :mod:`.vocabularies`;
* importing this module fails if an alias gains a rule it does not reproduce, and the
  tests hold every struct's fields to its pydantic class.

Times travel as RFC 3339 text and are parsed after the decoding, not by msgspec: msgspec
rounds a fraction of a second beyond microseconds where pydantic truncates it. On the wire
a time has the strict RFC 3339 form (``T``, a fraction of at most six digits, ``Z`` or
``±hh:mm``); once decoded, it is a ``datetime`` in UTC, as pydantic makes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar, get_args

import msgspec
from annotated_types import Ge
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, Strict, StringConstraints
from pydantic.fields import FieldInfo

from . import types as _types
from .activities import v1 as activities_v1
from .envelope import SPECVERSION, CloudEvent
from .registry import v1 as registry_v1
from .types import (
    _ID_NUMBER_SHAPED,
    _MOBILE_SHAPED,
    _aware_utc,
    _datetime_or_text,
    _no_pii,
    _not_personal_number,
    _professional,
    _registration_no,
)
from .vocabularies import PROFESSIONAL_SERVICE_KINDS, PoliticalStatus, ServiceKind, TargetGroup

__all__ = [
    "FAST_TYPES",
    "FastEvent",
    "HoursCorrectedData",
    "HoursCorrectedEvent",
    "HoursLoggedData",
    "HoursLoggedEvent",
    "HoursRevokedData",
    "HoursRevokedEvent",
    "VolunteerMovedData",
    "VolunteerMovedEvent",
    "VolunteerRegisteredData",
    "VolunteerRegisteredEvent",
    "decode_fast",
]

# -- the rules of types.py, in msgspec's terms ------------------------------------------


def _rules(
    alias: object, base: type
) -> tuple[dict[str, Any], list[Callable[..., Any]], list[Callable[..., Any]]]:
    """Constraints, before- and after-validators of an ``Annotated`` alias of :mod:`.types`.

    Raises ``TypeError`` for anything this module does not reproduce, so a new rule in
    types.py stops the import instead of being skipped by the fast path.
    """
    origin, *metadata = get_args(alias)
    if origin is not base:
        raise TypeError(f"fast.py expects {alias!r} to be a {base.__name__}")
    constraints: dict[str, Any] = {}
    before: list[Callable[..., Any]] = []
    after: list[Callable[..., Any]] = []
    for item in metadata:
        if isinstance(item, StringConstraints):
            if item.strip_whitespace or item.to_upper or item.to_lower or item.strict or item.ascii_only:
                raise TypeError(f"fast.py does not reproduce {item!r}")
            if item.pattern is not None:
                constraints["pattern"] = str(item.pattern)
            if item.min_length is not None:
                constraints["min_length"] = item.min_length
            if item.max_length is not None:
                constraints["max_length"] = item.max_length
        elif isinstance(item, Ge):
            constraints["ge"] = item.ge
        elif isinstance(item, Strict):
            pass  # msgspec never converts between JSON types
        elif isinstance(item, AfterValidator):
            after.append(item.func)
        elif isinstance(item, BeforeValidator):
            before.append(item.func)
        elif isinstance(item, PlainSerializer):
            pass  # output only
        elif isinstance(item, FieldInfo) and not item.metadata:
            pass  # description and examples
        else:
            raise TypeError(f"fast.py does not reproduce {item!r} of {alias!r}")
    return constraints, before, after


def _string(alias: object, *, checks: tuple[Callable[..., Any], ...] = ()) -> tuple[msgspec.Meta, str]:
    """msgspec's ``Meta`` for a str alias (lengths), and its pattern ("" for none) unanchored.

    Also makes sure the alias validates with exactly ``checks``, which the structs call.
    """
    constraints, before, after = _rules(alias, str)
    if before or tuple(after) != checks:
        raise TypeError(
            f"fast.py checks {checks!r} on {alias!r}, which now validates with {before + after!r}"
        )
    pattern = constraints.pop("pattern", None)
    return msgspec.Meta(**constraints), "" if pattern is None else _unanchored(pattern)


def _unanchored(pattern: str) -> str:
    if not pattern.startswith("^") or not pattern.endswith("$") or "$" in pattern[:-1]:
        raise TypeError(f"fast.py expects a pattern anchored with ^ and $, got {pattern!r}")
    return pattern[1:-1]


def _check_other_rules() -> None:
    constraints, before, after = _rules(_types.Minutes, int)
    if constraints != {"ge": 0} or before or after:
        raise TypeError(f"fast.py does not reproduce the rules of Minutes: {constraints}, {before + after!r}")
    constraints, before, after = _rules(_types.UtcDateTime, datetime)
    if constraints or before != [_datetime_or_text] or after != [_aware_utc]:
        raise TypeError(f"fast.py does not reproduce the rules of UtcDateTime: {before + after!r}")
    constraints, before, after = _rules(_types.Skill, ServiceKind)
    if constraints or before or after != [_professional]:
        raise TypeError(f"fast.py does not reproduce the rules of Skill: {before + after!r}")


_check_other_rules()

_ID_META, _ID_SHAPE = _string(_types.Id, checks=(_not_personal_number,))
# _not_personal_number, as a look-ahead of the joined pattern (five calls cost more than
# the whole pattern): an id may not be, whole, shaped like a resident ID number or a mobile
# number, by types.py's own regexes. Every such shape is 11 to 18 characters long (the
# function's window) and, with no "+" in an id, begins with ten ASCII digits: the cheap
# (?=[0-9]{10}) that skips the shapes for almost every id. The tests hold both facts, and
# the look-ahead, to the function.
_PERSONAL_NUMBER = "|".join(_unanchored(shape.pattern) for shape in (_ID_NUMBER_SHAPED, _MOBILE_SHAPED))
_ID = f"(?!(?=[0-9]{{10}})(?:{_PERSONAL_NUMBER})(?:\\n|\\Z))" + _ID_SHAPE
_REGISTRATION_NO_META, _REGISTRATION_NO = _string(_types.RegistrationNo, checks=(_registration_no,))
_DISTRICT_META, _DISTRICT = _string(_types.DistrictCode)
_DIVISION_META, _DIVISION = _string(_types.DivisionCode)
_MASKED_NAME_META, _MASKED_NAME = _string(_types.MaskedName)
_SHORT_TEXT_META, _ = _string(_types.ShortText, checks=(_no_pii,))
_FREE_TEXT_META, _ = _string(_types.FreeText, checks=(_no_pii,))
_CRITERIA_VERSION_META, _ = _string(_types.CriteriaVersion)

# The wire form of a time: what pydantic and datetime.fromisoformat both read alike (the
# latter checks the ranges of the date and the time, not those of an offset's minutes).
_RFC3339 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)

Id = Annotated[str, _ID_META]
RegistrationNo = Annotated[str, _REGISTRATION_NO_META]
DistrictCode = Annotated[str, _DISTRICT_META]
DivisionCode = Annotated[str, _DIVISION_META]
MaskedName = Annotated[str, _MASKED_NAME_META]
ShortText = Annotated[str, _SHORT_TEXT_META]
FreeText = Annotated[str, _FREE_TEXT_META]
CriteriaVersion = Annotated[str, _CRITERIA_VERSION_META]
Minutes = Annotated[int, msgspec.Meta(ge=0)]

if TYPE_CHECKING:
    UtcDateTime: TypeAlias = datetime
    ServiceKindCode: TypeAlias = str
    SkillCode: TypeAlias = str
    TargetGroupCode: TypeAlias = str
    PoliticalStatusCode: TypeAlias = str
else:
    # RFC 3339 text when decoded, a UTC datetime once __post_init__ has run.
    UtcDateTime = str
    # The codes of the vocabularies, built from the enums.
    ServiceKindCode = Literal[tuple(kind.value for kind in ServiceKind)]
    SkillCode = Literal[tuple(kind.value for kind in ServiceKind if kind in PROFESSIONAL_SERVICE_KINDS)]
    TargetGroupCode = Literal[tuple(group.value for group in TargetGroup)]
    PoliticalStatusCode = Literal[tuple(status.value for status in PoliticalStatus)]


_JOINED_PATTERNS = (_ID, _REGISTRATION_NO, _DISTRICT, _DIVISION, _MASKED_NAME, _RFC3339)


def _joined(*patterns: str) -> re.Pattern[str]:
    """One regex for several fields, their values joined with newlines, in this order.

    Sound because none of the patterns matches a newline (a test holds them to it): the
    newlines of the joined text are the separators, each field faces its own pattern.
    """
    if not set(patterns) <= set(_JOINED_PATTERNS):
        raise TypeError("fast.py joins only the patterns of _JOINED_PATTERNS")
    return re.compile("\n".join(f"(?:{pattern})" for pattern in patterns) + r"\Z")


# What an absent field (or a time given as a datetime, see _utc) faces its pattern as.
_NO_ID = "0"
_NO_DIVISION = "0" * 12
_NO_MASKED_NAME = "x*"
_NO_TIME = "2000-01-01T00:00:00Z"
for _pattern, _value in (
    (_ID, _NO_ID),
    (_DIVISION, _NO_DIVISION),
    (_MASKED_NAME, _NO_MASKED_NAME),
    (_RFC3339, _NO_TIME),
):
    if not re.fullmatch(_pattern, _value):
        raise TypeError(f"fast.py's stand-in {_value!r} no longer matches {_pattern!r}")

_fromisoformat = datetime.fromisoformat
_force_setattr = msgspec.structs.force_setattr


def _utc(moment: str | datetime) -> datetime:
    """A time in UTC: as decoded, RFC 3339 text (its pattern checked); built in Python, a datetime.

    ValueError for a naive datetime, OverflowError for a time at the ends of the calendar
    that has no UTC equivalent.
    """
    if isinstance(moment, str):
        parsed = _fromisoformat(moment)
        if parsed.tzinfo is UTC:
            return parsed
        moment = parsed
    return _aware_utc(moment)


def _pattern_error(event: msgspec.Struct) -> ValueError:
    return ValueError(f"a field of {type(event).__name__} does not match its pattern")


# -- data ---------------------------------------------------------------------------------
# Field names, order, defaults and optionality are the pydantic classes'. msgspec checks
# types, lengths, bounds and vocabularies; __post_init__ the rest (its ValueError becomes
# a msgspec.ValidationError).

_VOLUNTEER_REGISTERED = _joined(
    _ID, _REGISTRATION_NO, _DISTRICT, _DIVISION, _DIVISION, _RFC3339, _ID, _MASKED_NAME
)


class VolunteerRegisteredData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``registry.v1.VolunteerRegistered``."""

    volunteer_id: Id
    registration_no: RegistrationNo
    district: DistrictCode
    street: DivisionCode
    community: DivisionCode
    registered_by: ShortText
    registered_at: UtcDateTime
    skills: list[SkillCode]
    minor: bool
    unit_id: Id | None
    name_masked: MaskedName | None = None
    political_status: PoliticalStatusCode | None = None

    def __post_init__(self) -> None:
        registered_at: Any = self.registered_at
        unit_id, name_masked = self.unit_id, self.name_masked
        if not _VOLUNTEER_REGISTERED.match(
            "\n".join(
                (
                    self.volunteer_id,
                    self.registration_no,
                    self.district,
                    self.street,
                    self.community,
                    registered_at if isinstance(registered_at, str) else _NO_TIME,
                    _NO_ID if unit_id is None else unit_id,
                    _NO_MASKED_NAME if name_masked is None else name_masked,
                )
            )
        ):
            raise _pattern_error(self)
        _registration_no(self.registration_no)
        _no_pii(self.registered_by)
        _force_setattr(self, "registered_at", _utc(registered_at))


_VOLUNTEER_MOVED = _joined(_ID, _DIVISION, _DIVISION, _DISTRICT, _DISTRICT, _DIVISION, _DIVISION)


class VolunteerMovedData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``registry.v1.VolunteerMoved``."""

    volunteer_id: Id
    from_community: DivisionCode
    to_community: DivisionCode
    from_district: DistrictCode
    to_district: DistrictCode
    from_street: DivisionCode | None = None
    to_street: DivisionCode | None = None

    def __post_init__(self) -> None:
        from_street, to_street = self.from_street, self.to_street
        if not _VOLUNTEER_MOVED.match(
            "\n".join(
                (
                    self.volunteer_id,
                    self.from_community,
                    self.to_community,
                    self.from_district,
                    self.to_district,
                    _NO_DIVISION if from_street is None else from_street,
                    _NO_DIVISION if to_street is None else to_street,
                )
            )
        ):
            raise _pattern_error(self)


_HOURS_LOGGED = _joined(_ID, _ID, _ID, _ID, _DISTRICT, _RFC3339, _RFC3339, _ID, _DIVISION)


class HoursLoggedData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``activities.v1.HoursLogged``."""

    record_id: Id
    volunteer_id: Id
    activity_id: Id
    district: DistrictCode
    minutes: Minutes
    started_at: UtcDateTime
    ended_at: UtcDateTime
    place: ShortText
    target_group: TargetGroupCode
    logged_by: Id
    service_kind: ServiceKindCode | None = None
    team_id: Id | None = None
    backfilled: bool = False
    community: DivisionCode | None = None
    policy_version: CriteriaVersion | None = None
    late: bool = False

    def __post_init__(self) -> None:
        started_at: Any = self.started_at
        ended_at: Any = self.ended_at
        team_id, community = self.team_id, self.community
        if not _HOURS_LOGGED.match(
            "\n".join(
                (
                    self.record_id,
                    self.volunteer_id,
                    self.activity_id,
                    self.logged_by,
                    self.district,
                    started_at if isinstance(started_at, str) else _NO_TIME,
                    ended_at if isinstance(ended_at, str) else _NO_TIME,
                    _NO_ID if team_id is None else team_id,
                    _NO_DIVISION if community is None else community,
                )
            )
        ):
            raise _pattern_error(self)
        _no_pii(self.place)
        started, ended = _utc(started_at), _utc(ended_at)
        if ended < started:
            raise ValueError("ended_at is before started_at")
        _force_setattr(self, "started_at", started)
        _force_setattr(self, "ended_at", ended)


_HOURS_CHANGED = _joined(_ID, _ID, _ID, _ID)


class HoursCorrectedData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``activities.v1.HoursCorrected``."""

    record_id: Id
    volunteer_id: Id
    minutes: Minutes
    previous_minutes: Minutes
    reason: FreeText
    activity_id: Id | None = None
    corrected_by: Id | None = None

    def __post_init__(self) -> None:
        activity_id, corrected_by = self.activity_id, self.corrected_by
        if not _HOURS_CHANGED.match(
            "\n".join(
                (
                    self.record_id,
                    self.volunteer_id,
                    _NO_ID if activity_id is None else activity_id,
                    _NO_ID if corrected_by is None else corrected_by,
                )
            )
        ):
            raise _pattern_error(self)
        _no_pii(self.reason)


class HoursRevokedData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``activities.v1.HoursRevoked``."""

    record_id: Id
    volunteer_id: Id
    previous_minutes: Minutes
    reason: FreeText
    activity_id: Id | None = None
    revoked_by: Id | None = None

    def __post_init__(self) -> None:
        activity_id, revoked_by = self.activity_id, self.revoked_by
        if not _HOURS_CHANGED.match(
            "\n".join(
                (
                    self.record_id,
                    self.volunteer_id,
                    _NO_ID if activity_id is None else activity_id,
                    _NO_ID if revoked_by is None else revoked_by,
                )
            )
        ):
            raise _pattern_error(self)
        _no_pii(self.reason)


# -- envelopes ------------------------------------------------------------------------------

DataT = TypeVar("DataT")

if SPECVERSION != "1.0":  # the Literal below
    raise TypeError(f"fast.py decodes CloudEvents 1.0, envelope.py now speaks {SPECVERSION}")


class _Envelope(msgspec.Struct, Generic[DataT], frozen=True, kw_only=True, gc=False, tag_field="type"):
    """``envelope.CloudEvent``'s attributes (same types, same defaults) with a typed ``data``.

    ``type`` is the tag of the union: a class constant, not a field.
    """

    TYPE: ClassVar[str]

    id: str
    source: str
    subject: str
    time: str
    district: str
    sequence: int
    data: DataT
    specversion: Literal["1.0"] = "1.0"
    datacontenttype: str = "application/json"
    correlationid: str | None = None
    causationid: str | None = None

    @property
    def type(self) -> str:
        return self.TYPE

    def to_cloud_event(self) -> CloudEvent:
        """The envelope as ``envelope.CloudEvent``, ``data`` as the producers write it.

        ``data`` holds every field of the event (defaults included) and times as RFC 3339
        UTC with ``Z``. For a body written like the producers write it
        (``catalogue.to_cloud_event`` + ``encode``) this is ``decode(body)``; for any body
        decode_fast accepts, the attributes are ``decode(body)``'s and ``parse_event`` of
        it is ``parse_event(decode(body))`` (fields the class does not know are not kept,
        an absent optional field is there with its default, a time is in UTC).
        """
        return CloudEvent(
            id=self.id,
            source=self.source,
            type=self.TYPE,
            subject=self.subject,
            time=self.time,
            district=self.district,
            sequence=self.sequence,
            data=msgspec.to_builtins(self.data),
            specversion=self.specversion,
            datacontenttype=self.datacontenttype,
            correlationid=self.correlationid,
            causationid=self.causationid,
        )


class VolunteerRegisteredEvent(
    _Envelope[VolunteerRegisteredData], frozen=True, tag=registry_v1.VolunteerRegistered.TYPE
):
    TYPE: ClassVar[str] = registry_v1.VolunteerRegistered.TYPE


class VolunteerMovedEvent(_Envelope[VolunteerMovedData], frozen=True, tag=registry_v1.VolunteerMoved.TYPE):
    TYPE: ClassVar[str] = registry_v1.VolunteerMoved.TYPE


class HoursLoggedEvent(_Envelope[HoursLoggedData], frozen=True, tag=activities_v1.HoursLogged.TYPE):
    TYPE: ClassVar[str] = activities_v1.HoursLogged.TYPE


class HoursCorrectedEvent(_Envelope[HoursCorrectedData], frozen=True, tag=activities_v1.HoursCorrected.TYPE):
    TYPE: ClassVar[str] = activities_v1.HoursCorrected.TYPE


class HoursRevokedEvent(_Envelope[HoursRevokedData], frozen=True, tag=activities_v1.HoursRevoked.TYPE):
    TYPE: ClassVar[str] = activities_v1.HoursRevoked.TYPE


FastEvent: TypeAlias = (
    VolunteerRegisteredEvent
    | VolunteerMovedEvent
    | HoursLoggedEvent
    | HoursCorrectedEvent
    | HoursRevokedEvent
)
FAST_TYPES: frozenset[str] = frozenset(
    cls.TYPE
    for cls in (
        VolunteerRegisteredEvent,
        VolunteerMovedEvent,
        HoursLoggedEvent,
        HoursCorrectedEvent,
        HoursRevokedEvent,
    )
)

_decoder: msgspec.json.Decoder[FastEvent] = msgspec.json.Decoder(FastEvent)


def decode_fast(body: bytes) -> FastEvent | None:
    """The typed event, if ``body`` is one of the five types and passes every check; else ``None``.

    ``None`` means "take the general path", ``parse_event(decode(body))``: another type,
    anything invalid, and a few valid bodies left to the general path to judge: a time not
    written strictly as RFC 3339 (``t``/``z`` in lower case, a space for the ``T``, no
    seconds, a fraction of more than six digits or after a comma, an offset without a
    colon), a time at the ends of the
    calendar with no UTC equivalent, and a key given twice whose first value is invalid.
    """
    try:
        return _decoder.decode(body)
    except (msgspec.MsgspecError, ValueError, OverflowError):
        return None
