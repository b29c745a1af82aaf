"""Full lengths of the names the stacks build, against the limits AWS enforces: the one rule.

Bucket names are the binding limit: `<project>-<stage>-<zone>-<12-digit account>-<region>`,
at most 63 characters (S3 User Guide, "General purpose bucket naming rules",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: "Bucket names must
be between 3 (min) and 63 (max) characters long"). The check uses the longest zone and the
regions the stage can deploy to: its pinned `region`, else every region of the commercial
partition (`aws`), read from botocore's partition data. Isolated partitions (aws-iso-*, with
longer names such as us-isof-south-1) need an account there and a pinned region, so they do
not shorten everyone's names.
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
COMMERCIAL_PARTITION = "aws"
# models.STAGE_NAME_PATTERN: 2 to 10 characters.
STAGE_NAME_MIN, STAGE_NAME_MAX = 2, 10
# Ephemeral stages made by CI start with this: the e2e role's policy names them (docs/e2e-role).
E2E_PREFIX = "e2e"


@functools.cache
def commercial_regions() -> tuple[str, ...]:
    # partitions.json (7 KB, the endpoint rules' partition list) names every region, newer ones
    # included; read as a file, it spares each synth botocore's loader and its imports.
    partitions = json.loads((resources.files("botocore") / "data" / "partitions.json").read_text())["partitions"]
    (commercial,) = [p for p in partitions if p["id"] == COMMERCIAL_PARTITION]
    return tuple(region for region in commercial["regions"] if not region.endswith("-global"))


def longest_region(region: str | None = None) -> str:
    """The longest name among the regions a stage can deploy to: `region` when it pins one."""
    return region or max(commercial_regions(), key=len)


def bucket_name(project: str, stage: str, zone: str, account: str, region: str) -> str:
    return f"{project}-{stage}-{zone}-{account}-{region}"


def longest_bucket_name(project: str, stage: str, region: str | None = None) -> str:
    return bucket_name(project, stage, max(BUCKET_ZONES, key=len), "0" * ACCOUNT_ID_LENGTH, longest_region(region))


def name_budget(region: str | None = None) -> int:
    """How many characters project and stage may have together."""
    return BUCKET_NAME_MAX - len(longest_bucket_name("", "", region))


def bucket_name_problem(project: str, stage: str, region: str | None = None, *, ephemeral: bool = False) -> str | None:
    """Why some bucket of this project and stage would be refused by S3, or None; the line
    names the setting to shorten (an ephemeral stage's name is the -c stage it was given)."""
    if reserved := next((p for p in RESERVED_BUCKET_PREFIXES if project.startswith(p)), None):
        return f"project must not start with {reserved!r}: S3 reserves that start of a bucket name"
    longest = longest_bucket_name(project, stage, region)
    if (excess := len(longest) - BUCKET_NAME_MAX) <= 0:
        return None
    budget = name_budget(region)
    where = f"pinned region {region}" if region else "the longest commercial region"
    if ephemeral and len(project) + STAGE_NAME_MIN <= budget:
        fix = f"shorten -c stage={stage} to at most {budget - len(project)} characters"
    elif len(project) + STAGE_NAME_MIN > budget:
        fix = f"shorten project {project!r} to at most {budget - STAGE_NAME_MIN} characters"
    else:
        fix = f"shorten project {project!r} or the stage name {stage!r} by {excess}"
    return (
        f"project and stage make bucket names of up to {len(longest)} characters ({longest!r}, {where}), "
        f"S3 allows {BUCKET_NAME_MAX}: project and stage may have {budget} characters together; {fix}"
    )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


def ephemeral_stage_name(project: str, kind: str, number: int, region: str | None = None) -> str:
    """The name CI gives the ephemeral stage of pull request (`kind` "pr") or run ("r") `number`:
    `e2e<kind><number>` when it fits beside `project`, else shorter forms of the same number
    (base 36), so that any project that fits a two-character stage gets one."""
    room = min(STAGE_NAME_MAX, name_budget(region) - len(project))
    short = _base36(number)
    for name in (f"{E2E_PREFIX}{kind}{number}", f"{E2E_PREFIX}{kind[0]}{short}", f"{E2E_PREFIX}{short}"):
        if len(name) <= room:
            return name
    if room <= len(E2E_PREFIX):
        raise ValueError(
            f"project {project!r} leaves {room} characters for a stage name, too few for an ephemeral stage "
            f"({E2E_PREFIX} and a number): shorten project to at most {name_budget(region) - len(E2E_PREFIX) - 1} characters"
        )
    return E2E_PREFIX + short[-(room - len(E2E_PREFIX)):]
