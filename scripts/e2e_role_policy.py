#!/usr/bin/env python3
"""Print the e2e role's permissions policy for this repository's project (cdk.json `project`).

docs/e2e-role/permissions-policy.json is written for the shipped project, `datalake`: its ARNs
name the `datalake-e2e*` stages (and `datalake_e2e*` in Glue, which allows no hyphens). A fork
that renames its project creates the role from this script's output instead, so the policy
follows the configuration: `python scripts/e2e_role_policy.py > e2e-policy.json`."""
import json
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
POLICY = REPOSITORY / "docs" / "e2e-role" / "permissions-policy.json"
SHIPPED_PROJECT = "datalake"


def policy_text(project: str) -> str:
    text = POLICY.read_text()
    for shipped, own in ((f"{SHIPPED_PROJECT}-e2e", f"{project}-e2e"), (f"{SHIPPED_PROJECT}_e2e", f"{project.replace('-', '_')}_e2e"),
                         (f"/{SHIPPED_PROJECT}/e2e", f"/{project}/e2e")):
        text = text.replace(shipped, own)
    return text


def main() -> int:
    project = json.loads((REPOSITORY / "cdk.json").read_text())["context"].get("project", SHIPPED_PROJECT)
    sys.stdout.write(policy_text(project))
    return 0


if __name__ == "__main__":
    sys.exit(main())
