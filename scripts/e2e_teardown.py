"""After `cdk destroy` of an ephemeral stage: remove what CloudFormation leaves or never owned.

    python scripts/e2e_teardown.py --stage pr42 [--base-stage dev] [--project datalake] [--dry-run]

It works in the region the stage was deployed to: the base stage's pinned `region`, else
AWS_REGION (as the CDK CLI reads it; boto3 reads only AWS_DEFAULT_REGION), else boto3's default.

- the stage's buckets (`<project>-<stage>-<zone>-<account>-<region>`) if they survived, every
  object version and delete marker first (a stack deleted half-way leaves them versioned and full);
- log groups the services created outside CloudFormation: `/aws/lambda/<project>-<stage>-*`
  (CDK's custom-resource providers) and `/aws-glue/crawlers-role/<project>-<stage>-*`, and any
  CloudFormation log group a failed delete left behind (`<project>-<stage>-*`);
- the stage's secrets (tagged project/stage), deleted without the 30-day recovery window;
- and first of all the stage's EMR clusters that are still up (tagged project/stage): a pipeline
  run cancelled half-way leaves its transient cluster to a sweeper that the destroy removes.

Refuses a stage that cdk.json ships: those keep their data on purpose. The KMS key is left to
CloudFormation's 7-day deletion window, the shortest KMS allows.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lake_config.names import BUCKET_ZONES, bucket_name  # noqa: E402

CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]


def shipped_stages() -> set[str]:
    return set(CONTEXT["stages"])


def empty_and_delete_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]


def terminate_clusters(session: boto3.Session, project: str, stage: str, dry_run: bool = False) -> list[str]:
    """Terminates the stage's clusters that are still up; returns one line per cluster."""
    if stage in shipped_stages():
        raise SystemExit(f"refusing to sweep {stage!r}: it is a stage in cdk.json, whose data is kept on purpose")
    emr = session.client("emr")
    done = []
    for page in emr.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_CLUSTER_STATES):
        for summary in page["Clusters"]:
            tags = {t["Key"]: t["Value"] for t in emr.describe_cluster(ClusterId=summary["Id"])["Cluster"].get("Tags", [])}
            if tags.get("project") == project and tags.get("stage") == stage:
                done.append(f"cluster {summary['Id']} ({summary['Name']})")
                if not dry_run:
                    emr.terminate_job_flows(JobFlowIds=[summary["Id"]])
    return done


def sweep(session: boto3.Session, project: str, stage: str, dry_run: bool = False) -> list[str]:
    """Removes the stage's leftovers; returns one line per thing removed (or that would be)."""
    if stage in shipped_stages():
        raise SystemExit(f"refusing to sweep {stage!r}: it is a stage in cdk.json, whose data is kept on purpose")
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    prefix = f"{project}-{stage}-"
    done = terminate_clusters(session, project, stage, dry_run)
    s3 = session.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for zone in BUCKET_ZONES:
        bucket = bucket_name(project, stage, zone, account, region)
        if bucket in existing:
            done.append(f"bucket {bucket}")
            if not dry_run:
                empty_and_delete_bucket(s3, bucket)
    logs = session.client("logs")
    for group_prefix in (f"/aws/lambda/{prefix}", f"/aws-glue/crawlers-role/{prefix}", prefix):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=group_prefix):
            for group in page["logGroups"]:
                done.append(f"log group {group['logGroupName']}")
                if not dry_run:
                    logs.delete_log_group(logGroupName=group["logGroupName"])
    secrets = session.client("secretsmanager")
    tags = [{"Key": "tag-key", "Values": ["stage"]}, {"Key": "tag-value", "Values": [stage]}]
    for page in secrets.get_paginator("list_secrets").paginate(Filters=tags, IncludePlannedDeletion=True):
        for secret in page["SecretList"]:
            if {"Key": "project", "Value": project} in secret.get("Tags", []):
                done.append(f"secret {secret['Name']}")
                if not dry_run:
                    secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
    return done


def session_for(base_stage: str) -> boto3.Session:
    region = CONTEXT["stages"][base_stage].get("region") or os.environ.get("AWS_REGION")
    return boto3.Session(region_name=region)  # None: boto3's own default region


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--base-stage", default="dev", choices=sorted(CONTEXT["stages"]), help="the stage it derives from (default: dev)")
    parser.add_argument("--project", default=CONTEXT.get("project", "datalake"))
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--clusters-only", action="store_true", help="only terminate the stage's clusters (before a destroy)")
    args = parser.parse_args()
    clean = terminate_clusters if args.clusters_only else sweep
    removed = clean(session_for(args.base_stage), args.project, args.stage, args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for line in removed:
        print(f"teardown: {verb} {line}", file=sys.stderr)
    print(f"teardown: stage {args.stage}: {verb} {len(removed)} leftovers", file=sys.stderr)


if __name__ == "__main__":
    main()
