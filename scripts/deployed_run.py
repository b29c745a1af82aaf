#!/usr/bin/env python3
"""Which run of the deploy workflow holds the cloud assembly prod runs, and which one to roll back to.

    gh run list --workflow deploy.yml --branch main --limit 100 \\
        --json databaseId,event,conclusion,headSha,createdAt > runs.json
    python3 scripts/deployed_run.py runs.json deployed --exclude "$GITHUB_RUN_ID"
    python3 scripts/deployed_run.py runs.json previous --exclude "$GITHUB_RUN_ID"

A run counts when it finished successfully from main (a push, or a dispatch: a rollback run
uploads the assembly it deployed as its own artifact, so it counts too); pull-request runs never
deploy. `deployed` is the newest such run: its `cloud-assembly` artifact is what prod runs.
`previous` is the newest older one of another commit, so a second rollback goes further back
instead of returning to the commit it rolled back from. Prints the run id, or nothing.
Standard library only: it runs before the job installs anything.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEPLOYING_EVENTS = ("push", "workflow_dispatch")


def deploys(runs: list[dict], exclude: int | None = None) -> list[dict]:
    """Successful deploying runs, newest first."""
    found = [r for r in runs if r["conclusion"] == "success" and r["event"] in DEPLOYING_EVENTS and r["databaseId"] != exclude]
    return sorted(found, key=lambda r: (r["createdAt"], r["databaseId"]), reverse=True)


def deployed(runs: list[dict], exclude: int | None = None) -> dict | None:
    found = deploys(runs, exclude)
    return found[0] if found else None


def previous(runs: list[dict], exclude: int | None = None) -> dict | None:
    current = deployed(runs, exclude)
    if current is None:
        return None
    return next((r for r in deploys(runs, exclude) if r["headSha"] != current["headSha"]), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="gh run list --json databaseId,event,conclusion,headSha,createdAt")
    parser.add_argument("which", choices=("deployed", "previous"))
    parser.add_argument("--exclude", type=int, help="this run's id")
    args = parser.parse_args(argv)
    run = (deployed if args.which == "deployed" else previous)(json.loads(args.runs.read_text()), args.exclude)
    if run:
        print(run["databaseId"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
