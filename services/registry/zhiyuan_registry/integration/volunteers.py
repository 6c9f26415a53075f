"""Public events of a volunteer's registration. The district of each is the volunteer's
registration district at the time (``VolunteerMoved`` goes to the new one)."""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.envelope import CloudEvent, parse_time
from zhiyuan_contracts.registry import v1
from zhiyuan_platform.eventstore import StoredEvent

from ..domain import volunteer as domain
from .common import Translator, wrap


def registered(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = domain.VolunteerRegistered.from_data(stored.data)
    public = v1.VolunteerRegistered(
        volunteer_id=e.volunteer_id,
        registration_no=e.registration_no,
        district=e.district,
        street=e.street,
        community=e.community,
        registered_by=e.agency,
        registered_at=parse_time(e.registered_at),
        skills=e.skills,
        minor=e.minor,
        unit_id=e.unit_id,
        name_masked=e.name_masked,
        political_status=e.political_status,
    )
    return wrap(stored, public, aggregate_id=e.volunteer_id, district=e.district)


def profile_updated(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = domain.VolunteerProfileUpdated.from_data(stored.data)
    public = v1.VolunteerProfileUpdated(
        volunteer_id=e.volunteer_id,
        changed=e.changed,
        skills=e.skills,
        unit_id=e.unit_id if "unit_id" in e.changed else None,
    )
    return wrap(stored, public, aggregate_id=e.volunteer_id, district=stored.meta["district"])


def moved(stored: StoredEvent) -> Sequence[CloudEvent]:
    e = domain.VolunteerMoved.from_data(stored.data)
    public = v1.VolunteerMoved(
        volunteer_id=e.volunteer_id,
        from_community=e.from_community,
        to_community=e.to_community,
        from_district=e.from_district,
        to_district=e.to_district,
        from_street=e.from_street,
        to_street=e.to_street,
    )
    return wrap(stored, public, aggregate_id=e.volunteer_id, district=e.to_district)


def _with_reason(public_class: type[v1.VolunteerSuspended] | type[v1.VolunteerReinstated] | type[v1.VolunteerDeregistered]) -> Translator:
    def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
        public = public_class(volunteer_id=stored.data["volunteer_id"], reason=stored.data["reason"])
        return wrap(stored, public, aggregate_id=stored.data["volunteer_id"], district=stored.meta["district"])

    return translate


def erased(stored: StoredEvent) -> Sequence[CloudEvent]:
    # District systems keep local copies: tell them the personal part is gone.
    public = v1.VolunteerProfileUpdated(volunteer_id=stored.data["volunteer_id"], changed=["personal_data_erased"])
    return wrap(stored, public, aggregate_id=stored.data["volunteer_id"], district=stored.meta["district"])


TRANSLATORS: dict[str, Translator] = {
    domain.VolunteerRegistered.TYPE: registered,
    domain.VolunteerProfileUpdated.TYPE: profile_updated,
    domain.VolunteerMoved.TYPE: moved,
    domain.VolunteerSuspended.TYPE: _with_reason(v1.VolunteerSuspended),
    domain.VolunteerReinstated.TYPE: _with_reason(v1.VolunteerReinstated),
    domain.VolunteerDeregistered.TYPE: _with_reason(v1.VolunteerDeregistered),
    domain.PersonalDataErased.TYPE: erased,
}
