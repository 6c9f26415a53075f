"""The activities service: a FastStream app answering ``zyi.activities.*``. It owns and
provisions ``ZY_ACTIVITIES``, relays its outbox, and keeps its copy of registry facts
(volunteers, teams, memberships) with a tracked consumer of ``ZY_REGISTRY``."""

from __future__ import annotations

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.service import ConsumerSpec, ServiceHost

from ..adapters import registry_copy
from ..adapters.views import project, project_many
from ..application import activities, hours, queries
from ..application.context import AttendanceCodes
from ..config import ActivitiesSettings
from ..integration.translator import translate


def validate(event: CloudEvent) -> None:
    parse_event(event)


def build(settings: ActivitiesSettings | None = None) -> ServiceHost:
    settings = settings or ActivitiesSettings()
    host = ServiceHost(
        context="activities",
        package="zhiyuan_activities",
        settings=settings,
        translate=translate,
        project=project,
        project_many=project_many,
        consumers=[
            ConsumerSpec("activities-registry", "ZY_REGISTRY", registry_copy.HANDLERS, validate, settings.consumer_batch_size)
        ],
    )
    handlers = activities.wire(host, AttendanceCodes(settings.attendance_key()), settings.missed_check_out_grace())

    async def sweep_missed_check_outs(running: ServiceHost) -> None:
        await activities.close_missed_check_outs_everywhere(running, handlers)

    host.periodic.append((60.0, sweep_missed_check_outs))
    hours.wire(host, settings.policy())
    queries.wire(host)
    return host
