"""AWS's side of the pipeline's Data Quality evaluations that publish CloudWatch metrics.

The pipeline starts each evaluation with AdditionalRunOptions.CloudWatchMetricsEnabled = true;
Glue then publishes the run's metrics (glue.data.quality.rules.passed/failed, ...) as the role the
run is given, into the "Glue Data Quality" namespace. AWS Glue Developer Guide, "Configure IAM
permissions for AWS Glue Data Quality"
(https://docs.aws.amazon.com/glue/latest/dg/data-quality-authorization.html): the role of an
evaluation run needs cloudwatch:PutMetricData on Resource "*" with the condition
StringEquals cloudwatch:namespace "Glue Data Quality"; the EMR Management Guide's "Monitoring and
alerting" page names the same namespace for the same metrics. PutMetricData has no resource-level
permissions; cloudwatch:namespace is the key that limits it (CloudWatch User Guide, "Using
condition keys to limit access to CloudWatch namespaces").
"""
import json

import pytest

from tests.aws_contracts.iam_policy import allows, render, role_policies
from tests.orchestration.harness import all_templates

NAMESPACE = "Glue Data Quality"


@pytest.fixture(scope="module", params=["dev", "prod", "fork"])
def synth(request):
    return request.getfixturevalue(request.param)


def publishes_metrics(synth) -> bool:
    """Whether a state machine of the stage starts evaluations with CloudWatch metrics on."""
    pipeline = synth.template_json("pipeline")
    machines = (r for r in pipeline["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    return any(
        state.get("Resource", "").endswith(":glue:startDataQualityRulesetEvaluationRun")
        and state["Parameters"].get("AdditionalRunOptions", {}).get("CloudWatchMetricsEnabled") is True
        for machine in machines
        for state in states(json.loads(render(machine["Properties"]["DefinitionString"], pipeline)))
    )


def states(definition: dict):
    """Every state of a definition, those inside Map and Parallel states included."""
    for state in definition.get("States", {}).values():
        yield state
        for inner in [state.get("ItemProcessor") or state.get("Iterator") or {}] + state.get("Branches", []):
            yield from states(inner)


def evaluation_roles(synth) -> dict[str, list[dict]]:
    """{role logical id: its policies} of every role that may publish a Data Quality result."""
    catalog = synth.template_json("catalog")
    found = {}
    for logical_id in (k for k, r in catalog["Resources"].items() if r["Type"] == "AWS::IAM::Role"):
        policies = role_policies(catalog, logical_id, {}, all_templates(synth))
        if any(s.get("Effect") == "Allow" and "glue:PublishDataQuality" in json.dumps(s.get("Action")) for p in policies for s in p["Statement"]):
            found[logical_id] = policies
    return found


def test_every_evaluation_role_may_publish_its_metrics_in_the_glue_data_quality_namespace_only(synth):
    rulesets = [r for r in synth.template_json("catalog")["Resources"].values() if r["Type"] == "AWS::Glue::DataQualityRuleset"]
    roles = evaluation_roles(synth)
    assert len(roles) == len(rulesets) > 0, "one evaluation role per ruleset"
    if not publishes_metrics(synth):
        return  # nothing publishes; test_the_pipeline_asks_for_the_metrics pins that the shipped stages do
    for logical_id, policies in roles.items():
        assert allows(policies, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": NAMESPACE}), logical_id
        assert not allows(policies, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AWS/EC2"}), logical_id
        assert not allows(policies, "cloudwatch:PutMetricData", "*", {}), logical_id


def test_the_pipeline_asks_for_the_metrics(dev, prod):
    """The premise of the test above: otherwise it would skip and prove nothing."""
    assert publishes_metrics(dev) and publishes_metrics(prod)
