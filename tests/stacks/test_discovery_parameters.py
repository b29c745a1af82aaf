"""Every name in the discovery contract (docs/CONTRACTS.md) is published by its stack, per
dataset where the row says `{dataset}`, under the stage's own SSM path."""
import re
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "CONTRACTS.md"


def contract_rows() -> list[tuple[str, str, str]]:
    rows = re.findall(r"^\| `([a-z{}-]+(?:/[a-z{}-]+)+)` \| (.+) \| ([a-z]+) \|$", CONTRACT.read_text(), re.M)
    assert len(rows) >= 15
    return rows


def test_each_deployed_stack_publishes_its_contract_parameters(lake):
    for parameter, value, stack in contract_rows():
        if stack not in lake.stacks or ("long_running only" in value and lake.settings.emr.mode != "long_running"):
            continue
        names = [parameter.format(dataset=d.name) for d in lake.settings.datasets] if "{dataset}" in parameter else [parameter]
        for name in names:
            lake.template(stack).has_resource_properties(
                "AWS::SSM::Parameter", {"Name": f"{lake.settings.ssm_prefix}/{name}", "Type": "String"}
            )


def test_nothing_is_published_that_the_contract_does_not_list(lake):
    documented = {re.sub(r"\{dataset\}", "[a-z0-9_]+", p) for p, _, _ in contract_rows()}
    for stack in lake.stacks:
        for parameter in lake.template(stack).find_resources("AWS::SSM::Parameter").values():
            name = parameter["Properties"]["Name"].removeprefix(f"{lake.settings.ssm_prefix}/")
            assert any(re.fullmatch(pattern, name) for pattern in documented), name


def test_parameters_have_outputs_too(lake):
    for stack in ("storage", "catalog", "analytics"):
        outputs = lake.template_json(stack).get("Outputs", {})
        parameters = lake.template(stack).find_resources("AWS::SSM::Parameter")
        assert len([o for o in outputs if "Discovery" in o]) == len(parameters)
