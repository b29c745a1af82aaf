"""Which `make` target deploys which stack, recorded as stack metadata in the cloud assembly.

`make deploy` must succeed on a fresh account, so it deploys every stack whose prerequisites
CloudFormation can create; the QuickSight stack needs three things it cannot (the account's
subscription, the S3 data source's manifest, a curated table with data for the SPICE import),
so it has its own target, `make deploy-quicksight`, which first runs the pre-deploy check
recorded with it. The Makefile reads the plan from the synthesized assembly:

    python -m stacks.deploy_plan cdk.out stacks deploy             # stack ids, dependencies first
    python -m stacks.deploy_plan cdk.out check deploy-quicksight   # the lakeops check to run first
"""
from __future__ import annotations

import json
import sys
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Makefile runs this module without starting the CDK's Node runtime
    from aws_cdk import Stack

TARGET = "datalake:deploy-target"
CHECK = "datalake:pre-deploy-check"
DEPLOY = "deploy"
DEPLOY_QUICKSIGHT = "deploy-quicksight"
TARGETS = (DEPLOY, DEPLOY_QUICKSIGHT)  # in the order they run


def assign(stack: Stack, target: str, check: list[str] | None = None) -> None:
    """Records the target that deploys `stack` and, optionally, the lakeops arguments to run first."""
    stack.node.add_metadata(TARGET, target)
    if check:
        stack.node.add_metadata(CHECK, check)


def _stacks(assembly_dir: str | Path) -> dict[str, dict]:
    manifest = json.loads((Path(assembly_dir) / "manifest.json").read_text())
    return {name: a for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}


def _metadata(assembly_dir: str | Path, artifact: dict, name: str, key: str):
    metadata = dict(artifact.get("metadata", {}))
    if extra := artifact.get("additionalMetadataFile"):
        metadata |= json.loads((Path(assembly_dir) / extra).read_text())
    entries = [e["data"] for e in metadata.get(f"/{name}", []) if e["type"] == key]
    return entries[0] if entries else None


def dependencies(assembly_dir: str | Path) -> dict[str, list[str]]:
    stacks = _stacks(assembly_dir)
    return {name: [d for d in a.get("dependencies", []) if d in stacks] for name, a in stacks.items()}


def plan(assembly_dir: str | Path) -> dict[str, list[str]]:
    """Stack ids per target, each list in dependency order."""
    stacks = _stacks(assembly_dir)
    order = list(TopologicalSorter(dependencies(assembly_dir)).static_order())
    targets = {name: _metadata(assembly_dir, artifact, name, TARGET) for name, artifact in stacks.items()}
    if unassigned := sorted(name for name, target in targets.items() if target not in TARGETS):
        raise ValueError(f"stacks without a deploy target: {', '.join(unassigned)} (stacks.deploy_plan.assign)")
    return {target: [name for name in order if targets[name] == target] for target in TARGETS}


def checks(assembly_dir: str | Path, target: str) -> list[list[str]]:
    stacks = _stacks(assembly_dir)
    return [check for name in plan(assembly_dir)[target] if (check := _metadata(assembly_dir, stacks[name], name, CHECK))]


def main(argv: list[str]) -> int:
    assembly_dir, what, target = argv
    if what == "stacks":
        print(" ".join(plan(assembly_dir)[target]))
    else:
        for check in checks(assembly_dir, target):
            print(" ".join(check))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
