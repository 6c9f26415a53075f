"""Generate the committed contract artefacts: one JSON Schema per event type and version,
and the AsyncAPI document of the public feed.

    .venv/bin/python -m zhiyuan_contracts.generate          # rewrite the files
    .venv/bin/python -m zhiyuan_contracts.generate --check  # exit 1 if they are stale

A test regenerates both in memory and fails on any difference, so a change to an event
shows up as a reviewed diff of these files.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from .base import IntegrationEvent
from .catalogue import CATALOGUE
from .subjects import PUBLIC_PREFIX, source_of

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
ASYNCAPI_PATH = PACKAGE_DIR / "asyncapi" / "zhiyuan.yaml"
REGENERATE_HINT = "run: .venv/bin/python -m zhiyuan_contracts.generate and review the diff"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_TITLE = "Zhiyuan public events"
ASYNCAPI_VERSION = "1"
ASYNCAPI_DESCRIPTION = (
    "Events Zhiyuan publishes on NATS JetStream for district systems and the city.\n\n"
    "Every message body is a CloudEvents 1.0 event in structured mode (JSON, with `data`); "
    "its `id` is also the `Nats-Msg-Id` header. `type` is `zhiyuan.<context>.<EventName>.v<N>`, "
    "`source` `/zhiyuan/<context>`, `subject` the aggregate id, `time` RFC 3339 UTC; extensions "
    "`district`, `sequence` (the aggregate's version, 1-based), `correlationid`, `causationid`. "
    "The payloads below are the `data` of each type.\n\n"
    "Subjects are `zy.<context>.<district>.<EventName>`; a district system subscribes to "
    "`zy.*.<district>.>`. A newer version of an event may appear on the same subject: select on "
    "`type` and skip types you do not know. No event carries a resident ID number, a phone "
    "number or an unmasked name."
)
DISTRICT_PARAMETER = {
    "description": "Six-digit GB/T 2260 district code: where it happened (see the contract)",
    "examples": ["110101"],
}


def schema_filename(type_str: str) -> str:
    return f"{type_str}.json"


def schema_of(cls: type[IntegrationEvent]) -> dict[str, Any]:
    schema = cls.model_json_schema()
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = f"urn:zhiyuan:schema:{cls.TYPE}"
    schema["title"] = cls.TYPE
    return schema


def render_schema(cls: type[IntegrationEvent]) -> str:
    return json.dumps(schema_of(cls), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_schemas() -> dict[str, str]:
    """File name (``<TYPE>.json``) to its text, for every type in the catalogue."""
    return {schema_filename(t): render_schema(cls) for t, cls in sorted(CATALOGUE.items())}


def subject_pattern(cls: type[IntegrationEvent]) -> str:
    return f"{PUBLIC_PREFIX}.{cls.CONTEXT}.{{district}}.{cls.NAME}"


def _summary(cls: type[IntegrationEvent]) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.splitlines()[0] if doc else ""


def build_broker() -> NatsBroker:
    """A broker that is never connected: it only declares one publisher per event type."""
    broker = NatsBroker("nats://localhost:4222")
    for type_str, cls in CATALOGUE.items():
        description = (
            f"`{type_str}` — {_summary(cls)}\n\n"
            f"CloudEvent `type` {type_str}, `source` {source_of(cls.CONTEXT)}; the payload is its `data`."
        )
        if cls.deprecated_after is not None:
            description += f"\n\nDeprecated: published until {cls.deprecated_after.isoformat()}."
        broker.publisher(subject_pattern(cls), title=type_str, description=description, schema=cls)
    return broker


def build_asyncapi() -> AsyncAPI:
    return AsyncAPI(
        build_broker(),
        title=ASYNCAPI_TITLE,
        version=ASYNCAPI_VERSION,
        description=ASYNCAPI_DESCRIPTION,
        identifier="urn:zhiyuan:events",
        schema_version="3.0.0",
    )


def asyncapi_document() -> dict[str, Any]:
    document: dict[str, Any] = build_asyncapi().to_specification().to_jsonable()
    # FastStream leaves the `{district}` parameter of each address undeclared, which
    # AsyncAPI 3 requires, and points correlationId at a header we do not send (it is the
    # CloudEvent's `correlationid` attribute).
    for channel in document.get("channels", {}).values():
        if "{district}" in channel.get("address", ""):
            channel["parameters"] = {"district": dict(DISTRICT_PARAMETER)}
    components = document.get("components", {})
    for message in components.get("messages", {}).values():
        message.pop("correlationId", None)
    # FastStream orders publishers by object identity, which changes from run to run.
    for section in (document, components):
        for key in ("channels", "operations", "messages", "schemas"):
            if isinstance(section.get(key), dict):
                section[key] = dict(sorted(section[key].items()))
    return document


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_asyncapi() -> str:
    # FastStream's own to_yaml() escapes non-ASCII; the labels are Chinese, so keep them legible.
    return yaml.dump(asyncapi_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def rendered_files() -> dict[Path, str]:
    files = {SCHEMAS_DIR / name: text for name, text in render_schemas().items()}
    files[ASYNCAPI_PATH] = render_asyncapi()
    return files


def stale_files() -> list[str]:
    """Paths (relative to the package) that differ from what would be generated, or are extra."""
    expected = rendered_files()
    stale = [
        str(path.relative_to(PACKAGE_DIR))
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if SCHEMAS_DIR.exists():
        stale += [
            str(path.relative_to(PACKAGE_DIR))
            for path in sorted(SCHEMAS_DIR.glob("*.json"))
            if path not in expected
        ]
    return stale


def write_all() -> list[Path]:
    """Write every artefact, remove schemas of types no longer in the catalogue; return changed paths."""
    changed: list[Path] = []
    expected = rendered_files()
    for path, text in expected.items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    for path in sorted(SCHEMAS_DIR.glob("*.json")):
        if path not in expected:
            path.unlink()
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zhiyuan_contracts.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: {name}", file=sys.stderr)
        if stale:
            print(REGENERATE_HINT, file=sys.stderr)
        return 1 if stale else 0
    for path in write_all():
        print(f"updated {path.relative_to(PACKAGE_DIR)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
