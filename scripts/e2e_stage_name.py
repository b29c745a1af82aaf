#!/usr/bin/env python3
"""Print the name of CI's ephemeral stage for a pull request or a run: `e2epr<number>` or
`e2er<number>`, shorter forms of the same number where the project leaves less room
(lake_config.names.ephemeral_stage_name), sized for the base stage's pinned region, else for
every commercial region. With --github-env it also sets STAGE for the job's later steps."""
import argparse
import json
import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from lake_config.names import ephemeral_stage_name  # noqa: E402


def stage_name(context: dict, base_stage: str, kind: str, number: int) -> str:
    base = context["stages"][base_stage]
    return ephemeral_stage_name(base.get("project", context.get("project", "datalake")), kind, number, base.get("region"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-stage", required=True)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--pr", type=int, help="pull request number")
    which.add_argument("--run", type=int, help="workflow run number")
    parser.add_argument("--github-env", action="store_true", help="append STAGE=<name> to $GITHUB_ENV")
    args = parser.parse_args(argv)
    context = json.loads((REPOSITORY / "cdk.json").read_text())["context"]
    if args.base_stage not in context["stages"]:
        parser.error(f"unknown base stage {args.base_stage!r}: allowed values are {', '.join(sorted(context['stages']))}")
    try:
        name = stage_name(context, args.base_stage, "pr" if args.pr is not None else "r", args.pr if args.pr is not None else args.run)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.github_env:
        with open(os.environ["GITHUB_ENV"], "a") as env:
            env.write(f"STAGE={name}\n")
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
