"""The promotion workflow (.github/workflows/deploy.yml), read as GitHub reads it: which jobs run
on which event, in which environment, with which credentials, deploying which assembly.
actionlint runs over it with the other workflows (tests/test_workflows.py)."""
import re

import pytest
import yaml

from lake_config.promotion import promoted_stages
from tests.helpers import CDK_CONTEXT, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PROMOTED = promoted_stages(CDK_CONTEXT)
DEPLOY_JOBS = {"deploy-dev": "dev", "deploy-prod": "prod", "rollback-prod": "prod"}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())


def steps(job: dict) -> list[dict]:
    return job["steps"]


def uses(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


def index(job: dict, predicate) -> int:
    (found,) = [i for i, step in enumerate(steps(job)) if predicate(step)]
    return found


def test_it_runs_on_pull_requests_pushes_to_main_and_by_hand_with_the_override_and_rollback_inputs(workflow):
    triggers = workflow[True]
    assert "pull_request" in triggers and triggers["push"] == {"branches": ["main"]}
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"allow_stateful_changes", "rollback_to_run"}
    assert workflow["permissions"] == {"contents": "read"}, "OIDC tokens only in the jobs that assume a role"
    assert "cancel-in-progress: ${{ github.event_name == 'pull_request' }}" in (WORKFLOWS / "deploy.yml").read_text()


def test_every_promoted_stage_is_synthesized_once_into_the_artifact(workflow):
    job = workflow["jobs"]["synth"]
    (loop,) = [s["run"] for s in steps(job) if "make synth" in s.get("run", "")]
    assert re.search(r"for stage in ([a-z0-9 ]+); do", loop)[1].split() == PROMOTED
    assert 'make synth STAGE="$stage" ASSEMBLY="assemblies/$stage"' in loop
    (upload,) = [s for s in steps(job) if uses(s) == "actions/upload-artifact"]
    assert upload["with"]["name"] == "cloud-assembly" and upload["with"]["path"] == "assemblies/"


def test_the_suite_is_the_ci_workflow_and_deploying_waits_for_it(workflow):
    assert workflow["jobs"]["suite"]["uses"] == "./.github/workflows/ci.yml"
    ci = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    assert "workflow_call" in ci[True] and "pull_request" not in ci[True], "one run of the suite per event"
    assert set(workflow["jobs"]["deploy-dev"]["needs"]) == {"synth", "suite"}


def test_pull_requests_of_this_repository_show_the_read_only_diff_of_every_promoted_stage(workflow):
    job = workflow["jobs"]["diff"]
    assert job["needs"] == "synth"
    assert "github.event_name == 'pull_request'" in job["if"] and "head.repo.full_name == github.repository" in job["if"]
    assert [entry["stage"] for entry in job["strategy"]["matrix"]["include"]] == PROMOTED
    assert all(entry["role"] == f"{entry['stage'].upper()}_DIFF_ROLE_ARN" for entry in job["strategy"]["matrix"]["include"])
    assert "environment" not in job, "a diff job's token is the pull request's, which only the diff role trusts"
    credentials = steps(job)[index(job, lambda s: uses(s) == "aws-actions/configure-aws-credentials")]["with"]
    assert credentials["role-to-assume"] == "${{ vars[matrix.role] }}"
    run = steps(job)[index(job, lambda s: "make diff-assembly" in s.get("run", ""))]["run"]
    assert 'ASSEMBLY="assemblies/$STAGE"' in run and '>> "$GITHUB_STEP_SUMMARY"' in run


@pytest.mark.parametrize("name", DEPLOY_JOBS)
def test_deploy_jobs_run_in_the_stages_environment_and_deploy_the_artifact_never_synthesizing(workflow, name):
    job, stage = workflow["jobs"][name], DEPLOY_JOBS[name]
    assert job["environment"] == stage, "the deploy role trusts only jobs in its stage's GitHub environment"
    assert job["permissions"]["id-token"] == "write"
    text = yaml.safe_dump(job["steps"])
    assert "synth" not in text and "make deploy " not in text and "cdk " not in text
    assert "aws-access-key-id" not in text and "secrets." not in text
    targets = re.findall(r"make ([a-z-]+)", text)
    assert targets and set(targets) <= {"deploy-assembly", "deploy-quicksight-assembly"}, "make targets that synthesize first"
    # The tested assembly of this run; a rollback's, the prod assembly an earlier run deployed.
    artifact, path = ("prod-assembly", "assemblies/prod/") if name == "rollback-prod" else ("cloud-assembly", "assemblies/")
    download = index(job, lambda s: uses(s) == "actions/download-artifact" and s["with"]["path"] == path)
    assert steps(job)[download]["with"]["name"] == artifact
    credentials = index(job, lambda s: uses(s) == "aws-actions/configure-aws-credentials")
    assert steps(job)[credentials]["with"]["role-to-assume"] == "${{ vars.DEPLOY_ROLE_ARN }}"
    deploy = index(job, lambda s: s.get("run", "").startswith("make deploy-assembly "))
    assert f"STAGE={stage} ASSEMBLY=assemblies/{stage}" in steps(job)[deploy]["run"]
    smoke = index(job, lambda s: s.get("run", "") == f".venv/bin/python -m lakeops --stage {stage} smoke-test")
    assert download < credentials < deploy < smoke


@pytest.mark.parametrize("name", ["deploy-dev", "deploy-prod"])
def test_quicksight_follows_the_deployment_order(workflow, name):
    job, stage = workflow["jobs"][name], DEPLOY_JOBS[name]
    smoke = index(job, lambda s: "smoke-test" in s.get("run", ""))
    quicksight = index(job, lambda s: s.get("run", "").startswith("make deploy-quicksight-assembly "))
    assert smoke < quicksight and f"STAGE={stage} ASSEMBLY=assemblies/{stage}" in steps(job)[quicksight]["run"]


def test_dev_deploys_only_from_main_and_prod_only_after_dev(workflow):
    jobs = workflow["jobs"]
    assert "github.ref == 'refs/heads/main'" in jobs["deploy-dev"]["if"] and "github.event_name != 'pull_request'" in jobs["deploy-dev"]["if"]
    assert jobs["deploy-prod"]["needs"] == "deploy-dev"
    assert "inputs.rollback_to_run == ''" in jobs["synth"]["if"], "a rollback deploys an earlier assembly, nothing new"


@pytest.mark.parametrize("name", ["deploy-prod", "rollback-prod"])
def test_prod_is_guarded_against_the_assembly_it_runs_with_the_reviewers_named_override(workflow, name):
    job = workflow["jobs"][name]
    find = index(job, lambda s: "scripts/deployed_run.py artifacts.json deployed --exclude \"$GITHUB_RUN_ID\"" in s.get("run", ""))
    assert 'gh api "repos/$GITHUB_REPOSITORY/actions/artifacts?name=prod-assembly&per_page=100" > artifacts.json' in steps(job)[find]["run"]
    deployed = index(job, lambda s: uses(s) == "actions/download-artifact" and s["with"]["path"] == "deployed/")
    assert steps(job)[deployed]["with"]["run-id"] == "${{ steps.runs.outputs.deployed }}"
    assert steps(job)[deployed]["with"]["name"] == "prod-assembly"
    guard = index(job, lambda s: "-m stacks.promotion_guard" in s.get("run", ""))
    assert steps(job)[guard]["run"] == 'python3 -m stacks.promotion_guard deployed assemblies/prod --allow "$ALLOW"'
    assert steps(job)[guard]["env"]["ALLOW"] == "${{ inputs.allow_stateful_changes }}"
    deploy = index(job, lambda s: s.get("run", "").startswith("make deploy-assembly "))
    assert find < deployed < guard < deploy
    assert job["permissions"]["actions"] == "read", "to read the earlier run's artifact"
    # Only a successful deploy records what prod runs, before anything after it can fail.
    (upload,) = [i for i, s in enumerate(steps(job)) if uses(s) == "actions/upload-artifact"]
    assert upload == deploy + 1 and steps(job)[deploy]["id"] == "deploy"
    assert steps(job)[upload]["if"] == "always() && steps.deploy.outcome == 'success'"
    assert steps(job)[upload]["with"]["name"] == "prod-assembly" and steps(job)[upload]["with"]["path"] == "assemblies/prod/"


def test_a_rollback_deploys_the_chosen_runs_artifact_and_becomes_what_prod_runs(workflow):
    job = workflow["jobs"]["rollback-prod"]
    assert "inputs.rollback_to_run != ''" in job["if"] and "github.ref == 'refs/heads/main'" in job["if"]
    choose = steps(job)[index(job, lambda s: s.get("id") == "runs")]["run"]
    assert 'scripts/deployed_run.py artifacts.json previous --exclude "$GITHUB_RUN_ID"' in choose
    target = index(job, lambda s: uses(s) == "actions/download-artifact" and s["with"]["path"] == "assemblies/prod/")
    assert steps(job)[target]["with"] == {"name": "prod-assembly", "path": "assemblies/prod/", "run-id": "${{ steps.runs.outputs.target }}",
                                          "github-token": "${{ github.token }}"}
