"""The data-quality states, executed: they appear only for datasets with a ruleset (issue 9 adds
one AWS::Glue::DataQualityRuleset per curated table; on this branch the catalog declares none,
so this definition is composed from the same builder with rulesets, as the stack would)."""
import json

import pytest

from lake_constructs.orchestration.pipeline_definition import PipelinePlan, QualityCheck, dataset_steps, pipeline_definition
from tests.aws_contracts.iam_policy import ACCOUNT
from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline

pytestmark = pytest.mark.usefixtures("aws")


def ruleset(synth, dataset: str) -> str:
    return f"{synth.settings.prefix}-{dataset}"


def with_rulesets(synth, function_arn: str, rendered: dict) -> dict:
    """dev's definition as the pipeline stack builds it when the catalog declares a ruleset per dataset."""
    settings = synth.settings
    request = rendered["States"]["CreateCluster"]["Branches"][0]["States"]["RunJobFlow"]["Parameters"]["Payload"]["Request"]
    quality = {d.name: QualityCheck(database=f"{settings.glue_prefix}_curated", table=d.table, ruleset=ruleset(synth, d.name)) for d in settings.datasets}
    plan = PipelinePlan(
        steps=dataset_steps(settings, script_uri="s3://assets/job.py", raw_bucket="raw", curated_bucket="curated",
                            database=f"{settings.glue_prefix}_curated", quality=quality),
        log_uri="s3://logs/emr/",
        quality_role_arn=f"arn:aws:iam::{ACCOUNT}:role/data-quality",
    )
    return pipeline_definition(settings, plan, partition="aws", cluster_function=function_arn, cluster_request=request, emr_stack="emr")


@pytest.fixture
def deployed(dev, monkeypatch):
    (function_id,) = harness.resource_ids(dev, "pipeline", "AWS::Lambda::Function")
    first = deploy_pipeline(dev, monkeypatch)  # creates the function and the rest
    function_arn = harness.client("lambda").get_function(FunctionName=f"{dev.settings.prefix}-pipeline-cluster")["Configuration"]["FunctionArn"]
    rendered = harness.state_machine_definition(dev, "pipeline", "Pipeline", {f"{function_id}.Arn": function_arn})
    definition = harness.with_timing(with_rulesets(dev, function_arn, rendered), 0)
    first.pipeline_arn = harness.create_state_machine("with-rulesets", definition)
    return first


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


def test_without_rulesets_there_are_no_data_quality_states(dev):
    states = json.dumps(harness.state_machine_definition(dev, "pipeline", "Pipeline", {}))
    assert "startDataQualityRulesetEvaluationRun" not in states and "CheckQuality" not in states
