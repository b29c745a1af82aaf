"""The advice to recreate a stack, checked against the deploy plan.

The stacks read each other's outputs through CDK's weak cross-stack references, which synthesize
to Fn::GetStackOutput. AWS CloudFormation Template Reference, "Fn::GetStackOutput"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html):
"Fn::GetStackOutput creates a weak reference. The referenced value is resolved at stack create or
update time. If the referenced stack or output is later deleted or modified, the consuming stack
is not automatically updated or notified." CDK API reference, ReferenceStrength.WEAK: deleting
the producer "will cause infrastructure in consuming stacks to temporarily reference a
nonexistant resource until the consumers are updated as well". So whoever recreates a stack
that other stacks read must deploy those too: the advice says `make deploy`, which deploys every
stack of the stage (stacks.deploy_plan), unless nothing reads the recreated stack.
"""
import json
import re

import pytest

from stacks.deploy_plan import DEPLOY, DEPLOY_QUICKSIGHT, plan
from tests.helpers import ROOT

ADVICE = re.compile(r"cdk destroy (?P<stack>[\w-]+) -c stage=(?P<stage>\w+) && (?P<then>(?:npx )?cdk deploy [\w-]+|make deploy)")


def consumers(synth) -> dict[str, set[str]]:
    """{stack name: names of the stacks whose templates read its outputs}."""
    readers: dict[str, set[str]] = {}
    for short, stack in synth.stacks.items():
        text = json.dumps(synth.template_json(short))
        for producer in re.findall(r'"Fn::GetStackOutput": \{"StackName": "([^"]+)"', text):
            readers.setdefault(producer, set()).add(stack.stack_name)
    return readers


def deployed_by_make_deploy(synth) -> set[str]:
    targets = plan(synth.assembly.directory)
    return set(targets[DEPLOY]) | set(targets[DEPLOY_QUICKSIGHT])


@pytest.fixture(scope="module", params=["dev", "prod"])
def synth(request):
    return request.getfixturevalue(request.param)


def test_the_emr_stack_is_read_by_other_stacks_which_make_deploy_deploys(synth):
    emr = synth.stacks["emr"].stack_name
    assert consumers(synth).get(emr), "the premise: the pipeline and monitoring read the EMR stack's outputs"
    assert consumers(synth)[emr] <= deployed_by_make_deploy(synth)


def test_the_run_job_hint_recreates_then_deploys_the_stage(synth):
    from lakeops import emr

    class Lake:  # what _new_cluster_hint reads
        class resources:
            @staticmethod
            def publisher(_):
                return synth.stacks["emr"].stack_name

        class stage:
            name = synth.settings.stage

            @staticmethod
            def parameter_name(param):
                return f"/{param}"

    (advice,) = [m.groupdict() for m in ADVICE.finditer(emr._new_cluster_hint(Lake))]
    assert advice["then"] == "make deploy", advice


def test_the_pipelines_error_text_says_to_deploy_the_stage_after_recreating(prod):
    assert prod.settings.emr.mode == "long_running"
    text = json.dumps(prod.template_json("pipeline"))
    assert "recreate stack" in text
    assert "cdk destroy and cdk deploy it" not in text
    assert "then make deploy" in text


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_documented_recreations_deploy_every_reader(dev, prod, document):
    synths = {s.settings.stage: s for s in (dev, prod)}
    found = list(ADVICE.finditer((ROOT / document).read_text()))
    for match in found:
        synth = synths[match["stage"]]
        if consumers(synth).get(match["stack"]):
            assert match["then"] == "make deploy", (document, match.group(0), sorted(consumers(synth)[match["stack"]]))
