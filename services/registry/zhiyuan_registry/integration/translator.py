"""Stored registry events → the public v1 events of the contract (Eventuous "Integration").

Each area contributes its translators; an internal event without a public counterpart
(a spot-check outcome, say) publishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.eventstore import StoredEvent

from . import organization, volunteers

TRANSLATORS = {**volunteers.TRANSLATORS, **organization.TRANSLATORS}


def translate(stored: StoredEvent) -> Sequence[CloudEvent]:
    translator = TRANSLATORS.get(stored.type)
    return translator(stored) if translator is not None else []
