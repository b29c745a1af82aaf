"""The least-privilege role of the e2e workflow (docs/e2e-role/): it may assume the CDK bootstrap
roles and run the smoke test and teardown on ephemeral stages, and nothing of a shipped stage."""
import json

import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows
from tests.helpers import CDK_CONTEXT, ROOT

ROLE_DIR = ROOT / "docs" / "e2e-role"
PERMISSIONS = json.loads((ROLE_DIR / "permissions-policy.json").read_text())
TRUST = json.loads((ROLE_DIR / "trust-policy.json").read_text().replace("ACCOUNT_ID", ACCOUNT).replace("OWNER/REPO", "acme/lake"))
PROJECT = CDK_CONTEXT["project"]
CONTEXT = {"aws:PrincipalAccount": ACCOUNT}


def calls(stage: str) -> list[tuple[str, str, dict]]:
    """What `lakeops smoke-test` and scripts/e2e_teardown.py call for `stage`."""
    prefix, glue = f"{PROJECT}-{stage}", f"{PROJECT}_{stage}"
    raw = f"{prefix}-raw-{ACCOUNT}-{REGION}"
    cluster_tags = {"aws:ResourceTag/stage": stage}
    return [
        ("ssm:GetParametersByPath", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{PROJECT}/{stage}/", {}),
        ("s3:PutObject", f"arn:aws:s3:::{raw}/sales/dt=2026-01-01/sales.csv", {}),
        ("s3:ListBucket", f"arn:aws:s3:::{raw}", {}),
        ("kms:GenerateDataKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k", {"kms:ResourceAliases": [f"alias/{prefix}-lake"]}),
        ("glue:StartCrawler", f"arn:aws:glue:{REGION}:{ACCOUNT}:crawler/{prefix}-raw", {}),
        ("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{glue}_curated/sales", {}),
        ("athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{prefix}", {}),
        ("elasticmapreduce:AddJobFlowSteps", f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-1", cluster_tags),
        ("s3:DeleteObjectVersion", f"arn:aws:s3:::{raw}/sales/x", {}),
        ("s3:DeleteBucket", f"arn:aws:s3:::{raw}", {}),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{prefix}-storage-Provider", {}),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers-role/{prefix}-catalog-Role", {}),
        ("secretsmanager:DeleteSecret", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:Kdc-AbCdEf", {"aws:ResourceTag/stage": stage}),
    ]


@pytest.mark.parametrize("stage", ["e2epr42", "e2er17"])
def test_the_role_runs_the_smoke_test_and_teardown_of_an_ephemeral_stage(stage):
    refused = [(a, r) for a, r, c in calls(stage) if not allows([PERMISSIONS], a, r, CONTEXT | c)]
    assert refused == []


@pytest.mark.parametrize("stage", sorted(CDK_CONTEXT["stages"]))
def test_the_role_touches_nothing_of_a_shipped_stage(stage):
    allowed = [(a, r) for a, r, c in calls(stage) if allows([PERMISSIONS], a, r, CONTEXT | c)]
    assert allowed == []


def test_the_role_deploys_only_through_the_cdk_bootstrap_roles():
    bootstrap = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-deploy-role-{ACCOUNT}-{REGION}"
    assert allows([PERMISSIONS], "sts:AssumeRole", bootstrap, CONTEXT)
    assert not allows([PERMISSIONS], "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", CONTEXT)
    assert not allows([PERMISSIONS], "sts:AssumeRole", f"arn:aws:iam::444455556666:role/cdk-hnb659fds-deploy-role-x", CONTEXT)
    assert not allows([PERMISSIONS], "cloudformation:CreateStack", "*", CONTEXT), "CloudFormation only through the deploy role"
    assert not allows([PERMISSIONS], "iam:PassRole", "*", CONTEXT)


def test_only_this_repositorys_workflows_may_assume_it():
    provider = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}

    def token(sub: str, aud: str = "sts.amazonaws.com") -> dict:
        return {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}

    assert allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:acme/lake:pull_request"), provider)
    assert allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:acme/lake:ref:refs/heads/main"), provider)
    assert not allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:evil/lake:pull_request"), provider)
    assert not allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:acme/lake:pull_request", "other"), provider)
