#!/usr/bin/env python3
"""The one-time set-up of a target account for the promotion workflow, as a CDK app of its own:

    make bootstrap-account STAGE=prod REPOSITORY=owner/repo     # with that account's administrator credentials

runs `cdk deploy --app "python -m bootstrap.app"` (this app: the GitHub OIDC provider, the
deploy and diff roles, the execution policies), then `cdk bootstrap` with those policies as
`--cloudformation-execution-policies`. The policies are generated while this app synthesizes,
from the stages of cdk.json as they are then (bootstrap/execution_policy.py), so a fork's own
project and components need no committed file. Its stack needs no bootstrap itself (no assets, the
LegacyStackSynthesizer: the CLI deploys its template inline with the caller's credentials).

Context: `stage` (a stage of cdk.json that names its account), `repository` (OWNER/REPO),
optionally `environment` (the GitHub environment, default: the stage's name) and
`oidc_provider_arn` (an account that already has GitHub's provider).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import aws_cdk as cdk

from bootstrap import execution_policy
from bootstrap.github_access import GitHubDeployAccess
from lake_config import load_settings

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")


def settings(context: dict) -> dict:
    """The values this app builds from, or SystemExit with one line naming the setting."""
    lake = json.loads((ROOT / "cdk.json").read_text())["context"]
    stages = lake["stages"]
    stage = context.get("stage")
    bound = sorted(name for name, values in stages.items() if values.get("account"))
    if stage not in bound:
        raise SystemExit(f"configuration error: -c stage={stage}: the stage whose account to set up, one of {', '.join(bound)} (stages that name an account)")
    repository = context.get("repository") or ""
    if not REPOSITORY.match(repository) or "OWNER/REPO" in repository:
        raise SystemExit(f"configuration error: -c repository={repository!r}: your GitHub repository as OWNER/REPO, e.g. -c repository=acme/data-lake")
    environment = context.get("environment") or stage
    if not ENVIRONMENT.match(environment):
        raise SystemExit(f"configuration error: -c environment={environment!r}: a GitHub environment name (letters, digits, . _ -)")
    lake_settings = load_settings({**lake, "stage": stage})
    return {
        "project": lake_settings.project, "stage": stage, "repository": repository, "environment": environment,
        "account": stages[stage]["account"], "region": stages[stage].get("region"),
        "oidc_provider_arn": context.get("oidc_provider_arn"), "lake": lake_settings, "context": lake,
    }


def build(app: cdk.App, *, execution_policies: list[dict] | None = None) -> cdk.Stack:
    """The account's stack; `execution_policies` default to those generated from cdk.json's stages."""
    values = settings(app.node.get_all_context())
    stack = cdk.Stack(
        app, f"{values['project']}-{values['stage']}-github-access",
        env=cdk.Environment(account=values["account"], region=values["region"]),
        # No bootstrap roles or assets bucket (they do not exist yet): the CLI deploys the template
        # inline with the caller's credentials.
        synthesizer=cdk.LegacyStackSynthesizer(),
        description=f"GitHub OIDC roles and CloudFormation execution policies for stage {values['stage']} of {values['repository']}",
    )
    GitHubDeployAccess(
        stack, "GitHub",
        settings=values["lake"], repository=values["repository"], environment=values["environment"],
        execution_policies=execution_policy.generate(values["context"]) if execution_policies is None else execution_policies,
        oidc_provider_arn=values["oidc_provider_arn"],
    )
    return stack


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
    sys.exit(0)
