"""Stages bound to accounts: each promoted stage names its own account, the shipped example binds
dev and prod to two of AWS's example accounts, and a deploy with another account's credentials
(or with the example account still in place) stops with one line before `cdk deploy`."""
import copy
import json
import random

import boto3
import pytest
from moto import mock_aws

from lake_config.promotion import PLACEHOLDER_ACCOUNTS, promoted_stages
from stacks import account_check
from tests.helpers import CDK_CONTEXT, ROOT, config_error, stage_context


def other_account(*taken: str) -> str:
    while (account := f"{random.randrange(10**11, 10**12)}") in taken:
        pass
    return account


def test_every_promoted_stage_names_its_own_account():
    promoted = promoted_stages(CDK_CONTEXT)
    assert promoted and all(stage in CDK_CONTEXT["stages"] for stage in promoted)
    accounts = [CDK_CONTEXT["stages"][stage]["account"] for stage in promoted]
    assert len(set(accounts)) == len(accounts) >= 2


def test_the_shipped_accounts_are_placeholders_a_fork_replaces():
    """AWS's documentation uses 111122223333 and 777788889999 as example account ids (IAM User Guide examples)."""
    assert {CDK_CONTEXT["stages"][stage]["account"] for stage in promoted_stages(CDK_CONTEXT)} <= set(PLACEHOLDER_ACCOUNTS)


def test_promoted_stages_synthesize_bound_to_their_account(lake):
    manifest = json.loads((ROOT / lake.assembly.directory / "manifest.json").read_text())
    environments = {a["environment"] for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"}
    account = lake.settings.account
    assert account and environments == {f"aws://{account}/{lake.settings.region or 'unknown-region'}"}
    assert account_check.bound_accounts(lake.assembly.directory) == {account}


@pytest.mark.parametrize("stage", promoted_stages(CDK_CONTEXT))
def test_bad_promotion_settings_are_refused_in_one_line(stage):
    context = stage_context()
    without = copy.deepcopy(context)
    del without["stages"][stage]["account"]
    assert config_error(without).startswith(f"missing setting stages.{stage}.account: stage {stage} is promoted")
    short = stage_context(stage)
    short["stages"][stage]["account"] = "12345"
    assert config_error(short).startswith(f"invalid setting stages.{stage}.account: ")
    shared = copy.deepcopy(context)
    first, *rest = promoted_stages(context)
    for name in rest:
        shared["stages"][name]["account"] = shared["stages"][first]["account"]
    assert "each promoted stage deploys to its own account" in config_error(shared)
    unknown = copy.deepcopy(context)
    missing = f"s{random.randrange(10**6)}"
    unknown["promotion"] = [*promoted_stages(context), missing]
    assert config_error(unknown).startswith(f"invalid setting promotion: {missing!r} is not a stage of cdk.json")


def write_assembly(tmp_path, account: str | None) -> str:
    environment = f"aws://{account or 'unknown-account'}/unknown-region"
    manifest = {"artifacts": {"s": {"type": "aws:cloudformation:stack", "environment": environment}, "tree": {"type": "cdk:tree"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return str(tmp_path)


@mock_aws
def test_a_stage_bound_to_one_account_refuses_the_credentials_of_another(tmp_path, capsys):
    theirs = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    bound = other_account(theirs, *PLACEHOLDER_ACCOUNTS)
    assert account_check.main([write_assembly(tmp_path, bound), "--setting", "stages.prod.account"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"account check: stages.prod.account binds this stage to account {bound}, but the credentials are of account "
        f"{theirs}: use the credentials (profile or role) of that account, or change the setting"
    )
    assert account_check.main([write_assembly(tmp_path, theirs), "--setting", "stages.prod.account"]) == 0


def test_an_unbound_stage_deploys_with_any_credentials_and_makes_no_aws_call(tmp_path):
    def never():
        raise AssertionError("no AWS call for an unbound stage")

    assert account_check.problem(write_assembly(tmp_path, None), "stages.dev.account", caller=never) is None


@pytest.mark.parametrize("placeholder", PLACEHOLDER_ACCOUNTS)
def test_the_example_account_is_refused_before_any_aws_call(tmp_path, placeholder):
    def never():
        raise AssertionError("refused before calling STS")

    message = account_check.problem(write_assembly(tmp_path, placeholder), "stages.dev.account", caller=never)
    assert message.startswith(f"stages.dev.account is {placeholder}, AWS's example account") and "\n" not in message


def test_no_credentials_is_one_line(tmp_path, monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    message = account_check.problem(write_assembly(tmp_path, other_account(*PLACEHOLDER_ACCOUNTS)), "stages.dev.account")
    assert "no AWS credentials could be checked against it (NoCredentialsError" in message and "\n" not in message


def test_the_makefile_checks_the_account_before_every_deploy_and_destroy():
    import subprocess

    for target in ("deploy", "deploy-assembly", "deploy-quicksight", "destroy"):
        lines = subprocess.run(["make", "-n", "--no-print-directory", target, "STAGE=prod", "ASSEMBLY=a/prod"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60).stdout.splitlines()
        check = next(i for i, line in enumerate(lines) if "-m stacks.account_check a/prod --setting stages.prod.account" in line)
        cdk = next(i for i, line in enumerate(lines) if "/cdk deploy " in line or "/cdk destroy " in line)
        assert check < cdk, target
        assert target != "deploy-assembly" or not [line for line in lines if "/cdk synth " in line], "never synthesizes"
