"""Every name in the discovery contract (docs/CONTRACTS.md) is published by its stack."""
import re
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "CONTRACTS.md"


def contract_rows() -> list[tuple[str, str, str]]:
    rows = re.findall(r"^\| `([a-z-]+/[a-z-]+)` \| (.+) \| ([a-z]+) \|$", CONTRACT.read_text(), re.M)
    assert len(rows) >= 10
    return rows


def test_each_deployed_stack_publishes_its_contract_parameters(stage):
    for parameter, value, stack in contract_rows():
        if stack not in stage.stacks or ("long_running only" in value and stage.settings.emr.mode != "long_running"):
            continue
        stage.template(stack).has_resource_properties(
            "AWS::SSM::Parameter", {"Name": f"/datalake/{stage.stage}/{parameter}", "Type": "String"}
        )


def test_parameters_have_outputs_too(stage):
    for stack in ("storage", "catalog", "analytics"):
        outputs = stage.template_json(stack).get("Outputs", {})
        parameters = stage.template(stack).find_resources("AWS::SSM::Parameter")
        assert len([o for o in outputs if o.startswith("Discovery")]) == len(parameters)
