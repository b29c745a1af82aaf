#!/usr/bin/env python3
"""Which run's `prod-assembly` artifact prod runs, and which one to roll back to.

    gh api "repos/$GITHUB_REPOSITORY/actions/artifacts?name=prod-assembly&per_page=100" > artifacts.json
    python3 scripts/deployed_run.py artifacts.json deployed --exclude "$GITHUB_RUN_ID"
    python3 scripts/deployed_run.py artifacts.json previous --exclude "$GITHUB_RUN_ID"

The deploy workflow uploads `prod-assembly` (the assembly it deployed) only once prod's deploy
succeeded, from a deploy or a rollback, so the newest one from main is what prod runs
(`deployed`). `previous` is the newest older one of another commit: a second rollback goes
further back instead of returning to the commit it rolled back from (a rollback run carries
main's head commit, not the one it deployed). Expired artifacts are gone (GitHub keeps them for
the retention days set at upload). Prints the run id, or nothing. Standard library only: it
runs before the job installs anything.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ARTIFACT = "prod-assembly"


def deploys(artifacts: list[dict], exclude: int | None = None) -> list[dict]:
    """The prod deploys still downloadable, newest first."""
    found = [
        a for a in artifacts
        if a["name"] == ARTIFACT and not a["expired"] and a["workflow_run"]["head_branch"] == "main" and a["workflow_run"]["id"] != exclude
    ]
    return sorted(found, key=lambda a: (a["created_at"], a["id"]), reverse=True)


def deployed(artifacts: list[dict], exclude: int | None = None) -> dict | None:
    found = deploys(artifacts, exclude)
    return found[0] if found else None


def previous(artifacts: list[dict], exclude: int | None = None) -> dict | None:
    current = deployed(artifacts, exclude)
    if current is None:
        return None
    sha = current["workflow_run"]["head_sha"]
    return next((a for a in deploys(artifacts, exclude) if a["workflow_run"]["head_sha"] != sha), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, help="GitHub's list-artifacts response (gh api .../actions/artifacts?name=prod-assembly)")
    parser.add_argument("which", choices=("deployed", "previous"))
    parser.add_argument("--exclude", type=int, help="this run's id")
    args = parser.parse_args(argv)
    artifact = (deployed if args.which == "deployed" else previous)(json.loads(args.artifacts.read_text())["artifacts"], args.exclude)
    if artifact:
        print(artifact["workflow_run"]["id"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
