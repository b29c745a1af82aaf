"""The data-quality states, executed: the catalog declares one AWS::Glue::DataQualityRuleset per
curated table, and the pipeline checks each dataset after its step, as that dataset's own role."""
import json

import pytest

from stacks.catalog_stack import construct_id
from tests.aws_contracts.iam_policy import ACCOUNT
from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline

pytestmark = pytest.mark.usefixtures("aws")


def ruleset(synth, dataset: str) -> str:
    return f"{synth.settings.prefix}-{dataset}"


@pytest.fixture
def deployed(dev, monkeypatch):
    return deploy_pipeline(dev, monkeypatch)


def test_every_dataset_with_a_ruleset_is_checked_after_its_step(dev, deployed):
    result = harness.run(deployed.pipeline_arn)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    checks = json.loads(result["output"])["data_quality"]
    assert {c["dataset"]: c["outcome"] for c in checks} == {d.name: "ok" for d in dev.settings.datasets}
    assert all(c["score"] == 1.0 and c["ruleset"] == ruleset(dev, c["dataset"]) for c in checks)
    states = harness.entered(result)
    assert states.index("TerminateCluster") < states.index("StartEvaluation"), "checks need no cluster"


def test_a_failed_check_fails_the_run_with_the_rules_that_failed(dev, deployed):
    failing = dev.settings.datasets[-1].name
    deployed.plan.quality_scores[ruleset(dev, failing)] = 0.5
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.DataQualityFailed")
    checks = {c["dataset"]: c for c in json.loads(result["cause"])["data_quality"]}
    assert checks[failing]["outcome"] == "failed" and checks[failing]["score"] == 0.5
    assert checks[failing]["rules"] == [{"Name": "Rule_1", "Result": "FAIL", "EvaluationMessage": "planned"}]
    assert all(c["outcome"] == "ok" for name, c in checks.items() if name != failing)
    assert harness.active_clusters() == []


def test_a_dataset_whose_step_failed_is_not_checked(dev, deployed):
    failed = dev.settings.datasets[0].name
    deployed.plan.steps[f"{dev.settings.prefix}-curate-{failed}"] = harness.StepOutcome(state="FAILED")
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.StepFailed")
    checks = {c["dataset"]: c["outcome"] for c in json.loads(result["cause"])["data_quality"]}
    assert checks[failed] == "skipped" and all(outcome == "ok" for name, outcome in checks.items() if name != failed)


def test_without_rulesets_there_are_no_data_quality_states(dev, deployed):
    definition = harness.definition_variant(dev, deployed, quality={})
    states = json.dumps(definition)
    assert "startDataQualityRulesetEvaluationRun" not in states and "CheckQuality" not in states
    shipped = json.dumps(harness.state_machine_definition(dev, "pipeline", "Pipeline", {}))
    assert "startDataQualityRulesetEvaluationRun" in shipped, "the shipped datasets all have rulesets"


def test_each_evaluation_runs_as_its_datasets_own_role(dev):
    """The role the catalog stack made for the dataset's ruleset, which reads only that table."""
    items = json.dumps(harness.state_machine_definition(dev, "pipeline", "Pipeline", {}))
    assert '"Role.$": "$.step.quality.role"' in items
    catalog_roles = harness.resource_ids(dev, "catalog", "AWS::IAM::Role")
    for dataset in dev.settings.datasets:
        (role_id,) = [r for r in catalog_roles if r.startswith(f"{construct_id(dataset.name)}DataQualityRole")]
        assert f'"ruleset": "{ruleset(dev, dataset.name)}", "role": "arn:aws:iam::{ACCOUNT}:role/{role_id}"' in items
