"""Masking of personal data before it can enter an event.

No event carries a resident ID number or a phone number, and a name travels only masked
(张*明). Free text (titles, summaries, reasons) is masked by the producer with
:func:`mask_text`; the event models refuse free text in which :func:`contains_pii` still
finds a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

# Resident ID numbers: 18 characters (the last may be X) or the old 15 digits.
RESIDENT_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally with +86 and spaces or dashes in the usual places.
MOBILE_PATTERN = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
# Landlines with an area code: 010-12345678, 0571 8888888.
LANDLINE_PATTERN = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")

# 张*明, 李*, J***n: first character kept, then only '*', the last character optionally kept.
MASKED_NAME_PATTERN = r"^[^\s*][*]+[^\s*]?$"

_PATTERNS = (RESIDENT_ID_PATTERN, MOBILE_PATTERN, LANDLINE_PATTERN)
# Every pattern needs a run of at least three digits; most free text has none.
_DIGIT_RUN = re.compile(r"\d{3}")

MASK = "*"


def _mask_number(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"[^0-9Xx]", "", raw)
    # Three leading and four trailing characters kept, as on Chinese receipts: 138****8000.
    return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask every resident ID number and phone number found in ``text``."""
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_number, text)
    return text


def contains_pii(text: str) -> bool:
    """Whether ``text`` still holds something that looks like an ID or phone number."""
    if _DIGIT_RUN.search(text) is None:
        return False
    return any(pattern.search(text) for pattern in _PATTERNS)


def mask_name(name: str) -> str:
    """张三明 → 张*明, 李四 → 李*, 王 → 王*: first and last character kept, at least one ``*``."""
    name = name.strip()
    if not name:
        raise ValueError("cannot mask an empty name")
    if len(name) <= 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


# -- field names that could carry personal data ----------------------------------------

# A field name that means a resident ID number or a phone number, matched on whole
# underscore-separated words (so ``hotel`` or ``valid_notes`` pass, ``mobile_no`` does not).
FORBIDDEN_FIELD_NAME = re.compile(
    r"(?:^|_)(?:id_?(?:number|num|no|card)|resident_id|identity\w*|sfz\w*|shenfen\w*|passport\w*"
    r"|\w*mobile\w*|\w*phone\w*|tel|telephone)(?:_|$)"
)
# Fields whose name says "name" but that hold an organisation's public name.
ORG_NAME_FIELDS: frozenset[str] = frozenset(
    {
        "UnitRegistered.name",
        "TeamRegistered.name",
        "StationRegistered.name",
        "CommendationEntry.team_name",
    }
)


def _string_patterns(schema: Mapping[str, Any]) -> set[str]:
    patterns = {schema["pattern"]} if "pattern" in schema else set()
    for branch in schema.get("anyOf", ()):
        patterns |= _string_patterns(branch)
    return patterns


def _is_masked_name(schema: Mapping[str, Any]) -> bool:
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    return bool(branches) and all(_string_patterns(b) == {MASKED_NAME_PATTERN} for b in branches)


def _is_open_map(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") == "object" and "properties" not in schema:
        return True
    nested = [*schema.get("anyOf", ()), *([schema["items"]] if "items" in schema else [])]
    return any(_is_open_map(b) for b in nested)


def field_name_violation(model_name: str, field: str, schema: Mapping[str, Any]) -> str | None:
    """Why ``model_name.field`` (with its JSON Schema) could carry personal data, or None."""
    lowered = field.lower()
    if FORBIDDEN_FIELD_NAME.search(lowered):
        return f"{model_name}.{field}: the name suggests an ID or phone number"
    if "name" in lowered and f"{model_name}.{field}" not in ORG_NAME_FIELDS and not _is_masked_name(schema):
        return f"{model_name}.{field}: a name that is neither MaskedName nor an allowed organisation name"
    if _is_open_map(schema):
        return f"{model_name}.{field}: a free-form object could carry anything"
    return None


def personal_data_violations(models: Iterable[type[BaseModel]]) -> list[str]:
    """Every field, through nested models, whose name or type could carry personal data.

    Scans the JSON Schema the model publishes (nested models are its ``$defs``), so what
    is checked is exactly what consumers see.
    """
    violations: list[str] = []
    for model in models:
        schema = model.model_json_schema()
        scopes = [(model.__name__, schema), *schema.get("$defs", {}).items()]
        for scope_name, scope in scopes:
            for field, field_schema in scope.get("properties", {}).items():
                problem = field_name_violation(scope_name, field, field_schema)
                if problem and problem not in violations:
                    violations.append(problem)
    return violations
