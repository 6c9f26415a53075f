"""The committed JSON Schemas and AsyncAPI document are what the classes generate.

A change to an event must show up as a reviewed diff of these files (snapshot tests).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from zhiyuan_contracts import generate
from zhiyuan_contracts.catalogue import CATALOGUE
from zhiyuan_contracts.examples import EXAMPLES

HINT = "run: .venv/bin/python -m zhiyuan_contracts.generate and review the diff"


def test_hint_is_the_documented_command() -> None:
    assert generate.REGENERATE_HINT == HINT


def test_json_schemas_are_up_to_date() -> None:
    expected = generate.render_schemas()
    committed = {p.name: p.read_text(encoding="utf-8") for p in generate.SCHEMAS_DIR.glob("*.json")}
    missing = sorted(set(expected) - set(committed))
    extra = sorted(set(committed) - set(expected))
    changed = sorted(name for name in set(expected) & set(committed) if expected[name] != committed[name])
    assert not (missing or extra or changed), (
        f"JSON Schemas are stale (missing {missing}, extra {extra}, changed {changed}); {HINT}"
    )


def test_asyncapi_document_is_up_to_date() -> None:
    committed = generate.ASYNCAPI_PATH.read_text(encoding="utf-8") if generate.ASYNCAPI_PATH.exists() else ""
    assert generate.render_asyncapi() == committed, f"asyncapi/zhiyuan.yaml is stale; {HINT}"


def test_check_mode_reports_nothing_stale() -> None:
    assert generate.stale_files() == [], HINT
    assert generate.main(["--check"]) == 0


def _load(type_str: str) -> dict[str, Any]:
    text = (generate.SCHEMAS_DIR / generate.schema_filename(type_str)).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@pytest.mark.parametrize("type_str", sorted(CATALOGUE))
def test_committed_schema_is_valid_and_accepts_the_example(type_str: str) -> None:
    schema = _load(type_str)
    assert schema["title"] == type_str
    assert schema["$id"] == f"urn:zhiyuan:schema:{type_str}"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(EXAMPLES[type_str].model_dump(mode="json"))


@pytest.mark.parametrize("type_str", sorted(CATALOGUE))
def test_committed_schema_tolerates_additive_fields(type_str: str) -> None:
    # Consumers validating against v1 must accept a v1 event that gained an optional field.
    schema = _load(type_str)
    data = {**EXAMPLES[type_str].model_dump(mode="json"), "added_later": 1}
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_files_are_sorted_with_a_trailing_newline() -> None:
    for path in generate.SCHEMAS_DIR.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_asyncapi_has_one_channel_per_type() -> None:
    document = yaml.safe_load(generate.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    channels = document["channels"]
    assert set(channels) == set(CATALOGUE)
    for type_str, cls in CATALOGUE.items():
        channel = channels[type_str]
        assert channel["address"] == f"zy.{cls.CONTEXT}.{{district}}.{cls.NAME}"
        assert "district" in channel["parameters"]
        assert type_str in channel["description"]
        message_ref = channel["messages"]["Message"]["$ref"].split("/")[-1]
        message = document["components"]["messages"][message_ref]
        assert message["payload"]["$ref"] == f"#/components/schemas/{type_str}"
        payload = document["components"]["schemas"][type_str]
        assert set(payload["required"]) == {n for n, f in cls.model_fields.items() if f.is_required()}
    assert set(document["operations"]) == set(CATALOGUE)
    assert all(op["action"] == "send" for op in document["operations"].values())
