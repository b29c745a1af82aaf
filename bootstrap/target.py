"""What `make bootstrap-account` passes to `cdk bootstrap` for one stage's account:

    python -m bootstrap.target prod environment   # 777788889999/eu-west-1
    python -m bootstrap.target prod policies      # arn:aws:iam::777788889999:policy/datalake-cfn-execution-1,...

The region is the stage's `region` setting, else the credentials' default region (AWS_REGION).
"""
from __future__ import annotations

import json
import sys

from bootstrap.app import ROOT
from bootstrap.execution_policy import POLICY_FILE


def environment(stage: str) -> tuple[str, str, str]:
    import boto3

    values = json.loads((ROOT / "cdk.json").read_text())["context"]["stages"][stage]
    session = boto3.session.Session()
    region = values.get("region") or session.region_name
    if not region:
        sys.exit(f"bootstrap: stages.{stage}.region is not set and the credentials have no default region: set AWS_REGION")
    return values["account"], region, session.get_partition_for_region(region)


def policy_arns(stage: str) -> list[str]:
    project = json.loads((ROOT / "cdk.json").read_text())["context"]["project"]
    account, _, partition = environment(stage)
    count = len(json.loads(POLICY_FILE.read_text()))
    return [f"arn:{partition}:iam::{account}:policy/{project}-cfn-execution-{n}" for n in range(1, count + 1)]


def main(argv: list[str]) -> int:
    stage, what = argv
    if what == "environment":
        account, region, _ = environment(stage)
        print(f"{account}/{region}")
    else:
        print(",".join(policy_arns(stage)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
