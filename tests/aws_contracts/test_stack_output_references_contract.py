"""Where a template reads another stack's output (Fn::GetStackOutput, CDK's weak cross-stack
reference): as a whole resource property, or as one value of a Fn::Join in a resource's
properties; nowhere else.

AWS: CloudFormation Template Reference, "Fn::GetStackOutput", documents the function and no
positions; "Fn::Join" lists as its supported functions "Fn::Base64, Fn::FindInMap, Fn::GetAtt,
Fn::GetAZs, Fn::If, Fn::ImportValue, Fn::Join, Fn::Split, Fn::Select, Fn::Sub, Ref", written
before Fn::GetStackOutput existed. AWS's own tools settle the positions. cfn-lint
(aws-cloudformation/cfn-lint) PR 4495, 2026-05-07, "Confirmed via `create-stack` with actual
deployments": resource property value, inside Fn::Join, Fn::If and Fn::Select; "Excluded from:
Fn::Sub, Fn::Base64, direct Output values". PR 4519, 2026-05-26: "CloudFormation now supports
Fn::GetStackOutput in these positions (confirmed via `create-stack` deployments in us-east-1)",
for Output values, Fn::Sub map values and Fn::Base64. The CDK team, aws/aws-cdk PR 37948,
2026-05-20: "CloudFormation doesn't support `Fn::GetStackOutput` as an argument to other
intrinsic functions in all regions yet". A stage deploys to any region (`region` unset), so the
templates keep to the positions confirmed first: the dashboard body and the discovery outputs
are built so that no Fn::Sub and no Output holds one (docs/aws-rules-settled.md)."""
import json
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Iterator

import pytest

FUNCTION = "Fn::GetStackOutput"
# The intrinsic functions a reference may sit in, innermost last: none (the whole property) or one Fn::Join.
ALLOWED_PARENTS = {(), ("Fn::Join",)}


def positions(node: Any, section: str = "", parents: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(template section, enclosing intrinsic functions) of every Fn::GetStackOutput under `node`."""
    if isinstance(node, list):
        for item in node:
            yield from positions(item, section, parents)
    elif isinstance(node, dict):
        if FUNCTION in node:
            yield section, parents
            return
        for key, value in node.items():
            inside = parents + (key,) if key.startswith("Fn::") else parents
            yield from positions(value, section or key, inside)


def misplaced(template: dict) -> list[tuple[str, tuple[str, ...]]]:
    return [(section, parents) for section, parents in positions(template) if section != "Resources" or parents not in ALLOWED_PARENTS]


def test_every_reference_to_another_stacks_output_is_a_property_or_a_join_value(lake):
    found = 0
    for name, stack in lake.stacks.items():
        template = lake.template_json(name)
        found += sum(1 for _ in positions(template))
        assert misplaced(template) == [], f"{stack.stack_name}: Fn::GetStackOutput outside a resource property or Fn::Join value"
    assert found, "the stage reads other stacks' outputs through weak references (crossStackReferenceStrength)"


REFERENCE = {FUNCTION: {"StackName": "producer", "OutputName": "Value"}}


@pytest.mark.parametrize(
    "template, where",
    [
        ({"Resources": {"D": {"Properties": {"Body": {"Fn::Sub": ["${X}", {"X": REFERENCE}]}}}}}, ("Resources", ("Fn::Sub",))),
        ({"Outputs": {"O": {"Value": {"Fn::Join": ["", [REFERENCE]]}}}}, ("Outputs", ("Fn::Join",))),
        ({"Resources": {"R": {"Properties": {"L": {"Fn::Split": ["||", REFERENCE]}}}}}, ("Resources", ("Fn::Split",))),
    ],
)
def test_the_check_finds_a_reference_in_a_later_position(template, where):
    assert misplaced(template) == [where]


def test_cfn_lint_still_lists_the_function_among_fn_join_values():
    """The position the templates rely on, as AWS's linter (which the suite runs on every
    template) records it from its deployments."""
    (package,) = find_spec("cfnlint").submodule_search_locations  # the file, without importing cfn-lint (a second)
    schema = json.loads((Path(package) / "data" / "schemas" / "other" / "functions" / "join.json").read_text())
    (_, values) = schema["cfnContext"]["schema"]["prefixItems"]
    assert FUNCTION in values["cfnContext"]["schema"]["items"]["cfnContext"]["functions"]
