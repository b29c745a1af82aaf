"""The least-privilege role of the e2e workflow (docs/e2e-role/): it may assume the CDK bootstrap
roles and run the smoke test and teardown on ephemeral stages, and nothing of a shipped stage."""
import json

import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows
from lake_config import load_settings
from tests.helpers import CDK_CONTEXT, ROOT, e2e_role_permissions, e2e_stage_names, stage_context

ROLE_DIR = ROOT / "docs" / "e2e-role"

# The policy as the role is created from it for this project (the committed file, renamed).
PERMISSIONS = e2e_role_permissions()
TRUST = json.loads((ROLE_DIR / "trust-policy.json").read_text().replace("ACCOUNT_ID", ACCOUNT).replace("OWNER/REPO", "acme/lake"))
CONTEXT = {"aws:PrincipalAccount": ACCOUNT}


def calls(stage: str) -> list[tuple[str, str, dict]]:
    """What `lakeops smoke-test` (on a long-running or a transient stage) and scripts/e2e_teardown.py
    call for `stage`, derived like the stacks name things, for every dataset the stage deploys."""
    settings = load_settings(stage_context() | {"stage": stage, "base_stage": "dev"}) if stage not in CDK_CONTEXT["stages"] \
        else load_settings(stage_context(stage))
    prefix, glue = settings.prefix, settings.glue_prefix
    raw, curated = (f"{prefix}-{zone}-{ACCOUNT}-{REGION}" for zone in ("raw", "curated"))
    cluster_tags = {"aws:ResourceTag/stage": stage}
    found = [
        ("ssm:GetParametersByPath", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{settings.ssm_prefix}/", {}),
        ("s3:ListBucket", f"arn:aws:s3:::{raw}", {}),
        ("kms:GenerateDataKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k", {"kms:ResourceAliases": [f"alias/{prefix}-lake"]}),
        ("athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{prefix}", {}),
        # long_running: a step on the stage's cluster; transient: one pipeline run, followed.
        ("elasticmapreduce:AddJobFlowSteps", f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-1", cluster_tags),
        ("states:StartExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{prefix}-pipeline", {}),
        ("states:DescribeExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{prefix}-pipeline:manual-1", {}),
        ("states:GetExecutionHistory", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{prefix}-pipeline:manual-1", {}),
        # teardown
        ("elasticmapreduce:TerminateJobFlows", f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-2", cluster_tags),
        ("s3:DeleteBucket", f"arn:aws:s3:::{raw}", {}),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{prefix}-storage-Provider", {}),
        ("secretsmanager:DeleteSecret", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:Kdc-AbCdEf", {"aws:ResourceTag/stage": stage}),
    ]
    for dataset in settings.datasets:
        found += [
            ("s3:PutObject", f"arn:aws:s3:::{raw}/{dataset.raw_prefix}dt=2026-01-01/sample", {}),
            ("s3:DeleteObjectVersion", f"arn:aws:s3:::{raw}/{dataset.raw_prefix}x", {}),
            ("glue:StartCrawler", f"arn:aws:glue:{REGION}:{ACCOUNT}:crawler/{prefix}-{dataset.name}-raw", {}),
            ("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{glue}_curated/{dataset.table}", {}),
            ("glue:GetPartitions", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{glue}_curated/{dataset.table}", {}),
            ("s3:GetObject", f"arn:aws:s3:::{curated}/{dataset.report_prefix}manual-1.json", {}),
            ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers-role/{prefix}-catalog-{dataset.name}", {}),
        ]
    return found


# Listings without resource-level permissions, which read names only; the teardown filters them by tag.
LISTINGS = ("sts:GetCallerIdentity", "s3:ListAllMyBuckets", "logs:DescribeLogGroups", "secretsmanager:ListSecrets",
            "elasticmapreduce:ListClusters")


def test_the_teardown_may_list_what_it_filters_by_stage():
    assert [a for a in LISTINGS if not allows([PERMISSIONS], a, "*", CONTEXT)] == []


@pytest.mark.parametrize("stage", e2e_stage_names())
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


def test_only_jobs_in_this_repositorys_e2e_environment_may_assume_it():
    """Issue 20, defect 3: a trust of `repo:OWNER/REPO:ref:refs/heads/*` let anyone who can push a
    branch dispatch a deploy. A job that references an environment gets `sub` =
    `repo:<owner/repo>:environment:<name>` (GitHub, "OpenID Connect reference"), so the trust names
    the environment `e2e`, whose required reviewers approve every run; pull requests from forks get
    no token at all. Audience sts.amazonaws.com (GitHub, "Configuring OpenID Connect in Amazon Web
    Services")."""
    provider = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}

    def token(sub: str, aud: str = "sts.amazonaws.com") -> dict:
        return {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}

    assert allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:acme/lake:environment:e2e"), provider)
    for refused in ("repo:acme/lake:ref:refs/heads/main", "repo:acme/lake:ref:refs/heads/any-branch", "repo:acme/lake:pull_request",
                    "repo:acme/lake:environment:prod", "repo:acme/lake:environment:dev", "repo:evil/lake:environment:e2e"):
        assert not allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token(refused), provider), refused
    assert not allows([TRUST], "sts:AssumeRoleWithWebIdentity", "*", token("repo:acme/lake:environment:e2e", "other"), provider)


def test_the_e2e_job_runs_in_that_environment_and_derives_only_from_dev():
    """prod is bound to its own account (cdk.json): an ephemeral stage derived from it would be
    refused in the e2e account by the account check, so the workflow offers dev only."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "e2e.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "e2e"
    assert "prod" not in json.dumps(workflow[True]) and job["env"]["BASE_STAGE"] == "dev"
