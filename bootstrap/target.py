"""What `make bootstrap-account` passes to `cdk bootstrap` for one stage's account:

    python -m bootstrap.target prod environment                          # 777788889999/eu-west-1
    python -m bootstrap.target prod policies cdk.out.bootstrap-prod      # arn:aws:iam::777788889999:policy/datalake-cfn-execution-1,...

The region is the stage's `region` setting, else AWS_REGION (as the CDK CLI reads it; boto3 reads
only AWS_DEFAULT_REGION), else boto3's default region (AWS_DEFAULT_REGION, the profile's).
The policies are the managed policies of the account's stack as bootstrap/app.py synthesized it
into that assembly (their number depends on what the stages create).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bootstrap.app import ROOT


def environment(stage: str) -> tuple[str, str, str]:
    import boto3

    values = json.loads((ROOT / "cdk.json").read_text())["context"]["stages"][stage]
    session = boto3.session.Session()
    region = values.get("region") or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        sys.exit(f"bootstrap: stages.{stage}.region is not set and neither AWS_REGION nor the profile names a region: set AWS_REGION")
    return values["account"], region, session.get_partition_for_region(region)


def policy_names(assembly_dir: str | Path) -> list[str]:
    """The execution policies' names in the synthesized account stack, in their order."""
    resources = [r for path in sorted(Path(assembly_dir).glob("*.template.json")) for r in json.loads(path.read_text())["Resources"].values()]
    names = [r["Properties"]["ManagedPolicyName"] for r in resources if r["Type"] == "AWS::IAM::ManagedPolicy"]
    if not names:
        sys.exit(f"bootstrap: no execution policies in {assembly_dir} (synthesize bootstrap/app.py into it first)")
    return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))


def policy_arns(stage: str, assembly_dir: str | Path) -> list[str]:
    account, _, partition = environment(stage)
    return [f"arn:{partition}:iam::{account}:policy/{name}" for name in policy_names(assembly_dir)]


def main(argv: list[str]) -> int:
    stage, what, *assembly = argv
    if what == "environment":
        account, region, _ = environment(stage)
        print(f"{account}/{region}")
    else:
        print(",".join(policy_arns(stage, *assembly)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
