"""The lake's zones as grantors: who may read or write which prefixes, in exact actions and ARNs.

The zone buckets live in the storage stack and the roles in others, which import the buckets by
name, so the grants cannot come from the buckets' own `grant_read`/`grant_write` (those add
`s3:GetObject*`, `s3:List*` and `kms:ReEncrypt*`, three wildcards for cdk-nag's IAM5 per role).
Each method adds its statements to the grantee (a role, or the customer-managed policy a role
wears: its `grant_principal` writes into the policy's document) and returns the `iam.Grant`.
"""
from typing import Iterable

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from lake_config.datasets import Dataset
from lake_constructs.shared.s3_prefixes import folder_markers, keys_under, probed_keys

READ = ["s3:GetObject"]
WRITE = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
# EMRFS marks a directory it creates with a "<dir>_$folder$" object beside it.
MARKER = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]


def _all(grants: list[iam.Grant]) -> iam.Grant:
    first, *rest = grants
    for grant in rest:
        first = first.combine(grant)
    return first


class LakeZone:
    """One zone's bucket and the key (None: SSE-S3, the logs bucket) its objects are encrypted with.

    Reads are S3 `GetObject` on `<prefix>*` with `kms:Decrypt`; a `hadoop` client (EMRFS, S3A,
    Spark) also HEADs each folder's own key and its parents', and needs `s3:ListBucket` on the whole
    bucket (see `hadoop_listing`). Other readers (Glue crawlers, Data Quality, Athena for
    QuickSight) list only under their prefixes (`s3:prefix` condition).
    """

    def __init__(self, bucket: s3.IBucket, key: kms.IKey | None) -> None:
        self.bucket, self.key = bucket, key

    def grant_read(self, grantee: iam.IGrantable, prefixes: Iterable[str], *, hadoop: bool = False) -> iam.Grant:
        prefixes = list(prefixes)
        objects = [keys_under(self.bucket, prefix) for prefix in prefixes]
        if hadoop:
            probes = [arn for prefix in prefixes for arn in probed_keys(self.bucket, prefix)]
            grants = [self.hadoop_listing(grantee), self._objects(grantee, READ, [*objects, *dict.fromkeys(probes)])]
        else:
            listed = [form for prefix in prefixes for form in (prefix, f"{prefix}*")]
            grants = [
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["s3:ListBucket"],
                    resource_arns=[self.bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": listed}},
                ),
                self._objects(grantee, READ, objects),
            ]
        return _all([*grants, *self._key(grantee, "kms:Decrypt")])

    def grant_write(self, grantee: iam.IGrantable, prefixes: Iterable[str]) -> iam.Grant:
        """A Hadoop writer's rights: create, replace and delete objects under the prefixes (and
        read them back), HEAD the folders and their parents, and keep EMRFS's folder markers."""
        prefixes = list(prefixes)
        probes = [arn for prefix in prefixes for arn in probed_keys(self.bucket, prefix)]
        markers = [arn for prefix in prefixes for arn in folder_markers(self.bucket, prefix)]
        return _all(
            [
                self.hadoop_listing(grantee),
                self._objects(grantee, WRITE, [keys_under(self.bucket, prefix) for prefix in prefixes]),
                self._objects(grantee, READ, list(dict.fromkeys(probes))),
                self._objects(grantee, MARKER, list(dict.fromkeys(markers))),
                *self._key(grantee, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
            ]
        )

    def grant_append(self, grantee: iam.IGrantable, prefix: str) -> iam.Grant:
        """Put new objects under `prefix`, never read or delete them: what a log writer needs."""
        return self._objects(grantee, ["s3:PutObject"], [self.bucket.arn_for_objects(f"{prefix}*")])

    def hadoop_listing(self, grantee: iam.IGrantable) -> iam.Grant:
        # Without ListBucket, S3 answers a HEAD on a missing key with 403 instead of 404, and
        # EMRFS fails the job when it checks whether an output path exists. S3 sends that check
        # without an s3:prefix, so the grant cannot be narrowed by prefix.
        return iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucket"], resource_arns=[self.bucket.bucket_arn])

    def _objects(self, grantee: iam.IGrantable, actions: list[str], arns: list[str]) -> iam.Grant:
        return iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=arns)

    def _key(self, grantee: iam.IGrantable, *actions: str) -> list[iam.Grant]:
        return [self.key.grant(grantee, *actions)] if self.key else []


class LakeZones:
    """The raw and curated zones, granted per dataset (`datasets/<name>/contract.odcs.yaml` names
    each dataset's prefixes): read the raw data, read the curated data, curate."""

    def __init__(self, *, raw: LakeZone | None = None, curated: LakeZone | None = None) -> None:
        self.raw, self.curated = raw, curated

    def grant_read_raw(self, grantee: iam.IGrantable, datasets: Iterable[Dataset], *, hadoop: bool = False) -> iam.Grant:
        return self.raw.grant_read(grantee, [dataset.raw_prefix for dataset in datasets], hadoop=hadoop)

    def grant_read_curated(self, grantee: iam.IGrantable, datasets: Iterable[Dataset], *, hadoop: bool = False) -> iam.Grant:
        """The curated tables' files only: not the quarantine, not the run reports."""
        return self.curated.grant_read(grantee, [dataset.curated_prefix for dataset in datasets], hadoop=hadoop)

    def grant_curate(self, grantee: iam.IGrantable, datasets: Iterable[Dataset]) -> iam.Grant:
        """What the curation job writes per dataset: its curated files, its quarantined rows and its run reports."""
        prefixes = [p for d in datasets for p in (d.curated_prefix, d.quarantine_prefix, d.report_prefix)]
        return self.curated.grant_write(grantee, prefixes)
