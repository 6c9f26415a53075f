"""DomainEvent.to_data: what is stored equals dataclasses.asdict, and never shares a list with the event."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from hypothesis import given
from hypothesis import strategies as st

from zhiyuan_platform.aggregate import DomainEvent

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))


@dataclasses.dataclass(frozen=True)
class Inner:
    a: int
    b: list[str]


@dataclasses.dataclass(frozen=True)
class Happened(DomainEvent):
    TYPE: ClassVar[str] = "Happened"
    name: Any
    items: Any


VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=5),
    st.lists(st.lists(SCALARS, max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=3),
    st.builds(Inner, st.integers(), st.lists(st.text(max_size=3), max_size=3)),
)


@given(name=VALUES, items=VALUES)
def test_to_data_is_what_asdict_gives(name: Any, items: Any) -> None:
    event = Happened(name, items)
    data = event.to_data()
    assert data == dataclasses.asdict(event)
    for key in ("name", "items"):
        if isinstance(data[key], list):
            assert data[key] is not getattr(event, key)  # a copy: changing it changes no event
