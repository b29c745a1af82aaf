"""Every synthesized policy of dev, prod and an ephemeral stage, linted with parliament against
AWS's service authorization data (tests/compliance/iam_lint.py): each finding is either gone or
acknowledged below, one by one, with the reason it does not hold here. An acknowledgment that
matches no finding of any stage fails too, so the list cannot go stale."""
import re
from dataclasses import dataclass

import pytest

from tests.compliance.iam_lint import documents, findings


@dataclass(frozen=True)
class Ack:
    issue: str
    where: str  # regex on "<stack>/<logical id>.<property>"
    detail: str  # substring of the finding's detail
    reason: str


ACKNOWLEDGED = (
    Ack("MALFORMED", r"\.AssumeRolePolicyDocument$", "neither Resource nor NotResource",
        "A role's trust policy is a resource policy of the role: IAM refuses a Resource element in it "
        "(IAM User Guide, 'IAM JSON policy elements: Resource'); parliament lints identity policies."),
    Ack("RESOURCE_STAR", r".", "",
        "Resource '*' where the actions take no resource ARN or name resources created at run time; each is "
        "acknowledged on its own construct by cdk-nag's AwsSolutions-IAM5 with its reason (compliance/)."),
    Ack("RESOURCE_POLICY_PRIVILEGE_ESCALATION", r"BucketPolicy", "s3:PutBucketPolicy",
        "CDK's autoDeleteObjects statement: its custom resource's role may change the policy of the bucket it "
        "empties at stack deletion (dev stages only) and nothing else; the TLS-only Deny is the rest."),
    Ack("RESOURCE_MISMATCH", r"BucketPolicy", "s3:ListAccessGrants",
        "CDK's autoDeleteObjects statement grants s3:List* on the bucket; parliament expands the wildcard to "
        "every List action, including account-level ones the bucket ARN cannot match (none is used)."),
    Ack("RESOURCE_MISMATCH", r"StudioRolesServicePolicy", "arn:*:ec2:*:*:",
        "EMR Studio's service role policy splits CreateSecurityGroup and CreateNetworkInterface by resource type "
        "into statements with their own tag conditions; IAM authorizes each resource of the request against the "
        "statements that name it, so together they cover every resource type the action requires."),
    Ack("RESOURCE_MISMATCH", r"SweeperPolicy", ":express:",
        "states:DescribeExecution on standard executions (execution:<machine>:*); the express-execution "
        "resource type of the same action does not apply to a STANDARD machine."),
    Ack("UNKNOWN_CONDITION_FOR_ACTION", r"LakeKey.*KeyPolicy", "kms:EncryptionContext:aws:logs:arn for action kms:Describe",
        "The key statement for CloudWatch Logs as its guide writes it ('Encrypt log data in CloudWatch Logs "
        "using AWS KMS': kms:Describe* with the aws:logs:arn encryption-context condition); DescribeKey carries "
        "no context, so that part never applies, as in AWS's own statement."),
    Ack("MISMATCHED_TYPE", r"LakeKey.*KeyPolicy", "ArnLike requires a value of type Arn",
        "kms:EncryptionContext:aws:logs:arn holds an ARN and CloudWatch Logs' guide conditions it with ArnLike."),
    Ack("UNKNOWN_CONDITION_FOR_ACTION", r"StudioRolesUserPolicy", "elasticmapreduce:ResourceTag/",
        "The authorization data lists elasticmapreduce:ResourceTag/${TagKey} on the cluster resource that "
        "GetClusterSessionCredentials requires; parliament checks only the action's own keys."),
    Ack("MISMATCHED_TYPE_BUT_USABLE", r"StudioRolesUserPolicy", "StringEquals requires a value of type String but given Arn",
        "elasticmapreduce:ExecutionRoleArn is a String key in the authorization data; its value is the runtime role's ARN."),
)


def unacknowledged(synth) -> tuple[list[str], set[Ack]]:
    left, used = [], set()
    for stack, where, document in documents(synth):
        for finding in findings(document):
            detail = str(finding["detail"])
            ack = next((a for a in ACKNOWLEDGED if a.issue == finding["issue"] and re.search(a.where, f"{stack}/{where}")
                        and a.detail in detail), None)
            if ack:
                used.add(ack)
            else:
                left.append(f"{stack}/{where}: {finding['issue']} {detail[:300]}")
    return left, used


@pytest.fixture(scope="module")
def results(dev, prod, ephemeral):
    return {s.stage: unacknowledged(s) for s in (dev, prod, ephemeral)}


@pytest.mark.parametrize("stage", ["dev", "prod", "pr42"])
def test_every_policy_passes_the_linter_or_is_acknowledged(results, stage):
    assert results[stage][0] == []


def test_every_acknowledgment_is_still_needed(results):
    used = set().union(*(u for _, u in results.values()))
    assert [a.reason[:60] for a in ACKNOWLEDGED if a not in used] == []
