"""Every rendered state machine definition of dev, prod and an ephemeral stage, checked statically
(tests/orchestration/asl_graph.py says which rules and where AWS states them): the structure
Step Functions enforces at creation, that no path of a run leaves its cluster running, and that
every task retries its service's transient errors.
The checker's own teeth: the shipped definition with the terminate-after-error transition, or
the curation Map's catch, taken out must be refused."""
import copy
import json

import pytest

from tests.aws_contracts.iam_policy import render
from tests.orchestration.asl_graph import leak_problems, scopes, structure_problems

# AWS Step Functions Developer Guide, "Handle Lambda service exceptions": Lambda's transient 500
# errors, which a state machine should retry ("As a best practice, proactively handle these
# exceptions"). Lambda.ClientExecutionTimeoutException, which the page lists as well, is not
# retried: the invocation may still be running, and a second one could create a second cluster.
LAMBDA_TRANSIENT = {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"}


@pytest.fixture(scope="module", params=["dev", "prod", "ephemeral"])
def synth(request):
    return request.getfixturevalue(request.param)


def definitions(synth) -> dict[str, dict]:
    template = synth.template_json("pipeline")
    return {
        r["Properties"]["StateMachineName"]: json.loads(render(r["Properties"]["DefinitionString"], template))
        for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    }


def test_every_transition_exists_and_every_state_is_reachable(synth):
    found = definitions(synth)
    assert found
    assert {name: structure_problems(d) for name, d in found.items()} == {name: [] for name in found}


def test_no_path_of_a_run_leaves_its_cluster(synth):
    found = definitions(synth)
    assert {name: leak_problems(d) for name, d in found.items()} == {name: [] for name in found}


def retry_problems(definition: dict) -> list[str]:
    """Tasks that retry nothing, and Lambda tasks that do not retry Lambda's transient errors."""
    problems = []
    for where, scope in scopes(definition):
        for name, state in scope.get("States", {}).items():
            if state["Type"] != "Task":
                continue
            retried = {error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}
            if not retried:
                problems.append(f"{where}/{name}: retries nothing")
            elif state["Resource"].endswith(":states:::lambda:invoke") and not LAMBDA_TRANSIENT <= retried:
                problems.append(f"{where}/{name}: does not retry {sorted(LAMBDA_TRANSIENT - retried)}")
    return problems


def test_every_task_retries_its_services_transient_errors(synth):
    """A task without a retry fails the run on one throttled or 500 answer; for Lambda, AWS lists
    the errors to retry ("Handle Lambda service exceptions")."""
    found = definitions(synth)
    assert {name: retry_problems(d) for name, d in found.items()} == {name: [] for name in found}


def pipeline(dev) -> dict:
    (found,) = [d for name, d in definitions(dev).items() if name.endswith("-pipeline")]
    return copy.deepcopy(found)


def test_dev_creates_its_cluster_so_the_leak_rule_applies(dev):
    assert dev.settings.emr.mode == "transient"
    definition = pipeline(dev)
    definition["States"]["CreateCluster"]["Next"] = "RunFailedForTest"
    definition["States"]["RunFailedForTest"] = {"Type": "Fail"}
    assert leak_problems(definition), "a cluster created and never terminated must be seen"


def test_removing_the_terminate_after_error_transition_is_refused(dev):
    definition = pipeline(dev)
    (abandon,) = [s for s in definition["States"].values() if s["Type"] == "Choice" and
                  any(r.get("Next") == "TerminateAfterError" for r in s.get("Choices", []))]
    for rule in abandon["Choices"]:
        if rule["Next"] == "TerminateAfterError":
            rule["Next"] = abandon["Default"]
    del definition["States"]["TerminateAfterError"]
    assert leak_problems(definition)


def test_removing_the_curation_maps_catch_is_refused(dev):
    definition = pipeline(dev)
    del definition["States"]["Curate"]["Catch"]
    assert any("Curate" in p for p in leak_problems(definition))


def test_a_task_without_retries_is_refused(dev):
    definition = pipeline(dev)
    branch = definition["States"]["CreateCluster"]["Branches"][0]["States"]
    del branch["RunJobFlow"]["Retry"]
    branch["DescribeCluster"]["Retry"][0]["ErrorEquals"].remove("Lambda.ServiceException")
    assert {p.split(": ")[0].rsplit("/", 1)[1] for p in retry_problems(definition)} == {"RunJobFlow", "DescribeCluster"}


def test_a_dangling_next_and_an_unreachable_state_are_refused(dev):
    definition = pipeline(dev)
    definition["States"]["ClusterCreated"]["Next"] = "NoSuchState"
    assert any("NoSuchState" in p for p in structure_problems(definition))
    assert any("unreachable" in p and "Curate" in p for p in structure_problems(definition))
