"""The base of every public (integration) event.

An integration event is the ``data`` of a CloudEvent on ``zy.>``. Its public type
``zhiyuan.<context>.<Name>.v<N>`` is written out literally on each class and never
derived from the module path, so moving code never renames an event.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

_TYPE = re.compile(r"^zhiyuan\.(registry|activities|recognition)\.[A-Z][A-Za-z]+\.v[1-9][0-9]*$")


def _open_for_readers(schema: dict[str, Any]) -> None:
    # Building an event refuses unknown fields, but the published schema must not: an
    # additive change keeps the version, and an older reader has to accept the newer event.
    schema.pop("additionalProperties", None)


def _schema_extra(schema: dict[str, Any], cls: type[Any]) -> None:
    _open_for_readers(schema)
    # The public type names the schema, so v1 and v2 of an event never collide in the
    # AsyncAPI components or in a consumer's schema registry.
    type_str = getattr(cls, "TYPE", None)
    if isinstance(type_str, str):
        schema["title"] = type_str
        if getattr(cls, "deprecated_after", None) is not None:
            schema["deprecated"] = True


class ContractModel(BaseModel):
    """A value nested inside an event (a slot, a checklist, a list entry)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_open_for_readers)


class IntegrationEvent(BaseModel):
    """A public, versioned event; frozen, and unknown fields are refused when it is built."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_schema_extra)

    CONTEXT: ClassVar[str]
    NAME: ClassVar[str]
    VERSION: ClassVar[int]
    TYPE: ClassVar[str]
    # Set when a newer version replaces this one: producers dual-publish until this date.
    deprecated_after: ClassVar[date | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" not in cls.__dict__:
            return  # an intermediate base, not a catalogue entry
        expected = f"zhiyuan.{cls.CONTEXT}.{cls.NAME}.v{cls.VERSION}"
        if expected != cls.TYPE or not _TYPE.match(cls.TYPE):
            raise TypeError(f"{cls.__qualname__}.TYPE is {cls.TYPE!r}; CONTEXT/NAME/VERSION say {expected!r}")
