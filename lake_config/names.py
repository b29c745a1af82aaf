"""Full lengths of the names the stacks build, against the limits AWS enforces.

Bucket names are the binding limit: `<project>-<stage>-<zone>-<12-digit account>-<region>`,
at most 63 characters (S3 User Guide, "General purpose bucket naming rules"). The check uses the
longest zone and, unless the stage pins its region, the longest region name AWS has, read from
botocore's partition data, so a stage that synthesizes can deploy in any region.
"""
import functools
import json
from importlib import resources

# Every bucket the stacks create: stacks.storage_stack.lake_bucket_name refuses any other zone.
BUCKET_ZONES = ("raw", "curated", "athena-results", "logs", "emr-artifacts")
BUCKET_NAME_MAX = 63
ACCOUNT_ID_LENGTH = 12
# S3 reserves these starts of a bucket name; the project name starts every bucket name.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


@functools.cache
def longest_region() -> str:
    # partitions.json (7 KB, the endpoint rules' partition list) names every region, newer ones
    # included; read as a file, it spares each synth botocore's loader and its imports.
    partitions = json.loads((resources.files("botocore") / "data" / "partitions.json").read_text())["partitions"]
    regions = [region for partition in partitions for region in partition["regions"] if not region.endswith("-global")]
    return max(regions, key=len)


def bucket_name(project: str, stage: str, zone: str, account: str, region: str) -> str:
    return f"{project}-{stage}-{zone}-{account}-{region}"


def bucket_name_problem(project: str, stage: str, region: str | None = None) -> str | None:
    """Why some bucket of this project and stage would be refused by S3, or None."""
    if reserved := next((p for p in RESERVED_BUCKET_PREFIXES if project.startswith(p)), None):
        return f"project must not start with {reserved!r}: S3 reserves that start of a bucket name"
    region = region or longest_region()
    zone = max(BUCKET_ZONES, key=len)
    longest = bucket_name(project, stage, zone, "0" * ACCOUNT_ID_LENGTH, region)
    if len(longest) > BUCKET_NAME_MAX:
        return (
            f"project and stage make bucket names of up to {len(longest)} characters ({longest!r}), S3 allows "
            f"{BUCKET_NAME_MAX}: shorten project or stage by {len(longest) - BUCKET_NAME_MAX}"
        )
    return None
