"""The recognition service: tracked consumers of the registry and activities streams,
its own events (star levels, commendation lists) through its own outbox, and the
queries the gateway asks on ``zyi.recognition.*``."""

from __future__ import annotations

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.service import ConsumerSpec, ServiceHost

from .. import commendations, queries
from ..certificates import handlers as certificates
from ..config import RecognitionSettings
from ..domain.star_policy import POLICIES
from ..integration.translator import translate
from ..rebuild import ledger


def validate(event: CloudEvent) -> None:
    parse_event(event)


def build(settings: RecognitionSettings | None = None) -> ServiceHost:
    settings = settings or RecognitionSettings()
    policy = POLICIES[settings.star_policy]
    projection = ledger(policy)
    host = ServiceHost(
        context="recognition",
        package="zhiyuan_recognition",
        settings=settings,
        translate=translate,
        project=commendations.project,
        consumers=[
            ConsumerSpec(
                "recognition-registry",
                "ZY_REGISTRY",
                projection,
                validate,
                settings.consumer_batch_size,
            ),
            ConsumerSpec(
                "recognition-activities",
                "ZY_ACTIVITIES",
                projection,
                validate,
                settings.consumer_batch_size,
            ),
        ],
    )
    queries.wire(host, policy)
    commendations.wire(host, notice_days=settings.notice_days)
    certificates.wire(host)
    return host
