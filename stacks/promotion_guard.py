"""Stops a deploy that would replace or delete a resource holding data, unless a reviewer named it.

The logical-ID guard (tests/stacks/test_stateful_resources.py) pins the IDs of everything that
holds data in the code; this applies the same rule to the real change, between the assembly a
stage runs (the artifact of its last successful deploy) and the one about to be deployed:

    python -m stacks.promotion_guard DEPLOYED_ASSEMBLY NEW_ASSEMBLY [--allow STACK/LOGICAL_ID,...]

A stateful resource (bucket, key, Glue database or table, the long-running EMR cluster) is
deleted when its stack or its logical ID (with its type) is gone from the new assembly, and
replaced when a property CloudFormation can only set at creation changes: the type's
`createOnlyProperties` in its CloudFormation registry schema (stacks/replacement_properties.json,
copied from the schemas cfn-lint bundles; a test keeps it equal to them). One line per finding;
exit 1 unless every finding is in --allow, the override a prod reviewer approves by name.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPLACEMENT_PROPERTIES: dict[str, list[str]] = json.loads(Path(__file__).with_name("replacement_properties.json").read_text())
STATEFUL_TYPES = tuple(REPLACEMENT_PROPERTIES)
MISSING = object()


def templates(assembly_dir: str | Path) -> dict[str, dict]:
    """Stack name -> template of every stack in the assembly."""
    directory = Path(assembly_dir)
    manifest = json.loads((directory / "manifest.json").read_text())
    return {
        artifact["properties"].get("stackName", name): json.loads((directory / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def _at(properties: dict, pointer: str):
    value = {"properties": properties}
    for part in pointer.strip("/").split("/"):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def findings(deployed_dir: str | Path, new_dir: str | Path) -> dict[str, str]:
    """`stack/logical id` -> what happens to it, for every stateful resource deleted or replaced."""
    before, after = templates(deployed_dir), templates(new_dir)
    found: dict[str, str] = {}
    for stack, template in before.items():
        for logical_id, resource in template.get("Resources", {}).items():
            type_ = resource["Type"]
            if type_ not in REPLACEMENT_PROPERTIES:
                continue
            key = f"{stack}/{logical_id}"
            if stack not in after:
                found[key] = f"{type_} deleted: stack {stack} is not in the new assembly"
                continue
            new = after[stack].get("Resources", {}).get(logical_id)
            if new is None or new["Type"] != type_:
                found[key] = f"{type_} deleted: logical ID {logical_id} is gone (a rename creates a new resource and deletes or orphans this one)"
                continue
            changed = [
                pointer.removeprefix("/properties/")
                for pointer in REPLACEMENT_PROPERTIES[type_]
                if _at(resource.get("Properties", {}), pointer) != _at(new.get("Properties", {}), pointer)
            ]
            if changed:
                found[key] = f"{type_} replaced: {', '.join(changed)} can only be set at creation"
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deployed", help="the assembly the stage runs now (its last successful deploy)")
    parser.add_argument("new", help="the assembly about to be deployed")
    parser.add_argument("--allow", default="", help="comma-separated STACK/LOGICAL_ID a reviewer approved replacing or deleting")
    args = parser.parse_args(argv)
    allowed = {item.strip() for item in args.allow.split(",") if item.strip()}
    found = findings(args.deployed, args.new)
    if unknown := sorted(allowed - set(found)):
        print(f"promotion guard: --allow names {', '.join(unknown)}, which this deploy neither replaces nor deletes", file=sys.stderr)
        return 1
    for key, what in sorted(found.items()):
        verdict = "allowed by the reviewer" if key in allowed else "STOP"
        print(f"promotion guard: {verdict}: {key}: {what}", file=sys.stderr)
    if blocked := sorted(set(found) - allowed):
        print(f"promotion guard: {len(blocked)} stateful resource(s) would be replaced or deleted; to go ahead, a reviewer reruns "
              f"the deploy workflow with allow_stateful_changes={','.join(blocked)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
