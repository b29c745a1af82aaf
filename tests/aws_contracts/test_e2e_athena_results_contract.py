"""The e2e role's smoke-test queries, as Athena authorizes them: the caller's own S3 rights on the
workgroup's result location.

Athena writes a query's results to the workgroup's output location with the caller's
credentials and first checks that location ("Unable to verify/create output bucket" when it
cannot). AWS's own caller policy for Athena, AmazonAthenaFullAccess (AWS Managed Policy
Reference, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html;
Athena User Guide, "AWS managed policies for Amazon Athena"), grants for its result buckets
("BaseQueryResultsPermissions"): s3:GetBucketLocation, s3:GetObject, s3:ListBucket,
s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts, s3:AbortMultipartUpload,
s3:PutObject (plus s3:CreateBucket and s3:PutBucketPublicAccessBlock, which only create its
default bucket: the stage's bucket exists). That statement is read here from the copy moto
bundles, and each of its actions is evaluated against docs/e2e-role/permissions-policy.json on
an ephemeral stage's Athena results bucket (named as lake_config.names names it).
"""
import json

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data

from lake_config.names import bucket_name
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows
from tests.helpers import CDK_CONTEXT, ROOT

# Read here rather than imported from test_e2e_role_contract: that module is being reworked.
PERMISSIONS = json.loads((ROOT / "docs" / "e2e-role" / "permissions-policy.json").read_text())
CONTEXT = {"aws:PrincipalAccount": ACCOUNT}

ATHENA_CALLER = json.loads(aws_managed_policies_data)["AmazonAthenaFullAccess"]["Document"]
(RESULTS_STATEMENT,) = [s for s in ATHENA_CALLER["Statement"] if s.get("Sid") == "BaseQueryResultsPermissions"]
# Only for creating Athena's default result bucket.
CREATES_A_BUCKET = {"s3:CreateBucket", "s3:PutBucketPublicAccessBlock"}
# S3's resource type of each action (Service Authorization Reference, Amazon S3): bucket or object.
ON_BUCKET = {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}


def results_requests(stage: str) -> list[tuple[str, str]]:
    bucket = f"arn:aws:s3:::{bucket_name(CDK_CONTEXT['project'], stage, 'athena-results', ACCOUNT, REGION)}"
    return [
        (action, bucket if action in ON_BUCKET else f"{bucket}/results/0f1e2d3c-query.csv")
        for action in sorted(set(RESULTS_STATEMENT["Action"]) - CREATES_A_BUCKET)
    ]


def test_the_reference_lists_the_result_location_checks():
    assert {"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"} <= set(RESULTS_STATEMENT["Action"])


@pytest.mark.parametrize("stage", ["e2epr42", "e2er17"])
def test_the_e2e_role_may_use_an_ephemeral_stages_result_location_as_athena_does(stage):
    refused = [(a, r) for a, r in results_requests(stage) if not allows([PERMISSIONS], a, r, CONTEXT)]
    assert refused == []


@pytest.mark.parametrize("stage", sorted(CDK_CONTEXT["stages"]))
def test_and_not_a_shipped_stages(stage):
    allowed = [(a, r) for a, r in results_requests(stage) if allows([PERMISSIONS], a, r, CONTEXT)]
    assert allowed == []
