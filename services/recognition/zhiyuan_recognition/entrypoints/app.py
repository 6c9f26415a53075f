"""The recognition service: tracked consumers of the registry and activities streams,
and the queries the gateway asks on ``zyi.recognition.*``."""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.consumer import Handler
from zhiyuan_platform.eventstore import StoredEvent
from zhiyuan_platform.service import ConsumerSpec, ServiceHost

from ..config import RecognitionSettings
from ..domain.star_policy import POLICIES
from ..projections import volunteer_totals as totals
from ..queries import RecognitionQueries


def validate(event: CloudEvent) -> None:
    parse_event(event)


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    return []  # recognition's own events (star levels, commendation lists) come with their issue


REGISTRY_HANDLERS: dict[str, Handler] = {
    "zhiyuan.registry.VolunteerRegistered.v1": totals.on_volunteer_registered,
}
ACTIVITIES_HANDLERS: dict[str, Handler] = {
    "zhiyuan.activities.HoursLogged.v1": totals.on_hours_logged,
    "zhiyuan.activities.HoursCorrected.v1": totals.on_hours_corrected,
    "zhiyuan.activities.HoursRevoked.v1": totals.on_hours_revoked,
}


def build(settings: RecognitionSettings | None = None) -> ServiceHost:
    settings = settings or RecognitionSettings()
    policy = POLICIES[settings.star_policy]
    host = ServiceHost(
        context="recognition",
        package="zhiyuan_recognition",
        settings=settings,
        translate=translate,
        consumers=[
            ConsumerSpec("recognition-registry", "ZY_REGISTRY", REGISTRY_HANDLERS, validate, settings.consumer_batch_size),
            ConsumerSpec(
                "recognition-activities", "ZY_ACTIVITIES", ACTIVITIES_HANDLERS, validate, settings.consumer_batch_size
            ),
        ],
    )
    queries = RecognitionQueries(policy)
    host.query("GetVolunteerRecognition", queries.volunteer_recognition)
    return host
