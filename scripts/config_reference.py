"""The configuration reference, generated from the settings models (lake_config/).

Every setting's type, default, allowed values and description come from pydantic's JSON Schema
of `LakeSettings` (`model_json_schema()`, with each field's `Field(description=...)`); the dev and
prod columns are what cdk.json sets. Two outputs:

- `reference_markdown()`: the tables of docs/reference/configuration.md (the mkdocs hook renders
  them when the site is built: scripts/docs_pages.py);
- `cdk_json_schema()`: docs/reference/cdk.schema.json, a JSON Schema of cdk.json for editors.

    python scripts/config_reference.py --schema   # prints the JSON Schema
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lake_config import load_settings  # noqa: E402
from lake_config.datasets import DATASET_NAME  # noqa: E402
from lake_config.models import PROJECT_NAME_PATTERN, STAGE_NAME_PATTERN, LakeSettings  # noqa: E402

SCHEMA_FILE = ROOT / "docs" / "reference" / "cdk.schema.json"
# Set by the loader, not in a stage's block: the stage's name (-c stage), its contracts (from
# cdk.json's `datasets` names) and the base of an ephemeral stage (-c base_stage).
LOADER_FIELDS = ("stage", "datasets", "base_stage")
# Shared by every stage unless a stage sets its own (lake_config.loader.SHARED_KEYS).
SHARED = ("project", "datasets")


def settings_schema() -> dict:
    return LakeSettings.model_json_schema()


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _is_section(schema: dict, node: dict) -> bool:
    return "$ref" in node and "properties" in _resolve(schema, node)


def settings(schema: dict | None = None) -> Iterator[tuple[str, dict]]:
    """(dotted name, schema of the setting) for every leaf setting of a stage, in model order."""
    schema = schema or settings_schema()

    def walk(prefix: str, model: dict) -> Iterator[tuple[str, dict]]:
        for name, node in model["properties"].items():
            if not prefix and name in LOADER_FIELDS:
                continue
            if _is_section(schema, node):
                yield from walk(f"{prefix}{name}.", _resolve(schema, node))
            else:
                yield prefix + name, node

    yield from walk("", schema)


def _without_null(node: dict) -> tuple[list[dict], bool]:
    options = node.get("anyOf", [node])
    return [o for o in options if o.get("type") != "null"], len(options) != len([o for o in options if o.get("type") != "null"])


def _type(node: dict) -> str:
    options, nullable = _without_null(node)
    names = []
    for option in options:
        kind = option.get("type", "any")
        if kind == "array":
            kind = f"list of {_type(option.get('items', {}))}"
        elif kind == "object":
            kind = "mapping" if "additionalProperties" not in option else f"mapping to {_type(option['additionalProperties'])}"
        elif "enum" in option or "const" in option:
            kind = {str: "string", int: "integer", bool: "boolean"}.get(type((option.get("enum") or [option.get("const")])[0]), kind)
        names.append(kind)
    return " or ".join(dict.fromkeys(names)) + (" (optional)" if nullable else "")


def _allowed(node: dict) -> str:
    options, _ = _without_null(node)
    found = []
    for option in options:
        if option.get("type") == "boolean":
            found.append("`true`, `false`")
        if "enum" in option:
            found.append(", ".join(f"`{v}`" for v in option["enum"]))
        if "const" in option:
            found.append(f"`{option['const']}`")
        low = option.get("minimum", option.get("exclusiveMinimum"))
        high = option.get("maximum", option.get("exclusiveMaximum"))
        if low is not None or high is not None:
            found.append(f"{'' if low is None else f'{low:,}'}–{'' if high is None else f'{high:,}'}")
        if "pattern" in option:
            found.append(f"`{option['pattern']}`")
        if "minItems" in option or "maxItems" in option:
            found.append(f"{option.get('minItems', 0)}–{option.get('maxItems', '')} items".replace("– items", "+ items"))
        if option.get("type") == "array" and (inner := _allowed(option.get("items", {}))):
            found.append(f"each {inner}")
    return "; ".join(found)


def _value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    if isinstance(value, dict):
        return json.dumps(value) if value else "none"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Plain text in a table cell: `<region>` would be read as an HTML tag and vanish."""
    return _cell(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _lookup(values: dict, name: str) -> Any:
    for part in name.split("."):
        values = values[part]
    return values


def cdk_context() -> dict:
    """cdk.json's context as it is now: every generated page reads the configuration through this."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def _shipped() -> dict[str, dict]:
    context = cdk_context()
    return {stage: load_settings({**context, "stage": stage}).model_dump() for stage in context["stages"]}


def reference_markdown() -> str:
    """One table per section: setting, type, default, allowed values, each shipped stage, meaning."""
    schema = settings_schema()
    shipped = _shipped()
    stages = list(shipped)
    by_section: dict[str, list[str]] = {}
    for name, node in settings(schema):
        section = name.rsplit(".", 1)[0] if "." in name else "(top level)"
        row = [_cell(f"`{name}`"), _text(_type(node)), _text(_value(node.get("default"))), _cell(_allowed(node))]
        row += [_text(_value(_lookup(values, name))) for values in shipped.values()]
        row.append(_text(node.get("description", "")))
        by_section.setdefault(section, []).append("| " + " | ".join(row) + " |")
    out = []
    for section, rows in by_section.items():
        out += [f"### `{section}`" if section != "(top level)" else "### Top level", ""]
        out.append("| setting | type | default | allowed | " + " | ".join(stages) + " | meaning |")
        out.append("|---" * (5 + len(stages)) + "|")
        out += rows + [""]
    return "\n".join(out)


def _editor_schema(node: Any) -> Any:
    """The schema as cdk.json may hold it: no `null` (the CDK drops null context values, and the
    loader refuses them), no pydantic titles."""
    if isinstance(node, dict):
        node = {k: _editor_schema(v) for k, v in node.items() if k != "title"}
        if "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            node.pop("anyOf")
            node = {**options[0], **node} if len(options) == 1 else {**node, "anyOf": options}
        if node.get("default", 0) is None:
            node.pop("default")
        return node
    if isinstance(node, list):
        return [_editor_schema(v) for v in node]
    return node


def cdk_json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of cdk.json's `context`: `project`, `datasets`, `stages`."""
    schema = _editor_schema(settings_schema())
    stage = {
        "type": "object",
        "description": "One stage's settings (docs/reference/configuration.md); unknown keys stop synth.",
        "properties": {k: v for k, v in schema["properties"].items() if k not in LOADER_FIELDS},
        "additionalProperties": False,
    }
    names = {"type": "array", "items": {"type": "string", "pattern": DATASET_NAME.pattern}, "minItems": 1,
             "description": "Names of the datasets (folders datasets/<name>/ with a contract.odcs.yaml)."}
    stage["properties"]["datasets"] = names
    defs = {k: v for k, v in schema["$defs"].items() if k not in ("Dataset", "Column", "NamedQuery", "Rule")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated by scripts/docs_pages.py from lake_config's models; do not edit.",
        "title": "cdk.json of the data lake",
        "type": "object",
        "properties": {
            "app": {"type": "string"},
            "context": {
                "type": "object",
                "properties": {
                    "project": {**stage["properties"]["project"], "pattern": PROJECT_NAME_PATTERN},
                    "datasets": names,
                    "stage": {"type": "string", "pattern": STAGE_NAME_PATTERN, "description": "The stage `cdk synth` picks without -c stage."},
                    "stages": {"type": "object", "propertyNames": {"pattern": STAGE_NAME_PATTERN}, "additionalProperties": {"$ref": "#/$defs/StageSettings"}},
                },
                "required": ["stages"],
            },
        },
        "$defs": {"StageSettings": stage, **defs},
    }


def schema_text() -> str:
    return json.dumps(cdk_json_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(schema_text() if "--schema" in sys.argv else reference_markdown(), end="")
