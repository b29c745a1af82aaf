"""Every rendered state machine definition of dev, prod and an ephemeral stage, checked statically
(tests/orchestration/asl_graph.py says which rules and where AWS states them): the structure
Step Functions enforces at creation, and that no path of a run leaves its cluster running.
The checker's own teeth: the shipped definition with the terminate-after-error transition, or
the curation Map's catch, taken out must be refused."""
import copy
import json

import pytest

from tests.aws_contracts.iam_policy import render
from tests.orchestration.asl_graph import leak_problems, structure_problems


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


def test_a_dangling_next_and_an_unreachable_state_are_refused(dev):
    definition = pipeline(dev)
    definition["States"]["ClusterCreated"]["Next"] = "NoSuchState"
    assert any("NoSuchState" in p for p in structure_problems(definition))
    assert any("unreachable" in p and "Curate" in p for p in structure_problems(definition))
