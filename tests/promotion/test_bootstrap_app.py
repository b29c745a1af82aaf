"""The one-time account set-up (bootstrap/app.py): GitHub's OIDC provider, the deploy and diff
roles and the execution policies, checked against AWS's and GitHub's rules.

- GitHub, "OpenID Connect reference" (docs.github.com/en/actions/reference/security/oidc): a job
  that references an environment gets `sub` = `repo:<owner/repo>:environment:<name>`, a
  pull-request job without one `repo:<owner/repo>:pull_request`; forks' pull requests get no token.
- GitHub, "Configuring OpenID Connect in Amazon Web Services": provider URL
  https://token.actions.githubusercontent.com, audience sts.amazonaws.com, and IAM recommends
  evaluating `token.actions.githubusercontent.com:sub` in every such trust policy.
- IAM User Guide, "Create a role for OpenID Connect federation": the Federated principal is the
  provider's ARN, the action sts:AssumeRoleWithWebIdentity.
- aws/aws-cdk#29718: `cdk diff` reads the deployed template through the lookup role when the
  deploy role cannot be assumed.
"""
import json
import random
import uuid

import pytest

from bootstrap import execution_policy as ep
from lake_config.promotion import promoted_stages
from tests.aws_contracts.iam_policy import allows, render
from tests.aws_contracts.test_e2e_role_contract import calls
from tests.helpers import CDK_CONTEXT

REPOSITORY = f"acme{random.randrange(10**6)}/lake"
ISSUER = "token.actions.githubusercontent.com"


# Execution policies to build with (the stages' own are generated at bootstrap time and checked
# in test_execution_policy.py): two documents, so the numbering shows.
POLICIES = [ep.documents(ep.needs([{"Resources": {"B": {"Type": type_}}}]), CDK_CONTEXT["project"])[0]
            for type_ in ("AWS::S3::Bucket", "AWS::SQS::Queue")]


def synthesize(tmp_path, stage: str, **context) -> dict:
    import aws_cdk as cdk

    from bootstrap.app import build

    app = cdk.App(context={"stage": stage, "repository": REPOSITORY, **context}, outdir=str(tmp_path))
    stack = build(app, execution_policies=POLICIES)
    app.synth()
    return json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())


@pytest.fixture(scope="module", params=promoted_stages(CDK_CONTEXT))
def account(request, tmp_path_factory):
    stage = request.param
    template = synthesize(tmp_path_factory.mktemp(f"bootstrap-{stage}"), stage)
    return stage, CDK_CONTEXT["stages"][stage]["account"], template


def of_type(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def role(template: dict, name_part: str) -> tuple[str, dict]:
    (found,) = [(k, r) for k, r in of_type(template, "AWS::IAM::Role").items() if name_part in r["Properties"]["RoleName"]]
    return found


def inline_policy(template: dict, role_id: str, pseudo: dict) -> dict:
    (policy,) = [r for r in of_type(template, "AWS::IAM::Policy").values() if {"Ref": role_id} in r["Properties"]["Roles"]]
    return render(policy["Properties"]["PolicyDocument"], template, pseudo=pseudo)


def token(sub: str, aud: str = "sts.amazonaws.com") -> dict:
    return {f"{ISSUER}:sub": sub, f"{ISSUER}:aud": aud}


def trust(template: dict, role_id: str, provider: str) -> dict:
    (provider_id,) = of_type(template, "AWS::IAM::OIDCProvider")
    names = {f"{provider_id}.Arn": provider}
    return render(template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"], template, names)


def test_the_provider_is_githubs_with_the_sts_audience(account):
    _, _, template = account
    (provider,) = of_type(template, "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"] == {"Url": f"https://{ISSUER}", "ClientIdList": ["sts.amazonaws.com"]}


def test_only_jobs_in_the_stages_environment_of_this_repository_may_assume_the_deploy_role(account):
    stage, number, template = account
    provider = f"arn:aws:iam::{number}:oidc-provider/{ISSUER}"
    role_id, _ = role(template, f"-{stage}-github-deploy")
    document = trust(template, role_id, provider)
    principal = {"Federated": provider}
    assert allows([document], "sts:AssumeRoleWithWebIdentity", "*", token(f"repo:{REPOSITORY}:environment:{stage}"), principal)
    others = [stage2 for stage2 in CDK_CONTEXT["stages"] if stage2 != stage]
    refused = [
        token(f"repo:{REPOSITORY}:ref:refs/heads/main"),  # a branch, any branch: no reviewer in between
        token(f"repo:{REPOSITORY}:pull_request"),
        *[token(f"repo:{REPOSITORY}:environment:{other}") for other in others],
        token(f"repo:{REPOSITORY}x:environment:{stage}"),
        token(f"repo:{REPOSITORY}:environment:{stage}", aud=f"https://github.com/{REPOSITORY.split('/')[0]}"),
    ]
    for context in refused:
        assert not allows([document], "sts:AssumeRoleWithWebIdentity", "*", context, principal), context
    assert not allows([document], "sts:AssumeRole", "*", {}, {"AWS": f"arn:aws:iam::{number}:root"})


def test_only_this_repositorys_pull_requests_may_assume_the_diff_role_which_only_reads(account):
    stage, number, template = account
    provider = f"arn:aws:iam::{number}:oidc-provider/{ISSUER}"
    role_id, _ = role(template, f"-{stage}-github-diff")
    document = trust(template, role_id, provider)
    principal = {"Federated": provider}
    assert allows([document], "sts:AssumeRoleWithWebIdentity", "*", token(f"repo:{REPOSITORY}:pull_request"), principal)
    assert not allows([document], "sts:AssumeRoleWithWebIdentity", "*", token(f"repo:{REPOSITORY}:environment:{stage}"), principal)
    policy = inline_policy(template, role_id, {"AWS::AccountId": number})
    region = "eu-west-1"
    assert allows([policy], "sts:AssumeRole", f"arn:aws:iam::{number}:role/cdk-hnb659fds-lookup-role-{number}-{region}")
    for kind in ("deploy", "file-publishing", "cfn-exec"):
        assert not allows([policy], "sts:AssumeRole", f"arn:aws:iam::{number}:role/cdk-hnb659fds-{kind}-role-{number}-{region}"), kind
    assert [s["Action"] for s in policy["Statement"]] == ["sts:AssumeRole"]


def test_the_deploy_role_deploys_only_through_the_bootstrap_roles_and_runs_the_smoke_test_of_its_stage(account):
    stage, number, template = account
    role_id, _ = role(template, f"-{stage}-github-deploy")
    policy = inline_policy(template, role_id, {"AWS::AccountId": number})
    for kind in ("deploy", "file-publishing", "lookup"):
        assert allows([policy], "sts:AssumeRole", f"arn:aws:iam::{number}:role/cdk-hnb659fds-{kind}-role-{number}-eu-west-1"), kind
    assert not allows([policy], "sts:AssumeRole", f"arn:aws:iam::{number}:role/cdk-hnb659fds-cfn-exec-role-{number}-eu-west-1")
    for action in ("cloudformation:CreateStack", "iam:PassRole", "iam:CreateRole", "s3:DeleteBucket", "elasticmapreduce:TerminateJobFlows"):
        assert not allows([policy], action, "*"), action

    def own(calls_of: str) -> list:
        # The smoke test's calls (the e2e contract's list without the teardown's), in this account.
        return [(a, r.replace("111122223333", number), c) for a, r, c in calls(calls_of) if not any(w in a for w in ("Delete", "Terminate"))]

    assert [(a, r) for a, r, c in own(stage) if not allows([policy], a, r, c)] == []
    # make deploy-quicksight-assembly runs lakeops check-quicksight first (its manifest and tables: reads above).
    assert allows([policy], "quicksight:DescribeAccountSubscription", f"arn:aws:quicksight:us-east-1:{number}:account/{number}")
    prefix = f"{CDK_CONTEXT['project']}-{stage}"
    assert allows([policy], "s3:GetObject", f"arn:aws:s3:::{prefix}-curated-{number}-eu-west-1/quicksight/manifest.json")
    for other in (s for s in CDK_CONTEXT["stages"] if s != stage):
        assert [(a, r) for a, r, c in own(other) if allows([policy], a, r, c)] == [], f"nothing of stage {other}"


def test_the_execution_policies_are_the_documents_in_this_account_and_cdk_bootstrap_gets_their_arns(account, tmp_path, monkeypatch):
    from bootstrap import target

    stage, number, template = account
    policies = sorted(of_type(template, "AWS::IAM::ManagedPolicy").values(), key=lambda p: p["Properties"]["ManagedPolicyName"])
    assert [p["Properties"]["ManagedPolicyName"] for p in policies] == [f"{CDK_CONTEXT['project']}-cfn-execution-{n}" for n in range(1, len(POLICIES) + 1)]
    assert [p["Properties"]["PolicyDocument"] for p in policies] == json.loads(json.dumps(POLICIES).replace("${aws:PrincipalAccount}", number))
    (tmp_path / "account.template.json").write_text(json.dumps(template))
    monkeypatch.setattr(target, "environment", lambda s: (number, "eu-west-1", "aws"))
    assert target.policy_arns(stage, tmp_path) == [f"arn:aws:iam::{number}:policy/{p['Properties']['ManagedPolicyName']}" for p in policies]


def test_without_documents_the_app_generates_the_policies_from_cdk_json(tmp_path, monkeypatch):
    """`make bootstrap-account` builds with no documents given: they come from execution_policy.generate."""
    generated = POLICIES[1:]
    monkeypatch.setattr(ep, "generate", lambda context: generated if context == CDK_CONTEXT else pytest.fail("not cdk.json's context"))
    import aws_cdk as cdk

    from bootstrap.app import build

    stage = promoted_stages(CDK_CONTEXT)[0]
    app = cdk.App(context={"stage": stage, "repository": REPOSITORY}, outdir=str(tmp_path))
    stack = build(app)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (policy,) = of_type(template, "AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["PolicyDocument"] == json.loads(json.dumps(generated[0]).replace("${aws:PrincipalAccount}", CDK_CONTEXT["stages"][stage]["account"]))


def test_the_deploy_roles_smoke_test_reaches_a_hyphenated_projects_glue_tables():
    """Glue names take the project with underscores for hyphens (lake_config's glue_prefix): the
    role of a project named like `acme-analytics` must still read its curated tables."""
    from aws_cdk import Stack

    from bootstrap.github_access import smoke_test_statements
    from lake_config import load_settings

    stage = promoted_stages(CDK_CONTEXT)[0]
    settings = load_settings({**CDK_CONTEXT, "project": "acme-analytics", "stage": stage})
    document = Stack().resolve({"Version": "2012-10-17", "Statement": [s.to_json() for s in smoke_test_statements(settings=settings, account="111122223333")]})
    for dataset in settings.datasets:
        table = f"arn:aws:glue:eu-west-1:111122223333:table/{settings.glue_prefix}_curated/{dataset.table}"
        assert allows([document], "glue:GetTable", table), table


def test_an_existing_provider_is_reused(tmp_path):
    stage = promoted_stages(CDK_CONTEXT)[0]
    number = CDK_CONTEXT["stages"][stage]["account"]
    existing = f"arn:aws:iam::{number}:oidc-provider/{ISSUER}"
    template = synthesize(tmp_path, stage, oidc_provider_arn=existing)
    assert of_type(template, "AWS::IAM::OIDCProvider") == {}
    role_id, deploy = role(template, "-github-deploy")
    assert deploy["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": existing}


UNKNOWN_STAGE = "<a stage cdk.json does not have>"


@pytest.mark.parametrize("context, expected", [
    ({"stage": "prod", "repository": "OWNER/REPO"}, "configuration error: -c repository='OWNER/REPO': your GitHub repository as OWNER/REPO"),
    ({"stage": "prod"}, "configuration error: -c repository='': your GitHub repository as OWNER/REPO"),
    ({"stage": UNKNOWN_STAGE, "repository": "a/b"}, "configuration error: -c stage={stage}: the stage whose account to set up, one of"),
], ids=["placeholder-repository", "no-repository", "unknown-stage"])
def test_bad_context_is_one_line(context, expected):
    from bootstrap.app import settings

    if context["stage"] == UNKNOWN_STAGE:
        context = {**context, "stage": f"s{uuid.uuid4().hex[:8]}"}
    with pytest.raises(SystemExit) as raised:
        settings(context)
    assert str(raised.value).startswith(expected.format(stage=context["stage"])) and "\n" not in str(raised.value)


@pytest.mark.parametrize("stage", [s for s, values in CDK_CONTEXT["stages"].items() if "account" in values])
def test_the_bootstrap_region_is_the_pinned_one_else_aws_region(stage, monkeypatch, tmp_path):
    """The README exports AWS_REGION, the region variable of the AWS SDKs the CDK CLI is built on
    (AWS SDKs and Tools Reference Guide, "AWS Region": environment variable `AWS_REGION`); boto3
    reads `AWS_DEFAULT_REGION` and the profile instead (Boto3 documentation, "Configuration",
    environment variables), so the target would read no region, or another one, than `cdk
    bootstrap` uses."""
    from bootstrap import target

    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    account, region, partition = target.environment(stage)
    assert (account, region, partition) == (CDK_CONTEXT["stages"][stage]["account"],
                                            CDK_CONTEXT["stages"][stage].get("region") or "ap-southeast-2", "aws")
