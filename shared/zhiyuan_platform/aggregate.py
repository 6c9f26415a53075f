"""Event-sourced aggregates and stored (domain) events: standard library only.

Domain code imports this module and nothing else from the platform; it has no I/O.
Verb methods check the rules and ``_record`` a past-tense event; state changes only in
``apply``. Time and actor arrive as arguments, never from a clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, Self

_SCALARS = frozenset({str, int, float, bool, type(None)})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in order (``dataclasses.fields`` builds them anew each call)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """A stored event. ``TYPE`` is its explicit, stable name in the store."""

    TYPE: ClassVar[str]
    CLASS_VERSION: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _field_names(type(self))}
        # The common cases without asdict's deep copy, a call per item (a batch has hundreds
        # of events; a star award lists hundreds of records): scalars, and lists of them.
        for name, value in data.items():
            kind = type(value)
            if kind in _SCALARS:
                continue
            if kind is list and all(type(item) in _SCALARS for item in value):
                data[name] = list(value)
                continue
            return dataclasses.asdict(self)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class Aggregate:
    """Base class: ``version`` counts applied events; ``pending`` holds new ones."""

    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self.pending: list[DomainEvent] = []

    @classmethod
    def stream_id(cls, aggregate_id: str) -> str:
        return f"{cls.__name__.lower()}-{aggregate_id}"

    def apply(self, event: DomainEvent) -> None:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} cannot apply {event.TYPE}")

    def _record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.version += 1
        self.pending.append(event)

    @classmethod
    def rehydrate(cls, aggregate_id: str, history: Iterable[tuple[str, dict[str, Any]]]) -> Self:
        aggregate = cls(aggregate_id)
        aggregate.catch_up(history)
        return aggregate

    def catch_up(self, history: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Apply stored events that follow the ones already applied (e.g. after a snapshot)."""
        for type_name, data in history:
            event_class = self.EVENTS.get(type_name)
            if event_class is None:
                raise ValueError(f"{type(self).__name__} has no stored event type {type_name!r}")
            self.apply(event_class.from_data(data))
            self.version += 1

    @property
    def expected_version(self) -> int:
        """The version the store must still be at for the pending events to be appended."""
        return self.version - len(self.pending)
